import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

final class ReleasesTests: XCTestCase {
    typealias F = Fixture

    func testHistoryKeepsTheNewestFiftyAndReplacesARevision() throws {
        var history = ReleaseHistory()
        for revision in 1...55 { history.record(F.release(revision, "registry.example.com/shop:\(revision)", .succeeded)) }
        XCTAssertEqual(history.releases.count, 50)
        XCTAssertEqual(history.releases.first?.revision, 6)
        XCTAssertEqual(history.nextRevision, 56)
        history.record(F.release(55, "registry.example.com/shop:55", .rolledBack))
        XCTAssertEqual(history.releases.count, 50)
        XCTAssertEqual(history.releases.last?.result, .rolledBack)
    }

    func testTheConfigMapRoundTrips() throws {
        let history = ReleaseHistory([F.release(1, F.v1, .succeeded), F.release(2, F.broken, .rolledBack)])
        let document = try history.configMap(app: F.app, namespace: F.env, environment: F.env)
        XCTAssertEqual(document["data", "releases"]?.stringValue?.hasPrefix("[{"), true)
        XCTAssertEqual(document["metadata", "labels", "app.kubernetes.io/instance"]?.stringValue, "shop-dev")
        XCTAssertEqual(try ReleaseHistory(configMap: document), history)
        XCTAssertEqual(try ReleaseHistory(configMap: nil), ReleaseHistory())
    }

    func testAnUnreadableHistoryIsAnError() {
        let broken = JSONValue.object(["metadata": .object(["name": .string("platform-releases-shop")]),
                                       "data": .object(["releases": .string("not json")])])
        XCTAssertThrowsError(try ReleaseHistory(configMap: broken))
    }

    func testRollbackGoesToThePreviousSuccessfulReleaseWithAnotherImage() throws {
        let history = ReleaseHistory([
            F.release(1, F.v1, .succeeded), F.release(2, F.v2, .succeeded), F.release(3, F.v2, .succeeded),
            F.release(4, F.broken, .rolledBack),
        ])
        XCTAssertEqual(history.current?.revision, 3)
        XCTAssertEqual(try RollbackPlanner.target(history, to: nil, app: F.app).revision, 1)
        XCTAssertEqual(try RollbackPlanner.target(history, to: 2, app: F.app).image, F.v2)
        XCTAssertThrowsError(try RollbackPlanner.target(history, to: 9, app: F.app)) { error in
            XCTAssertEqual(error as? PlatformError,
                           .invalidInput("release 9 of shop not found; known revisions: 1, 2, 3, 4"))
        }
        XCTAssertThrowsError(try RollbackPlanner.target(ReleaseHistory([F.release(1, F.v1, .succeeded)]), to: nil, app: F.app))
    }

    func testReportOfAnUnknownAppFails() async throws {
        let runner = FakeCommandRunner([
            .init(F.getReleases, result: CommandResult(stdout: "")),
            .init(F.getDeployment, result: CommandResult(stdout: "")),
        ])
        do {
            _ = try await ReleaseStore(kubectl: Kubectl(runner: runner, target: KubeTarget())).report(app: F.app, namespace: F.env)
            XCTFail("expected a failure")
        } catch PlatformError.failed(let message) {
            XCTAssertTrue(message.contains("not found"), message)
        }
        XCTAssertEqual(runner.unmet(), [])
    }

    func testKubeTargetFlagsComeFirst() async throws {
        let runner = FakeCommandRunner([
            .init(["kubectl", "--kubeconfig", "/k", "--context", "prod", "get", "configmap", "platform-releases-shop",
                   "-n", F.env, "--ignore-not-found", "-o", "json"], result: F.configMap([F.release(1, F.v1, .succeeded)])),
        ])
        let report = try await ReleaseStore(kubectl: Kubectl(runner: runner, target: KubeTarget(context: "prod", kubeconfig: "/k")))
            .report(app: F.app, namespace: F.env)
        XCTAssertEqual(report.current, 1)
        XCTAssertEqual(runner.unmet(), [])
    }
}
