import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// `platform create` with the real terraform and the real kubectl against the test API server.
final class CreateEndToEndTests: XCTestCase {
    static let monitorCRD = "servicemonitors.monitoring.coreos.com"

    func environment(_ sandbox: Sandbox, _ cluster: TestCluster, extra: [String: String] = [:]) -> [String: String] {
        sandbox.environment(extra: cluster.environment.merging(["PLATFORM_TEMPLATES_DIR": Repo.templates]) { _, b in b }
            .merging(extra) { _, b in b })
    }

    func create(_ sandbox: Sandbox, _ cluster: TestCluster, _ arguments: [String], directory: String? = nil,
                extra: [String: String] = [:]) async -> CLIRun {
        await runCLI(["create"] + arguments, environment: environment(sandbox, cluster, extra: extra),
                     directory: directory ?? sandbox.work)
    }

    func workspace(_ sandbox: Sandbox, _ env: String = "dev", _ name: String = "shop") -> String {
        sandbox.state + "/workspaces/\(env)/\(name)"
    }

    func stateBytes(_ sandbox: Sandbox) -> Data? {
        FileManager.default.contents(atPath: workspace(sandbox) + "/terraform.tfstate")
    }

    /// The objects create makes (kind/name → what a change would alter: spec, labels, generation).
    /// Status and resource versions move with the test server's controllers, so they are left out.
    func managedVersions(_ cluster: TestCluster) throws -> [String: JSONValue] {
        let objects = try cluster.state()["objects"]?.arrayValue ?? []
        var versions: [String: JSONValue] = [:]
        for object in objects where object["metadata", "labels", "app.kubernetes.io/managed-by"]?.stringValue == "platform" {
            let kind = object["kind"]?.stringValue ?? ""
            guard ["Namespace", "ServiceAccount", "Deployment", "Service", "Ingress", "NetworkPolicy", "PodDisruptionBudget",
                   "HorizontalPodAutoscaler", "ServiceMonitor"].contains(kind) else { continue }
            versions[kind + "/" + (object["metadata", "name"]?.stringValue ?? "")] = .object([
                "spec": object["spec"] ?? .null, "labels": object["metadata", "labels"] ?? .null,
                "annotations": .object((object["metadata", "annotations"]?.objectValue ?? [:])
                    .filter { $0.key != "deployment.kubernetes.io/revision" }),
                "generation": object["metadata", "generation"] ?? .null,
            ])
        }
        return versions
    }

