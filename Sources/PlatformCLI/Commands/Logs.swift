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
        var previous = false
        var maxStreams = LogsService.defaultMaxStreams
    }

    static let spec = CommandSpec(
        "logs", summary: "Print (and follow) the logs of all Pods of an app",
        discussion: """
        Every line is prefixed with '[pod/POD/CONTAINER] ', as 'kubectl logs --prefix' does. Lines are passed through as they arrive and are
        never torn or interleaved mid-line. With --follow the logs keep streaming: Pods that appear later
        (after a deploy) are picked up within a second and Pods that are gone stop being followed, until
        Ctrl-C (exit 130) or --follow-for (also $PLATFORM_LOGS_FOLLOW_LIMIT) ends it with exit 0.
        Init containers, native sidecars and ephemeral containers are shown too (and -c accepts them), as
        stern does; pods without logs (Evicted, not started) are skipped. At most 50 streams at once
        ($PLATFORM_LOGS_MAX_STREAMS). No pods or no app: exit 1.
        """,
        arguments: [ArgumentSpec.app()],
        options: [
            OptionSpec("lines", short: "n", value: "N", help: "Lines per container from the backlog (default 100)"),
            OptionSpec("follow", short: "f", help: "Keep streaming, picking up new Pods"),
            OptionSpec("since", value: "DURATION", help: "Only lines newer than this (10m, 1h)"),
            OptionSpec("container", short: "c", value: "CONTAINER", help: "Only this container (default: all)"),
            OptionSpec("timestamps", help: "Prefix each line with its timestamp"),
            OptionSpec("previous", short: "p", help: "The previous instance's log of each container that restarted"),
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
        var maxStreams = LogsService.defaultMaxStreams
        if let text = environment["PLATFORM_LOGS_MAX_STREAMS"], !text.isEmpty {
            maxStreams = try Validate.positiveInteger(text, what: "PLATFORM_LOGS_MAX_STREAMS", range: 1...1000)
        }
        return Options(name: name, environment: globals.environment, lines: lines, follow: parsed.flag("follow"),
                       sinceSeconds: since, container: parsed.value("container"),
                       timestamps: parsed.flag("timestamps"), grep: parsed.value("grep"), followLimit: limit,
                       kube: globals.kube, previous: parsed.flag("previous"), maxStreams: maxStreams)
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.environment)
        if let container = options.container {
            try Validate.name(container, what: "--container")
        }
        if options.previous && options.follow {
            throw usage("--previous shows a finished log; it cannot be combined with --follow")
        }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        var request = LogsRequest(app: options.name, environment: options.environment, lines: options.lines,
                                  follow: options.follow, sinceSeconds: options.sinceSeconds,
                                  container: options.container, timestamps: options.timestamps, grep: options.grep,
                                  followLimit: options.followLimit)
        request.previous = options.previous
        let stdout = context.io.stdout
        var service = LogsService(kubectl: deployKubectl(options.kube, context), reporter: context.console,
                                  signals: context.signals, maxStreams: options.maxStreams)
        if context.io.stdoutIsProcessStdout { service.passthrough = .standardOutput }
        try await service.run(request) { stdout.write($0) }
        return .done
    }
}
