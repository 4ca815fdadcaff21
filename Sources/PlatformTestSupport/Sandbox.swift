import Foundation
import PlatformCore

/// Where things are in the source checkout, for end-to-end tests.
public enum Repo {
    /// The checkout root (the folder with Package.swift), found from this file's path.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }()

    public static var templates: String { root + "/templates" }
    public static var tools: String { root + "/.tools/bin" }
    public static var apiServer: String { root + "/Tests/KubeAPIServer/kube_apiserver.py" }

    /// The built `platform` binary next to the test bundle (swift build puts both in one folder).
    public static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["PLATFORM_BINARY"] { return explicit }
        let bundle = Bundle.main.bundleURL
        for folder in [bundle, bundle.deletingLastPathComponent()] {
            let candidate = folder.appendingPathComponent("platform").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return root + "/.build/debug/platform"
    }
}

/// A temporary folder with an isolated HOME (no user git config, kube cache, state) for one test.
public final class Sandbox: @unchecked Sendable {
    public let root: String
    public var home: String { root + "/home" }
    public var work: String { root + "/work" }
    public var state: String { root + "/state" }
    /// The organisation config `$XDG_CONFIG_DIRS/platform/config.json` of `environment()`.
    public var organisationConfig: String { root + "/etc/xdg/platform/config.json" }

    public init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("platform-test-\(UUID().uuidString)").path
        for folder in [home, work, state] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        _ = FileManager.default.createFile(atPath: root + "/terraformrc", contents: Data())
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// PATH with the project's tools first; HOME, XDG folders, git and terraform isolated.
    public func environment(extra: [String: String] = [:]) -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var env: [String: String] = [
            "PATH": Repo.tools + ":" + (inherited["PATH"] ?? "/usr/bin:/bin"),
            "HOME": home,
            "XDG_CONFIG_HOME": home + "/.config",
            "XDG_CONFIG_DIRS": root + "/etc/xdg",
            "XDG_STATE_HOME": home + "/.local/state",
            "PLATFORM_STATE_DIR": state,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": home + "/.gitconfig",
            "TF_CLI_CONFIG_FILE": root + "/terraformrc",
            "KUBECACHEDIR": root + "/kubecache",
            "LANG": "C.UTF-8",
            // Most tests create apps in environments such as "dev" with the default NAME:latest image;
            // the mutable-tag refusal has its own tests, which set this to "" (unset).
            "PLATFORM_ALLOW_MUTABLE_TAG": "1",
        ]
        for key in ["TMPDIR"] { env[key] = inherited[key] }
        env = env.filter { $0.value.isEmpty == false }
        return env.merging(extra) { _, new in new }
    }

    public func write(_ path: String, _ text: String) throws {
        let full = path.hasPrefix("/") ? path : root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
    }

    /// Every path below `folder`, relative, sorted (for "nothing changed" checks).
    public static func listing(_ folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).sorted()
    }
}

/// Runs a program for a test with the real runner; returns status, stdout and stderr.
public func runProgram(_ argv: [String], environment: [String: String], directory: String? = nil,
                       input: Data? = nil) async throws -> CommandResult {
    let runner = ProcessRunner(environment: environment)
    return try await runner.capture(Command(argv[0], Array(argv.dropFirst()), directory: directory, input: input))
}
