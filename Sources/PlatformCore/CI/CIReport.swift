import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a deploy, rollback, promote or create tells the CI system it runs in: a Markdown summary
/// appended to `$GITHUB_STEP_SUMMARY` and step outputs appended to `$GITHUB_OUTPUT` (GitHub Actions'
/// workflow commands; docs/ci.md). Never holds a secret: only names, the image, the result, the URL.
public struct CIReport: Sendable, Equatable {
    public var command: String
    public var app: String
    public var environment: String
    public var image: String?
    /// `succeeded`, `applied`, `rolled-back`, `failed`, `unchanged`, `created`, `planned`, `error`.
    public var result: String
    public var revision: Int?
    public var url: String?
    /// Why it failed, for a failure.
    public var reason: String?

    public init(command: String, app: String, environment: String, image: String? = nil, result: String,
                revision: Int? = nil, url: String? = nil, reason: String? = nil) {
        self.command = command
        self.app = app
        self.environment = environment
        self.image = image
        self.result = result
        self.revision = revision
        self.url = url
        self.reason = reason
    }

    public var succeeded: Bool { ["succeeded", "applied", "unchanged", "created", "planned"].contains(result) }

    /// The step outputs, in a fixed order; only those that apply.
    public var outputs: [(key: String, value: String)] {
        var pairs: [(String, String)] = [("app", app), ("environment", environment), ("result", result)]
        if let image { pairs.append(("image", image)) }
        if let revision { pairs.append(("revision", String(revision))) }
        if let url { pairs.append(("url", url)) }
        return pairs
    }

    /// `key=value` lines; a value with a line break (it never should have one) uses the delimiter form.
    public func outputLines() -> String {
        outputs.map { key, value in
            guard value.contains(where: \.isNewline) else { return "\(key)=\(value)\n" }
            var delimiter = "PLATFORM_EOF"
            while value.contains(delimiter) { delimiter += "_" }
            return "\(key)<<\(delimiter)\n\(value)\n\(delimiter)\n"
        }.joined()
    }

    /// A short Markdown table for the job summary.
    public func markdown() -> String {
        let mark = succeeded ? "✅" : "❌"
        var text = "### \(mark) platform \(command) \(Self.cell(app)) → \(Self.cell(environment))\n\n"
        text += "| app | environment | image | result | release | URL |\n| --- | --- | --- | --- | --- | --- |\n"
        text += "| \(Self.cell(app)) | \(Self.cell(environment)) | "
            + (image.map { "`" + Self.cell($0).replacingOccurrences(of: "`", with: "'") + "`" } ?? "–")
            + " | \(Self.cell(result)) | " + (revision.map(String.init) ?? "–") + " | "
            + (url.map(Self.cell) ?? "–") + " |\n"
        if let reason { text += "\n" + Self.cell(reason) + "\n" }
        return text + "\n"
    }

    /// Text for one table cell: control characters and line breaks as spaces, `|` escaped.
    static func cell(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
            .replacingOccurrences(of: "|", with: "\\|")
    }

    /// Appends the summary and the outputs to the files GitHub names in the environment; a warning
    /// for each file that could not be written (the command's result stands either way).
    public func write(environment: [String: String]) -> [String] {
        var warnings: [String] = []
        for (variable, text) in [("GITHUB_STEP_SUMMARY", markdown()), ("GITHUB_OUTPUT", outputLines())] {
            guard let path = environment[variable], !path.isEmpty else { continue }
            if let problem = Self.append(text, to: path) {
                warnings.append("could not write \(variable) (\(path)): \(problem)")
            }
        }
        return warnings
    }

    /// One O_APPEND write, so concurrent steps writing the same file do not interleave lines.
    static func append(_ text: String, to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        let failed = FileDescriptorIO.writeAll(fd, Data(text.utf8))
        return failed == 0 ? nil : String(cString: strerror(failed))
    }
}
