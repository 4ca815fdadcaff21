import Foundation
import PlatformCore

public enum OutputFormat: String, Sendable, Equatable {
    case text, json
}

/// The global options, resolved (defaults, environment variables and, after `CommandDefaults.complete`,
/// the user config applied).
public struct GlobalOptions: Sendable, Equatable {
    public var environment: String = "development"
    public var output: OutputFormat = .text
    public var dryRun = false
    public var verbose = false
    public var quiet = false
    public var noColor = false
    /// `--progress` (auto: a live line per phase on a terminal, else plain lines).
    public var progress: ProgressMode = .auto
    /// `--kube-context` and `--kubeconfig` as given.
    public var kubeContext: String?
    public var kubeconfig: String?
    /// Where kubectl goes: `ConfigLoader.kubeContext`'s rule, filled in by `CommandDefaults.complete`.
    public var kube = KubeTarget()
    /// The environments the config marks `protected`, filled in by `CommandDefaults.complete`.
    public var protectedEnvironments: [String] = []
    /// The config's promotion order (`promotion`), filled in by `CommandDefaults.complete`.
    public var promotion: [String]?
    /// Where kubectl goes for each environment the config names (`ConfigLoader.kubeContext`'s rule),
    /// for commands that reach two environments (promote); filled in by `CommandDefaults.complete`.
    public var kubeContexts: [String: String] = [:]

    /// The kube target of `environment`: `--kube-context`, else its `kube_context`, else kubeconfig's current.
    public func kube(for environment: String) -> KubeTarget {
        KubeTarget(context: kubeContext ?? kubeContexts[environment], kubeconfig: kubeconfig)
    }

    public init() {}

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
        if let progress = parsed.value("progress") {
            guard let mode = ProgressMode(rawValue: progress) else {
                throw PlatformError.usage("invalid --progress '\(progress)': use auto, plain, tty or json", command: parsed.command)
            }
            options.progress = mode
        }
        options.kubeContext = parsed.value("kube-context")
        options.kubeconfig = parsed.value("kubeconfig")
        options.kube = KubeTarget(context: options.kubeContext, kubeconfig: options.kubeconfig)
        return options
    }
}

/// What builds a command's context: the process's streams, environment and signals, and the runner
/// a test injects (nil: a real `ProcessRunner`).
public struct CommandServices: Sendable {
    public var io: IOStreams
    public var console: Console
    public var environment: [String: String]
    public var currentDirectory: String
    public var signals: SignalForwarder
    public var runner: CommandRunner?
    public var verbose: Bool
    public var executablePath: String

    /// The context of one run; `secrets` are masked when `--verbose` echoes a child's argv.
    func context(secrets: [String]) -> CommandContext {
        let console = self.console
        var echo: (@Sendable ([String]) -> Void)?
        if verbose {
            echo = { argv in console.detail("+ " + argv.map(shellQuoted).joined(separator: " ")) }
        }
        let runner = self.runner ?? ProcessRunner(environment: environment, signals: signals,
                                                  redactor: Redactor(secrets: secrets), echo: echo)
        return CommandContext(io: io, console: console, environment: environment, runner: runner, signals: signals,
                              currentDirectory: currentDirectory, executablePath: executablePath)
    }
}

/// Everything a command's `run` may touch besides its Options: no globals, no singletons.
public struct CommandContext: Sendable {
    public var io: IOStreams
    public var console: Console
    public var environment: [String: String]
    public var runner: CommandRunner
    public var signals: SignalForwarder
    public var currentDirectory: String
    /// The running binary (templates installed beside it are found from here).
    public var executablePath: String

    public init(io: IOStreams, console: Console, environment: [String: String], runner: CommandRunner,
                signals: SignalForwarder, currentDirectory: String, executablePath: String = "") {
        self.io = io
        self.console = console
        self.environment = environment
        self.runner = runner
        self.signals = signals
        self.currentDirectory = currentDirectory
        self.executablePath = executablePath
    }

    /// The running binary's path: /proc/self/exe, else `argv0` (the process's argv[0]).
    public static func executablePath(argv0: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? argv0
    }

    /// Exit 69 before anything is read or written when a tool the command needs is missing
    /// (otherwise the first missing tool would be found halfway, after state was written).
    public func requireTools(_ tools: [String]) throws {
        for tool in tools { _ = try runner.locate(tool) }
    }
}
