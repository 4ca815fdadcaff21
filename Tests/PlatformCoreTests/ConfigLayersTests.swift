import Foundation
import PlatformCore
import XCTest

/// The organisation layer: `$XDG_CONFIG_DIRS/platform/config.json`, `$PLATFORM_CONFIG`, `locked` keys.
final class ConfigLayersTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("layers-\(UUID().uuidString)").path
        for sub in ["home/.config/platform", "etc/xdg/platform", "opt/xdg/platform", "project"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    var userPath: String { folder + "/home/.config/platform/config.json" }
    var systemPath: String { folder + "/etc/xdg/platform/config.json" }
    var optPath: String { folder + "/opt/xdg/platform/config.json" }
    var extraPath: String { folder + "/team.json" }

    func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func env(_ extra: [String: String] = [:]) -> [String: String] {
        ["HOME": folder + "/home", "XDG_CONFIG_DIRS": folder + "/etc/xdg"].merging(extra) { _, b in b }
    }

    func resolve(_ flags: SettingsFlags = SettingsFlags(name: "shop"), env extra: [String: String] = [:]) throws -> AppSettings {
        try ConfigLoader.resolve(flags: flags, environment: env(extra), currentDirectory: folder + "/project")
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch PlatformError.invalidInput(let text) { return text } catch { return "other error: \(error)" }
        return "no error"
    }

    func testOrganisationBelowPlatformConfigBelowUser() throws {
        try write(systemPath, #"{"domain": "org.example", "instance_type": "m5.large", "replicas": 2, "module_source": "git::https://git.example/m.git", "environments": {"staging": {"domain": "stg.org.example", "kube_context": "org-staging"}}}"#)
        try write(extraPath, #"{"instance_type": "m5.xlarge", "default_environment": "staging"}"#)
        try write(userPath, #"{"replicas": 3, "environments": {"staging": {"kube_context": "mine"}}}"#)
        let settings = try resolve(env: ["PLATFORM_CONFIG": extraPath])
        XCTAssertEqual(settings.environment, Sourced("staging", .organisation(extraPath)))
        XCTAssertEqual(settings.domain, Sourced("stg.org.example", .organisation(systemPath)))
        XCTAssertEqual(settings.kubeContext, Sourced("mine", .user(userPath)))
        XCTAssertEqual(settings.instanceType, Sourced("m5.xlarge", .organisation(extraPath)))
        XCTAssertEqual(settings.replicas, Sourced(3, .user(userPath)))
        XCTAssertEqual(settings.moduleSource, Sourced("git::https://git.example/m.git", .organisation(systemPath)))
        XCTAssertEqual(settings.configLayers.map(\.path), [systemPath, extraPath, userPath])
        XCTAssertEqual(settings.configLayers.map(\.found), [true, true, true])
        XCTAssertEqual(settings.configLayers.map(\.origin), ["XDG_CONFIG_DIRS", "PLATFORM_CONFIG", "XDG_CONFIG_HOME"])
        XCTAssertEqual(SettingSource.organisation(systemPath).description, "organisation config \(systemPath)")
    }

    func testFirstXDGConfigDirWins() throws {
        try write(systemPath, #"{"domain": "first.example"}"#)
        try write(optPath, #"{"domain": "second.example", "instance_type": "c5.large"}"#)
        let settings = try resolve(env: ["XDG_CONFIG_DIRS": folder + "/etc/xdg:relative/ignored:" + folder + "/opt/xdg"])
        XCTAssertEqual(settings.domain, Sourced("first.example", .organisation(systemPath)))
        XCTAssertEqual(settings.instanceType, Sourced("c5.large", .organisation(optPath)))
        XCTAssertEqual(settings.configLayers.map(\.path), [optPath, systemPath, userPath])
    }

    func testDefaultIsEtcXDG() {
        let paths = ConfigLayers.paths(environment: ["HOME": "/home/u"])
        XCTAssertEqual(paths.map(\.path), ["/etc/xdg/platform/config.json", "/home/u/.config/platform/config.json"])
    }

    func testUserOverridingALockedKeyNamesKeyAndFiles() throws {
        try write(systemPath, """
        {
          "domain": "org.example",
          "locked": ["domain", "backend"]
        }
        """)
        try write(userPath, "{\n  \"replicas\": 2,\n  \"domain\": \"mine.example\"\n}\n")
        let text = message { _ = try resolve() }
        XCTAssertEqual(text, "\(userPath):3: 'domain' is locked by the organisation config \(systemPath); remove it from \(userPath)")
        try write(userPath, #"{"backend": {"type": "local"}}"#)
        XCTAssertTrue(message { _ = try resolve() }.contains("'backend' is locked by the organisation config \(systemPath)"))
        // The same value is no override (a config copied from the platform team keeps working).
        try write(userPath, #"{"domain": "org.example", "replicas": 2}"#)
        XCTAssertEqual(try resolve().domain, Sourced("org.example", .organisation(systemPath)))
    }

    func testLockedKeysHoldAgainstPlatformConfigProjectEnvironmentAndFlags() throws {
        try write(systemPath, #"{"domain": "org.example", "replicas": 2, "instance_type": "m5.large", "locked": ["domain", "replicas", "instance_type", "environments"], "environments": {"prod": {"domain": "prod.org.example"}}}"#)
        try write(extraPath, #"{"environments": {"prod": {"kube_context": "x"}}}"#)
        XCTAssertTrue(message { _ = try resolve(env: ["PLATFORM_CONFIG": extraPath]) }
            .contains("'environments' is locked by the organisation config \(systemPath); remove it from \(extraPath)"))
        XCTAssertEqual(message { _ = try resolve(env: ["PLATFORM_DOMAIN": "other.example"]) },
                       "'domain' is locked by the organisation config \(systemPath); the environment variable PLATFORM_DOMAIN may not change it")
        XCTAssertEqual(message { _ = try resolve(SettingsFlags(name: "shop", replicas: 5)) },
                       "'replicas' is locked by the organisation config \(systemPath); --replicas may not change it")
        try write(folder + "/project/platform.json", #"{"name": "shop", "instance_type": "t3.nano"}"#)
        XCTAssertEqual(message { _ = try resolve() },
                       "'instance_type' is locked by the organisation config \(systemPath); the project config \(folder)/project/platform.json may not change it")
        try write(folder + "/project/platform.json", #"{"name": "shop", "instance_type": "m5.large", "port": 9000}"#)
        let settings = try resolve(SettingsFlags(name: "shop", replicas: 2))
        XCTAssertEqual(settings.port.value, 9000)
        XCTAssertEqual(settings.replicas.value, 2)
    }

    func testLockedBelongsToOrganisationFilesAndNamesKnownKeys() throws {
        try write(userPath, #"{"locked": ["domain"]}"#)
        XCTAssertTrue(message { _ = try resolve() }.contains("'locked' belongs in an organisation config"))
        try write(userPath, "{}")
        try write(systemPath, #"{"locked": ["colour"]}"#)
        XCTAssertTrue(message { _ = try resolve() }.hasPrefix("\(systemPath):1: unknown key 'colour' in 'locked'"))
        try write(systemPath, #"{"locked": "domain"}"#)
        XCTAssertTrue(message { _ = try resolve() }.contains("'locked' must be a list of config keys"))
        try write(systemPath, #"{"colour": "blue"}"#)
        XCTAssertTrue(message { _ = try resolve() }.hasPrefix("\(systemPath):1: unknown key 'colour'"))
    }

    func testMissingPlatformConfigFileIsBadInput() {
        XCTAssertEqual(message { _ = try resolve(env: ["PLATFORM_CONFIG": folder + "/nope.json"]) },
                       "PLATFORM_CONFIG names '\(folder)/nope.json', which does not exist")
    }
}
