import Foundation
import PlatformCore
#if canImport(Glibc)
import Glibc
#endif

/// A place text goes: the process's stdout/stderr, or a buffer in tests.
public protocol TextSink: Sendable {
    func write(_ text: String)
    func write(_ data: Data)
}

/// Writes straight to a file descriptor (no buffering beyond the kernel's), whole writes at a time.
public final class FileDescriptorSink: TextSink, @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()

    public init(fd: Int32) { self.fd = fd }

    public func write(_ text: String) { write(Data(text.utf8)) }

    public func write(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        FileDescriptorIO.writeAll(fd, data)
    }
}

/// The streams a command talks through, and what they are connected to.
public struct IOStreams: Sendable {
    public var stdout: TextSink
    public var stderr: TextSink
    public var stdinIsTTY: Bool
    public var stdoutIsTTY: Bool
    public var stderrIsTTY: Bool
    /// stdout is this process's file descriptor 1, so a child may write to it directly.
    public var stdoutIsProcessStdout = false
    /// Raw stdin, for commands that read documents from it (none yet besides prompts).
    public var readLine: @Sendable () -> String?
    /// The width of the terminal on stderr now (nil: not a terminal, or unknown); read at each redraw
    /// of the live progress line, so a resized window is followed.
    public var stderrColumns: @Sendable () -> Int? = { nil }

    public init(stdout: TextSink, stderr: TextSink, stdinIsTTY: Bool = false, stdoutIsTTY: Bool = false,
                stderrIsTTY: Bool = false, readLine: @escaping @Sendable () -> String? = { nil }) {
        self.stdout = stdout
        self.stderr = stderr
        self.stdinIsTTY = stdinIsTTY
        self.stdoutIsTTY = stdoutIsTTY
        self.stderrIsTTY = stderrIsTTY
        self.readLine = readLine
    }

    public static func system() -> IOStreams {
        var streams = IOStreams(stdout: FileDescriptorSink(fd: 1), stderr: FileDescriptorSink(fd: 2),
                                stdinIsTTY: isatty(0) == 1, stdoutIsTTY: isatty(1) == 1, stderrIsTTY: isatty(2) == 1,
                                readLine: { Swift.readLine() })
        streams.stdoutIsProcessStdout = true
        streams.stderrColumns = { terminalColumns(fd: 2) }
        return streams
    }

    /// The terminal's width in columns (TIOCGWINSZ), nil when `fd` is no terminal or reports 0.
    public static func terminalColumns(fd: Int32) -> Int? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    /// Prompts are allowed only when a person is at both ends.
    public var canPrompt: Bool { stdinIsTTY && stdoutIsTTY }

    /// gh's rule: colour on a TTY unless NO_COLOR is set or TERM is dumb; CLICOLOR_FORCE forces it.
    public static func colorEnabled(isTTY: Bool, environment: [String: String], noColorFlag: Bool) -> Bool {
        if noColorFlag { return false }
        if let force = environment["CLICOLOR_FORCE"], !force.isEmpty, force != "0" { return true }
        if environment["NO_COLOR"].map({ !$0.isEmpty }) ?? false { return false }
        if environment["TERM"] == "dumb" { return false }
        // CI systems set CI=true; their log viewers are no terminal (docs/ci.md: no colour, no prompts).
        if ["true", "1"].contains(environment["CI"]?.lowercased() ?? "") { return false }
        return isTTY
    }
}

/// How phases and messages reach stderr (`--progress`).
public enum ProgressMode: String, Sendable, Equatable, CaseIterable {
    /// `tty` when stderr is a terminal (and TERM is not dumb), else `plain`.
    case auto
    /// One line per message and per finished phase; no control characters but colour when allowed.
    case plain
    /// Each phase is one line updated in place (spinner, elapsed time), ending `✓ TITLE (SUMMARY) 1.2s`.
    case tty
    /// One JSON event per line (docs/progress.md).
    case json

    public func resolved(stderrIsTTY: Bool, environment: [String: String]) -> ProgressMode {
        guard self == .auto else { return self }
        return stderrIsTTY && environment["TERM"] != "dumb" ? .tty : .plain
    }
}

