import Foundation
import PlatformCore

public enum OutputFormat: String, Sendable, Equatable {
    case text, json
}

/// The global options, resolved (defaults and environment variables applied).
public struct GlobalOptions: Sendable, Equatable {
    public var environment: String = "development"
    public var output: OutputFormat = .text
    public var dryRun = false
    public var verbose = false
    public var quiet = false
    public var noColor = false
    public var kubeContext: String?
    public var kubeconfig: String?
    /// The user config's `kube_context` for the environment (see `applyUserConfig`).
    public var configuredKubeContext: String?

    public init() {}

    /// Where kubectl goes: `--kube-context` over the user config's context for the environment.
    public var kubeTarget: KubeTarget {
        KubeTarget(context: kubeContext ?? configuredKubeContext, kubeconfig: kubeconfig)
    }

    public static func from(_ parsed: ParsedCommandLine, environment: [String: String]) throws -> GlobalOptions {
        var options = GlobalOptions()
        if let env = parsed.value("environment") ?? environment["PLATFORM_ENVIRONMENT"].flatMap({ $0.isEmpty ? nil : $0 }) {
            options.environment = env
        }
        if let output = parsed.value("output") {
            guard let format = OutputFormat(rawValue: output) else {
                throw PlatformError.usage("invalid output format '\(output)': use text or json", command: parsed.command)
            }
            options.output = format
        }
        options.dryRun = parsed.flag("dry-run")
        options.verbose = parsed.flag("verbose")
        options.quiet = parsed.flag("quiet")
        options.noColor = parsed.flag("no-color")
        options.kubeContext = parsed.value("kube-context")
        options.kubeconfig = parsed.value("kubeconfig")
        return options
    }
}

extension GlobalOptions {
    /// The organisation and user configs' `default_environment` (when neither `-e` nor
    /// `PLATFORM_ENVIRONMENT` chose one) and per-environment `kube_context` (when `--kube-context` was
    /// not given): the same precedence `create` resolves, so every command targets the same cluster.
    mutating func applyUserConfig(parsed: ParsedCommandLine, environment: [String: String]) throws {
        let user = try ConfigLayers.load(environment: environment).merged
        let chosen = parsed.value("environment") != nil || !(environment["PLATFORM_ENVIRONMENT"] ?? "").isEmpty
        if !chosen, let fallback = user.defaultEnvironment {
            self.environment = fallback
        }
        configuredKubeContext = user.environments?[self.environment]?.kubeContext
    }
}

/// Everything a command's `run` may touch: no globals, no singletons.
public struct CommandContext: Sendable {
    public var io: IOStreams
    public var console: Console
    public var environment: [String: String]
    public var runner: CommandRunner
    public var signals: SignalForwarder
    public var globals: GlobalOptions
    public var currentDirectory: String
    /// What the command reports for its event in events.jsonl (app, image, deploy outcome), shared by
    /// every copy of this context. See docs/metrics.md.
    public var details = RunDetails()

    public init(io: IOStreams, console: Console, environment: [String: String], runner: CommandRunner,
                signals: SignalForwarder, globals: GlobalOptions, currentDirectory: String) {
        self.io = io
        self.console = console
        self.environment = environment
        self.runner = runner
        self.signals = signals
        self.globals = globals
        self.currentDirectory = currentDirectory
    }

    /// Writes one JSON document to stdout (sorted keys, so it is stable).
    public func printJSON<T: Encodable>(_ value: T) throws {
        io.stdout.write(try stableJSONDocument(value))
    }

    /// Exit 69 before anything is read or written when a tool the command needs is missing
    /// (otherwise the first missing tool would be found halfway, after state was written).
    /// Only the real runner looks tools up; a test's fake runner has none to find.
    public func requireTools(_ tools: [String]) throws {
        guard let real = runner as? ProcessRunner else { return }
        for tool in tools { _ = try real.locator.locate(tool) }
    }

    /// Human text on stdout, control characters escaped (lines kept): results show data we did not
    /// write (names, messages from the cluster and from files). JSON and logs do not come here.
    public func print(_ text: String) {
        let shown = TerminalText.escape(text, keepingLines: true)
        io.stdout.write(shown.hasSuffix("\n") ? shown : shown + "\n")
    }
}

/// A command: parse → validate → run (kubectl's Complete/Validate/Run).
public protocol PlatformCommand: SendableMetatype {
    associatedtype Options: Sendable & Equatable
    static var spec: CommandSpec { get }
    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options
    /// Pure checks of the options; nothing is touched.
    static func validate(_ options: Options) throws
    static func run(_ options: Options, _ context: CommandContext) async throws
}

public extension PlatformCommand {
    static func validate(_ options: Options) throws {}

    /// Usage error for this command.
    static func usage(_ message: String) -> PlatformError {
        .usage(message, command: spec.name)
    }

    /// Exactly `count` positionals (the names in the spec), or a usage error.
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

/// A command in the table, type-erased for dispatch.
public struct CommandEntry: Sendable {
    public let spec: CommandSpec
    public let execute: @Sendable (ParsedCommandLine, GlobalOptions, CommandContext) async throws -> Void

    public init<C: PlatformCommand>(_ command: C.Type) {
        spec = C.spec
        execute = { parsed, globals, context in
            let options = try C.parse(parsed, globals: globals, environment: context.environment)
            try C.validate(options)
            try await C.run(options, context)
        }
    }
}
