import Foundation
import PlatformCLI
import PlatformCore
import PlatformTestSupport
import XCTest

/// `platform promote`: staging's build to prod by digest, with the real kubectl against the test
/// server (both namespaces in one cluster; the server's kubelet reports imageIDs).
final class PromoteEndToEndTests: XCTestCase {
    let v1 = "registry.example.com/shop:1.0.0"
    let v2 = "registry.example.com/shop:2.0.0"

    /// staging (from AppFixture, 2 replicas) and prod (1 replica, its own env var FEATURE=on).
    func twoEnvironments() async throws -> AppFixture {
        let app = try await AppFixture(environment: "staging")
        let labels: JSONValue = .object(["app.kubernetes.io/name": .string("shop"),
                                         "app.kubernetes.io/instance": .string("shop-prod"),
                                         "app.kubernetes.io/managed-by": .string("platform")])
        let documents: [JSONValue] = [
            .object(["apiVersion": .string("v1"), "kind": .string("Namespace"), "metadata": .object(["name": .string("prod")])]),
            .object(["apiVersion": .string("apps/v1"), "kind": .string("Deployment"),
                     "metadata": .object(["name": .string("shop"), "namespace": .string("prod"), "labels": labels]),
                     "spec": .object([
                        "replicas": .number(1),
                        "selector": .object(["matchLabels": .object(["app.kubernetes.io/name": .string("shop")])]),
                        "template": .object([
                            "metadata": .object(["labels": labels]),
                            "spec": .object(["containers": .array([.object([
                                "name": .string("shop"), "image": .string(v1),
                                "env": .array([.object(["name": .string("FEATURE"), "value": .string("on")])]),
                            ])])]),
                        ]),
                     ])]),
        ]
        _ = try await Kubectl(runner: ProcessRunner(environment: app.environmentVariables), target: KubeTarget())
            .apply(documents, fieldManager: AppConventions.fieldManager("shop"))
        return app
    }

    func prod(_ app: AppFixture) throws -> JSONValue? {
        try app.cluster.object(kind: "Deployment", namespace: "prod", name: "shop")
    }

    func prodImage(_ app: AppFixture) throws -> String? {
        try prod(app)?["spec", "template", "spec", "containers"]?.arrayValue?.first?["image"]?.stringValue
    }

    func run(_ app: AppFixture, _ arguments: [String], extra: [String: String] = [:]) async -> CLIRun {
        await runCLI(arguments, environment: app.environmentVariables.merging(extra) { _, b in b }, directory: app.sandbox.work)
    }

    func stagingDigest(_ app: AppFixture) throws -> String {
        let pod = try XCTUnwrap(app.pods().first { RolloutRules.runs($0, container: "shop", image: self.v2) && RolloutRules.isReady($0) })
        let id = try XCTUnwrap(pod["status", "containerStatuses"]?.arrayValue?.first?["imageID"]?.stringValue)
        return String(id[id.range(of: "@")!.upperBound...])
    }

