import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
        let failure = FileDescriptorIO.writeAll(fd, line)
        guard failure == 0 else {
            throw PlatformError.failed("cannot write \(path): " + String(cString: strerror(failure)))
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
