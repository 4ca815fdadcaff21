import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Events recorded by the real binary, and the metrics accepted by the real promtool.
final class MetricsEndToEndTests: XCTestCase {
    func testConcurrentRunsEachAppendOneWholeLine() async throws {
        let sandbox = try Sandbox()
        let env = sandbox.environment()
        try await withThrowingTaskGroup(of: Int32.self) { group in
            for index in 0..<12 {
                group.addTask {
                    try await runProgram([Repo.binary] + (index % 2 == 0 ? ["metrics", "--since", "1h"] : ["metrics", "--since", "x"]),
                                         environment: env, directory: sandbox.work).status
                }
            }
            var statuses: [Int32] = []
            for try await status in group { statuses.append(status) }
            XCTAssertEqual(statuses.sorted(), Array(repeating: 0, count: 6) + Array(repeating: 64, count: 6))
        }
        let (events, skipped) = try EventLog(path: sandbox.state + "/events.jsonl").read()
        XCTAssertEqual(skipped, 0)
        XCTAssertEqual(events.count, 12)
        XCTAssertEqual(events.filter { $0.command == "metrics" && $0.result == "ok" }.count, 6)
        XCTAssertEqual(events.filter { $0.command == "metrics" && $0.errorType == "invalid_input" && $0.exitCode == 64 }.count, 6)
    }

    /// Deploys that stopped before applying their image are no deployments; a rollback is one, and
    /// it ends the incident a failed deploy started.
    func testOnlyAppliedDeploysAndRollbacksAreDeployments() async throws {
        let app = try await AppFixture(readyDelay: 0.2)
        defer { app.stop() }
        let good = "registry.example.com/shop:1.1.0", broken = "registry.example.com/shop:broken"
        let unknown = await app.platform(["deploy", "nosuch", "--image", "registry.example.com/nosuch:1"])
        XCTAssertEqual(unknown.status, 1, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("not found"), unknown.stderr)
        // A cluster nobody listens at.
        let kubeconfig = app.sandbox.root + "/unreachable.kubeconfig"
        let config: JSONValue = .object([
            "apiVersion": .string("v1"), "kind": .string("Config"), "current-context": .string("gone"),
            "clusters": .array([.object(["name": .string("gone"), "cluster": .object(["server": .string("http://127.0.0.1:9")])])]),
            "contexts": .array([.object(["name": .string("gone"), "context": .object(["cluster": .string("gone"), "user": .string("u")])])]),
            "users": .array([.object(["name": .string("u"), "user": .object([:])])]),
        ])
        try config.encoded(pretty: true).write(to: URL(fileURLWithPath: kubeconfig))
        let unreachable = await runCLI(["deploy", "shop", "--image", good, "-e", "staging"],
                                       environment: app.environmentVariables.merging(["KUBECONFIG": kubeconfig]) { $1 },
                                       directory: app.sandbox.work)
        XCTAssertNotEqual(unreachable.status, 0, unreachable.stderr)
        XCTAssertNotEqual(unreachable.status, 64, unreachable.stderr)

        let deployed = await app.platform(["deploy", "shop", "--image", good])
        XCTAssertEqual(deployed.status, 0, deployed.stderr)
        let failed = await app.platform(["deploy", "shop", "--image", broken, "--no-rollback"])
        XCTAssertEqual(failed.status, 4, failed.stderr)
        let back = await app.platform(["rollback", "shop", "--to", "1"])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertEqual(try app.deployedImage(), TestCluster.pinned(good), "rollback re-deploys the digest")

        let events = try EventLog(path: app.sandbox.state + "/events.jsonl").read().events
        XCTAssertEqual(events.map(\.command), ["deploy", "deploy", "deploy", "deploy", "rollback"])
        XCTAssertEqual(events.map(\.outcome), [nil, nil, "success", "failed", "success"])
        XCTAssertEqual(events.last?.image, TestCluster.pinned(good))

        let json = await runCLI(["metrics", "-o", "json"], environment: app.environmentVariables, directory: app.sandbox.work)
        XCTAssertEqual(json.status, 0, json.stderr)
        let metrics = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(metrics["deployments"], .object(["true": .number(2), "false": .number(1)]))
        let delivery = try XCTUnwrap(metrics["delivery"]?.arrayValue)
        XCTAssertEqual(delivery.map { $0["app"] }, [.string("shop")], "the unknown app is no deployment")
        XCTAssertEqual(delivery.first?["deployments"], .number(3))
        XCTAssertEqual(delivery.first?["restores"], .number(1))
        XCTAssertNotNil(delivery.first?["meanTimeToRestoreSeconds"]?.intValue)
    }

