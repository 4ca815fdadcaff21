import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Issue 10 (deploy half): rollouts judged as the controllers judge them, with the real kubectl
/// against the test API server's controllers (Tests/KubeAPIServer/workloads.py).
final class RolloutEndToEndTests: XCTestCase {
    let v1 = "registry.example.com/shop:1.0.0"
    let v2 = "registry.example.com/shop:2.0.0"
    let v3 = "registry.example.com/shop:3.0.0"

    /// `kubectl ARGS` against the fixture's server (stdin `input`), failing the test on a non-zero exit.
    @discardableResult
    func kubectl(_ app: AppFixture, _ arguments: [String], input: String? = nil) async throws -> String {
        let runner = ProcessRunner(environment: app.environmentVariables)
        let result = try await runner.capture(Command("kubectl", arguments, input: input.map { Data($0.utf8) }))
        XCTAssertEqual(result.status, 0, "kubectl \(arguments.joined(separator: " ")): \(result.stderrText)")
        return result.stdoutText
    }

    /// A Pod with a fixed status (the server's controllers leave it alone), labelled like the app's.
    func fixedPod(_ name: String, image: String, phase: String, reason: String? = nil, restarts: Int = 0,
                  labels extra: [String: String] = [:], owner: JSONValue? = nil) throws -> String {
        var labels: [String: JSONValue] = ["app.kubernetes.io/name": .string("shop")]
        for (key, value) in extra { labels[key] = .string(value) }
        var metadata: [String: JSONValue] = ["name": .string(name), "namespace": .string("staging"),
                                             "labels": .object(labels)]
        if let owner { metadata["ownerReferences"] = .array([owner]) }
        var status: [String: JSONValue] = ["phase": .string(phase)]
        if let reason {
            status["reason"] = .string(reason)
            status["message"] = .string("The node was low on resource: memory.")
        }
        if phase == "Running" {
            status["conditions"] = .array([.object(["type": .string("Ready"), "status": .string("True")])])
            status["containerStatuses"] = .array([.object([
                "name": .string("shop"), "image": .string(image), "ready": .bool(true),
                "restartCount": .number(Double(restarts)),
                "state": .object(["running": .object(["startedAt": .string("2026-11-24T00:00:00Z")])]),
                "lastState": .object(["terminated": .object(["reason": .string("OOMKilled"), "exitCode": .number(137)])]),
            ])])
        }
        let pod: JSONValue = .object([
            "apiVersion": .string("v1"), "kind": .string("Pod"), "metadata": .object(metadata),
            "spec": .object(["containers": .array([.object(["name": .string("shop"), "image": .string(image)])])]),
            "status": .object(status),
        ])
        return String(decoding: try pod.encoded(), as: UTF8.self)
    }

    // MARK: item 1 — only active Pods of the new ReplicaSet count

    func testEvictedPodsJobPodsAndOtherToolsPodsDoNotBlockARollout() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let first = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(first.status, 0, first.stderr)
        let rs = try XCTUnwrap(app.cluster.objects(kind: "ReplicaSet", namespace: "staging").first {
            $0["spec", "template", "spec", "containers"]?.arrayValue?.first?["image"]?.stringValue == v2
        })
        let owner: JSONValue = .object(["apiVersion": .string("apps/v1"), "kind": .string("ReplicaSet"),
                                        "name": rs["metadata", "name"]!, "uid": rs["metadata", "uid"]!,
                                        "controller": .bool(true)])
        // An evicted pod of the old ReplicaSet, a finished Job pod and another tool's restarting pod
        // of the new image, all with the app's name label.
        try await kubectl(app, ["create", "-f", "-"], input: try fixedPod("shop-evicted", image: v2, phase: "Failed",
                                                                         reason: "Evicted", owner: owner))
        try await kubectl(app, ["create", "-f", "-"], input: try fixedPod("shop-migrate-x2k4q", image: v3,
                                                                         phase: "Succeeded", labels: ["job-name": "shop-migrate"]))
        try await kubectl(app, ["create", "-f", "-"], input: try fixedPod("shop-canary", image: v3, phase: "Running",
                                                                         restarts: 7))
        let status = await app.platform(["status", "shop", "-o", "json"])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(try JSONDecoder().decode(AppStatus.self, from: Data(status.stdout.utf8)).healthy, status.stdout)

