import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// The Swift side of the test API server harness works with the real kubectl.
final class TestClusterTests: XCTestCase {
    func testKubectlApplyAndReadBack() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster()
        defer { cluster.stop(); cluster.removeFiles() }
        let kubectl = Kubectl(runner: ProcessRunner(environment: sandbox.environment(extra: cluster.environment)),
                              target: KubeTarget())
        let namespace = JSONValue.object(["apiVersion": .string("v1"), "kind": .string("Namespace"),
                                          "metadata": .object(["name": .string("smoke")])])
        _ = try await kubectl.apply([namespace], fieldManager: "platform/smoke")
        XCTAssertNotNil(try cluster.object(kind: "Namespace", namespace: nil, name: "smoke"))
        let fetched = try await kubectl.get("namespace", "smoke", namespace: nil)
        XCTAssertEqual(fetched?["metadata", "name"]?.stringValue, "smoke")
        let missing = try await kubectl.get("namespace", "nope", namespace: nil)
        XCTAssertNil(missing)
        let hasMonitors = try await kubectl.hasResource("servicemonitors", group: "monitoring.coreos.com")
        XCTAssertFalse(hasMonitors)
        try cluster.enableCRD("servicemonitors.monitoring.coreos.com")
        let kubectlFresh = Kubectl(runner: ProcessRunner(environment: sandbox.environment(extra: cluster.environment.merging(["KUBECACHEDIR": sandbox.root + "/cache2"]) { _, b in b })), target: KubeTarget())
        let nowHas = try await kubectlFresh.hasResource("servicemonitors", group: "monitoring.coreos.com")
        XCTAssertTrue(nowHas)
    }
}
