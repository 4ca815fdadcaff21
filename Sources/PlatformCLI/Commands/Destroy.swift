import Foundation
import PlatformCore

struct DestroyCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        var environment: String
        var yes: Bool
        /// The config marks the environment `protected` (destroy always confirms; this says so).
        var protected = false
        var dryRun: Bool
        var output: OutputFormat
        var kube = KubeTarget()
        var timeout: Double = DestroyService.defaultTimeout
    }

    static let spec = CommandSpec(
        "destroy", summary: "Delete an app: its Kubernetes objects, its infrastructure and its workspace",
        discussion: """
        Deletes every object create made for the app (Deployment, Service, Ingress, ServiceAccount,
        NetworkPolicies, PodDisruptionBudget, HorizontalPodAutoscaler, ServiceMonitor), its release
        history and configuration versions from the environment's namespace (the namespace itself stays), then runs 'terraform destroy' in the app's
        workspace (STATE/workspaces/ENV/NAME) and removes the workspace. On a terminal it asks you to type
        the app's name; without one it needs --yes (exit 64 otherwise). Destroying an app that does not
        exist says so and exits 0. Only objects labelled app.kubernetes.io/managed-by=platform and
        app.kubernetes.io/instance=NAME-ENV are deleted; others with the same names are left alone. The
        objects are deleted in the foreground and waited for (--timeout), so the app's pods are gone
        before 'terraform destroy'; an object still there at the timeout (a finalizer that never
        clears) is named with its finalizer, exit 1, and the infrastructure is not touched.
        """,
        arguments: [ArgumentSpec("NAME", help: "The app", completion: .apps)],
        options: [OptionSpec("yes", short: "y", help: "Do not ask for confirmation (required without a terminal)"),
                  OptionSpec("timeout", value: "DURATION", help: "How long the objects and their pods may take to be gone (default 5m)")],
        examples: ["platform destroy shop -e staging", "platform destroy shop -e staging --yes -o json"],
        usesGlobals: ["environment", "output", "dry-run", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        return Options(name: name, environment: globals.environment, yes: parsed.flag("yes"),
                       protected: globals.protectedEnvironments.contains(globals.environment), dryRun: globals.dryRun,
                       output: globals.output, kube: globals.kube,
                       timeout: try durationOption(parsed, "timeout", default: DestroyService.defaultTimeout))
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.environment)
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        try context.requireTools(["kubectl", "terraform"])
        if !options.yes && !options.dryRun && !Confirmation.canAsk(context) {
            throw usage("destroy needs confirmation: pass --yes (no terminal to ask on)")
        }
        var lockTimeout = 600.0
        if let raw = context.environment["PLATFORM_LOCK_TIMEOUT"], !raw.isEmpty {
            lockTimeout = try Validate.duration(raw, what: "PLATFORM_LOCK_TIMEOUT")
        }
        let request = DestroyRequest(app: options.name, environment: options.environment,
                                     stateDirectory: StateDirectory.resolve(environment: context.environment),
                                     processEnvironment: context.environment, lockTimeout: lockTimeout,
                                     timeout: options.timeout)
        let service = DestroyService(runner: context.runner,
                                     target: options.kube,
                                     reporter: context.console, signals: context.signals)
        let plan = try await service.plan(request)
        if plan.isEmpty {
            let result = DestroyResult(app: options.name, environment: options.environment, existed: false, deleted: [],
                                       terraformDestroyed: false, workspaceRemoved: nil)
            return .render(result, as: options.output) { _ in
                "Nothing to destroy: \(options.name) does not exist in \(options.environment)"
            }
        }
        if options.dryRun {
            return .render(plan, as: options.output) { plan in
                (["Would destroy \(options.name) in \(options.environment):"] + plan.objects.map { "  delete \($0)" }
                    + plan.left.map { "  leave \($0) (not managed by platform for \(options.name)-\(options.environment))" }
                    + (plan.workspace.map { ["  terraform destroy in \($0), then remove it"] } ?? []))
                    .joined(separator: "\n")
            }
        }
        if !options.yes {
            try Confirmation.ask("This deletes \(describe(plan)).\n"
                                 + (options.protected ? "\(options.environment) is a protected environment.\n" : "")
                                 + "Type the app name (\(options.name)) to confirm: ",
                                 expected: options.name, refused: "nothing was destroyed", context)
        }
        let result = try await service.destroy(plan, request)
        return .render(result, as: options.output,
                       notes: options.output == .json ? [] : [.success(describe(plan) + " removed")]) { _ in
            "Destroyed \(options.name) in \(options.environment)"
        }
    }

    static func describe(_ plan: DestroyPlan) -> String {
        var parts = plan.objects
        if let workspace = plan.workspace { parts.append("the infrastructure and workspace \(workspace)") }
        return parts.joined(separator: ", ")
    }
}
