import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
