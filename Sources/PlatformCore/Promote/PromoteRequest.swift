import Foundation

/// What `platform promote` was asked: the build live in `from` goes to `to`, by digest.
public struct PromoteRequest: Sendable, Equatable {
    public var app: String
    public var from: String
    public var to: String
    /// Promote the tag when the source's pods report no digest (never the default: a tag can move).
    public var allowTag: Bool
    public var message: String?
    public var timeout: Double
    public var rollbackTimeout: Double
    public var wait: Bool
    public var rollback: Bool

    public init(app: String, from: String, to: String, allowTag: Bool = false, message: String? = nil,
                timeout: Double = 300, rollbackTimeout: Double = 300, wait: Bool = true, rollback: Bool = true) {
        self.app = app
        self.from = from
        self.to = to
        self.allowTag = allowTag
        self.message = message
        self.timeout = timeout
        self.rollbackTimeout = rollbackTimeout
        self.wait = wait
        self.rollback = rollback
    }
}
