import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// The `tty` progress of docs/progress.md on a real terminal: the built binary runs in a tmux pane
/// (against the test API server, with real terraform and kubectl), and the test reads what tmux drew.
/// Each phase must end as one `✓ TITLE (SUMMARY) 1.2s` line, with no spinner frame or half-drawn live
/// line left anywhere (the live line is redrawn in place, so it leaves nothing behind); tool output only
/// with `-v`; on failure `✗ TITLE failed after …` and the error with the tool's last lines.
final class TerminalProgressEndToEndTests: XCTestCase {
    static let spinnerFrames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    func environment(_ sandbox: Sandbox, _ cluster: TestCluster, extra: [String: String] = [:]) -> [String: String] {
        sandbox.environment(extra: cluster.environment.merging(["PLATFORM_TEMPLATES_DIR": Repo.templates, "USER": "tester"]) { _, b in b }
            .merging(extra) { _, b in b })
    }

    func terminal(_ sandbox: Sandbox) throws -> TmuxTerminal {
        try TmuxTerminal.requireTmux()
        let terminal = try TmuxTerminal(sandbox: sandbox)
        addTeardownBlock { await terminal.stop() }
        return terminal
    }

    func matching(_ screen: [String], _ pattern: String) -> [String] {
        screen.filter { $0.range(of: pattern, options: .regularExpression) != nil }
    }

    /// No row holds a spinner frame: every live line was replaced by its final line.
    func assertNoLiveLine(_ screen: [String], file: StaticString = #filePath, line: UInt = #line) {
        let left = screen.filter { row in Self.spinnerFrames.contains { row.contains($0) } }
        XCTAssertEqual(left, [], "a live line was left on the screen:\n\(screen.joined(separator: "\n"))", file: file, line: line)
    }

    func testCreateShowsOneFinalLinePerPhaseAndToolOutputOnlyWithVerbose() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let terminal = try terminal(sandbox)
        let env = environment(sandbox, cluster)

        let status = try await terminal.run([Repo.binary, "create", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.0.0"],
                                            environment: env, directory: sandbox.work)
        var screen = try await terminal.transcript()
        var shown = screen.joined(separator: "\n")
        XCTAssertEqual(status, 0, shown)
        assertNoLiveLine(screen)
        let finals = [#"^✓ Terraform init [0-9]+\.[0-9]s$"#, #"^✓ Terraform apply \([0-9]+ added, 0 changed\) [0-9]+\.[0-9]s$"#,
                      #"^✓ Kubernetes apply \([0-9]+ objects in namespace dev\) [0-9]+\.[0-9]s$"#]
        for pattern in finals { XCTAssertEqual(matching(screen, pattern).count, 1, "\(pattern) in:\n\(shown)") }
        for title in ["Terraform init", "Terraform apply", "Kubernetes apply"] {
            XCTAssertEqual(screen.filter { $0.contains(title) }.count, 1, "\(title) is on one line only:\n\(shown)")
        }
        let order = finals.compactMap { pattern in screen.firstIndex { $0.range(of: pattern, options: .regularExpression) != nil } }
        XCTAssertEqual(order, order.sorted(), shown)
        XCTAssertTrue(screen.contains("http://shop.dev.example.com"), shown)
        for chatter in ["Initializing", "Terraform has been successfully initialized", "+ terraform", "+ kubectl", "Apply complete!"] {
            XCTAssertFalse(shown.contains(chatter), "no tool output without -v (\(chatter)):\n\(shown)")
        }

        // With -v the tools' own lines are shown above the live line, which still ends as one line per phase.
        let verbose = try await terminal.run([Repo.binary, "create", "cart", "-e", "dev", "-v"], environment: env, directory: sandbox.work)
        screen = try await terminal.transcript()
        shown = screen.joined(separator: "\n")
        XCTAssertEqual(verbose, 0, shown)
        assertNoLiveLine(screen)
        for pattern in finals { XCTAssertEqual(matching(screen, pattern).count, 1, "\(pattern) in:\n\(shown)") }
        XCTAssertTrue(screen.contains("Initializing the backend..."), shown)
        XCTAssertTrue(screen.contains { $0.hasPrefix("+ terraform apply ") }, shown)
        XCTAssertTrue(screen.contains { $0.hasPrefix("Apply complete! Resources: ") }, shown)
    }

    func testDeployUpdatesItsLineInPlaceOnANarrowTerminal() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.5)
        defer { cluster.stop(); cluster.removeFiles() }
        let terminal = try terminal(sandbox)
        let env = environment(sandbox, cluster)
        let create = try await runProgram([Repo.binary, "create", "shop", "-e", "dev"], environment: env, directory: sandbox.work)
        XCTAssertEqual(create.status, 0, create.stderrText)

