/// What the completion scripts offer for an option's value or a positional argument.
public enum ValueCompletion: Sendable, Equatable {
    case none
    case choices([String])
    case templates
    case environments
    case apps
    case files
    case directories
}

public struct OptionSpec: Sendable, Equatable {
    public var long: String
    public var short: Character?
    /// nil for a flag; otherwise the placeholder shown in help (`ENV`).
    public var valueName: String?
    public var help: String
    public var repeatable: Bool
    public var completion: ValueCompletion

    public init(_ long: String, short: Character? = nil, value: String? = nil, help: String,
                repeatable: Bool = false, completion: ValueCompletion = .none) {
        self.long = long
        self.short = short
        self.valueName = value
        self.help = help
        self.repeatable = repeatable
        self.completion = completion
    }

    public var takesValue: Bool { valueName != nil }

    /// `-e, --environment ENV`
    public var synopsis: String {
        var text = short.map { "-\($0), " } ?? "    "
        text += "--\(long)"
        if let valueName { text += " \(valueName)" }
        return text
    }
}

public struct ArgumentSpec: Sendable, Equatable {
    public var name: String
    public var help: String
    public var optional: Bool
    public var completion: ValueCompletion
    /// The app NAME: when left out, the dispatcher takes the `name` of the project's platform.json
    /// (in the current folder or a parent).
    public var fromProject: Bool

    public init(_ name: String, help: String, optional: Bool = false, completion: ValueCompletion = .none,
                fromProject: Bool = false) {
        self.name = name
        self.help = help
        self.optional = optional || fromProject
        self.completion = completion
        self.fromProject = fromProject
    }

    /// The app NAME of create, deploy, logs, ...: optional inside a project folder.
    public static func app(_ help: String = "The app") -> ArgumentSpec {
        ArgumentSpec("NAME", help: help + " (default: the name in ./platform.json or a parent folder's)",
                     completion: .apps, fromProject: true)
    }
}

public struct CommandSpec: Sendable, Equatable {
    public var name: String
    public var summary: String
    public var discussion: String
    public var arguments: [ArgumentSpec]
    public var options: [OptionSpec]
    public var examples: [String]
    /// Global options this command actually uses, shown in its help (all are accepted anywhere).
    public var usesGlobals: [String]
    /// Internal commands (e.g. `__exec` for benchmarks): parsed and run like any other, but left out
    /// of help, suggestions, completions and the reference docs.
    public var hidden: Bool
    /// The command reports a broken config file itself (doctor, as one of its checks) instead of
    /// stopping at it when its defaults are completed.
    public var reportsConfigErrors: Bool
    /// A command line of its own after `--` (`run NAME -- CMD [ARG...]`): those words are passed on
    /// as they are, never parsed as options or as this command's arguments.
    public var trailing: ArgumentSpec?

    public init(_ name: String, summary: String, discussion: String = "", arguments: [ArgumentSpec] = [],
                trailing: ArgumentSpec? = nil, options: [OptionSpec] = [], examples: [String] = [],
                usesGlobals: [String] = [], hidden: Bool = false, reportsConfigErrors: Bool = false) {
        self.name = name
        self.summary = summary
        self.discussion = discussion
        self.arguments = arguments
        self.options = options
        self.examples = examples
        self.usesGlobals = usesGlobals
        self.hidden = hidden
        self.reportsConfigErrors = reportsConfigErrors
        self.trailing = trailing
    }

    /// The arguments help lists: the positionals, then the command after `--`.
    public var listedArguments: [ArgumentSpec] { arguments + (trailing.map { [$0] } ?? []) }

    public var usageLine: String {
        var parts = ["platform", name]
        for argument in arguments {
            parts.append(argument.optional ? "[\(argument.name)]" : argument.name)
        }
        if !options.isEmpty || !usesGlobals.isEmpty { parts.append("[options]") }
        if let trailing { parts.append("-- \(trailing.name) [ARG...]") }
        return parts.joined(separator: " ")
    }
}

/// Options accepted before or after any command.
public enum GlobalSpec {
    public static let options: [OptionSpec] = [
        OptionSpec("environment", short: "e", value: "ENV",
                   help: "Target environment (default: $PLATFORM_ENVIRONMENT, else development)",
                   completion: .environments),
        OptionSpec("output", short: "o", value: "FORMAT", help: "Output format: text or json",
                   completion: .choices(["text", "json"])),
        OptionSpec("dry-run", help: "Show what would be done and change nothing"),
        OptionSpec("verbose", short: "v", help: "Echo each external command to stderr"),
        OptionSpec("quiet", short: "q", help: "Print only results and errors"),
        OptionSpec("no-color", help: "Never colour the output"),
        OptionSpec("progress", value: "MODE",
                   help: "Progress on stderr: auto (a live line per phase on a terminal, else one line per phase), plain, tty or json (one event per line)",
                   completion: .choices(["auto", "plain", "tty", "json"])),
        OptionSpec("kube-context", value: "CONTEXT", help: "kubectl context to use"),
        OptionSpec("kubeconfig", value: "FILE", help: "kubeconfig file for kubectl", completion: .files),
        OptionSpec("help", short: "h", help: "Show help for the command"),
    ]
}
