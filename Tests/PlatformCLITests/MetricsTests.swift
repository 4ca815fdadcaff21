import Foundation
@testable import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

final class MetricsTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21T14:13:20Z
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

    /// The usage counters come from the local event log; the delivery figures are not computed from
    /// it (they come from the release histories in the cluster: DeliveryMetricsTests).
    func testCountersFromAScriptedSequence() {
        let metrics = PlatformMetrics.compute(script.shuffled(), since: t0, until: at(days: 10))
        XCTAssertEqual(metrics.provisions, ["staging": 1, "production": 1])
        XCTAssertEqual(metrics.deployments, ["true": 3, "false": 2])
        XCTAssertEqual(metrics.errors, ["tool_failed": 1, "deploy_rolled_back": 1, "deploy_failed": 1, "usage": 1])
        XCTAssertNil(metrics.delivery)
        XCTAssertEqual(metrics.sources, ["provisions": .localEventLog, "deployments": .localEventLog, "errors": .localEventLog])
    }

    func testPrometheusText() {
        let metrics = PlatformMetrics.compute(script, since: t0, until: at(days: 10))
        XCTAssertEqual(metrics.prometheus(), """
        # HELP platform_provision_total Environments provisioned with platform create (this machine's event log).
        # TYPE platform_provision_total counter
        platform_provision_total{environment="production"} 1
        platform_provision_total{environment="staging"} 1
        # HELP platform_deployment_total Deploy and rollback runs by whether they succeeded (this machine's event log).
        # TYPE platform_deployment_total counter
        platform_deployment_total{success="false"} 2
        platform_deployment_total{success="true"} 3
        # HELP platform_errors_total Failed platform runs by error type (this machine's event log).
        # TYPE platform_errors_total counter
        platform_errors_total{type="deploy_failed"} 1
        platform_errors_total{type="deploy_rolled_back"} 1
        platform_errors_total{type="tool_failed"} 1
        platform_errors_total{type="usage"} 1
        # HELP platform_metrics_window_seconds Length of the window the metrics cover.
        # TYPE platform_metrics_window_seconds gauge
        platform_metrics_window_seconds 864000

        """)
    }

    func testLabelValuesAreEscaped() {
        XCTAssertEqual(PlatformMetrics.escapeLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd")
    }

    func testTextSummary() {
        let text = PlatformMetrics.compute(script, since: t0, until: at(days: 10), eventLog: "/s/events.jsonl").text()
        XCTAssertTrue(text.contains("Usage of this machine's platform (event log /s/events.jsonl):\n"), text)
        XCTAssertTrue(text.contains("Deployments (platform_deployment_total): 3 succeeded, 2 failed"), text)
        XCTAssertFalse(text.contains("Delivery"), text)
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
        let ok = await runCLI(["templates"], environment: env)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let bad = await runCLI(["scaffold", "Bad_Name", "-t", "python/flask", "-e", "staging"], environment: env)
        XCTAssertEqual(bad.status, 64)
        let typo = await runCLI(["verison"], environment: env)
        XCTAssertEqual(typo.status, 64)
        let events = try readEvents(sandbox)
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[0].command, "templates")
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
        let run = await runCLI(["metrics", "--local", "--format", "prometheus", "--since", "1h"],
                               environment: sandbox.environment(extra: ["PLATFORM_STATE_DIR": sandbox.root + "/not-a-folder"]))
        XCTAssertEqual(run.status, 0)
        XCTAssertTrue(run.stdout.hasSuffix("platform_metrics_window_seconds 3600\n"), run.stdout)
        XCTAssertEqual(run.stderr.components(separatedBy: "warning:").count - 1, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("could not record the run"), run.stderr)
    }

    /// Records the event of `argv` through the hook, as `run` does after the command.
    func record(_ argv: [String], error: PlatformError?, details: EventDetails = EventDetails(), status: Int32? = nil,
                sandbox: Sandbox, io: TestIO) async throws {
        let parsed = try ArgumentParser(commands: CommandTable.specs).parse(argv)
        let globals = try GlobalOptions.from(parsed, environment: [:])
        let console = Console(io: io.streams, color: false, quiet: false)
        let event = RunEvent(parsed: parsed, globals: globals, status: status ?? error.map(ExitCode.code) ?? 0, error: error,
                             details: details, started: Date())
        await event.record(environment: sandbox.environment(), currentDirectory: sandbox.work, git: nil, console: console)
    }

    func applied(_ image: String) -> EventDetails {
        EventDetails(appliedImage: image)
    }

    func testDeployEventsCarryImageAndOutcomeOnlyOnceTheImageWasApplied() async throws {
        let sandbox = try Sandbox()
        let io = TestIO()
        let argv = ["deploy", "shop", "--image", "registry.example.com/shop:1.2.0", "-e", "staging"]
        // Applied, then: success, rolled back, failed, interrupted.
        for error: PlatformError? in [nil, .deployRolledBack("x"), .deployFailed("x"), .interrupted(signal: SIGINT)] {
            try await record(argv, error: error, details: applied("registry.example.com/shop:1.2.0"), sandbox: sandbox, io: io)
        }
        // Stopped before the image was applied: app not found, cluster unreachable, bad input.
        for error: PlatformError in [.failed("app 'shop' not found"), .toolFailed(argv: ["kubectl", "get"], status: 1, stderrTail: "connection refused"),
                                     .invalidInput("x")] {
            try await record(argv, error: error, sandbox: sandbox, io: io)
        }
        // A command's own outcome wins.
        let details = EventDetails(image: "registry.example.com/shop@sha256:" + String(repeating: "a", count: 64),
                                   outcome: "rolled_back")
        try await record(argv, error: nil, details: details, status: 3, sandbox: sandbox, io: io)
        let events = try readEvents(sandbox)
        XCTAssertEqual(events.map(\.outcome), ["success", "rolled_back", "failed", "failed", nil, nil, nil, "rolled_back"])
        XCTAssertEqual(events.map(\.app), Array(repeating: "shop", count: 8))
        XCTAssertEqual(events[0].image, "registry.example.com/shop:1.2.0")
        XCTAssertEqual(events[7].image, details.image)
        XCTAssertEqual(io.stderr.text, "")
        let metrics = PlatformMetrics.compute(events, since: .distantPast, until: .distantFuture)
        XCTAssertEqual(metrics.deployments, ["true": 1, "false": 4])
    }

    func testRollbackEventsAreDeploymentsWithTheImageTheyApplied() async throws {
        let sandbox = try Sandbox()
        let io = TestIO()
        try await record(["rollback", "shop", "-e", "staging"], error: nil, details: applied("registry.example.com/shop:1.1.0"),
                         sandbox: sandbox, io: io)
        try await record(["rollback", "shop", "-e", "staging"], error: .failed("no successful release of shop"),
                         sandbox: sandbox, io: io)
        let events = try readEvents(sandbox)
        XCTAssertEqual(events.map(\.command), ["rollback", "rollback"])
        XCTAssertEqual(events.map(\.outcome), ["success", nil])
        XCTAssertEqual(events.map(\.image), ["registry.example.com/shop:1.1.0", nil])
    }

    /// A rollback run counts as a deployment run (the restore it ends is computed from the release
    /// history: DeliveryMetricsTests.testAConfigChangeIsAChange).
    func testARollbackRunIsADeployment() {
        func event(_ command: String, minutes: Double, outcome: String) -> PlatformEvent {
            PlatformEvent(time: at(days: 1, minutes: minutes), command: command, app: "shop", environment: "staging",
                          result: outcome == "success" ? "ok" : "error", exitCode: outcome == "success" ? 0 : 4,
                          durationSeconds: 1, outcome: outcome)
        }
        let events = [event("deploy", minutes: 0, outcome: "success"), event("deploy", minutes: 10, outcome: "failed"),
                      event("rollback", minutes: 25, outcome: "success"), event("deploy", minutes: 600, outcome: "success")]
        let metrics = PlatformMetrics.compute(events, since: t0, until: at(days: 2))
        XCTAssertEqual(metrics.deployments, ["true": 3, "false": 1])
    }

    func testDryRunsAndPendingChangesAreNoErrors() {
        let events = [
            // create --dry-run --detailed-exitcode with changes: exit 2.
            PlatformEvent(time: at(days: 1), command: "create", app: "shop", environment: "staging", result: "error",
                          exitCode: 2, durationSeconds: 3, errorType: "changes_pending", dryRun: true),
            // A dry run that failed is left out like any dry run.
            PlatformEvent(time: at(days: 1, minutes: 1), command: "create", app: "shop", environment: "staging", result: "error",
                          exitCode: 69, durationSeconds: 0.1, errorType: "tool_missing", dryRun: true),
            // changes_pending never counts, even without the dry-run mark.
            PlatformEvent(time: at(days: 1, minutes: 2), command: "create", app: "shop", environment: "staging", result: "error",
                          exitCode: 2, durationSeconds: 3, errorType: "changes_pending"),
            PlatformEvent(time: at(days: 1, minutes: 3), command: "create", app: "shop", environment: "staging", result: "error",
                          exitCode: 1, durationSeconds: 3, errorType: "tool_failed"),
        ]
        let metrics = PlatformMetrics.compute(events, since: t0, until: at(days: 2))
        XCTAssertEqual(metrics.errors, ["tool_failed": 1])
        XCTAssertTrue(metrics.prometheus().contains("# TYPE platform_errors_total counter\nplatform_errors_total{type=\"tool_failed\"} 1\n#"),
                      metrics.prometheus())
    }

    func testADryRunWithDetailedExitcodeIsRecordedAsADryRunAndCountsNowhere() async throws {
        let sandbox = try Sandbox()
        try await record(["create", "shop", "-e", "staging", "--dry-run", "--detailed-exitcode"], error: .changesPending,
                         sandbox: sandbox, io: TestIO())
        let events = try readEvents(sandbox)
        XCTAssertEqual(events.map(\.dryRun), [true])
        XCTAssertEqual(events.map(\.exitCode), [2])
        let metrics = PlatformMetrics.compute(events, since: .distantPast, until: .distantFuture)
        XCTAssertEqual(metrics.errors, [:])
        XCTAssertEqual(metrics.provisions, [:])
    }

    /// The event records the environment the command ran in: -e, else PLATFORM_ENVIRONMENT, else the
    /// user config's default_environment.
    func testCreateEventsRecordTheEnvironmentTheUserConfigChose() async throws {
        let sandbox = try Sandbox()
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"default_environment": "prod"}"#)
        // No terraform on PATH: create stops with 69 after choosing the environment.
        let env = sandbox.environment(extra: ["PATH": sandbox.root + "/empty-bin"])
        let fromConfig = await runCLI(["create", "shop"], environment: env, directory: sandbox.work)
        XCTAssertEqual(fromConfig.status, 69, fromConfig.stderr)
        let fromVariable = await runCLI(["create", "shop"], environment: env.merging(["PLATFORM_ENVIRONMENT": "qa"]) { $1 },
                                        directory: sandbox.work)
        XCTAssertEqual(fromVariable.status, 69, fromVariable.stderr)
        let fromFlag = await runCLI(["create", "shop", "-e", "staging"], environment: env, directory: sandbox.work)
        XCTAssertEqual(fromFlag.status, 69, fromFlag.stderr)
        let events = try readEvents(sandbox)
        XCTAssertEqual(events.map(\.command), ["create", "create", "create"])
        XCTAssertEqual(events.map(\.environment), ["prod", "qa", "staging"])
    }

    func testVersionHelpAndCompletionRunsRecordNothing() async throws {
        let sandbox = try Sandbox()
        let state = sandbox.root + "/never-created"
        let env = sandbox.environment(extra: ["PLATFORM_STATE_DIR": state])
        let runs: [[String]] = [["version"], ["--version"], ["version", "-o", "json"], ["help"], ["help", "deploy"],
                                ["--help"], ["deploy", "--help"], ["completion", "bash"], ["completion", "nope"],
                                ["__complete", "apps"]]
        for argv in runs {
            let run = await runCLI(argv, environment: env, directory: sandbox.work)
            XCTAssertTrue(run.status == 0 || run.status == 64, "\(argv): \(run.status) \(run.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: state), "the state folder was created")
        let recorded = await runCLI(["metrics", "--local", "--since", "1h"], environment: env, directory: sandbox.work)
        XCTAssertEqual(recorded.status, 0, recorded.stderr)
        XCTAssertEqual(try EventLog(path: state + "/events.jsonl").read().events.map(\.command), ["metrics"])
    }

    /// The event log is where the workspaces are: a relative XDG_STATE_HOME is ignored (XDG wants
    /// absolute paths), not resolved against the current folder.
    func testTheEventLogUsesTheStateFolderRules() {
        XCTAssertEqual(EventLog.stateDirectory(environment: ["XDG_STATE_HOME": "state", "HOME": "/home/u"]),
                       "/home/u/.local/state/platform")
        XCTAssertEqual(EventLog.stateDirectory(environment: ["XDG_STATE_HOME": "/xdg", "HOME": "/home/u"]), "/xdg/platform")
        XCTAssertEqual(EventLog.stateDirectory(environment: ["PLATFORM_STATE_DIR": "/s", "XDG_STATE_HOME": "/xdg"]), "/s")
        for environment in [["XDG_STATE_HOME": "state", "HOME": "/home/u"], ["HOME": "/h"], ["XDG_STATE_HOME": "/x"]] {
            XCTAssertEqual(EventLog.stateDirectory(environment: environment), StateDirectory.resolve(environment: environment))
        }
    }

    func testTimestampsAreRFC3339InUTCWithMilliseconds() {
        XCTAssertEqual(formatTimestamp(t0), "2026-09-21T14:13:20.000Z")
        XCTAssertEqual(formatTimestamp(t0.addingTimeInterval(0.1234)), "2026-09-21T14:13:20.123Z")
        XCTAssertEqual(formatTimestamp(Date(timeIntervalSince1970: 951_782_400.5)), "2000-02-29T00:00:00.500Z")
        XCTAssertEqual(formatTimestamp(Date(timeIntervalSince1970: -0.25)), "1969-12-31T23:59:59.750Z")
        for date in [t0, t0.addingTimeInterval(86_399.999), Date(timeIntervalSince1970: 4_102_444_800.042)] {
            XCTAssertEqual(parseTimestamp(formatTimestamp(date))?.timeIntervalSince1970 ?? 0,
                           (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000, accuracy: 0.0001)
        }
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

    func testMetricsOptions() throws {
        func parse(_ arguments: [String], environment: [String: String] = [:]) throws -> MetricsCommand.Options {
            let parsed = try ArgumentParser(commands: CommandTable.specs).parse(arguments)
            let options = try MetricsCommand.parse(parsed, globals: try GlobalOptions.from(parsed, environment: environment),
                                                   environment: environment)
            try MetricsCommand.validate(options)
            return options
        }
        XCTAssertEqual(try parse(["metrics", "shop", "-e", "staging", "--since", "7d", "-o", "json", "--kube-context", "k"]),
                       .init(name: "shop", environment: "staging", format: .json, since: "7d", local: false,
                             kube: KubeTarget(context: "k")))
        XCTAssertEqual(try parse(["metrics", "--format", "prometheus"], environment: ["PLATFORM_ENVIRONMENT": "qa"]),
                       .init(name: nil, environment: "qa", format: .prometheus, since: "30d", local: false, kube: KubeTarget()))
        XCTAssertEqual(try parse(["metrics", "--local"]).local, true)
        XCTAssertThrowsError(try parse(["metrics", "a", "b"]))
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
        let json = await runCLI(["metrics", "--local", "-o", "json"], environment: env)
        XCTAssertEqual(json.status, 0, json.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(document["deployments", "true"], .number(1))
        XCTAssertNil(document["delivery"], "--local reads no cluster")
        XCTAssertEqual(document["eventLog"], .string(log.path))
        XCTAssertTrue(json.stderr.contains("skipped 1 unreadable line"), json.stderr)
        let prom = await runCLI(["metrics", "--local", "--format", "prometheus", "--since", "1h"], environment: env)
        XCTAssertTrue(prom.stdout.contains("platform_metrics_window_seconds 3600\n"), prom.stdout)
        let bad = await runCLI(["metrics", "--since", "forever"], environment: env)
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("invalid --since 'forever'"), bad.stderr)
        let badFormat = await runCLI(["metrics", "--format", "xml"], environment: env)
        XCTAssertEqual(badFormat.status, 64)
        XCTAssertTrue(badFormat.stderr.contains("use text, json or prometheus"), badFormat.stderr)
        let localApp = await runCLI(["metrics", "shop", "--local"], environment: env)
        XCTAssertEqual(localApp.status, 64)
        XCTAssertTrue(localApp.stderr.contains("--local reads only this machine's event log: it takes no NAME (got 'shop')"), localApp.stderr)
        let badName = await runCLI(["metrics", "Shop!"], environment: env)
        XCTAssertEqual(badName.status, 64, badName.stderr)
    }
}
