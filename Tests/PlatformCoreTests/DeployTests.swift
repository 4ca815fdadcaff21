import Foundation
@testable import PlatformCore
import PlatformTestSupport
import XCTest

// MARK: - Fixtures shared by the deploy, logs, status and releases tests

/// Collects what a service reports, to assert on the progress lines.
final class RecordingReporter: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []

    func progress(_ message: String) { add("progress: " + message) }
    func detail(_ message: String) { add(message) }
    func warning(_ message: String) { add("warning: " + message) }

    private func add(_ line: String) {
        lock.lock()
        recorded.append(line)
        lock.unlock()
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    var text: String { lines.joined(separator: "\n") }
}

enum Fixture {
    static let app = "shop"
    static let env = "dev"
    static let v1 = "registry.example.com/shop:1.0.0"
    static let v2 = "registry.example.com/shop:2.0.0"
    static let v3 = "registry.example.com/shop:3.0.0"
    static let broken = "registry.example.com/shop:broken"
    static let crash = "registry.example.com/shop:crash"

    static func json(_ value: JSONValue) -> CommandResult {
        CommandResult(stdout: String(decoding: try! value.encoded(), as: UTF8.self))
    }

    /// A Deployment with `image`, its status as given.
    static func deployment(image: String, replicas: Int = 2, generation: Int = 2, observed: Int = 2,
                           updated: Int = 2, ready: Int = 2, total: Int = 2) -> JSONValue {
        .object([
            "apiVersion": .string("apps/v1"), "kind": .string("Deployment"),
            "metadata": .object(["name": .string(app), "namespace": .string(env), "uid": .string("dep-uid"),
                                 "generation": .number(Double(generation))]),
            "spec": .object([
                "replicas": .number(Double(replicas)),
                "template": .object(["spec": .object(["containers": .array([
                    .object(["name": .string(app), "image": .string(image)]),
                ])])]),
            ]),
            "status": .object([
                "observedGeneration": .number(Double(observed)), "replicas": .number(Double(total)),
                "updatedReplicas": .number(Double(updated)), "readyReplicas": .number(Double(ready)),
                "availableReplicas": .number(Double(ready)),
            ]),
        ])
    }

    /// A Pod running `image`; `waiting` makes the container wait with that reason.
    static func pod(_ name: String, image: String, ready: Bool = true, waiting: String? = nil, message: String = "",
                    restarts: Int = 0, running: Bool = true, uid: String? = nil, imageID: String? = nil) -> JSONValue {
        var state: JSONValue = .object(["running": .object(["startedAt": .string("2026-01-01T00:00:00Z")])])
        if let waiting {
            state = .object(["waiting": .object(["reason": .string(waiting), "message": .string(message)])])
        } else if !running {
            state = .object(["waiting": .object(["reason": .string("ContainerCreating")])])
        }
        return .object([
            "apiVersion": .string("v1"), "kind": .string("Pod"),
            "metadata": .object(["name": .string(name), "namespace": .string(env), "uid": .string(uid ?? "uid-" + name),
                                 "creationTimestamp": .string("2026-01-01T00:00:00Z"),
                                 "labels": .object(["app.kubernetes.io/name": .string(app)])]),
            "spec": .object(["containers": .array([.object(["name": .string(app), "image": .string(image)])])]),
            "status": .object([
                "phase": .string(ready ? "Running" : "Pending"),
                "conditions": .array([.object(["type": .string("Ready"), "status": .string(ready ? "True" : "False")])]),
                "containerStatuses": .array([.object([
                    "name": .string(app), "image": .string(image), "ready": .bool(ready),
                    "restartCount": .number(Double(restarts)), "state": state, "imageID": .string(imageID ?? ""),
                ])]),
            ]),
        ])
    }

    static func podList(_ pods: [JSONValue]) -> CommandResult {
        json(.object(["apiVersion": .string("v1"), "kind": .string("List"), "items": .array(pods)]))
    }

