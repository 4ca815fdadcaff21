import Foundation
import PlatformCLI
import PlatformCore
import PlatformTestSupport
import XCTest

/// Bad input, across every command that takes it: exit 64, one clear line (plus the usage hint for
/// usage errors), nothing on stdout, and nothing on disk or in the cluster changed.
final class ReliabilityInputTests: XCTestCase {
    static let badNames = ["", "Shop", "a_b", String(repeating: "a", count: 64), "../x", "a;rm -rf ~", "ünïcode", "-shop"]
    static let badEnvironments = ["", "PROD", "a_b", "../x", "prod!", "staging env"]
    static let badImages = ["UPPER:tag", "a::b", "has space:1", "", "shop:", "shop@sha256:xyz", "Shop/app:1",
                            "registry.example.com/Shop:1", "registry.example.com:99999/shop:1", "reg:0/shop:1", "shop:1\n"]
    static let badDurations = ["", "0s", "-1m", "5 minutes", "abc", "10", "10000000000s", "99999999999999999999d",
                               "1e400s", "3651d"]
    /// Values the shipped templates' patterns refuse (ICU's `$` let the ones with a newline through).
    static let badTemplateValues = ["port=8080\n", "port=08080", "port=65536", "port=0", "port=99999", "port=",
                                    "image_repository=registry.example.com/x\n", "image_repository=Registry/x",
                                    "image_repository=a\u{1b}[2J"]

    /// The command lines to try, each with a word its error line must contain.
    func cases(templates: String) -> [([String], String)] {
        let commands = Set(CommandTable.specs.map(\.name))
        var cases: [([String], String)] = []
        for name in Self.badNames {
            let quotedName = Validate.quoted(name)
            for argv in [["create", name], ["deploy", name, "--image", Reliability.v2], ["logs", name],
                         ["status", name], ["releases", name], ["rollback", name], ["destroy", name, "--yes"],
                         ["scaffold", name, "-t", "python/flask"]] where commands.contains(argv[0]) {
                // A name starting with '-' is an option to the parser: an unknown-option usage error.
                cases.append((argv, name.hasPrefix("-") ? "unknown option" : (name.isEmpty ? "invalid" : quotedName)))
            }
        }
        for environment in Self.badEnvironments {
            for argv in [["create", "shop"], ["deploy", "shop", "--image", Reliability.v2], ["logs", "shop"],
                         ["status", "shop"], ["releases", "shop"], ["destroy", "shop", "--yes"]] where commands.contains(argv[0]) {
                cases.append((argv + ["-e", environment], "invalid environment"))
            }
        }
        for image in Self.badImages {
            cases.append((["create", "shop", "-e", "dev", "--image", image], "invalid image"))
            cases.append((["deploy", "shop", "-e", "dev", "--image", image], "invalid image"))
        }
        for duration in Self.badDurations {
            cases.append((["deploy", "shop", "-e", "dev", "--image", Reliability.v2, "--timeout", duration], "invalid"))
            cases.append((["deploy", "shop", "-e", "dev", "--image", Reliability.v2, "--rollback-timeout", duration], "invalid"))
            cases.append((["logs", "shop", "-e", "dev", "--since", duration], "invalid"))
            cases.append((["logs", "shop", "-e", "dev", "-f", "--follow-for", duration], "invalid"))
        }
        for value in Self.badTemplateValues {
            cases.append((["scaffold", "svc", "-t", "python/flask", "--set", value], "invalid value"))
        }
        for key in ConfigLoader.terraformReservedKeys.sorted() {
            cases.append((["create", "shop", "-e", "dev", "--set", "\(key)=1"], "'\(key)'"))
        }
        cases += [
            (["create", "shop", "-e", "dev", "--set", "db_password"], "expected KEY=VALUE"),
            (["create", "shop", "-e", "dev", "--set", "=x"], "invalid --set key"),
            (["create", "shop", "-e", "dev", "--set", "a-b=x"], "invalid --set key"),
            (["scaffold", "svc", "-t", "python/flask", "--set", "port"], "expected KEY=VALUE"),
            (["create", "shop", "--bogus"], "unknown option '--bogus'"),
            (["deploy", "shop", "--imag", Reliability.v2], "did you mean '--image'"),
            (["logs", "shop", "--tail", "5"], "unknown option '--tail'"),
            (["logs", "shop", "--lines", "0"], "invalid --lines"),
            (["create", "shop", "--replicas", "many"], "invalid replicas"),
            (["deploy", "shop"], "missing --image"),
            (["create"], "missing NAME"),
            (["create", "shop", "extra"], "unexpected argument 'extra'"),
            (["launch", "shop"], "unknown command 'launch'"),
            (["templates", "-o", "yaml"], "invalid output format"),
            (["scaffold", "svc", "-t", "bad/escape", "--templates-dir", templates], "unsafe path"),
            (["scaffold", "svc", "-t", "bad/escape", "--templates-dir", templates, "--set", "sub=../../x"], "unsafe path"),
            (["scaffold", "svc", "-t", "../../etc"], "template"),
        ]
        return cases
    }

    /// What a change would touch: the Deployment's spec and generation (not its status, which the
    /// test server's controllers keep updating).
    func deploymentSpec(_ cluster: TestCluster) throws -> [JSONValue?] {
        let deployment = try cluster.object(kind: "Deployment", namespace: "dev", name: "shop")
        return [deployment?["spec"], deployment?["metadata", "generation"]]
    }

