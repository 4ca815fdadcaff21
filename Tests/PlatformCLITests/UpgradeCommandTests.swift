import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

final class UpgradeCommandTests: XCTestCase {
    let parser = ArgumentParser(commands: CommandTable.specs)

    func options(_ arguments: [String]) throws -> UpgradeCommand.Options {
        let parsed = try parser.parse(arguments)
        let options = try UpgradeCommand.parse(parsed, globals: try GlobalOptions.from(parsed, environment: [:]), environment: [:])
        try UpgradeCommand.validate(options)
        return options
    }

    func testOptions() throws {
        XCTAssertEqual(try options(["upgrade", "--to", "v2", "--conflict", "rej", "--set", "region=eu", "--commit", "-o", "json"]),
                       UpgradeCommand.Options(version: "v2", conflict: .rej, variables: ["region": "eu"], check: false, diff: false,
                                              commit: true, templatesDirectory: nil, dryRun: false, output: .json))
        XCTAssertEqual(try options(["upgrade", "--check"]).check, true)
        XCTAssertEqual(try options(["upgrade", "--dry-run"]).conflict, .inline)
    }

    func testBadCombinationsAreUsageErrors() throws {
        let cases: [([String], String)] = [
            (["upgrade", "--conflict", "theirs"], "invalid --conflict 'theirs': use inline or rej"),
            (["upgrade", "--check", "--diff"], "--check goes alone (not with --diff, --dry-run or --commit)"),
            (["upgrade", "--check", "--commit"], "--check goes alone (not with --diff, --dry-run or --commit)"),
            (["upgrade", "--diff", "--commit"], "--commit cannot go with --diff or --dry-run"),
            (["upgrade", "--dry-run", "--commit"], "--commit cannot go with --diff or --dry-run"),
        ]
        for (arguments, message) in cases {
            XCTAssertThrowsError(try options(arguments), "\(arguments)") { error in
                XCTAssertEqual(error as? PlatformError, .usage(message, command: "upgrade"))
            }
        }
        XCTAssertThrowsError(try options(["upgrade", "extra"]))
        XCTAssertThrowsError(try options(["upgrade", "--set", "bad-key=1"])) { error in
            XCTAssertEqual((error as? PlatformError).map(ExitCode.code(for:)), 64)
        }
    }
}
