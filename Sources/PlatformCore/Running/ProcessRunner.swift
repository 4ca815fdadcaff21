import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real runner: Foundation's `Process`, completion from `terminationHandler`, stdout and stderr
/// read concurrently on their own threads.
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

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = command.arguments
        process.environment = environment.merging(command.environment) { _, new in new }
        if let directory = command.directory {
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
        }
        let inputPipe = command.input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        let (outHandle, outPipe) = Self.handle(for: stdout)
        let (errHandle, errPipe) = Self.handle(for: stderr)
        process.standardOutput = outHandle
        process.standardError = errHandle

        let group = DispatchGroup()
        group.enter()
        let signals = self.signals
        let child = ChildHandle(teardown: signals.teardown)
        process.terminationHandler = { finished in
            child.finished()
            signals.unregister(finished.processIdentifier)
            group.leave()
        }
        signals.spawning()
        do {
            try process.runWithDefaultSignalMask()
        } catch {
            signals.spawnFailed()
            group.leave()
            throw PlatformError.failed("could not start \(executable): \(error.localizedDescription)")
        }
        signals.register(process.processIdentifier)
        // It may have finished (and unregistered) before it was registered: forget it again.
        if child.isDone { signals.unregister(process.processIdentifier) }
        child.started(process.processIdentifier)

        if let inputPipe, let input = command.input {
            let writer = inputPipe.fileHandleForWriting
            DispatchQueue.global().async {
                Self.writeAll(input, to: writer.fileDescriptor)
                try? writer.close()
            }
        }
        for (pipe, target) in [(outPipe, stdout), (errPipe, stderr)] {
            guard let pipe, case .chunks(let consume) = target else { continue }
            group.enter()
            let reader = pipe.fileHandleForReading
            Thread.detachNewThread {
                Self.readAll(reader.fileDescriptor, into: consume)
                try? reader.close()
                group.leave()
            }
        }
        // Cancelling the task stops the child (SIGTERM); the run still waits for it to finish.
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                group.notify(queue: .global()) { continuation.resume() }
            }
        } onCancel: {
            child.terminate()
        }
        if let sig = signals.receivedSignal { throw PlatformError.interrupted(signal: sig) }
        if process.terminationReason == .uncaughtSignal {
            return 128 + process.terminationStatus
        }
        return process.terminationStatus
    }

    private static func handle(for target: OutputTarget) -> (Any, Pipe?) {
        switch target {
        case .standardOutput: return (FileHandle.standardOutput, nil)
        case .standardError: return (FileHandle.standardError, nil)
        case .discard: return (FileHandle.nullDevice, nil)
        case .chunks:
            let pipe = Pipe()
            return (pipe, pipe)
        }
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

/// The pid of a running child, for stopping it when the task that waits for it is cancelled:
/// SIGTERM, then SIGKILL after the grace period (`Teardown`).
final class ChildHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var pid: pid_t?
    private var done = false
    private var cancelled = false
    private let teardown: Teardown

    init(teardown: Teardown) {
        self.teardown = teardown
    }

    func started(_ pid: pid_t) {
        lock.lock()
        self.pid = pid
        let stop = cancelled && !done
        lock.unlock()
        if stop { teardown.stop(pid, with: SIGTERM) { [weak self] in !(self?.isDone ?? true) } }
    }

    func finished() {
        lock.lock()
        done = true
        lock.unlock()
    }

    var isDone: Bool {
        lock.lock()
        defer { lock.unlock() }
        return done
    }

    func terminate() {
        lock.lock()
        cancelled = true
        let target = done ? nil : pid
        lock.unlock()
        if let target { teardown.stop(target, with: SIGTERM) { [weak self] in !(self?.isDone ?? true) } }
    }
}

/// Collects output up to a limit: the head (stdout) or the tail (stderr).
final class BoundedBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private let keepTail: Bool
    private var storage = Data()
    private(set) var overflowed = false

    init(limit: Int, keepTail: Bool) {
        self.limit = limit
        self.keepTail = keepTail
    }

    func append(_ chunk: Data) {
        lock.lock()
        defer { lock.unlock() }
        storage.append(chunk)
        if storage.count > limit {
            overflowed = true
            storage = keepTail ? storage.suffix(limit) : storage.prefix(limit)
        }
    }

    var data: Data {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
