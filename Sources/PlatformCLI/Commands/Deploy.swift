import Foundation
import PlatformCore

struct DeployCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        var environment: String
        var image: String
        var flags: RolloutFlags
        var force: Bool = false
        var dryRun: Bool
        var output: OutputFormat
        var kube = KubeTarget()
        /// `--commit SHA`: the commit the image was built from.
        var commit: String?
        var yes = false
        /// The config marks the environment `protected`: ask first, or `--yes`.
        var protected = false
        var skipReleaseCommand = false
    }

    static let spec = CommandSpec(
        "deploy", summary: "Deploy a new image of an app, wait for it, roll back when it fails",
        discussion: """
        Changes only the image of the app's container (server-side apply, field manager platform-deploy),
        then watches the Deployment's new ReplicaSet and its Pods. The rollout fails when a pull error
        lasts 20s (InvalidImageName and ErrImageNeverPull at once), when its Pods restart more often
        than once per replica since the deploy began, when pods cannot be created for 20s
        (ReplicaFailure), at the Deployment's progress deadline, or at --timeout. On failure the
        previous release is restored (unless --no-rollback) and waited for. The image that already
        runs is not deployed again (exit 0) unless --force, which restarts the Pods.
        Every deploy is recorded in the ConfigMap platform-releases-NAME ('platform releases NAME').
        The release records the commit the image was built from: --commit SHA, else HEAD when run in
        the app's git repository (DORA lead time runs from its commit time). A protected environment
        (environments.ENV.protected in the config) asks first on a terminal and needs --yes otherwise.
        The release command (platform.json "release", recorded on the Deployment by create) runs first
        as a task with the new image ('platform run'); when it fails the image is not applied (exit 5).
        Exit codes: 0 deployed, 3 failed and rolled back, 4 failed and not rolled back (or the rollback
        failed), 5 the release command failed, 1 other errors, 64 bad input.
        """,
        arguments: [ArgumentSpec.app()],
        options: [OptionSpec("image", value: "IMAGE", help: "Image to deploy, e.g. registry.example.com/shop:1.2.3")]
            + RolloutFlags.specs(timeout: "How long to wait for the rollout (default 5m; 90s, 5m, 1h)",
                                 rollbackTimeout: "How long the rollback may take (default 5m)",
                                 noRollback: "Leave a failed deploy in place (exit 4)")
            + [OptionSpec("force", help: "Deploy the image that already runs: restart the Pods and record a release"),
               OptionSpec("commit", value: "SHA", help: "The git commit the image was built from (default: HEAD of the app's repository)"),
               ReleasePhase.skipOption, Confirmation.yesOption],
        examples: [
            "platform deploy shop --image registry.example.com/shop:1.2.0 -e staging",
            "platform deploy shop --image registry.example.com/shop:1.2.1 --timeout 90s -m 'fix checkout'",
            "platform deploy shop --image registry.example.com/shop:1.3.0 --no-rollback -o json",
            "platform deploy shop -e prod --image registry.example.com/shop:3f2a9c1 --commit 3f2a9c1 --yes",
        ],
        usesGlobals: ["environment", "output", "dry-run", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        guard let image = parsed.value("image") else { throw usage("missing --image IMAGE") }
        return Options(name: name, environment: globals.environment, image: image, flags: try RolloutFlags.parse(parsed),
                       force: parsed.flag("force"), dryRun: globals.dryRun, output: globals.output, kube: globals.kube,
                       commit: parsed.value("commit"), yes: parsed.flag("yes"),
                       protected: globals.protectedEnvironments.contains(globals.environment),
                       skipReleaseCommand: parsed.flag(ReleasePhase.skipOption.long))
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.environment)
        try Validate.image(options.image)
        if let commit = options.commit { try Validate.commit(commit) }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        var request = DeployRequest(app: options.name, environment: options.environment, image: options.image,
                                    timeout: options.flags.timeout, rollbackTimeout: options.flags.rollbackTimeout,
                                    wait: options.flags.wait, rollback: options.flags.rollback,
                                    message: options.flags.message, force: options.force)
        try ReleasePhase.configure(&request, skip: options.skipReleaseCommand, context)
        if !options.dryRun {
            try Confirmation.protectedEnvironment(options.environment, protected: options.protected, yes: options.yes,
                                                  action: "deploy \(options.image) to \(options.name)",
                                                  command: spec.name, context)
            request.commit = await CommitLookup.commit(options.commit, app: options.name, context)
        }
        let service = await deployService(options.kube, context)
        // A configuration staged with 'vars set --stage' ships with the image, in one release.
        let configs = ConfigService(deployer: service)
        let staged = options.dryRun ? nil : try await configs.staged(app: options.name, namespace: options.environment)
        if let staged {
            request.config = staged.config
            request.configFromStage = true  // read again under the configuration lease (DeployService)
            let notes = [options.flags.message].compactMap { $0 } + (staged.messages ?? [])
            request.message = notes.isEmpty ? nil : notes.joined(separator: "; ")
            context.console.progress("Shipping the staged configuration too (\(staged.config.summary), staged by \(staged.user))")
        }
        let plan = DeployPlan(request, kubectl: deployKubectl(options.kube, context))
        if options.dryRun {
            return .render(plan.patch, as: options.output) { patch in
                "Would apply (field manager \(plan.fieldManager)):\n"
                    + String(decoding: (try? patch.encoded(pretty: true)) ?? Data(), as: UTF8.self) + "\n"
                    + ReleasePhase.planLine(plan.request)
                    + "Then wait up to \(DeployService.format(duration: plan.request.timeout)) for the rollout"
                    + (plan.request.rollback ? ", rolling back on failure" : "")
            }
        }
        let run = await service.run(plan)
        if let staged, case .success(let shipped) = run.result {
            // What the deploy shipped: the staged version read again under the lease.
            try await configs.clearStaged(shipped.config ?? staged.config, app: options.name, namespace: options.environment)
        }
        var result = outcome(of: run, options.output)
        result.event.commit = request.commit
        result.ci = await CIReporting.report(command: spec.name, app: options.name, environment: options.environment,
                                             image: options.image, run: run, kube: options.kube, context)
        return result
    }

    /// The outcome of a deploy or rollback: its result (or its failure) and, for the metrics, the image
    /// it applied.
    static func outcome(of run: DeployRun, _ output: OutputFormat) -> CommandOutcome {
        let event = EventDetails(appliedImage: run.appliedImage)
        switch run.result {
        case .failure(let error):
            return CommandOutcome(failure: error, event: event)
        case .success(let outcome) where outcome.unchanged == true:
            var result = CommandOutcome.render(outcome, as: output) { outcome in
                "\(outcome.app) in \(outcome.environment) already runs \(outcome.image)"
                    + (outcome.revision > 0 ? " (release \(outcome.revision))" : "") + ": nothing to deploy"
            }
            if output == .text {
                result.notes = [.detail("Not a new release; '--force' restarts the Pods with the same image")]
            }
            result.event = event
            return result
        case .success(let outcome):
            let what = outcome.result == .applied ? "Applied" : outcome.restarted == true ? "Restarted" : "Deployed"
            var result = CommandOutcome.render(outcome, as: output) { outcome in
                "\(what) \(outcome.image) to \(outcome.app) in \(outcome.environment) (release \(outcome.revision))"
            }
            if output == .text && outcome.result == .applied {
                result.notes = [.detail("Not waiting for the rollout (--no-wait); see 'platform status \(outcome.app)'")]
            }
            result.event = event
            return result
        }
    }
}

