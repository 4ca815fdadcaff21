import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest

/// `scaffold --ci`: which pipeline files a project gets, the config default, and bad choices.
final class ScaffoldCIEndToEndTests: XCTestCase {
    let pipelineFiles = [".github/workflows/ci.yml", ".gitlab-ci.yml"]

    func scaffold(_ sandbox: Sandbox, _ name: String, _ extra: [String]) async -> CLIRun {
        await runCLI(["scaffold", name, "-t", "go/http", "--no-git", "--templates-dir", Repo.templates] + extra,
                     environment: sandbox.environment(), directory: sandbox.work)
    }

    func present(_ project: String) -> [String] {
        pipelineFiles.filter { FileManager.default.fileExists(atPath: project + "/" + $0) }
    }

    func testEachChoiceRendersOnlyItsPipelineAndEveryProjectGetsAMakefile() async throws {
        let sandbox = try Sandbox()
        for (index, (flags, expected, recorded)) in [([], [".github/workflows/ci.yml"], "github"),
                                            (["--ci", "gitlab"], [".gitlab-ci.yml"], "gitlab"),
                                            (["--ci", "none"], [], "none"),
                                            (["--set", "ci=gitlab"], [".gitlab-ci.yml"], "gitlab")].enumerated() {
            let name = "svc-\(recorded)-\(index)"
            let result = await scaffold(sandbox, name, flags)
            XCTAssertEqual(result.status, 0, result.stderr)
            let project = sandbox.work + "/" + name
            XCTAssertEqual(present(project), expected, "\(flags)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: project + "/.github") && expected.first != pipelineFiles[0],
                           "no empty .github folder for \(flags)")
            let makefile = try String(contentsOfFile: project + "/Makefile", encoding: .utf8)
            XCTAssertTrue(makefile.contains("$(PLATFORM) deploy \(name) -e $(ENV)"), makefile)
            let record = try JSONDecoder().decode(TemplateRecord.self, from: Data(contentsOf: URL(fileURLWithPath: project + "/.platform/template.json")))
            XCTAssertEqual(record.variables["ci"], recorded)
        }
        let workflow = try String(contentsOfFile: sandbox.work + "/svc-github-0/.github/workflows/ci.yml", encoding: .utf8)
        XCTAssertTrue(workflow.contains("platform deploy svc-github-0 -e staging"), "placeholders filled")
        XCTAssertTrue(workflow.contains("IMAGE: registry.example.com/svc-github-0"))
        XCTAssertTrue(workflow.contains("${{ secrets.KUBECONFIG_STAGING }}"), "the CI system's own expressions are left alone")
    }

    func testTheUserConfigsCiIsTheDefaultAndTheFlagWins() async throws {
        let sandbox = try Sandbox()
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"ci": "gitlab"}"#)
        var result = await scaffold(sandbox, "from-config", [])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(present(sandbox.work + "/from-config"), [".gitlab-ci.yml"])
        result = await scaffold(sandbox, "from-flag", ["--ci", "github"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(present(sandbox.work + "/from-flag"), [".github/workflows/ci.yml"])
    }

    func testBadChoicesAreUsageErrorsAndWriteNothing() async throws {
        let sandbox = try Sandbox()
        let cases: [([String], String)] = [
            (["--ci", "jenkins"], "invalid --ci 'jenkins': use github, gitlab, none"),
            (["--ci", "github", "--set", "ci=gitlab"], "--ci github and --set ci=gitlab disagree"),
            (["--set", "ci=travis"], "invalid value 'travis' for ci"),
        ]
        for (flags, message) in cases {
            let result = await scaffold(sandbox, "bad", flags)
            XCTAssertEqual(result.status, 64, "\(flags): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(flags): \(result.stderr)")
        }
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"ci": "circle"}"#)
        let result = await scaffold(sandbox, "bad", [])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("invalid ci 'circle'"), result.stderr)
        XCTAssertEqual(Sandbox.listing(sandbox.work), [], "nothing written")
    }

    func testATemplateWithoutACiVariableIgnoresTheConfigButRefusesTheFlag() async throws {
        let sandbox = try Sandbox()
        let template = sandbox.root + "/tpl"
        try sandbox.write(template + "/template.json", #"{"description": "plain"}"#)
        try sandbox.write(template + "/README.md", "# {{name}}\n")
        try sandbox.write(sandbox.home + "/.config/platform/config.json", #"{"ci": "gitlab"}"#)
        var result = await runCLI(["scaffold", "plain", "-t", template, "--no-git"], environment: sandbox.environment(),
                                  directory: sandbox.work)
        XCTAssertEqual(result.status, 0, result.stderr)
        result = await runCLI(["scaffold", "plain2", "-t", template, "--no-git", "--ci", "github"],
                              environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("unknown variable 'ci'"), result.stderr)
    }

    func testAConditionOnAnUndeclaredVariableIsABrokenTemplate() async throws {
        let sandbox = try Sandbox()
        let template = sandbox.root + "/tpl"
        try sandbox.write(template + "/template.json",
                          #"{"description": "x", "conditionalFiles": [{"paths": ["a"], "when": {"colour": "red"}}]}"#)
        try sandbox.write(template + "/a", "a\n")
        let result = await runCLI(["scaffold", "x", "-t", template, "--no-git"], environment: sandbox.environment(),
                                  directory: sandbox.work)
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("conditionalFiles names 'colour'"), result.stderr)
    }
}
