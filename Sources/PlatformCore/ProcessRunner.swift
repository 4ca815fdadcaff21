import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds tools on PATH once per name.
public final class ToolLocator: @unchecked Sendable {
    private let searchPath: [String]
    private let lock = NSLock()
    private var cache: [String: String] = [:]

    public init(path: String?) {
        searchPath = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
    }

    /// How to get each tool the platform runs, for the "not found" message.
    public static func installHint(for tool: String) -> String {
        switch tool {
        case "kubectl": return "install kubectl (https://kubernetes.io/docs/tasks/tools/) or run 'scripts/install-tools.sh' in a platform checkout"
        case "terraform": return "install Terraform >= 1.5 or run 'scripts/install-tools.sh' in a platform checkout"
        case "git": return "install git (e.g. 'apt-get install git')"
        default: return "install \(tool) and make sure it is on PATH"
        }
    }

    public func locate(_ tool: String) throws -> String {
        if tool.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: tool) else {
                throw PlatformError.toolMissing(tool: tool, hint: Self.installHint(for: tool))
            }
            return tool
        }
        lock.lock()
        defer { lock.unlock() }
        if let found = cache[tool] { return found }
        for directory in searchPath where !directory.isEmpty {
            let candidate = directory + "/" + tool
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                cache[tool] = candidate
                return candidate
            }
        }
        throw PlatformError.toolMissing(tool: tool, hint: Self.installHint(for: tool))
    }
}

/// Forwards SIGINT/SIGTERM to the running children (Foundation puts them in their own process group,
/// so a Ctrl-C at the terminal reaches only us) and remembers that the run was interrupted.
public final class SignalForwarder: @unchecked Sendable {
    private let lock = NSLock()
    private var children: Set<pid_t> = []
    private var received: Int32?
    /// Signals delivered so far; `finishing` lets children start again until the next one.
    private var deliveries = 0
    private var toleratedDeliveries: Int?
    /// Commands running that stop cleanly on an interruption themselves (`handlesInterruption`).
    private var aware = 0
    /// Children being started whose pid is not registered yet.
    private var starting = 0
    private var sources: [DispatchSourceSignal] = []
    private var idleHandler: (@Sendable (Int32) -> Void)?
    private var cleanups: [Int: @Sendable () -> Void] = [:]
    private var nextCleanup = 0

    public init() {}

