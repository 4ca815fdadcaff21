import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Issue 12 end to end (real terraform and kubectl, the test API server): what `create` applies by
/// default keeps the app reachable through its Ingress and scrapeable, leaves autoscaled replicas
/// alone and keeps local state private.
final class SecureDefaultsEndToEndTests: XCTestCase {
    func environment(_ sandbox: Sandbox, _ cluster: TestCluster, extra: [String: String] = [:]) -> [String: String] {
        sandbox.environment(extra: cluster.environment.merging(["PLATFORM_TEMPLATES_DIR": Repo.templates]) { _, b in b }
            .merging(extra) { _, b in b })
    }

    func project(_ sandbox: Sandbox, _ json: String) throws -> String {
        let folder = sandbox.root + "/project-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try sandbox.write(folder + "/platform.json", json)
        return folder
    }

    func kubectl(_ sandbox: Sandbox, _ cluster: TestCluster, _ arguments: [String], input: String? = nil) async throws -> CommandResult {
        try await runProgram(["kubectl"] + arguments, environment: environment(sandbox, cluster), input: input.map { Data($0.utf8) })
    }

    /// The NetworkPolicy lets the ingress controller reach port http and Prometheus reach port
    /// metrics, the app's own pods reach everything, and nobody else anything.
    func testTheNetworkPolicyLetsTheIngressAndMonitoringNamespacesIn() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.1)
        defer { cluster.stop(); cluster.removeFiles() }
        for namespace in ["ingress-nginx", "monitoring", "traefik", "elsewhere"] {
            let made = try await kubectl(sandbox, cluster, ["create", "namespace", namespace])
            XCTAssertEqual(made.status, 0, made.stderrText)
        }
        let folder = try project(sandbox, #"{"name": "shop", "port": 8080, "image": "registry.example.com/shop"}"#)
        let run = await runCLI(["create", "shop", "-e", "prod", "--image", "registry.example.com/shop:1.0.0"],
                               environment: environment(sandbox, cluster), directory: folder)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("Metrics: the pods carry prometheus.io/scrape"), "says how metrics are collected: \(run.stderr)")

        func namespace(_ name: String) throws -> NetworkPolicyModel.Endpoint {
            let object = try XCTUnwrap(try cluster.object(kind: "Namespace", namespace: nil, name: name))
            return .init(namespace: name, namespaceLabels: (object["metadata", "labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
                         podLabels: ["app.kubernetes.io/name": "controller"])
        }
        let pod = try XCTUnwrap(try cluster.objects(kind: "Pod", namespace: "prod").first, "the app's pod")
        let target = NetworkPolicyModel.Endpoint(namespace: "prod", namespaceLabels: [:],
                                                 podLabels: (pod["metadata", "labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue))
        let containerPorts = pod["spec", "containers"]?.arrayValue?.first?["ports"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        XCTAssertEqual(containerPorts, ["http", "metrics"])
        var model = NetworkPolicyModel(policies: try cluster.objects(kind: "NetworkPolicy", namespace: "prod"))
        XCTAssertEqual(model.policies.count, 2, "the app's and its tasks'")
        XCTAssertTrue(model.allows(from: try namespace("ingress-nginx"), to: target, portName: "http"), "the Ingress reaches the app")
        XCTAssertFalse(model.allows(from: try namespace("ingress-nginx"), to: target, portName: "metrics"), "the Ingress never reaches /metrics")
        XCTAssertTrue(model.allows(from: try namespace("monitoring"), to: target, portName: "metrics"), "Prometheus scrapes")
        XCTAssertFalse(model.allows(from: try namespace("monitoring"), to: target, portName: "http"))
        XCTAssertFalse(model.allows(from: try namespace("elsewhere"), to: target, portName: "http"), "other namespaces are kept out")
        let sameApp = NetworkPolicyModel.Endpoint(namespace: "prod", namespaceLabels: [:], podLabels: target.podLabels)
        XCTAssertTrue(model.allows(from: sameApp, to: target, portName: "http"))
        let otherApp = NetworkPolicyModel.Endpoint(namespace: "prod", namespaceLabels: [:], podLabels: ["app.kubernetes.io/name": "payments"])
        XCTAssertFalse(model.allows(from: otherApp, to: target, portName: "http"), "another app of the namespace is kept out")
        // The app's tasks (`platform run`: their pods carry platform.dev/task-of, not the app's selector)
        // may call the app; nothing may call a task.
        let task = NetworkPolicyModel.Endpoint(namespace: "prod", namespaceLabels: [:],
                                               podLabels: ["platform.dev/task-of": "shop", "app.kubernetes.io/instance": "shop-prod"])
        XCTAssertTrue(model.allows(from: task, to: target, portName: "http"), "a task of the app reaches it")
        XCTAssertFalse(model.allows(from: try namespace("ingress-nginx"), to: task, portName: "http"), "a task serves nothing")
        XCTAssertFalse(model.allows(from: sameApp, to: task, portName: "http"))

        // Another ingress controller namespace from the user config.
        try sandbox.write(sandbox.home + "/.config/platform/config.json",
                          #"{"network_policy": {"ingress_namespace": "traefik", "monitoring_namespace": "monitoring"}}"#)
        let again = await runCLI(["create", "shop", "-e", "prod", "--image", "registry.example.com/shop:1.0.0"],
                                 environment: environment(sandbox, cluster), directory: folder)
        XCTAssertEqual(again.status, 0, again.stderr)
        model = NetworkPolicyModel(policies: try cluster.objects(kind: "NetworkPolicy", namespace: "prod"))
        XCTAssertTrue(model.allows(from: try namespace("traefik"), to: target, portName: "http"))
        XCTAssertFalse(model.allows(from: try namespace("ingress-nginx"), to: target, portName: "http"))
    }

    /// With `autoscale`, create leaves `replicas` to the HorizontalPodAutoscaler: a rerun keeps what it
    /// chose. Without it, a rerun sets the configured count again (so the check can fail).
    func testAnAutoscaledRerunDoesNotResetReplicas() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.1)
        defer { cluster.stop(); cluster.removeFiles() }
        let env = environment(sandbox, cluster)
        let folder = try project(sandbox, #"{"name": "shop", "port": 8080, "image": "registry.example.com/shop", "autoscale": {"min": 2, "max": 5, "cpu": 60}}"#)
        let create = ["create", "shop", "-e", "prod", "--image", "registry.example.com/shop:1.0.0"]
        let first = await runCLI(create, environment: env, directory: folder)
        XCTAssertEqual(first.status, 0, first.stderr)
        let hpa = try XCTUnwrap(try cluster.object(kind: "HorizontalPodAutoscaler", namespace: "prod", name: "shop"))
        XCTAssertEqual(hpa["spec", "minReplicas"]?.intValue, 2)
        XCTAssertEqual(hpa["spec", "maxReplicas"]?.intValue, 5)
        XCTAssertEqual(hpa["spec", "scaleTargetRef", "name"]?.stringValue, "shop")
        XCTAssertNotNil(try cluster.object(kind: "PodDisruptionBudget", namespace: "prod", name: "shop"), "min 2: a budget")

        // The autoscaler scales up (through the scale subresource, as the HPA controller does).
        let scaled = try await runProgram(["kubectl", "scale", "deployment/shop", "-n", "prod", "--replicas=4"], environment: env)
        XCTAssertEqual(scaled.status, 0, scaled.stderrText)
        let rerun = await runCLI(create, environment: env, directory: folder)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertEqual(try cluster.object(kind: "Deployment", namespace: "prod", name: "shop")?["spec", "replicas"]?.intValue, 4,
                       "the rerun kept the autoscaler's replicas")

        let fixed = try project(sandbox, #"{"name": "shop", "port": 8080, "image": "registry.example.com/shop", "replicas": 2}"#)
        let pinned = await runCLI(create, environment: env, directory: fixed)
        XCTAssertEqual(pinned.status, 0, pinned.stderr)
        XCTAssertEqual(try cluster.object(kind: "Deployment", namespace: "prod", name: "shop")?["spec", "replicas"]?.intValue, 2,
                       "without autoscale, create sets replicas")
    }

    /// Outside development a mutable tag is refused before anything runs; the flag lets it through.
    func testMutableTagsAreRefusedOutsideDevelopment() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.1)
        defer { cluster.stop(); cluster.removeFiles() }
        let env = environment(sandbox, cluster, extra: ["PLATFORM_ALLOW_MUTABLE_TAG": ""])
        let folder = try project(sandbox, #"{"name": "shop", "port": 8080, "image": "registry.example.com/shop"}"#)
        for image in ["registry.example.com/shop:latest", "registry.example.com/shop"] {
            let refused = await runCLI(["create", "shop", "-e", "prod", "--image", image], environment: env, directory: folder)
            XCTAssertEqual(refused.status, 64, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("mutable tag") && refused.stderr.contains("--allow-mutable-tag"), refused.stderr)
        }
        let implicit = await runCLI(["create", "shop", "-e", "staging"], environment: env, directory: folder)
        XCTAssertEqual(implicit.status, 64, "the default IMAGE:latest too: \(implicit.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.state + "/workspaces"), "no Terraform ran")
        XCTAssertEqual(try cluster.requests().filter { ($0["method"]?.stringValue ?? "GET") != "GET" }, [], "nothing written")
        let allowed = await runCLI(["create", "shop", "-e", "prod", "--image", "registry.example.com/shop:latest", "--allow-mutable-tag"],
                                   environment: env, directory: folder)
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        let development = await runCLI(["create", "shop", "-e", "development"], environment: env, directory: folder)
        XCTAssertEqual(development.status, 0, development.stderr)
    }

    /// Workspace folders are 0700, state and its backup 0600 (Terraform writes secrets into state);
    /// TLS from the user config makes the Ingress terminate TLS and the URL https.
    func testLocalStateIsPrivateAndTLSMakesTheURLHTTPS() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.1)
        defer { cluster.stop(); cluster.removeFiles() }
        try sandbox.write(sandbox.home + "/.config/platform/config.json",
                          #"{"environments": {"prod": {"ingress_class": "public", "tls": {"cluster_issuer": "letsencrypt"}}}}"#)
        let folder = try project(sandbox, #"{"name": "shop", "port": 8080, "image": "registry.example.com/shop"}"#)
        for owner in ["team-a", "team-b"] {  // the second run changes state: terraform.tfstate.backup
            let run = await runCLI(["create", "shop", "-e", "prod", "--image", "registry.example.com/shop:1.0.0",
                                    "--set", "db_password=Pw-0c1d2e3f-hunter2", "--set", "owner=\(owner)"],
                                   environment: environment(sandbox, cluster), directory: folder)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(run.stdout, "https://shop.prod.example.com\n")
        }
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        let workspace = sandbox.state + "/workspaces/prod/shop"
        for folder in [sandbox.state + "/workspaces", sandbox.state + "/workspaces/prod", workspace] {
            XCTAssertEqual(try mode(folder), 0o700, folder)
        }
        for file in ["terraform.tfstate", "terraform.tfstate.backup", "main.tf.json"] {
            XCTAssertEqual(try mode(workspace + "/" + file), 0o600, file)
        }
        // The bundled module is told about TLS: its endpoint output says https, as the URL does.
        let state = try JSONDecoder().decode(JSONValue.self, from: try Data(contentsOf: URL(fileURLWithPath: workspace + "/terraform.tfstate")))
        XCTAssertEqual(state["outputs", "application", "value", "endpoint"]?.stringValue, "https://shop.prod.example.com")
        let ingress = try XCTUnwrap(try cluster.object(kind: "Ingress", namespace: "prod", name: "shop"))
        XCTAssertEqual(ingress["spec", "ingressClassName"]?.stringValue, "public")
        XCTAssertEqual(ingress["spec", "tls"]?.arrayValue?.first?["secretName"]?.stringValue, "shop-tls")
        XCTAssertEqual(ingress["metadata", "annotations", "cert-manager.io/cluster-issuer"]?.stringValue, "letsencrypt")
        let status = await runCLI(["status", "shop", "-e", "prod", "-o", "json"], environment: environment(sandbox, cluster), directory: folder)
        XCTAssertEqual(status.status, 0, status.stderr)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(status.stdout.utf8))
        XCTAssertEqual(document["url"]?.stringValue, "https://shop.prod.example.com")
    }

    /// deploy records the digest the pods run; status and releases show it; rollback re-deploys
    /// that digest, not the tag (which may point elsewhere by then). The release records hold no
    /// secret value given to create.
    func testTheDigestIsRecordedShownAndRolledBackTo() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.1)
        defer { cluster.stop(); cluster.removeFiles() }
        let env = environment(sandbox, cluster)
        let folder = try project(sandbox, #"{"name": "shop", "port": 8080, "image": "registry.example.com/shop"}"#)
        let secret = "Pw-5e6f7a8b-hunter2"
        let made = await runCLI(["create", "shop", "-e", "prod", "--image", "registry.example.com/shop:1.0.0",
                                 "--set", "db_password=\(secret)"], environment: env, directory: folder)
        XCTAssertEqual(made.status, 0, made.stderr)
        for image in ["registry.example.com/shop:1.1.0", "registry.example.com/shop:1.2.0"] {
            let deployed = await runCLI(["deploy", "shop", "-e", "prod", "--image", image, "-m", "ship"], environment: env, directory: folder)
            XCTAssertEqual(deployed.status, 0, deployed.stderr)
        }
        let json = await runCLI(["releases", "shop", "-e", "prod", "-o", "json"], environment: env, directory: folder)
        XCTAssertEqual(json.status, 0, json.stderr)
        let report = try JSONDecoder().decode(ReleasesReport.self, from: Data(json.stdout.utf8))
        let first = try XCTUnwrap(report.releases.first { $0.image == "registry.example.com/shop:1.1.0" })
        let pod = try XCTUnwrap(try cluster.objects(kind: "Pod", namespace: "prod").first {
            $0["spec", "containers"]?.arrayValue?.first?["image"]?.stringValue == "registry.example.com/shop:1.2.0"
        })
        let runningID = try XCTUnwrap(pod["status", "containerStatuses"]?.arrayValue?.first?["imageID"]?.stringValue)
        XCTAssertEqual(report.releases.last?.digest, runningID, "the digest the pods report")
        XCTAssertEqual(first.digest, TestCluster.pinned("registry.example.com/shop:1.1.0"))
        let table = await runCLI(["releases", "shop", "-e", "prod"], environment: env, directory: folder)
        XCTAssertTrue(table.stdout.contains("DIGEST") && table.stdout.contains("sha256:" + runningID.split(separator: ":").last!.prefix(12)),
                      table.stdout)
        let status = await runCLI(["status", "shop", "-e", "prod"], environment: env, directory: folder)
        XCTAssertTrue(status.stdout.contains("Digest:    " + runningID), status.stdout)

        let back = await runCLI(["rollback", "shop", "-e", "prod", "--to", String(first.revision)], environment: env, directory: folder)
        XCTAssertEqual(back.status, 0, back.stderr)
        let deployment = try XCTUnwrap(try cluster.object(kind: "Deployment", namespace: "prod", name: "shop"))
        XCTAssertEqual(deployment["spec", "template", "spec", "containers"]?.arrayValue?.first?["image"]?.stringValue, first.digest,
                       "the rollback runs the recorded digest, not the tag")

        let history = try XCTUnwrap(try cluster.object(kind: "ConfigMap", namespace: "prod", name: "platform-releases-shop"))
        let stored = String(decoding: try history.encoded(), as: UTF8.self)
        XCTAssertFalse(stored.contains(secret), "no secret value in the release records")
        XCTAssertTrue(stored.contains("sha256:"), "the digests are in the shared history")
    }

    /// A namespace that exists already (made by someone else) is not relabelled: no Pod Security labels
    /// are forced onto it; a namespace create makes has them.
    func testAnExistingNamespaceIsLeftAsItIsAndANewOneEnforcesRestricted() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.1)
        defer { cluster.stop(); cluster.removeFiles() }
        let env = environment(sandbox, cluster)
        let made = try await kubectl(sandbox, cluster, ["create", "namespace", "prod"])
        XCTAssertEqual(made.status, 0, made.stderrText)
        let before = try XCTUnwrap(try cluster.object(kind: "Namespace", namespace: nil, name: "prod"))
        let folder = try project(sandbox, #"{"name": "shop", "port": 8080, "image": "registry.example.com/shop"}"#)
        for environment in ["prod", "staging"] {
            let run = await runCLI(["create", "shop", "-e", environment, "--image", "registry.example.com/shop:1.0.0"],
                                   environment: env, directory: folder)
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let after = try XCTUnwrap(try cluster.object(kind: "Namespace", namespace: nil, name: "prod"))
        XCTAssertEqual(after["metadata", "labels"], before["metadata", "labels"], "the existing namespace keeps its labels")
        XCTAssertNil(after["metadata", "labels", "pod-security.kubernetes.io/enforce"])
        let created = try XCTUnwrap(try cluster.object(kind: "Namespace", namespace: nil, name: "staging"))
        for mode in ["enforce", "warn", "audit"] {
            XCTAssertEqual(created["metadata", "labels", "pod-security.kubernetes.io/\(mode)"]?.stringValue, "restricted")
        }
    }
}
