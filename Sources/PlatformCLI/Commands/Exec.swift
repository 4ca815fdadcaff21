import PlatformCore

/// `platform __exec [--repeat N] -- PROGRAM [ARG...]`: a hidden, internal command for the benchmarks
/// (`make bench`). It runs PROGRAM through the same `CommandRunner` every other command uses, N times
/// one after the other, so the runner's cost per child can be measured against running it directly.
/// Exit 0 when every run exited 0; 1 (tool failed) otherwise; 69 when PROGRAM is not on PATH.
struct ExecCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var argv: [String]
        var repeatCount: Int
    }

    static let spec = CommandSpec(
        "__exec", summary: "Run a program through the platform's process runner (internal, for benchmarks)",
        arguments: [ArgumentSpec("PROGRAM", help: "Program and arguments, after '--'")],
        options: [OptionSpec("repeat", value: "N", help: "Run it N times in a row (default 1; 0 runs nothing)")],
        examples: ["platform __exec -- /bin/true", "platform __exec --repeat 100 -- /bin/true"],
        usesGlobals: ["verbose"], hidden: true)

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let argv = try positionals(parsed, min: 1, max: Int.max)
        let count = try parsed.value("repeat").map {
            try Validate.positiveInteger($0, what: "--repeat", range: 0...1_000_000)
        } ?? 1
        return Options(argv: argv, repeatCount: count)
    }

    static func validate(_ options: Options) throws {
        if options.argv[0].isEmpty {
            throw PlatformError.invalidInput("invalid PROGRAM '': name a program on PATH or an absolute path")
        }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let command = Command(options.argv[0], Array(options.argv.dropFirst()))
        for _ in 0..<options.repeatCount {
            let status = try await context.runner.stream(command, stdout: .standardOutput, stderr: .standardError)
            guard status == 0 else {
                throw PlatformError.toolFailed(argv: command.argv, status: status, stderrTail: "")
            }
        }
        return .done
    }
}