    /// Takes over SIGINT and SIGTERM for this process. `whenIdle` runs when a signal arrives while
    /// no child is running or being started and no `handlesInterruption` scope is active (the CLI
    /// uses it to stop right away); inside such a scope it runs only for a repeated signal.
    public func install(whenIdle: @escaping @Sendable (Int32) -> Void) {
        lock.lock()
        idleHandler = whenIdle
        lock.unlock()
        for sig in [SIGINT, SIGTERM] {
            // A no-op handler, not SIG_IGN: an ignored signal stays ignored in every child we spawn,
            // while a caught one is reset to the default on exec. The dispatch source does the work.
            signal(sig) { _ in }
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in self?.deliver(sig) }
            source.resume()
            sources.append(source)
        }
    }

    /// Work to undo if the process must stop while no child runs (e.g. a half-rendered folder).
    /// Returns a token for `removeCleanup`.
    public func addCleanup(_ cleanup: @escaping @Sendable () -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextCleanup += 1
        cleanups[nextCleanup] = cleanup
        return nextCleanup
    }

    public func removeCleanup(_ token: Int) {
        lock.lock()
        cleanups[token] = nil
        lock.unlock()
    }

    /// The signal that interrupts the run: the first one received, except inside `finishing` until
    /// another one arrives.
    public var receivedSignal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return interruption
    }

    private var interruption: Int32? {
        if let toleratedDeliveries, deliveries <= toleratedDeliveries { return nil }
        return received
    }

    /// Runs `body`, a command that notices an interruption itself (`checkInterrupted`, short sleeps)
    /// and stops through its normal error path: meanwhile a signal does not stop the process at once.
    @discardableResult
    public func handlesInterruption<T>(_ body: () async throws -> T) async rethrows -> T {
        lock.withLock { aware += 1 }
        defer { lock.withLock { aware -= 1 } }
        return try await body()
    }

    /// Runs `body` after an interruption, to record what the interrupted command had done: children
    /// start and run again until a further signal arrives, which stops them as usual.
    @discardableResult
    public func finishing<T>(_ body: () async throws -> T) async rethrows -> T {
        let outer: Int? = lock.withLock {
            let outer = toleratedDeliveries
            toleratedDeliveries = deliveries
            aware += 1
            return outer
        }
        defer {
            lock.withLock {
                toleratedDeliveries = outer
                aware -= 1
            }
        }
        return try await body()
    }

    /// For tests and for `deliver` itself: act as if `sig` arrived.
    public func deliver(_ sig: Int32) {
        lock.lock()
        let repeated = received != nil
        if received == nil { received = sig }
        deliveries += 1
        let pids = children
        // Idle: no child to stop (none running, none being started) and nobody who stops cleanly by
        // itself, or the user insists (a second signal) while no child runs.
        let idle = pids.isEmpty && starting == 0 && (aware == 0 || repeated) ? idleHandler : nil
        let pendingCleanups = idle == nil ? [] : Array(cleanups.values)
        if idle != nil { cleanups = [:] }
        lock.unlock()
        for pid in pids { kill(pid, sig) }
        if let idle {
            for cleanup in pendingCleanups { cleanup() }
            idle(sig)
        }
    }

    /// Before starting a child: until `register` (or `spawnFailed`), a signal is not taken as idle,
    /// so the process cannot exit and orphan the child (it runs in its own process group).
    func spawning() {
        lock.lock()
        starting += 1
        lock.unlock()
    }

    func spawnFailed() {
        lock.lock()
        starting -= 1
        lock.unlock()
    }

    /// The child of a `spawning()` call started; a signal that arrived meanwhile is passed on now.
    func register(_ pid: pid_t) {
        lock.lock()
        children.insert(pid)
        starting -= 1
        let pending = interruption
        lock.unlock()
        if let pending { kill(pid, pending) }
    }

    func unregister(_ pid: pid_t) {
        lock.lock()
        children.remove(pid)
        lock.unlock()
    }

    /// Throws `interrupted` when a signal has arrived.
    public func checkInterrupted() throws {
        if let sig = receivedSignal { throw PlatformError.interrupted(signal: sig) }
    }
}

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
        let child = ChildHandle()
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
        data.withUnsafeBytes { raw in
            guard var pointer = raw.baseAddress else { return }
            var remaining = raw.count
            while remaining > 0 {
                let written = write(fd, pointer, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // the child closed its stdin; its exit status tells the rest
                }
                pointer += written
                remaining -= written
            }
        }
    }
}

/// The pid of a running child, for stopping it when the task that waits for it is cancelled.
final class ChildHandle: @unchecked Sendable {
    private let lock = NSLock()
    private var pid: pid_t?
    private var done = false
    private var cancelled = false

    func started(_ pid: pid_t) {
        lock.lock()
        self.pid = pid
        let stop = cancelled && !done
        lock.unlock()
        if stop { kill(pid, SIGTERM) }
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
        if let target { kill(target, SIGTERM) }
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

public extension Process {
    /// Starts the process from a fresh thread with an empty signal mask. The child inherits the
    /// spawning thread's mask, and Swift's concurrency threads block SIGINT/SIGTERM: spawned from
    /// there, a child could never be interrupted.
    func runWithDefaultSignalMask() throws {
        final class Outcome: @unchecked Sendable { var error: Error? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            do { try self.run() } catch { outcome.error = error }
            done.signal()
        }
        thread.start()
        done.wait()
        if let error = outcome.error { throw error }
    }
}
