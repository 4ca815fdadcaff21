import Foundation

/// What `platform rollback` was asked to do: go back to release `revision` (default: the newest
/// successful release whose image or configuration is not what runs), through the deploy path.
public struct RollbackRequest: Sendable, Equatable {
    public var app: String
    public var environment: String
    public var revision: Int?
    public var timeout: Double
    public var rollbackTimeout: Double
    public var wait: Bool
    public var rollback: Bool
    public var message: String?

    public init(app: String, environment: String, revision: Int? = nil, timeout: Double = 300,
                rollbackTimeout: Double = 300, wait: Bool = true, rollback: Bool = true, message: String? = nil) {
        self.app = app
        self.environment = environment
        self.revision = revision
        self.timeout = timeout
        self.rollbackTimeout = rollbackTimeout
        self.wait = wait
        self.rollback = rollback
        self.message = message
    }
}