    func testBadInputExits64WithOneClearLineAndChangesNothing() async throws {
        let sandbox = try Sandbox()
        let cluster = try TestCluster(readyDelay: 0.2)
        defer { cluster.stop(); cluster.removeFiles() }
        // A template whose variable renders a path outside the project.
        let templates = sandbox.root + "/templates"
        try sandbox.write(templates + "/bad/escape/template.json",
                          #"{"description": "escapes", "variables": {"sub": {"default": ".."}}}"#)
        try sandbox.write(templates + "/bad/escape/{{sub}}/x.txt", "x")
        await Reliability.createApp(sandbox, cluster)
        let environment = Reliability.environment(sandbox, cluster)

        let before = (work: Sandbox.listing(sandbox.work), state: Sandbox.listing(sandbox.state),
                      home: Sandbox.listing(sandbox.home), requests: try cluster.requests().count,
                      deployment: try deploymentSpec(cluster),
                      tfstate: FileManager.default.contents(atPath: Reliability.workspace(sandbox) + "/terraform.tfstate"))
        XCTAssertNotNil(before.tfstate)
        let table = cases(templates: templates)
        XCTAssertGreaterThan(table.count, 100)
        for (argv, expected) in table {
            let result = await runCLI(argv, environment: environment, directory: sandbox.work)
            let shown = argv.map(shellQuoted).joined(separator: " ")
            XCTAssertEqual(result.status, 64, "platform \(shown): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "platform \(shown)")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertTrue(lines.first?.hasPrefix("error: ") == true, "platform \(shown): \(result.stderr)")
            XCTAssertTrue(lines.count == 1 || (lines.count == 3 && lines[1].hasPrefix("usage: platform ")
                                                   && lines[2].hasPrefix("see 'platform ")),
                          "one clear line (and the usage line and hint): platform \(shown): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "platform \(shown): expected '\(expected)' in \(result.stderr)")
        }
        XCTAssertEqual(Sandbox.listing(sandbox.work), before.work, "nothing written in the working folder")
        XCTAssertEqual(Sandbox.listing(sandbox.home), before.home, "nothing written in HOME")
        let stateAfter = Sandbox.listing(sandbox.state)
        XCTAssertEqual(stateAfter.filter { !$0.hasSuffix("events.jsonl") }, before.state.filter { !$0.hasSuffix("events.jsonl") },
                       "no state changed (the event log may record the failed runs)")
        XCTAssertEqual(FileManager.default.contents(atPath: Reliability.workspace(sandbox) + "/terraform.tfstate"),
                       before.tfstate, "terraform state untouched")
        XCTAssertEqual(try cluster.requests().count, before.requests, "bad input is refused before the cluster is asked")
        XCTAssertEqual(try deploymentSpec(cluster), before.deployment)
        XCTAssertFalse(FileManager.default.fileExists(atPath: sandbox.root + "/x"))
    }

    /// Every bad-input case again with `-o json`: the same exit 64 and error line, and on stdout exactly
    /// one JSON error document, also when the line did not parse (unknown options, missing values).
    func testEveryBadInputWithJSONOutputPrintsOneErrorDocument() async throws {
        let sandbox = try Sandbox()
        let templates = sandbox.root + "/templates"
        try sandbox.write(templates + "/bad/escape/template.json",
                          #"{"description": "escapes", "variables": {"sub": {"default": ".."}}}"#)
        try sandbox.write(templates + "/bad/escape/{{sub}}/x.txt", "x")
        let environment = sandbox.environment(extra: ["KUBECONFIG": sandbox.root + "/no-cluster"])
        for (argv, expected) in cases(templates: templates) where !argv.contains("-o") {
            for spelling in [["-o", "json"], ["--output=json"], ["-ojson"]] {
                let line = spelling + argv
                let result = await runCLI(line, environment: environment, directory: sandbox.work)
                let shown = line.map(shellQuoted).joined(separator: " ")
                XCTAssertEqual(result.status, 64, "platform \(shown): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(expected), "platform \(shown): \(result.stderr)")
                let document = try? JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
                XCTAssertEqual(document?["error", "exitCode"], .number(64), "platform \(shown): stdout \(result.stdout)")
                XCTAssertNotNil(document?["error", "message"]?.stringValue, "platform \(shown)")
            }
        }
        let bogus = await runCLI(["create", "shop", "-o", "json", "--bogus"], environment: environment, directory: sandbox.work)
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: Data(bogus.stdout.utf8))["error", "type"], .string("usage"))
    }

    /// The same through the built binary, for a few cases: the process exit code, not just the in-process one.
    func testBuiltBinaryExits64OnBadInput() async throws {
        let sandbox = try Sandbox()
        for argv in [["create", "Shop"], ["deploy", "shop", "--image", "UPPER:tag"], ["logs", "shop", "--since", "abc"],
                     ["scaffold", "a;rm -rf ~", "-t", "python/flask"], ["create", "shop", "--set", "token"]] {
            let result = try await runProgram([Repo.binary] + argv, environment: sandbox.environment(), directory: sandbox.work)
            XCTAssertEqual(result.status, 64, "\(argv): \(result.stderrText)")
            XCTAssertTrue(result.stderrText.hasPrefix("error: "), result.stderrText)
            XCTAssertEqual(result.stdoutText, "")
        }
        XCTAssertEqual(Sandbox.listing(sandbox.work), [])
    }
}
