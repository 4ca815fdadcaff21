import PlatformCore

struct VersionCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var output: OutputFormat
    }

    static let spec = CommandSpec(
        "version", summary: "Print the platform version",
        examples: ["platform version", "platform version -o json"], usesGlobals: ["output"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        _ = try positionals(parsed, min: 0, max: 0)
        return Options(output: globals.output)
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        .render(["version": platformVersion], as: options.output) { _ in "platform \(platformVersion)" }
    }
}

struct HelpCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var topic: String?
    }

    static let spec = CommandSpec(
        "help", summary: "Show help for platform or one of its commands",
        arguments: [ArgumentSpec("COMMAND", help: "The command to explain", optional: true)],
        examples: ["platform help", "platform help deploy"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        Options(topic: try positionals(parsed, min: 0, max: 1).first)
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        guard let topic = options.topic else {
            return CommandOutcome(.verbatim(Help.main(commands: CommandTable.specs)))
        }
        guard let spec = CommandTable.specs.first(where: { $0.name == topic }) else {
            let hint = ArgumentParser(commands: CommandTable.specs).suggestion(topic, among: CommandTable.specs.map(\.name))
            throw usage("unknown command '\(topic)'\(hint)")
        }
        return CommandOutcome(.verbatim(Help.command(spec)))
    }
}
