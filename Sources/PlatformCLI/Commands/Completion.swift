import Foundation
import PlatformCore

struct CompletionCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var shell: CompletionScript.Shell
    }

    static let spec = CommandSpec(
        "completion", summary: "Print the shell completion script for bash, zsh or fish",
        discussion: """
        The script completes commands, options and their values. Template ids, environments and apps
        are looked up when you press TAB (through the hidden 'platform __complete KIND'), so the script
        never goes stale. 'make install' installs the scripts where each shell looks.
        """,
        arguments: [ArgumentSpec("SHELL", help: "bash, zsh or fish",
                                 completion: .choices(CompletionScript.Shell.allCases.map(\.rawValue)))],
        examples: [
            "source <(platform completion bash)",
            "platform completion zsh > \"${fpath[1]}/_platform\"",
            "platform completion fish > ~/.config/fish/completions/platform.fish",
        ])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        guard let shell = CompletionScript.Shell(rawValue: name) else {
            throw PlatformError.invalidInput("invalid shell \(Validate.quoted(name)): use bash, zsh or fish")
        }
        return Options(shell: shell)
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        CommandOutcome(.verbatim(CompletionScript.generate(options.shell, commands: CommandTable.specs)))
    }
}

/// `platform __complete templates|environments|apps`: the values the completion scripts offer, one a
/// line. Hidden; never fails loudly (a broken config gives fewer values, not an error at TAB).
struct CompleteValuesCommand: PlatformCommand {
    enum Kind: String, Sendable, Equatable, CaseIterable {
        case templates, environments, apps
    }

    struct Options: Sendable, Equatable {
        var kind: Kind
    }

    static let spec = CommandSpec(
        "__complete", summary: "Print completion values of one kind, one a line",
        arguments: [ArgumentSpec("KIND", help: "templates, environments or apps")], hidden: true)

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        guard let kind = Kind(rawValue: name) else {
            throw PlatformError.invalidInput("invalid kind \(Validate.quoted(name)): use templates, environments or apps")
        }
        return Options(kind: kind)
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let values: [String]
        switch options.kind {
        case .templates:
            // Only what is on disk: a completion never runs git.
            var store = try? await templateStore(nil, context, cachedOnly: true)
            if store == nil { store = try? await templateStore(nil, context, useSource: false) }
            values = ((try? store?.list()) ?? []).map(\.id).filter { !$0.hasPrefix("terraform/") }
        case .environments:
            values = CompletionValues.environments(environment: context.environment)
        case .apps:
            values = CompletionValues.apps(environment: context.environment, currentDirectory: context.currentDirectory)
        }
        // One value a line: a name holding a control character (a newline would make it two values,
        // an escape sequence would reach the terminal) is not offered.
        let printable = values.filter { !$0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f } }
        return .text(Array(Set(printable)).sorted().map { $0 + "\n" }.joined())
    }
}

/// Where the dynamic completion values come from.
enum CompletionValues {
    static func subfolders(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }
    }

    /// The environments of the organisation and user configs, the default, and those with workspaces in
    /// the state folder.
    static func environments(environment: [String: String]) -> [String] {
        var names: [String] = []
        if let config = try? ConfigLayers.load(environment: environment).merged {
            names += config.environments?.keys.map { $0 } ?? []
            if let name = config.defaultEnvironment { names.append(name) }
        }
        if let state = EventLog.stateDirectory(environment: environment) {
            names += subfolders(state + "/workspaces")
        }
        return names.filter(Validate.isDNS1035Label)
    }

    /// Apps with workspaces in the state folder and this project's name. Never the event log: it
    /// grows with every run, and TAB must stay instant (it took 15 s at 100k events).
    static func apps(environment: [String: String], currentDirectory: String) -> [String] {
        var names: [String] = []
        if let state = EventLog.stateDirectory(environment: environment) {
            for env in subfolders(state + "/workspaces") { names += subfolders(state + "/workspaces/" + env) }
        }
        if let name = (try? ConfigLoader.projectAppName(from: currentDirectory)) ?? nil {
            names.append(name)
        }
        return names.filter(Validate.isDNS1035Label)
    }
}