    /// The ConfigMap holding `releases` (resourceVersion "7"); none at all when there are no releases.
    static func configMap(_ releases: [Release]) -> CommandResult {
        guard !releases.isEmpty else { return CommandResult(stdout: "") }
        let document = try! ReleaseHistory(releases).configMap(app: app, namespace: env, environment: env)
        return json(document.merging(patch: .object(["metadata": .object(["resourceVersion": .string("7")])])))
    }

    static let getDeployment = ["kubectl", "get", "deployment", app, "-n", env, "--ignore-not-found", "-o", "json"]
    static let getPods = ["kubectl", "get", "pods", "-n", env, "-l", "app.kubernetes.io/name=shop", "-o", "json"]

    /// One look at the rollout: the Deployment, a ReplicaSet per image of `pods` (the one of the
    /// Deployment's template is the new one) and the Pods, owned by their ReplicaSet.
    static func look(_ deployment: JSONValue, _ pods: [JSONValue], requestTimeout: Int? = 10,
                     checkInput: (@Sendable (Data?) -> Void)? = nil) -> FakeCommandRunner.Expectation {
        var argv = ["kubectl", "get", "deployments,replicasets,pods", "-n", env, "-l", "app.kubernetes.io/name=shop"]
        if let requestTimeout { argv.append("--request-timeout=\(requestTimeout)s") }
        argv += ["-o", "json"]
        let items = [deployment] + replicaSets(deployment, pods) + pods.map { pod in
            let image = pod["spec", "containers"]?.arrayValue?.first?["image"]?.stringValue ?? ""
            return pod.merging(patch: .object(["metadata": .object(["ownerReferences": .array([.object([
                "apiVersion": .string("apps/v1"), "kind": .string("ReplicaSet"), "name": .string("shop-" + image),
                "uid": .string("rs-" + image), "controller": .bool(true)])])])]))
        }
        let result = json(.object(["apiVersion": .string("v1"), "kind": .string("List"), "items": .array(items)]))
        if let checkInput { return .init(argv, result: result, checkInput: checkInput) }
        return .init(argv, result: result)
    }

    static func replicaSets(_ deployment: JSONValue, _ pods: [JSONValue]) -> [JSONValue] {
        let image = { (pod: JSONValue) in pod["spec", "containers"]?.arrayValue?.first?["image"]?.stringValue ?? "" }
        var images = pods.map(image)
        if let live = RolloutRules.image(of: deployment, container: app), !images.contains(live) { images.append(live) }
        var seen: Set<String> = []
        return images.filter { seen.insert($0).inserted }.map { rsImage in
            let mine = pods.filter { image($0) == rsImage }
            return .object([
                "apiVersion": .string("apps/v1"), "kind": .string("ReplicaSet"),
                "metadata": .object(["name": .string("shop-" + rsImage), "uid": .string("rs-" + rsImage),
                                     "ownerReferences": .array([.object(["uid": .string("dep-uid"),
                                                                         "controller": .bool(true)])])]),
                "spec": .object(["template": .object(["spec": .object(["containers": .array([
                    .object(["name": .string(app), "image": .string(rsImage)]),
                ])])])]),
                "status": .object(["replicas": .number(Double(mine.count)),
                                   "readyReplicas": .number(Double(mine.filter(RolloutRules.isReady).count))]),
            ])
        }
    }
    static let getReleases = ["kubectl", "get", "configmap", "platform-releases-shop", "-n", env, "--ignore-not-found",
                              "-o", "json"]
    static let applyDeploy = ["kubectl", "apply", "--server-side", "--field-manager=platform-deploy",
                              "--force-conflicts", "-f", "-"]
    static let createReleases = ["kubectl", "create", "--field-manager=platform-deploy", "-f", "-"]
    static let replaceReleases = ["kubectl", "replace", "--field-manager=platform-deploy", "-f", "-"]

    /// Expects the apply of the image patch for `image`.
    static func setImage(_ image: String) -> FakeCommandRunner.Expectation {
        let kubectl = Kubectl(runner: FakeCommandRunner(), target: KubeTarget())
        return .init(applyDeploy, input: try! kubectl.imagePatch(app: app, namespace: env, image: image).encoded())
    }

