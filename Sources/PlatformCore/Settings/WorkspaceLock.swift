import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A held workspace lock; released by `release()` or when the value goes away.
public final class WorkspaceLock: @unchecked Sendable {
    private let lock = NSLock()
    private var fd: Int32

    init(fd: Int32) { self.fd = fd }

    public func release() {
        lock.lock()
        defer { lock.unlock() }
        guard fd >= 0 else { return }
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