    /// A relative XDG_STATE_HOME is not a state folder (XDG wants absolute paths): the event goes to
    /// ~/.local/state/platform, nothing appears in the current folder.
    func testARelativeXDGStateHomeLeavesTheCurrentFolderAlone() async throws {
        let sandbox = try Sandbox()
        var env = sandbox.environment(extra: ["XDG_STATE_HOME": "relative-state"])
        env["PLATFORM_STATE_DIR"] = nil
        let run = try await runProgram([Repo.binary, "metrics", "--since", "1h"], environment: env, directory: sandbox.work)
        XCTAssertEqual(run.status, 0, run.stderrText)
        XCTAssertEqual(Sandbox.listing(sandbox.work), [])
        let events = try EventLog(path: sandbox.home + "/.local/state/platform/events.jsonl").read().events
        XCTAssertEqual(events.map(\.command), ["metrics"])
    }

    func testPrometheusOutputPassesPromtool() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("promtool missing (Debian package prometheus)") }
            throw XCTSkip("promtool missing (Debian package prometheus); run scripts/install-test-shells.sh")
        }
        let sandbox = try Sandbox()
        let log = EventLog(path: sandbox.state + "/events.jsonl")
        let now = Date()
        func ago(_ hours: Double) -> Date { now.addingTimeInterval(-hours * 3600) }
        try log.append(PlatformEvent(time: ago(50), command: "create", app: "shop", environment: "staging", result: "ok",
                                     exitCode: 0, durationSeconds: 40))
        try log.append(PlatformEvent(time: ago(40), command: "deploy", app: "shop", environment: "staging", result: "error",
                                     exitCode: 3, durationSeconds: 60, errorType: "deploy_rolled_back",
                                     image: "r.example.com/shop:2.0", outcome: "rolled_back"))
        try log.append(PlatformEvent(time: ago(39), command: "deploy", app: "shop", environment: "staging", result: "ok",
                                     exitCode: 0, durationSeconds: 30, image: "r.example.com/shop:2.1", outcome: "success",
                                     committedAt: ago(41)))
        try log.append(PlatformEvent(time: ago(1), command: "deploy", app: "we\"ird", environment: "prod", result: "ok",
                                     exitCode: 0, durationSeconds: 30, outcome: "success"))
        let result = try await runProgram([Repo.binary, "metrics", "--format", "prometheus", "--since", "7d"],
                                          environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(result.status, 0, result.stderrText)
        let text = result.stdoutText
        XCTAssertTrue(text.contains("platform_provision_total{environment=\"staging\"} 1\n"), text)
        XCTAssertTrue(text.contains("platform_deployment_total{success=\"true\"} 2\n"), text)
        XCTAssertTrue(text.contains("platform_deployment_total{success=\"false\"} 1\n"), text)
        XCTAssertTrue(text.contains("platform_errors_total{type=\"deploy_rolled_back\"} 1\n"), text)
        XCTAssertTrue(text.contains("platform_time_to_restore_seconds{app=\"shop\",environment=\"staging\"} 3600\n"), text)
        XCTAssertTrue(text.contains("platform_lead_time_seconds{app=\"shop\",environment=\"staging\"} 7200\n"), text)
        XCTAssertTrue(text.contains("platform_change_failure_ratio{app=\"we\\\"ird\",environment=\"prod\"} 0\n"), text)
        let check = try await runProgram(["/usr/bin/promtool", "check", "metrics"], environment: sandbox.environment(),
                                         input: result.stdout)
        XCTAssertEqual(check.status, 0, check.stdoutText + check.stderrText)
        XCTAssertEqual(check.stdoutText + check.stderrText, "", "promtool lint findings")
    }

    /// A deploy whose image tag is a commit of the repository it runs in records the commit time (lead time).
    func testDeployEventRecordsTheCommitOfTheImageTag() async throws {
        let sandbox = try Sandbox()
        let env = sandbox.environment()
        let repo = sandbox.work + "/shop"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        for argv in [["git", "init", "-q"], ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q",
                                                "--allow-empty", "-m", "first"]] {
            let result = try await runProgram(argv, environment: env.merging(["GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z",
                                                                              "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z"]) { $1 },
                                              directory: repo)
            XCTAssertEqual(result.status, 0, result.stderrText)
        }
        let sha = try await runProgram(["git", "rev-parse", "HEAD"], environment: env, directory: repo).stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // The deploy fails for lack of a cluster; only successful deploys look the commit up, so record
        // through the hook's recorder directly, as the CLI does after a successful deploy.
        let recorder = EventRecorder(log: EventLog(path: sandbox.state + "/events.jsonl"), runner: ProcessRunner(environment: env))
        let event = PlatformEvent(time: Date(), command: "deploy", app: "shop", environment: "staging", result: "ok",
                                  exitCode: 0, durationSeconds: 1, image: "r.example.com/shop:" + sha.prefix(8), outcome: "success")
        let filled = await recorder.withCommit(event, directory: repo)
        XCTAssertNil(recorder.record(filled))
        let recorded = try EventLog(path: sandbox.state + "/events.jsonl").read().events
        XCTAssertEqual(recorded.first?.commit, sha)
        XCTAssertEqual(recorded.first?.committedAt, parseTimestamp("2026-01-02T03:04:05Z"))
    }
}
