import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Compares `actual` with `Golden/NAME` of these tests (`Golden.assertMatches`).
func assertGolden(_ actual: Data, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    try Golden.assertMatches(actual, "Tests/PlatformCoreTests/Golden/" + name, rerun: "CreateServiceTests",
                             file: file, line: line)
}

final class CreateServiceTests: XCTestCase {
    let module = "/opt/platform/share/platform/templates/terraform/application"
    var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("create-unit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/home", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/work", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    var environment: [String: String] { ["HOME": folder + "/home", "XDG_CONFIG_HOME": folder + "/home/.config"] }

    func settings(_ flags: SettingsFlags) throws -> AppSettings {
        try ConfigLoader.resolve(flags: flags, environment: environment, currentDirectory: folder + "/work")
    }

    /// The service tests create "dev" apps from the default NAME:latest; the tag rule has its own test.
    func request(_ settings: AppSettings, dryRun: Bool = false, allowMutableTag: Bool = true) -> CreateRequest {
        CreateRequest(settings: settings, moduleSource: module, stateDirectory: folder + "/state",
                      processEnvironment: environment, dryRun: dryRun, lockTimeout: 1, allowMutableTag: allowMutableTag)
    }

    func testMutableTagsAreRefusedOutsideDevelopmentBeforeTerraform() async throws {
        for (image, environment, refused) in [("shop:latest", "staging", true), ("shop", "prod", true), ("shop:1.2.0", "prod", false),
                                              ("shop@sha256:" + String(repeating: "a", count: 64), "prod", false),
                                              ("shop:latest", "development", false)] {
            let app = try settings(SettingsFlags(name: "shop", environment: environment, image: image))
            let runner = FakeCommandRunner(expectedReads(env: environment, live: nil))
            let service = CreateService(runner: runner, reporter: SilentReporter())
            do {
                _ = try await service.create(request(app, allowMutableTag: false))
                XCTFail("\(image) in \(environment) must fail (at the fake's end of script when allowed)")
            } catch let PlatformError.invalidInput(message) {
                XCTAssertTrue(refused, "\(image) in \(environment): \(message)")
                XCTAssertTrue(message.contains("mutable tag") && message.contains("--allow-mutable-tag"), message)
                XCTAssertEqual(runner.unmet(), [], "only the reads ran, no terraform")
            } catch {
                XCTAssertFalse(refused, "\(image) in \(environment): \(error)")
            }
        }
    }

    static let applyArgv = ["kubectl", "apply", "--server-side", "--field-manager=platform/shop", "--force-conflicts",
                            "-o", "json", "-f", "-"]
    static let terraformApply = ["terraform", "apply", "-input=false", "-auto-approve", "-json", "-lock-timeout=120s"]
    static let outputs = CommandResult(stdout: #"{"application": {"sensitive": false, "type": "object", "value": {"endpoint": "https://shop.dev.example.com", "replicas": 2}}}"#)

    /// Terraform's JSON UI stream: one encoded message per line.
    static func messages(_ messages: [JSONValue]) throws -> String {
        try messages.map { String(decoding: try $0.encoded(), as: UTF8.self) + "\n" }.joined()
    }

    static func message(_ type: String, _ text: String, level: String = "info", _ fields: [String: JSONValue] = [:]) -> JSONValue {
        .object(fields.merging(["type": .string(type), "@message": .string(text), "@level": .string(level),
                                "@module": .string("terraform.ui"), "@timestamp": .string("2026-11-24T21:09:42.168051Z")]) { _, b in b })
    }

    static let version = message("version", "Terraform 1.15.5", ["terraform": .string("1.15.5"), "ui": .string("1.3")])
    static let appliedOutputs = message("outputs", "Outputs: 1", ["outputs": .object(["application": .object([
        "sensitive": .bool(false), "type": .array([.string("object"), .object(["endpoint": .string("string"), "replicas": .string("number")])]),
        "value": .object(["endpoint": .string("https://shop.dev.example.com"), "replicas": .number(2)]),
    ])])])

    /// What `terraform apply -json` prints for an unchanged module: the plan's summary and outputs (with
    /// `action`, no values), then the apply's summary and outputs (with values).
    static func applyStream(outputs: JSONValue? = appliedOutputs) throws -> CommandResult {
        var stream = [
            version,
            message("change_summary", "Plan: 0 to add, 0 to change, 0 to destroy.",
                    ["changes": .object(["add": .number(0), "operation": .string("plan")])]),
            message("outputs", "Outputs: 1", ["outputs": .object(["application": .object(["sensitive": .bool(false), "action": .string("noop")])])]),
            message("change_summary", "Apply complete! Resources: 0 added, 0 changed, 0 destroyed.",
                    ["changes": .object(["add": .number(0), "operation": .string("apply")])]),
        ]
        if let outputs { stream.append(outputs) }
        return CommandResult(stdout: try messages(stream))
    }

    /// `kubectl get --raw /apis/monitoring.coreos.com/v1` with and without the Prometheus Operator CRDs.
    static let monitorResources = CommandResult(stdout: #"{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"monitoring.coreos.com/v1","resources":[{"name":"servicemonitors","singularName":"servicemonitor","namespaced":true,"kind":"ServiceMonitor","verbs":["get","list","patch"]}]}"#)
    static let noMonitorGroup = CommandResult(status: 1, stdout: "",
                                              stderr: "Error from server (NotFound): the server could not find the requested resource\n")

    /// The environment's Namespace as an earlier create left it (labelled managed-by=platform).
    static let ownNamespace = #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev", "labels": {"app.kubernetes.io/managed-by": "platform"}}}"#
    static let ownNamespaceList = #"{"apiVersion": "v1", "kind": "List", "items": [\#(ownNamespace)]}"#

    /// The cluster reads before Terraform; `live: nil` when create needs no live objects (`--image` given):
    /// then only the Namespace is read (`namespace`, by default the platform's own).
    func expectedReads(name: String = "shop", env: String = "dev", monitors: Bool = false,
                       live: String? = CreateServiceTests.ownNamespaceList,
                       namespace: String = CreateServiceTests.ownNamespaceList,
                       kube: [String] = []) -> [FakeCommandRunner.Expectation] {
        var refs = ["namespace/\(env)", "serviceaccount/\(name)", "deployment/\(name)", "service/\(name)", "ingress/\(name)",
                    "networkpolicy/\(name)", "networkpolicy/\(name)-tasks", "poddisruptionbudget/\(name)", "horizontalpodautoscaler.autoscaling/\(name)"]
        if monitors { refs.append("servicemonitors.monitoring.coreos.com/\(name)") }
        var reads: [FakeCommandRunner.Expectation] = [
            .init(["kubectl"] + kube + ["get", "--raw", "/apis/monitoring.coreos.com/v1"],
                  result: monitors ? Self.monitorResources : Self.noMonitorGroup),
        ]
        if let live {
            reads.append(.init(["kubectl"] + kube + ["get"] + refs + ["-n", env, "--ignore-not-found", "-o", "json"],
                               result: CommandResult(stdout: live)))
        } else {
            reads.append(.init(["kubectl"] + kube + ["get", "namespace/\(env)", "-n", env, "--ignore-not-found", "-o", "json"],
                               result: CommandResult(stdout: namespace)))
        }
        return reads
    }

    func testFirstRunInitsAppliesAndSendsTheRenderedDocuments() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev", replicas: 2))
        let documents = try Manifests.render(.init(settings: app, image: "shop:latest", serviceMonitor: true))
        let runner = FakeCommandRunner(expectedReads(monitors: true) + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(Self.terraformApply, result: try Self.applyStream()),
            .init(Self.applyArgv, input: try Kubectl.list(documents)),
        ])
        let reporter = DetailRecorder()
        let result = try await CreateService(runner: runner, reporter: reporter).create(request(app))
        XCTAssertEqual(runner.unmet(), [], "the outputs come from apply -json: no terraform output")
        XCTAssertEqual(reporter.details, ["Plan: 0 to add, 0 to change, 0 to destroy.",
                                          "Apply complete! Resources: 0 added, 0 changed, 0 destroyed."])
        XCTAssertEqual(result.url, "http://shop.dev.example.com")
        XCTAssertEqual(result.objects.map(\.description),
                       ["Namespace/dev", "ServiceAccount/shop", "Deployment/shop", "Service/shop", "Ingress/shop",
                        "NetworkPolicy/shop", "NetworkPolicy/shop-tasks", "PodDisruptionBudget/shop", "ServiceMonitor/shop"])
        XCTAssertEqual(result.skipped, [])
        XCTAssertEqual(result.terraform.outputs["application"]?["endpoint"]?.stringValue, "https://shop.dev.example.com")
        let workspace = folder + "/state/workspaces/dev/shop"
        XCTAssertEqual(runner.calls[2].directory, workspace)
        XCTAssertEqual(runner.calls[2].environment["TF_IN_AUTOMATION"], "1")
        XCTAssertEqual(runner.calls[2].environment["TF_PLUGIN_CACHE_DIR"], folder + "/state/plugin-cache")
        XCTAssertTrue(FileManager.default.fileExists(atPath: workspace + "/main.tf.json"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: workspace + "/.platform-module.sha256"))
    }

    func testRerunSkipsInitWhenTheModuleIsUnchanged() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev"))
        let first = FakeCommandRunner(expectedReads() + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(Self.terraformApply, result: try Self.applyStream()),
            .init(Self.applyArgv),
        ])
        _ = try await CreateService(runner: first, reporter: SilentReporter()).create(request(app))
        XCTAssertEqual(first.unmet(), [])
        // init made .terraform in a real run; the fake did not.
        try FileManager.default.createDirectory(atPath: folder + "/state/workspaces/dev/shop/.terraform",
                                                withIntermediateDirectories: true)
        let second = FakeCommandRunner(expectedReads() + [
            .init(Self.terraformApply, result: try Self.applyStream()),
            .init(Self.applyArgv),
        ])
        _ = try await CreateService(runner: second, reporter: SilentReporter()).create(request(app))
        XCTAssertEqual(second.unmet(), [])

