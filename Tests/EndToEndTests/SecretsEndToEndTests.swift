import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

final class SecretsEndToEndTests: XCTestCase {
    let secret = "Sk-8d2f61c0-do-not-leak"
    let second = "Pw-41a9e7b3-also-secret"

    /// A `kubectl` on PATH in front of the real one that appends each call's argv (one line) to `log`.
    func kubectlWrapper(_ app: AppFixture) throws -> (path: String, log: String) {
        let folder = app.sandbox.root + "/wrapper"
        let log = app.sandbox.root + "/argv.log"
        let real = Repo.tools + "/kubectl"
        try app.sandbox.write(folder + "/kubectl", """
        #!/bin/sh
        printf '%s\\n' "kubectl $*" >> '\(log)'
        exec '\(real)' "$@"
        """)
        chmod(folder + "/kubectl", 0o755)
        return (folder, log)
    }

    /// Every file below `folder`, concatenated (the state folder: events.jsonl, workspaces, ...).
    func contents(of folder: String) -> String {
        Sandbox.listing(folder).compactMap { try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }.joined()
    }

    func testASecretFromStdinShowsUpNowhereButInTheSecret() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        try await app.waitForReadyPods(2)
        let wrapper = try kubectlWrapper(app)
        var env = app.environmentVariables
        env["PATH"] = wrapper.path + ":" + (env["PATH"] ?? "")

        // The built binary, the value on stdin (so not in platform's own argv either), verbose.
        let set = try await runProgram([Repo.binary, "secrets", "set", "shop", "API_KEY", "-e", "staging", "-v",
                                        "-m", "api key"], environment: env, directory: app.sandbox.work,
                                       input: Data((secret + "\n").utf8))
        XCTAssertEqual(set.status, 0, set.stderrText)
        XCTAssertEqual(set.stdoutText, "Updated secrets of shop in staging: +API_KEY (release 1)\n")
        XCTAssertTrue(set.stderrText.contains("+ kubectl"), "-v echoes the commands: \(set.stderrText)")
        // The pods run the new Secret version.
        let config = try app.liveConfig()
        let name = try XCTUnwrap(config.secrets)
        try await app.waitUntil("pods of the new version") { try app.readyPods(of: config).count == 2 && app.pods().count == 2 }
        let stored = try XCTUnwrap(try app.cluster.object(kind: "Secret", namespace: "staging", name: name))
        XCTAssertEqual(stored["immutable"]?.boolValue, true)
        XCTAssertEqual(try ConfigSet.values(of: stored, secret: true), ["API_KEY": secret])

        // A second one from a file, an unset, a list and a failing command, all verbose, in-process.
        try app.sandbox.write("work/db.txt", second)
        let file = await runCLI(["secrets", "set", "shop", "DB_PASSWORD=@db.txt", "-e", "staging", "-v"],
                                environment: env, directory: app.sandbox.work)
        XCTAssertEqual(file.status, 0, file.stderr)
        let list = await runCLI(["secrets", "list", "shop", "-e", "staging", "-v"], environment: env, directory: app.sandbox.work)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("API_KEY"), list.stdout)
        XCTAssertTrue(list.stdout.contains("DB_PASSWORD"), list.stdout)
        let json = await runCLI(["secrets", "list", "shop", "-e", "staging", "-o", "json"], environment: env,
                                directory: app.sandbox.work)
        let listing = try JSONDecoder().decode(ConfigListing.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(listing.secrets?.map(\.key), ["API_KEY", "DB_PASSWORD"])
        XCTAssertEqual(listing.secrets?.first?.revision, 1)
        XCTAssertEqual(listing.secrets?.first?.user, "tester")
        XCTAssertEqual(listing.secrets?.first?.fingerprint, ConfigSet.fingerprint(app: "shop", key: "API_KEY", value: secret))
        let literal = await runCLI(["secrets", "set", "shop", "OTHER=\(second)", "-e", "nowhere", "-v"],
                                   environment: env, directory: app.sandbox.work)
        XCTAssertNotEqual(literal.status, 0, "no app in that environment")
        let releases = await runCLI(["releases", "shop", "-e", "staging", "-o", "json"], environment: env,
                                    directory: app.sandbox.work)
        XCTAssertTrue(releases.stdout.contains("API_KEY"), "key names are recorded: \(releases.stdout)")

        // Nowhere but the Secret: outputs, the event log and every file of the state folder, the argv
        // of every kubectl, the release history and the platform's own ConfigMaps.
        let argv = try String(contentsOfFile: wrapper.log, encoding: .utf8)
        XCTAssertTrue(argv.contains("kubectl apply --server-side"), argv)
        let configMaps = try app.cluster.objects(kind: "ConfigMap", namespace: "staging")
        let places: [(String, String)] = [
            ("stdout/stderr of set", set.stdoutText + set.stderrText), ("output of the file set", file.stdout + file.stderr),
            ("output of list", list.stdout + list.stderr + json.stdout), ("the failed run", literal.stdout + literal.stderr),
            ("releases", releases.stdout), ("the state folder", contents(of: app.sandbox.state)),
            ("the home folder", contents(of: app.sandbox.home)), ("the work folder (but db.txt)", contents(of: app.sandbox.work)
                .replacingOccurrences(of: second, with: "")),
            ("kubectl argv", argv),
            ("ConfigMaps", String(decoding: try JSONValue.array(configMaps).encoded(), as: UTF8.self)),
        ]
        XCTAssertFalse(contents(of: app.sandbox.state).isEmpty, "events were recorded")
        for (what, text) in places {
            for value in [secret, second, Data(secret.utf8).base64EncodedString(), Data(second.utf8).base64EncodedString()] {
                XCTAssertFalse(text.contains(value), "a secret shows in \(what)")
            }
        }
    }

    func testTwoKeysFromAPipeAreBadInputAndNothingIsSent() async throws {
        let app = try await AppFixture()
        defer { app.stop() }
        let before = try app.cluster.requests().count
        let run = try await runProgram([Repo.binary, "secrets", "set", "shop", "A", "B", "-e", "staging"],
                                       environment: app.environmentVariables, directory: app.sandbox.work,
                                       input: Data("x\n".utf8))
        XCTAssertEqual(run.status, 64, run.stderrText)
        let empty = try await runProgram([Repo.binary, "secrets", "set", "shop", "A", "-e", "staging"],
                                         environment: app.environmentVariables, directory: app.sandbox.work, input: Data())
        XCTAssertEqual(empty.status, 64, empty.stderrText)
        let missing = await app.platform(["secrets", "set", "shop", "A=@/nonexistent/file"])
        XCTAssertEqual(missing.status, 64, missing.stderr)
        XCTAssertEqual(try app.cluster.requests().count, before)
    }
}
