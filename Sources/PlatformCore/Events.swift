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
    public static let deployCommands: Set<String> = ["deploy", "rollback"]

    /// The outcome of a deploy that applied its image, from the error it ended with (nil = success).
    public static func deployOutcome(errorType: String?) -> String {
        switch errorType {
        case nil: return Outcome.success
        case "deploy_rolled_back"?: return Outcome.rolledBack
        default: return Outcome.failed
        }
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

/// What a command reports about its run, beyond success or failure, for the event log (and the exit
/// status of commands that print a result and still fail, like `doctor`). A reference type so the
/// `CommandContext` copies a command gets all point to the same record.
public final class RunDetails: @unchecked Sendable {
    private let lock = NSLock()
    private var _app: String?
    private var _image: String?
    private var _outcome: String?
    private var _exitStatus: Int32?
    private var _errorType: String?
    private var _environment: String?
    private var _appliedImage: String?

    public init() {}

    /// The details of the run in progress, bound by the CLI around a command's run, for the services
    /// that report what only they know (`deployApplied`) without a `CommandContext`. nil outside a run.
    @TaskLocal public static var current: RunDetails?

    /// Overrides the app recorded (default: the first positional of a command taking NAME).
    public var app: String? {
        get { lock.withLock { _app } }
        set { lock.withLock { _app = newValue } }
    }
    /// The image deployed (default: the `--image` option).
    public var image: String? {
        get { lock.withLock { _image } }
        set { lock.withLock { _image = newValue } }
    }
    /// Overrides the environment recorded (default: the environment the command line and the user
    /// config chose, for commands that use `-e`).
    public var environment: String? {
        get { lock.withLock { _environment } }
        set { lock.withLock { _environment = newValue } }
    }
    /// `success`, `rolled_back` or `failed`: overrides the outcome of a deploy or rollback, and makes it
    /// count as a deployment even if `deployApplied` was not called.
    public var outcome: String? {
        get { lock.withLock { _outcome } }
        set { lock.withLock { _outcome = newValue } }
    }
    /// A deploy or rollback calls this once it has applied `image` to the Deployment: from then on
    /// the run is a deployment for the metrics, its outcome taken from how it ends. Runs that stop
    /// before (app not found, cluster unreachable, bad input) are not deployments.
    public func deployApplied(image: String) {
        lock.withLock { if _appliedImage == nil { _appliedImage = image } }
    }
    /// The image `deployApplied` reported first; nil when no image was applied.
    public var appliedImage: String? { lock.withLock { _appliedImage } }
    /// Ask the CLI to exit with this status after a run that printed its result without throwing
    /// (e.g. `doctor` printing its checks and exiting 1), recorded with `errorType`.
    public func fail(status: Int32, errorType: String) {
        lock.withLock {
            _exitStatus = status
            _errorType = errorType
        }
    }
    public var exitStatus: Int32? { lock.withLock { _exitStatus } }
    public var errorType: String? { lock.withLock { _errorType } }
}

/// The append-only event log `events.jsonl` in the state folder.
public struct EventLog: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public static let fileName = "events.jsonl"

    /// The platform's state folder, as for the Terraform workspaces (`StateDirectory.resolve`):
    /// `$PLATFORM_STATE_DIR`, else `$XDG_STATE_HOME/platform` when that is an absolute path, else
    /// `~/.local/state/platform`. Always a folder; optional for the callers that check.
    public static func stateDirectory(environment: [String: String]) -> String? {
        StateDirectory.resolve(environment: environment)
    }

    public static func standard(environment: [String: String]) -> EventLog? {
        stateDirectory(environment: environment).map { EventLog(path: $0 + "/" + fileName) }
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTimestamp(date))
        }
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
            }
            return date
        }
        return decoder
    }

    /// Appends one event as one line with a single `write(2)` on an `O_APPEND` descriptor, so concurrent
    /// runs never interleave inside a line. Creates the state folder when missing.
    public func append(_ event: PlatformEvent) throws {
        var line = try Self.encoder().encode(event)
        line.append(UInt8(ascii: "\n"))
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw PlatformError.failed("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written: Int = line.withUnsafeBytes { raw in
            var result: Int
            repeat { result = write(fd, raw.baseAddress, raw.count) } while result < 0 && errno == EINTR
            return result
        }
        guard written == line.count else {
            throw PlatformError.failed("cannot write \(path): "
                                       + (written < 0 ? String(cString: strerror(errno)) : "short write"))
        }
    }

    /// All events in the log, oldest first; lines that are not events (a torn or foreign line) are
    /// skipped and counted. A missing log is empty.
    public func read() throws -> (events: [PlatformEvent], skipped: Int) {
        guard FileManager.default.fileExists(atPath: path) else { return ([], 0) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlatformError.failed("cannot read \(path)")
        }
        let decoder = Self.decoder()
        var events: [PlatformEvent] = []
        var skipped = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ $0 == 32 || $0 == 13 }) {
            if let event = try? decoder.decode(PlatformEvent.self, from: Data(line)) {
                events.append(event)
            } else {
                skipped += 1
            }
        }
        return (events.sorted { $0.time < $1.time }, skipped)
    }
}

/// RFC 3339 in UTC with milliseconds (`2026-11-24T20:15:02.123Z`). Computed with `gmtime_r`, without
/// a date formatter: no time zone or ICU data is loaded to record an event.
public func formatTimestamp(_ date: Date) -> String {
    let milliseconds = (date.timeIntervalSince1970 * 1000).rounded(.down)
    let secondsPart = (milliseconds / 1000).rounded(.down)
    var seconds = time_t(secondsPart)
    var fields = tm()
    guard gmtime_r(&seconds, &fields) != nil else { return "1970-01-01T00:00:00.000Z" }
    func padded(_ value: Int32, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    return padded(fields.tm_year + 1900, 4) + "-" + padded(fields.tm_mon + 1, 2) + "-" + padded(fields.tm_mday, 2)
        + "T" + padded(fields.tm_hour, 2) + ":" + padded(fields.tm_min, 2) + ":" + padded(fields.tm_sec, 2)
        + "." + padded(Int32(milliseconds - secondsPart * 1000), 3) + "Z"
}

/// Reads RFC 3339 times with or without fractional seconds.
public func parseTimestamp(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)
}

/// Builds and records the event of one CLI run. Never throws: a failure to record is returned as a
/// message for one warning on stderr.
public struct EventRecorder: Sendable {
    public let log: EventLog?
    public let runner: CommandRunner?

    public init(log: EventLog?, runner: CommandRunner?) {
        self.log = log
        self.runner = runner
    }

    /// Fills the commit fields of a deploy event whose image tag is a commit of the git repository in
    /// `directory` (`git show -s --format=%cI SHA`); leaves them empty otherwise.
    public func withCommit(_ event: PlatformEvent, directory: String) async -> PlatformEvent {
        guard let runner, let image = event.image, let candidate = PlatformEvent.commitCandidate(image: image) else {
            return event
        }
        let command = Command("git", ["-C", directory, "show", "-s", "--format=%H %cI", candidate + "^{commit}"])
        guard let result = try? await runner.capture(command, limit: 4096), result.succeeded else { return event }
        let fields = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard fields.count == 2, let date = parseTimestamp(String(fields[1])) else { return event }
        var event = event
        event.commit = String(fields[0])
        event.committedAt = date
        return event
    }

    /// Appends the event; returns a warning message when it could not be recorded.
    public func record(_ event: PlatformEvent) -> String? {
        guard let log else { return nil }
        do {
            try log.append(event)
            return nil
        } catch {
            return "could not record the run in \(log.path): \(error)"
        }
    }
}
