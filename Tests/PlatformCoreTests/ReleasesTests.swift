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
        // the broken image was rolled back: v2 runs
        XCTAssertEqual(history.current(liveImage: F.v2)?.revision, 3)
        XCTAssertEqual(try RollbackPlanner.target(history, to: nil, liveImage: F.v2, liveConfig: .empty, app: F.app).revision, 1)
        XCTAssertEqual(try RollbackPlanner.target(history, to: 2, liveImage: F.v2, liveConfig: .empty, app: F.app).image, F.v2)
        XCTAssertThrowsError(try RollbackPlanner.target(history, to: 9, liveImage: F.v2, liveConfig: .empty, app: F.app)) { error in
            XCTAssertEqual(error as? PlatformError,
                           .invalidInput("release 9 of shop not found; known revisions: 1, 2, 3, 4"))
        }
        XCTAssertThrowsError(try RollbackPlanner.target(ReleaseHistory([F.release(1, F.v1, .succeeded)]), to: nil,
                                                        liveImage: F.v1, liveConfig: .empty, app: F.app)) { error in
            XCTAssertEqual(error as? PlatformError, .failed(
                "no successful release of shop with an image or configuration other than the running \(F.v1) (vars none, secrets none) to roll back to (see 'platform releases shop')"))
        }
    }

    /// A config-only release is a release: after a bad `vars set` the default rollback restores the
    /// configuration before it (same image), as Heroku's `releases:rollback` goes back one release.
    func testDefaultRollbackPicksByImageAndConfiguration() throws {
        let c1 = ConfigReference(vars: "shop-vars-1111111111", varKeys: ["LEVEL": "aaaaaaaa"])
        let c2 = ConfigReference(vars: "shop-vars-2222222222", varKeys: ["LEVEL": "bbbbbbbb"])
        func release(_ revision: Int, _ image: String, _ result: Release.Result, _ config: ConfigReference?,
                     _ kind: Release.Kind = .config) -> Release {
            var release = F.release(revision, image, result)
            release.config = config
            release.kind = kind
            return release
        }
        let history = ReleaseHistory([release(1, F.v1, .succeeded, nil, .deploy), release(2, F.v1, .succeeded, c1),
                                      release(3, F.v1, .succeeded, c2)])
        // v1 with c2 runs: back to release 2 (v1 with c1), not past it to another image.
        XCTAssertEqual(try RollbackPlanner.target(history, to: nil, liveImage: F.v1, liveConfig: c2, app: F.app).revision, 2)
        XCTAssertEqual(history.rollbackTarget(liveImage: F.v1, liveConfig: c1)?.revision, 3)
        XCTAssertEqual(history.rollbackTarget(liveImage: F.v1, liveConfig: .empty)?.revision, 3, "no config runs")
        // A release of what runs now (a deploy --force, a rollback to it) is skipped, and so is a failed one.
        let more = ReleaseHistory(history.releases + [release(4, F.v1, .rolledBack, ConfigReference(vars: "shop-vars-3333333333")),
                                                      release(5, F.v1, .succeeded, c2, .deploy)])
        XCTAssertEqual(more.rollbackTarget(liveImage: F.v1, liveConfig: c2)?.revision, 2)
        // An image change with the same configuration still counts, by image.
        let images = ReleaseHistory([release(1, F.v1, .succeeded, c1, .deploy), release(2, F.v2, .succeeded, c1, .deploy)])
        XCTAssertEqual(images.rollbackTarget(liveImage: F.v2, liveConfig: c1)?.revision, 1)
        XCTAssertNil(ReleaseHistory([release(1, F.v1, .succeeded, c1)]).rollbackTarget(liveImage: F.v1, liveConfig: c1))
    }

    func testAfterAFailedDeployLeftItsImageRollbackGoesToTheLastGoodRelease() throws {
        // shop:1.3 (8), a:1 (9), then a:broken deployed with --no-rollback: it runs now.
        let older = "registry.example.com/shop:1.3", good = "registry.example.com/a:1", bad = "registry.example.com/a:broken"
        let history = ReleaseHistory([F.release(8, older, .succeeded), F.release(9, good, .succeeded),
                                      F.release(10, bad, .failed)])
        XCTAssertEqual(history.current(liveImage: bad)?.revision, 10, "what runs is the failed release")
        XCTAssertEqual(try RollbackPlanner.target(history, to: nil, liveImage: bad, liveConfig: .empty, app: F.app).revision, 9)
        // with a single good release before the broken one
        let short = ReleaseHistory([F.release(1, good, .succeeded), F.release(2, bad, .failed)])
        XCTAssertEqual(try RollbackPlanner.target(short, to: nil, liveImage: bad, liveConfig: .empty, app: F.app).revision, 1)
        // an image no release has: no current release
        XCTAssertNil(history.current(liveImage: "registry.example.com/a:hotfix"))
        XCTAssertNil(history.current(liveImage: nil))
        XCTAssertEqual(history.lastSucceeded?.revision, 9)
    }

    func testReportMarksTheReleaseOfTheLiveImageAsCurrent() async throws {
        let history = [F.release(1, F.v1, .succeeded), F.release(2, F.broken, .failed)]
        for (live, current) in [(F.broken, 2), (F.v1, 1)] {
            let runner = FakeCommandRunner([
                .init(F.getReleases, result: F.configMap(history)),
                .init(F.getDeployment, result: F.json(F.deployment(image: live))),
            ])
            let report = try await ReleaseStore(kubectl: Kubectl(runner: runner, target: KubeTarget()))
                .report(app: F.app, namespace: F.env)
            XCTAssertEqual(report.current, current, live)
            XCTAssertEqual(runner.unmet(), [])
        }
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
            .init(["kubectl", "--kubeconfig", "/k", "--context", "prod", "get", "deployment", F.app,
                   "-n", F.env, "--ignore-not-found", "-o", "json"], result: F.json(F.deployment(image: F.v1))),
        ])
        let report = try await ReleaseStore(kubectl: Kubectl(runner: runner, target: KubeTarget(context: "prod", kubeconfig: "/k")))
            .report(app: F.app, namespace: F.env)
        XCTAssertEqual(report.current, 1)
        XCTAssertEqual(runner.unmet(), [])
    }
}
