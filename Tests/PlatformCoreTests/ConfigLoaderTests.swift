import Foundation
import PlatformCore
import XCTest

final class ConfigLoaderTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-unit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/home/.config/platform", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/project/src", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    var userPath: String { folder + "/home/.config/platform/config.json" }
    var projectPath: String { folder + "/project/platform.json" }

    func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func resolve(_ flags: SettingsFlags, env: [String: String] = [:]) throws -> AppSettings {
        try ConfigLoader.resolve(flags: flags, environment: ["HOME": folder + "/home"].merging(env) { _, b in b },
                                 currentDirectory: folder + "/project/src")
    }

    func testBuiltInDefaults() throws {
        let settings = try resolve(SettingsFlags(name: "shop"))
        XCTAssertEqual(settings.environment, Sourced("development", .builtIn))
        XCTAssertEqual(settings.image, Sourced("shop:latest", .builtIn))
        XCTAssertEqual(settings.replicas, Sourced(1, .builtIn))
        XCTAssertEqual(settings.port, Sourced(8080, .builtIn))
        XCTAssertEqual(settings.instanceType, Sourced("t3.medium", .builtIn))
        XCTAssertEqual(settings.domain, Sourced("example.com", .builtIn))
        XCTAssertEqual(settings.url, "http://shop.development.example.com")
        XCTAssertNil(settings.moduleSource.value)
        XCTAssertNil(settings.backend.value)
        XCTAssertEqual(settings.userConfigPath, userPath)
        XCTAssertFalse(settings.imageIsExplicit)
    }

    func testPrecedenceFlagsEnvironmentProjectUserBuiltIn() throws {
        try write(userPath, """
        {
          "domain": "corp.example",
          "module_source": "git::https://git.example.com/infra.git//application?ref=v2",
          "backend": {"type": "s3", "config": {"bucket": "tf"}},
          "environments": {"prod": {"kube_context": "prod-ctx", "domain": "prod.example"}},
          "default_environment": "staging",
          "resources": {"requests": {"cpu": "50m"}},
          "instance_type": "t3.small",
          "replicas": 2
        }
        """)
        try write(projectPath, """
        {"name": "shop", "port": 9090, "image": "registry.example.com/shop", "healthPath": "/health",
         "metricsPath": "/prom", "replicas": 4, "overrides": {"Deployment": {"spec": {"paused": false}}}}
        """)
        let settings = try resolve(SettingsFlags(name: "shop", replicas: 6), env: ["PLATFORM_INSTANCE_TYPE": "c5.xlarge"])
        let user = SettingSource.user(userPath)
        let project = SettingSource.project(projectPath)
        XCTAssertEqual(settings.environment, Sourced("staging", user))
        XCTAssertEqual(settings.replicas, Sourced(6, .flag("replicas")))
        XCTAssertEqual(settings.instanceType, Sourced("c5.xlarge", .environment("PLATFORM_INSTANCE_TYPE")))
        XCTAssertEqual(settings.port, Sourced(9090, project))
        XCTAssertEqual(settings.image, Sourced("registry.example.com/shop:latest", project))
        XCTAssertEqual(settings.healthPath, Sourced("/health", project))
        XCTAssertEqual(settings.metricsPath.value, "/prom")
        XCTAssertEqual(settings.resources, Sourced(ResourceSettings(requests: ["cpu": "50m"]), user))
        XCTAssertEqual(settings.domain, Sourced("corp.example", user))
        XCTAssertEqual(settings.moduleSource.value, "git::https://git.example.com/infra.git//application?ref=v2")
        XCTAssertEqual(settings.backend.value, BackendSettings(type: "s3", config: ["bucket": .string("tf")]))
        XCTAssertEqual(settings.overrides["Deployment"]?["spec", "paused"], .bool(false))
        XCTAssertEqual(settings.projectConfigPath, projectPath)
        XCTAssertEqual(settings.origins.first { $0.key == "replicas" }?.source, .flag("replicas"))

        let prod = try resolve(SettingsFlags(name: "shop", environment: "prod"), env: ["PLATFORM_DOMAIN": "override.example"])
        XCTAssertEqual(prod.kubeContext, Sourced("prod-ctx", user))
        XCTAssertEqual(prod.domain, Sourced("override.example", .environment("PLATFORM_DOMAIN")))
        let prodNoEnv = try resolve(SettingsFlags(name: "shop", environment: "prod", kubeContext: "mine"))
        XCTAssertEqual(prodNoEnv.domain.value, "prod.example")
        XCTAssertEqual(prodNoEnv.kubeContext, Sourced("mine", .flag("kube-context")))
    }

    func testProjectOfAnotherAppIsIgnored() throws {
        try write(projectPath, #"{"name": "cart", "port": 9000}"#)
        let settings = try resolve(SettingsFlags(name: "shop"))
        XCTAssertEqual(settings.port, Sourced(8080, .builtIn))
        XCTAssertNil(settings.projectConfigPath)
    }

    func testUnknownKeyNamesFileLineAndKey() throws {
        try write(userPath, "{\n  \"domain\": \"a.example\",\n  \"replica\": 2\n}\n")
        XCTAssertThrowsError(try resolve(SettingsFlags(name: "shop"))) { error in
            XCTAssertEqual(error as? PlatformError, .invalidInput(
                "\(self.userPath):3: unknown key 'replica' (allowed: domain, module_source, backend, environments, default_environment, resources, instance_type, replicas, ci, promotion, templates_source, ingress_class, network_policy)"))
        }
        try write(userPath, "{\"environments\": {\"prod\": {\n \"context\": \"x\"}}}")
        XCTAssertThrowsError(try resolve(SettingsFlags(name: "shop"))) { error in
            XCTAssertEqual(error as? PlatformError, .invalidInput(
                "\(self.userPath):2: unknown key 'context' in 'environments.prod' (allowed: kube_context, domain, protected, ingress_class, tls)"))
        }
    }

    func testInvalidJSONAndWrongTypesAreInvalidInput() throws {
        try write(projectPath, "{\"name\": \"shop\",\n \"port\": }")
        XCTAssertThrowsError(try resolve(SettingsFlags(name: "shop"))) { error in
            guard case .invalidInput(let message)? = error as? PlatformError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix(self.projectPath + ": invalid JSON"), message)
        }
        try write(projectPath, "{\"name\": \"shop\",\n \"port\": \"80\"}")
        XCTAssertThrowsError(try resolve(SettingsFlags(name: "shop"))) { error in
            guard case .invalidInput(let message)? = error as? PlatformError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix(self.projectPath + ":2: "), message)
            XCTAssertTrue(message.contains("port"), message)
        }
        try write(projectPath, "{\"overrides\": {\"Pod\": {}}}")
        XCTAssertThrowsError(try resolve(SettingsFlags(name: "shop"))) { error in
            XCTAssertEqual(error as? PlatformError, .invalidInput(
                "\(self.projectPath):1: unknown kind 'Pod' in 'overrides' (allowed: ServiceAccount, Deployment, Service, Ingress, NetworkPolicy, PodDisruptionBudget, HorizontalPodAutoscaler, ServiceMonitor)"))
        }
    }

    /// Issue 11 item 4: overrides that would leave the app (another kind, name or namespace, a
    /// selector, the platform's labels, another host, another service account, the shared Namespace)
    /// are bad input naming the key and its line; patches inside the app still load.
    func testOverridesThatLeaveTheAppAreRefusedNamingTheKey() throws {
        let refused: [(String, String)] = [
            (#"{"Deployment": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding"}}"#, "overrides.Deployment.kind"),
            (#"{"Service": {"apiVersion": "v1"}}"#, "overrides.Service.apiVersion"),
            (#"{"Service": {"metadata": {"namespace": "kube-system"}}}"#, "overrides.Service.metadata.namespace"),
            (#"{"Deployment": {"metadata": {"name": "payments"}}}"#, "overrides.Deployment.metadata.name"),
            (#"{"Deployment": {"metadata": {"generateName": "x-"}}}"#, "overrides.Deployment.metadata.generateName"),
            (#"{"Deployment": {"metadata": null}}"#, "overrides.Deployment.metadata"),
            (#"{"Deployment": {"metadata": "payments"}}"#, "overrides.Deployment.metadata"),
            (#"{"Deployment": {"spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "payments"}}}}}"#, "overrides.Deployment.spec.selector"),
            (#"{"Deployment": {"spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/name": "payments"}}}}}}"#,
             "overrides.Deployment.spec.template.metadata.labels.app.kubernetes.io/name"),
            (#"{"Deployment": {"spec": {"template": null}}}"#, "overrides.Deployment.spec.template"),
            (#"{"Deployment": {"spec": {"template": {"spec": {"serviceAccountName": "admin"}}}}}"#,
             "overrides.Deployment.spec.template.spec.serviceAccountName"),
            (#"{"Deployment": {"spec": {"template": {"spec": {"affinity": {"podAffinity": {"x": [{"labelSelector": {}}]}}}}}}}"#,
             "overrides.Deployment.spec.template.spec.affinity.podAffinity.x.0.labelSelector"),
            (#"{"Service": {"spec": {"selector": null}}}"#, "overrides.Service.spec.selector"),
            (#"{"Ingress": {"spec": {"rules": [{"host": "payments.dev.example.com"}]}}}"#, "overrides.Ingress.spec.rules"),
            (#"{"Ingress": {"metadata": {"labels": {"app.kubernetes.io/managed-by": null}}}}"#,
             "overrides.Ingress.metadata.labels.app.kubernetes.io/managed-by"),
            (#"{"ServiceMonitor": {"spec": {"namespaceSelector": {"any": true}}}}"#, "overrides.ServiceMonitor.spec.namespaceSelector"),
        ]
        for (patch, key) in refused {
            try write(projectPath, "{\"name\": \"shop\",\n \"overrides\": \(patch)}")
            XCTAssertThrowsError(try resolve(SettingsFlags(name: "shop")), patch) { error in
                guard case .invalidInput(let message)? = error as? PlatformError else { return XCTFail("\(error)") }
                XCTAssertTrue(message.hasPrefix("\(self.projectPath):2: \(key) is not allowed: "), message)
            }
        }
        try write(projectPath, #"{"name": "shop", "overrides": {"Namespace": {"metadata": {"labels": {"a": "b"}}}}}"#)
        XCTAssertThrowsError(try resolve(SettingsFlags(name: "shop"))) { error in
            guard case .invalidInput(let message)? = error as? PlatformError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("overrides.Namespace is not allowed: the namespace is shared"), message)
        }
        try write(projectPath, """
        {"name": "shop", "overrides": {"Deployment": {"metadata": {"labels": {"team": "a"}, "annotations": {"x": "y"}},
          "spec": {"revisionHistoryLimit": 3, "template": {"metadata": {"labels": {"tier": "web"}}}}},
          "Service": {"spec": {"type": "NodePort"}}, "Ingress": {"metadata": {"annotations": {"a": "b"}}}}}
        """)
        XCTAssertEqual(try resolve(SettingsFlags(name: "shop")).overrides["Deployment"]?["spec", "revisionHistoryLimit"], .number(3))
    }

    func testBadMergedValuesNameTheirSource() throws {
        try write(projectPath, #"{"name": "shop", "replicas": 5000}"#)
        XCTAssertThrowsError(try resolve(SettingsFlags(name: "shop"))) { error in
            XCTAssertEqual(error as? PlatformError, .invalidInput(
                "invalid replicas 5000: use a whole number from 0 to 1000 (from project config \(self.projectPath))"))
        }
        XCTAssertThrowsError(try resolve(SettingsFlags(name: "cart"), env: ["PLATFORM_DOMAIN": "Bad_Domain"])) { error in
            guard case .invalidInput(let message)? = error as? PlatformError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix("invalid domain 'Bad_Domain'"), message)
        }
        XCTAssertThrowsError(try resolve(SettingsFlags(name: "cart", variables: ["replicas": "3"]))) { error in
            XCTAssertEqual((error as? PlatformError)?.kind, "invalid_input")
        }
    }

    func testStateDirectoryResolution() {
        XCTAssertEqual(StateDirectory.resolve(environment: ["PLATFORM_STATE_DIR": "/s", "XDG_STATE_HOME": "/x", "HOME": "/h"]), "/s")
        XCTAssertEqual(StateDirectory.resolve(environment: ["XDG_STATE_HOME": "/x", "HOME": "/h"]), "/x/platform")
        XCTAssertEqual(StateDirectory.resolve(environment: ["HOME": "/h"]), "/h/.local/state/platform")
        XCTAssertEqual(Workspace(stateDirectory: "/s", environment: "dev", name: "shop").path, "/s/workspaces/dev/shop")
    }
}
