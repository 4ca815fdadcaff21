import Foundation
import PlatformCore

struct RollbackCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        var environment: String
        var revision: Int?
        var timeout: Double
        var rollbackTimeout: Double
        var wait: Bool
        var rollback: Bool
        var message: String?
        var output: OutputFormat
    }

    static let spec = CommandSpec(
        "rollback", summary: "Re-deploy an earlier release of an app",
        discussion: """
        Re-deploys the image of release REVISION (default: the newest successful release whose image is
        not the one the Deployment runs now) through the same wait and fail-fast path as 'platform deploy',
        and records itself as a new release. Exit codes as for deploy: 0, 3 (failed, restored), 4 (failed), 1, 64.
        """,
        arguments: [ArgumentSpec.app()],
        options: [
            OptionSpec("to", value: "REVISION", help: "Release to go back to (see 'platform releases NAME')"),
            OptionSpec("timeout", value: "DURATION", help: "How long to wait for the rollout (default 5m)"),
            OptionSpec("rollback-timeout", value: "DURATION", help: "How long restoring may take if it fails (default 5m)"),
            OptionSpec("no-wait", help: "Apply the image and return without waiting"),
            OptionSpec("no-rollback", help: "Leave a failed rollback in place (exit 4)"),
            OptionSpec("message", short: "m", value: "TEXT", help: "Note recorded with the release"),
        ],
        examples: ["platform rollback shop -e staging", "platform rollback shop --to 12 -m 'bad cache'"],
        usesGlobals: ["environment", "output", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        let revision = try parsed.value("to").map { try Validate.positiveInteger($0, what: "--to revision", range: 1...Int(Int32.max)) }
        return Options(name: name, environment: globals.environment, revision: revision,
                       timeout: try durationOption(parsed, "timeout", default: 300),
                       rollbackTimeout: try durationOption(parsed, "rollback-timeout", default: 300),
                       wait: !parsed.flag("no-wait"), rollback: !parsed.flag("no-rollback"),
                       message: parsed.value("message"), output: globals.output)
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.environment)
    }

    static func run(_ options: Options, _ context: CommandContext) async throws {
        let kubectl = deployKubectl(context)
        let history = try await ReleaseStore(kubectl: kubectl).read(app: options.name, namespace: options.environment)
        // The default target is judged against what runs now, not against the history alone.
        let liveImage = try await kubectl.deployment(options.name, namespace: options.environment)
            .flatMap { RolloutRules.image(of: $0, container: options.name) }
        let target = try RollbackPlanner.target(history, to: options.revision, liveImage: liveImage, app: options.name)
        context.console.progress("Going back to release \(target.revision) of \(options.name): \(target.image)"
                                 + (target.config.map { " (\($0.summary))" } ?? ""))
        let request = DeployRequest(app: options.name, environment: options.environment, image: target.image,
                                    timeout: options.timeout, rollbackTimeout: options.rollbackTimeout,
                                    wait: options.wait, rollback: options.rollback, message: options.message,
                                    kind: .rollback, rollbackOf: target.revision,
                                    config: target.config ?? .empty)  // the image and configuration of that release
        let outcome = try await deployService(context).deploy(request)
        DeployCommand.report(outcome, options.output, context)
    }
}
