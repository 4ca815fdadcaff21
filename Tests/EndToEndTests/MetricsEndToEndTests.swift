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
                    try await runProgram([Repo.binary] + (index % 2 == 0 ? ["version"] : ["completion", "nope"]),
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
        XCTAssertEqual(events.filter { $0.command == "version" && $0.result == "ok" }.count, 6)
        XCTAssertEqual(events.filter { $0.command == "completion" && $0.errorType == "invalid_input" && $0.exitCode == 64 }.count, 6)
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
