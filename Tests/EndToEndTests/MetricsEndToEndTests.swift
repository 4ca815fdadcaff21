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
                    try await runProgram([Repo.binary] + (index % 2 == 0 ? ["metrics", "--local", "--since", "1h"] : ["metrics", "--local", "--since", "x"]),
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
        let kubeconfig = try unreachableKubeconfig(app.sandbox)
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

        let json = await app.platform(["metrics", "-o", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let metrics = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(metrics["deployments"], .object(["true": .number(2), "false": .number(1)]), "the local run counters")
        // The delivery figures come from the release history in the cluster.
        let delivery = try XCTUnwrap(metrics["delivery"]?.arrayValue)
        XCTAssertEqual(delivery.map { $0["app"] }, [.string("shop")], "the unknown app has no history")
        XCTAssertEqual(delivery.first?["releases"], .number(3))
        XCTAssertEqual(delivery.first?["failed"], .number(1))
        XCTAssertEqual(delivery.first?["restores"], .number(1))
        XCTAssertNotNil(delivery.first?["meanTimeToRestoreSeconds"]?.intValue)
    }

    /// A relative XDG_STATE_HOME is not a state folder (XDG wants absolute paths): the event goes to
    /// ~/.local/state/platform, nothing appears in the current folder.
    func testARelativeXDGStateHomeLeavesTheCurrentFolderAlone() async throws {
        let sandbox = try Sandbox()
        var env = sandbox.environment(extra: ["XDG_STATE_HOME": "relative-state"])
        env["PLATFORM_STATE_DIR"] = nil
        let run = try await runProgram([Repo.binary, "metrics", "--local", "--since", "1h"], environment: env, directory: sandbox.work)
        XCTAssertEqual(run.status, 0, run.stderrText)
        XCTAssertEqual(Sandbox.listing(sandbox.work), [])
        let events = try EventLog(path: sandbox.home + "/.local/state/platform/events.jsonl").read().events
        XCTAssertEqual(events.map(\.command), ["metrics"])
    }

    /// Writes `releases` as the history of `app` with the product's own `ReleaseStore`, as another
    /// user's platform would have.
    func writeHistory(_ app: AppFixture, _ name: String, _ releases: [Release]) async throws {
        let store = ReleaseStore(kubectl: Kubectl(runner: ProcessRunner(environment: app.environmentVariables), target: KubeTarget()))
        for release in releases { try await store.record(release, app: name, namespace: app.environment) }
    }

    /// cart's history, relative to `now` (whole hours apart, so the figures are exact): a failed deploy
    /// restored an hour later by a deploy of a commit made two hours before it, then a config change
    /// that was rolled back and fixed an hour later by another config change.
    func cartHistory(now: Date) -> [Release] {
        func at(_ hours: Double) -> String { DeployService.timestamp(now.addingTimeInterval(-hours * 3600)) }
        var releases = [
            Release(revision: 1, image: "registry.example.com/cart:1", user: "carol", time: at(5), message: nil, result: .failed),
            Release(revision: 2, image: "registry.example.com/cart:2", user: "carol", time: at(4), message: nil, result: .succeeded),
            Release(revision: 3, image: "registry.example.com/cart:2", user: "dave", time: at(2), message: nil, result: .rolledBack,
                    kind: .config),
            Release(revision: 4, image: "registry.example.com/cart:2", user: "dave", time: at(1), message: nil, result: .succeeded,
                    kind: .config),
        ]
        releases[1].commit = Release.Commit(sha: String(repeating: "c", count: 40), time: at(6))
        return releases
    }

    /// "Each laptop sees only its own deploys" no more: two users deploy and change the configuration
    /// of shop from their machines, two others' platform wrote cart's history; a third machine with an
    /// empty event log sees the figures of both apps from the cluster, with one list request.
    func testDeliveryFromHistoriesWrittenByTwoUsers() async throws {
        let app = try await AppFixture(readyDelay: 0.2)
        defer { app.stop() }
        func platform(_ user: String, _ arguments: [String]) async -> CLIRun {
            await runCLI(arguments + ["-e", app.environment], environment: app.environmentVariables.merging(["USER": user]) { $1 },
                         directory: app.sandbox.work)
        }
        let steps: [(String, [String], Int32)] = [
            ("alice", ["deploy", "shop", "--image", "registry.example.com/shop:1.1.0"], 0),
            ("bob", ["vars", "set", "shop", "LOG_LEVEL=debug"], 0),
            ("alice", ["deploy", "shop", "--image", "registry.example.com/shop:broken"], 3),
            ("bob", ["vars", "set", "shop", "KUBE_TEST_CRASH=1"], 3),
            ("bob", ["deploy", "shop", "--image", "registry.example.com/shop:1.2.0"], 0),
        ]
        for (user, arguments, status) in steps {
            let run = await platform(user, arguments)
            XCTAssertEqual(run.status, status, "\(user) \(arguments): \(run.stderr)")
        }
        XCTAssertEqual(try app.releases().map(\.user), ["alice", "bob", "alice", "bob", "bob"])
        XCTAssertEqual(try app.releases().map(\.result), [.succeeded, .succeeded, .rolledBack, .rolledBack, .succeeded])
        let now = Date()
        try await writeHistory(app, "cart", cartHistory(now: now))

        // A third machine: its own, empty state folder.
        let laptop = app.sandbox.root + "/laptop-state"
        var env = app.environmentVariables.merging(["USER": "erin", "PLATFORM_STATE_DIR": laptop]) { $1 }
        let listsBefore = try app.cluster.requests().filter { $0["path"]?.stringValue == "/api/v1/namespaces/staging/configmaps" }.count
        let json = await runCLI(["metrics", "-e", "staging", "-o", "json"], environment: env, directory: app.sandbox.work)
        XCTAssertEqual(json.status, 0, json.stderr)
        let lists = try app.cluster.requests().filter { $0["path"]?.stringValue == "/api/v1/namespaces/staging/configmaps" }.count
        XCTAssertEqual(lists - listsBefore, 1, "one list request for all apps")
        let metrics = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(metrics["deployments"], .object(["true": .number(0), "false": .number(0)]), "this machine deployed nothing")
        XCTAssertEqual(metrics["sources", "delivery"], .string("cluster-release-histories"))
        XCTAssertEqual(metrics["sources", "deployments"], .string("local-event-log"))
        XCTAssertEqual(metrics["environment"], .string("staging"))
        let delivery = try XCTUnwrap(metrics["delivery"]?.arrayValue)
        XCTAssertEqual(delivery.map { $0["app"] }, [.string("cart"), .string("shop")])
        let cart = delivery[0], shop = delivery[1]
        XCTAssertEqual(shop["users"], .array([.string("alice"), .string("bob")]))
        XCTAssertEqual(shop["releases"], .number(5))
        XCTAssertEqual(shop["changes"], .number(5))
        XCTAssertEqual(shop["succeeded"], .number(3))
        XCTAssertEqual(shop["rolledBack"], .number(2))
        XCTAssertEqual(shop["configChanges"], .number(2), "bob's config changes count as changes")
        XCTAssertEqual(shop["changeFailureRate"], .number(0.4))
        XCTAssertEqual(shop["deploysPerDay"], .number(0.1))
        XCTAssertEqual(shop["restores"], .number(2), "each rolled-back release is restored by its own rollback (finishedAt)")
        XCTAssertNotNil(shop["meanTimeToRestoreSeconds"]?.intValue)
        XCTAssertNil(shop["leadTimeSeconds"], "no commit recorded")
        XCTAssertEqual(cart["users"], .array([.string("carol"), .string("dave")]))
        XCTAssertEqual(cart["changeFailureRate"], .number(0.5))
        XCTAssertEqual(cart["restores"], .number(2))
        XCTAssertEqual(cart["meanTimeToRestoreSeconds"], .number(3600))
        XCTAssertEqual(cart["leadTimeSeconds"], .number(7200))
        XCTAssertEqual(cart["leadTimeSamples"], .number(1))

        let one = await runCLI(["metrics", "cart", "-e", "staging", "-o", "json"], environment: env, directory: app.sandbox.work)
        XCTAssertEqual(one.status, 0, one.stderr)
        let oneDocument = try JSONDecoder().decode(JSONValue.self, from: Data(one.stdout.utf8))
        XCTAssertEqual(oneDocument["delivery"]?.arrayValue?.map { $0["app"] }, [.string("cart")])
        XCTAssertEqual(oneDocument["app"], .string("cart"))
        let text = await runCLI(["metrics", "-e", "staging"], environment: env, directory: app.sandbox.work)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("  shop  5         0.1      40%"), text.stdout)
        XCTAssertTrue(text.stdout.contains("alice, bob\n"), text.stdout)
        let missing = await runCLI(["metrics", "nosuch", "-e", "staging"], environment: env, directory: app.sandbox.work)
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("no release history of app 'nosuch' in environment 'staging'"), missing.stderr)

        // No cluster: a clear failure, and --local still gives this machine's counters.
        env["KUBECONFIG"] = try unreachableKubeconfig(app.sandbox)
        let down = await runCLI(["metrics", "-e", "staging"], environment: env, directory: app.sandbox.work)
        XCTAssertEqual(down.status, 1, down.stderr)
        XCTAssertTrue(down.stderr.contains("cannot read the release histories of environment 'staging' from the cluster"), down.stderr)
        XCTAssertTrue(down.stderr.contains("'platform metrics --local'"), down.stderr)
        XCTAssertEqual(down.stdout, "")
        let local = await runCLI(["metrics", "--local", "-o", "json"], environment: env, directory: app.sandbox.work)
        XCTAssertEqual(local.status, 0, local.stderr)
        XCTAssertNil(try JSONDecoder().decode(JSONValue.self, from: Data(local.stdout.utf8))["delivery"])
    }

    /// A kubeconfig whose cluster nobody listens at.
    func unreachableKubeconfig(_ sandbox: Sandbox) throws -> String {
        let kubeconfig = sandbox.root + "/unreachable.kubeconfig"
        let config: JSONValue = .object([
            "apiVersion": .string("v1"), "kind": .string("Config"), "current-context": .string("gone"),
            "clusters": .array([.object(["name": .string("gone"), "cluster": .object(["server": .string("http://127.0.0.1:9")])])]),
            "contexts": .array([.object(["name": .string("gone"), "context": .object(["cluster": .string("gone"), "user": .string("u")])])]),
            "users": .array([.object(["name": .string("u"), "user": .object([:])])]),
        ])
        try config.encoded(pretty: true).write(to: URL(fileURLWithPath: kubeconfig))
        return kubeconfig
    }

    /// The Prometheus text of both sources (local counters, delivery from the cluster) is accepted by
    /// the real promtool, with no lint findings.
    func testPrometheusOutputPassesPromtool() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("promtool missing (Debian package prometheus)") }
            throw XCTSkip("promtool missing (Debian package prometheus); run scripts/install-test-shells.sh")
        }
        let app = try await AppFixture(readyDelay: 0.2)
        defer { app.stop() }
        let sandbox = app.sandbox
        let log = EventLog(path: sandbox.state + "/events.jsonl")
        let now = Date()
        func ago(_ hours: Double) -> Date { now.addingTimeInterval(-hours * 3600) }
        try log.append(PlatformEvent(time: ago(50), command: "create", app: "shop", environment: "staging", result: "ok",
                                     exitCode: 0, durationSeconds: 40))
        try log.append(PlatformEvent(time: ago(40), command: "deploy", app: "shop", environment: "staging", result: "error",
                                     exitCode: 3, durationSeconds: 60, errorType: "deploy_rolled_back",
                                     image: "r.example.com/shop:2.0", outcome: "rolled_back"))
        try log.append(PlatformEvent(time: ago(39), command: "deploy", app: "shop", environment: "staging", result: "ok",
                                     exitCode: 0, durationSeconds: 30, image: "r.example.com/shop:2.1", outcome: "success"))
        try await writeHistory(app, "cart", cartHistory(now: now))
        try await writeHistory(app, "idle", [Release(revision: 1, image: "registry.example.com/idle:1", user: "x",
                                                     time: DeployService.timestamp(ago(24 * 40)), message: nil, result: .succeeded)])
        let result = try await runProgram([Repo.binary, "metrics", "--format", "prometheus", "--since", "7d", "-e", "staging"],
                                          environment: app.environmentVariables, directory: sandbox.work)
        XCTAssertEqual(result.status, 0, result.stderrText)
        let text = result.stdoutText
        for line in [
            "platform_provision_total{environment=\"staging\"} 1",
            "platform_deployment_total{success=\"true\"} 1",
            "platform_deployment_total{success=\"false\"} 1",
            "platform_errors_total{type=\"deploy_rolled_back\"} 1",
            "platform_releases{app=\"cart\",environment=\"staging\",result=\"rolled-back\"} 1",
            "platform_releases{app=\"cart\",environment=\"staging\",result=\"failed\"} 1",
            "platform_deploy_frequency_per_day{app=\"idle\",environment=\"staging\"} 0",
            "platform_change_failure_ratio{app=\"cart\",environment=\"staging\"} 0.5",
            "platform_time_to_restore_seconds{app=\"cart\",environment=\"staging\"} 3600",
            "platform_lead_time_seconds{app=\"cart\",environment=\"staging\"} 7200",
            "platform_metrics_window_seconds 604800",
        ] {
            XCTAssertTrue(text.contains(line + "\n"), "\(line) in\n\(text)")
        }
        XCTAssertFalse(text.contains("platform_change_failure_ratio{app=\"idle\""), "no judged release of idle in the window")
        XCTAssertTrue(text.contains("# HELP platform_lead_time_seconds Mean time from the recorded commit time to the end of the succeeded deploy's rollout (release histories in the cluster).\n"), text)
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
