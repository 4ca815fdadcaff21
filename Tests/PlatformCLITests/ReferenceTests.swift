import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

final class ReferenceTests: XCTestCase {
    func testCommittedReferenceAndManPageMatchTheGenerator() throws {
        try assertMatchesCommitted(Reference.markdown(commands: CommandTable.specs), "docs/reference.md")
        try assertMatchesCommitted(Reference.manPage(commands: CommandTable.specs), "docs/platform.1")
    }

    /// The help text of every command (and of platform itself), as `platform COMMAND --help` prints it,
    /// snapshot-tested: Tests/Golden/help/COMMAND.txt (re-recorded with the reference docs).
    func testHelpOfEveryCommandMatchesItsGoldenFile() async throws {
        let main = await runCLI(["--help"])
        XCTAssertEqual(main.status, 0)
        try Golden.assertMatches(main.stdout, "Tests/Golden/help/platform.txt", rerun: "ReferenceTests")
        for command in CommandTable.specs where !command.hidden {
            let run = await runCLI([command.name, "--help"])
            XCTAssertEqual(run.status, 0, command.name)
            XCTAssertEqual(run.stderr, "", command.name)
            try Golden.assertMatches(run.stdout, "Tests/Golden/help/\(command.name).txt", rerun: "ReferenceTests")
        }
    }

    func testEveryCommandOptionAndArgumentIsDocumented() throws {
        let reference = try String(contentsOfFile: Repo.root + "/docs/reference.md", encoding: .utf8)
        let man = try String(contentsOfFile: Repo.root + "/docs/platform.1", encoding: .utf8)
        for command in CommandTable.specs where !command.hidden {
            XCTAssertTrue(reference.contains("## platform \(command.name)\n"), command.name)
            XCTAssertTrue(man.contains(".SS \"platform \(Reference.roff(command.name))"), command.name)
            for option in command.options + GlobalSpec.options {
                XCTAssertTrue(reference.contains("`--\(option.long)"), "\(command.name) --\(option.long)")
                XCTAssertTrue(man.contains("\\-\\-\(Reference.roff(option.long))"), "\(command.name) --\(option.long)")
            }
            for argument in command.arguments {
                XCTAssertTrue(reference.contains("`\(argument.name)`"), "\(command.name) \(argument.name)")
            }
            for example in command.examples {
                XCTAssertTrue(reference.contains(example), "\(command.name) example \(example)")
            }
        }
        for hidden in CommandTable.specs where hidden.hidden {
            XCTAssertFalse(reference.contains("## platform \(hidden.name)"), hidden.name)
            XCTAssertFalse(man.contains(".SS \"platform \(Reference.roff(hidden.name))"), hidden.name)
        }
        for (code, _) in Reference.exitCodes {
            XCTAssertTrue(reference.contains("| \(code) |"), "exit code \(code)")
            XCTAssertTrue(man.contains(".B \(code)\n"), "exit code \(code)")
        }
    }

    func testExitCodeTableCoversEveryErrorCase() {
        let errors: [PlatformError] = [
            .usage("x", command: nil), .invalidInput("x"), .toolMissing(tool: "x", hint: "y"),
            .toolFailed(argv: ["x"], status: 1, stderrTail: ""), .failed("x"), .changesPending,
            .deployRolledBack("x"), .deployFailed("x"), .releaseCommandFailed("x"),
            .interrupted(signal: 2), .interrupted(signal: 15),
        ]
        let documented = Set(Reference.exitCodes.map(\.code))
        for error in errors {
            XCTAssertTrue(documented.contains(ExitCode.code(for: error)), "\(error.kind)")
        }
    }

    /// `run` passes its task's exit status through: not one of the table's codes, the command's own.
    func testATaskThatFailedExitsWithItsCommandsStatus() {
        XCTAssertEqual(ExitCode.code(for: PlatformError.taskFailed(status: 3, message: "x")), 3)
        XCTAssertEqual(ExitCode.code(for: PlatformError.taskFailed(status: 137, message: "x")), 137)
        XCTAssertEqual(ExitCode.code(for: PlatformError.taskFailed(status: 256, message: "x")), 1, "never 0 for a failure")
        XCTAssertEqual(ExitCode.code(for: PlatformError.taskFailed(status: -1073741819, message: "x")), 1)
    }

    /// The man page renders without groff warnings (when groff is installed, as on Debian with man-db).
    func testManPageRendersWithoutWarnings() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/groff") else { throw XCTSkip("groff not installed") }
        let result = try await runProgram(["/usr/bin/groff", "-man", "-Tutf8", "-ww", "-z", Repo.root + "/docs/platform.1"],
                                          environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"])
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stderrText, "")
    }

    func testRoffEscaping() {
        XCTAssertEqual(Reference.roff(".hidden\n'quote\na-b \\x"), "\\&.hidden\n\\&'quote\na\\-b \\ex")
    }
}