    func testPromoteDeploysTheDigestAndLeavesTheTargetsConfigurationAlone() async throws {
        let app = try await twoEnvironments()
        defer { app.stop() }
        var result = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "90s", "--commit", "3f2a9c1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let digest = try stagingDigest(app)

        result = await run(app, ["promote", "shop", "--from", "staging", "--to", "prod", "--timeout", "90s"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let promoted = "registry.example.com/shop@" + digest
        XCTAssertEqual(try prodImage(app), promoted, "by digest, not by tag")
        XCTAssertTrue(result.stderr.contains("prod runs registry.example.com/shop@sha256:"), "the target by its digest too: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("; staging runs registry.example.com/shop@\(digest.prefix(19))… (release 1, "),
                      result.stderr)
        XCTAssertEqual(result.stdout, "Deployed \(promoted) to shop in prod (release 1)\n")
        let container = try prod(app)?["spec", "template", "spec", "containers"]?.arrayValue?.first
        XCTAssertEqual(container?["env"]?.arrayValue?.first?["value"]?.stringValue, "on", "the target's configuration stays")
        XCTAssertEqual(try prod(app)?["spec", "replicas"]?.intValue, 1, "the target's replicas stay")

        let history = try ReleaseHistory(configMap: try app.cluster.object(kind: "ConfigMap", namespace: "prod",
                                                                           name: "platform-releases-shop")).releases
        XCTAssertEqual(history.last?.promotedFrom, Release.Promotion(environment: "staging", revision: 1))
        XCTAssertEqual(history.last?.commit?.sha, "3f2a9c1", "the build's commit travels with it (lead time in prod)")
        XCTAssertEqual(history.last?.result, .succeeded)
        let releases = await run(app, ["releases", "shop", "-e", "prod"])
        XCTAssertTrue(releases.stdout.contains("promoted from staging release 1"), releases.stdout)

        // Again: prod already runs that build.
        result = await run(app, ["promote", "shop", "--from", "staging", "--to", "prod"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "prod already runs \(promoted): nothing to promote\n")
        XCTAssertEqual(try ReleaseHistory(configMap: try app.cluster.object(kind: "ConfigMap", namespace: "prod",
                                                                            name: "platform-releases-shop")).releases.count, 1)
    }

    func testDryRunShowsTheDifferenceAndItsExitCodes() async throws {
        let app = try await twoEnvironments()
        defer { app.stop() }
        _ = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "90s"])
        let before = try await app.cluster.settledResourceVersion()
        var result = await run(app, ["promote", "shop", "--from", "staging", "--to", "prod", "--dry-run", "--detailed-exitcode"])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("prod runs registry.example.com/shop@sha256:"), result.stdout)
        XCTAssertTrue(result.stdout.contains("; staging runs registry.example.com/shop@sha256:"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Would deploy registry.example.com/shop@sha256:"), result.stdout)
        XCTAssertEqual(try app.cluster.state()["resourceVersion"], before, "a dry run changes nothing")
        result = await run(app, ["promote", "shop", "--from", "staging", "--to", "prod", "--dry-run", "-o", "json"])
        XCTAssertEqual(result.status, 0, "without --detailed-exitcode a pending change is success")
        let plan = try JSONDecoder().decode(PromotePlan.self, from: Data(result.stdout.utf8))
        XCTAssertEqual(plan.changes, true)
        XCTAssertEqual(plan.from.revision, 1)

        result = await run(app, ["promote", "shop", "--from", "staging", "--to", "prod", "--timeout", "90s"])
        XCTAssertEqual(result.status, 0, result.stderr)
        result = await run(app, ["promote", "shop", "--from", "staging", "--to", "prod", "--dry-run", "--detailed-exitcode"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("already runs"), result.stdout)
    }

    func testAnUnhealthySourceIsRefusedAndNothingChanges() async throws {
        let app = try await twoEnvironments()
        defer { app.stop() }
        let broken = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:broken",
                                         "--no-rollback", "--timeout", "90s"])
        XCTAssertEqual(broken.status, 4, broken.stderr)
        let result = await run(app, ["promote", "shop", "--from", "staging", "--to", "prod"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("shop in staging is not healthy"), result.stderr)
        XCTAssertEqual(try prodImage(app), v1)
    }

    func testAProtectedTargetNeedsYesAndThePromotionOrderPicksTheSource() async throws {
        let app = try await twoEnvironments()
        defer { app.stop() }
        _ = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "90s"])
        try app.sandbox.write(app.sandbox.home + "/.config/platform/config.json",
                              #"{"promotion": ["development", "staging", "prod"], "environments": {"prod": {"protected": true}}}"#)
        var result = await run(app, ["promote", "shop", "--to", "prod"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("prod is a protected environment: pass --yes"), result.stderr)
        XCTAssertTrue(result.stderr.contains("staging runs"), "the source came from the promotion order: \(result.stderr)")
        XCTAssertEqual(try prodImage(app), v1, "nothing changed")

        result = await run(app, ["promote", "shop", "--to", "development"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("no stage before 'development'"), result.stderr)

        result = await run(app, ["promote", "shop", "--to", "prod", "--yes", "--timeout", "90s"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(try prodImage(app)?.hasPrefix("registry.example.com/shop@sha256:") == true)
    }

    /// The target's release command (recorded on its Deployment by create) runs before the promoted
    /// build is applied; when it fails prod keeps its image and the promotion exits 5.
    func testTheTargetsReleaseCommandRunsFirstAndAFailureKeepsItsImage() async throws {
        let app = try await twoEnvironments()
        defer { app.stop() }
        var result = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "90s"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let kubectl = Kubectl(runner: ProcessRunner(environment: app.environmentVariables), target: KubeTarget())
        _ = try await kubectl.runner.checked(kubectl.command(
            ["annotate", "deployment", "shop", "-n", "prod",
             "\(ReleaseCommand.annotation)=\(ReleaseCommand.encoded(["sh", "-c", "echo migrating prod; exit 1"]))"]))
        result = await run(app, ["promote", "shop", "--from", "staging", "--to", "prod", "--timeout", "90s"])
        XCTAssertEqual(result.status, 5, result.stderr)
        XCTAssertTrue(result.stderr.contains("  | migrating prod"), result.stderr)
        XCTAssertEqual(try prodImage(app), v1, "prod keeps its image")
        let jobs = try app.cluster.objects(kind: "Job", namespace: "prod")
        XCTAssertEqual(jobs.count, 1)
        XCTAssertTrue(jobs.first?["spec", "template", "spec", "containers"]?.arrayValue?.first?["image"]?.stringValue?
            .hasPrefix("registry.example.com/shop@sha256:") == true, "the task runs the promoted digest")
        let history = try ReleaseHistory(configMap: try app.cluster.object(kind: "ConfigMap", namespace: "prod",
                                                                           name: "platform-releases-shop")).releases
        XCTAssertEqual(history.last?.result, .failed)
        XCTAssertEqual(history.last?.promotedFrom?.environment, "staging")

        result = await run(app, ["promote", "shop", "--from", "staging", "--to", "prod", "--skip-release-command", "--timeout", "90s"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try app.cluster.objects(kind: "Job", namespace: "prod").count, 1, "skipped")
    }

    func testBadInputIsExit64() async throws {
        let sandbox = try Sandbox()
        for (argv, message) in [(["promote", "shop", "--from", "staging"], "missing --to ENV"),
                                (["promote", "shop", "--to", "prod"], "missing --from ENV"),
                                (["promote", "shop", "--from", "prod", "--to", "prod"], "--from and --to are both 'prod'"),
                                (["promote", "shop", "--from", "staging", "--to", "prod", "--detailed-exitcode"],
                                 "--detailed-exitcode goes with --dry-run"),
                                (["promote", "Shop", "--from", "staging", "--to", "prod"], "invalid name 'Shop'")] {
            let result = await runCLI(argv, environment: sandbox.environment(), directory: sandbox.work)
            XCTAssertEqual(result.status, 64, "\(argv): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(argv): \(result.stderr)")
        }
    }
}

/// The pure rules behind promote, on documents shaped like a real cluster's.
final class PromoteRulesTests: XCTestCase {
    func deployment(generation: Int = 2, observed: Int = 2, replicas: Int = 3, updated: Int = 3, total: Int = 3,
                    available: Int = 3, paused: Bool = false) -> JSONValue {
        .object(["metadata": .object(["generation": .number(Double(generation))]),
                 "spec": .object(["replicas": .number(Double(replicas)), "paused": .bool(paused)]),
                 "status": .object(["observedGeneration": .number(Double(observed)), "replicas": .number(Double(total)),
                                    "updatedReplicas": .number(Double(updated)), "availableReplicas": .number(Double(available))])])
    }

    func testHealthIsWhatRolloutStatusCallsRolledOut() {
        XCTAssertNil(PromoteRules.problem(deployment: deployment()))
        XCTAssertEqual(PromoteRules.problem(deployment: deployment(observed: 1)),
                       "a rollout is in progress (the controller has not seen the newest spec)")
        XCTAssertEqual(PromoteRules.problem(deployment: deployment(updated: 2)), "a rollout is in progress (2 of 3 replicas updated)")
        XCTAssertEqual(PromoteRules.problem(deployment: deployment(total: 4)), "a rollout is in progress (1 old replicas still run)")
        XCTAssertEqual(PromoteRules.problem(deployment: deployment(available: 1)), "1 of 3 replicas are available")
        XCTAssertEqual(PromoteRules.problem(deployment: deployment(paused: true)), "its Deployment is paused")
    }

    func pod(_ image: String, imageID: String?, ready: Bool = true) -> JSONValue {
        var status: [String: JSONValue] = ["name": .string("shop"), "image": .string(image), "ready": .bool(ready)]
        if let imageID { status["imageID"] = .string(imageID) }
        return .object(["metadata": .object(["name": .string("p")]),
                        "spec": .object(["containers": .array([.object(["name": .string("shop"), "image": .string(image)])])]),
                        "status": .object(["phase": .string("Running"),
                                           "conditions": .array([.object(["type": .string("Ready"), "status": .string(ready ? "True" : "False")])]),
                                           "containerStatuses": .array([.object(status)])])])
    }

    func testThePinnedReferenceComesFromReadyPodsThatAgree() {
        let a = "sha256:" + String(repeating: "a", count: 64), b = "sha256:" + String(repeating: "b", count: 64)
        let image = "reg.example.com/shop:2"
        XCTAssertEqual(PromoteRules.pinned(pods: [pod(image, imageID: "docker-pullable://reg.example.com/shop@" + a)],
                                           app: "shop", image: image), "reg.example.com/shop@" + a)
        XCTAssertNil(PromoteRules.pinned(pods: [pod(image, imageID: nil)], app: "shop", image: image))
        XCTAssertNil(PromoteRules.pinned(pods: [pod(image, imageID: "reg.example.com/shop@" + a, ready: false)],
                                         app: "shop", image: image), "only ready pods count")
        XCTAssertNil(PromoteRules.pinned(pods: [pod(image, imageID: "r/shop@" + a), pod(image, imageID: "r/shop@" + b)],
                                         app: "shop", image: image), "pods that disagree give no digest")
        XCTAssertEqual(PromoteRules.pinned(pods: [], app: "shop", image: "registry:5000/shop:1@" + b), "registry:5000/shop@" + b,
                       "an image by digest is its own")
        XCTAssertEqual(PromoteRules.short("shop@" + b), "shop@sha256:bbbbbbbbbbbb…")
    }
}
