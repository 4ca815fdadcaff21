import Foundation
@testable import PlatformCore
import XCTest

/// RolloutRules and RolloutTracker on documents shaped like a real cluster's.
final class RolloutRulesTests: XCTestCase {
    typealias F = Fixture

    func snapshot(_ deployment: JSONValue, _ pods: [JSONValue], extra: [JSONValue] = []) -> RolloutSnapshot {
        let look = F.look(deployment, pods)
        let items = (try? JSONDecoder().decode(JSONValue.self, from: look.result.stdout))?["items"]?.arrayValue ?? []
        return RolloutSnapshot(items: items + extra, deployment: F.app)
    }

    func testTheNewReplicaSetIsTheOneOfTheTemplateIgnoringItsHashLabel() {
        let s = snapshot(F.deployment(image: F.v2), [F.pod("a", image: F.v1), F.pod("b", image: F.v2)])
        XCTAssertEqual(s.newReplicaSet.map(RolloutRules.name), "shop-\(F.v2)")
        XCTAssertEqual(s.newPods.map(RolloutRules.name), ["b"])
        var hashed = s.replicaSets[1]
        hashed = hashed.merging(patch: .object(["spec": .object(["template": .object(["metadata": .object([
            "labels": .object(["pod-template-hash": .string("abc")])])])])]))
        XCTAssertNotNil(RolloutRules.newReplicaSet(of: F.deployment(image: F.v2), in: [hashed]))
    }

    func testEvictedTerminatingAndForeignPodsNeverFailARollout() {
        var tracker = RolloutTracker(app: F.app, image: F.v2, podsBefore: [])
        let evicted = F.pod("e", image: F.v2, ready: false, waiting: "ErrImageNeverPull")
            .merging(patch: .object(["status": .object(["phase": .string("Failed"), "reason": .string("Evicted")])]))
        let terminating = F.pod("t", image: F.v2, ready: false, waiting: "InvalidImageName")
            .merging(patch: .object(["metadata": .object(["deletionTimestamp": .string("2026-01-01T00:00:30Z")])]))
        // not owned by any ReplicaSet of the Deployment (a Job's pod, another tool's)
        let foreign = F.pod("j", image: F.v2, ready: false, waiting: "ErrImageNeverPull", restarts: 9)
        let s = snapshot(F.deployment(image: F.v2), [F.pod("a", image: F.v2), F.pod("b", image: F.v2), evicted, terminating],
                         extra: [foreign])
        XCTAssertEqual(tracker.assess(s, now: 0), .ready(RolloutProgress(desired: 2, updated: 4, ready: 2, available: 2, old: 0)))
    }

    func testOnlyRestartsSinceTheDeployBeganCountAgainstABudgetOfOnePerReplica() {
        let before = [F.pod("a", image: F.v2, restarts: 7, uid: "ua")]
        var tracker = RolloutTracker(app: F.app, image: F.v2, podsBefore: before)
        let deployment = F.deployment(image: F.v2, updated: 2, ready: 1, total: 2)
        let within = snapshot(deployment, [F.pod("a", image: F.v2, restarts: 8, uid: "ua"),
                                           F.pod("b", image: F.v2, ready: false, waiting: "CrashLoopBackOff", restarts: 1)])
        guard case .progressing(_, let notes) = tracker.assess(within, now: 0) else { return XCTFail("expected progress") }
        XCTAssertTrue(notes.contains { $0.contains("restarted 2 times since this deploy began (allowed: 2)") }, "\(notes)")
        let over = snapshot(deployment, [F.pod("a", image: F.v2, restarts: 8, uid: "ua"),
                                         F.pod("b", image: F.v2, ready: false, waiting: "CrashLoopBackOff", restarts: 2)])
        guard case .failed(let failure) = tracker.assess(over, now: 1) else { return XCTFail("expected a failure") }
        XCTAssertEqual(failure.reason, "CrashLoopBackOff")
        XCTAssertEqual(failure.pod, "b")
    }

