import Foundation
import PlatformCore

struct DeployCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        var environment: String
        var image: String
        var timeout: Double
        var rollbackTimeout: Double
        var wait: Bool
        var rollback: Bool
        var message: String?
        var force: Bool = false
        var dryRun: Bool
        var output: OutputFormat
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
        Exit codes: 0 deployed, 3 failed and rolled back, 4 failed and not rolled back (or the rollback
        failed), 1 other errors, 64 bad input.
        """,
        arguments: [ArgumentSpec.app()],
        options: [
            OptionSpec("image", value: "IMAGE", help: "Image to deploy, e.g. registry.example.com/shop:1.2.3"),
            OptionSpec("timeout", value: "DURATION", help: "How long to wait for the rollout (default 5m; 90s, 5m, 1h)"),
            OptionSpec("rollback-timeout", value: "DURATION", help: "How long the rollback may take (default 5m)"),
            OptionSpec("no-wait", help: "Apply the image and return without waiting"),
            OptionSpec("no-rollback", help: "Leave a failed deploy in place (exit 4)"),
            OptionSpec("message", short: "m", value: "TEXT", help: "Note recorded with the release"),
            OptionSpec("force", help: "Deploy the image that already runs: restart the Pods and record a release"),
        ],
        examples: [
            "platform deploy shop --image registry.example.com/shop:1.2.0 -e staging",
            "platform deploy shop --image registry.example.com/shop:1.2.1 --timeout 90s -m 'fix checkout'",
            "platform deploy shop --image registry.example.com/shop:1.3.0 --no-rollback -o json",
        ],
        usesGlobals: ["environment", "output", "dry-run", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        guard let image = parsed.value("image") else { throw usage("missing --image IMAGE") }
        return Options(name: name, environment: globals.environment, image: image,
                       timeout: try durationOption(parsed, "timeout", default: 300),
                       rollbackTimeout: try durationOption(parsed, "rollback-timeout", default: 300),
                       wait: !parsed.flag("no-wait"), rollback: !parsed.flag("no-rollback"),
                       message: parsed.value("message"), force: parsed.flag("force"), dryRun: globals.dryRun,
                       output: globals.output)
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.environment)
        try Validate.image(options.image)
    }

    static func run(_ options: Options, _ context: CommandContext) async throws {
        let request = DeployRequest(app: options.name, environment: options.environment, image: options.image,
                                    timeout: options.timeout, rollbackTimeout: options.rollbackTimeout,
                                    wait: options.wait, rollback: options.rollback, message: options.message,
                                    force: options.force)
        if options.dryRun {
            let document = deployKubectl(context).imagePatch(app: options.name, namespace: options.environment,
                                                                  image: options.image)
            if options.output == .json {
                try context.printJSON(document)
            } else {
                context.print("Would apply (field manager \(AppConventions.deployFieldManager)):")
                context.print(String(decoding: try document.encoded(pretty: true), as: UTF8.self))
                context.print("Then wait up to \(DeployService.format(duration: options.timeout)) for the rollout"
                              + (options.rollback ? ", rolling back on failure" : ""))
            }
            return
        }
        let outcome = try await deployService(context).deploy(request)
        report(outcome, options.output, context)
    }

    static func report(_ outcome: DeployOutcome, _ output: OutputFormat, _ context: CommandContext) {
        if output == .json {
            try? context.printJSON(outcome)
            return
        }
        if outcome.unchanged == true {
            let release = outcome.revision > 0 ? " (release \(outcome.revision))" : ""
            context.print("\(outcome.app) in \(outcome.environment) already runs \(outcome.image)\(release): nothing to deploy")
            context.console.detail("Not a new release; '--force' restarts the Pods with the same image")
            return
        }
        let what = outcome.result == .applied ? "Applied" : outcome.restarted == true ? "Restarted" : "Deployed"
        context.print("\(what) \(outcome.image) to \(outcome.app) in \(outcome.environment) (release \(outcome.revision))")
        if outcome.result == .applied {
            context.console.detail("Not waiting for the rollout (--no-wait); see 'platform status \(outcome.app)'")
        }
    }
}

/// Parses a duration option (`90s`, `5m`, `1h`), or the default when absent.
func durationOption(_ parsed: ParsedCommandLine, _ long: String, default value: Double) throws -> Double {
    guard let text = parsed.value(long) else { return value }
    return try Validate.duration(text, what: "--\(long)")
}

/// The kubectl client for the app commands: `--kube-context` and `--kubeconfig` pass through.
func deployKubectl(_ context: CommandContext) -> Kubectl {
    Kubectl(runner: context.runner,
            target: context.globals.kubeTarget)
}

func deployService(_ context: CommandContext) async -> DeployService {
    let user = await DeployService.user(runner: context.runner, directory: context.currentDirectory,
                                        environment: context.environment)
    return DeployService(kubectl: deployKubectl(context), reporter: context.console, signals: context.signals,
                         user: user)
}
