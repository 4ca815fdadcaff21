import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

final class StatusTests: XCTestCase {
    typealias F = Fixture

    func testStatusReadsTheDeploymentPodsIngressAndHistory() async throws {
        let ingress = JSONValue.object(["kind": .string("Ingress"), "spec": .object(["rules": .array([
            .object(["host": .string("shop.dev.example.org")]),
        ])])])
        let runner = FakeCommandRunner([
            .init(F.getDeployment, result: F.json(F.deployment(image: F.v2, updated: 1, ready: 2, total: 3))),
            F.look(F.deployment(image: F.v2, updated: 1, ready: 2, total: 3), [
                F.pod("shop-a", image: F.v1), F.pod("shop-b", image: F.v1),
                F.pod("shop-x", image: F.v2, ready: false, waiting: "CrashLoopBackOff", message: "back-off", restarts: 4),
            ], requestTimeout: nil),
            .init(["kubectl", "get", "ingress", F.app, "-n", F.env, "--ignore-not-found", "-o", "json"], result: F.json(ingress)),
            .init(F.getReleases, result: F.configMap([F.release(1, F.v1, .succeeded), F.release(2, F.v2, .pending)])),
        ])
        let status = try await StatusService(kubectl: Kubectl(runner: runner, target: KubeTarget()))
            .status(app: F.app, environment: F.env)
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(status.url, "http://shop.dev.example.org")
        XCTAssertEqual(status.image, F.v2)
        XCTAssertFalse(status.healthy)
        XCTAssertEqual(status.replicas, AppStatus.Replicas(desired: 2, updated: 1, ready: 2, available: 2))
        XCTAssertEqual(status.release?.revision, 2, "the release of the Deployment's image, though pending")
        XCTAssertEqual(status.pods.map(\.name), ["shop-a", "shop-b", "shop-x"])
        XCTAssertEqual(status.pods[2].reason, "CrashLoopBackOff")
        XCTAssertEqual(status.pods[2].restarts, 4)
        XCTAssertEqual(status.pods[2].ready, false)
    }

    func testHealthyWhenEveryReplicaRunsTheImage() {
        // lifetime restarts of a ready pod do not make it unhealthy
        let pods = [F.pod("a", image: F.v2, restarts: 5), F.pod("b", image: F.v2)]
        let status = StatusService.status(app: F.app, environment: F.env, deployment: F.deployment(image: F.v2),
                                          pods: pods, replicaSets: F.replicaSets(F.deployment(image: F.v2), pods),
                                          ingress: nil, history: ReleaseHistory())
        XCTAssertTrue(status.healthy)
        XCTAssertNil(status.url)
        XCTAssertNil(status.release)
    }

    func testTheReleaseShownIsTheOneOfTheLiveImageNotTheLastSuccessfulOne() {
        // a:broken deployed with --no-rollback after a good release: the Deployment runs the broken one.
        let history = ReleaseHistory([F.release(1, F.v1, .succeeded), F.release(2, F.broken, .failed)])
        let pods = [F.pod("x", image: F.broken, ready: false, waiting: "ImagePullBackOff")]
        let broken = StatusService.status(app: F.app, environment: F.env, deployment: F.deployment(image: F.broken),
                                          pods: pods, ingress: nil, history: history)
        XCTAssertEqual(broken.image, F.broken)
        XCTAssertEqual(broken.release?.revision, 2)
        XCTAssertEqual(broken.release?.result, .failed)
        // an image no release has (changed by hand): no release shown
        let other = StatusService.status(app: F.app, environment: F.env, deployment: F.deployment(image: F.v3),
                                         pods: [], ingress: nil, history: history)
        XCTAssertNil(other.release)
    }

    func testMissingAppFails() async throws {
        let runner = FakeCommandRunner([.init(F.getDeployment, result: CommandResult(stdout: ""))])
        do {
            _ = try await StatusService(kubectl: Kubectl(runner: runner, target: KubeTarget())).status(app: F.app, environment: F.env)
            XCTFail("expected a failure")
        } catch PlatformError.failed(let message) {
            XCTAssertTrue(message.contains("not found"), message)
        }
    }
}
