import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

/// `platform create` parsing: Options values, nothing run.
final class CreateCommandTests: XCTestCase {
    func options(_ arguments: [String], environment: [String: String] = [:]) throws -> CreateCommand.Options {
        let parsed = try ArgumentParser(commands: CommandTable.specs).parse(arguments)
        let globals = try GlobalOptions.from(parsed, environment: environment)
        let options = try CreateCommand.parse(parsed, globals: globals, environment: environment)
        try CreateCommand.validate(options)
        return options
    }

    func testAllOptions() throws {
        let parsed = try options(["create", "shop", "-e", "prod", "--image", "reg.example.com/shop:1.2", "--replicas", "3",
                                  "--port=9090", "--instance-type", "m5.large", "--set", "owner=a", "--set", "db_password=x=y",
                                  "--dry-run", "--detailed-exitcode", "-o", "json", "--kube-context", "ctx", "--kubeconfig", "/k"])
        XCTAssertEqual(parsed, CreateCommand.Options(
            name: "shop", environment: "prod", image: "reg.example.com/shop:1.2", replicas: 3, port: 9090,
            instanceType: "m5.large", variables: ["owner": "a", "db_password": "x=y"], dryRun: true, detailedExitCode: true,
            output: .json, kubeContext: "ctx", kubeconfig: "/k"))
    }

    func testDefaultsLeaveEverythingToTheConfig() throws {
        let parsed = try options(["create", "shop"], environment: ["PLATFORM_ENVIRONMENT": "staging"])
        XCTAssertEqual(parsed, CreateCommand.Options(
            name: "shop", environment: nil, image: nil, replicas: nil, port: nil, instanceType: nil, variables: [:],
            dryRun: false, detailedExitCode: false, output: .text, kubeContext: nil, kubeconfig: nil))
    }

    func testBadValuesAreUsageOrInvalidInput() {
        let cases: [([String], Int32)] = [
            (["create"], 64),
            (["create", "Shop"], 64),
            (["create", "shop", "-e", "Prod_1"], 64),
            (["create", "shop", "--image", "Shop:1.0"], 64),
            (["create", "shop", "--replicas", "-1"], 64),
            (["create", "shop", "--replicas", "many"], 64),
            (["create", "shop", "--port", "70000"], 64),
            (["create", "shop", "--set", "no-equals"], 64),
            (["create", "shop", "--detailed-exitcode"], 64),
        ]
        for (arguments, code) in cases {
            XCTAssertThrowsError(try options(arguments), "\(arguments)") { error in
                XCTAssertEqual(ExitCode.code(for: error), code, "\(arguments): \(error)")
            }
        }
    }

    func testHelpListsTheOptions() async {
        let run = await runCLI(["create", "--help"])
        XCTAssertEqual(run.status, 0)
        XCTAssertTrue(run.stdout.contains("--detailed-exitcode"))
        XCTAssertTrue(run.stdout.contains("--instance-type TYPE"))
    }
}
