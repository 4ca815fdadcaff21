import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// `platform secrets set NAME KEY` at a real terminal (a tmux pane running the built binary against
/// the test API server): on a terminal the value is read after a prompt with echo off, so it never
/// shows on the screen; with stdin a pipe there is no prompt and the pipe is read.
final class SecretsTerminalEndToEndTests: XCTestCase {
    let typed = "Tty-5e1f0c-typed-not-shown"
    let piped = "Pipe-93ab7d-read-from-stdin"

    func terminal(_ sandbox: Sandbox) throws -> TmuxTerminal {
        try TmuxTerminal.requireTmux()
        let terminal = try TmuxTerminal(sandbox: sandbox)
        addTeardownBlock { await terminal.stop() }
        return terminal
    }

    /// The values of the Secret the Deployment references now.
    func liveSecrets(_ app: AppFixture) throws -> [String: String] {
        let name = try XCTUnwrap(try app.liveConfig().secrets)
        return try ConfigSet.values(of: try XCTUnwrap(try app.cluster.object(kind: "Secret", namespace: "staging", name: name)),
                                    secret: true)
    }

    func testTheValueTypedAtThePromptNeverShowsAndAPipeIsReadWithoutAPrompt() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let terminal = try terminal(app.sandbox)
        let env = app.environmentVariables

        try await terminal.start([Repo.binary, "secrets", "set", "shop", "API_KEY", "-e", "staging"],
                                 environment: env, directory: app.sandbox.work)
        let prompt = try await terminal.waitForRow(deadline: 30) { $0.hasPrefix("API_KEY:") }
        XCTAssertEqual(prompt?.trimmingCharacters(in: .whitespaces), "API_KEY:", "the prompt, and nothing typed on it")
        try await terminal.sendKeys("-l", typed)
        try await terminal.sendKeys("Enter")
        let status = try await terminal.waitForExit()
        var screen = try await terminal.transcript()
        var shown = screen.joined(separator: "\n")
        XCTAssertEqual(status, 0, shown)
        XCTAssertTrue(screen.contains("Updated secrets of shop in staging: +API_KEY (release 1)"), shown)
        XCTAssertFalse(shown.contains(typed), "the typed value was echoed:\n\(shown)")
        XCTAssertFalse(shown.contains(String(typed.prefix(6))), "part of the typed value was echoed:\n\(shown)")
        XCTAssertEqual(try liveSecrets(app), ["API_KEY": typed])

        // stdin a pipe, stdout and stderr the terminal: no prompt, the pipe's value (its newline dropped).
        try app.sandbox.write("value.txt", piped + "\n")
        try app.sandbox.write("pipe.sh", """
        #!/bin/sh
        cat '\(app.sandbox.root)/value.txt' | '\(Repo.binary)' secrets set shop API_KEY -e staging
        """)
        chmod(app.sandbox.root + "/pipe.sh", 0o755)
        let pipeStatus = try await terminal.run([app.sandbox.root + "/pipe.sh"], environment: env, directory: app.sandbox.work)
        screen = try await terminal.transcript()
        shown = screen.joined(separator: "\n")
        XCTAssertEqual(pipeStatus, 0, shown)
        XCTAssertTrue(screen.contains("Updated secrets of shop in staging: ~API_KEY (release 2)"), shown)
        XCTAssertFalse(shown.contains("API_KEY:"), "no prompt when stdin is a pipe:\n\(shown)")
        XCTAssertFalse(shown.contains(piped), shown)
        XCTAssertEqual(try liveSecrets(app), ["API_KEY": piped])
    }
}
