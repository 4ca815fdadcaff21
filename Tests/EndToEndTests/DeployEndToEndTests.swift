import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// An app in the test cluster, set up the way `platform create` leaves it (Namespace, Deployment,
/// Service, Ingress with the shared labels, applied with the `platform` field manager).
struct AppFixture {
    let sandbox: Sandbox
    let cluster: TestCluster
    let name: String
    let environment: String

    init(name: String = "shop", environment: String = "staging", image: String = "registry.example.com/shop:1.0.0",
         replicas: Int = 2, readyDelay: Double = 0.2, serverArguments: [String] = []) async throws {
        sandbox = try Sandbox()
        cluster = try TestCluster(readyDelay: readyDelay, serverArguments: serverArguments)
        self.name = name
        self.environment = environment
        let labels: JSONValue = .object(["app.kubernetes.io/name": .string(name),
                                         "app.kubernetes.io/instance": .string("\(name)-\(environment)"),
                                         "app.kubernetes.io/managed-by": .string("platform")])
        func meta(_ extra: [String: JSONValue] = [:]) -> JSONValue {
            .object(["name": .string(name), "namespace": .string(environment), "labels": labels].merging(extra) { _, b in b })
        }
        let documents: [JSONValue] = [
            .object(["apiVersion": .string("v1"), "kind": .string("Namespace"),
                     "metadata": .object(["name": .string(environment)])]),
            .object(["apiVersion": .string("apps/v1"), "kind": .string("Deployment"), "metadata": meta(),
                     "spec": .object([
                        "replicas": .number(Double(replicas)),
                        "selector": .object(["matchLabels": .object(["app.kubernetes.io/name": .string(name)])]),
                        "template": .object([
                            "metadata": .object(["labels": labels]),
                            "spec": .object(["containers": .array([.object([
                                "name": .string(name), "image": .string(image),
                                "ports": .array([.object(["containerPort": .number(8080)])]),
                            ])])]),
                        ]),
                     ])]),
            .object(["apiVersion": .string("v1"), "kind": .string("Service"), "metadata": meta(),
                     "spec": .object(["selector": .object(["app.kubernetes.io/name": .string(name)]),
                                      "ports": .array([.object(["port": .number(80), "targetPort": .number(8080)])])])]),
            .object(["apiVersion": .string("networking.k8s.io/v1"), "kind": .string("Ingress"), "metadata": meta(),
                     "spec": .object(["rules": .array([.object([
                        "host": .string("\(name).\(environment).example.com"),
                        "http": .object(["paths": .array([.object([
                            "path": .string("/"), "pathType": .string("Prefix"),
                            "backend": .object(["service": .object(["name": .string(name),
                                                                    "port": .object(["number": .number(80)])])]),
                        ])])]),
                     ])])])]),
        ]
        _ = try await Kubectl(runner: ProcessRunner(environment: Self.variables(sandbox, cluster)), target: KubeTarget())
            .apply(documents, fieldManager: AppConventions.fieldManager(name))
    }

    var environmentVariables: [String: String] { Self.variables(sandbox, cluster) }

    private static func variables(_ sandbox: Sandbox, _ cluster: TestCluster) -> [String: String] {
        sandbox.environment(extra: cluster.environment.merging(["USER": "tester"]) { _, b in b })
    }

    /// `platform ARGS -e ENV` in-process with the real runner.
    func platform(_ arguments: [String]) async -> CLIRun {
        await runCLI(arguments + ["-e", environment], environment: environmentVariables, directory: sandbox.work)
    }

    func deployment() throws -> JSONValue? {
        try cluster.object(kind: "Deployment", namespace: environment, name: name)
    }

    func deployedImage() throws -> String? {
        try deployment()?["spec", "template", "spec", "containers"]?.arrayValue?.first?["image"]?.stringValue
    }

    func pods() throws -> [JSONValue] {
        try cluster.objects(kind: "Pod", namespace: environment)
    }

    func releases() throws -> [Release] {
        try ReleaseHistory(configMap: try cluster.object(kind: "ConfigMap", namespace: environment,
                                                         name: "platform-releases-\(name)")).releases
    }

