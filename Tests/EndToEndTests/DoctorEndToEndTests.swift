import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// `platform doctor` with the real git, terraform and kubectl from .tools/, against the test API server.
final class DoctorEndToEndTests: XCTestCase {
    func testPassesWithTheToolsAndATestCluster() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let result = try await runProgram([Repo.binary, "doctor"], environment: sandbox.environment(extra: cluster.environment),
                                          directory: sandbox.work)
        XCTAssertEqual(result.status, 0, result.stdoutText + result.stderrText)
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.map { String($0.prefix(5)) }, Array(repeating: "ok   ", count: 8), result.stdoutText)
        XCTAssertTrue(lines[1].contains(Repo.tools + "/terraform 1."), lines[1])
        XCTAssertTrue(lines[2].contains(Repo.tools + "/kubectl v1."), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("ok   cluster     context "), lines[3])
        XCTAssertTrue(lines[3].contains("reachable (server v1."), lines[3])
        // kubectl asked the server for its version.
        XCTAssertTrue(try cluster.requests().contains { $0["path"]?.stringValue == "/version" })
    }

    func testFailsClearlyWithoutACluster() async throws {
        let sandbox = try Sandbox()
        // A kubeconfig whose server does not answer (port 1 refuses connections).
        try sandbox.write("kubeconfig", """
        apiVersion: v1
        kind: Config
        clusters: [{name: gone, cluster: {server: "http://127.0.0.1:1"}}]
        contexts: [{name: gone, context: {cluster: gone, user: me}}]
        users: [{name: me, user: {}}]
        current-context: gone
        """)
        let result = try await runProgram([Repo.binary, "doctor", "--request-timeout", "2s"],
                                          environment: sandbox.environment(extra: ["KUBECONFIG": sandbox.root + "/kubeconfig"]),
                                          directory: sandbox.work)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdoutText.contains("FAIL cluster     context gone not reachable: "), result.stdoutText)
        XCTAssertTrue(result.stdoutText.contains("ok   kubectl"), result.stdoutText)
        XCTAssertTrue(result.stderrText.contains("1 of 8 checks failed: cluster"), result.stderrText)
    }

    func testFailsClearlyWithoutTheTools() async throws {
        let sandbox = try Sandbox()
        let empty = sandbox.root + "/empty-bin"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let result = try await runProgram([Repo.binary, "doctor", "-o", "json"],
                                          environment: sandbox.environment(extra: ["PATH": empty]), directory: sandbox.work)
        XCTAssertEqual(result.status, 1)
        let document = try JSONDecoder().decode(JSONValue.self, from: result.stdout)
        let byName = Dictionary(uniqueKeysWithValues: (document["checks"]?.arrayValue ?? []).map {
            ($0["name"]?.stringValue ?? "", $0)
        })
        for tool in ["git", "terraform", "kubectl"] {
            XCTAssertEqual(byName[tool]?["ok"], .bool(false), tool)
            XCTAssertEqual(byName[tool]?["detail"], .string("not found on PATH"), tool)
        }
        XCTAssertEqual(byName["cluster"]?["ok"], .bool(false))
        XCTAssertEqual(byName["state"]?["ok"], .bool(true))
        XCTAssertEqual(document["ok"], .bool(false))
    }
}
