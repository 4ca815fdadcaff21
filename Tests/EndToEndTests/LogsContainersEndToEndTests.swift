import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// `platform logs` with the containers and pods of real clusters (issue 10 item 10): init containers
/// (a pod in Init:CrashLoopBackOff), Evicted pods, `--previous`, the cap on concurrent streams.
/// Pods are posted with a fixed status, which the test server's controllers leave as it is.
final class LogsContainersEndToEndTests: XCTestCase {
    static let image = "registry.example.com/shop:1.0.0"

    func post(_ app: AppFixture, _ pod: JSONValue) async throws {
        let result = try await runProgram(["kubectl", "create", "-f", "-"], environment: app.environmentVariables,
                                          directory: app.sandbox.work, input: try pod.encoded())
        XCTAssertEqual(result.status, 0, result.stderrText)
    }

    static func pod(_ name: String, phase: String, reason: String? = nil, initContainers: [JSONValue] = [],
                    initStatuses: [JSONValue] = [], statuses: [JSONValue]) -> JSONValue {
        var status: [String: JSONValue] = ["phase": .string(phase), "containerStatuses": .array(statuses)]
        if let reason { status["reason"] = .string(reason) }
        if !initStatuses.isEmpty { status["initContainerStatuses"] = .array(initStatuses) }
        var spec: [String: JSONValue] = ["containers": .array([.object(["name": .string("shop"), "image": .string(image)])])]
        if !initContainers.isEmpty { spec["initContainers"] = .array(initContainers) }
        return .object([
            "apiVersion": .string("v1"), "kind": .string("Pod"),
            "metadata": .object(["name": .string(name), "namespace": .string("staging"),
                                 "labels": .object(["app.kubernetes.io/name": .string("shop")])]),
            "spec": .object(spec), "status": .object(status),
        ])
    }

    static func containerStatus(_ name: String, state: JSONValue, restarts: Int = 0, last: JSONValue = .object([:])) -> JSONValue {
        .object(["name": .string(name), "image": .string(image), "ready": .bool(false), "restartCount": .number(Double(restarts)),
                 "containerID": .string("containerd://" + String(repeating: "ab", count: 32)), "state": state, "lastState": last])
    }

    static let running: JSONValue = .object(["running": .object(["startedAt": .string("2026-12-01T20:00:00Z")])])
    static let crashed: JSONValue = .object(["terminated": .object(["exitCode": .number(1), "reason": .string("Error"),
                                                                    "startedAt": .string("2026-12-01T20:00:00Z"),
                                                                    "finishedAt": .string("2026-12-01T20:00:01Z")])])

    /// A pod stuck in Init:CrashLoopBackOff: its init container `migrate` keeps failing, the app
    /// container waits in PodInitializing.
    static let initCrashing = pod(
        "shop-init-kx2lq", phase: "Pending",
        initContainers: [.object(["name": .string("migrate"), "image": .string("registry.example.com/shop-migrate:crash")])],
        initStatuses: [containerStatus("migrate", state: .object(["waiting": .object(["reason": .string("CrashLoopBackOff")])]),
                                       restarts: 3, last: crashed)],
        statuses: [containerStatus("shop", state: .object(["waiting": .object(["reason": .string("PodInitializing")])]))])

    func testAPodInInitCrashLoopShowsItsInitContainersLogs() async throws {
        let app = try await AppFixture(replicas: 0)
        defer { app.stop() }
        try await post(app, Self.initCrashing)
        let run = await app.platform(["logs", "shop", "--lines", "5"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("[pod/shop-init-kx2lq/migrate] "), run.stdout)
        XCTAssertTrue(run.stdout.contains("ERROR fatal"), run.stdout)
        XCTAssertFalse(run.stdout.contains("/shop] "), "the app container has not started: \(run.stdout)")
        XCTAssertFalse(run.stderr.contains("has started yet"), run.stderr)

        let only = await app.platform(["logs", "shop", "-c", "migrate"])
        XCTAssertEqual(only.status, 0, only.stderr)
        XCTAssertTrue(only.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("[pod/shop-init-kx2lq/migrate] ") }, only.stdout)
        let unknown = await app.platform(["logs", "shop", "-c", "nothere"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("containers: migrate, shop"), unknown.stderr)
    }

    func testEvictedPodsAreSkippedWithoutErrors() async throws {
        let app = try await AppFixture(replicas: 1)
        defer { app.stop() }
        try await app.waitForReadyPods(1)
        try await post(app, Self.pod("shop-evicted-9fzrw", phase: "Failed", reason: "Evicted",
                                     statuses: [Self.containerStatus("shop", state: Self.crashed)]))
        let run = await app.platform(["logs", "shop", "--lines", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertFalse(run.stdout.contains("shop-evicted-9fzrw"), run.stdout)
        XCTAssertFalse(run.stderr.contains("no logs from"), run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").count, 2, run.stdout)
    }

    func testPreviousShowsTheLogOfTheInstanceBeforeTheRestart() async throws {
        let app = try await AppFixture(replicas: 0)
        defer { app.stop() }
        try await post(app, Self.pod("shop-restarted-q8w2m", phase: "Running",
                                     statuses: [Self.containerStatus("shop", state: Self.running, restarts: 7, last: Self.crashed)]))
        let current = await app.platform(["logs", "shop", "--lines", "3"])
        XCTAssertEqual(current.status, 0, current.stderr)
        XCTAssertFalse(current.stdout.contains("ERROR"), current.stdout)
        let previous = await app.platform(["logs", "shop", "--previous", "--lines", "3"])
        XCTAssertEqual(previous.status, 0, previous.stderr)
        XCTAssertTrue(previous.stdout.contains("[pod/shop-restarted-q8w2m/shop] "), previous.stdout)
        XCTAssertTrue(previous.stdout.contains("ERROR fatal"), previous.stdout)
        let follow = await app.platform(["logs", "shop", "--previous", "-f"])
        XCTAssertEqual(follow.status, 64, follow.stderr)
    }

    func testFollowStartsAtMostTheCappedNumberOfStreams() async throws {
        let app = try await AppFixture(replicas: 0)
        defer { app.stop() }
        for name in ["shop-a-11111", "shop-b-22222", "shop-c-33333"] {
            try await post(app, Self.pod(name, phase: "Running", statuses: [Self.containerStatus("shop", state: Self.running)]))
        }
        var environment = app.environmentVariables
        environment["PLATFORM_LOGS_MAX_STREAMS"] = "2"
        let run = await runCLI(["logs", "shop", "-e", "staging", "-f", "--lines", "1", "--follow-for", "3s"],
                               environment: environment, directory: app.sandbox.work)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("following 2 of 3 containers: at most 2 log streams at once"), run.stderr)
        let pods = Set(run.stdout.split(separator: "\n").compactMap { $0.split(separator: "/").dropFirst().first.map(String.init) })
        XCTAssertEqual(pods, ["shop-a-11111", "shop-b-22222"], run.stdout)
    }
}
