import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

final class ParserTests: XCTestCase {
    let parser = ArgumentParser(commands: CommandTable.specs)

    func testLongShortEqualsAndRepeatable() throws {
        let parsed = try parser.parse(["-e", "prod", "scaffold", "shop", "--template=python/flask", "--set", "a=1",
                                       "--set", "b=2", "-qv", "--dir", "/tmp"])
        XCTAssertEqual(parsed.command, "scaffold")
        XCTAssertEqual(parsed.positionals, ["shop"])
        XCTAssertEqual(parsed.value("environment"), "prod")
        XCTAssertEqual(parsed.value("template"), "python/flask")
        XCTAssertEqual(parsed.all("set"), ["a=1", "b=2"])
        XCTAssertEqual(parsed.flags, ["quiet", "verbose"])
        XCTAssertEqual(parsed.value("dir"), "/tmp")
    }

    func testAttachedShortValueAndBundleEndingInValueOption() throws {
        let parsed = try parser.parse(["scaffold", "x", "-tpython/flask", "-qe", "staging"])
        XCTAssertEqual(parsed.value("template"), "python/flask")
        XCTAssertEqual(parsed.value("environment"), "staging")
        XCTAssertTrue(parsed.flag("quiet"))
    }

    func testDoubleDashEndsOptions() throws {
        let parsed = try parser.parse(["scaffold", "--template", "a/b", "--", "--not-an-option"])
        XCTAssertEqual(parsed.positionals, ["--not-an-option"])
    }

    func testGlobalOptionsAfterCommand() throws {
        let parsed = try parser.parse(["templates", "-o", "json", "--no-color"])
        XCTAssertEqual(parsed.value("output"), "json")
        XCTAssertTrue(parsed.flag("no-color"))
    }

    func testUnknownOptionSuggestsClosest() {
        XCTAssertThrowsError(try parser.parse(["scaffold", "x", "--tempalte", "a/b"])) { error in
            XCTAssertEqual(error as? PlatformError,
                           .usage("unknown option '--tempalte'; did you mean '--template'?", command: "scaffold"))
        }
    }

    func testUnknownCommandSuggestsClosest() {
        XCTAssertThrowsError(try parser.parse(["scafold"])) { error in
            XCTAssertEqual(error as? PlatformError, .usage("unknown command 'scafold'; did you mean 'scaffold'?", command: nil))
        }
    }

    func testMissingValueAndValueOnFlag() {
        XCTAssertThrowsError(try parser.parse(["scaffold", "x", "--template"])) { error in
            XCTAssertEqual(ExitCode.code(for: error), 64)
        }
        XCTAssertThrowsError(try parser.parse(["scaffold", "x", "--no-git=yes"])) { error in
            XCTAssertEqual(error as? PlatformError, .usage("option --no-git takes no value", command: "scaffold"))
        }
    }

    func testScaffoldOptions() throws {
        let parsed = try parser.parse(["scaffold", "shop", "--language", "node", "--framework", "express",
                                       "--set", "port=9000", "--no-git", "--dry-run", "-o", "json"])
        let globals = try GlobalOptions.from(parsed, environment: [:])
        let options = try ScaffoldCommand.parse(parsed, globals: globals, environment: [:])
        XCTAssertEqual(options, ScaffoldCommand.Options(
            name: "shop", template: "node/express", directory: ".", variables: ["port": "9000"], defaults: [:], git: false,
            templatesDirectory: nil, dryRun: true, output: .json))
    }

    func testScaffoldCiIsTheCiVariable() throws {
        let parsed = try parser.parse(["scaffold", "shop", "-t", "go/http", "--ci", "gitlab"])
        let options = try ScaffoldCommand.parse(parsed, globals: GlobalOptions(), environment: [:])
        XCTAssertEqual(options.variables, ["ci": "gitlab"])
    }

    func testScaffoldRejectsSetWithoutEquals() throws {
        let parsed = try parser.parse(["scaffold", "shop", "-t", "a/b", "--set", "port"])
        XCTAssertThrowsError(try ScaffoldCommand.parse(parsed, globals: GlobalOptions(), environment: [:])) { error in
            XCTAssertEqual(error as? PlatformError, .invalidInput("invalid --set 'port': expected KEY=VALUE"))
        }
    }

    func testEnvironmentDefaultsFromVariable() throws {
        let parsed = try parser.parse(["templates"])
        XCTAssertEqual(try GlobalOptions.from(parsed, environment: ["PLATFORM_ENVIRONMENT": "qa"]).environment, "qa")
        XCTAssertEqual(try GlobalOptions.from(parsed, environment: [:]).environment, "development")
        let explicit = try parser.parse(["templates", "-e", "prod"])
        XCTAssertEqual(try GlobalOptions.from(explicit, environment: ["PLATFORM_ENVIRONMENT": "qa"]).environment, "prod")
    }

