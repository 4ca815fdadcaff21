import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Delivery (DORA) figures from release histories: fixed histories give exact figures.
final class DeliveryMetricsTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21T14:13:20Z
    func at(days: Double, minutes: Double = 0) -> Date { t0.addingTimeInterval(days * 86_400 + minutes * 60) }
    func stamp(_ date: Date) -> String { DeployService.timestamp(date) }

    func release(_ revision: Int, days: Double, minutes: Double = 0, _ result: Release.Result, kind: Release.Kind = .deploy,
                 user: String = "alice", committedHoursBefore: Double? = nil) -> Release {
        let time = at(days: days, minutes: minutes)
        var release = Release(revision: revision, image: "registry.example.com/shop:\(revision)", user: user,
                              time: stamp(time), message: nil, result: result, kind: kind)
        if let hours = committedHoursBefore {
            release.commit = Release.Commit(sha: String(repeating: "a", count: 40), time: stamp(time.addingTimeInterval(-hours * 3600)))
        }
        return release
    }

    /// Ten days of two users' releases, one of them before the window.
    var history: ReleaseHistory {
        ReleaseHistory([
            release(1, days: -2, .succeeded),                                   // before the window
            release(2, days: -1, .failed, user: "carol"),                       // incident starts before the window
            release(3, days: 1, .succeeded, committedHoursBefore: 2),            // ends it: restore 2 days
            release(4, days: 2, .rolledBack, user: "bob"),                       // incident 2 starts
            release(5, days: 2, minutes: 30, .failed, kind: .config, user: "bob"),  // a config change fails too
            release(6, days: 2, minutes: 90, .succeeded, kind: .config, user: "bob"),  // ends incident 2: 90 min
            release(7, days: 3, .applied),                                       // --no-wait: not judged
            release(8, days: 4, .superseded, user: "bob"),
            release(9, days: 5, .succeeded, kind: .rollback, committedHoursBefore: 1),  // rollbacks have no lead time
            release(10, days: 6, .succeeded, committedHoursBefore: 4),
            release(11, days: 7, .succeeded, committedHoursBefore: -1),         // commit after the release: skewed clock
            release(12, days: 8, .pending),
            release(13, days: 11, .failed),                                     // after the window
        ])
    }

    func testFiguresOfAFixedHistory() {
        let figures = DeliveryMetrics.compute(app: "shop", environment: "staging", history: history, since: t0, until: at(days: 10))
        XCTAssertEqual(figures, DeliveryMetrics(
            app: "shop", environment: "staging", releases: 10, changes: 7, succeeded: 5, rolledBack: 1, failed: 1,
            configChanges: 2, deploysPerDay: 0.5, changeFailureRate: 2.0 / 7.0,
            meanTimeToRestoreSeconds: (2 * 86_400 + 90 * 60) / 2, restores: 2,
            leadTimeSeconds: (2 + 4) * 3600 / 2, leadTimeSamples: 2,
            users: ["alice", "bob"], historyTruncated: false))
    }

    /// Records that say when they ended: lead time runs to the confirmed rollout, a rolled-back
    /// release's incident ends when deploy's rollback had the old version serving, a failed one's when
    /// the next success was confirmed.
    func testFinishTimesAreUsedWhereRecorded() {
        func ending(_ release: Release, afterMinutes minutes: Double) -> Release {
            var release = release
            release.finishedAt = stamp(parseTimestamp(release.time)!.addingTimeInterval(minutes * 60))
            return release
        }
        let figures = DeliveryMetrics.compute(app: "shop", environment: "prod", history: ReleaseHistory([
            ending(release(1, days: 1, .succeeded, committedHoursBefore: 2), afterMinutes: 5),
            ending(release(2, days: 2, .rolledBack), afterMinutes: 3),
            ending(release(3, days: 3, .failed), afterMinutes: 1),
            ending(release(4, days: 3, minutes: 60, .succeeded, kind: .config), afterMinutes: 2),
        ]), since: t0, until: at(days: 10))
        XCTAssertEqual(figures.leadTimeSeconds, 2 * 3600 + 5 * 60)
        XCTAssertEqual(figures.restores, 2)
        XCTAssertEqual(figures.meanTimeToRestoreSeconds, (3 * 60 + 62 * 60) / 2)
        XCTAssertEqual(figures.changeFailureRate, 0.5)
    }

    func testTheOrderOfTheRecordsDoesNotMatter() {
        let shuffled = ReleaseHistory(history.releases.shuffled())
        XCTAssertEqual(DeliveryMetrics.compute(app: "shop", environment: "staging", history: shuffled, since: t0, until: at(days: 10)),
                       DeliveryMetrics.compute(app: "shop", environment: "staging", history: history, since: t0, until: at(days: 10)))
    }

    /// A configuration change that fails counts as a failed change, and its fix as the restore.
    func testAConfigChangeIsAChange() {
        let figures = DeliveryMetrics.compute(app: "shop", environment: "staging", history: ReleaseHistory([
            release(1, days: 1, .succeeded),
            release(2, days: 1, minutes: 10, .rolledBack, kind: .config),
            release(3, days: 1, minutes: 25, .succeeded, kind: .config),
            release(4, days: 1, minutes: 40, .succeeded, kind: .rollback),
        ]), since: t0, until: at(days: 2))
        XCTAssertEqual(figures.changes, 4)
        XCTAssertEqual(figures.configChanges, 2)
        XCTAssertEqual(figures.changeFailureRate, 0.25)
        XCTAssertEqual(figures.restores, 1)
        XCTAssertEqual(figures.meanTimeToRestoreSeconds, 900)
        XCTAssertEqual(figures.deploysPerDay, 1.5)
        XCTAssertNil(figures.leadTimeSeconds)
    }

    func testNoJudgedReleaseHasNoFailureRateAndAnOpenIncidentNoRestore() {
        let quiet = DeliveryMetrics.compute(app: "shop", environment: "staging",
                                            history: ReleaseHistory([release(1, days: -5, .succeeded), release(2, days: 1, .applied)]),
                                            since: t0, until: at(days: 2))
        XCTAssertEqual(quiet.releases, 1)
        XCTAssertEqual(quiet.changes, 0)
        XCTAssertNil(quiet.changeFailureRate)
        XCTAssertEqual(quiet.deploysPerDay, 0)
        let broken = DeliveryMetrics.compute(app: "shop", environment: "staging",
                                             history: ReleaseHistory([release(1, days: 1, .failed)]), since: t0, until: at(days: 2))
        XCTAssertEqual(broken.changeFailureRate, 1)
        XCTAssertEqual(broken.restores, 0)
        XCTAssertNil(broken.meanTimeToRestoreSeconds)
    }

    func testAFullHistoryWhoseOldestReleaseIsInTheWindowIsTruncated() {
        var full = ReleaseHistory()
        for revision in 1...ReleaseHistory.limit { full.record(release(revision, days: 1, minutes: Double(revision), .succeeded)) }
        XCTAssertTrue(DeliveryMetrics.compute(app: "shop", environment: "e", history: full, since: t0, until: at(days: 2)).historyTruncated)
        XCTAssertFalse(DeliveryMetrics.compute(app: "shop", environment: "e", history: full, since: at(days: 1, minutes: 30),
                                               until: at(days: 2)).historyTruncated)
        full.releases.removeFirst()
        XCTAssertFalse(DeliveryMetrics.compute(app: "shop", environment: "e", history: full, since: t0, until: at(days: 2)).historyTruncated)
    }

    /// Anyone who can write the namespace can write the history: a time that is not a timestamp is
    /// left out, and names in the text cannot drive the terminal.
    func testHostileHistoriesAreLeftOutOrEscaped() {
        var odd = release(2, days: 1, .failed, user: "x\u{1b}[2J")
        odd.time = "yesterday"
        let history = ReleaseHistory([release(1, days: 1, .succeeded, user: "e\u{1b}]0;T\u{07}"), odd])
        let figures = DeliveryMetrics.compute(app: "shop", environment: "staging", history: history, since: t0, until: at(days: 2))
        XCTAssertEqual(figures.releases, 1)
        XCTAssertEqual(figures.changeFailureRate, 0)
        let text = PlatformMetrics.compute([], since: t0, until: at(days: 2))
            .withDelivery(EnvironmentReleases(environment: "staging", histories: ["shop": history])).text()
        XCTAssertFalse(text.contains("\u{1b}"), text)
        XCTAssertFalse(text.contains("\u{07}"), text)
        XCTAssertTrue(text.contains(TerminalText.escape("e\u{1b}]0;T\u{07}") + "\n"), text)
    }

    // MARK: - Reading all histories of an environment

    func configMap(_ name: String, labels: [String: String] = [:], releases: [Release]) throws -> JSONValue {
        let text = String(decoding: try JSONEncoder().encode(releases), as: UTF8.self)
        return .object(["apiVersion": .string("v1"), "kind": .string("ConfigMap"),
                        "metadata": .object(["name": .string(name), "namespace": .string("staging"),
                                             "labels": .object(labels.mapValues { .string($0) })]),
                        "data": .object(["releases": .string(text)])])
    }

    /// One kubectl call for all apps, whatever their number; other ConfigMaps are left out, an
    /// unreadable history is reported and the other apps still counted.
    func testAllAppsOfAnEnvironmentFromOneKubectlCall() async throws {
        let list: JSONValue = .object(["kind": .string("List"), "items": .array([
            try configMap("platform-releases-shop", releases: [release(1, days: 1, .succeeded, user: "alice")]),
            try configMap("platform-releases-cart", releases: [release(1, days: 1, .rolledBack, user: "bob"),
                                                               release(2, days: 1, minutes: 5, .succeeded, user: "bob")]),
            try configMap("platform-config-shop", releases: []),
            .object(["metadata": .object(["name": .string("platform-releases-bad")]),
                     "data": .object(["releases": .string("not json")])]),
        ])])
        let runner = FakeCommandRunner([.init(
            ["kubectl", "get", "configmaps", "-n", "staging", "-l",
             "app.kubernetes.io/managed-by=platform,!platform.dev/config-of", "-o", "json"],
            result: Fixture.json(list))])
        let releases = try await EnvironmentReleases.read(kubectl: Kubectl(runner: runner, target: KubeTarget()), environment: "staging")
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(runner.calls.count, 1)
        XCTAssertEqual(releases.apps, ["cart", "shop"])
        XCTAssertEqual(releases.unreadable.map(\.configMap), ["platform-releases-bad"])
        let delivery = releases.delivery(since: t0, until: at(days: 2))
        XCTAssertEqual(delivery.map(\.app), ["cart", "shop"])
        XCTAssertEqual(delivery.map(\.changeFailureRate), [0.5, 0])
        XCTAssertEqual(delivery.map(\.users), [["bob"], ["alice"]])
        XCTAssertEqual(delivery.map(\.meanTimeToRestoreSeconds), [300, nil])
    }

    func testOneAppSelectsByItsNameLabel() async throws {
        XCTAssertEqual(EnvironmentReleases.selector(app: "shop"),
                       "app.kubernetes.io/managed-by=platform,app.kubernetes.io/name=shop,!platform.dev/config-of")
        let items = [try configMap("platform-releases-shop", releases: []), try configMap("platform-releases-cart", releases: [])]
        XCTAssertEqual(EnvironmentReleases.from(items, environment: "staging", app: "shop").apps, ["shop"])
    }

    // MARK: - Rendering

    func testPrometheusTextNamesTheSourceOfEachFigure() {
        let usage = PlatformMetrics.compute([
            PlatformEvent(time: at(days: 1), command: "create", app: "shop", environment: "staging", result: "ok", exitCode: 0,
                          durationSeconds: 1),
        ], since: t0, until: at(days: 10))
        let releases = EnvironmentReleases(environment: "staging", histories: ["shop": history, "idle": ReleaseHistory()])
        XCTAssertEqual(usage.withDelivery(releases).prometheus(), """
        # HELP platform_provision_total Environments provisioned with platform create (this machine's event log).
        # TYPE platform_provision_total counter
        platform_provision_total{environment="staging"} 1
        # HELP platform_deployment_total Deploy and rollback runs by whether they succeeded (this machine's event log).
        # TYPE platform_deployment_total counter
        platform_deployment_total{success="false"} 0
        platform_deployment_total{success="true"} 0
        # HELP platform_errors_total Failed platform runs by error type (this machine's event log).
        # TYPE platform_errors_total counter
        # HELP platform_releases Releases (deploys, rollbacks, config changes) in the window by result (release histories in the cluster).
        # TYPE platform_releases gauge
        platform_releases{app="idle",environment="staging",result="succeeded"} 0
        platform_releases{app="idle",environment="staging",result="rolled-back"} 0
        platform_releases{app="idle",environment="staging",result="failed"} 0
        platform_releases{app="idle",environment="staging",result="unjudged"} 0
        platform_releases{app="shop",environment="staging",result="succeeded"} 5
        platform_releases{app="shop",environment="staging",result="rolled-back"} 1
        platform_releases{app="shop",environment="staging",result="failed"} 1
        platform_releases{app="shop",environment="staging",result="unjudged"} 3
        # HELP platform_deploy_frequency_per_day Succeeded releases (deploys, rollbacks, config changes) per day over the window (release histories in the cluster).
        # TYPE platform_deploy_frequency_per_day gauge
        platform_deploy_frequency_per_day{app="idle",environment="staging"} 0
        platform_deploy_frequency_per_day{app="shop",environment="staging"} 0.5
        # HELP platform_change_failure_ratio Failed or rolled-back releases divided by all judged releases, config changes included (release histories in the cluster).
        # TYPE platform_change_failure_ratio gauge
        platform_change_failure_ratio{app="shop",environment="staging"} 0.2857142857142857
        # HELP platform_time_to_restore_seconds Mean time from a failed or rolled-back release to the next succeeded release (release histories in the cluster).
        # TYPE platform_time_to_restore_seconds gauge
        platform_time_to_restore_seconds{app="shop",environment="staging"} 89100
        # HELP platform_lead_time_seconds Mean time from the recorded commit time to the end of the succeeded deploy's rollout (release histories in the cluster).
        # TYPE platform_lead_time_seconds gauge
        platform_lead_time_seconds{app="shop",environment="staging"} 10800
        # HELP platform_metrics_window_seconds Length of the window the metrics cover.
        # TYPE platform_metrics_window_seconds gauge
        platform_metrics_window_seconds 864000

        """)
    }

    func testTextAndJSONSayWhereEachFigureComesFrom() throws {
        let metrics = PlatformMetrics.compute([], since: t0, until: at(days: 10), eventLog: "/state/events.jsonl")
            .withDelivery(EnvironmentReleases(environment: "staging", histories: ["shop": history]))
        let text = metrics.text()
        XCTAssertTrue(text.contains("Usage of this machine's platform (event log /state/events.jsonl):\n"), text)
        XCTAssertTrue(text.contains("Delivery of staging (release histories in the cluster):\n"), text)
        XCTAssertTrue(text.contains("  APP   RELEASES  PER DAY  FAILURE RATE  TIME TO RESTORE  LEAD TIME  WHO\n"
                                    + "  shop  10        0.5      28.57%        1d               3h         alice, bob\n"), text)
        let json = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(metrics))
        XCTAssertEqual(json["sources"], .object(["provisions": .string("local-event-log"), "deployments": .string("local-event-log"),
                                                 "errors": .string("local-event-log"),
                                                 "delivery": .string("cluster-release-histories")]))
        XCTAssertEqual(json["environment"], .string("staging"))
        XCTAssertEqual(json["delivery"]?.arrayValue?.first?["changes"], .number(7))
        let local = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(PlatformMetrics.compute([], since: t0, until: t0)))
        XCTAssertNil(local["delivery"])
        XCTAssertFalse(PlatformMetrics.compute([], since: t0, until: t0).text().contains("Delivery"))
    }
}