    func testCreateMakesStateOutputsAndFiveObjectsAndARerunChangesNothing() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2, crds: [Self.monitorCRD])
        defer { cluster.stop(); cluster.removeFiles() }
        let arguments = ["shop", "-e", "dev", "--replicas", "2", "--image", "registry.example.com/shop:1.0.0",
                         "--set", "db_password=hunter2xyz", "--set", "owner=team-a", "-o", "json", "-v"]
        let first = await create(sandbox, cluster, arguments)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertFalse(first.stdout.contains("hunter2xyz") || first.stderr.contains("hunter2xyz"), "secret never shown")
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(first.stdout.utf8))
        XCTAssertEqual(document["url"]?.stringValue, "http://shop.dev.example.com")
        // No TLS: the bundled module's endpoint says http too, as the URL does.
        XCTAssertEqual(document["terraform", "outputs", "application", "endpoint"]?.stringValue, "http://shop.dev.example.com")
        XCTAssertEqual(document["terraform", "outputs", "application", "instance_type"]?.stringValue, "t3.medium")
        // Namespace, ServiceAccount, Deployment, Service, Ingress, NetworkPolicy, PodDisruptionBudget (2 replicas), ServiceMonitor
        XCTAssertEqual(document["objects"]?.arrayValue?.count, 9)
        XCTAssertEqual(document["skipped"]?.arrayValue, [])
        // Terraform's JSON UI is rendered as lines, never shown raw; the outputs come from apply -json,
        // and with --image no live objects are read (-v echoes each command).
        XCTAssertTrue(first.stderr.contains("+ terraform apply -input=false -auto-approve -json -lock-timeout=120s"), first.stderr)
        XCTAssertTrue(first.stderr.contains("module.application.terraform_data.application: Creation complete after"), first.stderr)
        XCTAssertTrue(first.stderr.contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed."), first.stderr)
        XCTAssertFalse(first.stderr.contains("\"@level\""), "no raw JSON: \(first.stderr)")
        XCTAssertFalse(first.stderr.contains("+ terraform output"), first.stderr)
        XCTAssertFalse(first.stderr.contains("deployment/shop service/shop"), "no live objects read: \(first.stderr)")
        XCTAssertTrue(first.stderr.contains("+ kubectl get --raw /apis/monitoring.coreos.com/v1"), first.stderr)

        // Terraform state in the workspace, with the request recorded.
        let state = try JSONDecoder().decode(JSONValue.self, from: try XCTUnwrap(stateBytes(sandbox)))
        let resources = state["resources"]?.arrayValue ?? []
        let record = resources.first { $0["name"]?.stringValue == "application" }
        XCTAssertEqual(record?["instances"]?.arrayValue?.first?["attributes", "input", "value", "replicas"]?.intValue, 2)
        XCTAssertEqual(record?["instances"]?.arrayValue?.first?["attributes", "input", "value", "owner"]?.stringValue, "team-a")
        let module = try String(contentsOfFile: workspace(sandbox) + "/main.tf.json", encoding: .utf8)
        XCTAssertFalse(module.contains("hunter2xyz"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: workspace(sandbox) + "/.platform-module.sha256"))

        // The five objects, with the fields deploy/status/destroy rely on.
        let labels: JSONValue = .object(["app.kubernetes.io/name": .string("shop"), "app.kubernetes.io/instance": .string("shop-dev"),
                                         "app.kubernetes.io/managed-by": .string("platform"), "platform.dev/environment": .string("dev")])
        XCTAssertNotNil(try cluster.object(kind: "Namespace", namespace: nil, name: "dev"))
        let deployment = try XCTUnwrap(try cluster.object(kind: "Deployment", namespace: "dev", name: "shop"))
        XCTAssertEqual(deployment["metadata", "labels"], labels)
        XCTAssertEqual(deployment["spec", "replicas"]?.intValue, 2)
        XCTAssertEqual(deployment["spec", "selector", "matchLabels"], .object(["app.kubernetes.io/name": .string("shop")]))
        XCTAssertEqual(deployment["spec", "template", "metadata", "labels"], labels)
        let container = try XCTUnwrap(deployment["spec", "template", "spec", "containers"]?.arrayValue?.first)
        XCTAssertEqual(container["name"]?.stringValue, "shop")
        XCTAssertEqual(container["image"]?.stringValue, "registry.example.com/shop:1.0.0")
        XCTAssertEqual(container["ports"]?.arrayValue?.first?["name"]?.stringValue, "http")
        XCTAssertEqual(container["ports"]?.arrayValue?.first?["containerPort"]?.intValue, 8080)
        XCTAssertEqual(container["readinessProbe", "httpGet", "path"]?.stringValue, "/healthz")
        XCTAssertEqual(container["livenessProbe", "httpGet", "path"]?.stringValue, "/healthz")
        XCTAssertEqual(container["resources", "requests", "cpu"]?.stringValue, "100m")
        XCTAssertEqual(container["resources", "limits", "memory"]?.stringValue, "256Mi")
        let service = try XCTUnwrap(try cluster.object(kind: "Service", namespace: "dev", name: "shop"))
        XCTAssertEqual(service["spec", "ports"]?.arrayValue?.first?["port"]?.intValue, 80)
        XCTAssertEqual(service["spec", "ports"]?.arrayValue?.first?["targetPort"]?.stringValue, "http")
        XCTAssertEqual(service["spec", "selector"], .object(["app.kubernetes.io/name": .string("shop")]))
        let ingress = try XCTUnwrap(try cluster.object(kind: "Ingress", namespace: "dev", name: "shop"))
        XCTAssertEqual(ingress["spec", "rules"]?.arrayValue?.first?["host"]?.stringValue, "shop.dev.example.com")
        let monitor = try XCTUnwrap(try cluster.object(kind: "ServiceMonitor", namespace: "dev", name: "shop"))
        XCTAssertEqual(monitor["spec", "endpoints"]?.arrayValue?.first?["path"]?.stringValue, "/metrics")
        XCTAssertEqual(monitor["spec", "endpoints"]?.arrayValue?.first?["port"]?.stringValue, "metrics")
        XCTAssertEqual(try managedVersions(cluster).count, 9)

        // Rerun: same state bytes, same resource versions.
        let stateBefore = stateBytes(sandbox)
        let versionsBefore = try managedVersions(cluster)
        let second = await create(sandbox, cluster, arguments)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("is initialised for this module"), "init skipped")
        XCTAssertTrue(second.stderr.contains("Apply complete! Resources: 0 added, 0 changed, 0 destroyed."), second.stderr)
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: Data(second.stdout.utf8))["terraform", "outputs"],
                       document["terraform", "outputs"], "same outputs from the unchanged apply")
        XCTAssertEqual(stateBytes(sandbox), stateBefore, "terraform state unchanged")
        XCTAssertEqual(try managedVersions(cluster), versionsBefore, "no object changed")
        let namespace = try cluster.object(kind: "Namespace", namespace: nil, name: "dev")
        XCTAssertNotNil(namespace)
    }

    func testDryRunChangesNothingAndDetailedExitCodeSaysWhetherAnythingWould() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let fresh = await create(sandbox, cluster, ["shop", "-e", "dev", "--dry-run", "--detailed-exitcode"])
        XCTAssertEqual(fresh.status, 2, fresh.stderr)
        XCTAssertTrue(fresh.stdout.contains("\"kind\" : \"Deployment\""), "rendered documents printed")
        XCTAssertTrue(fresh.stderr.contains("Plan: 1 to add"), "terraform plan shown on stderr")
        XCTAssertTrue(fresh.stderr.contains("module.application.terraform_data.application: Plan to create"), fresh.stderr)
        XCTAssertFalse(fresh.stderr.contains("\"@level\""), "no raw JSON: \(fresh.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: workspace(sandbox)), "no workspace")
        XCTAssertEqual(try cluster.objects(kind: "Deployment"), [])
        XCTAssertEqual(try cluster.objects(kind: "Namespace").filter { $0["metadata", "name"]?.stringValue == "dev" }, [])

        let real = await create(sandbox, cluster, ["shop", "-e", "dev"])
        XCTAssertEqual(real.status, 0, real.stderr)
        // Without the CRD the ServiceMonitor is skipped and said so.
        XCTAssertTrue(real.stderr.contains("Skipping the ServiceMonitor"), real.stderr)
        XCTAssertEqual(try cluster.objects(kind: "ServiceMonitor"), [])
        let state = stateBytes(sandbox)
        let versions = try managedVersions(cluster)
        let listing = Sandbox.listing(workspace(sandbox))

        let same = await create(sandbox, cluster, ["shop", "-e", "dev", "--dry-run", "--detailed-exitcode", "-o", "json"])
        XCTAssertEqual(same.status, 0, same.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(same.stdout.utf8))
        XCTAssertEqual(document["changes"], .bool(false))
        XCTAssertEqual(document["skipped"]?.arrayValue?.first?["kind"]?.stringValue, "ServiceMonitor")

        let more = await create(sandbox, cluster, ["shop", "-e", "dev", "--replicas", "3", "--dry-run", "--detailed-exitcode"])
        XCTAssertEqual(more.status, 2, more.stderr)
        XCTAssertTrue(more.stdout.contains("Kubernetes: would apply Deployment/shop"), more.stdout)
        XCTAssertEqual(stateBytes(sandbox), state, "state untouched by dry runs")
        XCTAssertEqual(try managedVersions(cluster), versions, "objects untouched by dry runs")
        XCTAssertEqual(try cluster.object(kind: "Deployment", namespace: "dev", name: "shop")?["spec", "replicas"]?.intValue, 1)
        XCTAssertEqual(Sandbox.listing(workspace(sandbox)), listing, "no workspace file added")
    }

    func testProjectConfigAndOverridesLandInTheAppliedDeployment() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        try sandbox.write(sandbox.work + "/platform.json", """
        {"name": "shop", "port": 9090, "image": "registry.example.com/shop", "healthPath": "/health", "metricsPath": "/metrics",
         "overrides": {"Deployment": {"metadata": {"annotations": {"team": "payments"}},
                                      "spec": {"revisionHistoryLimit": 3}}}}
        """)
        try FileManager.default.createDirectory(atPath: sandbox.work + "/src", withIntermediateDirectories: true)
        let result = await create(sandbox, cluster, ["shop", "-e", "qa"], directory: sandbox.work + "/src")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "http://shop.qa.example.com\n")
        let deployment = try XCTUnwrap(try cluster.object(kind: "Deployment", namespace: "qa", name: "shop"))
        XCTAssertEqual(deployment["metadata", "annotations", "team"]?.stringValue, "payments")
        XCTAssertEqual(deployment["spec", "revisionHistoryLimit"]?.intValue, 3)
        let container = deployment["spec", "template", "spec", "containers"]?.arrayValue?.first
        XCTAssertEqual(container?["image"]?.stringValue, "registry.example.com/shop:latest")
        XCTAssertEqual(container?["ports"]?.arrayValue?.first?["containerPort"]?.intValue, 9090)
        XCTAssertEqual(container?["readinessProbe", "httpGet", "path"]?.stringValue, "/health")
    }

    func testBadInputExits64AndMakesNothing() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let cases: [[String]] = [
            ["Shop"], ["shop", "-e", "Prod!"], ["shop", "--image", "Bad Image"], ["shop", "--replicas", "-2"],
            ["shop", "--replicas", "lots"], ["shop", "--port", "0"],
        ]
        for arguments in cases {
            let result = await create(sandbox, cluster, arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("error: invalid"), "\(arguments): \(result.stderr)")
        }
        try sandbox.write(sandbox.home + "/.config/platform/config.json", "{\"domian\": \"x.example\"}")
        let badConfig = await create(sandbox, cluster, ["shop"])
        XCTAssertEqual(badConfig.status, 64)
        XCTAssertTrue(badConfig.stderr.contains("config.json:1: unknown key 'domian'"), badConfig.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.state + "/workspaces"), "no workspace")
        XCTAssertEqual(try managedVersions(cluster), [:], "no objects")
        XCTAssertEqual(try cluster.requests().filter { ($0["method"]?.stringValue ?? "GET") != "GET" }, [], "nothing written to the cluster")
    }

    func testTerraformFailureExits1ShowsTheErrorAndAppliesNothing() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        try sandbox.write(sandbox.root + "/broken/main.tf", """
        variable "name" { type = string }
        resource "terraform_data" "x" { input = var.nope }
        """)
        let result = await create(sandbox, cluster, ["shop", "-e", "dev"], extra: ["PLATFORM_MODULE_SOURCE": sandbox.root + "/broken"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("error: terraform"), result.stderr)
        XCTAssertTrue(result.stderr.contains("Error: "), "terraform's own error is shown: \(result.stderr)")
        XCTAssertEqual(try managedVersions(cluster), [:], "no Kubernetes objects applied")

        // A module that initialises but fails in apply: the JSON diagnostic is shown as text, with its detail.
        try sandbox.write(sandbox.root + "/refuses/main.tf", TestModules.refusesToApply)
        let refused = await create(sandbox, cluster, ["shop", "-e", "dev"], extra: ["PLATFORM_MODULE_SOURCE": sandbox.root + "/refuses"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("error: terraform apply"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("Error: Resource precondition failed"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("This module needs more than 5 replicas."), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("\"@level\""), "no raw JSON: \(refused.stderr)")
        XCTAssertEqual(try managedVersions(cluster), [:], "no Kubernetes objects applied")
    }

    func testAPIServerDownExits1WithKubectlsErrorAndKeepsTheState() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.removeFiles() }
        let first = await create(sandbox, cluster, ["shop", "-e", "dev"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let state = try XCTUnwrap(stateBytes(sandbox))
        cluster.stop()
        let down = await create(sandbox, cluster, ["shop", "-e", "dev", "--replicas", "2"])
        XCTAssertEqual(down.status, 1, down.stderr)
        XCTAssertTrue(down.stderr.contains("error: kubectl"), down.stderr)
        XCTAssertTrue(down.stderr.contains("connection refused") || down.stderr.contains("was refused") || down.stderr.contains("couldn't get") || down.stderr.contains("unable to"), down.stderr)
        XCTAssertEqual(stateBytes(sandbox), state, "terraform state kept as it was")
    }

    func testTwoConcurrentCreatesOfOneAppGiveOneCleanResult() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        let env = environment(sandbox, cluster)
        let argv = [Repo.binary, "create", "shop", "-e", "dev"]
        async let one = runProgram(argv, environment: env, directory: sandbox.work)
        async let two = runProgram(argv, environment: env, directory: sandbox.work)
        let results = try await [one, two]
        for result in results {
            XCTAssertEqual(result.status, 0, result.stderrText)
            XCTAssertEqual(result.stdoutText, "http://shop.dev.example.com\n")
        }
        let state = try JSONDecoder().decode(JSONValue.self, from: try XCTUnwrap(stateBytes(sandbox)))
        XCTAssertEqual(state["resources"]?.arrayValue?.count, 1, "one application record")
        XCTAssertFalse(FileManager.default.fileExists(atPath: workspace(sandbox) + "/.terraform.tfstate.lock.info"))
        XCTAssertEqual(try cluster.objects(kind: "Deployment", namespace: "dev").count, 1)
        let versions = try managedVersions(cluster)
        let again = await create(sandbox, cluster, ["shop", "-e", "dev", "--dry-run", "--detailed-exitcode"])
        XCTAssertEqual(again.status, 0, "converged: \(again.stdout)")
        XCTAssertEqual(try managedVersions(cluster), versions)
    }

    func testCtrlCDuringApplyExits130AndARerunConverges() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        // A module whose apply takes a while, so the interrupt lands inside terraform apply.
        let slow = try Reliability.writeSlowModule(sandbox, seconds: 3)
        let env = environment(sandbox, cluster, extra: ["PLATFORM_MODULE_SOURCE": slow])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repo.binary)
        process.arguments = ["create", "shop", "-e", "dev", "-v"]  // -v: terraform's output, to see apply start
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: sandbox.work)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        var seen = ""
        while !seen.contains("Provisioning with 'local-exec'") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGINT)
        let rest = errors.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        seen += String(decoding: rest, as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 130, seen)
        XCTAssertTrue(seen.contains("error: interrupted"), seen)
        XCTAssertEqual(try cluster.objects(kind: "Deployment"), [], "stopped before Kubernetes")

        let rerun = await runCLI(["create", "shop", "-e", "dev"], environment: env, directory: sandbox.work)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        let check = await runCLI(["create", "shop", "-e", "dev", "--dry-run", "--detailed-exitcode"], environment: env,
                                 directory: sandbox.work)
        XCTAssertEqual(check.status, 0, "converged: \(check.stdout)\n\(check.stderr)")
    }
}