    func testEveryCommandHasHelpAndUniqueOptions() {
        for spec in CommandTable.specs {
            XCTAssertFalse(spec.summary.isEmpty, spec.name)
            let longs = (spec.options + GlobalSpec.options).map(\.long)
            XCTAssertEqual(Set(longs).count, longs.count, "duplicate option in \(spec.name)")
            let shorts = (spec.options + GlobalSpec.options).compactMap(\.short)
            XCTAssertEqual(Set(shorts).count, shorts.count, "duplicate short option in \(spec.name)")
        }
    }
}

final class CLIRunTests: XCTestCase {
    func testVersionAndHelp() async {
        let version = await runCLI(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout, "platform \(platformVersion)\n")
        let json = await runCLI(["version", "-o", "json"])
        XCTAssertEqual(json.stdout, "{\n  \"version\" : \"\(platformVersion)\"\n}\n")
        for arguments in [["--help"], ["help"], ["help", "scaffold"], ["scaffold", "--help"]] {
            let run = await runCLI(arguments)
            XCTAssertEqual(run.status, 0, "\(arguments)")
            XCTAssertTrue(run.stdout.contains("Usage:"), "\(arguments)")
            XCTAssertEqual(run.stderr, "", "\(arguments)")
        }
    }

    func testNoArgumentsIsUsageErrorOnStderr() async {
        let run = await runCLI([])
        XCTAssertEqual(run.status, 64)
        XCTAssertEqual(run.stdout, "")
        XCTAssertTrue(run.stderr.contains("Usage:"))
    }

    func testUsageErrorHasOneLineAndHint() async {
        let run = await runCLI(["scaffold", "x", "--bogus"])
        XCTAssertEqual(run.status, 64)
        XCTAssertEqual(run.stdout, "")
        XCTAssertEqual(run.stderr, "error: unknown option '--bogus'\nusage: platform scaffold NAME [options]\n"
                       + "see 'platform scaffold --help'\n")
    }

    func testJSONErrorDocumentOnStdout() async {
        let run = await runCLI(["scaffold", "Bad_Name", "-t", "python/flask", "-o", "json"])
        XCTAssertEqual(run.status, 64)
        let document = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let error = document?["error"] as? [String: Any]
        XCTAssertEqual(error?["type"] as? String, "invalid_input")
        XCTAssertEqual(error?["exitCode"] as? Int, 64)
    }

    func testColorRules() {
        XCTAssertTrue(IOStreams.colorEnabled(isTTY: true, environment: [:], noColorFlag: false))
        XCTAssertFalse(IOStreams.colorEnabled(isTTY: false, environment: [:], noColorFlag: false))
        XCTAssertFalse(IOStreams.colorEnabled(isTTY: true, environment: ["NO_COLOR": "1"], noColorFlag: false))
        XCTAssertFalse(IOStreams.colorEnabled(isTTY: true, environment: ["TERM": "dumb"], noColorFlag: false))
        XCTAssertFalse(IOStreams.colorEnabled(isTTY: true, environment: [:], noColorFlag: true))
        XCTAssertTrue(IOStreams.colorEnabled(isTTY: false, environment: ["CLICOLOR_FORCE": "1"], noColorFlag: false))
    }

    func testExitCodeTable() {
        XCTAssertEqual(ExitCode.code(for: PlatformError.usage("x", command: nil)), 64)
        XCTAssertEqual(ExitCode.code(for: PlatformError.invalidInput("x")), 64)
        XCTAssertEqual(ExitCode.code(for: PlatformError.toolMissing(tool: "git", hint: "")), 69)
        XCTAssertEqual(ExitCode.code(for: PlatformError.toolFailed(argv: [], status: 2, stderrTail: "")), 1)
        XCTAssertEqual(ExitCode.code(for: PlatformError.changesPending), 2)
        XCTAssertEqual(ExitCode.code(for: PlatformError.deployRolledBack("")), 3)
        XCTAssertEqual(ExitCode.code(for: PlatformError.deployFailed("")), 4)
        XCTAssertEqual(ExitCode.code(for: PlatformError.interrupted(signal: SIGINT)), 130)
        XCTAssertEqual(ExitCode.code(for: PlatformError.interrupted(signal: SIGTERM)), 143)
    }
}

