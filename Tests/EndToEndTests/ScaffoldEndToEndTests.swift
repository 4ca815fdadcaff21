import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// scaffold with the real git, in-process and through the built binary.
final class ScaffoldEndToEndTests: XCTestCase {
    func run(_ sandbox: Sandbox, _ arguments: [String], extra: [String: String] = [:]) async -> CLIRun {
        await runCLI(arguments + ["--templates-dir", Repo.templates], environment: sandbox.environment(extra: extra),
                     directory: sandbox.work)
    }

    func testPythonFlaskScaffoldIsCommittedWithFallbackIdentity() async throws {
        let sandbox = try Sandbox()
        let result = await run(sandbox, ["scaffold", "shop", "--template", "python/flask", "--set", "port=9090"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let project = sandbox.work + "/shop"
        XCTAssertEqual(result.stdout, project + "\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: project + "/Dockerfile"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: project + "/shop/__init__.py"), "folder name placeholder rendered")

        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project + "/platform.json"))) as? [String: Any]
        XCTAssertEqual(manifest?["name"] as? String, "shop")
        XCTAssertEqual(manifest?["port"] as? Int, 9090)

        let record = try JSONDecoder().decode(TemplateRecord.self, from: Data(contentsOf: URL(fileURLWithPath: project + "/.platform/template.json")))
        XCTAssertEqual(record.template, "python/flask")
        XCTAssertEqual(record.variables["port"], "9090")
        XCTAssertTrue(record.templateHash.hasPrefix("sha256:"))

        let env = sandbox.environment()
        let log = try await runProgram(["git", "log", "--format=%an <%ae>|%s"], environment: env, directory: project)
        XCTAssertEqual(log.stdoutText, "platform <platform@localhost>|Scaffold shop from python/flask\n")
        let status = try await runProgram(["git", "status", "--porcelain"], environment: env, directory: project)
        XCTAssertEqual(status.stdoutText, "", "everything is committed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.home + "/.gitconfig"), "user config untouched")
        XCTAssertEqual(Sandbox.listing(sandbox.work).filter { !$0.hasPrefix("shop") }, [], "no temporary folder left")
    }

    func testUsesTheUsersGitIdentityWhenConfigured() async throws {
        let sandbox = try Sandbox()
        try sandbox.write(sandbox.home + "/.gitconfig", "[user]\n\tname = Ada\n\temail = ada@example.com\n")
        let result = await run(sandbox, ["scaffold", "api", "-t", "node/express"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let log = try await runProgram(["git", "log", "--format=%an <%ae>"], environment: sandbox.environment(),
                                       directory: sandbox.work + "/api")
        XCTAssertEqual(log.stdoutText, "Ada <ada@example.com>\n")
    }

    func testBadInputChangesNothing() async throws {
        let sandbox = try Sandbox()
        try FileManager.default.createDirectory(atPath: sandbox.work + "/taken", withIntermediateDirectories: false)
        try sandbox.write(sandbox.work + "/taken/keep.txt", "mine")
        let cases: [([String], String)] = [
            (["scaffold", "Shop", "-t", "python/flask"], "invalid name 'Shop'"),
            (["scaffold", "a_b", "-t", "python/flask"], "invalid name 'a_b'"),
            (["scaffold", "taken", "-t", "python/flask"], "already exists"),
            (["scaffold", "x", "-t", "python/nope"], "unknown template 'python/nope'"),
            (["scaffold", "x", "-t", "python/flask", "--set", "port=abc"], "invalid value 'abc' for port"),
            (["scaffold", "x", "-t", "python/flask", "--set", "colour=red"], "unknown variable 'colour'"),
            (["scaffold", "x", "-t", "python/flask", "--set", "port"], "expected KEY=VALUE"),
            (["scaffold", "x", "-t", "python/flask", "--dir", sandbox.root + "/missing"], "does not exist"),
        ]
        let before = Sandbox.listing(sandbox.work)
        for (arguments, message) in cases {
            let result = await run(sandbox, arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").first.map { $0.hasPrefix("error: ") }, true)
            XCTAssertEqual(result.stdout, "")
        }
        XCTAssertEqual(Sandbox.listing(sandbox.work), before)
        XCTAssertEqual(try String(contentsOfFile: sandbox.work + "/taken/keep.txt", encoding: .utf8), "mine")
    }

    func testBrokenTemplatesAreRefusedAndLeaveNothing() async throws {
        let sandbox = try Sandbox()
        let templates = sandbox.root + "/templates"
        // escapes through a symlink
        try sandbox.write(templates + "/bad/link/template.json", #"{"description": "links out"}"#)
        try FileManager.default.createSymbolicLink(atPath: templates + "/bad/link/passwd", withDestinationPath: "/etc/passwd")
        // invalid manifest
        try sandbox.write(templates + "/bad/json/template.json", #"{"description": 3}"#)
        try sandbox.write(templates + "/bad/json/README.md", "x")
        // a file name that renders to a path outside
        try sandbox.write(templates + "/bad/path/template.json", #"{"description": "d", "variables": {"sub": {"default": ".."}}}"#)
        try sandbox.write(templates + "/bad/path/{{sub}}/x.txt", "x")

        for (template, message) in [("bad/link", "links outside the template"), ("bad/json", "invalid template manifest"),
                                    ("bad/path", "unsafe path")] {
            let result = await runCLI(["scaffold", "svc", "-t", template, "--templates-dir", templates],
                                      environment: sandbox.environment(), directory: sandbox.work)
            XCTAssertEqual(result.status, 64, result.stderr)
            XCTAssertTrue(result.stderr.contains(message), "\(template): \(result.stderr)")
        }
        XCTAssertEqual(Sandbox.listing(sandbox.work), [])
    }

    func testBinaryFilesAndModesAreKept() async throws {
        let sandbox = try Sandbox()
        let template = sandbox.root + "/mine"
        try sandbox.write(template + "/template.json", #"{"description": "mine"}"#)
        try sandbox.write(template + "/bin/run-{{name}}.sh", "#!/bin/sh\necho {{name}}\n")
        chmod(template + "/bin/run-{{name}}.sh", 0o755)
        let binary = Data([0x89, 0x50, 0x4e, 0x47, 0x00, 0x7b, 0x7b, 0x6e, 0x61, 0x6d, 0x65, 0x7d, 0x7d, 0xff])
        try binary.write(to: URL(fileURLWithPath: template + "/logo.png"))

        let result = await runCLI(["scaffold", "svc", "--template", template, "--no-git", "-o", "json"],
                                  environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(document?["files"] as? Int, 2)
        XCTAssertTrue(document?["commit"] == nil || document?["commit"] is NSNull)
        let script = sandbox.work + "/svc/bin/run-svc.sh"
        XCTAssertEqual(try String(contentsOfFile: script, encoding: .utf8), "#!/bin/sh\necho svc\n")
        let mode = try FileManager.default.attributesOfItem(atPath: script)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o755)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: sandbox.work + "/svc/logo.png")), binary)
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.work + "/svc/.git"))
    }

    func testTemplateFromLocalGitRepositoryAtRef() async throws {
        let sandbox = try Sandbox()
        let env = sandbox.environment()
        let repo = sandbox.root + "/templates-repo"
        try sandbox.write(repo + "/web/tiny/template.json", #"{"description": "tiny v1"}"#)
        try sandbox.write(repo + "/web/tiny/hello.txt", "v1 {{name}}\n")
        for argv in [["git", "init", "-q"], ["git", "add", "-A"],
                     ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1"], ["git", "tag", "v1"]] {
            let result = try await runProgram(argv, environment: env, directory: repo)
            XCTAssertEqual(result.status, 0, result.stderrText)
        }
        try sandbox.write(repo + "/web/tiny/hello.txt", "v2 {{name}}\n")
        _ = try await runProgram(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "v2"],
                                 environment: env, directory: repo)

        let result = await runCLI(["scaffold", "svc", "--template", "git+file://\(repo)//web/tiny@v1"],
                                  environment: env, directory: sandbox.work)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try String(contentsOfFile: sandbox.work + "/svc/hello.txt", encoding: .utf8), "v1 svc\n")
        let record = try String(contentsOfFile: sandbox.work + "/svc/.platform/template.json", encoding: .utf8)
        XCTAssertTrue(record.contains("git+file://\(repo)//web/tiny@v1"))

        let latest = await runCLI(["scaffold", "svc2", "--template", "git+file://\(repo)//web/tiny"],
                                  environment: env, directory: sandbox.work)
        XCTAssertEqual(latest.status, 0, latest.stderr)
        XCTAssertEqual(try String(contentsOfFile: sandbox.work + "/svc2/hello.txt", encoding: .utf8), "v2 svc2\n")

        let missing = await runCLI(["scaffold", "svc3", "--template", "git+file://\(repo)//web/tiny@v9"],
                                   environment: env, directory: sandbox.work)
        XCTAssertEqual(missing.status, 64, missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.work + "/svc3"))
    }

    func testGitMissingLeavesNothingBehind() async throws {
        let sandbox = try Sandbox()
        let result = await runCLI(["scaffold", "shop", "-t", "python/flask", "--templates-dir", Repo.templates],
                                  environment: sandbox.environment(extra: ["PATH": sandbox.root + "/empty-bin"]),
                                  directory: sandbox.work)
        XCTAssertEqual(result.status, 69, result.stderr)
        XCTAssertTrue(result.stderr.contains("git not found"), result.stderr)
        XCTAssertEqual(Sandbox.listing(sandbox.work), [])
    }

    func testDryRunWritesNothing() async throws {
        let sandbox = try Sandbox()
        let result = await run(sandbox, ["scaffold", "shop", "-t", "go/http", "--dry-run"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Would create"))
        XCTAssertTrue(result.stdout.contains("main.go"))
        XCTAssertEqual(Sandbox.listing(sandbox.work), [])
    }

    func testTemplatesListing() async throws {
        let sandbox = try Sandbox()
        let result = await run(sandbox, ["templates", "-o", "json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        let ids = list?.compactMap { $0["id"] as? String } ?? []
        for id in ["python/flask", "node/express", "go/http"] { XCTAssertTrue(ids.contains(id), id) }
        let flask = list?.first { $0["id"] as? String == "python/flask" }
        XCTAssertNotNil((flask?["variables"] as? [String: Any])?["port"])
    }

    func testBuiltBinaryExitCodes() async throws {
        // The real binary: version and a usage error, exit codes through the process boundary.
        let sandbox = try Sandbox()
        let version = try await runProgram([Repo.binary, "--version"], environment: sandbox.environment())
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdoutText.hasPrefix("platform "))
        let bad = try await runProgram([Repo.binary, "scaffold", "UPPER", "-t", "python/flask"], environment: sandbox.environment(),
                                       directory: sandbox.work)
        XCTAssertEqual(bad.status, 64)
        XCTAssertEqual(bad.stdoutText, "")
    }
}

final class ReservedNameTests: XCTestCase {
    func testANameThatShadowsAPackageTheTemplateUsesIsRefused() async throws {
        let sandbox = try Sandbox()
        for (name, template) in [("flask", "python/flask"), ("json", "python/flask"), ("express", "node/express"),
                                 ("hummingbird", "swift/hummingbird")] {
            let run = await runCLI(["scaffold", name, "-t", template, "--templates-dir", Repo.templates],
                                   environment: sandbox.environment(), directory: sandbox.work)
            XCTAssertEqual(run.status, 64, "\(name): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("clashes with a package the \(template) template uses"), run.stderr)
        }
        XCTAssertEqual(Sandbox.listing(sandbox.work), [])
        let fine = await runCLI(["scaffold", "flask-shop", "-t", "python/flask", "--templates-dir", Repo.templates, "--no-git"],
                                environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(fine.status, 0, fine.stderr)
    }
}