    /// Polls the server until `condition` holds (a fixture wait, not an assertion).
    func waitUntil(_ what: String, _ condition: () throws -> Bool) async throws {
        for _ in 0..<200 {
            if try condition() { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTFail("gave up waiting until \(what)")
    }

    func waitForReadyPods(_ count: Int, image: String? = nil) async throws {
        try await waitUntil("\(count) ready pods") {
            try pods().filter { pod in
                (image == nil || RolloutRules.runs(pod, container: name, image: image!)) && RolloutRules.isReady(pod)
            }.count == count
        }
    }

    func stop() {
        cluster.stop()
        cluster.removeFiles()
    }
}

final class DeployEndToEndTests: XCTestCase {
    let v1 = "registry.example.com/shop:1.0.0"
    let v2 = "registry.example.com/shop:2.0.0"
    let v3 = "registry.example.com/shop:3.0.0"

    func testGoodDeployRunsTheNewImageAndIsRecorded() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let run = await app.platform(["deploy", "shop", "--image", v2, "-m", "first", "--timeout", "90s"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "Deployed \(v2) to shop in staging (release 1)\n")
        XCTAssertTrue(run.stderr.contains("2/2 updated, 2/2 ready"), run.stderr)
        XCTAssertEqual(try app.deployedImage(), v2)
        XCTAssertEqual(try app.pods().filter { RolloutRules.runs($0, container: "shop", image: self.v2) }.count, 2)
        // create's fields stay with `platform/shop`; deploy's image with `platform-deploy`
        let managers = try app.deployment()?["metadata", "managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue }
        XCTAssertTrue(managers?.contains("platform/shop") == true, "\(managers ?? [])")
        XCTAssertTrue(managers?.contains("platform-deploy") == true, "\(managers ?? [])")
        XCTAssertEqual(try app.deployment()?["spec", "selector", "matchLabels", "app.kubernetes.io/name"]?.stringValue, "shop")
        let releases = try app.releases()
        XCTAssertEqual(releases.map(\.result), [.succeeded])
        XCTAssertEqual(releases.first?.user, "tester")
        XCTAssertEqual(releases.first?.message, "first")
        let started = try XCTUnwrap(releases.first.flatMap { parseTimestamp($0.time) })
        let finished = try XCTUnwrap(releases.first?.finishedAt.flatMap(parseTimestamp), "the end of its rollout is recorded")
        XCTAssertGreaterThanOrEqual(finished, started)

        let json = await app.platform(["deploy", "shop", "--image", v3, "-o", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let outcome = try JSONDecoder().decode(DeployOutcome.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(outcome.revision, 2)
        XCTAssertEqual(outcome.image, v3)
        XCTAssertEqual(outcome.previousImage, v2)
        XCTAssertEqual(outcome.result, .succeeded)
        XCTAssertEqual(outcome.replicas?.ready, 2)
    }

    func testBrokenImageFailsFastRollsBackAndExits3() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let step1 = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(step1.status, 0, step1.stderr)
        let run = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:broken", "--timeout", "5m"])
        XCTAssertEqual(run.status, 3, run.stderr)
        // the kubelet reports ErrImagePull for an attempt, ImagePullBackOff between attempts
        XCTAssertTrue(run.stderr.contains("ImagePullBackOff") || run.stderr.contains("ErrImagePull"), run.stderr)
        XCTAssertTrue(run.stderr.contains("rolled back to \(v2)"), run.stderr)
        XCTAssertEqual(try app.deployedImage(), v2)
        try await app.waitForReadyPods(2, image: v2)
        let last = try XCTUnwrap(app.releases().last)
        XCTAssertEqual(last.result, .rolledBack)
        XCTAssertEqual(last.rolledBackTo, v2)
        // failed fast on the pod's reason, not at the 5m timeout
        XCTAssertTrue(["is ImagePullBackOff", "is ErrImagePull"].contains { last.reason?.contains($0) == true }, last.reason ?? "")
    }

    func testCrashingImageFailsFastWithItsLogsAndRollsBack() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let step2 = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(step2.status, 0, step2.stderr)
        let run = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:crash", "-o", "json"])
        XCTAssertEqual(run.status, 3, run.stderr)
        XCTAssertTrue(run.stderr.contains("CrashLoopBackOff"), run.stderr)
        XCTAssertTrue(run.stderr.contains("ERROR fatal: dial tcp 10.96.0.20:5432: connect: connection refused"), run.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(document["error", "exitCode"]?.intValue, 3)
        XCTAssertEqual(document["error", "type"]?.stringValue, "deploy_rolled_back")
        XCTAssertEqual(try app.deployedImage(), v2)
        try await app.waitForReadyPods(2, image: v2)
        XCTAssertTrue(try app.releases().last?.reason?.contains("CrashLoopBackOff") == true)
    }

    func testNoRollbackExits4AndLeavesTheFailedImage() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let run = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:crash", "--no-rollback"])
        XCTAssertEqual(run.status, 4, run.stderr)
        XCTAssertTrue(run.stderr.contains("not rolled back (--no-rollback)"), run.stderr)
        XCTAssertEqual(try app.deployedImage(), "registry.example.com/shop:crash")
        XCTAssertEqual(try app.releases().map(\.result), [.failed])
    }

    func testReleasesListEveryDeployWithItsResultAndRollbackRestoresAnEarlierImage() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let step3 = await app.platform(["deploy", "shop", "--image", v2, "-m", "two"])
        XCTAssertEqual(step3.status, 0, step3.stderr)
        let step4 = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:broken"])
        XCTAssertEqual(step4.status, 3, step4.stderr)
        let step5 = await app.platform(["deploy", "shop", "--image", v3])
        XCTAssertEqual(step5.status, 0, step5.stderr)

        let table = await app.platform(["releases", "shop"])
        XCTAssertEqual(table.status, 0, table.stderr)
        let lines = table.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, table.stdout)
        XCTAssertTrue(lines[0].hasPrefix("REVISION  IMAGE"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix(" 1  ") && lines[1].contains(v2) && lines[1].contains("succeeded")
                      && lines[1].contains("tester") && lines[1].hasSuffix("two"), lines[1])
        XCTAssertTrue(lines[2].contains("shop:broken") && lines[2].contains("rolled-back"), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("*3  ") && lines[3].contains(v3), lines[3])

        // default: the previous successful release (2.0.0)
        let back = await app.platform(["rollback", "shop"])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertEqual(try app.deployedImage(), TestCluster.pinned(v2), "the digest release 2's pods ran")
        // --to an earlier revision
        let step6 = await app.platform(["rollback", "shop", "--to", "3"])
        XCTAssertEqual(step6.status, 0, step6.stderr)
        XCTAssertEqual(try app.deployedImage(), TestCluster.pinned(v3))

        let json = await app.platform(["releases", "shop", "-o", "json"])
        let report = try JSONDecoder().decode(ReleasesReport.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(report.releases.map(\.result), [.succeeded, .rolledBack, .succeeded, .succeeded, .succeeded])
        XCTAssertEqual(report.releases.map(\.kind), [.deploy, .deploy, .deploy, .rollback, .rollback])
        XCTAssertEqual(report.releases.map(\.rollbackOf), [nil, nil, nil, 1, 3])
        XCTAssertEqual(report.current, 5)

        let unknown = await app.platform(["rollback", "shop", "--to", "42"])
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("release 42 of shop not found"), unknown.stderr)
    }

    func testDeployOfAnUnknownAppExits1AndCreatesNothing() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let run = await app.platform(["deploy", "cart", "--image", v2])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("app 'cart' not found in environment 'staging'"), run.stderr)
        XCTAssertNil(try app.cluster.object(kind: "Deployment", namespace: "staging", name: "cart"))
        XCTAssertNil(try app.cluster.object(kind: "ConfigMap", namespace: "staging", name: "platform-releases-cart"))
    }

    func testRollbackAfterAFailedDeployWithoutRollbackRestoresTheLastGoodImage() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let broken = "registry.example.com/shop:broken"
        let good = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(good.status, 0, good.stderr)
        let bad = await app.platform(["deploy", "shop", "--image", broken, "--no-rollback"])
        XCTAssertEqual(bad.status, 4, bad.stderr)

        // What runs is the broken release, not the last successful one.
        let before = await app.platform(["status", "shop", "-o", "json"])
        XCTAssertEqual(before.status, 0, before.stderr)
        let stuck = try JSONDecoder().decode(AppStatus.self, from: Data(before.stdout.utf8))
        XCTAssertEqual(stuck.image, broken)
        XCTAssertEqual(stuck.release?.revision, 2)
        XCTAssertEqual(stuck.release?.result, .failed)
        let history = await app.platform(["releases", "shop", "-o", "json"])
        XCTAssertEqual(try JSONDecoder().decode(ReleasesReport.self, from: Data(history.stdout.utf8)).current, 2)

        // The default target is the last good release (1), though it is the only one before.
        let back = await app.platform(["rollback", "shop"])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertTrue(back.stderr.contains("Going back to release 1 of shop: \(TestCluster.pinned(v2))"), back.stderr)
        XCTAssertEqual(try app.deployedImage(), TestCluster.pinned(v2))

        let after = await app.platform(["status", "shop", "-o", "json"])
        XCTAssertEqual(after.status, 0, after.stderr)
        let restored = try JSONDecoder().decode(AppStatus.self, from: Data(after.stdout.utf8))
        XCTAssertEqual(restored.image, TestCluster.pinned(v2))
        XCTAssertTrue(restored.healthy)
        XCTAssertEqual(restored.release?.revision, 3)
        XCTAssertEqual(restored.release?.image, TestCluster.pinned(v2))
        XCTAssertEqual(restored.release?.kind, .rollback)
        XCTAssertEqual(restored.release?.rollbackOf, 1)
        XCTAssertEqual(restored.release?.result, .succeeded)
    }

