import Foundation
@testable import PlatformCLI
import PlatformCore
import PlatformTestSupport
import XCTest

/// Parsing of deploy, rollback, releases, logs and status: Options values, nothing run.
final class DeployParseTests: XCTestCase {
    func parse<C: PlatformCommand>(_ command: C.Type, _ arguments: [String],
                                   environment: [String: String] = [:]) throws -> C.Options {
        let parsed = try ArgumentParser(commands: CommandTable.specs).parse(arguments)
        let globals = try GlobalOptions.from(parsed, environment: environment)
        let options = try C.parse(parsed, globals: globals, environment: environment)
        try C.validate(options)
        return options
    }

    func testDeployOptions() throws {
        XCTAssertEqual(try parse(DeployCommand.self, ["deploy", "shop", "--image", "r.example.com/shop:1.2", "-e", "staging",
                                                      "--timeout", "90s", "--no-rollback", "-m", "hotfix", "-o", "json"]),
                       .init(name: "shop", environment: "staging", image: "r.example.com/shop:1.2",
                             flags: RolloutFlags(timeout: 90, rollbackTimeout: 300, wait: true, rollback: false, message: "hotfix"),
                             dryRun: false, output: .json))
        let defaults = try parse(DeployCommand.self, ["deploy", "shop", "--image=shop:2", "--no-wait", "--timeout", "1h",
                                                      "--rollback-timeout", "5m"],
                                 environment: ["PLATFORM_ENVIRONMENT": "qa"])
        XCTAssertEqual(defaults, .init(name: "shop", environment: "qa", image: "shop:2",
                                       flags: RolloutFlags(timeout: 3600, rollbackTimeout: 300, wait: false, rollback: true, message: nil),
                                       dryRun: false, output: .text))
    }

    func testDeployRejectsBadInputWithTheValueAndWhatIsAllowed() {
        XCTAssertThrowsError(try parse(DeployCommand.self, ["deploy", "shop"])) { error in
            XCTAssertEqual(error as? PlatformError, .usage("missing --image IMAGE", command: "deploy"))
        }
        XCTAssertThrowsError(try parse(DeployCommand.self, ["deploy", "Shop", "--image", "shop:1"])) { error in
            XCTAssertTrue("\(error)".contains("'Shop'"))
        }
        XCTAssertThrowsError(try parse(DeployCommand.self, ["deploy", "shop", "--image", "Shop:1"])) { error in
            XCTAssertTrue("\(error)".contains("invalid image 'Shop:1'"))
        }
        XCTAssertThrowsError(try parse(DeployCommand.self, ["deploy", "shop", "--image", "shop:1", "--timeout", "5 min"])) { error in
            XCTAssertEqual(ExitCode.code(for: error), 64)
            XCTAssertTrue("\(error)".contains("invalid --timeout '5 min'"), "\(error)")
        }
    }

    func testRollbackOptions() throws {
        XCTAssertEqual(try parse(RollbackCommand.self, ["rollback", "shop", "--to", "12", "-e", "prod"]),
                       .init(name: "shop", environment: "prod", revision: 12,
                             flags: RolloutFlags(timeout: 300, rollbackTimeout: 300, wait: true, rollback: true, message: nil),
                             output: .text))
        XCTAssertEqual(try parse(RollbackCommand.self, ["rollback", "shop"]).revision, nil)
        for bad in ["0", "-1", "x", "1.5"] {
            XCTAssertThrowsError(try parse(RollbackCommand.self, ["rollback", "shop", "--to=\(bad)"]), bad) { error in
                XCTAssertEqual(ExitCode.code(for: error), 64)
            }
        }
    }

    func testLogsOptions() throws {
        XCTAssertEqual(try parse(LogsCommand.self, ["logs", "shop", "-f", "--lines", "20", "--since", "10m", "-c", "shop",
                                                    "--timestamps", "--grep", "ERROR", "--follow-for", "3s"]),
                       .init(name: "shop", environment: "development", lines: 20, follow: true, sinceSeconds: 600,
                             container: "shop", timestamps: true, grep: "ERROR", followLimit: 3))
        XCTAssertEqual(try parse(LogsCommand.self, ["logs", "shop"], environment: ["PLATFORM_LOGS_FOLLOW_LIMIT": "2s"]),
                       .init(name: "shop", environment: "development", lines: 100, follow: false, sinceSeconds: nil,
                             container: nil, timestamps: false, grep: nil, followLimit: 2))
        for bad in [["--lines", "0"], ["--lines", "many"], ["--since", "yesterday"], ["--follow-for", "0s"]] {
            XCTAssertThrowsError(try parse(LogsCommand.self, ["logs", "shop"] + bad), "\(bad)") { error in
                XCTAssertEqual(ExitCode.code(for: error), 64)
            }
        }
    }

    func testStatusAndReleasesOptions() throws {
        XCTAssertEqual(try parse(StatusCommand.self, ["status", "shop", "-o", "json", "-e", "qa"]),
                       .init(name: "shop", environment: "qa", output: .json))
        XCTAssertEqual(try parse(ReleasesCommand.self, ["releases", "shop"]),
                       .init(name: "shop", environment: "development", output: .text))
        XCTAssertThrowsError(try parse(StatusCommand.self, ["status", "shop", "-e", "Prod"])) { error in
            XCTAssertEqual(ExitCode.code(for: error), 64)
        }
    }

    func testBadInputChangesNothingAndExits64() async {
        let runner = FakeCommandRunner()
        let run = await runCLI(["deploy", "shop", "--image", "UPPER:1"], runner: runner)
        XCTAssertEqual(run.status, 64)
        XCTAssertTrue(run.stderr.contains("invalid image 'UPPER:1'"), run.stderr)
        XCTAssertEqual(runner.unmet(), [])
        XCTAssertEqual(runner.calls.count, 0)
    }
}
