import Foundation
import PlatformCore

/// `platform open NAME`: the app's URL on stdout, and in the browser when there is a display.
struct OpenCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        var environment: String
        var output: OutputFormat
        var printOnly: Bool
    }

    static let spec = CommandSpec(
        "open", summary: "Print the app's URL and open it in a browser when there is a display",
        discussion: """
        Prints the app URL (NAME.ENV.DOMAIN, as create reports it, from the same configuration)
        on stdout. With a display ($DISPLAY or $WAYLAND_DISPLAY on Linux; always on macOS) and stdout
        on a terminal, it also runs xdg-open (Linux) or open (macOS) with the URL; --print never does.
        A browser that cannot be started is a warning, not a failure: the URL was printed.
        """,
        arguments: [ArgumentSpec.app()],
        options: [OptionSpec("print", help: "Only print the URL, never start a browser")],
        examples: ["platform open shop -e staging", "platform open --print", "platform open shop -o json"],
        usesGlobals: ["environment", "output"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let given = try positionals(parsed, min: 1, max: 1)
        return Options(name: given[0], environment: globals.environment, output: globals.output,
                       printOnly: parsed.flag("print"))
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.environment)
    }

    /// The program that opens a URL here, when a person could see the result.
    static func opener(environment: [String: String], stdoutIsTTY: Bool) -> String? {
        guard stdoutIsTTY else { return nil }
        #if os(macOS)
        return "open"
        #else
        let display = [environment["DISPLAY"], environment["WAYLAND_DISPLAY"]].contains { !($0 ?? "").isEmpty }
        return display ? "xdg-open" : nil
        #endif
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let settings = try ConfigLoader.resolve(flags: SettingsFlags(name: options.name, environment: options.environment),
                                                environment: context.environment, currentDirectory: context.currentDirectory)
        struct Document: Encodable, Sendable { var name: String; var environment: String; var url: String; var opened: Bool }
        var notes: [CommandOutcome.Note] = []
        var opened = false
        if !options.printOnly, let program = opener(environment: context.environment, stdoutIsTTY: context.io.stdoutIsTTY) {
            do {
                let result = try await context.runner.capture(Command(program, [settings.url]), limit: 1 << 16)
                opened = result.succeeded
                if !result.succeeded {
                    notes.append(.warning("\(program) exited with status \(result.status); open the URL yourself"))
                }
            } catch {
                notes.append(.warning("could not start \(program) (\(error)); open the URL yourself"))
            }
        }
        let document = Document(name: options.name, environment: settings.environment.value, url: settings.url, opened: opened)
        return .render(document, as: options.output, notes: notes) { $0.url }
    }
}
