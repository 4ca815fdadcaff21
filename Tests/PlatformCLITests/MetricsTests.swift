import Foundation
@testable import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

final class MetricsTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21T12:53:20Z
    func at(days: Double, minutes: Double = 0) -> Date { t0.addingTimeInterval(days * 86_400 + minutes * 60) }

    func deploy(_ app: String, _ env: String, days: Double, minutes: Double = 0, error: String? = nil,
                committedHoursBefore: Double? = nil, dryRun: Bool = false) -> PlatformEvent {
        let time = at(days: days, minutes: minutes)
        return PlatformEvent(time: time, command: "deploy", app: app, environment: env, result: error == nil ? "ok" : "error",
                             exitCode: error == nil ? 0 : 3, durationSeconds: 12, errorType: error,
                             image: "registry.example.com/\(app):1.0", outcome: dryRun ? nil : PlatformEvent.deployOutcome(errorType: error),
                             committedAt: committedHoursBefore.map { time.addingTimeInterval(-$0 * 3600) },
                             dryRun: dryRun ? true : nil)
    }

    /// A scripted month: provisions, deploys that fail, roll back and are restored, a dry run, events outside the window.
    var script: [PlatformEvent] {
        [
            PlatformEvent(time: at(days: -1), command: "create", app: "old", environment: "staging", result: "ok", exitCode: 0, durationSeconds: 1),
            PlatformEvent(time: at(days: 0), command: "create", app: "shop", environment: "staging", result: "ok", exitCode: 0, durationSeconds: 30),
            PlatformEvent(time: at(days: 0, minutes: 5), command: "create", app: "shop", environment: "production", result: "ok", exitCode: 0, durationSeconds: 30),
            PlatformEvent(time: at(days: 0, minutes: 9), command: "create", app: "cart", environment: "staging", result: "error", exitCode: 1,
                          durationSeconds: 3, errorType: "tool_failed"),
            deploy("shop", "staging", days: 1, committedHoursBefore: 2),
            deploy("shop", "staging", days: 2, error: "deploy_rolled_back"),
            deploy("shop", "staging", days: 2, minutes: 30, error: "deploy_failed"),
            deploy("shop", "staging", days: 2, minutes: 90, committedHoursBefore: 4),
            deploy("shop", "staging", days: 3, dryRun: true),
            deploy("shop", "production", days: 4),
            PlatformEvent(time: at(days: 5), command: "deploy", app: "shop", environment: "production", result: "error", exitCode: 64,
                          durationSeconds: 0.01, errorType: "usage"),
            deploy("shop", "production", days: 11),
        ]
    }

    func testCountersAndDeliveryFromAScriptedSequence() {
        let metrics = PlatformMetrics.compute(script.shuffled(), since: t0, until: at(days: 10))
        XCTAssertEqual(metrics.provisions, ["staging": 1, "production": 1])
        XCTAssertEqual(metrics.deployments, ["true": 3, "false": 2])
        XCTAssertEqual(metrics.errors, ["tool_failed": 1, "deploy_rolled_back": 1, "deploy_failed": 1, "usage": 1])
        XCTAssertEqual(metrics.delivery, [
            PlatformMetrics.Delivery(app: "shop", environment: "production", deployments: 1, successfulDeployments: 1,
                                     failedDeployments: 0, deploysPerDay: 0.1, changeFailureRate: 0,
                                     meanTimeToRestoreSeconds: nil, restores: 0, leadTimeSeconds: nil, leadTimeSamples: 0),
            PlatformMetrics.Delivery(app: "shop", environment: "staging", deployments: 4, successfulDeployments: 2,
                                     failedDeployments: 2, deploysPerDay: 0.2, changeFailureRate: 0.5,
                                     meanTimeToRestoreSeconds: 5400, restores: 1, leadTimeSeconds: 10_800, leadTimeSamples: 2),
        ])
    }

    func testPrometheusText() {
        let metrics = PlatformMetrics.compute(script, since: t0, until: at(days: 10))
        XCTAssertEqual(metrics.prometheus(), """
        # HELP platform_provision_total Environments provisioned with platform create.
        # TYPE platform_provision_total counter
        platform_provision_total{environment="production"} 1
        platform_provision_total{environment="staging"} 1
        # HELP platform_deployment_total Deploys by whether they succeeded.
        # TYPE platform_deployment_total counter
        platform_deployment_total{success="false"} 2
        platform_deployment_total{success="true"} 3
        # HELP platform_errors_total Failed platform runs by error type.
        # TYPE platform_errors_total counter
        platform_errors_total{type="deploy_failed"} 1
        platform_errors_total{type="deploy_rolled_back"} 1
        platform_errors_total{type="tool_failed"} 1
        platform_errors_total{type="usage"} 1
        # HELP platform_deploy_frequency_per_day Successful deploys per day over the window.
        # TYPE platform_deploy_frequency_per_day gauge
        platform_deploy_frequency_per_day{app="shop",environment="production"} 0.1
        platform_deploy_frequency_per_day{app="shop",environment="staging"} 0.2
        # HELP platform_change_failure_ratio Failed deploys divided by all deploys over the window.
        # TYPE platform_change_failure_ratio gauge
        platform_change_failure_ratio{app="shop",environment="production"} 0
        platform_change_failure_ratio{app="shop",environment="staging"} 0.5
        # HELP platform_time_to_restore_seconds Mean time from a failed deploy to the next successful deploy over the window.
        # TYPE platform_time_to_restore_seconds gauge
        platform_time_to_restore_seconds{app="shop",environment="staging"} 5400
        # HELP platform_lead_time_seconds Mean time from commit to successful deploy, for images tagged with a commit.
        # TYPE platform_lead_time_seconds gauge
        platform_lead_time_seconds{app="shop",environment="staging"} 10800
        # HELP platform_metrics_window_seconds Length of the window the metrics cover.
        # TYPE platform_metrics_window_seconds gauge
        platform_metrics_window_seconds 864000

        """)
    }

    func testLabelValuesAreEscaped() {
        XCTAssertEqual(PlatformMetrics.escapeLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd")
    }

    func testTextSummary() {
        let text = PlatformMetrics.compute(script, since: t0, until: at(days: 10)).text()
        XCTAssertTrue(text.contains("Deployments (platform_deployment_total): 3 succeeded, 2 failed"), text)
        XCTAssertTrue(text.contains("  shop  staging      4        0.2      50%           1h30m            3h"), text)
        XCTAssertTrue(text.contains("  shop  production   1        0.1      0%            -                -"), text)
    }

    func testCommitCandidates() {
        XCTAssertEqual(PlatformEvent.commitCandidate(image: "r.example.com/shop:3f2a9c1"), "3f2a9c1")
        XCTAssertEqual(PlatformEvent.commitCandidate(image: "shop:sha-3f2a9c1e"), "3f2a9c1e")
        XCTAssertEqual(PlatformEvent.commitCandidate(image: "shop:1.4.0-3F2A9C1"), "3f2a9c1")
        XCTAssertNil(PlatformEvent.commitCandidate(image: "shop:1.2.0"))
        XCTAssertNil(PlatformEvent.commitCandidate(image: "shop:20261124"))
        XCTAssertNil(PlatformEvent.commitCandidate(image: "shop"))
    }

    func testCommitLookupFillsLeadTimeFields() async {
        let runner = FakeCommandRunner([.init(["git", "-C", "/src/shop", "show", "-s", "--format=%H %cI", "3f2a9c1^{commit}"],
                                              result: CommandResult(stdout: String(repeating: "3f2a9c1", count: 5) + "abcde 2026-11-20T10:00:00+01:00\n"))])
        let event = PlatformEvent(time: t0, command: "deploy", result: "ok", exitCode: 0, durationSeconds: 1,
                                  image: "shop:3f2a9c1", outcome: "success")
        let filled = await EventRecorder(log: nil, runner: runner).withCommit(event, directory: "/src/shop")
        XCTAssertEqual(filled.commit?.count, 40)
        XCTAssertEqual(filled.committedAt, parseTimestamp("2026-11-20T09:00:00Z"))
        XCTAssertEqual(runner.unmet(), [])
    }

    // MARK: - The event hook

    func readEvents(_ sandbox: Sandbox) throws -> [PlatformEvent] {
        try EventLog(path: sandbox.state + "/events.jsonl").read().events
    }

    func testEveryRunAppendsOneEvent() async throws {
        let sandbox = try Sandbox()
        let env = sandbox.environment()
        let ok = await runCLI(["version"], environment: env)
        XCTAssertEqual(ok.status, 0)
        let bad = await runCLI(["scaffold", "Bad_Name", "-t", "python/flask", "-e", "staging"], environment: env)
        XCTAssertEqual(bad.status, 64)
        let typo = await runCLI(["verison"], environment: env)
        XCTAssertEqual(typo.status, 64)
        let events = try readEvents(sandbox)
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[0].command, "version")
        XCTAssertEqual(events[0].result, "ok")
        XCTAssertEqual(events[0].exitCode, 0)
        XCTAssertNil(events[0].environment)
        XCTAssertNil(events[0].errorType)
        XCTAssertEqual(events[1].command, "scaffold")
        XCTAssertEqual(events[1].app, "Bad_Name")
        XCTAssertEqual(events[1].environment, "staging")
        XCTAssertEqual(events[1].result, "error")
        XCTAssertEqual(events[1].exitCode, 64)
        XCTAssertEqual(events[1].errorType, "invalid_input")
        XCTAssertEqual(events[2].command, "")
        XCTAssertEqual(events[2].errorType, "usage")
        // One line per event, each a JSON object.
        let lines = try String(contentsOfFile: sandbox.state + "/events.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") })
    }

    func testFailureToRecordWarnsOnceAndKeepsTheResult() async throws {
        let sandbox = try Sandbox()
        try sandbox.write("not-a-folder", "x")
        let run = await runCLI(["version", "-o", "json"], environment: sandbox.environment(extra: ["PLATFORM_STATE_DIR": sandbox.root + "/not-a-folder"]))
        XCTAssertEqual(run.status, 0)
        XCTAssertEqual(run.stdout, "{\n  \"version\" : \"\(platformVersion)\"\n}\n")
        XCTAssertEqual(run.stderr.components(separatedBy: "warning:").count - 1, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("could not record the run"), run.stderr)
    }

    func testDeployEventsCarryImageAndOutcome() async throws {
        let sandbox = try Sandbox()
        let parser = ArgumentParser(commands: CommandTable.specs)
        let parsed = try parser.parse(["deploy", "shop", "--image", "registry.example.com/shop:1.2.0", "-e", "staging"])
        let globals = try GlobalOptions.from(parsed, environment: [:])
        let io = TestIO()
        let console = Console(io: io.streams, color: false, quiet: false)
        let errors: [PlatformError?] = [nil, .deployRolledBack("x"), .deployFailed("x"), .invalidInput("x")]
        for error in errors {
            await PlatformCLI.recordEvent(parsed, globals: globals, status: error.map(ExitCode.code) ?? 0, error: error,
                                          details: RunDetails(), started: Date(), environment: sandbox.environment(),
                                          currentDirectory: sandbox.work, console: console, injected: FakeCommandRunner())
        }
        let details = RunDetails()
        details.image = "registry.example.com/shop@sha256:" + String(repeating: "a", count: 64)
        details.outcome = "rolled_back"
        await PlatformCLI.recordEvent(parsed, globals: globals, status: 3, error: nil, details: details, started: Date(),
                                      environment: sandbox.environment(), currentDirectory: sandbox.work, console: console,
                                      injected: FakeCommandRunner())
        let events = try readEvents(sandbox)
        XCTAssertEqual(events.map(\.outcome), ["success", "rolled_back", "failed", nil, "rolled_back"])
        XCTAssertEqual(events.map(\.app), Array(repeating: "shop", count: 5))
        XCTAssertEqual(events[0].image, "registry.example.com/shop:1.2.0")
        XCTAssertEqual(events[4].image, details.image)
        XCTAssertEqual(io.stderr.text, "")
    }

    func testConcurrentAppendsNeverTearLines() async throws {
        let sandbox = try Sandbox()
        let log = EventLog(path: sandbox.state + "/events.jsonl")
        let app = String(repeating: "x", count: 3000)  // lines longer than a pipe buffer's atomic size
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in 0..<50 {
                        try? log.append(PlatformEvent(time: Date(), command: "w\(worker)", app: app, result: "ok",
                                                      exitCode: Int32(index), durationSeconds: 0))
                    }
                }
            }
        }
        let (events, skipped) = try log.read()
        XCTAssertEqual(skipped, 0)
        XCTAssertEqual(events.count, 400)
        for worker in 0..<8 {
            XCTAssertEqual(Set(events.filter { $0.command == "w\(worker)" }.map(\.exitCode)), Set(0..<50))
        }
    }

    func testMetricsCommandFormats() async throws {
        let sandbox = try Sandbox()
        let now = Date()
        let log = EventLog(path: sandbox.state + "/events.jsonl")
        try log.append(PlatformEvent(time: now.addingTimeInterval(-3600), command: "deploy", app: "shop", environment: "staging",
                                     result: "ok", exitCode: 0, durationSeconds: 5, outcome: "success"))
        try log.append(PlatformEvent(time: now.addingTimeInterval(-40 * 86_400), command: "deploy", app: "old", environment: "staging",
                                     result: "ok", exitCode: 0, durationSeconds: 5, outcome: "success"))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: log.path))
        handle.seekToEndOfFile()
        handle.write(Data("not json\n".utf8))
        try handle.close()
        let env = sandbox.environment()
        let json = await runCLI(["metrics", "-o", "json"], environment: env)
        XCTAssertEqual(json.status, 0, json.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(document["deployments", "true"], .number(1))
        XCTAssertEqual(document["delivery"]?.arrayValue?.first?["app"], .string("shop"))
        XCTAssertTrue(json.stderr.contains("skipped 1 unreadable line"), json.stderr)
        let prom = await runCLI(["metrics", "--format", "prometheus", "--since", "1h"], environment: env)
        XCTAssertTrue(prom.stdout.contains("platform_metrics_window_seconds 3600\n"), prom.stdout)
        let bad = await runCLI(["metrics", "--since", "forever"], environment: env)
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("invalid --since 'forever'"), bad.stderr)
        let badFormat = await runCLI(["metrics", "--format", "xml"], environment: env)
        XCTAssertEqual(badFormat.status, 64)
        XCTAssertTrue(badFormat.stderr.contains("use text, json or prometheus"), badFormat.stderr)
    }
}
