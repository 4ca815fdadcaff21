import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Issue 11 item 4: a project's `overrides` may not make `create` write outside the app (real
/// terraform and kubectl, the test API server). Before the fix each of these was applied.
final class OverrideEscapeEndToEndTests: XCTestCase {
    func environment(_ sandbox: Sandbox, _ cluster: TestCluster) -> [String: String] {
        sandbox.environment(extra: cluster.environment.merging(["PLATFORM_TEMPLATES_DIR": Repo.templates]) { _, b in b })
    }

    func project(_ sandbox: Sandbox, _ name: String, _ json: String) throws -> String {
        let folder = sandbox.root + "/projects/" + name + "-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try sandbox.write(folder + "/platform.json", json)
        return folder
    }

    func testOverridesThatEscapeTheAppAreRefusedBeforeAnythingRuns() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.1)
        defer { cluster.stop(); cluster.removeFiles() }
        let env = environment(sandbox, cluster)

        // Another team's app, made the ordinary way.
        let payments = try project(sandbox, "payments", #"{"name": "payments", "port": 8080, "image": "registry.example.com/payments"}"#)
        let made = await runCLI(["create", "payments", "-e", "dev", "--image", "registry.example.com/payments:1.0.0"],
                                environment: env, directory: payments)
        XCTAssertEqual(made.status, 0, made.stderr)
        let paymentsBefore = try XCTUnwrap(try cluster.object(kind: "Deployment", namespace: "dev", name: "payments"))
        let requestsBefore = try cluster.requests().count

        let attacks: [(String, String)] = [
            // A ClusterRoleBinding to cluster-admin, made out of the Deployment document.
            (#"{"Deployment": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "shop-admin", "namespace": null}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "dev"}], "spec": null}}"#,
             "overrides.Deployment.kind is not allowed"),
            // A Secret in kube-system, made out of the Service document.
            (#"{"Service": {"kind": "Secret", "metadata": {"namespace": "kube-system", "name": "planted"}, "stringData": {"token": "x"}, "spec": null}}"#,
             "overrides.Service.kind is not allowed"),
            // Only the namespace: the Service lands in kube-system.
            (#"{"Service": {"metadata": {"namespace": "kube-system"}}}"#, "overrides.Service.metadata.namespace is not allowed"),
            // Another team's Deployment taken over.
            (#"{"Deployment": {"metadata": {"name": "payments"}, "spec": {"template": {"spec": {"containers": [{"name": "payments", "image": "attacker/miner:1"}]}}}}}"#,
             "overrides.Deployment.metadata.name is not allowed"),
            // Another team's pods put behind this app's Service.
            (#"{"Service": {"spec": {"selector": {"app.kubernetes.io/name": "payments"}}}}"#,
             "overrides.Service.spec.selector is not allowed"),
            // kube-system relabelled through the shared Namespace document.
            (#"{"Namespace": {"metadata": {"name": "kube-system", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}}}"#,
             "overrides.Namespace is not allowed"),
        ]
        for (overrides, expected) in attacks {
            let folder = try project(sandbox, "shop", #"{"name": "shop", "port": 8080, "image": "registry.example.com/shop", "overrides": "# + overrides + "}")
            for arguments in [["create", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.0.0"],
                              ["create", "shop", "-e", "dev", "--dry-run", "-o", "json"]] {
                let run = await runCLI(arguments, environment: env, directory: folder)
                XCTAssertEqual(run.status, 64, "\(overrides): \(run.stderr)")
                XCTAssertTrue(run.stderr.contains(expected), run.stderr)
                XCTAssertTrue(run.stderr.contains("platform.json:"), "names the file: \(run.stderr)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.state + "/workspaces/dev/shop"), "terraform never ran")
        XCTAssertEqual(try cluster.requests().count, requestsBefore, "nothing reached the server, not even a read")
        XCTAssertEqual(try cluster.objects(kind: "ClusterRoleBinding"), [])
        XCTAssertEqual(try cluster.objects(kind: "Secret", namespace: "kube-system"), [])
        XCTAssertEqual(try cluster.objects(kind: "Service", namespace: "kube-system"), [])
        XCTAssertNil(try cluster.object(kind: "Namespace", namespace: nil, name: "kube-system")?["metadata", "labels", "pod-security.kubernetes.io/enforce"])
        let paymentsAfter = try XCTUnwrap(try cluster.object(kind: "Deployment", namespace: "dev", name: "payments"))
        XCTAssertEqual(paymentsAfter["spec"], paymentsBefore["spec"], "the other team's Deployment is untouched")
        func appliers(_ object: JSONValue) -> [JSONValue] {
            (object["metadata", "managedFields"]?.arrayValue ?? []).filter { $0["operation"]?.stringValue == "Apply" }
        }
        XCTAssertEqual(appliers(paymentsAfter), appliers(paymentsBefore), "no new writer")
    }

    /// Each app applies as its own field manager `platform/NAME`; two apps share the Namespace's
    /// fields as co-owners instead of one silently holding what the other applied.
    func testEachAppAppliesWithItsOwnFieldManager() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.1)
        defer { cluster.stop(); cluster.removeFiles() }
        let env = environment(sandbox, cluster)
        for name in ["shop", "payments"] {
            let folder = try project(sandbox, name, #"{"name": ""# + name + #"", "port": 8080, "image": "registry.example.com/x"}"#)
            let run = await runCLI(["create", name, "-e", "dev", "--image", "registry.example.com/\(name):1.0.0"],
                                   environment: env, directory: folder)
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        func managers(_ object: JSONValue?) -> Set<String> {
            Set((object?["metadata", "managedFields"]?.arrayValue ?? [])
                .filter { $0["operation"]?.stringValue == "Apply" }.compactMap { $0["manager"]?.stringValue })
        }
        for name in ["shop", "payments"] {
            for kind in ["Deployment", "Service", "Ingress"] {
                XCTAssertEqual(managers(try cluster.object(kind: kind, namespace: "dev", name: name)), ["platform/\(name)"], "\(kind)/\(name)")
            }
        }
        XCTAssertEqual(managers(try cluster.object(kind: "Namespace", namespace: nil, name: "dev")), ["platform/shop", "platform/payments"])
    }
}
