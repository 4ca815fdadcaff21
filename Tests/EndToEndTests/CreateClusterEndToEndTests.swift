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

        /// The real kubectl against the test server, as another tool would run it.
        @discardableResult
        func kubectl(_ arguments: [String], input: String? = nil) async throws -> CommandResult {
            let result = try await runProgram(["kubectl"] + arguments, environment: environment, directory: sandbox.work,
                                              input: input.map { Data($0.utf8) })
            XCTAssertEqual(result.status, 0, result.stderrText)
            return result
        }

        func namespace(_ name: String = "dev") throws -> JSONValue? {
            try cluster.object(kind: "Namespace", namespace: nil, name: name)
        }

        /// The managers of a field path in an object's managedFields (`["f:metadata", "f:labels", "f:x"]`).
        func managers(of object: JSONValue?, _ path: [String]) -> [String] {
            (object?["metadata", "managedFields"]?.arrayValue ?? []).compactMap { entry in
                var node = entry["fieldsV1"]
                for key in path { node = node?[key] }
                return node == nil ? nil : entry["manager"]?.stringValue
            }
        }
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

    // Item 8: a namespace that Helm (or Argo CD, Terraform) made keeps its managed-by label.
    func testANamespaceMadeByAnotherToolIsNotTakenOver() async throws {
        let setup = try Setup()
        defer { setup.stop() }
        try await setup.kubectl(["create", "-f", "-", "--field-manager=helm"], input: """
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev", "labels": {"app.kubernetes.io/managed-by": "Helm"}}}
        """)
        let run = await setup.platform(["create", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.0.0", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let namespace = try setup.namespace()
        XCTAssertEqual(namespace?["metadata", "labels", "app.kubernetes.io/managed-by"]?.stringValue, "Helm")
        XCTAssertNil(namespace?["metadata", "labels", "platform.dev/environment"])
        XCTAssertEqual(setup.managers(of: namespace, ["f:metadata", "f:labels", "f:app.kubernetes.io/managed-by"]), ["helm"])
        XCTAssertNotNil(try setup.cluster.object(kind: "Deployment", namespace: "dev", name: "shop"))
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(run.stdout.utf8))
        XCTAssertEqual(document["skipped"]?.arrayValue?.first?["kind"]?.stringValue, "Namespace")
        XCTAssertTrue(run.stderr.contains("namespace dev exists and is managed by Helm"), run.stderr)
        XCTAssertFalse((document["objects"]?.arrayValue ?? []).contains { $0["kind"]?.stringValue == "Namespace" })

        // The dry run agrees: the Namespace is not among what would be applied.
        let dry = await setup.platform(["create", "shop", "-e", "dev", "--dry-run", "-o", "json"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let plan = try JSONDecoder().decode(JSONValue.self, from: Data(dry.stdout.utf8))
        XCTAssertFalse((plan["documents"]?.arrayValue ?? []).contains { $0["kind"]?.stringValue == "Namespace" }, dry.stdout)
        XCTAssertEqual(try setup.namespace()?["metadata", "labels", "app.kubernetes.io/managed-by"]?.stringValue, "Helm")
    }

    func testAMissingNamespaceIsCreatedWithOurLabelsAndSharedByTheEnvironmentsApps() async throws {
        let setup = try Setup()
        defer { setup.stop() }
        let shop = await setup.platform(["create", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.0.0"])
        XCTAssertEqual(shop.status, 0, shop.stderr)
        let namespace = try setup.namespace()
        XCTAssertEqual(namespace?["metadata", "labels", "app.kubernetes.io/managed-by"]?.stringValue, "platform")
        XCTAssertEqual(namespace?["metadata", "labels", "platform.dev/environment"]?.stringValue, "dev")
        // A second app of the environment applies the same labels: shared ownership, no conflict.
        let cart = await setup.platform(["create", "cart", "-e", "dev", "--image", "registry.example.com/cart:1.0.0"])
        XCTAssertEqual(cart.status, 0, cart.stderr)
        XCTAssertEqual(Set(setup.managers(of: try setup.namespace(), ["f:metadata", "f:labels", "f:app.kubernetes.io/managed-by"])),
                       ["platform/shop", "platform/cart"])
    }

    // Item 8: CI credentials scoped to the namespace may not read (or apply) the Namespace itself.
    func testNamespaceScopedCredentialsThatMayNotReadTheNamespaceStillCreateTheApp() async throws {
        let setup = try Setup()
        defer { setup.stop() }
        try await setup.kubectl(["create", "namespace", "dev"])
        let message = #"namespaces "dev" is forbidden: User "system:serviceaccount:dev:ci" cannot get resource "namespaces" in API group "" in the namespace "dev""#
        try setup.cluster.forbid(method: "GET", path: "/api/v1/namespaces/dev", message: message)
        try setup.cluster.forbid(method: "PATCH", path: "/api/v1/namespaces/dev", message: message)
        let run = await setup.platform(["create", "shop", "-e", "dev", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("namespace dev cannot be read (Forbidden"), run.stderr)
        XCTAssertNotNil(try setup.cluster.object(kind: "Deployment", namespace: "dev", name: "shop"))
        XCTAssertNotNil(try setup.cluster.object(kind: "Ingress", namespace: "dev", name: "shop"))
        XCTAssertNil(try setup.namespace()?["metadata", "labels", "app.kubernetes.io/managed-by"])
    }
}