    /// Expects a read of the history (`existing`) and the write (create when there was none, else
    /// replace with the read resourceVersion) of a history whose newest release matches `check`.
    static func record(existing: [Release], check: @escaping @Sendable (Release) -> Void) -> [FakeCommandRunner.Expectation] {
        [
            .init(getReleases, result: configMap(existing)),
            .init(existing.isEmpty ? createReleases : replaceReleases, checkInput: { data in
                guard let data, let document = try? JSONDecoder().decode(JSONValue.self, from: data),
                      let history = try? ReleaseHistory(configMap: document), let last = history.releases.last else {
                    XCTFail("the release ConfigMap was not applied")
                    return
                }
                XCTAssertEqual(document["kind"]?.stringValue, "ConfigMap")
                XCTAssertEqual(document["metadata", "name"]?.stringValue, "platform-releases-shop")
                XCTAssertEqual(document["metadata", "labels", "app.kubernetes.io/managed-by"]?.stringValue, "platform")
                XCTAssertEqual(document["metadata", "resourceVersion"]?.stringValue, existing.isEmpty ? nil : "7")
                check(last)
            }),
        ]
    }

    static func release(_ revision: Int, _ image: String, _ result: Release.Result) -> Release {
        Release(revision: revision, image: image, user: "alice", time: "2026-01-01T00:00:00Z", message: nil,
                result: result)
    }

    static func service(_ runner: FakeCommandRunner, reporter: ProgressReporter = SilentReporter(),
                        signals: SignalForwarder = SignalForwarder(), pollInterval: Double = 0,
                        clock: @escaping @Sendable () -> Double = { 0 }) -> DeployService {
        var service = DeployService(kubectl: Kubectl(runner: runner, target: KubeTarget()), reporter: reporter,
                                    signals: signals, user: "alice", pollInterval: pollInterval, clock: clock,
                                    now: { Date(timeIntervalSince1970: 1_767_225_600) })
        // The clock stands still in these tests: pull errors fail at first sight (the grace has
        // its own tests with a clock that moves).
        service.pullGrace = 0
        service.createGrace = 0
        // The configuration lease around each patch has its own tests (ConfigLeaseTests).
        service.takesConfigLease = false
        return service
    }
}

final class DeployTests: XCTestCase {
    typealias F = Fixture
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    func testTheDigestIsTakenFromReadyPodsOfTheImageOnly() {
        let id = "sha256:" + String(repeating: "cd", count: 32)
        XCTAssertEqual(ImageDigest.running(pods: [F.pod("a", image: F.v2, imageID: "x/shop@" + id)], app: F.app, image: F.v2),
                       "registry.example.com/shop@" + id, "the repository of the deployed image, the digest of the pod")
        XCTAssertNil(ImageDigest.running(pods: [F.pod("a", image: F.v1, imageID: "x@" + id)], app: F.app, image: F.v2), "another image")
        XCTAssertNil(ImageDigest.running(pods: [F.pod("a", image: F.v2, ready: false, imageID: "x@" + id)], app: F.app, image: F.v2))
        XCTAssertNil(ImageDigest.running(pods: [F.pod("a", image: F.v2, imageID: "x@" + id),
                                                F.pod("b", image: F.v2, imageID: "x@" + Self.digest)], app: F.app, image: F.v2),
                     "pods disagree: a tag moved during the rollout")
        XCTAssertNil(ImageDigest.digest(of: "sha256:123"))
        XCTAssertEqual(ImageDigest.pinned(image: "registry.example.com:5000/shop:1.2@" + id, digest: Self.digest),
                       "registry.example.com:5000/shop@" + Self.digest)
    }