        // 40 columns: the live line ("⠸ Rollout: 1/1 updated, 0/1 ready, 1 old pending termination 0.3s") is
        // wider than the terminal; it must still be redrawn in place rather than leave one wrapped row per redraw.
        let status = try await terminal.run([Repo.binary, "deploy", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.1.0"],
                                            environment: env, directory: sandbox.work, columns: 40, rows: 30)
        let screen = try await terminal.transcript()
        let shown = screen.joined(separator: "\n")
        XCTAssertEqual(status, 0, shown)
        assertNoLiveLine(screen)
        XCTAssertEqual(matching(screen, #"^✓ Rollout \(1/1 ready\) [0-9]+\.[0-9]s$"#).count, 1, shown)
        XCTAssertEqual(screen.filter { $0.contains("Rollout") }.count, 1, "the phase is on one line only:\n\(shown)")
        XCTAssertTrue(screen.contains("==> Deploying shop in dev: registry.example.com/shop:1.1.0 (release 1)"), shown)
        XCTAssertEqual(screen.last, "Deployed registry.example.com/shop:1.1.0 to shop in dev (release 1)", shown)
        XCTAssertFalse(shown.contains("+ kubectl"), "no tool output without -v:\n\(shown)")
    }

    func testTheLiveLineFitsTheTerminalAndCtrlCReplacesItWithTheFailedLine() async throws {
        let sandbox = try Sandbox()
        // Pods never become ready during the test: the live Rollout line stays until Ctrl-C.
        let cluster = try TestCluster(readyDelay: 600)
        defer { cluster.stop(); cluster.removeFiles() }
        let terminal = try terminal(sandbox)
        let env = environment(sandbox, cluster)
        let create = try await runProgram([Repo.binary, "create", "shop", "-e", "dev"], environment: env, directory: sandbox.work)
        XCTAssertEqual(create.status, 0, create.stderrText)

        try await terminal.start([Repo.binary, "deploy", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.1.0"],
                                 environment: env, directory: sandbox.work, columns: 40, rows: 20)
        // The update is longer than the terminal: the line is cut (…) to 37 columns, the elapsed time kept.
        let live = try await terminal.waitForRow { row in Self.spinnerFrames.contains { row.hasPrefix($0 + " Rollout: ") } && row.contains("…") }
        let screenWhileLive = try await terminal.transcript().joined(separator: "\n")
        let row = try XCTUnwrap(live, "no cut live line:\n\(screenWhileLive)")
        XCTAssertLessThanOrEqual(row.count, 37, row)
        XCTAssertNotNil(row.range(of: #"^. Rollout: 1/1 updated, 0/1 .*… [0-9]+\.[0-9]s$"#, options: .regularExpression), row)

        try await terminal.sendKeys("C-c")
        let status = try await terminal.waitForExit()
        let screen = try await terminal.transcript()
        let shown = screen.joined(separator: "\n")
        XCTAssertEqual(status, 130, shown)
        assertNoLiveLine(screen)
        XCTAssertEqual(screen.filter { $0.contains("Rollout") }, screen.filter { $0.range(of: #"^✗ Rollout failed after [0-9]+\.[0-9]s$"#, options: .regularExpression) != nil },
                       "the ✗ line replaced the live line:\n\(shown)")
        XCTAssertEqual(screen.filter { $0.contains("Rollout") }.count, 1, shown)
        XCTAssertEqual(screen.last, "error: interrupted", shown)
    }

    func testFailuresShowTheFailedPhaseAndTheErrorWithTheToolsLastLines() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let terminal = try terminal(sandbox)
        let env = environment(sandbox, cluster)

        // Terraform fails in apply: the phase line turns into ✗, then the error with Terraform's diagnostic.
        try sandbox.write(sandbox.root + "/refuses/main.tf", TestModules.refusesToApply)
        let refused = try await terminal.run([Repo.binary, "create", "cart", "-e", "dev"],
                                             environment: environment(sandbox, cluster, extra: ["PLATFORM_MODULE_SOURCE": sandbox.root + "/refuses"]),
                                             directory: sandbox.work)
        var screen = try await terminal.transcript()
        var shown = screen.joined(separator: "\n")
        XCTAssertEqual(refused, 1, shown)
        assertNoLiveLine(screen)
        XCTAssertEqual(matching(screen, #"^✓ Terraform init [0-9]+\.[0-9]s$"#).count, 1, shown)
        XCTAssertEqual(screen.filter { $0.contains("Terraform apply") }, screen.filter { $0.hasPrefix("✗ Terraform apply failed after ") },
                       "only the failed line:\n\(shown)")
        let failed = try XCTUnwrap(screen.firstIndex { $0.range(of: #"^✗ Terraform apply failed after [0-9]+\.[0-9]s$"#, options: .regularExpression) != nil }, shown)
        let error = try XCTUnwrap(screen.firstIndex { $0.hasPrefix("error: terraform apply ") }, shown)
        XCTAssertLessThan(failed, error, shown)
        XCTAssertTrue(screen[error].hasSuffix("exited with status 1: Error: Resource precondition failed"), shown)
        XCTAssertTrue(screen[error...].contains("This module needs more than 5 replicas."), shown)
        XCTAssertFalse(shown.contains("Kubernetes apply"), shown)

        // A rollout that fails: ✗ Rollout, the rollback's own Rollout line, the error naming the pods' state.
        let create = try await runProgram([Repo.binary, "create", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.0.0"],
                                          environment: env, directory: sandbox.work)
        XCTAssertEqual(create.status, 0, create.stderrText)
        let broken = try await terminal.run([Repo.binary, "deploy", "shop", "-e", "dev", "--image", "registry.example.com/shop:neverpull"],
                                            environment: env, directory: sandbox.work)
        screen = try await terminal.transcript()
        shown = screen.joined(separator: "\n")
        XCTAssertEqual(broken, 3, shown)
        assertNoLiveLine(screen)
        XCTAssertEqual(matching(screen, #"^✗ Rollout failed after [0-9]+\.[0-9]s$"#).count, 1, shown)
        XCTAssertTrue(screen.contains("==> Rolling back shop to registry.example.com/shop:1.0.0"), shown)
        XCTAssertEqual(matching(screen, #"^✓ Rollout \(1/1 ready\) [0-9]+\.[0-9]s$"#).count, 1, "the rollback's rollout:\n\(shown)")
        XCTAssertEqual(screen.filter { $0.contains("Rollout") }.count, 2, shown)
        let deployError = try XCTUnwrap(screen.last, shown)
        XCTAssertTrue(deployError.hasPrefix("error: deploy of registry.example.com/shop:neverpull failed"), shown)
        XCTAssertTrue(deployError.contains("ErrImageNeverPull"), shown)
        XCTAssertTrue(deployError.hasSuffix("rolled back to registry.example.com/shop:1.0.0, which is serving again"), shown)

        // kubectl refuses the apply: its own last line is in the error.
        try cluster.forbid(method: "PATCH", path: "/apis/apps/v1/namespaces/dev/deployments/shop",
                           message: #"deployments.apps "shop" is forbidden: User "ci" cannot patch resource "deployments""#)
        let forbidden = try await terminal.run([Repo.binary, "deploy", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.1.0"],
                                               environment: env, directory: sandbox.work)
        screen = try await terminal.transcript()
        shown = screen.joined(separator: "\n")
        XCTAssertEqual(forbidden, 1, shown)
        assertNoLiveLine(screen)
        let kubectlError = try XCTUnwrap(screen.last, shown)
        XCTAssertTrue(kubectlError.hasPrefix("error: kubectl apply "), shown)
        XCTAssertTrue(kubectlError.hasSuffix(#"Error from server (Forbidden): deployments.apps "shop" is forbidden: User "ci" cannot patch resource "deployments""#),
                      shown)
    }
}
