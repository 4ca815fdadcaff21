import Foundation
import PlatformCore

struct LogsCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        var environment: String
        var lines: Int
        var follow: Bool
        var sinceSeconds: Int?
        var container: String?
        var timestamps: Bool
        var grep: String?
        var followLimit: Double?
        var kube = KubeTarget()
    }

    static let spec = CommandSpec(
        "logs", summary: "Print (and follow) the logs of all Pods of an app",
        discussion: """
        Every line is prefixed with '[pod/POD/CONTAINER] ', as 'kubectl logs --prefix' does. Lines are passed through as they arrive and are
        never torn or interleaved mid-line. With --follow the logs keep streaming: Pods that appear later
        (after a deploy) are picked up within a second and Pods that are gone stop being followed, until
        Ctrl-C (exit 130) or --follow-for (also $PLATFORM_LOGS_FOLLOW_LIMIT) ends it with exit 0.
        No pods or no app: exit 1.
        """,
        arguments: [ArgumentSpec.app()],
        options: [
            OptionSpec("lines", short: "n", value: "N", help: "Lines per container from the backlog (default 100)"),
            OptionSpec("follow", short: "f", help: "Keep streaming, picking up new Pods"),
            OptionSpec("since", value: "DURATION", help: "Only lines newer than this (10m, 1h)"),
            OptionSpec("container", short: "c", value: "CONTAINER", help: "Only this container (default: all)"),
            OptionSpec("timestamps", help: "Prefix each line with its timestamp"),
            OptionSpec("grep", value: "TEXT", help: "Only lines containing TEXT"),
            OptionSpec("follow-for", value: "DURATION", help: "With --follow: stop after DURATION (scripts, tests)"),
        ],
        examples: [
            "platform logs shop -e staging",
            "platform logs shop -f --since 10m",
            "platform logs shop --grep ERROR --lines 500",
        ],
        usesGlobals: ["environment", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        let lines = try parsed.value("lines").map { try Validate.positiveInteger($0, what: "--lines", range: 1...1_000_000) } ?? 100
        let since = try parsed.value("since").map { Int(max(1, (try Validate.duration($0, what: "--since")).rounded(.up))) }
        var limit = try parsed.value("follow-for").map { try Validate.duration($0, what: "--follow-for") }
        if limit == nil, let text = environment["PLATFORM_LOGS_FOLLOW_LIMIT"], !text.isEmpty {
            limit = try Validate.duration(text, what: "PLATFORM_LOGS_FOLLOW_LIMIT")
        }
        return Options(name: name, environment: globals.environment, lines: lines, follow: parsed.flag("follow"),
                       sinceSeconds: since, container: parsed.value("container"),
                       timestamps: parsed.flag("timestamps"), grep: parsed.value("grep"), followLimit: limit,
                       kube: globals.kube)
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.environment)
        if let container = options.container {
            try Validate.name(container, what: "--container")
        }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let request = LogsRequest(app: options.name, environment: options.environment, lines: options.lines,
                                  follow: options.follow, sinceSeconds: options.sinceSeconds,
                                  container: options.container, timestamps: options.timestamps, grep: options.grep,
                                  followLimit: options.followLimit)
        let stdout = context.io.stdout
        var service = LogsService(kubectl: deployKubectl(options.kube, context), reporter: context.console,
                                  signals: context.signals)
        if context.io.stdoutIsProcessStdout { service.passthrough = .standardOutput }
        try await service.run(request) { stdout.write($0) }
        return .done
    }
}
