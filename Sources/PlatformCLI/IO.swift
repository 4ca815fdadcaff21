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
        return streams
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

/// Progress and diagnostics on stderr, with colour only when allowed. Messages often carry text from
/// others (pod and event messages, tool output, names from files): their control characters are
/// escaped (`TerminalText`, lines kept) before our own colour codes are added.
public struct Console: Sendable, ProgressReporter {
    public let io: IOStreams
    public let color: Bool
    public let quiet: Bool

    public init(io: IOStreams, color: Bool, quiet: Bool) {
        self.io = io
        self.color = color
        self.quiet = quiet
    }

    public func progress(_ message: String) {
        guard !quiet else { return }
        io.stderr.write(paint("==> ", "1;34") + TerminalText.forHuman(message) + "\n")
    }

    public func detail(_ message: String) {
        guard !quiet else { return }
        let shown = TerminalText.forHuman(message)
        io.stderr.write(shown.hasSuffix("\n") ? shown : shown + "\n")
    }

    public func warning(_ message: String) {
        io.stderr.write(paint("warning: ", "1;33") + TerminalText.forHuman(message) + "\n")
    }

    public func error(_ message: String) {
        io.stderr.write(paint("error: ", "1;31") + TerminalText.forHuman(message) + "\n")
    }

    public func success(_ message: String) {
        guard !quiet else { return }
        io.stderr.write(paint("✓ ", "32") + TerminalText.forHuman(message) + "\n")
    }

    public func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
