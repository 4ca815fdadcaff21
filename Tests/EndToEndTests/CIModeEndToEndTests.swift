import Foundation
import PlatformCLI
import PlatformCore
import PlatformTestSupport
import XCTest

/// The CLI in CI (docs/ci.md): GitHub's step summary and outputs, the recorded commit, protected
/// environments and `--yes`, CI=true meaning no prompt. Real kubectl and git against the test server.
final class CIModeEndToEndTests: XCTestCase {
    let v2 = "registry.example.com/shop:2.0.0"

    func githubFiles(_ app: AppFixture) -> (summary: String, output: String, variables: [String: String]) {
        let summary = app.sandbox.root + "/step-summary.md", output = app.sandbox.root + "/github-output"
        return (summary, output, ["GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output])
    }

    func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    func testDeployAppendsTheStepSummaryAndOutputs() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let files = githubFiles(app)
        try Data("earlier=1\n".utf8).write(to: URL(fileURLWithPath: files.output))
        let run = await runCLI(["deploy", "shop", "--image", v2, "-e", "staging", "--timeout", "90s"],
                               environment: app.environmentVariables.merging(files.variables) { _, b in b },
                               directory: app.sandbox.work)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(read(files.output), """
            earlier=1
            app=shop
            environment=staging
            result=succeeded
            image=\(v2)
            revision=1
            url=http://shop.staging.example.com

            """, "appended, one key=value a line")
        let summary = read(files.summary)
        XCTAssertTrue(summary.contains("### ✅ platform deploy shop → staging"), summary)
        XCTAssertTrue(summary.contains("| shop | staging | `\(v2)` | succeeded | 1 | http://shop.staging.example.com |"), summary)
    }

    func testAFailedDeployReportsItsResultToo() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let files = githubFiles(app)
        let run = await runCLI(["deploy", "shop", "--image", "registry.example.com/shop:broken", "-e", "staging",
                                "--timeout", "90s"],
                               environment: app.environmentVariables.merging(files.variables) { _, b in b },
                               directory: app.sandbox.work)
        XCTAssertEqual(run.status, 3, run.stderr)
        XCTAssertTrue(read(files.output).contains("result=rolled-back\n"), read(files.output))
        XCTAssertFalse(read(files.output).contains("revision="), "the failure carries no revision")
        XCTAssertTrue(read(files.summary).contains("### ❌ platform deploy shop → staging"), read(files.summary))
    }

    func testWithoutGitHubVariablesNothingIsWrittenAndNoIngressIsRead() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        try app.cluster.request("DELETE", "/_test/requests")
        let run = await app.platform(["deploy", "shop", "--image", v2, "--timeout", "90s"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let paths = try app.cluster.requests().compactMap { $0["path"]?.stringValue }
        XCTAssertFalse(paths.contains { $0.contains("/ingresses") }, "\(paths)")
        XCTAssertEqual(Sandbox.listing(app.sandbox.root).filter { $0.hasPrefix("step-summary") || $0.hasPrefix("github-output") }, [])
    }

    func testCommitIsRecordedInTheReleaseAndTheEvent() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        // The app's repository: the current folder holds the project whose platform.json names the app.
        let project = app.sandbox.work + "/shop"
        try app.sandbox.write(project + "/platform.json", #"{"name": "shop"}"#)
        let env = app.environmentVariables.merging(["GIT_COMMITTER_DATE": "2026-11-30T10:00:00Z",
                                                    "GIT_AUTHOR_DATE": "2026-11-30T10:00:00Z"]) { _, b in b }
        for argv in [["git", "init", "-q"], ["git", "add", "."],
                     ["git", "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "one"]] {
            let result = try await runProgram(argv, environment: env, directory: project)
            XCTAssertEqual(result.status, 0, result.stderrText)
        }
        let head = try await runProgram(["git", "rev-parse", "HEAD"], environment: env, directory: project)
            .stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)

        var run = await runCLI(["deploy", "--image", v2, "-e", "staging"], environment: app.environmentVariables,
                               directory: project)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try app.releases().last?.commit, Release.Commit(sha: head, time: "2026-11-30T10:00:00Z"),
                       "HEAD of the app's repository")

        run = await runCLI(["deploy", "shop", "--image", "registry.example.com/shop:3.0.0", "-e", "staging",
                            "--commit", "ABCDEF1234567"], environment: app.environmentVariables, directory: app.sandbox.work)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try app.releases().last?.commit, Release.Commit(sha: "abcdef1234567", time: nil),
                       "a commit the repository at hand lacks is recorded as given")

