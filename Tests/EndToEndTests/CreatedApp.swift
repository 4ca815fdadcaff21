import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// shop in dev as the real `platform create` and `deploy` leave it (real terraform and kubectl, the
/// test API server with the ServiceMonitor CRD): the fixture of the destroy tests.
struct CreatedApp {
    static let monitorCRD = "servicemonitors.monitoring.coreos.com"

    let sandbox: Sandbox
    let cluster: TestCluster

    /// `platform create shop -e dev --image …:1.0.0 CREATE_ARGUMENTS`, then a deploy of 1.1.0; each must exit 0.
    init(createArguments: [String] = [], serverArguments: [String] = []) async throws {
        sandbox = try Sandbox()
        cluster = try TestCluster(readyDelay: 0.2, crds: [Self.monitorCRD], serverArguments: serverArguments)
        let create = await platform(["create", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.0.0"]
                                    + createArguments)
        XCTAssertEqual(create.status, 0, create.stderr)
        let deploy = await platform(["deploy", "shop", "-e", "dev", "--image", "registry.example.com/shop:1.1.0"])
        XCTAssertEqual(deploy.status, 0, deploy.stderr)
    }

    var environment: [String: String] {
        sandbox.environment(extra: cluster.environment.merging(["PLATFORM_TEMPLATES_DIR": Repo.templates,
                                                                "USER": "tester"]) { _, b in b })
    }
    var workspace: String { sandbox.state + "/workspaces/dev/shop" }

    func platform(_ arguments: [String]) async -> CLIRun {
        await runCLI(arguments, environment: environment, directory: sandbox.work)
    }

    @discardableResult
    func kubectl(_ arguments: [String], input: String? = nil) async throws -> CommandResult {
        let result = try await runProgram(["kubectl"] + arguments, environment: environment, directory: sandbox.work,
                                          input: input.map { Data($0.utf8) })
        XCTAssertEqual(result.status, 0, result.stderrText)
        return result
    }

    /// The names of the objects of `kind` in dev.
    func objects(_ kind: String) throws -> [String] {
        try cluster.objects(kind: kind, namespace: "dev").compactMap { $0["metadata", "name"]?.stringValue }
    }

    /// `KIND/NAME` of the app's objects in dev (what destroy removes, and what the controllers made).
    func appObjects() throws -> [String] {
        (try cluster.state()["objects"]?.arrayValue ?? []).compactMap { object in
            guard object["metadata", "namespace"]?.stringValue == "dev",
                  let kind = object["kind"]?.stringValue, let name = object["metadata", "name"]?.stringValue,
                  ["Deployment", "Service", "Ingress", "ServiceMonitor", "ConfigMap", "ReplicaSet", "Pod", "ServiceAccount",
                   "NetworkPolicy", "PodDisruptionBudget", "HorizontalPodAutoscaler"].contains(kind)
            else { return nil }
            return kind + "/" + name
        }.sorted()
    }

    /// How many resources the workspace's Terraform state holds; nil without a state.
    func stateResources() -> Int? {
        guard let data = FileManager.default.contents(atPath: workspace + "/terraform.tfstate"),
              let state = try? JSONDecoder().decode(JSONValue.self, from: data) else { return nil }
        return state["resources"]?.arrayValue?.count
    }

    func stop() { cluster.stop(); cluster.removeFiles() }
}
