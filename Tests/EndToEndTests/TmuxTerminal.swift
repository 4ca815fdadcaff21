import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// A real terminal for a test: a tmux server of its own (socket under the sandbox, no user config),
/// one window of a fixed size, in which a program runs; then the screen as tmux draws it.
///
/// The config file sets `remain-on-exit` before the first pane starts, so the pane (and what it
/// showed) stays after the program exits, however fast that is, and tmux keeps its exit status.
/// tmux moves the screen into its history when the pane dies, so `transcript()` reads the history
/// too (`capture-pane -S -`): every row the program left, on the screen or scrolled off it.
final class TmuxTerminal: @unchecked Sendable {
    let sandbox: Sandbox
    let socket = "platform-test-" + UUID().uuidString.prefix(8).lowercased()
    private var started = false
    /// The session of the latest `run` (one per run; earlier ones stay, their panes dead).
    private var session = "run0"

    init(sandbox: Sandbox) throws {
        self.sandbox = sandbox
        try sandbox.write(sandbox.root + "/tmux.conf", "set-option -g remain-on-exit on\nset-option -g history-limit 10000\n")
    }

    /// Finds tmux; skips when missing outside CI, fails in CI (scripts/install-test-shells.sh installs it).
    static func requireTmux() throws {
        let found = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/tmux") }
        guard !found else { return }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail("tmux is missing (Debian package tmux); scripts/install-test-shells.sh installs it")
        }
        throw XCTSkip("tmux is missing (Debian package tmux); run scripts/install-test-shells.sh")
    }

    /// The tmux client's own environment: the socket under the sandbox, UTF-8.
    private var clientEnvironment: [String: String] {
        sandbox.environment(extra: ["TMUX_TMPDIR": sandbox.root])
    }

    @discardableResult
    func tmux(_ arguments: [String]) async throws -> CommandResult {
        let result = try await runProgram(["tmux", "-L", socket, "-f", sandbox.root + "/tmux.conf"] + arguments,
                                          environment: clientEnvironment)
        if result.status != 0 { XCTFail("tmux \(arguments.joined(separator: " ")): \(result.stderrText)") }
        return result
    }

    /// Runs `argv` in a new window of `columns`×`rows` with exactly `environment` (plus TERM as tmux
    /// sets it), in `directory`; returns its exit status once it has exited (nil if it did not within
    /// `deadline` seconds: a hang, reported by the caller with the screen).
    func run(_ argv: [String], environment: [String: String], directory: String, columns: Int = 120, rows: Int = 40,
             deadline: Double = 60) async throws -> Int? {
        try await start(argv, environment: environment, directory: directory, columns: columns, rows: rows)
        return try await waitForExit(deadline: deadline)
    }

    /// Starts `argv` as `run` does, without waiting.
    func start(_ argv: [String], environment: [String: String], directory: String, columns: Int = 120, rows: Int = 40) async throws {
        var env = environment
        env["TERM"] = "tmux-256color"
        // `env -i`: the pane gets this environment and nothing from the tmux server's.
        let command = ["env", "-i"] + env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + argv
        session = "run\(Int(session.dropFirst(3))! + 1)"
        try await tmux(["new-session", "-d", "-s", session, "-x", String(columns), "-y", String(rows), "-c", directory] + command)
        started = true
    }

    /// The exit status of the program of the latest `start`, once it has exited (nil: not within `deadline`).
    func waitForExit(deadline: Double = 60) async throws -> Int? {
        let end = Date().addingTimeInterval(deadline)
        while Date() < end {
            let pane = try await tmux(["display-message", "-p", "-t", session, "#{pid} #{pane_dead} #{pane_dead_status}"])
            let fields = pane.stdoutText.trimmingCharacters(in: .newlines).components(separatedBy: " ")
            if fields.count == 3, fields[1] == "1" {
                if let status = Int(fields[2]) { return status }
                // The pane's output has ended but tmux has not reaped the program: Debian's tmux is built
                // with libutempter, whose own SIGCHLD handler (installed while tmux removes the pane's utmp
                // record) can swallow the child's SIGCHLD, leaving a zombie and no status (tmux issue #311;
                // the maintainer's workaround is `pkill -CHLD tmux`). Nudge this test's server only.
                if let server = Int32(fields[0]) { kill(server, SIGCHLD) }
            }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        return nil
    }

    /// Waits until a row of the screen (as drawn now, rows not joined) satisfies `condition`; returns it
    /// (nil: not within `deadline`).
    func waitForRow(deadline: Double = 60, _ condition: (String) -> Bool) async throws -> String? {
        let end = Date().addingTimeInterval(deadline)
        while Date() < end {
            let screen = try await tmux(["capture-pane", "-p", "-t", session]).stdoutText
            if let row = screen.components(separatedBy: "\n").first(where: condition) { return row }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        return nil
    }

    /// Types keys into the pane (`C-c`: Ctrl-C, which the terminal turns into SIGINT).
    func sendKeys(_ keys: String...) async throws {
        try await tmux(["send-keys", "-t", session] + keys)
    }

    /// Every row the program left (history and screen), wrapped rows joined (`-J`), trailing blank
    /// rows and tmux's own "Pane is dead" line dropped.
    func transcript() async throws -> [String] {
        let capture = try await tmux(["capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", session])
        var lines = capture.stdoutText.components(separatedBy: "\n").map { line in
            String(line.reversed().drop { $0 == " " }.reversed())
        }
        lines.removeAll { $0.hasPrefix("Pane is dead") }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    func stop() async {
        guard started else { return }
        _ = try? await runProgram(["tmux", "-L", socket, "kill-server"], environment: clientEnvironment)
        started = false
    }
}
