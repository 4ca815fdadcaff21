import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// `platform destroy` against clusters the way real ones are (issue 10): pods that take time to
/// terminate, finalizers whose controller is gone, objects of other tools with the app's names, an
/// aggregated API that is down. Real terraform, real kubectl, the test API server.
final class DestroyClusterEndToEndTests: XCTestCase {
    /// `create` (2 replicas) then `deploy` of shop in dev, with pods running.
    func created(terminateDelay: Double = 0.3) async throws -> CreatedApp {
        let setup = try await CreatedApp(createArguments: ["--replicas", "2"],
                                         serverArguments: ["--terminate-delay", String(terminateDelay)])
        XCTAssertFalse(try setup.objects("Pod").isEmpty)
        return setup
    }

    // Item 9: with kubectl's default (background) cascade, delete returns while the pods still
    // terminate, and terraform destroy removes the infrastructure under them.
    func testDestroyWaitsForThePodsToBeGoneBeforeTerraform() async throws {
        let setup = try await created(terminateDelay: 4)
        defer { setup.stop() }
        let run = await setup.platform(["destroy", "shop", "-e", "dev", "--yes", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        // Checked right after destroy returned: the pods (4 s of graceful termination each) went
        // before terraform destroy ran, not after.
        XCTAssertEqual(try setup.objects("Pod"), [], "pods still terminating after destroy")
        XCTAssertEqual(try setup.objects("ReplicaSet"), [])
        XCTAssertEqual(try setup.objects("Deployment"), [])
        let result = try JSONDecoder().decode(DestroyResult.self, from: Data(run.stdout.utf8))
        XCTAssertTrue(result.terraformDestroyed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: setup.workspace))
    }

    // Item 9: an Ingress whose load-balancer controller is gone keeps its finalizer for ever.
    func testAFinalizerThatNeverClearsEndsInAClearErrorAndLeavesTheInfrastructure() async throws {
        let setup = try await created()
        defer { setup.stop() }
        try await setup.kubectl(["patch", "ingress", "shop", "-n", "dev", "--type=merge",
                                 "-p", #"{"metadata":{"finalizers":["ingress.example.com/load-balancer"]}}"#])
        let resources = setup.stateResources()
        XCTAssertNotNil(resources)
        // The built binary, so a hang (kubectl's default wait is 168 h) fails the test instead of blocking it.
        let program = try RunningPlatform(["destroy", "shop", "-e", "dev", "--yes", "--timeout", "3s"],
                                          environment: setup.environment, directory: setup.sandbox.work)
        XCTAssertEqual(program.exitStatus(within: 60), 1, program.stderr)
        XCTAssertTrue(program.stderr.contains("destroy stopped after waiting 3s: ingress/shop is held by finalizer ingress.example.com/load-balancer"),
                      program.stderr)
        XCTAssertTrue(program.stderr.contains("the infrastructure and the workspace were not touched"), program.stderr)
        XCTAssertTrue(program.stderr.contains("kubectl patch ingress/shop -n dev --type=merge"), program.stderr)
        XCTAssertFalse(program.stderr.contains("Destroy complete"), program.stderr)
        XCTAssertEqual(setup.stateResources(), resources, "terraform destroy never ran")
        XCTAssertTrue(FileManager.default.fileExists(atPath: setup.workspace))
        let ingress = try XCTUnwrap(try setup.cluster.object(kind: "Ingress", namespace: "dev", name: "shop"))
        XCTAssertNotNil(ingress["metadata", "deletionTimestamp"])

        // Once the finalizer is removed, a second destroy finishes the job.
        try await setup.kubectl(["patch", "ingress", "shop", "-n", "dev", "--type=merge", "-p", #"{"metadata":{"finalizers":null}}"#])
        let again = await setup.platform(["destroy", "shop", "-e", "dev", "--yes"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: setup.workspace))
        XCTAssertEqual(try setup.objects("Ingress"), [])
    }

    // Item 9: objects are deleted by name only when platform manages them for this app.
    func testAnotherToolsObjectWithTheAppsNameIsLeftAlone() async throws {
        let setup = try await created()
        defer { setup.stop() }
        try await setup.kubectl(["delete", "service", "shop", "-n", "dev"])
        try await setup.kubectl(["apply", "--server-side", "--field-manager=helm", "-f", "-"], input: """
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop", "namespace": "dev",
         "labels": {"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/instance": "shop"}},
         "spec": {"selector": {"app": "legacy-shop"}, "ports": [{"port": 80}]}}
        """)
        let dry = await setup.platform(["destroy", "shop", "-e", "dev", "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("  leave service/shop (not managed by platform for shop-dev)"), dry.stdout)
        XCTAssertFalse(dry.stdout.contains("delete service/shop"), dry.stdout)

        let run = await setup.platform(["destroy", "shop", "-e", "dev", "--yes", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("leaving service/shop alone"), run.stderr)
        let result = try JSONDecoder().decode(DestroyResult.self, from: Data(run.stdout.utf8))
        XCTAssertFalse(result.deleted.contains { $0.hasPrefix("service/") }, "\(result.deleted)")
        XCTAssertEqual(try setup.objects("Service"), ["shop"], "the other tool's Service stays")
        XCTAssertEqual(try setup.cluster.object(kind: "Service", namespace: "dev", name: "shop")?["spec", "selector", "app"]?.stringValue,
                       "legacy-shop")
        XCTAssertEqual(try setup.objects("Deployment"), [])
        XCTAssertEqual(try setup.objects("Ingress"), [])
    }

    // Item 4 for destroy: an unavailable aggregated API does not stop it.
    func testAnUnavailableAggregatedAPIDoesNotStopDestroy() async throws {
        let setup = try await created()
        defer { setup.stop() }
        try setup.cluster.makeUnavailable(group: "metrics.k8s.io", version: "v1beta1")
        let run = await setup.platform(["destroy", "shop", "-e", "dev", "--yes"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try setup.objects("ServiceMonitor"), [])
        XCTAssertEqual(try setup.objects("Deployment"), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: setup.workspace))
    }
}