        let run = await app.platform(["deploy", "shop", "--image", v3, "--timeout", "30s"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try app.releases().map(\.result), [.succeeded, .succeeded])
        XCTAssertEqual(try app.cluster.object(kind: "Pod", namespace: "staging", name: "shop-evicted")?["status", "phase"]?.stringValue,
                       "Failed")
    }

    // MARK: item 2 — restarts since this deploy began, never the lifetime count

    func testLifetimeRestartsOfTheRunningPodsFailNeitherStatusNorTheRollback() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let first = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(first.status, 0, first.stderr)
        // The v2 pods were OOM-killed three times last week.
        for pod in try app.pods() where RolloutRules.isActive(pod) {
            try app.cluster.request("POST", "/_test/pods/staging/\(RolloutRules.name(pod))/restarts?count=3")
        }
        try await app.waitUntil("the restarts show") {
            try app.pods().filter(RolloutRules.isActive).allSatisfy {
                $0["status", "containerStatuses"]?.arrayValue?.first?["restartCount"]?.intValue == 3
            }
        }
        let status = await app.platform(["status", "shop", "-o", "json"])
        XCTAssertTrue(try JSONDecoder().decode(AppStatus.self, from: Data(status.stdout.utf8)).healthy, status.stdout)
        // A permanently failing image: fails at once, the rollback to the restarted v2 pods succeeds.
        let run = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:neverpull"])
        XCTAssertEqual(run.status, 3, run.stderr)
        XCTAssertTrue(run.stderr.contains("ErrImageNeverPull"), run.stderr)
        XCTAssertTrue(run.stderr.contains("rolled back to \(v2), which is serving again"), run.stderr)
        XCTAssertEqual(try app.releases().last?.result, .rolledBack)
    }

    // MARK: item 3 — a failure budget instead of zero tolerance

    func testAPullErrorThatClearsAndACrashThatStopsAreNoFailures() async throws {
        let app = try await AppFixture(serverArguments: ["--pull-fail-seconds", "3"])
        defer { app.stop() }
        // Pulls fail (429) for 3 s, then succeed: within the 20 s grace.
        let flaky = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:flaky", "--timeout", "60s"])
        XCTAssertEqual(flaky.status, 0, flaky.stderr)
        XCTAssertTrue(flaky.stderr.contains("ErrImagePull") || flaky.stderr.contains("ImagePullBackOff"), flaky.stderr)
        // Each new pod crashes once (the database was not up yet): 2 restarts, the budget of 2 replicas.
        let crashOnce = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:crash1", "--timeout", "60s"])
        XCTAssertEqual(crashOnce.status, 0, crashOnce.stderr)
        XCTAssertEqual(try app.releases().map(\.result), [.succeeded, .succeeded])
    }

    // MARK: item 5 — transient API errors

    func testTransientAPIErrorsDuringTheWaitAreRetried() async throws {
        let app = try await AppFixture(readyDelay: 2)
        defer { app.stop() }
        try app.cluster.fault(method: "GET", pathPrefix: "/api/v1/namespaces/staging/pods", status: 503, count: 3)
        let run = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "60s"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("ServiceUnavailable"), run.stderr)
        XCTAssertTrue(run.stderr.contains("retrying"), run.stderr)
        XCTAssertEqual(try app.releases().map(\.result), [.succeeded])
    }

    func testAnOutageLongerThanTheTimeoutEndsOnTimeRecordsTheReleaseFailedAndExits4() async throws {
        let app = try await AppFixture(readyDelay: 60)
        defer { app.stop() }
        let program = try RunningPlatform(["deploy", "shop", "--image", v2, "-e", "staging", "--timeout", "6s",
                                           "--rollback-timeout", "3s"],
                                          environment: app.environmentVariables, directory: app.sandbox.work)
        try await program.waitFor("the rollout wait", within: 20) { $0.stderr.contains("updated") }
        try app.cluster.fault(method: "GET", pathPrefix: "/api/v1/namespaces/staging/pods", status: 503, count: -1)
        // 6 s + 3 s and the record: bounded well before the old code's unbounded retry-free exit 1.
        XCTAssertEqual(program.exitStatus(within: 40), 4, program.stderr)
        XCTAssertTrue(program.stderr.contains("the API server did not answer"), program.stderr)
        try app.cluster.clearFaults()
        let last = try XCTUnwrap(app.releases().last)
        XCTAssertEqual(last.result, .failed)
        XCTAssertTrue(last.reason?.contains("timed out after 6s; the API server did not answer") == true, last.reason ?? "")
        XCTAssertTrue(last.reason?.contains("rollback to \(v1) failed too") == true, last.reason ?? "")
    }

    // MARK: item 6 — ReplicaFailure, paused, unschedulable

    func testAQuotaThatStopsPodCreationFailsWithItsMessage() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        try await kubectl(app, ["apply", "--server-side", "--field-manager=test", "-f", "-"], input: """
            {"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"pods","namespace":"staging"},"spec":{"hard":{"pods":"2"}}}
            """)
        let run = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "5m"])
        XCTAssertEqual(run.status, 3, run.stderr)
        XCTAssertTrue(run.stderr.contains("exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2"), run.stderr)
        let last = try XCTUnwrap(app.releases().last)
        XCTAssertTrue(last.reason?.contains("cannot create pods (ReplicaFailure FailedCreate") == true, last.reason ?? "")
        XCTAssertFalse(last.reason?.contains("timed out") == true, last.reason ?? "")
        XCTAssertEqual(try app.deployedImage(), v1)
    }

    func testAPausedDeploymentIsRefusedAndNothingChanges() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        try await kubectl(app, ["rollout", "pause", "deployment/shop", "-n", "staging"])
        let run = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "20s"])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("is paused (spec.paused: true)"), run.stderr)
        XCTAssertTrue(run.stderr.contains("kubectl rollout resume deployment/shop -n staging"), run.stderr)
        XCTAssertEqual(try app.deployedImage(), v1)
        XCTAssertEqual(try app.releases(), [])
    }

    // MARK: item 11 — the same image is not a new release

    func testTheRunningImageIsNotDeployedAgainUnlessForced() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let first = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(first.status, 0, first.stderr)
        let again = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout, "shop in staging already runs \(v2) (release 1): nothing to deploy\n")
        XCTAssertEqual(try app.releases().count, 1)

        let before = Set(try app.pods().filter(RolloutRules.isActive).map(RolloutRules.uid))
        let forced = await app.platform(["deploy", "shop", "--image", v2, "--force", "-o", "json"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        let outcome = try JSONDecoder().decode(DeployOutcome.self, from: Data(forced.stdout.utf8))
        XCTAssertEqual(outcome.restarted, true)
        XCTAssertEqual(outcome.revision, 2)
        let releases = try app.releases()
        XCTAssertEqual(releases.map(\.result), [.succeeded, .succeeded])
        XCTAssertNotNil(releases.last?.restartedAt)
        XCTAssertEqual(try app.deployment()?["spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/restartedAt"]?.stringValue,
                       releases.last?.restartedAt)
        try await app.waitUntil("the old pods are gone") {
            Set(try app.pods().map(RolloutRules.uid)).isDisjoint(with: before)
        }
    }

    // MARK: item 12 — a bounded number of kubectl processes

    func testAWaitStartsOneKubectlProcessPerLookEveryTwoSeconds() async throws {
        // Pods take 4 s to become ready; with maxSurge 1 the two replicas roll one after the other.
        let app = try await AppFixture(readyDelay: 4)
        defer { app.stop() }
        let wrapper = app.sandbox.root + "/wrapper"
        try FileManager.default.createDirectory(atPath: wrapper, withIntermediateDirectories: true)
        let log = app.sandbox.root + "/kubectl.log"
        let real = Repo.tools + "/kubectl"
        try "#!/bin/sh\necho \"$*\" >> '\(log)'\nexec '\(real)' \"$@\"\n"
            .write(toFile: wrapper + "/kubectl", atomically: true, encoding: .utf8)
        chmod(wrapper + "/kubectl", 0o755)
        var environment = app.environmentVariables
        environment["PATH"] = wrapper + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        let started = Date()
        let run = await runCLI(["deploy", "shop", "--image", v2, "-e", "staging", "--timeout", "2m"],
                               environment: environment, directory: app.sandbox.work)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(run.status, 0, run.stderr)
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let looks = calls.filter { $0.hasPrefix("get deployments,replicasets,pods") }
        // One look before the deploy, one at once after the apply, then one every 2 s.
        XCTAssertLessThanOrEqual(looks.count, 2 + Int((seconds / DeployService.defaultPollInterval).rounded(.up)), calls.joined(separator: "\n"))
        // Besides the looks: the staged configuration, the configuration lease taken and given back (a read
        // and a write each), get deployment, the release read+write twice, the apply.
        XCTAssertEqual(calls.count - looks.count, 11, calls.joined(separator: "\n"))
        XCTAssertTrue(seconds >= 7, "the rollout was expected to take two steps of 4 s")
    }
}
