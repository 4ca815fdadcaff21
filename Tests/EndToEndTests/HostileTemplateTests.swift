import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// Templates are other teams' code: with the real git, a template that tries to plant git
/// configuration or hooks, or to reach outside its clone, runs nothing and writes nothing.
final class HostileTemplateTests: XCTestCase {
    /// A template whose `{{gd}}` folder renders to a git folder holding `core.fsmonitor` and a
    /// post-commit hook that each create a marker file.
    func writePlantingTemplate(_ sandbox: Sandbox, at folder: String, gitDir: String, prefix: String = "") throws -> [String] {
        let markers = [sandbox.root + "/PWNED-fsmonitor", sandbox.root + "/PWNED-hook"]
        try sandbox.write(folder + "/template.json",
                          #"{"description": "plants git config", "variables": {"gd": {"default": "\#(gitDir)"}}}"#)
        try sandbox.write(folder + "/README.md", "hello {{name}}\n")
        try sandbox.write(folder + "/\(prefix){{gd}}/config",
                          "[core]\n\tfsmonitor = \"touch \(markers[0]); false\"\n\thooksPath = hooks\n")
        try sandbox.write(folder + "/\(prefix){{gd}}/hooks/post-commit", "#!/bin/sh\ntouch \(markers[1])\n")
        chmod(folder + "/\(prefix){{gd}}/hooks/post-commit", 0o755)
        return markers
    }

    func git(_ arguments: [String], _ sandbox: Sandbox, in directory: String) async throws {
        let result = try await runProgram(["git", "-c", "user.name=t", "-c", "user.email=t@t"] + arguments,
                                          environment: sandbox.environment(), directory: directory)
        XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderrText)")
    }

    func testARenderedGitFolderIsRefusedAndRunsNothing() async throws {
        for (gitDir, prefix) in [(".git", ""), (".GIT", ""), (".Git. ", ""), (".git", "nested/deeper/"), ("git~1", "")] {
            let sandbox = try Sandbox()
            let template = sandbox.root + "/evil"
            let markers = try writePlantingTemplate(sandbox, at: template, gitDir: gitDir, prefix: prefix)
            let result = await runCLI(["scaffold", "svc", "--template", template], environment: sandbox.environment(),
                                      directory: sandbox.work)
            XCTAssertEqual(result.status, 64, "\(gitDir): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("inside a git folder"), result.stderr)
            for marker in markers { XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "\(gitDir): \(marker) ran") }
            XCTAssertEqual(Sandbox.listing(sandbox.work), [], gitDir)
        }
    }

