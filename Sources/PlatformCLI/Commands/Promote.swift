import Foundation
import PlatformCore

struct PromoteCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        var from: String
        var to: String
        var allowTag: Bool
        var flags: RolloutFlags
        var yes: Bool
        /// The config marks the target `protected`: ask first, or `--yes`.
        var protected: Bool
        var detailedExitCode: Bool
        var dryRun: Bool
        var output: OutputFormat
        var fromKube = KubeTarget()
        var toKube = KubeTarget()
        var skipReleaseCommand = false
    }

    static let spec = CommandSpec(
        "promote", summary: "Deploy the build that runs in one environment to the next, by digest",
        discussion: """
        Takes the image the app's Deployment runs in --from, checks that it is healthy (every replica
        updated and available), and deploys it to --to by digest (REPOSITORY@sha256:DIGEST, from the pods'
        imageID), so the target runs exactly the bits that were tested, whatever the tag points to now.
        Only the image changes: the target's replicas and configuration stay. The wait, fail-fast and
        rollback are deploy's, and so are the exit codes (0, 3, 4, 1, 64). The release records where
        the build came from ('platform releases' shows it). Without --from, the config's promotion order
        ("promotion": ["development", "staging", "prod"]) names the stage before --to.
        Before acting it prints what each side runs; --dry-run prints only that (--detailed-exitcode:
        2 when the target would change, 0 when it already runs the build). A protected target asks first
        on a terminal and needs --yes otherwise. The target's release command runs first, as for deploy
        (exit 5 when it fails; --skip-release-command).
        """,
        arguments: [ArgumentSpec.app()],
        options: [
            OptionSpec("from", value: "ENV", help: "Environment whose build is promoted (default: the stage before --to)",
                       completion: .environments),
            OptionSpec("to", value: "ENV", help: "Environment that gets the build", completion: .environments),
            OptionSpec("allow-tag", help: "Promote the tag when the source's pods report no digest"),
            OptionSpec("detailed-exitcode", help: "With --dry-run: exit 2 when the target would change"),
        ] + RolloutFlags.specs(timeout: "How long to wait for the rollout (default 5m)",
                               rollbackTimeout: "How long the rollback may take (default 5m)",
                               noRollback: "Leave a failed promotion in place (exit 4)")
            + [ReleasePhase.skipOption, Confirmation.yesOption],
        examples: [
            "platform promote shop --from staging --to prod",
            "platform promote shop --to prod --dry-run --detailed-exitcode",
            "platform promote shop --from staging --to prod --yes -o json",
        ],
        usesGlobals: ["environment", "output", "dry-run", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        guard let to = parsed.value("to") else { throw usage("missing --to ENV") }
        let from: String
        if let given = parsed.value("from") {
            from = given
        } else if let order = globals.promotion {
            guard let index = order.firstIndex(of: to), index > 0 else {
                throw usage("no stage before \(Validate.quoted(to)) in the config's promotion order (\(order.joined(separator: " → "))); give --from ENV")
            }
            from = order[index - 1]
        } else {
            throw usage("missing --from ENV (or set a promotion order in the config: \"promotion\": [\"staging\", \"prod\"])")
        }
        return Options(name: name, from: from, to: to, allowTag: parsed.flag("allow-tag"),
                       flags: try RolloutFlags.parse(parsed), yes: parsed.flag("yes"),
                       protected: globals.protectedEnvironments.contains(to),
                       detailedExitCode: parsed.flag("detailed-exitcode"), dryRun: globals.dryRun,
                       output: globals.output, fromKube: globals.kube(for: from), toKube: globals.kube(for: to),
                       skipReleaseCommand: parsed.flag(ReleasePhase.skipOption.long))
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.from)
        try Validate.environment(options.to)
        if options.from == options.to { throw usage("--from and --to are both \(Validate.quoted(options.to))") }
        if options.detailedExitCode && !options.dryRun { throw usage("--detailed-exitcode goes with --dry-run") }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        try context.requireTools(["kubectl"])
        let request = PromoteRequest(app: options.name, from: options.from, to: options.to, allowTag: options.allowTag,
                                     message: options.flags.message, timeout: options.flags.timeout,
                                     rollbackTimeout: options.flags.rollbackTimeout, wait: options.flags.wait,
                                     rollback: options.flags.rollback)
        let service = PromoteService(source: deployKubectl(options.fromKube, context),
                                     target: deployKubectl(options.toKube, context), reporter: context.console)
        let plan = try await service.plan(request)
        let summary = plan.summary(now: Date())
        if options.dryRun {
            var outcome = CommandOutcome.render(plan, as: options.output) { plan in
                summary + "\n" + (plan.changes ? "Would deploy \(plan.image) to \(plan.app) in \(plan.to.environment)"
                                                : "\(plan.to.environment) already runs \(plan.image): nothing to promote")
            }
            if options.detailedExitCode && plan.changes { outcome.failure = PlatformError.changesPending }
            return outcome
        }
        context.console.progress(summary)
        guard plan.changes else {
            return .render(plan, as: options.output) { plan in
                "\(plan.to.environment) already runs \(plan.image): nothing to promote"
            }
        }
        try Confirmation.protectedEnvironment(options.to, protected: options.protected, yes: options.yes,
                                              action: "deploy \(plan.image) to \(options.name)",
                                              command: spec.name, context)
        var deploy = service.deployRequest(plan, request)
        try ReleasePhase.configure(&deploy, skip: options.skipReleaseCommand, context)
        let run = await deployService(options.toKube, context).run(DeployPlan(deploy, kubectl: deployKubectl(options.toKube, context)))
        var result = DeployCommand.outcome(of: run, options.output)
        result.event.environment = options.to
        result.ci = await CIReporting.report(command: spec.name, app: options.name, environment: options.to,
                                             image: plan.image, run: run, kube: options.toKube, context)
        return result
    }
}
