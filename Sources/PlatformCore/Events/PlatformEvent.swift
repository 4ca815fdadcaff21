import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One line of `events.jsonl`: what one `platform` run did. The metrics are computed from these.
public struct PlatformEvent: Codable, Sendable, Equatable {
    /// When the command finished.
    public var time: Date
    public var command: String
    /// The app (first positional of commands that take NAME).
    public var app: String?
    public var environment: String?
    /// `ok` or `error`.
    public var result: String
    public var exitCode: Int32
    public var durationSeconds: Double
    /// `PlatformError.kind` when the run failed.
    public var errorType: String?
    /// Deploys: the image that was deployed.
    public var image: String?
    /// Deploys and rollbacks that applied their image: `success`, `rolled_back` or `failed`; nil when
    /// the run stopped before changing the image (then it is no deployment for the metrics).
    public var outcome: String?
    /// Deploys whose image tag is a git commit: the commit and when it was committed (for lead time).
    public var commit: String?
    public var committedAt: Date?
    /// `--dry-run` runs changed nothing; the metrics leave them out.
    public var dryRun: Bool?

    public init(time: Date, command: String, app: String? = nil, environment: String? = nil, result: String,
                exitCode: Int32, durationSeconds: Double, errorType: String? = nil, image: String? = nil,
                outcome: String? = nil, commit: String? = nil, committedAt: Date? = nil, dryRun: Bool? = nil) {
        self.dryRun = dryRun
        self.time = time
        self.command = command
        self.app = app
        self.environment = environment
        self.result = result
        self.exitCode = exitCode
        self.durationSeconds = durationSeconds
        self.errorType = errorType
        self.image = image
        self.outcome = outcome
        self.commit = commit
        self.committedAt = committedAt
    }

    public enum Outcome {
        public static let success = "success"
        public static let rolledBack = "rolled_back"
        public static let failed = "failed"
    }

    /// The commands whose events are deployments (when they carry an outcome): `deploy` and
    /// `rollback`, which re-deploys an earlier image through the same path.
    public static let deployCommands: Set<String> = ["deploy", "rollback", "promote"]

    /// The outcome of a deploy that applied its image, from the error it ended with (nil = success).
    public static func deployOutcome(errorType: String?) -> String {
        switch errorType {
        case nil: return Outcome.success
        case "deploy_rolled_back"?: return Outcome.rolledBack
        default: return Outcome.failed
        }
    }

    /// The commit fields from a release's commit (its time, when known, for lead time).
    public mutating func record(_ commit: Release.Commit) {
        self.commit = commit.sha
        committedAt = commit.time.flatMap(parseTimestamp)
    }

    /// The commit an image tag names: a 7-40 digit hex tag, optionally after a prefix ending in '-'
    /// (`3f2a9c1`, `sha-3f2a9c1`, `1.4.0-3f2a9c1`). Git decides whether it really is a commit.
    public static func commitCandidate(image: String) -> String? {
        guard let tag = Validate.splitImage(image).tag?.lowercased() else { return nil }
        let last = tag.split(separator: "-").last.map(String.init) ?? tag
        guard (7...40).contains(last.count), last.allSatisfy({ $0.isHexDigit }),
              last.contains(where: { $0.isLetter }) || last.count >= 12 else { return nil }
        return last
    }
}
