import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `platform logs` was asked for.
public struct LogsRequest: Sendable, Equatable {
    public var app: String
    public var environment: String
    /// Lines per container from its backlog (`--tail`).
    public var lines: Int
    public var follow: Bool
    /// Only lines newer than this many seconds.
    public var sinceSeconds: Int?
    public var container: String?
    public var timestamps: Bool
    /// The previous instance's log of each container that restarted (`kubectl logs --previous`).
    public var previous = false
    /// Only lines containing this text.
    public var grep: String?
    /// With `follow`: stop after this many seconds (for tests and scripts); nil = until Ctrl-C.
    public var followLimit: Double?

    public init(app: String, environment: String, lines: Int = 100, follow: Bool = false, sinceSeconds: Int? = nil,
                container: String? = nil, timestamps: Bool = false, grep: String? = nil, followLimit: Double? = nil) {
        self.app = app
        self.environment = environment
        self.lines = lines
        self.follow = follow
        self.sinceSeconds = sinceSeconds
        self.container = container
        self.timestamps = timestamps
        self.grep = grep
        self.followLimit = followLimit
    }
}
