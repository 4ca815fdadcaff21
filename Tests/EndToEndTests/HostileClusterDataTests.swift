import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// What anyone with write access to the namespace can put into the cluster (the release history,
/// images, pod messages) and what anyone can put into the event log: the built binary against the
/// test API server never traps on it and never lets it drive the terminal.
final class HostileClusterDataTests: XCTestCase {
    let v2 = "registry.example.com/shop:2.0.0"

    /// Replaces the app's release history with `releases` (raw JSON text, as a teammate's kubectl could).
    func writeHistory(_ app: AppFixture, _ releases: String) async throws {
        let document: JSONValue = .object([
            "apiVersion": .string("v1"), "kind": .string("ConfigMap"),
            "metadata": .object(["name": .string("platform-releases-\(app.name)"), "namespace": .string(app.environment)]),
            "data": .object(["releases": .string(releases)]),
        ])
        _ = try await Kubectl(runner: ProcessRunner(environment: app.environmentVariables), target: KubeTarget())
            .apply([document], fieldManager: "teammate")
    }

    /// The built binary (a trap is exit 132 there, not a crashed test run).
    func binary(_ app: AppFixture, _ arguments: [String]) async throws -> CommandResult {
        try await runProgram([Repo.binary] + arguments + ["-e", app.environment], environment: app.environmentVariables,
                             directory: app.sandbox.work)
    }

    static func release(_ revision: String, message: String = "m", user: String = "ada", rollbackOf: String? = nil) -> String {
        #"{"revision": \#(revision), "image": "registry.example.com/shop:1.0.0", "user": "\#(user)", "time": "2026-11-30T10:00:00Z", "#
            + #""message": "\#(message)", "result": "succeeded", "kind": "\#(rollbackOf == nil ? "deploy" : "rollback")""#
            + (rollbackOf.map { #", "rollbackOf": \#($0)"# } ?? "") + "}"
    }

    func testHugeAndNegativeRevisionsInTheSharedHistoryNeverTrap() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        for (revision, rollbackOf) in [("9223372036854775807", nil), ("-4", nil), ("0", nil), ("3", "-4"),
                                       ("99999999999999999999", nil), ("1.5", nil)] as [(String, String?)] {
            try await writeHistory(app, "[" + Self.release(revision, rollbackOf: rollbackOf) + "]")
            for arguments in [["deploy", "shop", "--image", v2, "--timeout", "30s"], ["releases", "shop"],
                              ["status", "shop"], ["rollback", "shop"]] {
                let run = try await binary(app, arguments)
                XCTAssertEqual(run.status, 1, "\(revision) \(arguments): \(run.stderrText)")
                XCTAssertTrue(run.stderrText.contains("release history in ConfigMap 'platform-releases-shop'"),
                              "\(revision) \(arguments): \(run.stderrText)")
                XCTAssertFalse(run.stdoutText.contains("release -"), run.stdoutText)
            }
            XCTAssertEqual(try app.deployedImage(), "registry.example.com/shop:1.0.0", "nothing deployed (\(revision))")
        }
        // the largest revision there is: the next deploy says the history is full, and deploys nothing
        try await writeHistory(app, "[" + Self.release(String(Int32.max)) + "]")
        let full = try await binary(app, ["deploy", "shop", "--image", v2, "--timeout", "30s"])
        XCTAssertEqual(full.status, 1, full.stderrText)
        XCTAssertTrue(full.stderrText.contains("release history is full"), full.stderrText)
        XCTAssertEqual(try app.deployedImage(), "registry.example.com/shop:1.0.0")
    }

    func testHugeDurationsAreBadInputNotATrap() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        for arguments in [["deploy", "shop", "--image", v2, "--timeout", "99999999999999999999s"],
                          ["deploy", "shop", "--image", v2, "--rollback-timeout", "99999999999999999999s"],
                          ["rollback", "shop", "--timeout", "9999999999d"],
                          ["metrics", "--since", "99999999999999999999d"], ["metrics", "--since", "1e400s"],
                          ["logs", "shop", "--since", "10000000000s"], ["logs", "shop", "--follow-for", "99999999999999h"]] {
            let run = try await binary(app, arguments)
            XCTAssertEqual(run.status, 64, "\(arguments): \(run.stderrText)")
            XCTAssertTrue(run.stderrText.contains("at most 3650d"), "\(arguments): \(run.stderrText)")
        }
        XCTAssertEqual(try app.deployedImage(), "registry.example.com/shop:1.0.0")
    }

