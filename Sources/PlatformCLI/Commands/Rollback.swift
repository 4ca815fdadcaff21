import Foundation
import PlatformCore

struct RollbackCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        var environment: String
        var revision: Int?
        var flags: RolloutFlags
        var output: OutputFormat
        var kube = KubeTarget()
        var yes = false
        /// The config marks the environment `protected`: ask first, or `--yes`.
        var protected = false
    }

    static let spec = CommandSpec(
        "rollback", summary: "Re-deploy an earlier release of an app",
        discussion: """
        Re-deploys the image and configuration of release REVISION (default: the newest successful release
        whose image or configuration is not what the Deployment runs now, so a 'vars set' is a release to
        go back to) through the same wait and fail-fast path as 'platform deploy',
        and records itself as a new release. A protected environment asks first on a terminal and needs
        --yes otherwise. Exit codes as for deploy: 0, 3 (failed, restored), 4 (failed), 1, 64.
        """,
        arguments: [ArgumentSpec.app()],
        options: [
            OptionSpec("to", value: "REVISION", help: "Release to go back to (see 'platform releases NAME')"),
        ] + RolloutFlags.specs(timeout: "How long to wait for the rollout (default 5m)",
                               rollbackTimeout: "How long restoring may take if it fails (default 5m)",
                               noRollback: "Leave a failed rollback in place (exit 4)") + [Confirmation.yesOption],
        examples: ["platform rollback shop -e staging", "platform rollback shop --to 12 -m 'bad cache'"],
        usesGlobals: ["environment", "output", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        let revision = try parsed.value("to").map { try Validate.positiveInteger($0, what: "--to revision", range: 1...Int(Int32.max)) }
        return Options(name: name, environment: globals.environment, revision: revision,
                       flags: try RolloutFlags.parse(parsed), output: globals.output, kube: globals.kube, yes: parsed.flag("yes"),
                       protected: globals.protectedEnvironments.contains(globals.environment))
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.environment)
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let request = RollbackRequest(app: options.name, environment: options.environment, revision: options.revision,
                                      timeout: options.flags.timeout, rollbackTimeout: options.flags.rollbackTimeout,
                                      wait: options.flags.wait, rollback: options.flags.rollback,
                                      message: options.flags.message)
        try Confirmation.protectedEnvironment(options.environment, protected: options.protected, yes: options.yes,
                                              action: "roll back \(options.name)", command: spec.name, context)
        let run = await deployService(options.kube, context).rollback(request)
        var result = DeployCommand.outcome(of: run, options.output)
        result.ci = await CIReporting.report(command: spec.name, app: options.name, environment: options.environment,
                                             image: run.appliedImage ?? "", run: run, kube: options.kube, context)
        return result
    }
}