    func testPullErrorsGetAGraceAndPermanentOnesFailAtOnce() {
        var tracker = RolloutTracker(app: F.app, image: F.v2, podsBefore: [])
        let deployment = F.deployment(image: F.v2, updated: 1, ready: 0, total: 1)
        let pulling = snapshot(deployment, [F.pod("x", image: F.v2, ready: false, waiting: "ImagePullBackOff", message: "429")])
        guard case .progressing = tracker.assess(pulling, now: 100) else { return XCTFail("within the grace") }
        guard case .progressing = tracker.assess(pulling, now: 119) else { return XCTFail("within the grace") }
        // recovered in between: a later error gets a fresh grace
        _ = tracker.assess(snapshot(deployment, [F.pod("x", image: F.v2, ready: false, running: false)]), now: 119.5)
        guard case .progressing = tracker.assess(pulling, now: 125) else { return XCTFail("a fresh grace") }
        guard case .failed(let failure) = tracker.assess(pulling, now: 145) else { return XCTFail("past the grace") }
        XCTAssertEqual(failure.message, "still failing after 20s: 429")
        var fresh = RolloutTracker(app: F.app, image: F.v2, podsBefore: [])
        let never = snapshot(deployment, [F.pod("x", image: F.v2, ready: false, waiting: "ErrImageNeverPull")])
        guard case .failed = fresh.assess(never, now: 0) else { return XCTFail("permanent") }
    }

    func testReplicaFailureIsShownThenFailsAfterItsGrace() {
        var tracker = RolloutTracker(app: F.app, image: F.v2, podsBefore: [])
        let deployment = F.deployment(image: F.v2, updated: 0, ready: 2, total: 2).merging(patch: .object([
            "status": .object(["conditions": .array([.object([
                "type": .string("ReplicaFailure"), "status": .string("True"), "reason": .string("FailedCreate"),
                "message": .string("pods \"shop-x\" is forbidden: exceeded quota: pods"),
            ])])]),
        ]))
        let s = snapshot(deployment, [F.pod("a", image: F.v1), F.pod("b", image: F.v1)])
        guard case .progressing(_, let notes) = tracker.assess(s, now: 0) else { return XCTFail("within the grace") }
        XCTAssertTrue(notes.contains { $0.contains("exceeded quota") }, "\(notes)")
        guard case .stalled(let message) = tracker.assess(s, now: 20) else { return XCTFail("past the grace") }
        XCTAssertTrue(message.hasPrefix("the ReplicaSet shop-\(F.v2) cannot create pods (ReplicaFailure FailedCreate: pods"), message)
    }

    func testTheDeadlineCountsOnlyForTheObservedGenerationAndPausedNeverCompletes() {
        let exceeded = F.deployment(image: F.v2, generation: 3, observed: 2).merging(patch: .object([
            "status": .object(["conditions": .array([.object([
                "type": .string("Progressing"), "status": .string("False"), "reason": .string("ProgressDeadlineExceeded"),
                "message": .string("ReplicaSet \"shop-1\" has timed out progressing."),
            ])])]),
        ]))
        XCTAssertNil(RolloutRules.deadlineExceeded(exceeded), "the verdict is about the previous generation")
        let current = exceeded.merging(patch: .object(["status": .object(["observedGeneration": .number(3)])]))
        XCTAssertEqual(RolloutRules.deadlineExceeded(current),
                       "the Deployment exceeded its progress deadline: ReplicaSet \"shop-1\" has timed out progressing.")
        let paused = F.deployment(image: F.v2).merging(patch: .object(["spec": .object(["paused": .bool(true)])]))
        XCTAssertFalse(RolloutRules.isComplete(snapshot(paused, [F.pod("a", image: F.v2), F.pod("b", image: F.v2)])))
        XCTAssertTrue(RolloutRules.isComplete(snapshot(F.deployment(image: F.v2), [F.pod("a", image: F.v2), F.pod("b", image: F.v2)])))
    }

    func testTransientKubectlErrorsAreTheOnesARetryGetsPast() {
        func failure(_ stderr: String) -> PlatformError { .toolFailed(argv: ["kubectl"], status: 1, stderrTail: stderr) }
        XCTAssertTrue(DeployService.isTransient(failure("Error from server (ServiceUnavailable): the server is currently unable to handle the request")))
        XCTAssertTrue(DeployService.isTransient(failure("The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?")))
        XCTAssertTrue(DeployService.isTransient(failure("Unable to connect to the server: net/http: TLS handshake timeout")))
        XCTAssertFalse(DeployService.isTransient(failure("Error from server (Forbidden): deployments.apps is forbidden")))
        XCTAssertFalse(DeployService.isTransient(failure("Error from server (NotFound): deployments.apps \"shop\" not found")))
        XCTAssertFalse(DeployService.isTransient(.failed("no")))
    }
}
