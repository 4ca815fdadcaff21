import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

/// Compares a generated file with the committed one (`Golden.assertMatches`).
func assertMatchesCommitted(_ generated: String, _ relativePath: String, file: StaticString = #filePath, line: UInt = #line) throws {
    try Golden.assertMatches(generated, relativePath,
                             rerun: relativePath.hasPrefix("completions") ? "CompletionTests" : "ReferenceTests",
                             file: file, line: line)
}

final class CompletionTests: XCTestCase {
    var visible: [CommandSpec] { CommandTable.specs.filter { !$0.hidden } }

    func testCommittedScriptsMatchTheGenerator() throws {
        for shell in CompletionScript.Shell.allCases {
            try assertMatchesCommitted(CompletionScript.generate(shell, commands: CommandTable.specs),
                                       "completions/" + shell.fileName)
        }
    }

    func testCompletionCommandPrintsTheScriptOnStdout() async {
        for shell in CompletionScript.Shell.allCases {
            let run = await runCLI(["completion", shell.rawValue], environment: ["PLATFORM_STATE_DIR": "/nonexistent/x"])
            XCTAssertEqual(run.status, 0)
            XCTAssertEqual(run.stdout, CompletionScript.generate(shell, commands: CommandTable.specs))
        }
    }

    func testEveryCommandAndOptionIsInEveryScript() {
        for shell in CompletionScript.Shell.allCases {
            let script = CompletionScript.generate(shell, commands: CommandTable.specs)
            for command in visible {
                XCTAssertTrue(script.contains(command.name), "\(shell): \(command.name)")
                for option in command.options {
                    XCTAssertTrue(script.contains("--\(option.long)") || script.contains("-l \(option.long)"),
                                  "\(shell): \(command.name) --\(option.long)")
                }
            }
            for option in GlobalSpec.options {
                XCTAssertTrue(script.contains("--\(option.long)") || script.contains("-l \(option.long)"), "\(shell): --\(option.long)")
            }
            for hidden in CommandTable.specs where hidden.hidden {
                let offered = script.contains("'\(hidden.name):") || script.contains("-a \(hidden.name) ")
                XCTAssertFalse(offered, "\(shell) offers hidden \(hidden.name)")
                if shell == .bash, let list = script.split(separator: "\n").first(where: { $0.hasPrefix("_platform_commands=") }) {
                    XCTAssertFalse(list.split(separator: " ").contains { $0.trimmingCharacters(in: ["'"]) == hidden.name }, String(list))
                    XCTAssertEqual(list.split(separator: " ").count, visible.count)
                }
            }
            // Dynamic values are looked up at TAB time, never baked in.
            XCTAssertFalse(script.contains("python/flask"), "\(shell) has a template id baked in")
            XCTAssertTrue(script.contains("__complete"))
        }
    }

    func testUnknownShellIsInvalidInput() async {
        let run = await runCLI(["completion", "tcsh"], environment: ["PLATFORM_STATE_DIR": "/nonexistent/x"])
        XCTAssertEqual(run.status, 64)
        XCTAssertEqual(run.stdout, "")
        XCTAssertTrue(run.stderr.contains("invalid shell 'tcsh': use bash, zsh or fish"), run.stderr)
    }

    func testMissingShellIsUsage() async {
        let run = await runCLI(["completion"], environment: ["PLATFORM_STATE_DIR": "/nonexistent/x"])
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains("missing SHELL"), run.stderr)
    }

    func testCompleteValuesFromConfigStateAndProject() async throws {
        let sandbox = try Sandbox()
        try sandbox.write(sandbox.home + "/.config/platform/config.json",
                          #"{"environments": {"staging": {"kube_context": "kind-staging"}, "production": {}}, "default_environment": "staging"}"#)
        try FileManager.default.createDirectory(atPath: sandbox.state + "/workspaces/qa/billing", withIntermediateDirectories: true)
        try sandbox.write(sandbox.work + "/shop/platform.json", #"{"name": "shop"}"#)
        try FileManager.default.createDirectory(atPath: sandbox.work + "/shop/src", withIntermediateDirectories: true)
        let env = sandbox.environment(extra: ["PLATFORM_TEMPLATES_DIR": Repo.templates])
        let environments = await runCLI(["__complete", "environments"], environment: env)
        XCTAssertEqual(environments.status, 0)
        XCTAssertEqual(environments.stdout, "production\nqa\nstaging\n")
        let apps = await runCLI(["__complete", "apps"], environment: env, directory: sandbox.work + "/shop/src")
        XCTAssertEqual(apps.stdout, "billing\nshop\n")
        let templates = await runCLI(["__complete", "templates"], environment: env)
        let expected = try TemplateStore(directories: [Repo.templates]).list().map(\.id).filter { !$0.hasPrefix("terraform/") }
        XCTAssertEqual(templates.stdout, expected.sorted().map { $0 + "\n" }.joined())
        XCTAssertFalse(templates.stdout.isEmpty)
    }

    func testCompleteValuesIsHiddenAndNotRecorded() async throws {
        let sandbox = try Sandbox()
        let run = await runCLI(["__complete", "apps"], environment: sandbox.environment())
        XCTAssertEqual(run.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.state + "/events.jsonl"))
        XCTAssertFalse(Help.main(commands: CommandTable.specs).contains("__complete"))
    }
}