        run = await runCLI(["deploy", "shop", "--image", "registry.example.com/shop:4.0.0", "-e", "staging",
                            "--commit", head.prefix(10).description], environment: app.environmentVariables, directory: project)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try app.releases().last?.commit?.sha, head, "completed from the repository")
        let last = try XCTUnwrap(EventLog.standard(environment: app.environmentVariables)?.read().events.last)
        XCTAssertEqual(last.commit, head)
        XCTAssertEqual(last.committedAt, parseTimestamp("2026-11-30T10:00:00Z"), "lead time from the commit time")
    }

    func testBadCommitIsBadInputAndChangesNothing() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        for bad in ["xyz1234", "abc", "-abcdef12", String(repeating: "a", count: 65)] {
            let run = await app.platform(["deploy", "shop", "--image", v2, "--commit", bad])
            XCTAssertEqual(run.status, 64, "\(bad): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("invalid --commit"), run.stderr)
        }
        XCTAssertEqual(try app.deployedImage(), "registry.example.com/shop:1.0.0")
    }

    func testAProtectedEnvironmentNeedsYesWithoutATerminal() async throws {
        let app = try await AppFixture(environment: "prod")
        defer { app.stop() }
        try app.sandbox.write(app.sandbox.home + "/.config/platform/config.json",
                              #"{"environments": {"prod": {"protected": true}}}"#)
        let before = try await app.cluster.settledResourceVersion()
        for argv in [["deploy", "shop", "--image", v2], ["rollback", "shop"], ["vars", "set", "shop", "LOG_LEVEL=debug"],
                     ["vars", "unset", "shop", "LOG_LEVEL"], ["secrets", "set", "shop", "API_KEY=s3cr3t-value"]] {
            let run = await app.platform(argv)
            XCTAssertEqual(run.status, 64, "\(argv): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("prod is a protected environment: pass --yes"), run.stderr)
        }
        XCTAssertEqual(try app.cluster.state()["resourceVersion"], before, "nothing changed")

        let yes = await app.platform(["deploy", "shop", "--image", v2, "--yes", "--timeout", "90s"])
        XCTAssertEqual(yes.status, 0, yes.stderr)
        XCTAssertEqual(try app.deployedImage(), v2)
        // An unprotected environment needs no --yes.
        try app.sandbox.write(app.sandbox.home + "/.config/platform/config.json", #"{"environments": {"staging": {"protected": true}}}"#)
        let other = await app.platform(["deploy", "shop", "--image", "registry.example.com/shop:3.0.0", "--timeout", "90s"])
        XCTAssertEqual(other.status, 0, other.stderr)
    }

    func testOnATerminalAProtectedEnvironmentAsksForItsNameUnlessCIIsSet() async throws {
        let app = try await AppFixture(environment: "prod")
        defer { app.stop() }
        try app.sandbox.write(app.sandbox.home + "/.config/platform/config.json",
                              #"{"environments": {"prod": {"protected": true}}}"#)
        let refused = TestIO(tty: true, answers: ["staging"])
        var status = await PlatformCLI.run(arguments: ["deploy", "shop", "--image", v2, "-e", "prod"], io: refused.streams,
                                           environment: app.environmentVariables, currentDirectory: app.sandbox.work)
        XCTAssertEqual(status, 1)
        XCTAssertTrue(refused.stderr.text.contains("Type the environment name (prod) to confirm"), refused.stderr.text)
        XCTAssertEqual(try app.deployedImage(), "registry.example.com/shop:1.0.0")

        let inCI = TestIO(tty: true, answers: ["prod"])
        status = await PlatformCLI.run(arguments: ["deploy", "shop", "--image", v2, "-e", "prod"], io: inCI.streams,
                                       environment: app.environmentVariables.merging(["CI": "true"]) { _, b in b },
                                       currentDirectory: app.sandbox.work)
        XCTAssertEqual(status, 64, "CI=true: never a prompt")
        XCTAssertFalse(inCI.stderr.text.contains("Type the environment name"), inCI.stderr.text)

        let confirmed = TestIO(tty: true, answers: ["prod"])
        status = await PlatformCLI.run(arguments: ["deploy", "shop", "--image", v2, "-e", "prod", "--timeout", "90s"],
                                       io: confirmed.streams, environment: app.environmentVariables,
                                       currentDirectory: app.sandbox.work)
        XCTAssertEqual(status, 0, confirmed.stderr.text)
        XCTAssertEqual(try app.deployedImage(), v2)
    }

    func testCIMeansNoColour() {
        XCTAssertTrue(IOStreams.colorEnabled(isTTY: true, environment: [:], noColorFlag: false))
        XCTAssertFalse(IOStreams.colorEnabled(isTTY: true, environment: ["CI": "true"], noColorFlag: false))
        XCTAssertTrue(IOStreams.colorEnabled(isTTY: false, environment: ["CI": "true", "CLICOLOR_FORCE": "1"], noColorFlag: false))
    }
}
