import Foundation
import PlatformCore

/// A command: parse → validate → run, returning a `CommandOutcome` the CLI renders (kubectl's
/// Complete/Validate/Run, gh's Options + runF). `Options` is the command's whole input: the defaults
/// from platform.json, the user config and the environment were filled in before `parse` sees the
/// line (`CommandDefaults.complete`), the kube target included. See docs/architecture.md.
public protocol PlatformCommand: SendableMetatype {
    associatedtype Options: Sendable & Equatable
    static var spec: CommandSpec { get }
    /// The typed options of the completed command line; usage errors only, nothing is read or touched.
    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options
    /// Pure checks of the options; nothing is touched.
    static func validate(_ options: Options) throws
    /// Values `--verbose` masks when it echoes a child's argv (secret `--set` values).
    static func secrets(_ options: Options) -> [String]
    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome
}

public extension PlatformCommand {
    static func validate(_ options: Options) throws {}

    static func secrets(_ options: Options) -> [String] { [] }

    /// Usage error for this command.
    static func usage(_ message: String) -> PlatformError {
        .usage(message, command: spec.name)
    }

    /// Between `min` and `max` positionals (the names in the spec), or a usage error.
    static func positionals(_ parsed: ParsedCommandLine, min: Int, max: Int) throws -> [String] {
        let given = parsed.positionals
        if given.count < min {
            let missing = spec.arguments.dropFirst(given.count).first?.name ?? "argument"
            throw usage("missing \(missing)")
        }
        if given.count > max {
            throw usage("unexpected argument '\(given[max])'")
        }
        return given
    }
}

/// A command in the table, type-erased for dispatch: `execute` is `PlatformCLI.execute` for its type.
public struct CommandEntry: Sendable {
    public let spec: CommandSpec
    public let execute: @Sendable (ParsedCommandLine, GlobalOptions, CommandServices) async throws -> CommandOutcome

    public init<C: PlatformCommand>(_ command: C.Type) {
        spec = C.spec
        execute = { parsed, globals, services in
            try await PlatformCLI.execute(C.self, parsed, globals: globals, services: services)
        }
    }
}
