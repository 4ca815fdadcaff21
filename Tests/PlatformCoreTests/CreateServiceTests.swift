import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Compares `actual` with `Golden/NAME`; `PLATFORM_RECORD_GOLDEN=1` rewrites the file instead.
func assertGolden(_ actual: Data, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    let path = folder.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["PLATFORM_RECORD_GOLDEN"] == "1" {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try actual.write(to: path)
        return
    }
    guard let expected = FileManager.default.contents(atPath: path.path) else {
        XCTFail("missing golden file \(path.path); run with PLATFORM_RECORD_GOLDEN=1", file: file, line: line)
        return
    }
    XCTAssertEqual(String(decoding: actual, as: UTF8.self), String(decoding: expected, as: UTF8.self),
                   "differs from \(name); rerun with PLATFORM_RECORD_GOLDEN=1 if intended", file: file, line: line)
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

    func request(_ settings: AppSettings, dryRun: Bool = false) -> CreateRequest {
        CreateRequest(settings: settings, moduleSource: module, stateDirectory: folder + "/state",
                      processEnvironment: environment, dryRun: dryRun, lockTimeout: 1)
    }

    static let applyArgv = ["kubectl", "apply", "--server-side", "--field-manager=platform", "--force-conflicts",
                            "-o", "json", "-f", "-"]
    static let outputs = CommandResult(stdout: #"{"application": {"sensitive": false, "type": "object", "value": {"endpoint": "https://shop.dev.example.com", "replicas": 2}}}"#)

    func expectedReads(name: String = "shop", env: String = "dev", monitors: Bool = false, live: String = "",
                       kube: [String] = []) -> [FakeCommandRunner.Expectation] {
        var refs = ["namespace/\(env)", "deployment/\(name)", "service/\(name)", "ingress/\(name)"]
        if monitors { refs.append("servicemonitors.monitoring.coreos.com/\(name)") }
        return [
            .init(["kubectl"] + kube + ["api-resources", "--api-group=monitoring.coreos.com", "-o", "name"],
                  result: CommandResult(stdout: monitors ? "servicemonitors.monitoring.coreos.com\n" : "")),
            .init(["kubectl"] + kube + ["get"] + refs + ["-n", env, "--ignore-not-found", "-o", "json"],
                  result: CommandResult(stdout: live)),
        ]
    }

    func testFirstRunInitsAppliesAndSendsTheRenderedDocuments() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev", replicas: 2))
        let documents = try Manifests.render(.init(settings: app, image: "shop:latest", serviceMonitor: true))
        let runner = FakeCommandRunner(expectedReads(monitors: true) + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(["terraform", "apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=120s"]),
            .init(["terraform", "output", "-no-color", "-json"], result: Self.outputs),
            .init(Self.applyArgv, input: try Kubectl.list(documents)),
        ])
        let result = try await CreateService(runner: runner, reporter: SilentReporter()).create(request(app))
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(result.url, "https://shop.dev.example.com")
        XCTAssertEqual(result.objects.map(\.description),
                       ["Namespace/dev", "Deployment/shop", "Service/shop", "Ingress/shop", "ServiceMonitor/shop"])
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
            .init(["terraform", "apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=120s"]),
            .init(["terraform", "output", "-no-color", "-json"], result: Self.outputs),
            .init(Self.applyArgv),
        ])
        _ = try await CreateService(runner: first, reporter: SilentReporter()).create(request(app))
        XCTAssertEqual(first.unmet(), [])
        // init made .terraform in a real run; the fake did not.
        try FileManager.default.createDirectory(atPath: folder + "/state/workspaces/dev/shop/.terraform",
                                                withIntermediateDirectories: true)
        let second = FakeCommandRunner(expectedReads() + [
            .init(["terraform", "apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=120s"]),
            .init(["terraform", "output", "-no-color", "-json"], result: Self.outputs),
            .init(Self.applyArgv),
        ])
        _ = try await CreateService(runner: second, reporter: SilentReporter()).create(request(app))
        XCTAssertEqual(second.unmet(), [])

        // A different module (more replicas) needs init again.
        let changed = try settings(SettingsFlags(name: "shop", environment: "dev", replicas: 3))
        let third = FakeCommandRunner(expectedReads() + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(["terraform", "apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=120s"]),
            .init(["terraform", "output", "-no-color", "-json"], result: Self.outputs),
            .init(Self.applyArgv),
        ])
        _ = try await CreateService(runner: third, reporter: SilentReporter()).create(request(changed))
        XCTAssertEqual(third.unmet(), [])
    }

    func testKeepsTheLiveImageUnlessOneIsGivenAndPassesKubeTarget() async throws {
        let live = #"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shop", "namespace": "dev"}, "spec": {"template": {"spec": {"containers": [{"name": "shop", "image": "registry.example.com/shop:1.4.0"}]}}}}]}"#
        let kube = ["--kubeconfig", "/k/config", "--context", "staging-ctx"]
        let app = try settings(SettingsFlags(name: "shop", environment: "dev", kubeContext: "staging-ctx", kubeconfig: "/k/config"))
        let runner = FakeCommandRunner(expectedReads(live: live, kube: kube) + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(["terraform", "apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=120s"]),
            .init(["terraform", "output", "-no-color", "-json"], result: Self.outputs),
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
        let runner2 = FakeCommandRunner(expectedReads(live: live, kube: kube) + [
            .init(["terraform", "apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=120s"]),
            .init(["terraform", "output", "-no-color", "-json"], result: Self.outputs),
            .init(["kubectl"] + kube + Array(Self.applyArgv.dropFirst())),
        ])
        try FileManager.default.createDirectory(atPath: folder + "/state/workspaces/dev/shop/.terraform", withIntermediateDirectories: true)
        let second = try await CreateService(runner: runner2, reporter: SilentReporter()).create(request(explicit))
        XCTAssertEqual(runner2.unmet(), [])
        XCTAssertEqual(second.image, "shop:2.0")
    }

    func testTerraformFailureStopsBeforeKubernetesAndRedactsSecrets() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev", variables: ["db_password": "hunter2secret"]))
        let runner = FakeCommandRunner(expectedReads() + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(["terraform", "apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=120s"],
                  result: CommandResult(status: 1, stdout: "", stderr: "Error: bad password hunter2secret\n")),
        ])
        do {
            _ = try await CreateService(runner: runner, reporter: SilentReporter()).create(request(app))
            XCTFail("expected a failure")
        } catch let error as PlatformError {
            guard case .toolFailed(let argv, let status, let tail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(argv.prefix(2), ["terraform", "apply"])
            XCTAssertEqual(status, 1)
            XCTAssertEqual(tail, "Error: bad password ******")
        }
        XCTAssertEqual(runner.unmet(), [], "no kubectl apply after terraform failed")
        let apply = runner.calls[3]
        XCTAssertEqual(apply.environment["TF_VAR_db_password"], "hunter2secret")
        XCTAssertFalse(apply.argv.joined().contains("hunter2secret"))
        let module = try String(contentsOfFile: folder + "/state/workspaces/dev/shop/main.tf.json", encoding: .utf8)
        XCTAssertFalse(module.contains("hunter2secret"))
    }

    func testDryRunPlansInAScratchFolderAndAppliesWithServerDryRun() async throws {
        let app = try settings(SettingsFlags(name: "shop", environment: "dev"))
        let live = #"{"kind": "List", "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev", "resourceVersion": "3"}}]}"#
        let answer = #"{"kind": "List", "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev", "resourceVersion": "9"}}, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shop", "namespace": "dev"}}]}"#
        var dryApply = Self.applyArgv
        dryApply.insert("--dry-run=server", at: 4)
        let runner = FakeCommandRunner(expectedReads(live: live) + [
            .init(["terraform", "init", "-input=false", "-no-color"]),
            .init(["terraform", "plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock=false"],
                  result: CommandResult(status: 0, stdout: "No changes.\n")),
            .init(["kubectl"] + Array(dryApply.dropFirst()), result: CommandResult(stdout: answer)),
        ])
        let result = try await CreateService(runner: runner, reporter: SilentReporter()).create(request(app, dryRun: true))
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertNotEqual(runner.calls[2].directory, folder + "/state/workspaces/dev/shop")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/state/workspaces/dev/shop"), "dry run made no workspace")
        XCTAssertEqual(result.terraform.changes, false)
        XCTAssertEqual(result.kubernetesChanges?.map(\.description), ["Deployment/shop"], "namespace unchanged apart from versions")
        XCTAssertEqual(result.changes, true)
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

    func testGoldenManifests() throws {
        var app = try settings(SettingsFlags(name: "shop", environment: "staging", image: "registry.example.com/shop:1.2.0",
                                             replicas: 2, port: 9090))
        app.overrides = ["Deployment": .object(["spec": .object(["revisionHistoryLimit": .number(5)])])]
        let documents = try Manifests.render(.init(settings: app, image: app.image.value, serviceMonitor: true))
        try assertGolden(try JSONValue.array(documents).encoded(pretty: true), "create-manifests.json")
    }

    func testOverridesMergeAndRemove() throws {
        var app = try settings(SettingsFlags(name: "shop", environment: "dev"))
        app.overrides = [
            "Deployment": .object(["spec": .object(["template": .object(["metadata": .object(["annotations": .object(["a": .string("b")])])])])]),
            "Service": .object(["spec": .object(["type": .string("NodePort")])]),
            "Ingress": .object(["metadata": .object(["labels": .object(["platform.dev/environment": .null])])]),
        ]
        let documents = try Manifests.render(.init(settings: app, image: "shop:latest", serviceMonitor: false))
        XCTAssertEqual(documents.count, 4)
        XCTAssertEqual(documents[1]["spec", "template", "metadata", "annotations", "a"]?.stringValue, "b")
        XCTAssertEqual(documents[1]["spec", "template", "metadata", "labels", "app.kubernetes.io/name"]?.stringValue, "shop")
        XCTAssertEqual(documents[2]["spec", "type"]?.stringValue, "NodePort")
        XCTAssertNil(documents[3]["metadata", "labels", "platform.dev/environment"])
        XCTAssertEqual(documents[3]["metadata", "labels", "app.kubernetes.io/name"]?.stringValue, "shop")
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
