import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// `platform create` against clusters the way real ones are (issue 10): an aggregated API that is
/// down, label limits, namespaces made by other tools, namespace-scoped credentials. Real terraform,
/// real kubectl, the test API server.
final class CreateClusterEndToEndTests: XCTestCase {
    static let monitorCRD = "servicemonitors.monitoring.coreos.com"

    struct Setup {
        let sandbox: Sandbox
        let cluster: TestCluster

        init(crds: [String] = [CreateClusterEndToEndTests.monitorCRD]) throws {
            sandbox = try Sandbox()
            cluster = try TestCluster(readyDelay: 0.2, crds: crds)
        }

        var environment: [String: String] {
            sandbox.environment(extra: cluster.environment.merging(["PLATFORM_TEMPLATES_DIR": Repo.templates]) { _, b in b })
        }

        func platform(_ arguments: [String]) async -> CLIRun {
            await runCLI(arguments, environment: environment, directory: sandbox.work)
        }

        func workspace(_ env: String = "dev", _ name: String = "shop") -> String {
            sandbox.state + "/workspaces/\(env)/\(name)"
        }

        func stop() { cluster.stop(); cluster.removeFiles() }
    }

    // Item 4: `kubectl api-resources --api-group=monitoring.coreos.com` exits 1 when metrics.k8s.io is down.
    func testAnUnavailableAggregatedAPIDoesNotStopCreateAndTheServiceMonitorIsStillFound() async throws {
        let setup = try Setup()
        defer { setup.stop() }
        try setup.cluster.makeUnavailable(group: "metrics.k8s.io", version: "v1beta1")
        let run = await setup.platform(["create", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.0.0", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(document["skipped"]?.arrayValue, [])
        XCTAssertNotNil(try setup.cluster.object(kind: "ServiceMonitor", namespace: "dev", name: "shop"))
        XCTAssertNotNil(try setup.cluster.object(kind: "Deployment", namespace: "dev", name: "shop"))
    }

    func testWithoutTheCRDAndAnUnavailableAggregatedAPITheServiceMonitorIsSkipped() async throws {
        let setup = try Setup(crds: [])
        defer { setup.stop() }
        try setup.cluster.makeUnavailable(group: "metrics.k8s.io", version: "v1beta1")
        let run = await setup.platform(["create", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.0.0", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(document["skipped"]?.arrayValue?.first?["kind"]?.stringValue, "ServiceMonitor")
        XCTAssertTrue(run.stderr.contains("Skipping the ServiceMonitor"), run.stderr)
        XCTAssertNotNil(try setup.cluster.object(kind: "Deployment", namespace: "dev", name: "shop"))
    }

    // Item 7: app.kubernetes.io/instance = NAME-ENV is a label value (at most 63 characters).
    func testAnInstanceLabelOver63CharactersIsBadInputBeforeTerraformRuns() async throws {
        let setup = try Setup()
        defer { setup.stop() }
        let name = "checkout-" + String(repeating: "a", count: 31)        // 40 characters
        let environment = "staging-" + String(repeating: "b", count: 22)  // 30 characters
        let run = await setup.platform(["create", name, "-e", environment, "--image", "registry.example.com/shop:1.0.0"])
        XCTAssertEqual(run.status, 64, run.stderr)
        XCTAssertTrue(run.stderr.contains("instance label '\(name)-\(environment)' has 71 characters, at most 63"), run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").filter { $0.contains("error") }.count, 1, run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: setup.workspace(environment, name)), "terraform never ran")
        XCTAssertEqual(try setup.cluster.requests().filter { $0["method"]?.stringValue != "GET" }, [], "nothing written")
        XCTAssertNil(try setup.cluster.object(kind: "Namespace", namespace: nil, name: environment))

        // 63 characters exactly is fine.
        let fits = String(repeating: "c", count: 63 - 1 - environment.count)
        let ok = await setup.platform(["create", fits, "-e", environment, "--image", "registry.example.com/shop:1.0.0"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(try setup.cluster.object(kind: "Deployment", namespace: environment, name: fits)?["metadata", "labels",
                       "app.kubernetes.io/instance"]?.stringValue?.count, 63)
    }
}
