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
        var dryRun: Bool
        var output: OutputFormat
    }

    static let spec = CommandSpec(
        "deploy", summary: "Deploy a new image of an app, wait for it, roll back when it fails",
        discussion: """
        Changes only the image of the app's container (server-side apply, field manager platform-deploy),
        then watches the rollout. A Pod stuck in ImagePullBackOff, ErrImagePull, CrashLoopBackOff or
        CreateContainerConfigError, or restarting repeatedly, ends the wait at once. On failure or timeout
        the previous release is restored (unless --no-rollback) and waited for.
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
                       message: parsed.value("message"), dryRun: globals.dryRun, output: globals.output)
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.environment)
        try Validate.image(options.image)
    }

    static func run(_ options: Options, _ context: CommandContext) async throws {
        var request = DeployRequest(app: options.name, environment: options.environment, image: options.image,
                                    timeout: options.timeout, rollbackTimeout: options.rollbackTimeout,
                                    wait: options.wait, rollback: options.rollback, message: options.message)
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
        let service = await deployService(context)
        // A configuration staged with 'vars set --stage' ships with the image, in one release.
        let configs = ConfigService(deployer: service)
        let staged = try await configs.staged(app: options.name, namespace: options.environment)
        if let staged {
            request.config = staged.config
            let notes = [options.message].compactMap { $0 } + (staged.messages ?? [])
            request.message = notes.isEmpty ? nil : notes.joined(separator: "; ")
            context.console.progress("Shipping the staged configuration too (\(staged.config.summary), staged by \(staged.user))")
        }
        let outcome = try await service.deploy(request)
        if let staged { try await configs.clearStaged(staged.config, app: options.name, namespace: options.environment) }
        report(outcome, options.output, context)
    }

    static func report(_ outcome: DeployOutcome, _ output: OutputFormat, _ context: CommandContext) {
        if output == .json {
            try? context.printJSON(outcome)
            return
        }
        let what = outcome.result == .applied ? "Applied" : "Deployed"
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