/// Progress and diagnostics on stderr, with colour only when allowed. Messages often carry text from
/// others (pod and event messages, tool output, names from files): their control characters are
/// escaped (`TerminalText`, lines kept) before our own colour codes are added.
public struct Console: Sendable, ProgressReporter {
    public let io: IOStreams
    public let color: Bool
    public let quiet: Bool
    /// Never `.auto`.
    public let mode: ProgressMode
    /// Tool output (Terraform, kubectl) is shown only with `-v`.
    public let verbose: Bool
    private let line: ProgressLine?

    public init(io: IOStreams, color: Bool, quiet: Bool, mode: ProgressMode = .plain, verbose: Bool = true) {
        self.io = io
        self.color = color
        self.quiet = quiet
        self.mode = mode == .auto ? .plain : mode
        self.verbose = verbose
        self.line = self.mode == .tty ? ProgressLine(sink: io.stderr, color: color, columns: io.stderrColumns) : nil
    }

    public func progress(_ message: String) {
        guard !quiet else { return }
        if mode == .json { return event(.message(level: "info", message)) }
        write(paint("==> ", "1;34") + TerminalText.forHuman(message) + "\n")
    }

    public func detail(_ message: String) {
        guard !quiet else { return }
        if mode == .json { return event(.message(level: "detail", message)) }
        let shown = TerminalText.forHuman(message)
        write(shown.hasSuffix("\n") ? shown : shown + "\n")
    }

    public func warning(_ message: String) {
        if mode == .json { return event(.message(level: "warning", message)) }
        write(paint("warning: ", "1;33") + TerminalText.forHuman(message) + "\n")
    }

    /// The one-line error, the same text in every mode (`--progress=json` too: scripts read it as usual).
    public func error(_ message: String) {
        write(paint("error: ", "1;31") + TerminalText.forHuman(message) + "\n")
    }

    public func success(_ message: String) {
        guard !quiet else { return }
        if mode == .json { return event(.message(level: "success", message)) }
        write(paint("✓ ", "32") + TerminalText.forHuman(message) + "\n")
    }

    public func toolOutput(_ line: String) {
        guard verbose, !quiet else { return }
        if mode == .json { return event(ProgressEvent(event: "output", message: line)) }
        detail(line)
    }

    public func phaseStarted(_ phase: ProgressPhase) {
        switch mode {
        case .json: event(ProgressEvent(event: "phase_started", phase: phase))
        case .tty where !quiet: line?.start(phase.title)
        default: break  // plain: the phase's one line comes when it ends
        }
    }

    public func phaseUpdated(_ phase: ProgressPhase, _ text: String, counts: [String: Int]) {
        switch mode {
        case .json: event(ProgressEvent(event: "phase_updated", phase: phase, message: text, counts: counts))
        case .tty where !quiet: line?.update(TerminalText.escape(text))
        case .plain where !quiet: detail("  " + text)
        default: break
        }
    }

    public func phaseFinished(_ phase: ProgressPhase, summary: String?, counts: [String: Int], seconds: Double) {
        if mode == .json {
            return event(ProgressEvent(event: "phase_finished", phase: phase, summary: summary, counts: counts,
                                       seconds: (seconds * 1000).rounded() / 1000, ok: true))
        }
        guard !quiet else { return }
        let text = paint("✓ ", "32") + phase.title + (summary.map { " (\(TerminalText.escape($0)))" } ?? "") + " "
            + Self.format(seconds: seconds)
        if let line { line.finish(text) } else { write(text + "\n") }
    }

    public func phaseFailed(_ phase: ProgressPhase, seconds: Double) {
        if mode == .json {
            return event(ProgressEvent(event: "phase_finished", phase: phase, seconds: (seconds * 1000).rounded() / 1000, ok: false))
        }
        let text = paint("✗ ", "31") + phase.title + " failed after " + Self.format(seconds: seconds)
        if let line { line.finish(text) } else { write(text + "\n") }
    }

    /// `0.4s`, `12.3s`, `2m05s`.
    public static func format(seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        return String(format: "%dm%02ds", whole / 60, whole % 60)
    }

    public func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// A line above the live phase line (which is drawn again below it), or just the line.
    private func write(_ text: String) {
        if let line { line.printAbove(text) } else { io.stderr.write(text) }
    }

    private func event(_ value: ProgressEvent) {
        guard let data = try? ProgressEvent.encoder.encode(value) else { return }
        io.stderr.write(data + Data("\n".utf8))
    }
}

