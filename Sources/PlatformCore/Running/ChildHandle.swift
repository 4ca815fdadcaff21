import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    var wasCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
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
