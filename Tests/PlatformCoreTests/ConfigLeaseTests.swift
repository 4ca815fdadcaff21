import Foundation
@testable import PlatformCore
import PlatformTestSupport
import XCTest

/// The configuration lease (`lease` in `platform-config-NAME`) that `vars`/`secrets` hold for a whole
/// change and `deploy`/`rollback` around their patch: waited for, taken with the resourceVersion as
/// precondition, given back only by its holder, taken over once expired.
final class ConfigLeaseTests: XCTestCase {
    typealias F = Fixture
    static let getState = ["kubectl", "get", "configmap", "platform-config-shop", "-n", F.env, "--ignore-not-found", "-o", "json"]
    static let bob = ConfigState.Lease(holder: "bob-1", user: "bob", since: "2025-12-31T23:59:00Z", expires: "2026-01-01T00:10:00Z")

    /// The state ConfigMap holding `lease` at resourceVersion `version`.
    func state(_ lease: ConfigState.Lease?, version: String) -> CommandResult {
        let document = try! ConfigState(lease: lease).configMap(app: F.app, namespace: F.env)
        return F.json(document.merging(patch: .object(["metadata": .object(["resourceVersion": .string(version)])])))
    }

    /// Expects a `kubectl replace` of the state whose lease matches `check`, at resourceVersion `version`.
    func replace(version: String, _ check: @escaping @Sendable (ConfigState.Lease?) -> Void) -> FakeCommandRunner.Expectation {
        .init(F.replaceReleases, checkInput: { data in
            guard let data, let document = try? JSONDecoder().decode(JSONValue.self, from: data),
                  let state = try? ConfigState(configMap: document) else { return XCTFail("no state written") }
            XCTAssertEqual(document["metadata", "name"]?.stringValue, "platform-config-shop")
            XCTAssertEqual(document["metadata", "resourceVersion"]?.stringValue, version, "the version read is the precondition")
            check(state.lease)
        })
    }

    func testItWaitsWhileAnotherHoldsItThenTakesItAndGivesItBack() async throws {
        let mine = ConfigState.Lease(holder: "mine", user: "alice", since: "2026-01-01T00:00:00Z", expires: "2026-01-01T00:07:00Z",
                                     what: "deploy")
        let runner = FakeCommandRunner([
            .init(Self.getState, result: state(Self.bob, version: "3")),   // bob's change runs: wait
            .init(Self.getState, result: state(nil, version: "4")),        // given back
            replace(version: "4") { XCTAssertEqual($0, mine) },
            .init(Self.getState, result: state(mine, version: "5")),
            replace(version: "5") { XCTAssertNil($0) },
        ])
        let reporter = RecordingReporter()
        let lease = ConfigLease(deployer: F.service(runner, reporter: reporter), app: F.app, namespace: F.env, pollInterval: 0)
        let held = try await lease.acquire(wait: 60, expiresAfter: 420, what: "deploy", holder: "mine")
        XCTAssertEqual(reporter.lines, ["progress: Waiting for the configuration change of shop by bob (since 2025-12-31T23:59:00Z)"])
        try await held.giveBack()
        try await held.giveBack()  // once given back, again is nothing
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(runner.calls.count, 5)
    }

    /// A 503 while taking or giving back the lease is tried again (before: the deploy failed at once,
    /// or the lease was left behind blocking every change until it expired).
    func testTransientAPIErrorsAreTriedAgainWhenTakingAndGivingBack() async throws {
        let unavailable = CommandResult(status: 1, stdout: "",
                                        stderr: "Error from server (ServiceUnavailable): the server is currently unable to handle the request")
        let mine = ConfigState.Lease(holder: "mine", user: "alice", since: "2026-01-01T00:00:00Z", expires: "2026-01-01T00:07:00Z",
                                     what: "deploy")
        let runner = FakeCommandRunner([
            .init(Self.getState, result: unavailable),
            .init(Self.getState, result: state(nil, version: "4")),
            replace(version: "4") { XCTAssertEqual($0, mine) },
            .init(Self.getState, result: unavailable),
            .init(Self.getState, result: state(mine, version: "5")),
            replace(version: "5") { XCTAssertNil($0) },
        ])
        let lease = ConfigLease(deployer: F.service(runner), app: F.app, namespace: F.env, pollInterval: 0)
        let held = try await lease.acquire(wait: 60, expiresAfter: 420, what: "deploy", holder: "mine")
        try await held.giveBack()
        XCTAssertEqual(runner.unmet(), [])
    }

    func testWhoeverWaitsIsToldWhatHoldsTheLease() async throws {
        var deploy = Self.bob
        deploy.what = "deploy"
        let runner = FakeCommandRunner([.init(Self.getState, result: state(deploy, version: "3")),
                                        .init(Self.getState, result: state(nil, version: "4")),
                                        replace(version: "4") { XCTAssertNil($0?.what, "a configuration change") }])
        let reporter = RecordingReporter()
        _ = try await ConfigLease(deployer: F.service(runner, reporter: reporter), app: F.app, namespace: F.env, pollInterval: 0)
            .acquire(wait: 60, expiresAfter: 420)
        XCTAssertEqual(reporter.lines, ["progress: Waiting for the deploy of shop by bob (since 2025-12-31T23:59:00Z)"])
        XCTAssertEqual(runner.unmet(), [])
    }

