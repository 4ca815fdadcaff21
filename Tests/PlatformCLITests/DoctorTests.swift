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
        XCTAssertEqual(lines.count, 6, run.stdout)
        XCTAssertEqual(lines[0], "ok   git       \(sandbox.root)/fakebin/git 2.39.5")
        XCTAssertEqual(lines[1], "ok   terraform \(sandbox.root)/fakebin/terraform 1.15.5")
        XCTAssertEqual(lines[2], "ok   kubectl   \(sandbox.root)/fakebin/kubectl v1.37.1")
        XCTAssertEqual(lines[3], "ok   cluster   context kind-staging reachable (server v1.37.0)")
        XCTAssertEqual(lines[4], "ok   state     \(sandbox.state) writable")
        XCTAssertTrue(lines[5].hasPrefix("ok   templates "), lines[5])
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
        XCTAssertTrue(run.stderr.contains("1 of 6 checks failed: cluster"), run.stderr)
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
        XCTAssertTrue(run.stdout.contains("FAIL terraform not found on PATH\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("FAIL kubectl   not found on PATH\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("FAIL cluster   not checked: kubectl is missing\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("hint: install Terraform"), run.stdout)
        XCTAssertTrue(run.stderr.contains("3 of 6 checks failed: terraform, kubectl, cluster"), run.stderr)
    }

    func testBadTimeoutIsInvalidInput() async throws {
        let runner = FakeCommandRunner()
        let run = await runCLI(["doctor", "--request-timeout", "soon"], environment: ["PLATFORM_STATE_DIR": "/nonexistent/x"], runner: runner)
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains("invalid --request-timeout 'soon'"), run.stderr)
        XCTAssertEqual(runner.calls.count, 0)
    }
}