/// The rollout options deploy, promote and rollback share (declared once; the help wording is each command's).
struct RolloutFlags: Sendable, Equatable {
    var timeout: Double
    var rollbackTimeout: Double
    var wait: Bool
    var rollback: Bool
    var message: String?

    static func specs(timeout: String, rollbackTimeout: String, noRollback: String) -> [OptionSpec] {
        [
            OptionSpec("timeout", value: "DURATION", help: timeout),
            OptionSpec("rollback-timeout", value: "DURATION", help: rollbackTimeout),
            OptionSpec("no-wait", help: "Apply the image and return without waiting"),
            OptionSpec("no-rollback", help: noRollback),
            OptionSpec("message", short: "m", value: "TEXT", help: "Note recorded with the release"),
        ]
    }

    static func parse(_ parsed: ParsedCommandLine) throws -> RolloutFlags {
        RolloutFlags(timeout: try durationOption(parsed, "timeout", default: 300),
                     rollbackTimeout: try durationOption(parsed, "rollback-timeout", default: 300),
                     wait: !parsed.flag("no-wait"), rollback: !parsed.flag("no-rollback"),
                     message: parsed.value("message"))
    }
}

/// Parses a duration option (`90s`, `5m`, `1h`), or the default when absent.
func durationOption(_ parsed: ParsedCommandLine, _ long: String, default value: Double) throws -> Double {
    guard let text = parsed.value(long) else { return value }
    return try Validate.duration(text, what: "--\(long)")
}

/// The kubectl client for the app commands, aimed at the command's kube target.
func deployKubectl(_ target: KubeTarget, _ context: CommandContext) -> Kubectl {
    Kubectl(runner: context.runner, target: target)
}

func deployService(_ target: KubeTarget, _ context: CommandContext) async -> DeployService {
    let user = await DeployService.user(runner: context.runner, directory: context.currentDirectory,
                                        environment: context.environment)
    return DeployService(kubectl: deployKubectl(target, context), reporter: context.console, signals: context.signals,
                         user: user)
}