    func testGoodDeployAppliesOnlyTheImageWaitsAndRecordsTheRelease() async throws {
        let history = [F.release(1, F.v1, .succeeded)]
        let pending = history + [Release(revision: 2, image: F.v2, user: "alice", time: "2026-01-01T00:00:00Z",
                                         message: "ship it", result: .pending)]
        let runner = FakeCommandRunner(
            [.init(F.getDeployment, result: F.json(F.deployment(image: F.v1, generation: 1, observed: 1))),
             F.look(F.deployment(image: F.v1, generation: 1, observed: 1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)], requestTimeout: nil)]
            + F.record(existing: history) { release in
                XCTAssertEqual(release.revision, 2)
                XCTAssertEqual(release.result, .pending)
                XCTAssertEqual(release.user, "alice")
                XCTAssertEqual(release.message, "ship it")
            }
            + [F.setImage(F.v2),
               // first look: the controller has not seen the change yet
               F.look(F.deployment(image: F.v2, generation: 2, observed: 1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)]),
               // second look: rolled out
               // the digest the ready pods run goes into the release (containerStatuses[].imageID)
               F.look(F.deployment(image: F.v2), [F.pod("shop-c", image: F.v2, imageID: "docker-pullable://registry.example.com/shop@" + Self.digest),
                                                  F.pod("shop-d", image: F.v2, imageID: "registry.example.com/shop@" + Self.digest)])]
            + F.record(existing: pending) { release in
                XCTAssertEqual(release.revision, 2)
                XCTAssertEqual(release.result, .succeeded)
                XCTAssertEqual(release.digest, "registry.example.com/shop@" + Self.digest)
            })
        let reporter = RecordingReporter()
        let outcome = try await F.service(runner, reporter: reporter).deploy(
            DeployRequest(app: F.app, environment: F.env, image: F.v2, message: "ship it"))
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(outcome.result, .succeeded)
        XCTAssertEqual(outcome.revision, 2)
        XCTAssertEqual(outcome.previousImage, F.v1)
        XCTAssertTrue(reporter.lines.contains("  0/2 updated, 0/2 ready, 2 old pending termination"), reporter.text)
        XCTAssertTrue(reporter.lines.contains("  2/2 updated, 2/2 ready"), reporter.text)
    }

    func testImagePullBackOffFailsFastAndRollsBackToTheLastSuccessfulRelease() async throws {
        let history = [F.release(1, F.v1, .succeeded)]
        let runner = FakeCommandRunner(
            [.init(F.getDeployment, result: F.json(F.deployment(image: F.v1))),
             F.look(F.deployment(image: F.v1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)], requestTimeout: nil)]
            + F.record(existing: history) { XCTAssertEqual($0.result, .pending) }
            + [F.setImage(F.broken),
               F.look(F.deployment(image: F.broken, updated: 1, total: 3), [
                   F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1),
                   F.pod("shop-x", image: F.broken, ready: false, waiting: "ImagePullBackOff",
                         message: "Back-off pulling image"),
               ]),
               // no log read for a container that never started; straight to the rollback
               F.setImage(F.v1),
               F.look(F.deployment(image: F.v1, generation: 3, observed: 3), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)])]
            + F.record(existing: history) { release in
                XCTAssertEqual(release.revision, 2)
                XCTAssertEqual(release.result, .rolledBack)
                XCTAssertEqual(release.rolledBackTo, F.v1)
                XCTAssertEqual(release.reason, "pod shop-x is ImagePullBackOff (still failing after 0s: Back-off pulling image)")
            })
        let reporter = RecordingReporter()
        do {
            _ = try await F.service(runner, reporter: reporter).deploy(
                DeployRequest(app: F.app, environment: F.env, image: F.broken))
            XCTFail("expected a rollback")
        } catch PlatformError.deployRolledBack(let message) {
            XCTAssertTrue(message.contains("ImagePullBackOff"), message)
            XCTAssertTrue(message.contains("rolled back to \(F.v1)"), message)
        }
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertTrue(reporter.text.contains("pod shop-x: shop ImagePullBackOff: still failing after 0s: Back-off pulling image"), reporter.text)
    }

    func testCrashLoopPrintsTheLastLogLinesAndNoRollbackExitsAsFailed() async throws {
        let runner = FakeCommandRunner(
            [.init(F.getDeployment, result: F.json(F.deployment(image: F.v1))),
             F.look(F.deployment(image: F.v1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)], requestTimeout: nil)]
            + F.record(existing: []) { XCTAssertEqual($0.revision, 1) }
            + [F.setImage(F.crash),
               F.look(F.deployment(image: F.crash, updated: 1, total: 3), [
                   F.pod("shop-a", image: F.v1),
                   F.pod("shop-x", image: F.crash, ready: false, waiting: "CrashLoopBackOff", message: "back-off 10s",
                         restarts: 3),
               ]),
               .init(["kubectl", "logs", "shop-x", "-n", F.env, "-c", F.app, "--tail=10", "--previous"],
                     result: CommandResult(stdout: "INFO starting\nERROR fatal: connection refused\n"))]
            + F.record(existing: []) { release in
                XCTAssertEqual(release.result, .failed)
                XCTAssertNil(release.rolledBackTo)
            })
        let reporter = RecordingReporter()
        do {
            _ = try await F.service(runner, reporter: reporter).deploy(
                DeployRequest(app: F.app, environment: F.env, image: F.crash, rollback: false))
            XCTFail("expected a failure")
        } catch PlatformError.deployFailed(let message) {
            XCTAssertTrue(message.contains("CrashLoopBackOff"), message)
            XCTAssertTrue(message.contains("--no-rollback"), message)
        }
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertTrue(reporter.lines.contains("    ERROR fatal: connection refused"), reporter.text)
    }

    func testTimeoutRollsBackToTheImageThatRanBefore() async throws {
        // The clock jumps 100 s per look: the first look is already past a 60 s timeout.
        let ticks = Counter()
        let runner = FakeCommandRunner(
            [.init(F.getDeployment, result: F.json(F.deployment(image: F.v1))),
             F.look(F.deployment(image: F.v1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)], requestTimeout: nil)]
            + F.record(existing: []) { _ in }
            + [F.setImage(F.v2),
               F.look(F.deployment(image: F.v2, updated: 1, ready: 2, total: 3), [
                   F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1),
                   F.pod("shop-c", image: F.v2, ready: false, running: false),
               ], requestTimeout: 1),
               F.setImage(F.v1),
               F.look(F.deployment(image: F.v1, generation: 3, observed: 3), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)])]
            + F.record(existing: []) { release in
                XCTAssertEqual(release.result, .rolledBack)
                XCTAssertEqual(release.reason, "timed out after 1m (1/2 updated, 0/2 ready, 2 old pending termination)")
            })
        do {
            _ = try await F.service(runner, clock: { Double(ticks.next()) * 100 }).deploy(
                DeployRequest(app: F.app, environment: F.env, image: F.v2, timeout: 60))
            XCTFail("expected a rollback")
        } catch PlatformError.deployRolledBack(let message) {
            XCTAssertTrue(message.contains("timed out after 1m"), message)
        }
        XCTAssertEqual(runner.unmet(), [])
    }

    func testRollbackThatFailsTooIsADeployFailure() async throws {
        let runner = FakeCommandRunner(
            [.init(F.getDeployment, result: F.json(F.deployment(image: F.broken))),
             F.look(F.deployment(image: F.broken), [F.pod("shop-y", image: F.broken, ready: false, waiting: "ErrImagePull")], requestTimeout: nil)]
            + F.record(existing: []) { _ in }
            + [F.setImage(F.crash),
               F.look(F.deployment(image: F.crash), [
                   F.pod("shop-x", image: F.crash, ready: false, waiting: "CreateContainerConfigError",
                         message: "secret \"db\" not found"),
               ]),
               F.setImage(F.broken),
               F.look(F.deployment(image: F.broken), [
                   F.pod("shop-y", image: F.broken, ready: false, waiting: "ErrImagePull"),
               ])]
            + F.record(existing: []) { XCTAssertEqual($0.result, .failed) })
        do {
            _ = try await F.service(runner).deploy(DeployRequest(app: F.app, environment: F.env, image: F.crash))
            XCTFail("expected a failure")
        } catch PlatformError.deployFailed(let message) {
            XCTAssertTrue(message.contains("CreateContainerConfigError"), message)
            XCTAssertTrue(message.contains("rollback to \(F.broken) failed too"), message)
        }
        XCTAssertEqual(runner.unmet(), [])
    }

    func testAnUnhealthyLiveImageRollsBackToTheLastSuccessfulRelease() async throws {
        let history = [F.release(1, F.v1, .succeeded), F.release(2, F.crash, .failed)]
        let runner = FakeCommandRunner(
            [.init(F.getDeployment, result: F.json(F.deployment(image: F.crash))),
             F.look(F.deployment(image: F.crash), [
                 F.pod("shop-a", image: F.v1),
                 F.pod("shop-x", image: F.crash, ready: false, waiting: "CrashLoopBackOff", restarts: 5),
             ], requestTimeout: nil)]
            + F.record(existing: history) { XCTAssertEqual($0.revision, 3) }
            + [F.setImage(F.broken),
               F.look(F.deployment(image: F.broken), [F.pod("shop-z", image: F.broken, ready: false, waiting: "ErrImagePull")]),
               F.setImage(F.v1),
               F.look(F.deployment(image: F.v1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)])]
            + F.record(existing: history) { XCTAssertEqual($0.rolledBackTo, F.v1) })
        do {
            _ = try await F.service(runner).deploy(DeployRequest(app: F.app, environment: F.env, image: F.broken))
            XCTFail("expected a rollback")
        } catch PlatformError.deployRolledBack(let message) {
            XCTAssertTrue(message.contains("rolled back to \(F.v1)"), message)
        }
        XCTAssertEqual(runner.unmet(), [])
    }

    func testAConcurrentWriteOfTheHistoryIsReadAgainAndRetried() async throws {
        let mine = [F.release(1, F.v1, .succeeded)]
        let theirs = mine + [F.release(2, F.v2, .pending)]
        let runner = FakeCommandRunner(
            [.init(F.getReleases, result: F.configMap(mine)),
             .init(F.replaceReleases, result: CommandResult(
                status: 1, stdout: "",
                stderr: "Error from server (Conflict): error when replacing \"STDIN\": Operation cannot be fulfilled on configmaps \"platform-releases-shop\": the object has been modified; please apply your changes to the latest version and try again"))]
            + F.record(existing: theirs) { release in
                XCTAssertEqual(release.revision, 3, "the next revision after the one recorded meanwhile")
            })
        let store = ReleaseStore(kubectl: Kubectl(runner: runner, target: KubeTarget()))
        let revision = try await store.update(app: F.app, namespace: F.env) { history in
            var release = F.release(0, F.v3, .pending)
            release.revision = history.nextRevision
            history.record(release)
            return release.revision
        }
        XCTAssertEqual(revision, 3)
        XCTAssertEqual(runner.unmet(), [])
    }

    func testAnotherDeployChangingTheImageStopsTheWaitWithoutRollback() async throws {
        let runner = FakeCommandRunner(
            [.init(F.getDeployment, result: F.json(F.deployment(image: F.v1))),
             F.look(F.deployment(image: F.v1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)], requestTimeout: nil)]
            + F.record(existing: []) { _ in }
            + [F.setImage(F.v2),
               F.look(F.deployment(image: F.v3), [F.pod("shop-a", image: F.v1)])]
            + F.record(existing: []) { release in
                XCTAssertEqual(release.result, .superseded)
                XCTAssertEqual(release.reason, "superseded by a deploy of \(F.v3)")
            })
        do {
            _ = try await F.service(runner).deploy(DeployRequest(app: F.app, environment: F.env, image: F.v2))
            XCTFail("expected a failure")
        } catch PlatformError.failed(let message) {
            XCTAssertTrue(message.contains("superseded by another deploy of \(F.v3)"), message)
        }
        XCTAssertEqual(runner.unmet(), [])
    }

    func testMissingAppFailsBeforeChangingAnything() async throws {
        let runner = FakeCommandRunner([.init(F.getDeployment, result: CommandResult(stdout: ""))])
        do {
            _ = try await F.service(runner).deploy(DeployRequest(app: F.app, environment: F.env, image: F.v2))
            XCTFail("expected a failure")
        } catch PlatformError.failed(let message) {
            XCTAssertTrue(message.contains("not found in environment 'dev'"), message)
        }
        XCTAssertEqual(runner.unmet(), [])
    }

    func testADeploymentWithoutTheAppsContainerIsRefused() async throws {
        var deployment = F.deployment(image: F.v1)
        deployment = deployment.merging(patch: .object(["spec": .object(["template": .object(["spec": .object([
            "containers": .array([.object(["name": .string("web"), "image": .string(F.v1)])]),
        ])])])]))
        let runner = FakeCommandRunner([.init(F.getDeployment, result: F.json(deployment))])
        do {
            _ = try await F.service(runner).deploy(DeployRequest(app: F.app, environment: F.env, image: F.v2))
            XCTFail("expected a failure")
        } catch PlatformError.failed(let message) {
            XCTAssertTrue(message.contains("has no container named shop (it has: web)"), message)
        }
        XCTAssertEqual(runner.unmet(), [])
    }

    func testNoWaitRecordsAnAppliedRelease() async throws {
        let runner = FakeCommandRunner(
            [.init(F.getDeployment, result: F.json(F.deployment(image: F.v1))),
             F.look(F.deployment(image: F.v1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)], requestTimeout: nil)]
            + F.record(existing: []) { XCTAssertEqual($0.result, .pending) }
            + [F.setImage(F.v2)]
            + F.record(existing: []) { XCTAssertEqual($0.result, .applied) })
        let outcome = try await F.service(runner).deploy(
            DeployRequest(app: F.app, environment: F.env, image: F.v2, wait: false))
        XCTAssertEqual(outcome.result, .applied)
        XCTAssertEqual(runner.unmet(), [])
    }

    func testAnInterruptionBetweenTwoLooksRecordsTheReleaseAsInterruptedAndThrows() async throws {
        let signals = SignalForwarder()
        let history = [F.release(1, F.v1, .succeeded)]
        let pending = history + [Release(revision: 2, image: F.v2, user: "alice", time: "2026-01-01T00:00:00Z",
                                         message: nil, result: .pending)]
        let runner = FakeCommandRunner(
            [.init(F.getDeployment, result: F.json(F.deployment(image: F.v1))),
             F.look(F.deployment(image: F.v1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)], requestTimeout: nil)]
            + F.record(existing: history) { XCTAssertEqual($0.result, .pending) }
            + [F.setImage(F.v2),
               // Ctrl-C shortly after this look, while the deploy sleeps until the next one
               F.look(F.deployment(image: F.v2, updated: 1, total: 3), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)],
                     checkInput: { _ in
                         Task {
                             try await Task.sleep(nanoseconds: 200_000_000)
                             signals.deliver(SIGINT)
                         }
                     })]
            // recorded although the signal came: not left pending
            + F.record(existing: pending) { release in
                XCTAssertEqual(release.revision, 2)
                XCTAssertEqual(release.result, .failed)
                XCTAssertEqual(release.reason, "interrupted (SIGINT) before the rollout was confirmed; the Deployment was left as it was")
            })
        // An hour between looks: only a sleep that checks for the signal ends in time; a watchdog
        // cancels the deploy after a minute otherwise (CancellationError, not `interrupted`).
        let deploy = Task {
            try await F.service(runner, signals: signals, pollInterval: 3600).deploy(
                DeployRequest(app: F.app, environment: F.env, image: F.v2))
        }
        let watchdog = Task {
            try await Task.sleep(nanoseconds: 60_000_000_000)
            deploy.cancel()
        }
        defer { watchdog.cancel() }
        do {
            _ = try await deploy.value
            XCTFail("expected an interruption")
        } catch {
            XCTAssertEqual(error as? PlatformError, .interrupted(signal: SIGINT))
        }
        XCTAssertEqual(runner.unmet(), [])
    }

    func testAnInterruptionDuringTheAutomaticRollbackKeepsTheFailureReason() async throws {
        let signals = SignalForwarder()
        let runner = FakeCommandRunner(
            [.init(F.getDeployment, result: F.json(F.deployment(image: F.v1))),
             F.look(F.deployment(image: F.v1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)], requestTimeout: nil)]
            + F.record(existing: []) { _ in }
            + [F.setImage(F.broken),
               F.look(F.deployment(image: F.broken), [F.pod("shop-x", image: F.broken, ready: false, waiting: "ErrImagePull")]),
               .init(F.applyDeploy, input: try Kubectl(runner: FakeCommandRunner(), target: KubeTarget())
                        .imagePatch(app: F.app, namespace: F.env, image: F.v1).encoded(),
                     checkInput: { _ in signals.deliver(SIGTERM) })]
            + F.record(existing: []) { release in
                XCTAssertEqual(release.result, .failed)
                XCTAssertEqual(release.reason, "pod shop-x is ErrImagePull (still failing after 0s); interrupted (SIGTERM) before the rollout was confirmed; the Deployment was left as it was")
            })
        do {
            _ = try await F.service(runner, signals: signals).deploy(DeployRequest(app: F.app, environment: F.env, image: F.broken))
            XCTFail("expected an interruption")
        } catch {
            XCTAssertEqual(error as? PlatformError, .interrupted(signal: SIGTERM))
        }
        XCTAssertEqual(runner.unmet(), [])
    }

    // MARK: - Signals while no child runs

    func testASignalDuringAnInterruptionAwareCommandDoesNotStopTheProcessAtOnce() async throws {
        let signals = SignalForwarder()
        let idle = Counter()
        signals.install(whenIdle: { _ in _ = idle.next() })
        try await signals.handlesInterruption {
            signals.deliver(SIGINT)
            XCTAssertEqual(idle.next(), 0, "the idle handler ran inside the scope")
            XCTAssertEqual(signals.receivedSignal, SIGINT)
            XCTAssertThrowsError(try signals.checkInterrupted())
            // recording the outcome: children may run again, until another signal
            await signals.finishing {
                XCTAssertNil(signals.receivedSignal)
            }
            XCTAssertEqual(signals.receivedSignal, SIGINT)
            // the user insists: a second signal stops it
            signals.deliver(SIGINT)
            XCTAssertEqual(idle.next(), 2, "a repeated signal is not held back")
        }
        // outside any scope, the first signal stops at once
        let plain = SignalForwarder()
        let stopped = Counter()
        plain.install(whenIdle: { _ in _ = stopped.next() })
        plain.deliver(SIGTERM)
        XCTAssertEqual(stopped.next(), 1)
    }

    func testASignalWhileAChildIsBeingStartedReachesTheChildInsteadOfStoppingTheProcess() async throws {
        let signals = SignalForwarder()
        let idle = Counter()
        signals.install(whenIdle: { _ in _ = idle.next() })
        signals.spawning()
        signals.deliver(SIGINT)  // between the spawn and the registration of its pid
        XCTAssertEqual(idle.next(), 0, "the process would have exited and orphaned the child")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        let done = DispatchSemaphore(value: 0)
        child.terminationHandler = { _ in done.signal() }
        try child.runWithDefaultSignalMask()
        signals.register(child.processIdentifier)
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "the pending signal did not reach the child")
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)
        XCTAssertEqual(child.terminationStatus, SIGINT)
        signals.unregister(child.processIdentifier)
    }

    func testDurationsAreShownShort() {
        XCTAssertEqual(DeployService.format(duration: 300), "5m")
        XCTAssertEqual(DeployService.format(duration: 90), "90s")
        XCTAssertEqual(DeployService.format(duration: 3600), "1h")
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let current = value
        value += 1
        return current
    }
}
