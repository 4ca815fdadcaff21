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

    /// Size at which the log is rotated: `events.jsonl` becomes `events-YYYYMMDDTHHMMSSZ.jsonl` (the
    /// time of rotation, so every event in it is older) and a new one is started.
    public static let rotateBytes: Int64 = 16 << 20
    /// Rotated files kept; older ones are deleted (at ~16 MiB each, the log stays under ~200 MiB).
    public static let keptArchives = 12
    /// How far before a metrics window events are still read.
    public static let lookBehind: TimeInterval = 31 * 86400

    /// Appends one event as one line with a single `write(2)` on an `O_APPEND` descriptor, so concurrent
    /// runs never interleave inside a line. Creates the state folder when missing; rotates first when
    /// the log reached `rotateBytes` (a rename: a concurrent run appends to the old or the new file,
    /// never loses its line).
    public func append(_ event: PlatformEvent) throws {
        var line = try Self.encoder().encode(event)
        line.append(UInt8(ascii: "\n"))
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        rotateIfLarge(folder: folder, now: event.time)
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

    func rotateIfLarge(folder: String, now: Date) {
        var info = stat()
        guard stat(path, &info) == 0, Int64(info.st_size) >= Self.rotateBytes else { return }
        let stamp = formatTimestamp(now).filter { $0.isNumber || $0 == "T" }.prefix(15)
        let archive = folder + "/events-\(stamp)Z-\(getpid()).jsonl"
        guard rename(path, archive) == 0 else { return }  // someone else rotated it first
        let archives = self.archives(in: folder).sorted()
        for old in archives.dropLast(Self.keptArchives) { unlink(folder + "/" + old) }
    }

    /// The rotated files beside the log (`events-*.jsonl`), by name.
    func archives(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix("events-") && $0.hasSuffix(".jsonl") }
    }

    /// All events in the log and its rotated files, oldest first; lines that are not events (a torn
    /// or foreign line) are skipped and counted. A missing log is empty. With `notBefore`, rotated
    /// files from before it are not opened and older events are dropped while reading: files are
    /// streamed in 1 MiB chunks, so memory grows with the events kept, not with the log.
    public func read(notBefore: Date? = nil) throws -> (events: [PlatformEvent], skipped: Int) {
        let folder = (path as NSString).deletingLastPathComponent
        var files: [String] = []
        for archive in archives(in: folder).sorted() {
            // Every event of an archive is older than its modification (its last append).
            var info = stat()
            if let notBefore, stat(folder + "/" + archive, &info) == 0,
               Double(info.st_mtim.tv_sec) < notBefore.timeIntervalSince1970 { continue }
            files.append(folder + "/" + archive)
        }
        files.append(path)
        let decoder = Self.decoder()
        var events: [PlatformEvent] = []
        var skipped = 0
        for file in files where FileManager.default.fileExists(atPath: file) {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw PlatformError.failed("cannot read \(file)") }
            defer { try? handle.close() }
            var carried = Data()
            func take(_ line: Data) {
                guard !line.allSatisfy({ $0 == 32 || $0 == 13 }) else { return }
                if let event = try? decoder.decode(PlatformEvent.self, from: line) {
                    if notBefore.map({ event.time >= $0 }) ?? true { events.append(event) }
                } else {
                    skipped += 1
                }
            }
            while true {
                let chunk = (try? handle.read(upToCount: 1 << 20)) ?? nil
                guard let chunk, !chunk.isEmpty else { break }
                carried.append(chunk)
                var start = carried.startIndex
                while let newline = carried[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    take(Data(carried[start..<newline]))
                    start = carried.index(after: newline)
                }
                carried = Data(carried[start...])
            }
            take(carried)
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
