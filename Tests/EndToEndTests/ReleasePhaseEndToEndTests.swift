import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Deploy's release phase: platform.json `release` (or the command `create` recorded on the
/// Deployment) runs as a task with the new image before the image is applied; a failure leaves the old
/// image serving, records a failed release and exits 5. Real kubectl, test server.
final class ReleasePhaseEndToEndTests: XCTestCase {
    let v1 = "registry.example.com/shop:1.0.0"
    let v2 = "registry.example.com/shop:2.0.0"

    func writeProject(_ app: AppFixture, release: [String]) throws {
        let project: JSONValue = .object(["name": .string("shop"), "release": .array(release.map(JSONValue.string))])
        try project.encoded().write(to: URL(fileURLWithPath: app.sandbox.work + "/platform.json"))
    }

    func releaseJobs(_ app: AppFixture) throws -> [JSONValue] {
        try app.cluster.objects(kind: "Job", namespace: app.environment)
            .filter { RolloutRules.name($0).hasPrefix("shop-release-") }
    }

    func jobImage(_ job: JSONValue) -> String? {
        job["spec", "template", "spec", "containers"]?.arrayValue?.first?["image"]?.stringValue
    }

    func testAFailingReleaseCommandLeavesTheOldImageServingAndExits5() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        try await app.waitForReadyPods(2, image: v1)
        try writeProject(app, release: ["sh", "-c", "echo applying 0042_add_column; echo 'error: column email exists'; exit 2"])
        let result = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "90s"])
        XCTAssertEqual(result.status, 5, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.contains("  | applying 0042_add_column"), "its output as progress: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("exited with status 2"), result.stderr)
        XCTAssertTrue(result.stderr.contains("the image was not applied"), result.stderr)
        XCTAssertEqual(try app.deployedImage(), v1, "the old image was never replaced")
        XCTAssertEqual(try app.pods().filter {
            $0["metadata", "labels", "app.kubernetes.io/name"]?.stringValue == "shop" && RolloutRules.runs($0, container: "shop", image: self.v2)
        }, [], "no pod of the app runs the new image")
        let last = try XCTUnwrap(app.releases().last)
        XCTAssertEqual(last.result, .failed)
        XCTAssertEqual(last.image, v2)
        XCTAssertTrue(last.reason?.contains("the release command (sh -c echo applying") == true, last.reason ?? "")
        XCTAssertTrue(last.reason?.contains("exited with status 2 (Error)") == true, last.reason ?? "")
        XCTAssertTrue(last.reason?.contains("error: column email exists") == true, "its last lines: \(last.reason ?? "")")
        let job = try XCTUnwrap(releaseJobs(app).first)
        XCTAssertEqual(jobImage(job), v2, "the release command runs with the new image")

        // Long lines are cut in the record (the history is one ConfigMap of at most 1 MiB).
        let long = String(repeating: "x", count: 1300)
        try writeProject(app, release: ["sh", "-c", "echo \(long); echo \(long); echo \(long); exit 4"])
        let cut = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:2.1.0"])
        XCTAssertEqual(cut.status, 5, cut.stderr)
        let reason = try XCTUnwrap(app.releases().last?.reason)
        XCTAssertTrue(reason.contains(String(repeating: "x", count: 200) + "…"), reason)
        XCTAssertFalse(reason.contains(String(repeating: "x", count: 201)), "each line is cut to 200 characters")

        let json = await app.platform(["deploy", "shop", "--image", v2, "-o", "json"])
        XCTAssertEqual(json.status, 5)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(document["error", "type"]?.stringValue, "release_command_failed")
        XCTAssertEqual(document["error", "exitCode"]?.intValue, 5)
    }

    func testAReleaseCommandThatSucceedsIsFollowedByTheRolloutAndCanBeSkipped() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        try writeProject(app, release: ["sh", "-c", "echo migrated"])
        var result = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "90s"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "Deployed \(v2) to shop in staging (release 1)\n")
        XCTAssertTrue(result.stderr.contains("  | migrated"), result.stderr)
        let succeeded = try XCTUnwrap(result.stderr.range(of: "Release command succeeded"))
        let rolledOut = try XCTUnwrap(result.stderr.range(of: "2/2 updated, 2/2 ready"))
        XCTAssertLessThan(succeeded.lowerBound, rolledOut.lowerBound, "the command ends before the rollout")
        XCTAssertEqual(try releaseJobs(app).map(jobImage), [v2])
        XCTAssertEqual(try app.releases().last?.result, .succeeded)

        // The dry run says it; --skip-release-command does not run it.
        let dry = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:3.0.0", "--dry-run"])
        XCTAssertTrue(dry.stdout.contains("First run the release command sh -c echo migrated as a task with the new image"), dry.stdout)
        result = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:3.0.0", "--skip-release-command",
                                     "--timeout", "90s"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try releaseJobs(app).count, 1, "skipped")
        XCTAssertFalse(result.stderr.contains("Release command"), result.stderr)
    }

    /// --timeout is the rollout's: a release command that takes longer than it leaves the rollout
    /// its whole --timeout (before, the clock started before the command and the deploy rolled back).
    func testTheRolloutTimeoutCountsFromTheEndOfTheReleaseCommand() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        try writeProject(app, release: ["sh", "-c", "echo slow migration; sleep 10; echo done"])
        let result = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "8s"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try app.deployedImage(), v2)
        XCTAssertEqual(try app.releases().last?.result, .succeeded)
    }

    /// Run outside the project (no platform.json), deploy takes the command `create` recorded on the
    /// Deployment; an unusable recorded one stops the deploy before anything changes.
    func testTheCommandRecordedOnTheDeploymentRunsFromAnywhere() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        func annotate(_ value: String) async throws {
            let kubectl = Kubectl(runner: ProcessRunner(environment: app.environmentVariables), target: KubeTarget())
            _ = try await kubectl.runner.checked(kubectl.command(
                ["annotate", "deployment", "shop", "-n", "staging", "--overwrite", "\(ReleaseCommand.annotation)=\(value)"]))
        }
        try await annotate("not json")
        var result = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("is not a JSON array of strings"), result.stderr)
        XCTAssertEqual(try app.deployedImage(), v1)
        XCTAssertEqual(try releaseJobs(app), [])

        try await annotate(ReleaseCommand.encoded(["sh", "-c", "echo from the cluster; exit 7"]))
        result = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(result.status, 5, result.stderr)
        XCTAssertTrue(result.stderr.contains("  | from the cluster"), result.stderr)
        XCTAssertTrue(result.stderr.contains("exited with status 7"), result.stderr)
        XCTAssertEqual(try app.deployedImage(), v1)

        // Inside the project, platform.json decides: without `release` the recorded command is not run.
        try Data(#"{"name": "shop"}"#.utf8).write(to: URL(fileURLWithPath: app.sandbox.work + "/platform.json"))
        result = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "90s"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try releaseJobs(app).count, 1, "no release command ran this time")
        XCTAssertEqual(try app.deployedImage(), v2)
    }

    func testAnInvalidReleaseInPlatformJSONIsExit64AndChangesNothing() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        try Data(#"{"name": "shop", "release": "python -m shop.migrate"}"#.utf8)
            .write(to: URL(fileURLWithPath: app.sandbox.work + "/platform.json"))
        let before = try await app.cluster.settledResourceVersion()
        let result = await app.platform(["deploy", "shop", "--image", v2])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("'release' must be an array of strings"), result.stderr)
        XCTAssertEqual(try app.cluster.state()["resourceVersion"], before, "nothing changed")
    }
}
