import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

final class DoctorTests: XCTestCase {
    /// A PATH folder with stand-ins for the tools (the fake runner answers for them).
    func toolFolder(_ sandbox: Sandbox, _ tools: [String]) throws -> String {
        let bin = sandbox.root + "/fakebin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for tool in tools {
            _ = FileManager.default.createFile(atPath: bin + "/" + tool, contents: Data("#!/bin/sh\nexit 1\n".utf8),
                                           attributes: [.posixPermissions: 0o755])
        }
        return bin
    }

    func toolCalls(server: CommandResult) -> [FakeCommandRunner.Expectation] {
        [
            .init(["git", "--version"], result: CommandResult(stdout: "git version 2.39.5\n")),
            .init(["terraform", "version", "-json"], result: CommandResult(stdout: #"{"terraform_version": "1.15.5", "platform": "linux_amd64"}"#)),
            .init(["kubectl", "version", "--client", "-o", "json"],
                  result: CommandResult(stdout: #"{"clientVersion": {"gitVersion": "v1.37.1"}}"#)),
            .init(["kubectl", "--context", "kind-staging", "version", "-o", "json", "--request-timeout=2s"], result: server),
        ]
    }

    func environment(_ sandbox: Sandbox, tools: [String] = ["git", "terraform", "kubectl"]) throws -> [String: String] {
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"environments": {"staging": {"kube_context": "kind-staging"}}}"#)
        return sandbox.environment(extra: ["PATH": try toolFolder(sandbox, tools), "PLATFORM_TEMPLATES_DIR": Repo.templates])
    }

    func testAllChecksPass() async throws {
        let sandbox = try Sandbox()
        let runner = FakeCommandRunner(toolCalls(server: CommandResult(stdout: #"{"serverVersion": {"gitVersion": "v1.37.0"}}"#)))
        let run = await runCLI(["doctor", "-e", "staging", "--request-timeout", "2s"], environment: try environment(sandbox), runner: runner)
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 8, run.stdout)
        XCTAssertEqual(lines[0], "ok   git         \(sandbox.root)/fakebin/git 2.39.5")
        XCTAssertEqual(lines[1], "ok   terraform   \(sandbox.root)/fakebin/terraform 1.15.5")
        XCTAssertEqual(lines[2], "ok   kubectl     \(sandbox.root)/fakebin/kubectl v1.37.1")
        XCTAssertEqual(lines[3], "ok   cluster     context kind-staging reachable (server v1.37.0)")
        XCTAssertEqual(lines[4], "ok   state       \(sandbox.state) writable")
        XCTAssertTrue(lines[5].hasPrefix("ok   templates   "), lines[5])
        XCTAssertEqual(lines[6], "ok   org config  \(sandbox.organisationConfig) (XDG_CONFIG_DIRS): not found")
        XCTAssertEqual(lines[7], "ok   user config \(sandbox.home)/.config/platform/config.json (XDG_CONFIG_HOME): read, sets environments")
        XCTAssertEqual(run.stderr, "")
    }

    func testUnreachableClusterFailsWithOneJSONDocument() async throws {
        let sandbox = try Sandbox()
        let runner = FakeCommandRunner(toolCalls(server: CommandResult(
            status: 1, stdout: #"{"clientVersion": {"gitVersion": "v1.37.1"}}"#,
            stderr: "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n")))
        let run = await runCLI(["doctor", "-e", "staging", "--request-timeout", "2s", "-o", "json"],
                               environment: try environment(sandbox), runner: runner)
        XCTAssertEqual(run.status, 1)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(document["ok"], .bool(false))
        let cluster = document["checks"]?.arrayValue?.first { $0["name"] == .string("cluster") }
        XCTAssertEqual(cluster?["ok"], .bool(false))
        XCTAssertEqual(cluster?["detail"]?.stringValue,
                       "context kind-staging not reachable: The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?")
        XCTAssertTrue(run.stderr.contains("1 of 8 checks failed: cluster"), run.stderr)
        let event = try EventLog(path: sandbox.state + "/events.jsonl").read().events.last
        XCTAssertEqual(event?.errorType, "checks_failed")
        XCTAssertEqual(event?.exitCode, 1)
    }

    func testMissingToolsFailClearly() async throws {
        let sandbox = try Sandbox()
        let runner = FakeCommandRunner([.init(["git", "--version"], result: CommandResult(stdout: "git version 2.39.5\n"))])
        let run = await runCLI(["doctor"], environment: try environment(sandbox, tools: ["git"]), runner: runner)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertTrue(run.stdout.contains("FAIL terraform   not found on PATH\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("FAIL kubectl     not found on PATH\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("FAIL cluster     not checked: kubectl is missing\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("hint: install Terraform"), run.stdout)
        XCTAssertTrue(run.stderr.contains("3 of 8 checks failed: terraform, kubectl, cluster"), run.stderr)
    }

    func testReportsEveryConfigLayerAndFailsOnABadOne() async throws {
        let sandbox = try Sandbox()
        let team = sandbox.root + "/team.json"
        try sandbox.write(sandbox.organisationConfig, #"{"domain": "org.example", "backend": {"type": "s3"}, "locked": ["backend"]}"#)
        try sandbox.write(team, #"{"instance_type": "m5.large"}"#)
        var env = try environment(sandbox)
        env["PLATFORM_CONFIG"] = team
        let runner = FakeCommandRunner(toolCalls(server: CommandResult(stdout: #"{"serverVersion": {"gitVersion": "v1.37.0"}}"#)))
        let run = await runCLI(["doctor", "-e", "staging", "--request-timeout", "2s"], environment: env, runner: runner)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let config = run.stdout.split(separator: "\n").map(String.init).filter { $0.contains(" config ") }
        XCTAssertEqual(config, [
            "ok   org config   \(sandbox.organisationConfig) (XDG_CONFIG_DIRS): read, sets backend, domain; locks backend",
            "ok   org config 2 \(team) (PLATFORM_CONFIG): read, sets instance_type",
            "ok   user config  \(sandbox.home)/.config/platform/config.json (XDG_CONFIG_HOME): read, sets environments",
        ])
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"backend": {"type": "gcs"}}"#)
        let bad = await runCLI(["doctor", "--request-timeout", "2s", "-o", "json"], environment: env,
                               runner: FakeCommandRunner(Array(toolCalls(server: CommandResult()).prefix(3))))
        XCTAssertEqual(bad.status, 1)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(bad.stdout.utf8))
        let failed = document["checks"]?.arrayValue?.first { $0["name"] == .string("config") }
        XCTAssertEqual(failed?["ok"], .bool(false))
        XCTAssertTrue(failed?["detail"]?.stringValue?.contains("'backend' is locked by the organisation config \(sandbox.organisationConfig)") == true,
                      bad.stdout)
    }

    func testBadTimeoutIsInvalidInput() async throws {
        let runner = FakeCommandRunner()
        let run = await runCLI(["doctor", "--request-timeout", "soon"], environment: ["PLATFORM_STATE_DIR": "/nonexistent/x"], runner: runner)
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains("invalid --request-timeout 'soon'"), run.stderr)
        XCTAssertEqual(runner.calls.count, 0)
    }
}
