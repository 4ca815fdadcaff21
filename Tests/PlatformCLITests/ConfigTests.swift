import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

final class ConfigTests: XCTestCase {
    func setUpConfigs(_ sandbox: Sandbox) throws -> String {
        try sandbox.write(sandbox.home + "/.config/platform/config.json", """
        {
          "domain": "corp.example.com",
          "default_environment": "staging",
          "replicas": 2,
          "environments": {"staging": {"kube_context": "kind-staging"}}
        }
        """)
        try sandbox.write(sandbox.work + "/shop/platform.json", #"{"name": "shop", "port": 9090, "replicas": 4}"#)
        let folder = sandbox.work + "/shop/src"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    func testShowsMergedValuesWithTheirSources() async throws {
        let sandbox = try Sandbox()
        let folder = try setUpConfigs(sandbox)
        let run = await runCLI(["config", "show"], environment: sandbox.environment(extra: ["PLATFORM_REPLICAS": "3"]),
                               directory: folder)
        XCTAssertEqual(run.status, 0, run.stderr)
        let user = sandbox.home + "/.config/platform/config.json"
        let project = sandbox.work + "/shop/platform.json"
        let lines = run.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        XCTAssertTrue(lines.contains("App: shop"), run.stdout)
        XCTAssertTrue(lines.contains("User config: \(user)"), run.stdout)
        XCTAssertTrue(lines.contains("Project config: \(project)"), run.stdout)
        XCTAssertTrue(lines.contains("environment staging user config \(user)"), run.stdout)
        XCTAssertTrue(lines.contains("replicas 3 environment variable PLATFORM_REPLICAS"), run.stdout)
        XCTAssertTrue(lines.contains("port 9090 project config \(project)"), run.stdout)
        XCTAssertTrue(lines.contains("domain corp.example.com user config \(user)"), run.stdout)
        XCTAssertTrue(lines.contains("kube_context kind-staging user config \(user)"), run.stdout)
        XCTAssertTrue(lines.contains("instance_type t3.medium built-in default"), run.stdout)
    }

    func testFlagsWinAndJSONIsOneDocument() async throws {
        let sandbox = try Sandbox()
        let folder = try setUpConfigs(sandbox)
        let run = await runCLI(["config", "show", "shop", "-e", "production", "--image", "r.example.com/shop:2.0",
                                "--kube-context", "prod", "-o", "json"],
                               environment: sandbox.environment(extra: ["PLATFORM_ENVIRONMENT": "qa"]), directory: folder)
        XCTAssertEqual(run.status, 0, run.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(document["settings", "environment"], .object(["value": .string("production"), "source": .string("flag --environment")]))
        XCTAssertEqual(document["settings", "image", "value"], .string("r.example.com/shop:2.0"))
        XCTAssertEqual(document["settings", "kube_context", "source"], .string("flag --kube-context"))
        XCTAssertEqual(document["settings", "replicas"], .object(["value": .string("4"), "source": .string("project config \(sandbox.work)/shop/platform.json")]))
        XCTAssertEqual(document["projectConfig"], .string(sandbox.work + "/shop/platform.json"))
    }

    func testUnknownKeyNamesFileLineAndKey() async throws {
        let sandbox = try Sandbox()
        let user = sandbox.home + "/.config/platform/config.json"
        try sandbox.write(user, "{\n  \"domain\": \"x.com\",\n  \"colour\": \"blue\"\n}\n")
        let run = await runCLI(["config", "show", "shop"], environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(run.status, 64)
        XCTAssertEqual(run.stdout, "")
        XCTAssertTrue(run.stderr.contains("\(user):3"), run.stderr)
        XCTAssertTrue(run.stderr.contains("colour"), run.stderr)
    }

    func testInvalidJSONNamesTheFile() async throws {
        let sandbox = try Sandbox()
        try sandbox.write(sandbox.work + "/platform.json", "{\"name\": \"shop\",\n  \"port\": }\n")
        let run = await runCLI(["config", "show"], environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains(sandbox.work + "/platform.json"), run.stderr)
    }

    func testUsageErrors() async throws {
        let sandbox = try Sandbox()
        let noName = await runCLI(["config", "show"], environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(noName.status, 64)
        XCTAssertTrue(noName.stderr.contains("missing NAME"), noName.stderr)
        let action = await runCLI(["config", "edit"], environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(action.status, 64)
        XCTAssertTrue(action.stderr.contains("unknown action 'edit'"), action.stderr)
        let badName = await runCLI(["config", "show", "Shop!"], environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(badName.status, 64)
        XCTAssertTrue(badName.stderr.contains("invalid name 'Shop!'"), badName.stderr)
    }
}