    func testALeaseThatIsNotFreedInTimeIsAClearErrorAndNothingIsWritten() async throws {
        let runner = FakeCommandRunner([.init(Self.getState, result: state(Self.bob, version: "3"))])
        let ticks = Ticks()
        let lease = ConfigLease(deployer: F.service(runner, clock: { ticks.next() }), app: F.app, namespace: F.env,
                                pollInterval: 0)
        do {
            _ = try await lease.acquire(wait: 5, expiresAfter: 420)
            XCTFail("expected the wait to end")
        } catch PlatformError.failed(let message) {
            XCTAssertEqual(message, "another configuration change of shop in dev (by bob, since 2025-12-31T23:59:00Z) did not finish within 5s; nothing was changed")
        }
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(runner.calls.count, 1, "no write")
    }

    func testAnExpiredLeaseIsTakenOverAndGivingBackLeavesAnotherHoldersLeaseAlone() async throws {
        let expired = ConfigState.Lease(holder: "bob-1", user: "bob", since: "2025-12-31T20:00:00Z", expires: "2025-12-31T21:00:00Z")
        let runner = FakeCommandRunner([
            .init(Self.getState, result: state(expired, version: "3")),
            replace(version: "3") { XCTAssertEqual($0?.holder, "mine") },
            // meanwhile ours expired and carol took it over: giving back leaves hers alone
            .init(Self.getState, result: state(ConfigState.Lease(holder: "carol-1", user: "carol", since: "2026-01-01T00:20:00Z",
                                                                  expires: "2026-01-01T00:30:00Z"), version: "9")),
        ])
        let held = try await ConfigLease(deployer: F.service(runner), app: F.app, namespace: F.env, pollInterval: 0)
            .acquire(wait: 60, expiresAfter: 420, holder: "mine")
        try await held.giveBack()
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(runner.calls.count, 3, "no write over carol's lease")
    }

    /// A deploy's automatic rollback takes the lease again; when a configuration change (bob's, whose
    /// lease it waits for) replaced the failed deploy's configuration meanwhile, the rollback is not
    /// applied (it would revert bob's change): the deploy is superseded.
    func testTheAutomaticRollbackIsNotAppliedOverAChangeMadeMeanwhile() async throws {
        let history = [F.release(1, F.v1, .succeeded)]
        let changed = ConfigReference(vars: "shop-vars-2222222222")
        let replaced = F.deployment(image: F.broken).merging(patch: .object(["spec": .object(["template": .object([
            "spec": .object(["containers": .array([.object(["name": .string(F.app), "image": .string(F.broken),
                                                            "envFrom": .array(changed.envFrom)])])]),
        ])])]))
        let deploying: @Sendable (ConfigState.Lease?) -> Void = { lease in
            XCTAssertEqual(lease?.user, "alice")
            XCTAssertEqual(lease?.what, "deploy")
            XCTAssertNotEqual(lease?.holder, Self.bob.holder)
        }
        let taken: @Sendable (ConfigState.Lease?) -> Void = { lease in
            XCTAssertEqual(lease?.user, "alice")
            XCTAssertEqual(lease?.what, "rollback of a failed deploy")
            XCTAssertNotEqual(lease?.holder, Self.bob.holder)
        }
        let runner = FakeCommandRunner(
            [.init(Self.getState, result: state(nil, version: "1")), replace(version: "1", deploying),
             .init(F.getDeployment, result: F.json(F.deployment(image: F.v1))),
             F.look(F.deployment(image: F.v1), [F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1)], requestTimeout: nil)]
            + F.record(existing: history) { XCTAssertEqual($0.result, .pending) }
            + [F.setImage(F.broken),
               // given back once the patch is applied (here: already gone, so nothing to write)
               .init(Self.getState, result: state(nil, version: "3")),
               F.look(F.deployment(image: F.broken, updated: 1, total: 3), [
                   F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1),
                   F.pod("shop-x", image: F.broken, ready: false, waiting: "ImagePullBackOff", message: "Back-off pulling image"),
               ]),
               // the rollback waits for bob's change, then finds the Deployment changed: no rollback patch
               .init(Self.getState, result: state(Self.bob, version: "4")),
               .init(Self.getState, result: state(nil, version: "5")), replace(version: "5", taken),
               .init(F.getDeployment, result: F.json(replaced)),
               .init(Self.getState, result: state(nil, version: "7"))]
            + F.record(existing: history) { release in
                XCTAssertEqual(release.result, .superseded)
                XCTAssertEqual(release.reason, "superseded by a deploy of \(F.broken) with configuration vars 2222222222, secrets none")
            })
        let reporter = RecordingReporter()
        var service = F.service(runner, reporter: reporter)
        service.takesConfigLease = true
        do {
            _ = try await service.deploy(DeployRequest(app: F.app, environment: F.env, image: F.broken))
            XCTFail("expected the deploy to be superseded")
        } catch PlatformError.failed(let message) {
            XCTAssertTrue(message.contains("was superseded by another deploy of \(F.broken) with configuration vars 2222222222"), message)
        }
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertTrue(reporter.lines.contains("progress: Waiting for the configuration change of shop by bob (since 2025-12-31T23:59:00Z)"),
                      reporter.text)
        XCTAssertFalse(runner.calls.contains { $0.argv == F.setImage(F.v1).argv && $0.input == F.setImage(F.v1).input },
                       "the rollback patch was not applied")
    }

    func testADeployHoldsItLongEnoughForItsReleaseCommandRolloutAndRollback() {
        var request = DeployRequest(app: F.app, environment: F.env, image: F.v2, timeout: 300, rollbackTimeout: 60)
        XCTAssertEqual(DeployService.leaseDuration(request), 480)
        request.runsReleaseCommand = true
        XCTAssertEqual(DeployService.leaseDuration(request), 1080, "the release command may take 10m")
    }
}

/// A clock that moves 10 s at each look.
final class Ticks: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0.0

    func next() -> Double {
        lock.withLock {
            defer { now += 10 }
            return now
        }
    }
}