    func testAVariableSetToGitOnTheCommandLineIsRefusedToo() async throws {
        let sandbox = try Sandbox()
        let template = sandbox.root + "/evil"
        let markers = try writePlantingTemplate(sandbox, at: template, gitDir: "harmless")
        let result = await runCLI(["scaffold", "svc", "--template", template, "--set", "gd=.git"],
                                  environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(result.status, 64, result.stderr)
        for marker in markers { XCTAssertFalse(FileManager.default.fileExists(atPath: marker), marker) }
        XCTAssertEqual(Sandbox.listing(sandbox.work), [])
    }

    func testAGitTemplatePlantingGitConfigRunsNothing() async throws {
        let sandbox = try Sandbox()
        let repo = sandbox.root + "/templates-repo"
        let markers = try writePlantingTemplate(sandbox, at: repo + "/web/evil", gitDir: ".git")
        try await git(["init", "-q"], sandbox, in: repo)
        try await git(["add", "-A"], sandbox, in: repo)
        try await git(["commit", "-qm", "evil"], sandbox, in: repo)

        let result = await runCLI(["scaffold", "svc", "--template", "git+file://\(repo)//web/evil"],
                                  environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("inside a git folder"), result.stderr)
        for marker in markers { XCTAssertFalse(FileManager.default.fileExists(atPath: marker), marker) }
        XCTAssertEqual(Sandbox.listing(sandbox.work), [])
    }

    func testSymlinksIntoAGitFolderAndWritesThroughSymlinksAreRefused() async throws {
        let sandbox = try Sandbox()
        // a symlink `gitdir -> .git` and files rendered below `gitdir/`: written through the link they
        // would land in the new repository's .git before `git init` runs.
        let marker = sandbox.root + "/PWNED-hook"
        let template = sandbox.root + "/evil"
        try sandbox.write(template + "/template.json", #"{"description": "d"}"#)
        try sandbox.write(template + "/README.md", "x\n")
        try FileManager.default.createSymbolicLink(atPath: template + "/gitdir", withDestinationPath: "./.git")
        let linkOnly = await runCLI(["scaffold", "svc", "--template", template], environment: sandbox.environment(),
                                    directory: sandbox.work)
        XCTAssertEqual(linkOnly.status, 64, linkOnly.stderr)
        XCTAssertTrue(linkOnly.stderr.contains("into a git folder"), linkOnly.stderr)

        let second = sandbox.root + "/evil2"
        try sandbox.write(second + "/template.json", #"{"description": "d", "variables": {"d": {"default": "gitdir"}}}"#)
        try FileManager.default.createSymbolicLink(atPath: second + "/gitdir", withDestinationPath: "sub")
        try sandbox.write(second + "/{{d}}/hooks/post-commit", "#!/bin/sh\ntouch \(marker)\n")
        let through = await runCLI(["scaffold", "svc", "--template", second], environment: sandbox.environment(),
                                   directory: sandbox.work)
        XCTAssertEqual(through.status, 64, through.stderr)
        XCTAssertTrue(through.stderr.contains("makes a symlink"), through.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
        XCTAssertEqual(Sandbox.listing(sandbox.work), [])
    }

    func testAGitTemplateSubfolderThatIsASymlinkStaysInsideTheClone() async throws {
        let sandbox = try Sandbox()
        let secrets = sandbox.root + "/secrets"
        try sandbox.write(secrets + "/template.json", #"{"description": "not a template of the repository"}"#)
        try sandbox.write(secrets + "/id_rsa", "PRIVATE KEY\n")
        let repo = sandbox.root + "/templates-repo"
        try sandbox.write(repo + "/web/ok/template.json", #"{"description": "ok"}"#)
        try sandbox.write(repo + "/web/ok/hello.txt", "hi\n")
        try FileManager.default.createSymbolicLink(atPath: repo + "/absolute", withDestinationPath: secrets)
        try FileManager.default.createSymbolicLink(atPath: repo + "/web/relative", withDestinationPath: String(repeating: "../", count: 20) + String(secrets.dropFirst()))
        try FileManager.default.createSymbolicLink(atPath: repo + "/web/inside", withDestinationPath: "ok")
        try await git(["init", "-q"], sandbox, in: repo)
        try await git(["add", "-A"], sandbox, in: repo)
        try await git(["commit", "-qm", "links"], sandbox, in: repo)

        for sub in ["absolute", "web/relative"] {
            let result = await runCLI(["scaffold", "svc", "--template", "git+file://\(repo)//\(sub)"],
                                      environment: sandbox.environment(), directory: sandbox.work)
            XCTAssertEqual(result.status, 64, "\(sub): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("leads outside the repository"), "\(sub): \(result.stderr)")
            XCTAssertEqual(Sandbox.listing(sandbox.work), [], sub)
        }
        let inGit = await runCLI(["scaffold", "svc", "--template", "git+file://\(repo)//.git"],
                                 environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(inGit.status, 64, inGit.stderr)

        // a symlink that stays inside the clone still works
        let inside = await runCLI(["scaffold", "svc", "--template", "git+file://\(repo)//web/inside"],
                                  environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(inside.status, 0, inside.stderr)
        XCTAssertEqual(try String(contentsOfFile: sandbox.work + "/svc/hello.txt", encoding: .utf8), "hi\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.work + "/svc/id_rsa"))
    }

    func testRenderedNamesThatCollideAreRefusedWithAClearMessage() async throws {
        let sandbox = try Sandbox()
        let template = sandbox.root + "/collide"
        try sandbox.write(template + "/template.json", #"{"description": "d", "variables": {"x": {"default": "readme"}}}"#)
        try sandbox.write(template + "/platform.json", "{}\n")
        try sandbox.write(template + "/{{x}}", "x\n")
        for (value, message) in [("platform.json", "both render to 'platform.json'"),
                                 (".platform", "which scaffold writes itself")] {
            let result = await runCLI(["scaffold", "svc", "--template", template, "--set", "x=\(value)"],
                                      environment: sandbox.environment(), directory: sandbox.work)
            XCTAssertEqual(result.status, 64, "\(value): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(value): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("NSCocoaErrorDomain"), result.stderr)
            XCTAssertEqual(Sandbox.listing(sandbox.work), [], value)
        }
    }
}
