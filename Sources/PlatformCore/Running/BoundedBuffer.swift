import Foundation

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