final class ProjectAppNameTests: XCTestCase {
    func testAppCommandsTakeNAMEFromPlatformJSONInAParentFolder() async throws {
        let sandbox = try Sandbox()
        try sandbox.write(sandbox.work + "/shop/platform.json", #"{"name": "shop", "port": 8080}"#)
        try FileManager.default.createDirectory(atPath: sandbox.work + "/shop/src", withIntermediateDirectories: true)
        // A fake runner that expects nothing: the first kubectl call fails, but only after NAME was resolved,
        // so the error names the call that proves which app was used.
        let runner = FakeCommandRunner()
        let run = await runCLI(["status", "-e", "qa"], environment: sandbox.environment(), directory: sandbox.work + "/shop/src",
                               runner: runner)
        XCTAssertEqual(runner.calls.first?.argv.contains("shop"), true, "\(runner.calls.map(\.argv)) \(run.stderr)")
    }

    func testMissingNAMEOutsideAProjectIsAUsageError() async throws {
        let sandbox = try Sandbox()
        let run = await runCLI(["status"], environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains("missing NAME"), run.stderr)
        XCTAssertTrue(run.stderr.contains("see 'platform status --help'"), run.stderr)
    }

    func testInvalidPlatformJSONIsNamed() async throws {
        let sandbox = try Sandbox()
        try sandbox.write(sandbox.work + "/platform.json", "{ not json")
        let run = await runCLI(["logs"], environment: sandbox.environment(), directory: sandbox.work)
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains("platform.json"), run.stderr)
    }
}

final class UserConfigTargetTests: XCTestCase {
    func testDeployFamilyUsesTheUserConfigsDefaultEnvironmentAndContext() async throws {
        let sandbox = try Sandbox()
        try sandbox.write(sandbox.home + "/.config/platform/config.json",
                          #"{"default_environment": "qa", "environments": {"qa": {"kube_context": "qa-cluster"}}}"#)
        for command in [["status", "shop"], ["releases", "shop"], ["logs", "shop"]] {
            let runner = FakeCommandRunner()
            _ = await runCLI(command, environment: sandbox.environment(), directory: sandbox.work, runner: runner)
            let argv = runner.calls.first?.argv ?? []
            XCTAssertEqual(argv.first, "kubectl", "\(command)")
            XCTAssertTrue(argv.contains("--context") && argv.contains("qa-cluster"), "\(command): \(argv)")
            XCTAssertTrue(argv.contains("qa") && !argv.contains("development"), "\(command): \(argv)")
        }
        // -e and PLATFORM_ENVIRONMENT still win over the user config.
        let runner = FakeCommandRunner()
        _ = await runCLI(["status", "shop", "-e", "prod"], environment: sandbox.environment(), directory: sandbox.work,
                         runner: runner)
        XCTAssertTrue(runner.calls.first?.argv.contains("prod") == true)
        XCTAssertFalse(runner.calls.first?.argv.contains("qa-cluster") == true)
    }
}

final class CreateSetVariableTests: XCTestCase {
    func testSetKeysAreCheckedAgainstTheBundledModuleBeforeAnythingRuns() async throws {
        let sandbox = try Sandbox()
        let env = sandbox.environment(extra: ["PLATFORM_TEMPLATES_DIR": Repo.templates])
        let runner = FakeCommandRunner()
        let bad = await runCLI(["create", "shop", "-e", "dev", "--set", "colour=red"], environment: env,
                               directory: sandbox.work, runner: runner)
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("unknown --set variable 'colour'"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("db_password, owner"), bad.stderr)
        XCTAssertEqual(runner.calls.count, 0, "nothing ran")
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.state + "/workspaces"))
        for reserved in ["replicas=3", "name=x"] {
            let run = await runCLI(["create", "shop", "-e", "dev", "--set", reserved], environment: env,
                                   directory: sandbox.work, runner: FakeCommandRunner())
            XCTAssertEqual(run.status, 64, "\(reserved): \(run.stderr)")
        }
        // A declared variable passes this check (the fake runner then refuses the first tool call: exit 1).
        let good = await runCLI(["create", "shop", "-e", "dev", "--set", "owner=team-a"], environment: env,
                                directory: sandbox.work, runner: FakeCommandRunner())
        XCTAssertNotEqual(good.status, 64, good.stderr)
    }
}

final class DryRunSupportTests: XCTestCase {
    func testACommandWithoutDryRunRefusesItInsteadOfRunningForReal() async throws {
        let sandbox = try Sandbox()
        for arguments in [["rollback", "shop", "-e", "dev", "--dry-run"], ["status", "shop", "--dry-run"]] {
            let runner = FakeCommandRunner()
            let run = await runCLI(arguments, environment: sandbox.environment(), directory: sandbox.work, runner: runner)
            XCTAssertEqual(run.status, 64, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("has no --dry-run; nothing was done"), run.stderr)
            XCTAssertEqual(runner.calls.count, 0, "\(arguments): nothing ran")
        }
    }
}
