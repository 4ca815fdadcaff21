import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// `platform run`: one-off tasks as Jobs, with the real kubectl against the test server (its job
/// controller creates the pod, its kubelet runs the tiny `sh -c` script and reports the exit code, and
/// `kubectl logs -f` follows the container until it ends).
final class RunEndToEndTests: XCTestCase {
    /// `platform ARGS` with `-e ENV` before the `--` (AppFixture.platform appends it at the end).
    func run(_ app: AppFixture, _ arguments: [String]) async -> CLIRun {
        await runCLI(["-e", app.environment] + arguments, environment: app.environmentVariables, directory: app.sandbox.work)
    }

    func jobs(_ app: AppFixture) throws -> [JSONValue] {
        try app.cluster.objects(kind: "Job", namespace: app.environment)
    }

    func liveJobs(_ app: AppFixture) throws -> [JSONValue] {
        try jobs(app).filter { $0["metadata", "deletionTimestamp"] == nil }
    }

    func testRunStreamsTheOutputAndExitsWithTheCommandsOwnStatus() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        var result = await run(app, ["run", "shop", "--", "sh", "-c", "echo migrating; sleep 1; echo done"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "migrating\ndone\n")
        let job = try XCTUnwrap(jobs(app).first)
        XCTAssertTrue(RolloutRules.name(job).hasPrefix("shop-run-"), RolloutRules.name(job))
        XCTAssertEqual(job["spec", "backoffLimit"]?.intValue, 0)
        XCTAssertEqual(job["spec", "ttlSecondsAfterFinished"]?.intValue, 3600)
        XCTAssertEqual(job["metadata", "labels", "app.kubernetes.io/name"]?.stringValue, "shop")
        let container = try XCTUnwrap(job["spec", "template", "spec", "containers"]?.arrayValue?.first)
        XCTAssertEqual(container["command"], .array([.string("sh"), .string("-c"), .string("echo migrating; sleep 1; echo done")]),
                       "the argv as it is, no shell added")
        XCTAssertEqual(container["image"]?.stringValue, "registry.example.com/shop:1.0.0", "the live release's image")
        let pod = try XCTUnwrap(app.cluster.objects(kind: "Pod", namespace: "staging").first {
            $0["metadata", "labels", "job-name"]?.stringValue == RolloutRules.name(job)
        })
        XCTAssertNil(pod["metadata", "labels", "app.kubernetes.io/name"], "the task's pod is not the Service's backend")

        result = await run(app, ["run", "shop", "--", "sh", "-c", "echo oops; exit 3"])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertEqual(result.stdout, "oops\n")
        XCTAssertTrue(result.stderr.contains("exited with status 3 (Error)"), result.stderr)

        result = await run(app, ["run", "shop", "--", "sh", "-c", "echo going; kill -9 $$"])
        XCTAssertEqual(result.status, 137, result.stderr)
        XCTAssertEqual(result.stdout, "going\n")

        // -o json: the task's output goes to stderr, stdout is one document.
        result = await run(app, ["run", "shop", "-o", "json", "--", "sh", "-c", "echo quiet; exit 0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let document = try JSONDecoder().decode(TaskResult.self, from: Data(result.stdout.utf8))
        XCTAssertEqual(document.exitCode, 0)
        XCTAssertTrue(document.job.hasPrefix("shop-run-"), document.job)
        XCTAssertTrue(result.stderr.contains("quiet"), result.stderr)
    }

    /// A 503 while the task runs is a missed look, not the end of the task (before: exit 1 with the
    /// Job left running unwatched).
    func testTransientAPIErrorsWhileTheTaskRunsAreLooksMissed() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        try app.cluster.fault(method: "GET", pathPrefix: "/api/v1/namespaces/staging/pods", status: 503, count: 3)
        let result = await run(app, ["run", "shop", "--", "sh", "-c", "echo survived; exit 3"])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertEqual(result.stdout, "survived\n")
        XCTAssertTrue(result.stderr.contains("could not look at the task"), result.stderr)
    }

    func testAnImageThatCannotBePulledFailsWithTheReasonAndTheJobIsDeleted() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let result = await run(app, ["run", "shop", "--image", "registry.example.com/shop:neverpull", "--", "echo", "hi"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("did not start: pod shop-run-"), result.stderr)
        XCTAssertTrue(result.stderr.contains("is ErrImageNeverPull"), result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(try liveJobs(app), [], "a task that will never run is not left pending")
    }

    func testATaskWhosePodTheQuotaRefusesFailsWithTheJobControllersReason() async throws {
        let app = try await AppFixture(replicas: 1)
        defer { app.stop() }
        try await app.waitForReadyPods(1)
        let quota: JSONValue = .object([
            "apiVersion": .string("v1"), "kind": .string("ResourceQuota"),
            "metadata": .object(["name": .string("pods"), "namespace": .string("staging")]),
            "spec": .object(["hard": .object(["pods": .string("1")])]),
        ])
        _ = try await Kubectl(runner: ProcessRunner(environment: app.environmentVariables), target: KubeTarget())
            .apply([quota], fieldManager: "test")
        let result = await run(app, ["run", "shop", "--", "echo", "hi"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("the Job cannot create its pod (FailedCreate: Error creating: pods \"shop-run-"),
                      result.stderr)
        XCTAssertTrue(result.stderr.contains("exceeded quota"), result.stderr)
        XCTAssertTrue(result.stderr.contains("still after 2"), "after deploy's 20 s grace, not at the 10m timeout: \(result.stderr)")
        XCTAssertEqual(try liveJobs(app), [])
    }

    func testDetachPrintsTheJobAndLogsReattachesWithItsStatus() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let started = await run(app, ["run", "shop", "--detach", "--", "sh", "-c", "echo one; sleep 2; echo two; exit 4"])
        XCTAssertEqual(started.status, 0, started.stderr)
        let job = started.stdout.trimmingCharacters(in: .newlines)
        XCTAssertTrue(job.hasPrefix("shop-run-"), started.stdout)
        XCTAssertTrue(started.stderr.contains("--logs \(job)"), started.stderr)
        let followed = await run(app, ["run", "shop", "--logs", job])
        XCTAssertEqual(followed.status, 4, followed.stderr)
        XCTAssertEqual(followed.stdout, "one\ntwo\n")

        // A Job that is not one of the app's tasks is refused.
        let other: JSONValue = .object([
            "apiVersion": .string("batch/v1"), "kind": .string("Job"),
            "metadata": .object(["name": .string("backup"), "namespace": .string("staging")]),
            "spec": .object(["backoffLimit": .number(0), "template": .object(["spec": .object([
                "restartPolicy": .string("Never"),
                "containers": .array([.object(["name": .string("b"), "image": .string("registry.example.com/b:1"),
                                               "command": .array([.string("echo"), .string("x")])])]),
            ])])]),
        ])
        _ = try await Kubectl(runner: ProcessRunner(environment: app.environmentVariables), target: KubeTarget())
            .apply([other], fieldManager: "test")
        let refused = await run(app, ["run", "shop", "--logs", "backup"])
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("is not a task of shop"), refused.stderr)
    }

    func testBadInputChangesNothing() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let cases: [([String], String)] = [
            (["run", "shop"], "missing COMMAND"),
            (["run", "shop", "-i", "--", "sh"], "-i/--interactive is not supported yet"),
            (["run", "shop", "--image", "UPPER/Case", "--", "true"], "UPPER/Case"),
            (["run", "shop", "--timeout", "soon", "--", "true"], "soon"),
            (["run", "shop", "--logs", "x", "--", "true"], "takes no COMMAND"),
            (["run", "Bad_Name", "--", "true"], "Bad_Name"),
        ]
        for (arguments, message) in cases {
            let result = await app.platform(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        XCTAssertEqual(try jobs(app), [], "bad input made no Job")
        // A console without a terminal: it runs, and says why it ends at once.
        let shell = await run(app, ["run", "shop", "--", "bash"])
        XCTAssertEqual(shell.status, 0, shell.stderr)
        XCTAssertTrue(shell.stderr.contains("bash without arguments waits for input, and a task has no terminal"), shell.stderr)
        // Words after `--` are the task's, never platform's options.
        let passed = await run(app, ["run", "shop", "--", "echo", "-e", "--help"])
        XCTAssertEqual(passed.status, 0, passed.stderr)
        let echo = try XCTUnwrap(jobs(app).first { $0["spec", "template", "spec", "containers"]?.arrayValue?.first?["command"]?.arrayValue?.first == .string("echo") })
        XCTAssertEqual(echo["spec", "template", "spec", "containers"]?.arrayValue?.first?["command"],
                       .array([.string("echo"), .string("-e"), .string("--help")]))
    }

    /// Ctrl-C while the task runs: the Job is deleted (its pod with it) and platform exits 130.
    func testInterruptDeletesTheJob() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let program = try RunningPlatform(["run", "shop", "-e", "staging", "--", "sh", "-c", "echo started; sleep 120"],
                                          environment: app.environmentVariables, directory: app.sandbox.work)
        try await program.waitFor("the task's first line") { $0.stdout.contains("started") }
        XCTAssertEqual(try liveJobs(app).count, 1)
        kill(program.pid, SIGINT)
        XCTAssertEqual(program.exitStatus(within: 60), 130, program.stderr)
        XCTAssertEqual(try liveJobs(app), [], "the Job is deleted on Ctrl-C")
    }
}
