import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

/// Property tests over data that arrives through files, templates and the cluster (not argv):
/// generated platform.json files, template manifests with `--set` values, and release histories.
/// Whatever they hold, the CLI ends in 0 or 64 with an `error: ` line, never traps, never renders a
/// git folder, and a history is either refused or holds only valid revisions. Seeded like
/// `PropertyParserTests` (PLATFORM_FUZZ_SEED, PLATFORM_FUZZ_ITERATIONS / 20 vectors per property).
final class PropertyDataTests: XCTestCase {
    var iterations: Int {
        (ProcessInfo.processInfo.environment["PLATFORM_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 10_000) / 20
    }

    var seed: UInt64 {
        ProcessInfo.processInfo.environment["PLATFORM_FUZZ_SEED"].flatMap(UInt64.init) ?? 0xDA7A_5EED
    }

    static let scalars = ["3.5", "1e309", "-1", "0", "1", "2", "9223372036854775807", "99999999999999999999", "1.0e2",
                          "-4", "true", "null", "[]", "{}", #""""#, #""shop""#, #""Shop""#, #""\u001b[2J""#,
                          #""x\ny""#, #"".git""#, #""../x""#, #""https://u:TOKEN@h.example/m""#, #""8080\n""#]
    static let strings = ["shop", ".git", ".GIT", "git~1", "..", "a/b", "x\n", "\u{1b}]0;T\u{07}", "$(touch${IFS}PWNED)",
                          "platform.json", ".platform", "08080", "65536", "8080", "", "registry.example.com/x", "名前"]

    func testGeneratedProjectFilesEndIn0Or64() async throws {
        let sandbox = try Sandbox()
        var random = SeededRandom(state: seed)
        let keys = ["name", "port", "replicas", "image", "healthPath", "metricsPath", "overrides", "bogus", "environments"]
        for index in 0..<iterations {
            var fields: [String] = []
            for _ in 0..<random.below(5) {
                fields.append("\"\(random.pick(keys))\": \(random.pick(Self.scalars))")
            }
            let text = random.chance(5) ? "{" + fields.joined(separator: ",") : "{" + fields.joined(separator: ", ") + "}"
            try sandbox.write(sandbox.work + "/platform.json", text)
            let result = await runCLI(["config", "show", "shop", "-e", "dev"], environment: sandbox.environment(),
                                      directory: sandbox.work, runner: FakeCommandRunner())
            let context = "seed \(seed), vector \(index): platform.json \(text)"
            XCTAssertTrue([0, 64].contains(result.status), "exit \(result.status); \(context)\n\(result.stderr)")
            if result.status == 64 {
                XCTAssertTrue(result.stderr.hasPrefix("error: "), "\(context)\n\(result.stderr)")
            }
            XCTAssertFalse(result.stdout.contains("TOKEN"), "a URL credential shown; \(context)")
            XCTAssertFalse(result.stdout.contains("\u{1b}"), "an escape reached stdout; \(context)")
        }
    }

    func testGeneratedTemplatesNeverRenderAGitFolder() async throws {
        let sandbox = try Sandbox()
        var random = SeededRandom(state: seed &+ 7)
        for index in 0..<iterations {
            let template = sandbox.root + "/t\(index)"
            var variables: [String] = []
            let pattern = random.pick([nil, "^[0-9]{2,5}$", "[a-z.]+", "(", "^(?:[1-9][0-9]{0,3})$"] as [String?])
            let value = random.pick(Self.strings)
            variables.append("\"v\": {\"default\": \(String(decoding: try JSONEncoder().encode(value), as: UTF8.self))"
                             + (pattern.map { ", \"pattern\": \(String(decoding: try! JSONEncoder().encode($0), as: UTF8.self))" } ?? "") + "}")
            try sandbox.write(template + "/template.json", "{\"description\": \"d\", \"variables\": {\(variables.joined(separator: ", "))}}")
            try sandbox.write(template + "/" + random.pick(["{{v}}/config", "{{v}}", "a/{{v}}/b", "README.md"]), "x\n")
            if random.chance(30) { try sandbox.write(template + "/platform.json", "{}\n") }
            var argv = ["scaffold", "svc", "--template", template, "--dry-run", "--no-git"]
            if random.chance(50) { argv += ["--set", "v=" + random.pick(Self.strings)] }
            let result = await runCLI(argv, environment: sandbox.environment(), directory: sandbox.work, runner: FakeCommandRunner())
            let context = "seed \(seed &+ 7), vector \(index): \(argv.map(shellQuoted).joined(separator: " "))"
            XCTAssertTrue([0, 64].contains(result.status), "exit \(result.status); \(context)\n\(result.stderr)")
            if result.status == 64 { XCTAssertTrue(result.stderr.hasPrefix("error: "), "\(context)\n\(result.stderr)") }
            for line in result.stdout.split(separator: "\n") where line.hasPrefix("  ") {
                XCTAssertFalse(RenderedPathRules.hasGitComponent(line.trimmingCharacters(in: .whitespaces)),
                               "a git folder planned: \(line); \(context)")
            }
        }
        XCTAssertEqual(Sandbox.listing(sandbox.work), [], "dry runs wrote nothing")
    }

    func testGeneratedReleaseHistoriesAreRefusedOrValid() throws {
        var random = SeededRandom(state: seed &+ 13)
        for index in 0..<(iterations * 4) {
            var entries: [String] = []
            for _ in 0..<random.below(4) {
                let revision = random.pick(["1", "2", "0", "-4", "2147483647", "2147483648", "9223372036854775807",
                                            "99999999999999999999", "1.5", "\"3\"", "null"])
                var fields = ["\"revision\": \(revision)", "\"image\": \"registry.example.com/shop:1\"", "\"user\": \"u\"",
                              "\"time\": \"2026-11-30T10:00:00Z\"", "\"result\": \"succeeded\"", "\"kind\": \"deploy\""]
                if random.chance(30) { fields.append("\"rollbackOf\": \(random.pick(["1", "-1", "0", "1e30"]))") }
                if random.chance(10) { fields.removeLast(random.below(3) + 1) }
                entries.append("{" + fields.joined(separator: ", ") + "}")
            }
            let text = random.chance(5) ? "[" + entries.joined(separator: ",") : "[" + entries.joined(separator: ", ") + "]"
            let configMap: JSONValue = .object(["metadata": .object(["name": .string("platform-releases-shop")]),
                                                "data": .object(["releases": .string(text)])])
            guard let history = try? ReleaseHistory(configMap: configMap) else { continue }
            for release in history.releases {
                XCTAssertTrue((1...ReleaseHistory.maximumRevision).contains(release.revision), "vector \(index): \(text)")
            }
            _ = try? history.checkedNextRevision()
            XCTAssertGreaterThan(history.nextRevision, 0, "vector \(index): \(text)")
        }
    }
}
