import CSpawn
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real runner: children started by `ChildSpawner` (fork/exec with PR_SET_PDEATHSIG, so they
/// die with platform), reaped by a thread of their own, stdout and stderr read concurrently on their
/// own threads.
public final class ProcessRunner: CommandRunner, @unchecked Sendable {
    public let environment: [String: String]
    public let locator: ToolLocator
    public let signals: SignalForwarder
    /// Called with each argv before it runs (`--verbose`), secrets already redacted.
    private let echo: (@Sendable ([String]) -> Void)?
    private let redactor: Redactor

    public init(environment: [String: String], signals: SignalForwarder = SignalForwarder(),
                redactor: Redactor = Redactor(secrets: []), echo: (@Sendable ([String]) -> Void)? = nil) {
        self.environment = environment
        self.locator = ToolLocator(path: environment["PATH"])
        self.signals = signals
        self.redactor = redactor
        self.echo = echo
    }

    public func capture(_ command: Command, limit: Int) async throws -> CommandResult {
        let out = BoundedBuffer(limit: limit, keepTail: false)
        let err = BoundedBuffer(limit: limit, keepTail: true)
        let status = try await run(command, stdout: .chunks(out.append), stderr: .chunks(err.append))
        if out.overflowed {
            throw PlatformError.failed("\(command.tool) printed more than \(limit) bytes; output was cut")
        }
        return CommandResult(status: status, stdout: out.data, stderr: err.data)
    }

    public func stream(_ command: Command, stdout: OutputTarget, stderr: OutputTarget) async throws -> Int32 {
        try await run(command, stdout: stdout, stderr: stderr)
    }

    public func locate(_ tool: String) throws -> String {
        try locator.locate(tool)
    }

    private func run(_ command: Command, stdout: OutputTarget, stderr: OutputTarget) async throws -> Int32 {
        try signals.checkInterrupted()
        let executable = try locator.locate(command.tool)
        echo?(redactor.redact(command.argv))

        let group = DispatchGroup()
        let signals = self.signals
        let child = ChildHandle(teardown: signals.teardown)
        // The child's ends of its three streams, and ours of the pipes.
        var childEnds: [Int32] = []
        var closeAfterSpawn: [Int32] = []
        func devNull(_ flags: Int32) throws -> Int32 {
            let fd = open("/dev/null", flags | O_CLOEXEC)
            guard fd >= 0 else { throw PlatformError.failed("could not open /dev/null: \(String(cString: strerror(errno)))") }
            closeAfterSpawn.append(fd)
            return fd
        }
        func pipePair() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            let failure = platform_pipe(&fds)
            guard failure == 0 else {
                throw PlatformError.failed("could not create a pipe: \(String(cString: strerror(failure)))")
            }
            return (fds[0], fds[1])
        }
        var inputWriter: Int32?
        var readers: [(fd: Int32, consume: @Sendable (Data) -> Void)] = []
        func output(_ target: OutputTarget) throws -> Int32 {
            switch target {
            case .standardOutput: return 1
            case .standardError: return 2
            case .discard: return try devNull(O_WRONLY)
            case .chunks(let consume):
                let pipe = try pipePair()
                closeAfterSpawn.append(pipe.write)
                readers.append((pipe.read, consume))
                return pipe.write
            }
        }
        let stdinFD: Int32
        do {
            if command.input != nil {
                let pipe = try pipePair()
                closeAfterSpawn.append(pipe.read)
                inputWriter = pipe.write
                stdinFD = pipe.read
            } else {
                stdinFD = try devNull(O_RDONLY)
            }
            childEnds = [stdinFD, try output(stdout), try output(stderr)]
        } catch {
            closeAfterSpawn.forEach { close($0) }
            readers.forEach { close($0.fd) }
            if let inputWriter { close(inputWriter) }
            throw error
        }

        signals.spawning()
        let pid: pid_t
        do {
            pid = try ChildSpawner.shared.spawn(
                path: executable, arguments: command.arguments,
                environment: environment.merging(command.environment) { _, new in new },
                directory: command.directory, stdin: childEnds[0], stdout: childEnds[1], stderr: childEnds[2])
        } catch {
            signals.spawnFailed()
            closeAfterSpawn.forEach { close($0) }
            readers.forEach { close($0.fd) }
            if let inputWriter { close(inputWriter) }
            throw error
        }
        closeAfterSpawn.forEach { close($0) }
        signals.register(pid)
        child.started(pid)

        if let inputWriter, let input = command.input {
            DispatchQueue.global().async {
                Self.writeAll(input, to: inputWriter)
                close(inputWriter)
            }
        }
        for reader in readers {
            group.enter()
            Thread.detachNewThread {
                Self.readAll(reader.fd, into: reader.consume)
                close(reader.fd)
                group.leave()
            }
        }
        let exit = ExitBox()
        group.enter()
        Thread.detachNewThread {
            exit.status = platform_wait(pid)
            child.finished()
            signals.unregister(pid)
            // Stopped by us: what it started and left behind in its process group (terraform's
            // local-exec shell's children, say) goes too, SIGTERM then SIGKILL after the grace
            // period; the run waits for that.
            if child.wasCancelled || signals.receivedSignal != nil {
                signals.teardown.stopLeftovers(of: ProcessGroup(id: pid))
            }
            group.leave()
        }
        // Cancelling the task stops the child (SIGTERM, then SIGKILL); the run still waits for it to finish.
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                group.notify(queue: .global()) { continuation.resume() }
            }
        } onCancel: {
            child.terminate()
        }
        if let sig = signals.receivedSignal { throw PlatformError.interrupted(signal: sig) }
        return exit.status
    }

    private static func readAll(_ fd: Int32, into consume: (Data) -> Void) {
        let size = 1 << 16
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer, size)
            if count > 0 {
                consume(Data(bytes: buffer, count: count))
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    private static func writeAll(_ data: Data, to fd: Int32) {
        // A failure means the child closed its stdin; its exit status tells the rest.
        FileDescriptorIO.writeAll(fd, data)
    }
}