    func testMessagesAndUsersFromTheHistoryCannotDriveTheTerminal() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let hostile = "\u{1b}[2J\u{1b}]0;HACKED\u{07}x\nREVISION fake-line\r\u{9b}31m\u{202e}"
        let deploy = try await binary(app, ["deploy", "shop", "--image", v2, "-m", hostile, "--timeout", "60s"])
        XCTAssertEqual(deploy.status, 0, deploy.stderrText)
        // a teammate's record with a hostile user, written straight into the ConfigMap
        var history = try app.releases()
        history.append(Release(revision: 2, image: v2, user: "mallory\u{1b}[8m", time: "2026-11-30T10:00:00Z",
                               message: "hidden\u{1b}[0m", result: .succeeded))
        let encoder = JSONEncoder()
        try await writeHistory(app, String(decoding: try encoder.encode(history), as: UTF8.self))
        for arguments in [["releases", "shop"], ["status", "shop"]] {
            let run = try await binary(app, arguments)
            XCTAssertEqual(run.status, 0, "\(arguments): \(run.stderrText)")
            let text = run.stdoutText + run.stderrText
            for forbidden in ["\u{1b}", "\u{07}", "\r", "\u{9b}", "\u{202e}"] {
                XCTAssertFalse(text.contains(forbidden), "\(arguments) printed \(forbidden.unicodeScalars.first!.value): \(text)")
            }
            XCTAssertFalse(text.split(separator: "\n").contains { $0.hasPrefix("REVISION fake-line") || $0.hasPrefix(" REVISION") },
                           "\(arguments) forged a row: \(text)")
            XCTAssertTrue(text.contains(arguments[0] == "releases" ? "\\x1b[2J" : "hidden\\x1b[0m"), "still shown, escaped: \(text)")
        }
        let table = try await binary(app, ["releases", "shop"])
        XCTAssertEqual(table.stdoutText.split(separator: "\n").count, 3, "a header and two releases: \(table.stdoutText)")
        XCTAssertTrue(table.stdoutText.contains("mallory\\x1b[8m"), table.stdoutText)
        // JSON keeps the data as it is (JSON escapes it)
        let json = try await binary(app, ["releases", "shop", "-o", "json"])
        let report = try JSONDecoder().decode(ReleasesReport.self, from: Data(json.stdoutText.utf8))
        XCTAssertEqual(report.releases.first?.message, hostile)
    }

    func testPodMessagesAndImagesFromTheClusterAreEscapedInStatus() async throws {
        // An image planted with kubectl (platform would refuse it) whose pull fails: the pod's message quotes it.
        let planted = "registry.example.com/x\u{1b}]0;HACKED\u{07}\nPOD fake/shop:broken"
        let app = try await AppFixture(image: planted)
        defer { app.stop() }
        try await app.waitUntil("the pull fails") {
            try app.pods().contains { pod in
                pod["status", "containerStatuses"]?.arrayValue?.first?["state", "waiting", "reason"]?.stringValue == "ImagePullBackOff"
            }
        }
        let run = try await binary(app, ["status", "shop"])
        XCTAssertEqual(run.status, 0, run.stderrText)
        XCTAssertTrue(run.stdoutText.contains("ImagePullBackOff"), run.stdoutText)
        XCTAssertFalse(run.stdoutText.contains("\u{1b}"), run.stdoutText)
        XCTAssertFalse(run.stdoutText.contains("\u{07}"), run.stdoutText)
        XCTAssertFalse(run.stdoutText.split(separator: "\n").contains { $0.hasPrefix("POD fake") }, run.stdoutText)
    }

    func testMetricsTextEscapesNamesFromTheEventLog() async throws {
        let sandbox = try Sandbox()
        let now = formatTimestamp(Date())
        let line = #"{"time": "\#(now)", "command": "deploy", "app": "x\u001b[2J", "environment": "e\u001b]0;T\u0007", "#
            + #""result": "error", "exitCode": 1, "durationSeconds": 1, "errorType": "bad\nPROVISIONS forged", "outcome": "failed"}"#
        try sandbox.write(sandbox.state + "/events.jsonl", line + "\n")
        let run = try await runProgram([Repo.binary, "metrics", "--local"], environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(run.status, 0, run.stderrText)
        XCTAssertFalse(run.stdoutText.contains("\u{1b}"), run.stdoutText)
        XCTAssertFalse(run.stdoutText.contains("\u{07}"), run.stdoutText)
        XCTAssertTrue(run.stdoutText.contains("  " + TerminalText.escape("bad\nPROVISIONS forged") + ": 1\n"), run.stdoutText)
        XCTAssertFalse(run.stdoutText.split(separator: "\n").contains { $0.hasPrefix("PROVISIONS forged") }, run.stdoutText)
    }

    func testTerminalTextEscapesControlsOnly() {
        XCTAssertEqual(TerminalText.escape("plain ünïcode line"), "plain ünïcode line")
        XCTAssertEqual(TerminalText.escape("a\tb\nc", keepingLines: true), "a\tb\nc")
        XCTAssertEqual(TerminalText.escape("a\tb\nc\r"), "a\\tb\\nc\\r")
    }
}