/// One `--progress=json` line. Schema: docs/progress.md.
struct ProgressEvent: Encodable {
    var event: String
    var time: String = ProgressEvent.now()
    var phase: String?
    var title: String?
    var level: String?
    var message: String?
    var summary: String?
    var counts: [String: Int]?
    var seconds: Double?
    var ok: Bool?

    init(event: String, phase: ProgressPhase? = nil, level: String? = nil, message: String? = nil, summary: String? = nil,
         counts: [String: Int]? = nil, seconds: Double? = nil, ok: Bool? = nil) {
        self.event = event
        self.phase = phase?.id
        self.title = phase?.title
        self.level = level
        self.message = message
        self.summary = summary
        self.counts = counts.flatMap { $0.isEmpty ? nil : $0 }
        self.seconds = seconds
        self.ok = ok
    }

    static func message(level: String, _ text: String) -> ProgressEvent {
        ProgressEvent(event: "message", level: level, message: text)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}

/// The live line of the running phase on a terminal: spinner, title, latest update, elapsed time,
/// redrawn every 100 ms (carriage return and erase-line; nothing else moves the cursor).
/// The line is cut to three columns less than the terminal's width (the update ends in `…`, the
/// elapsed time stays): a line that wrapped would leave a row behind at every redraw, since the
/// carriage return only goes back to the start of the last row. The three columns are the cursor's
/// and those of the `^C` the terminal itself echoes on Ctrl-C, so the interrupted phase's `✗` line
/// still replaces the live line instead of landing below it.
final class ProgressLine: @unchecked Sendable {
    private let sink: TextSink
    private let color: Bool
    private let columns: @Sendable () -> Int?
    private let lock = NSLock()
    private var title: String?
    private var text = ""
    private var started = Date()
    private var frame = 0
    private var timer: DispatchSourceTimer?
    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    init(sink: TextSink, color: Bool, columns: @escaping @Sendable () -> Int? = { nil }) {
        self.sink = sink
        self.color = color
        self.columns = columns
    }

    func start(_ title: String) {
        lock.lock()
        defer { lock.unlock() }
        stopTimer()
        self.title = title
        text = ""
        started = Date()
        draw()
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.lock()
            defer { self.lock.unlock() }
            self.frame += 1
            self.draw()
        }
        self.timer = timer
        timer.resume()
    }

    func update(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        self.text = text
        draw()
    }

    func finish(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        stopTimer()
        sink.write("\r\u{1B}[K" + line + "\n")
        title = nil
    }

    func printAbove(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        guard title != nil else { return sink.write(text) }
        sink.write("\r\u{1B}[K" + text)
        draw()
    }

    private func draw() {
        guard let title else { return }
        let spinner = Self.frames[frame % Self.frames.count]
        var body = title + (text.isEmpty ? "" : ": " + text)
        var elapsed = " " + Console.format(seconds: Date().timeIntervalSince(started))
        if let width = columns() {
            // "⠸ " + body + elapsed in width - 3 columns; on a very narrow terminal the time goes too.
            let room = width - 3 - 2 - Self.width(of: elapsed)
            if room >= 8 {
                body = Self.cut(body, to: room)
            } else {
                body = Self.cut(body, to: max(width - 3 - 2, 1))
                elapsed = ""
            }
        }
        sink.write("\r\u{1B}[K" + (color ? "\u{1B}[36m\(spinner)\u{1B}[0m" : spinner) + " " + body + elapsed)
    }

    /// `text` in at most `columns` terminal columns, ending in `…` when it was cut.
    static func cut(_ text: String, to columns: Int) -> String {
        guard width(of: text) > columns else { return text }
        var kept = ""
        var used = 0
        for character in text {
            let next = width(of: character)
            if used + next > columns - 1 { break }
            kept.append(character)
            used += next
        }
        return kept + "…"
    }

    /// Columns a terminal gives `text`: 2 for East Asian wide and fullwidth characters and emoji,
    /// 1 for the rest (control characters were escaped before; a combining mark is part of its Character).
    static func width(of text: String) -> Int {
        text.reduce(0) { $0 + width(of: $1) }
    }

    static func width(of character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first?.value else { return 0 }
        let wide: [ClosedRange<UInt32>] = [0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
                                           0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
                                           0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD]
        return wide.contains { $0.contains(scalar) } ? 2 : 1
    }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
    }

    deinit { timer?.cancel() }
}
