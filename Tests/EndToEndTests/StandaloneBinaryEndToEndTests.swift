import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// The built binary copied alone into an empty folder (no share/platform/templates, no checkout above
/// it, no PLATFORM_TEMPLATES_DIR) scaffolds and creates with the templates and module embedded in it.
final class StandaloneBinaryEndToEndTests: XCTestCase {
    func testACopiedBinaryScaffoldsAndCreatesAgainstTheTestServer() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let alone = sandbox.root + "/alone"
        try FileManager.default.createDirectory(atPath: alone, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Repo.binary, toPath: alone + "/platform")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: alone), ["platform"])
        var env = sandbox.environment(extra: cluster.environment)
        env["PLATFORM_TEMPLATES_DIR"] = nil
        env["XDG_CACHE_HOME"] = sandbox.root + "/cache"

        let listed = try await runProgram([alone + "/platform", "templates"], environment: env, directory: sandbox.work)
        XCTAssertEqual(listed.status, 0, listed.stderrText)
        for id in ["python/flask", "node/express", "go/http", "swift/hummingbird"] {
            XCTAssertTrue(listed.stdoutText.contains(id), listed.stdoutText)
        }
        let scaffold = try await runProgram([alone + "/platform", "scaffold", "shop", "--template", "python/flask"],
                                            environment: env, directory: sandbox.work)
        XCTAssertEqual(scaffold.status, 0, scaffold.stderrText)
        let project = sandbox.work + "/shop"
        XCTAssertEqual(FileManager.default.contents(atPath: project + "/requirements.txt"),
                       FileManager.default.contents(atPath: Repo.templates + "/python/flask/requirements.txt"),
                       "the embedded template's bytes")
        let dockerfile = try String(contentsOfFile: project + "/Dockerfile", encoding: .utf8)
        XCTAssertFalse(dockerfile.contains("{{"), "placeholders rendered")
        let log = try await runProgram(["git", "log", "--format=%s"], environment: env, directory: project)
        XCTAssertEqual(log.stdoutText, "Scaffold shop from python/flask\n")

        let create = try await runProgram([alone + "/platform", "create", "-e", "dev", "--image", "registry.example.com/shop:1.0.0",
                                           "-o", "json"], environment: env, directory: project)
        XCTAssertEqual(create.status, 0, create.stderrText)
        let document = try JSONDecoder().decode(JSONValue.self, from: create.stdout)
        XCTAssertEqual(document["url"]?.stringValue, "http://shop.dev.example.com")
        let workspace = sandbox.state + "/workspaces/dev/shop"
        XCTAssertEqual(FileManager.default.contents(atPath: workspace + "/module/main.tf"),
                       FileManager.default.contents(atPath: Repo.templates + "/terraform/application/main.tf"),
                       "the embedded module is written into the workspace")
        let root = try String(contentsOfFile: workspace + "/main.tf.json", encoding: .utf8)
        XCTAssertTrue(root.contains(workspace + "/module"), root)
        XCTAssertNotNil(try cluster.object(kind: "Deployment", namespace: "dev", name: "shop"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: alone), ["platform"], "nothing written beside the binary")
    }
}
