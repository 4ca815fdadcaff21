import Foundation

/// Terraform's machine-readable UI (`plan`/`apply -json`, UI version 1.x): one JSON object per line
/// with `@level`, `@message` and `type`. Rendered for people as a few plain lines; never shown raw.
enum TerraformUI {
    /// Message types shown as their `@message` ("module.x.y: Creating...", "Apply complete! ...").
    static let shown: Set<String> = [
        "planned_change", "resource_drift", "change_summary",
        "apply_start", "apply_progress", "apply_complete", "apply_errored",
        "provision_start", "provision_progress", "provision_errored", "log",
    ]

    /// The lines to show for one message (none for `version`, `outputs`, refreshes and other chatter).
    static func render(_ message: JSONValue) -> [String] {
        let type = message["type"]?.stringValue ?? ""
        let text = message["@message"]?.stringValue ?? ""
        switch type {
        case "diagnostic":
            return renderDiagnostic(message["diagnostic"], message: text)
        case _ where shown.contains(type):
            return text.isEmpty ? [] : [text]
        default:
            // Unknown or unlisted types are shown only when Terraform calls them errors.
            return message["@level"]?.stringValue == "error" && !text.isEmpty ? [text] : []
        }
    }

    /// "Error: SUMMARY", where it is ("  on main.tf line 2"), and the detail, indented.
    static func renderDiagnostic(_ diagnostic: JSONValue?, message: String) -> [String] {
        var lines: [String] = []
        if !message.isEmpty {
            lines.append(message)
        } else if let summary = diagnostic?["summary"]?.stringValue {
            let severity = diagnostic?["severity"]?.stringValue == "warning" ? "Warning" : "Error"
            lines.append("\(severity): \(summary)")
        }
        if let file = diagnostic?["range", "filename"]?.stringValue, let line = diagnostic?["range", "start", "line"]?.intValue {
            lines.append("  on \(file) line \(line)")
        }
        let detail = diagnostic?["detail"]?.stringValue ?? ""
        for line in detail.split(separator: "\n", omittingEmptySubsequences: true) {
            lines.append("  " + line.trimmingCharacters(in: .whitespaces))
        }
        return lines
    }

    /// The values of an `outputs` message sent after an apply (`{NAME: {sensitive, type, value}}`);
    /// nil for the planned-outputs message (entries carry `action`) or an entry without a value.
    static func appliedOutputs(_ message: JSONValue) -> [String: JSONValue]? {
        guard let entries = message["outputs"]?.objectValue else { return nil }
        var values: [String: JSONValue] = [:]
        for (key, entry) in entries {
            guard entry.objectValue != nil, entry["action"] == nil else { return nil }
            if entry["sensitive"]?.boolValue == true {
                values[key] = .string("(sensitive)")
            } else if let value = entry["value"] {
                values[key] = value
            } else {
                return nil
            }
        }
        return values
    }
}

/// Splits a child's two streams into lines and passes each (redacted) to the reporter; keeps the last
/// lines for the error message. In machine-readable mode a line that is a Terraform JSON UI message is
/// rendered (`TerraformUI`) instead of shown, and the last `outputs` message is kept; other lines
/// (text on stderr) pass through as they are.
final class LineForwarder: @unchecked Sendable {
    private let lock = NSLock()
    private var out = LineSplitter()
    private var err = LineSplitter()
    private var last: [String] = []
    private var errors: [String] = []
    private var supportedUI = false
    private var lastOutputs: JSONValue?
    private var lastChanges: [String: Int]?
    private let reporter: ProgressReporter
    private let redactor: Redactor
    private let machineReadable: Bool
    /// The lines are the result (a dry run's plan): details, shown without `-v` too.
    private let isResult: Bool

    init(reporter: ProgressReporter, redactor: Redactor, machineReadable: Bool = false, isResult: Bool = false) {
        self.reporter = reporter
        self.redactor = redactor
        self.machineReadable = machineReadable
        self.isResult = isResult
    }

    func feedOut(_ chunk: Data) { feed(chunk, error: false) }
    func feedErr(_ chunk: Data) { feed(chunk, error: true) }

    private func feed(_ chunk: Data, error: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let lines = error ? err.feed(chunk) : out.feed(chunk)
        lines.forEach(take)
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if let rest = out.finish() { take(rest) }
        if let rest = err.finish() { take(rest) }
    }

    private func take(_ line: Data) {
        if machineReadable, line.first == UInt8(ascii: "{"),
           let message = try? JSONDecoder().decode(JSONValue.self, from: line),
           let type = message["type"]?.stringValue {
            switch type {
            case "version":
                // UI 1.x is the documented format; another major version is not trusted for outputs.
                supportedUI = message["ui"]?.stringValue.map { $0 == "1" || $0.hasPrefix("1.") } ?? false
            case "outputs":
                lastOutputs = message
            case "change_summary":
                // UI 1.x: {"changes": {"add": 1, "change": 0, "remove": 0, "operation": "apply"}}
                var counts: [String: Int] = [:]
                for key in ["add", "change", "remove"] { counts[key] = message["changes", key]?.intValue }
                lastChanges = counts
            default:
                break
            }
            let rendered = TerraformUI.render(message)
            let isError = type == "diagnostic" && message["diagnostic", "severity"]?.stringValue == "error"
            for text in rendered {
                let shown = redactor.redact(text)
                emit(shown)
                if isError { errors.append(shown) }
            }
            return
        }
        let text = redactor.redact(String(decoding: line, as: UTF8.self))
        emit(text.hasSuffix("\n") ? String(text.dropLast()) : text)
    }

    private func emit(_ text: String) {
        if isResult { reporter.detail(text) } else { reporter.toolOutput(text) }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty {
            last.append(trimmed)
            if last.count > 12 { last.removeFirst(last.count - 12) }
        }
    }

    /// The last lines shown, or — when Terraform reported errors — the last lines of those errors.
    var tail: String {
        lock.lock()
        defer { lock.unlock() }
        let lines = errors.isEmpty ? last : errors.suffix(12).map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.joined(separator: "\n")
    }

    /// The counts of the last `change_summary` message (UI 1.x only).
    var changes: [String: Int]? {
        lock.lock()
        defer { lock.unlock() }
        return supportedUI ? lastChanges : nil
    }

    /// The outputs from the last `outputs` message, when it is the after-apply kind in UI 1.x.
    var outputs: [String: JSONValue]? {
        lock.lock()
        defer { lock.unlock() }
        guard supportedUI, let lastOutputs else { return nil }
        return TerraformUI.appliedOutputs(lastOutputs)
    }
}
