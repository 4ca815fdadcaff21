import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
    private var _teardown: Teardown

    public init(teardown: Teardown = Teardown()) {
        _teardown = teardown
    }

    /// How long a child may take to stop after a forwarded signal (or a cancelled wait) before it
    /// gets SIGKILL.
    public var teardown: Teardown {
        get { lock.withLock { _teardown } }
        set { lock.withLock { _teardown = newValue } }
    }

    /// Whether `pid` is still a running child (registered and not yet finished).
    func isRunning(_ pid: pid_t) -> Bool {
        lock.withLock { children.contains(pid) }
    }

    /// Sends `sig` to a child, then SIGKILL after the grace period if it is still running.
    private func stop(_ pid: pid_t, with sig: Int32) {
        teardown.stop(pid, with: sig) { [weak self] in self?.isRunning(pid) ?? false }
    }

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
        for pid in pids { stop(pid, with: sig) }
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
        if let pending { stop(pid, with: pending) }
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

    /// Sleeps `seconds` in slices of at most `pauseSlice`, throwing `interrupted` as soon as a signal
    /// came: the waits between two looks (deploy's rollout, a task's pod, the configuration lease).
    public func pause(_ seconds: Double) async throws {
        var remaining = max(0, seconds)
        try checkInterrupted()
        while remaining > 0 {
            let slice = min(remaining, Self.pauseSlice)
            try await Task.sleep(nanoseconds: UInt64(slice * 1_000_000_000))
            remaining -= slice
            try checkInterrupted()
        }
    }

    static let pauseSlice = 0.1
}