    /// Samples the children of `program` until it exits: every process it started that was seen.
    static func sampleChildren(of program: RunningPlatform) -> Task<Set<Int32>, Never> {
        Task.detached {
            var seen: Set<Int32> = []
            while program.process.isRunning {
                seen.formUnion(ProcessTree.children(of: program.pid))
                try? await Task.sleep(nanoseconds: 2_000_000)
            }
            return seen
        }
    }

    /// The processes of `seen` that still exist; none should (not even as a zombie: the program
    /// reaps its children before exiting).
    static func stillExisting(_ seen: Set<Int32>) -> [Int32] {
        seen.filter { kill($0, 0) == 0 }.sorted()
    }

    func testCtrlCDuringDeployExits130AndLeavesNoChild() async throws {
        // Pods take long to become ready, so the deploy is still waiting when it is interrupted.
        let app = try await AppFixture(readyDelay: 60)
        defer { app.stop() }
        let program = try RunningPlatform(["deploy", "shop", "--image", v2, "-e", "staging"],
                                      environment: app.environmentVariables, directory: app.sandbox.work)
        let sampler = Self.sampleChildren(of: program)
        try await program.waitFor("the rollout wait", within: 20) { $0.stderr.contains("updated") }
        // Interrupt while one of the kubectl calls of the wait runs (alive right before the signal).
        var running: [Int32] = []
        for _ in 0..<2000 where running.isEmpty {
            running = ProcessTree.children(of: program.pid).filter(ProcessTree.isAlive)
            if running.isEmpty { try await Task.sleep(nanoseconds: 1_000_000) }
        }
        XCTAssertFalse(running.isEmpty, "no kubectl child seen")
        kill(program.pid, SIGINT)
        XCTAssertEqual(program.exitStatus(within: 30), 130, program.stderr)
        let seen = await sampler.value.union(running)
        XCTAssertEqual(Self.stillExisting(seen), [], "children left running after the exit")
        XCTAssertTrue(program.stderr.contains("error: interrupted"), program.stderr)
        XCTAssertEqual(try app.releases().last?.result, .failed)
        XCTAssertTrue(try app.releases().last?.reason?.hasPrefix("interrupted (SIGINT)") == true)
    }