        // A different module (more replicas) needs init again.
        let changed = try settings(SettingsFlags(name: "shop", environment: "dev", replicas: 3))
        let third = FakeCommandRunner(expectedReads() + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(Self.terraformApply, result: try Self.applyStream()),
            .init(Self.applyArgv),
        ])
        _ = try await CreateService(runner: third, reporter: SilentReporter()).create(request(changed))
        XCTAssertEqual(third.unmet(), [])
    }

    func testKeepsTheLiveImageUnlessOneIsGivenAndPassesKubeTarget() async throws {
        let live = #"{"apiVersion": "v1", "kind": "List", "items": [\#(Self.ownNamespace), {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shop", "namespace": "dev"}, "spec": {"template": {"spec": {"containers": [{"name": "shop", "image": "registry.example.com/shop:1.4.0"}]}}}}]}"#
        let kube = ["--kubeconfig", "/k/config", "--context", "staging-ctx"]
        let app = try settings(SettingsFlags(name: "shop", environment: "dev", kubeContext: "staging-ctx", kubeconfig: "/k/config"))
        let runner = FakeCommandRunner(expectedReads(live: live, kube: kube) + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(Self.terraformApply, result: try Self.applyStream()),
            .init(["kubectl"] + kube + Array(Self.applyArgv.dropFirst()), checkInput: { input in
                let list = try? JSONDecoder().decode(JSONValue.self, from: input ?? Data())
                let deployment = list?["items"]?.arrayValue?.first { $0["kind"]?.stringValue == "Deployment" }
                XCTAssertEqual(deployment?["spec", "template", "spec", "containers"]?.arrayValue?.first?["image"]?.stringValue,
                               "registry.example.com/shop:1.4.0")
            }),
        ])
        let result = try await CreateService(runner: runner, reporter: SilentReporter()).create(request(app))
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(result.image, "registry.example.com/shop:1.4.0")

        let explicit = try settings(SettingsFlags(name: "shop", environment: "dev", image: "shop:2.0", kubeContext: "staging-ctx", kubeconfig: "/k/config"))
        // With --image the live objects are not needed: no `kubectl get` before Terraform.
        let runner2 = FakeCommandRunner(expectedReads(live: nil, kube: kube) + [
            .init(Self.terraformApply, result: try Self.applyStream()),
            .init(["kubectl"] + kube + Array(Self.applyArgv.dropFirst())),
        ])
        try FileManager.default.createDirectory(atPath: folder + "/state/workspaces/dev/shop/.terraform", withIntermediateDirectories: true)
        let second = try await CreateService(runner: runner2, reporter: SilentReporter()).create(request(explicit))
        XCTAssertEqual(runner2.unmet(), [])
        XCTAssertEqual(second.image, "shop:2.0")
    }

    func testTerraformFailureStopsBeforeKubernetesAndRedactsSecrets() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev", variables: ["db_password": "hunter2secret"]))
        // The error as a JSON diagnostic on stdout, and a text line on stderr (launcher, CLI config).
        let diagnostic = Self.message("diagnostic", "Error: bad password hunter2secret", level: "error", ["diagnostic": .object([
            "severity": .string("error"), "summary": .string("bad password hunter2secret"),
            "detail": .string("The password \"hunter2secret\" is too short.\n\nChoose another one."),
            "range": .object(["filename": .string("main.tf"), "start": .object(["line": .number(7)])]),
        ])])
        let reporter = DetailRecorder()
        let runner = FakeCommandRunner(expectedReads() + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(Self.terraformApply, result: CommandResult(status: 1, stdout: try Self.messages([Self.version, diagnostic]),
                                                             stderr: "warning from hunter2secret's launcher\n")),
        ])
        do {
            _ = try await CreateService(runner: runner, reporter: reporter).create(request(app))
            XCTFail("expected a failure")
        } catch let error as PlatformError {
            guard case .toolFailed(let argv, let status, let tail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(argv, Self.terraformApply)
            XCTAssertEqual(status, 1)
            XCTAssertEqual(tail, "Error: bad password ******\non main.tf line 7\nThe password \"******\" is too short.\nChoose another one.")
        }
        XCTAssertEqual(runner.unmet(), [], "no kubectl apply after terraform failed")
        XCTAssertEqual(reporter.details, ["Error: bad password ******", "  on main.tf line 7",
                                          "  The password \"******\" is too short.", "  Choose another one.",
                                          "warning from ******'s launcher"])
        let apply = runner.calls[3]
        XCTAssertEqual(apply.environment["TF_VAR_db_password"], "hunter2secret")
        XCTAssertFalse(apply.argv.joined().contains("hunter2secret"))
        let module = try String(contentsOfFile: folder + "/state/workspaces/dev/shop/main.tf.json", encoding: .utf8)
        XCTAssertFalse(module.contains("hunter2secret"))
    }

    func testOutputsFallBackToTerraformOutputWhenApplyReportsNoneWithValues() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev"))
        // init made .terraform in a real run; the fake does not (the first run still inits: no hash yet).
        try FileManager.default.createDirectory(atPath: folder + "/state/workspaces/dev/shop/.terraform",
                                                withIntermediateDirectories: true)
        // Only the planned outputs message (no final one), an entry without a value, or a UI major
        // version other than 1: each time the outputs are read with terraform output -json.
        let withoutValue = Self.message("outputs", "Outputs: 1", ["outputs": .object([
            "application": .object(["sensitive": .bool(false), "type": .string("object")])])])
        var newerUI = try Self.applyStream()
        newerUI.stdout = Data(try Self.messages([Self.message("version", "Terraform 2.0.0", ["ui": .string("2.0")]), Self.appliedOutputs]).utf8)
        for (index, stream) in [try Self.applyStream(outputs: nil), try Self.applyStream(outputs: withoutValue), newerUI].enumerated() {
            let runner = FakeCommandRunner(expectedReads() + (index == 0 ? [.init(["terraform", "init", "-input=false", "-no-color"])] : []) + [
                .init(Self.terraformApply, result: stream),
                .init(["terraform", "output", "-no-color", "-json"], result: Self.outputs),
                .init(Self.applyArgv),
            ])
            let result = try await CreateService(runner: runner, reporter: SilentReporter()).create(request(app))
            XCTAssertEqual(runner.unmet(), [], "case \(index)")
            XCTAssertEqual(result.terraform.outputs["application"]?["endpoint"]?.stringValue, "https://shop.dev.example.com")
        }
    }

    func testApplyJSONIsRenderedAsLinesAndItsOutputsAreTaken() async throws {
        // The shape of Terraform 1.15's `apply -json` for a new module with a sensitive output.
        let resource: JSONValue = .object(["addr": .string("module.application.terraform_data.application"),
                                           "resource_type": .string("terraform_data")])
        let stream = [
            Self.version,
            Self.message("planned_change", "module.application.terraform_data.application: Plan to create",
                         ["change": .object(["resource": resource, "action": .string("create")])]),
            Self.message("change_summary", "Plan: 1 to add, 0 to change, 0 to destroy."),
            Self.message("outputs", "Outputs: 2", ["outputs": .object([
                "application": .object(["sensitive": .bool(false), "action": .string("create")]),
                "pw": .object(["sensitive": .bool(true), "action": .string("create")])])]),
            Self.message("refresh_start", "module.application.terraform_data.old: Refreshing state... [id=1]"),
            Self.message("apply_start", "module.application.terraform_data.application: Creating...",
                         ["hook": .object(["resource": resource, "action": .string("create")])]),
            Self.message("provision_start", "module.application.terraform_data.application: Provisioning with 'local-exec'..."),
            Self.message("apply_complete", "module.application.terraform_data.application: Creation complete after 0s [id=b2d2]"),
            Self.message("diagnostic", "Warning: Deprecated attribute", level: "warn", ["diagnostic": .object([
                "severity": .string("warning"), "summary": .string("Deprecated attribute"), "detail": .string("Use another.")])]),
            Self.message("some_future_type", "ignored"),
            Self.message("change_summary", "Apply complete! Resources: 1 added, 0 changed, 0 destroyed."),
            Self.message("outputs", "Outputs: 2", ["outputs": .object([
                "application": .object(["sensitive": .bool(false), "type": .string("object"),
                                        "value": .object(["endpoint": .string("https://shop.dev.example.com"), "id": .null])]),
                "pw": .object(["sensitive": .bool(true), "type": .string("string")])])]),
        ]
        // Split mid-line into chunks as a pipe would deliver them.
        let bytes = Data(try Self.messages(stream).utf8)
        let runner = ChunkedRunner(chunks: stride(from: 0, to: bytes.count, by: 97).map { bytes[$0..<min($0 + 97, bytes.count)] })
        let reporter = DetailRecorder()
        let terraform = Terraform(runner: runner, directory: folder, environment: [:], reporter: reporter)
        let outputs = try await terraform.apply()
        XCTAssertEqual(outputs, ["application": .object(["endpoint": .string("https://shop.dev.example.com"), "id": .null]),
                                 "pw": .string("(sensitive)")])
        XCTAssertEqual(reporter.details, [
            "module.application.terraform_data.application: Plan to create",
            "Plan: 1 to add, 0 to change, 0 to destroy.",
            "module.application.terraform_data.application: Creating...",
            "module.application.terraform_data.application: Provisioning with 'local-exec'...",
            "module.application.terraform_data.application: Creation complete after 0s [id=b2d2]",
            "Warning: Deprecated attribute",
            "  Use another.",
            "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
        ])
        XCTAssertEqual(runner.argv, Self.terraformApply)
    }

    func testDryRunPlansInAScratchFolderAndAppliesWithServerDryRun() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev"))
        let live = #"{"kind": "List", "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev", "resourceVersion": "3", "labels": {"app.kubernetes.io/managed-by": "platform"}}}]}"#
        let answer = #"{"kind": "List", "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev", "resourceVersion": "9", "labels": {"app.kubernetes.io/managed-by": "platform"}}}, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shop", "namespace": "dev"}}]}"#
        var dryApply = Self.applyArgv
        dryApply.insert("--dry-run=server", at: 4)
        let runner = FakeCommandRunner(expectedReads(live: live) + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(["terraform", "plan", "-input=false", "-json", "-detailed-exitcode", "-lock=false"],
                  result: CommandResult(status: 0, stdout: try Self.messages([
                      Self.version, Self.message("change_summary", "Plan: 0 to add, 0 to change, 0 to destroy."),
                  ]))),
            .init(["kubectl"] + Array(dryApply.dropFirst()), result: CommandResult(stdout: answer)),
        ])
        let reporter = DetailRecorder()
        let result = try await CreateService(runner: runner, reporter: reporter).create(request(app, dryRun: true))
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(reporter.details, ["Plan: 0 to add, 0 to change, 0 to destroy."], "the plan's summary, not its JSON")
        XCTAssertNotEqual(runner.calls[2].directory, folder + "/state/workspaces/dev/shop")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/state/workspaces/dev/shop"), "dry run made no workspace")
        XCTAssertEqual(result.terraform.changes, false)
        XCTAssertEqual(result.kubernetesChanges?.map(\.description), ["Deployment/shop"], "namespace unchanged apart from versions")
        XCTAssertEqual(result.changes, true)
    }

    /// The kinds in an applied `List` document.
    static func kinds(_ input: Data?) -> [String] {
        let list = try? JSONDecoder().decode(JSONValue.self, from: input ?? Data())
        return (list?["items"]?.arrayValue ?? []).compactMap { $0["kind"]?.stringValue }
    }

    func testAMissingNamespaceIsCreatedOnItsOwnWithoutForcingConflicts() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev", image: "shop:1.0"))
        try FileManager.default.createDirectory(atPath: folder + "/state/workspaces/dev/shop/.terraform", withIntermediateDirectories: true)
        let runner = FakeCommandRunner(expectedReads(live: nil, namespace: "") + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(Self.terraformApply, result: try Self.applyStream()),
            .init(Self.applyArgv.filter { $0 != "--force-conflicts" }, checkInput: { XCTAssertEqual(Self.kinds($0), ["Namespace"]) }),
            .init(Self.applyArgv, checkInput: { XCTAssertEqual(Self.kinds($0), ["ServiceAccount", "Deployment", "Service", "Ingress", "NetworkPolicy", "NetworkPolicy"]) }),
        ])
        let result = try await CreateService(runner: runner, reporter: SilentReporter()).create(request(app))
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(result.objects.map(\.description), ["Namespace/dev", "ServiceAccount/shop", "Deployment/shop", "Service/shop", "Ingress/shop", "NetworkPolicy/shop", "NetworkPolicy/shop-tasks"])
    }

    func testANamespaceOfAnotherToolIsNeitherAppliedNorTakenOver() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev", image: "shop:1.0"))
        try FileManager.default.createDirectory(atPath: folder + "/state/workspaces/dev/shop/.terraform", withIntermediateDirectories: true)
        let helm = #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev", "labels": {"app.kubernetes.io/managed-by": "Helm"}}}"#
        let runner = FakeCommandRunner(expectedReads(live: nil, namespace: helm) + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(Self.terraformApply, result: try Self.applyStream()),
            .init(Self.applyArgv, checkInput: { XCTAssertEqual(Self.kinds($0), ["ServiceAccount", "Deployment", "Service", "Ingress", "NetworkPolicy", "NetworkPolicy"]) }),
        ])
        let result = try await CreateService(runner: runner, reporter: SilentReporter()).create(request(app))
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(result.objects.map(\.description), ["ServiceAccount/shop", "Deployment/shop", "Service/shop", "Ingress/shop", "NetworkPolicy/shop", "NetworkPolicy/shop-tasks"])
        XCTAssertEqual(result.skipped.map(\.kind), ["Namespace", "ServiceMonitor"])
        XCTAssertEqual(result.skipped.first?.reason,
                       "namespace dev exists and is managed by Helm (app.kubernetes.io/managed-by=Helm); platform leaves it as it is")
    }

    func testAForbiddenNamespaceIsLeftAloneAndTheRestIsReadAgain() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev"))
        let forbidden = CommandResult(status: 1, stdout: "", stderr: #"Error from server (Forbidden): namespaces "dev" is forbidden: User "ci" cannot get resource "namespaces" in API group "" in the namespace "dev""# + "\n")
        let refs = ["serviceaccount/shop", "deployment/shop", "service/shop", "ingress/shop", "networkpolicy/shop",
                    "networkpolicy/shop-tasks", "poddisruptionbudget/shop", "horizontalpodautoscaler.autoscaling/shop"]
        let runner = FakeCommandRunner([
            .init(["kubectl", "get", "--raw", "/apis/monitoring.coreos.com/v1"], result: Self.noMonitorGroup),
            .init(["kubectl", "get", "namespace/dev"] + refs + ["-n", "dev", "--ignore-not-found", "-o", "json"], result: forbidden),
            .init(["kubectl", "get"] + refs + ["-n", "dev", "--ignore-not-found", "-o", "json"]),
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(Self.terraformApply, result: try Self.applyStream()),
            .init(Self.applyArgv, checkInput: { XCTAssertEqual(Self.kinds($0), ["ServiceAccount", "Deployment", "Service", "Ingress", "NetworkPolicy", "NetworkPolicy"]) }),
        ])
        let result = try await CreateService(runner: runner, reporter: SilentReporter()).create(request(app))
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(result.skipped.first?.kind, "Namespace")
        XCTAssertTrue(result.skipped.first?.reason.contains("cannot be read (Forbidden") == true)

        // Forbidden on anything else is an error.
        let other = CommandResult(status: 1, stdout: "", stderr: #"Error from server (Forbidden): deployments.apps "shop" is forbidden"# + "\n")
        let failing = FakeCommandRunner([
            .init(["kubectl", "get", "--raw", "/apis/monitoring.coreos.com/v1"], result: Self.noMonitorGroup),
            .init(["kubectl", "get", "namespace/dev"] + refs + ["-n", "dev", "--ignore-not-found", "-o", "json"], result: other),
        ])
        do {
            _ = try await CreateService(runner: failing, reporter: SilentReporter()).create(request(app))
            XCTFail("expected an error")
        } catch PlatformError.toolFailed(_, _, let stderr) {
            XCTAssertTrue(stderr.contains("deployments.apps"), stderr)
        }
    }

    func testGoldenRootModule() throws {
        var app = try settings(SettingsFlags(name: "shop", environment: "prod", replicas: 3, instanceType: "m5.large",
                                             variables: ["owner": "team-a", "db_password": "s3cret"]))
        app.backend = Sourced(BackendSettings(type: "s3", config: ["bucket": .string("tf-state"), "key": .string("apps"),
                                                                 "region": .string("eu-west-1")]), .user("config.json"))
        let data = try RootModule(settings: app, moduleSource: "git::https://git.example.com/infra.git//application?ref=v1").encoded()
        XCTAssertFalse(String(decoding: data, as: UTF8.self).contains("s3cret"))
        try assertGolden(data, "create-main.tf.json")
    }

    /// The bundled module is told whether the Ingress has TLS (its endpoint says https only then, as
    /// the CLI's URL); a module of one's own keeps the five variables, and `--set tls` is not offered
    /// for the bundled module since create passes it.
    func testOnlyTheBundledModuleIsPassedTLS() throws {
        let plain = try settings(SettingsFlags(name: "shop", environment: "dev"))
        var secure = plain
        secure.ingress = Sourced(IngressSettings(tls: .init(clusterIssuer: "letsencrypt")), .user("config.json"))
        func arguments(_ settings: AppSettings, bundled: Bool) -> [String: JSONValue]? {
            RootModule(settings: settings, moduleSource: "/modules/application", bundled: bundled).module[RootModule.moduleName]
        }
        XCTAssertEqual(arguments(plain, bundled: true)?["tls"], .bool(false))
        XCTAssertEqual(arguments(secure, bundled: true)?["tls"], .bool(true))
        XCTAssertNil(arguments(secure, bundled: false)?["tls"])
        XCTAssertEqual(plain.url, "http://shop.dev.example.com")
        XCTAssertEqual(secure.url, "https://shop.dev.example.com")
        XCTAssertFalse(ApplicationModule.settableVariables(files: ApplicationModule.embeddedFiles).contains("tls"))
        XCTAssertEqual(ApplicationModule.settableVariables(files: ApplicationModule.embeddedFiles), ["db_password", "owner"])
    }

    func testGoldenManifests() throws {
        var app = try settings(SettingsFlags(name: "shop", environment: "staging", image: "registry.example.com/shop:1.2.0",
                                             replicas: 2, port: 9090))
        app.overrides = ["Deployment": .object(["spec": .object(["revisionHistoryLimit": .number(5)])])]
        let documents = try Manifests.render(.init(settings: app, image: app.image.value, serviceMonitor: true))
        try assertGolden(try JSONValue.array(documents).encoded(pretty: true), "create-manifests.json")
    }

    /// platform.json `release` is recorded on the Deployment for deploy's release phase (run from
    /// anywhere); without it the Deployment has no such annotation.
    func testTheReleaseCommandIsRecordedOnTheDeployment() throws {
        var app = try settings(SettingsFlags(name: "shop", environment: "staging", image: "registry.example.com/shop:1.2.0"))
        func annotation() throws -> String? {
            let documents = try Manifests.render(.init(settings: app, image: app.image.value, serviceMonitor: true))
            let deployment = documents.first { $0["kind"]?.stringValue == "Deployment" }
            return deployment?["metadata", "annotations", ReleaseCommand.annotation]?.stringValue
        }
        XCTAssertNil(try annotation())
        app.releaseCommand = ["python", "-m", "shop.migrate", "--to", "it's \"latest\""]
        let text = try XCTUnwrap(try annotation())
        XCTAssertEqual(try JSONDecoder().decode([String].self, from: Data(text.utf8)), app.releaseCommand)
        let deployment = JSONValue.object(["metadata": .object(["annotations": .object([ReleaseCommand.annotation: .string(text)])])])
        XCTAssertEqual(try ReleaseCommand.recorded(in: deployment), app.releaseCommand)
    }

    func testAnUnusableReleaseCommandInPlatformJSONIsRefused() throws {
        let folder = NSTemporaryDirectory() + "release-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cases = [
            (#"{"name": "shop", "release": "python -m shop.migrate"}"#, "'release' must be an array of strings"),
            (#"{"name": "shop", "release": []}"#, "invalid 'release': it is empty"),
            (#"{"name": "shop", "release": ["", "x"]}"#, "its program (the first element) is empty"),
            (#"{"name": "shop", "release": ["a", 1]}"#, "'release' must be an array of strings"),
        ]
        for (text, message) in cases {
            try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/platform.json"))
            XCTAssertThrowsError(try ConfigLoader.projectReleaseCommand(from: folder, app: "shop"), text) { error in
                guard case PlatformError.invalidInput(let said) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(said.contains("platform.json:1: "), said)
                XCTAssertTrue(said.contains(message), said)
            }
        }
        try Data(#"{"name": "shop", "release": ["python", "-m", "shop.migrate"]}"#.utf8).write(to: URL(fileURLWithPath: folder + "/platform.json"))
        XCTAssertEqual(try ConfigLoader.projectReleaseCommand(from: folder, app: "shop"), ["python", "-m", "shop.migrate"])
        XCTAssertNil(try ConfigLoader.projectReleaseCommand(from: folder, app: "other"), "another app's project")
        try Data(#"{"name": "shop"}"#.utf8).write(to: URL(fileURLWithPath: folder + "/platform.json"))
        XCTAssertEqual(try ConfigLoader.projectReleaseCommand(from: folder, app: "shop"), [],
                       "the project has none: a command recorded on the Deployment earlier is not run")
    }

    /// One replica (no PodDisruptionBudget or spread), an autoscaler, TLS from a cert-manager issuer,
    /// restricted egress, no ServiceMonitor (scrape annotations instead).
    func testGoldenManifestsWithAutoscaleTLSAndEgress() throws {
        var app = try settings(SettingsFlags(name: "shop", environment: "prod", image: "registry.example.com/shop:1.2.0"))
        app.autoscale = Sourced(AutoscaleSettings(min: 1, max: 6, cpu: 60), .builtIn)
        app.ingress = Sourced(IngressSettings(className: "public", tls: .init(clusterIssuer: "letsencrypt")), .builtIn)
        app.networkPolicy = Sourced(NetworkPolicySettings(ingressNamespace: "traefik", monitoringNamespace: "observability",
                                                          egress: [.object(["to": .array([.object(["ipBlock": .object(["cidr": .string("10.0.0.0/8")])])])])]),
                                    .builtIn)
        let documents = try Manifests.render(.init(settings: app, image: app.image.value, serviceMonitor: false))
        try assertGolden(try JSONValue.array(documents).encoded(pretty: true), "create-manifests-autoscale-tls.json")
        XCTAssertEqual(app.url, "https://shop.prod.example.com")
    }

    /// Pod Security "restricted" (https://kubernetes.io/docs/concepts/security/pod-security-standards/):
    /// non-root numeric user, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp;
    /// plus a read-only root with /tmp, no token, metrics off the Ingress, spread and budget with 2+ pods.
    func testRenderedObjectsAreRestrictedAndKeepMetricsOffTheIngress() throws {
        for replicas in [1, 3] {
            let app = try settings(SettingsFlags(name: "shop", environment: "dev", image: "shop:1", replicas: replicas))
            let documents = try Manifests.render(.init(settings: app, image: "shop:1", serviceMonitor: true))
            func document(_ kind: String) -> JSONValue? { documents.first { $0["kind"]?.stringValue == kind } }
            let namespace = try XCTUnwrap(document("Namespace"))
            for mode in ["enforce", "warn", "audit"] {
                XCTAssertEqual(namespace["metadata", "labels", "pod-security.kubernetes.io/\(mode)"]?.stringValue, "restricted")
            }
            let pod = try XCTUnwrap(document("Deployment")?["spec", "template", "spec"])
            XCTAssertEqual(pod["securityContext", "runAsNonRoot"], .bool(true))
            XCTAssertEqual(pod["securityContext", "runAsUser"]?.intValue, 10001)
            XCTAssertEqual(pod["securityContext", "seccompProfile", "type"]?.stringValue, "RuntimeDefault")
            XCTAssertEqual(pod["automountServiceAccountToken"], .bool(false))
            XCTAssertEqual(pod["serviceAccountName"]?.stringValue, "shop")
            XCTAssertEqual(document("ServiceAccount")?["automountServiceAccountToken"], .bool(false))
            let container = try XCTUnwrap(pod["containers"]?.arrayValue?.first)
            XCTAssertEqual(container["securityContext", "allowPrivilegeEscalation"], .bool(false))
            XCTAssertEqual(container["securityContext", "readOnlyRootFilesystem"], .bool(true))
            XCTAssertEqual(container["securityContext", "capabilities", "drop"], .array([.string("ALL")]))
            XCTAssertEqual(container["volumeMounts"]?.arrayValue?.first?["mountPath"]?.stringValue, "/tmp")
            XCTAssertNotNil(pod["volumes"]?.arrayValue?.first?["emptyDir"])
            XCTAssertEqual(container["resources", "limits", "cpu"]?.stringValue, "1")
            XCTAssertEqual(container["startupProbe", "httpGet", "path"]?.stringValue, "/healthz")
            XCTAssertEqual(container["ports"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["http", "metrics"])
            XCTAssertEqual(document("Service")?["spec", "ports"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["http", "metrics"])
            XCTAssertEqual(document("ServiceMonitor")?["spec", "endpoints"]?.arrayValue?.first?["port"]?.stringValue, "metrics")
            let backends = document("Ingress")?["spec", "rules"]?.arrayValue?.flatMap { $0["http", "paths"]?.arrayValue ?? [] }
                .compactMap { $0["backend", "service", "port", "name"]?.stringValue }
            XCTAssertEqual(backends, ["http"], "the Ingress never routes to metrics")
            XCTAssertNil(document("Ingress")?["spec", "tls"], "no TLS configured")
            XCTAssertEqual(document("Ingress")?["spec", "ingressClassName"]?.stringValue, "nginx")
            XCTAssertEqual(document("PodDisruptionBudget") != nil, replicas >= 2)
            XCTAssertEqual(pod["topologySpreadConstraints"] != nil, replicas >= 2)
            XCTAssertEqual(document("Deployment")?["spec", "replicas"]?.intValue, replicas)
            XCTAssertNil(document("HorizontalPodAutoscaler"))
            let from = document("NetworkPolicy")?["spec", "ingress"]?.arrayValue ?? []
            XCTAssertEqual(from.compactMap { $0["from"]?.arrayValue?.first?["namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"]?.stringValue },
                           ["ingress-nginx", "monitoring"])
        }
    }

    func testOverridesMergeAndRemove() throws {
        var app = try settings(SettingsFlags(name: "shop", environment: "dev"))
        app.overrides = [
            "Deployment": .object(["spec": .object(["template": .object(["metadata": .object(["annotations": .object(["a": .string("b")])])])])]),
            "Service": .object(["spec": .object(["type": .string("NodePort")])]),
            "Ingress": .object(["metadata": .object(["labels": .object(["team": .string("web")])])]),
            "ServiceMonitor": .object(["spec": .object(["endpoints": .null])]),
        ]
        let documents = try Manifests.render(.init(settings: app, image: "shop:latest", serviceMonitor: false))
        func document(_ kind: String) -> JSONValue? { documents.first { $0["kind"]?.stringValue == kind } }
        XCTAssertEqual(documents.compactMap { $0["kind"]?.stringValue },
                       ["Namespace", "ServiceAccount", "Deployment", "Service", "Ingress", "NetworkPolicy", "NetworkPolicy"])
        XCTAssertEqual(document("Deployment")?["spec", "template", "metadata", "annotations", "a"]?.stringValue, "b")
        XCTAssertEqual(document("Deployment")?["spec", "template", "metadata", "annotations", "prometheus.io/scrape"]?.stringValue, "true",
                       "merged with the rendered annotations")
        XCTAssertEqual(document("Deployment")?["spec", "template", "metadata", "labels", "app.kubernetes.io/name"]?.stringValue, "shop")
        XCTAssertEqual(document("Service")?["spec", "type"]?.stringValue, "NodePort")
        XCTAssertEqual(document("Ingress")?["metadata", "labels", "team"]?.stringValue, "web")
        XCTAssertEqual(document("Ingress")?["metadata", "labels", "app.kubernetes.io/name"]?.stringValue, "shop")
        let monitored = try Manifests.render(.init(settings: app, image: "shop:latest", serviceMonitor: true))
        XCTAssertNil(monitored.last?["spec", "endpoints"], "null removes a field")
        XCTAssertNotNil(monitored.last?["spec", "selector"])
    }

    /// Issue 11 item 4: a patch that reaches outside the app is refused by the renderer too (settings
    /// built without the config loader), before any document exists.
    func testRenderRefusesOverridesThatLeaveTheApp() throws {
        var app = try settings(SettingsFlags(name: "shop", environment: "dev"))
        let escapes: [(String, JSONValue, String)] = [
            ("Deployment", .object(["kind": .string("ClusterRoleBinding")]), "overrides.Deployment.kind"),
            ("Service", .object(["metadata": .object(["namespace": .string("kube-system")])]), "overrides.Service.metadata.namespace"),
            ("Deployment", .object(["metadata": .object(["name": .string("payments")])]), "overrides.Deployment.metadata.name"),
            ("Deployment", .object(["metadata": .null]), "overrides.Deployment.metadata is"),
            ("Service", .object(["spec": .object(["selector": .object(["app.kubernetes.io/name": .string("payments")])])]),
             "overrides.Service.spec.selector"),
        ]
        for (kind, patch, expected) in escapes {
            app.overrides = [kind: patch]
            XCTAssertThrowsError(try Manifests.render(.init(settings: app, image: "shop:1", serviceMonitor: false))) { error in
                guard case .invalidInput(let message)? = error as? PlatformError else { return XCTFail("\(error)") }
                XCTAssertTrue(message.hasPrefix(expected), message)
            }
        }
    }

    func testWorkspaceLockRefusesASecondHolderAfterTheTimeout() async throws {
        let workspace = Workspace(stateDirectory: folder + "/state", environment: "dev", name: "shop")
        let held = try await workspace.lock(timeout: 1, reporter: SilentReporter())
        do {
            _ = try await workspace.lock(timeout: 0.3, reporter: SilentReporter())
            XCTFail("second lock should fail")
        } catch let error as PlatformError {
            XCTAssertTrue(error.description.contains("workspace dev/shop is locked by another platform run"), error.description)
        }
        held.release()
        let again = try await workspace.lock(timeout: 0.3, reporter: SilentReporter())
        again.release()
    }
}

/// Keeps the detail lines a service reports, in order (progress and warnings are not kept).
final class DetailRecorder: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []

    func progress(_ message: String) {}
    func detail(_ message: String) { lock.withLock { recorded.append(message) } }
    func warning(_ message: String) {}

    var details: [String] { lock.withLock { recorded } }
}

/// A runner whose one streamed call delivers stdout in the given chunks.
final class ChunkedRunner: CommandRunner, @unchecked Sendable {
    let chunks: [Data]
    private(set) var argv: [String] = []

    init(chunks: [Data]) { self.chunks = chunks }

    func capture(_ command: Command, limit: Int) async throws -> CommandResult {
        XCTFail("unexpected capture of \(command.argv)")
        return CommandResult(status: 1)
    }

    func stream(_ command: Command, stdout: OutputTarget, stderr: OutputTarget) async throws -> Int32 {
        argv = command.argv
        if case .chunks(let consume) = stdout { chunks.forEach(consume) }
        return 0
    }

    func locate(_ tool: String) throws -> String { "/fake/bin/" + tool }
}
