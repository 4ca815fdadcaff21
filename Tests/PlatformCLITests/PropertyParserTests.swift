import Foundation
import PlatformCore
import PlatformTestSupport
import XCTest
@testable import PlatformCLI

/// Property tests of the command line over generated argv vectors (a seeded generator, so every
/// failure names a seed and the argv that reproduce it).
///
/// - PLATFORM_FUZZ_ITERATIONS: vectors for the whole-CLI property (default 10,000; the well-formed
///   property runs a quarter of that)
/// - PLATFORM_FUZZ_SEED: the seed (default fixed, so CI runs are repeatable)
final class PropertyParserTests: XCTestCase {
    static let documentedExitCodes: Set<Int32> = [0, 1, 2, 3, 4, 5, 64, 69]

    var iterations: Int {
        ProcessInfo.processInfo.environment["PLATFORM_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 10_000
    }

    var seed: UInt64 {
        ProcessInfo.processInfo.environment["PLATFORM_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_CAFE
    }

    /// Every generated command line, run in-process with a runner that accepts nothing (so nothing is
    /// executed), ends in a documented exit code without crashing; failures say what went wrong on
    /// stderr in a line starting with "error: ", and nothing but a JSON document reaches stdout on an error.
    func testEveryCommandLineEndsInADocumentedExitCode() async throws {
        let sandbox = try Sandbox()
        let environment = sandbox.environment(extra: ["PATH": "/nonexistent"])
        var generator = ArgvGenerator(seed: seed, specs: CommandTable.specs)
        var seen: [Int32: Int] = [:]
        for index in 0..<iterations {
            let argv = generator.commandLine()
            let runner = FakeCommandRunner()
            // A state folder per vector: events.jsonl would otherwise grow with every run and make
            // `metrics` (which reads it all) slower and slower.
            let state = sandbox.state + "/\(index)"
            var vectorEnvironment = environment
            vectorEnvironment["PLATFORM_STATE_DIR"] = state
            let result = await runCLI(argv, environment: vectorEnvironment, directory: sandbox.work, runner: runner)
            try? FileManager.default.removeItem(atPath: state)
            seen[result.status, default: 0] += 1
            let context = "seed \(seed), vector \(index): \(argv.map(shellQuoted).joined(separator: " "))"
            guard Self.documentedExitCodes.contains(result.status) else {
                XCTFail("exit \(result.status) is not documented; \(context)\nstderr: \(result.stderr)")
                return
            }
            let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
            if result.status == 64 && !argv.isEmpty {
                // Bad input is caught up front: one clear line first, and at most a JSON error document on stdout.
                guard lines.first?.hasPrefix("error: ") == true else {
                    XCTFail("exit 64 without an 'error: ' line first; \(context)\nstderr: \(result.stderr)")
                    return
                }
                if !result.stdout.isEmpty {
                    guard (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) != nil else {
                        XCTFail("a usage error printed non-JSON on stdout; \(context)\nstdout: \(result.stdout)")
                        return
                    }
                }
            } else if result.status == 1 || result.status == 69 {
                guard lines.contains(where: { $0.hasPrefix("error: ") }) || result.stderr.contains("✗") else {
                    XCTFail("exit \(result.status) without an error line; \(context)\nstderr: \(result.stderr)")
                    return
                }
            }
        }
        // The generator must reach both sides of the parser, or the property says little.
        XCTAssertGreaterThan(seen[64, default: 0], iterations / 10, "\(seen)")
        XCTAssertGreaterThan(seen[0, default: 0] + seen[1, default: 0], iterations / 20, "\(seen)")
    }

    /// Well-formed command lines built from the table, in every spelling the parser accepts (`--long v`,
    /// `--long=v`, `-s v`, `-sv`, bundled short flags, options before and after the command, `--`),
    /// parse to exactly the values that were put in.
    func testWellFormedCommandLinesParseToWhatWasGenerated() throws {
        let parser = ArgumentParser(commands: CommandTable.specs)
        var generator = ArgvGenerator(seed: seed &+ 1, specs: CommandTable.specs)
        for index in 0..<(iterations / 4) {
            let (argv, expected) = generator.wellFormed()
            let context = "seed \(seed &+ 1), vector \(index): \(argv.map(shellQuoted).joined(separator: " "))"
            let parsed: ParsedCommandLine
            do {
                parsed = try parser.parse(argv)
            } catch {
                XCTFail("\(error); \(context)")
                return
            }
            guard parsed == expected else {
                XCTFail("parsed \(parsed)\n expected \(expected); \(context)")
                return
            }
        }
    }

    /// The generator is deterministic: the same seed gives the same vectors.
    func testGeneratorIsRepeatable() {
        var a = ArgvGenerator(seed: 42, specs: CommandTable.specs)
        var b = ArgvGenerator(seed: 42, specs: CommandTable.specs)
        for _ in 0..<200 { XCTAssertEqual(a.commandLine(), b.commandLine()) }
    }
}

/// SplitMix64: small, seedable, good enough to pick words.
struct SeededRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Builds argv vectors from the command table's vocabulary, random strings, `--`, `-`, `=` forms and
/// unicode. Never `~` or absolute paths outside /tmp-like names, so nothing can reach the user's files.
struct ArgvGenerator {
    var random: SeededRandom
    let specs: [CommandSpec]
    let globals = GlobalSpec.options

    init(seed: UInt64, specs: [CommandSpec]) {
        random = SeededRandom(state: seed)
        self.specs = specs
    }

    static let values = [
        "", "shop", "Shop", "a_b", "../x", "a;rm -rf x", "ünïcödé", "名前", "x-", "-x", "--", "-", "=", "a=b",
        "password=hunter2", "port=9090", "port", "=value", "90s", "5m", "1h30m", "0s", "-1", "abc", "10",
        "0", "999999999999999999999", "json", "text", "yaml", "bash", "zsh", "fish", "python/flask",
        "node/express", "python/nope", "UPPER:tag", "a::b", "registry.example.com/shop:1.2.3", "has space",
        "staging", "prod", "development", String(repeating: "a", count: 64), String(repeating: "b", count: 300),
        "templates", "environments", "apps", "\u{0}", "\u{1B}[31m", "line\nbreak", "./dir", "nested/dir",
    ]

    static let alphabet = Array("abcXYZ019-_=./:@ ;$`'\"\\é€😀\t")

    mutating func randomString() -> String {
        String((0..<random.below(12)).map { _ in random.pick(Self.alphabet) })
    }

    mutating func value() -> String {
        random.chance(75) ? random.pick(Self.values) : randomString()
    }

    mutating func word(command: CommandSpec?) -> [String] {
        let options = globals + (command?.options ?? []) + (random.chance(10) ? specs.flatMap(\.options) : [])
        switch random.below(10) {
        case 0:
            return [random.pick(specs).name]
        case 1, 2, 3:
            let option = random.pick(options)
            if option.takesValue {
                switch random.below(4) {
                case 0: return ["--\(option.long)=\(value())"]
                case 1: return ["--\(option.long)"]  // the value may be missing at the end
                default: return ["--\(option.long)", value()]
                }
            }
            return random.chance(10) ? ["--\(option.long)=\(value())"] : ["--\(option.long)"]
        case 4:
            let shorts = options.compactMap(\.short)
            guard !shorts.isEmpty else { return ["-"] }
            let count = 1 + random.below(3)
            return ["-" + String((0..<count).map { _ in random.pick(shorts) }) + (random.chance(30) ? value() : "")]
        case 5:
            return [random.pick(["--", "-", "---", "--=", "-=", "--help", "-h", "--version"])]
        case 6:
            return ["--" + randomString()]
        default:
            return [value()]
        }
    }

    /// Anything: mostly a command first, then random words.
    mutating func commandLine() -> [String] {
        var argv: [String] = []
        var command: CommandSpec?
        if random.chance(85) {
            command = random.pick(specs)
            if random.chance(20) { argv += word(command: nil) }
            argv.append(command!.name)
        }
        for _ in 0..<random.below(7) { argv += word(command: command) }
        // --help makes most vectors exit 0 without running; keep it rare so the commands run.
        if argv.contains("--help") || argv.contains("-h"), random.chance(70) {
            argv.removeAll { $0 == "--help" || $0 == "-h" }
        }
        return argv
    }

    /// A command line the parser must accept, with the parse it must give.
    mutating func wellFormed() -> ([String], ParsedCommandLine) {
        let command = random.pick(specs)
        var expected = ParsedCommandLine()
        expected.command = command.name
        let options = globals.filter { $0.long != "help" } + command.options
        // (option, value) in the order they will stand on the command line: before the command, then after.
        var beforeItems: [(OptionSpec, String?)] = []
        var afterItems: [(OptionSpec, String?)] = []
        for _ in 0..<random.below(6) {
            let option = random.pick(options)
            let value: String? = option.takesValue
                ? (random.chance(50) ? random.pick(Self.values.filter { !$0.hasPrefix("-") && !$0.isEmpty })
                                     : "v" + randomString().replacingOccurrences(of: "-", with: "x"))
                : nil
            if globals.contains(option) && random.chance(30) {
                beforeItems.append((option, value))
            } else {
                afterItems.append((option, value))
            }
        }
        var pendingShortFlags: [Character] = []
        func spell(_ items: [(OptionSpec, String?)]) -> [String] {
            var argv: [String] = []
            for (option, value) in items {
                if let value {
                    switch random.below(option.short != nil ? 4 : 2) {
                    case 0: argv += ["--\(option.long)", value]
                    case 1: argv.append("--\(option.long)=\(value)")
                    case 2: argv += ["-\(option.short!)", value]
                    default: argv.append("-\(option.short!)\(value)")
                    }
                    if option.repeatable {
                        expected.values[option.long, default: []].append(value)
                    } else {
                        expected.values[option.long] = [value]
                    }
                } else {
                    if let short = option.short, random.chance(50) {
                        pendingShortFlags.append(short)
                    } else {
                        argv.append("--\(option.long)")
                    }
                    expected.flags.insert(option.long)
                }
            }
            return argv
        }
        let before = spell(beforeItems)
        var after = spell(afterItems)
        if !pendingShortFlags.isEmpty {
            after.append("-" + String(pendingShortFlags))
        }
        let positionalCount = random.below(3)
        var positionals: [String] = []
        for _ in 0..<positionalCount {
            positionals.append(random.pick(["shop", "x", "bash", "ünïcödé", "a=b", "has space"]))
        }
        var argv = before + [command.name] + after
        if random.chance(30) {
            let tricky = random.pick(["--not-an-option", "-x", "-", "--"])
            argv += positionals + ["--", tricky]
            if command.trailing != nil {
                expected.trailing = [tricky]  // `run NAME -- CMD`: the task's words, not positionals
            } else {
                positionals.append(tricky)
            }
        } else {
            argv += positionals
        }
        expected.positionals = positionals
        return (argv, expected)
    }
}