    func testCtrlCBetweenTwoLooksRecordsTheReleaseAndExits130ThroughTheErrorPath() async throws {
        let app = try await AppFixture(readyDelay: 60)
        defer { app.stop() }
        let program = try RunningPlatform(["deploy", "shop", "--image", v2, "-e", "staging"],
                                      environment: app.environmentVariables, directory: app.sandbox.work)
        let sampler = Self.sampleChildren(of: program)
        try await program.waitFor("the rollout wait", within: 20) { $0.stderr.contains("updated") }
        // Interrupt while no child runs: the deploy sleeps between two looks at the rollout.
        var idle = false
        for _ in 0..<2000 where !idle {
            idle = ProcessTree.children(of: program.pid).isEmpty
            if !idle { try await Task.sleep(nanoseconds: 1_000_000) }
        }
        XCTAssertTrue(idle, "the deploy never paused between two looks")
        kill(program.pid, SIGINT)
        XCTAssertEqual(program.exitStatus(within: 30), 130, program.stderr)
        let seen = await sampler.value
        XCTAssertEqual(Self.stillExisting(seen), [], "children left running after the exit")
        // The normal error path: the message, the release no longer pending, the event recorded.
        XCTAssertTrue(program.stderr.contains("error: interrupted"), program.stderr)
        let last = try XCTUnwrap(app.releases().last)
        XCTAssertEqual(last.image, v2)
        XCTAssertEqual(last.result, .failed)
        XCTAssertEqual(last.reason, "interrupted (SIGINT) before the rollout was confirmed; the Deployment was left as it was")
        let event = try XCTUnwrap(EventLog.standard(environment: app.environmentVariables)?.read().events.last)
        XCTAssertEqual(event.command, "deploy")
        XCTAssertEqual(event.exitCode, 130)
        XCTAssertEqual(event.errorType, "interrupted")
    }
}
