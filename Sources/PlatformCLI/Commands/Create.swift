import Foundation
import PlatformCore

struct CreateCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        /// `-e` as given; nil lets PLATFORM_ENVIRONMENT, the user config and the default decide.
        var environment: String?
        var image: String?
        var replicas: Int?
        var port: Int?
        var instanceType: String?
        var variables: [String: String]
        /// `--set-file KEY=PATH` and `--set KEY=-` (PATH `-`): read in `run`, before anything else happens.
        var variableFiles: [String: String] = [:]
        var dryRun: Bool
        var detailedExitCode: Bool
        var output: OutputFormat
        var kubeContext: String?
        var kubeconfig: String?
        var allowMutableTag = false
    }

    static let spec = CommandSpec(
        "create", summary: "Provision an app: its infrastructure with Terraform, then its Kubernetes objects",
        discussion: """
        Runs the application Terraform module in the app's workspace (STATE/workspaces/ENV/NAME), then
        applies Namespace ENV, ServiceAccount, Deployment, Service, Ingress (NAME.ENV.DOMAIN),
        NetworkPolicy, with 2+ replicas a PodDisruptionBudget, with autoscale a HorizontalPodAutoscaler
        and, when the cluster has the Prometheus Operator CRD, a ServiceMonitor in one server-side apply.
        Outside development the image needs a fixed tag or digest. Prints the app's URL.
        Defaults come from flags, PLATFORM_* variables, platform.json, the user config, then built-ins.
        Rerunning with the same inputs changes nothing; without --image the image running in the
        cluster is kept.
        """,
        arguments: [ArgumentSpec.app("App name: lowercase letters, digits and '-', starting with a letter")],
        options: [
            OptionSpec("image", value: "IMAGE", help: "Container image (default: platform.json's image, else NAME:latest)"),
            OptionSpec("replicas", value: "N", help: "Number of pods (default: 1)"),
            OptionSpec("port", value: "PORT", help: "Port the app listens on (default: 8080)"),
            OptionSpec("instance-type", value: "TYPE", help: "Instance type for the infrastructure (default: t3.medium)"),
            OptionSpec("set", value: "KEY=VALUE", help: "Set a Terraform module variable (repeatable; passed as TF_VAR_KEY; KEY=- reads the value from stdin)", repeatable: true),
            OptionSpec("set-file", value: "KEY=PATH", help: "Set a Terraform module variable to the contents of a file (for secrets: not visible in ps)", repeatable: true, completion: .files),
            OptionSpec("detailed-exitcode", help: "With --dry-run: exit 2 when something would change, 0 when not"),
            OptionSpec("allow-mutable-tag", help: "Accept an image tagged :latest or without a tag outside the development environment"),
        ],
        examples: [
            "platform create shop -e staging",
            "platform create shop --image registry.example.com/shop:1.2.0 --replicas 3 -e prod",
            "platform create shop --dry-run --detailed-exitcode",
            "platform create shop --set owner=team-a -o json",
        ],
        usesGlobals: ["environment", "dry-run", "output", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        var variables: [String: String] = [:]
        var files: [String: String] = [:]
        for pair in parsed.all("set") {
            let (key, value) = try Validate.keyValue(pair)
            if value == "-" { files[key] = "-" } else { variables[key] = value }
        }
        for pair in parsed.all("set-file") {
            let (key, path) = try Validate.keyValue(pair, option: "--set-file")
            guard !path.isEmpty else { throw PlatformError.invalidInput("invalid --set-file \(Validate.quoted(pair)): expected KEY=PATH") }
            files[key] = path
            variables[key] = nil
        }
        if files.values.filter({ $0 == "-" }).count > 1 {
            throw PlatformError.invalidInput("only one --set KEY=- can read stdin")
        }
        return Options(
            name: name, environment: parsed.value("environment"), image: parsed.value("image"),
            replicas: try parsed.value("replicas").map {
                try Validate.positiveInteger($0, what: "replicas", range: ConfigLoader.replicaRange)
            },
            port: try parsed.value("port").map { try Validate.positiveInteger($0, what: "port", range: 1...65535) },
            instanceType: parsed.value("instance-type"), variables: variables, variableFiles: files, dryRun: globals.dryRun,
            detailedExitCode: parsed.flag("detailed-exitcode"), output: globals.output,
            kubeContext: globals.kubeContext, kubeconfig: globals.kubeconfig,
            allowMutableTag: parsed.flag("allow-mutable-tag")
                || !["", "0", "false"].contains(environment["PLATFORM_ALLOW_MUTABLE_TAG"] ?? ""))
    }

    /// Values of `--set` keys that name secrets (`db_password=...`): masked in `--verbose` echoes.
    static func secrets(_ options: Options) -> [String] {
        options.variables.filter { Redactor.isSecretKey($0.key) }.map(\.value)
    }

    static func validate(_ options: Options) throws {
        if options.detailedExitCode && !options.dryRun {
            throw usage("--detailed-exitcode works only with --dry-run")
        }
        try Validate.name(options.name)
        if let environment = options.environment { try Validate.environment(environment) }
        if let image = options.image { try Validate.image(image) }
    }

    /// The `--set-file`/`--set KEY=-` values, read whole; one final newline is dropped (files and
    /// `echo` end with one). A file that cannot be read is bad input (exit 64), found before anything runs.
    static func readVariableFiles(_ options: Options, _ context: CommandContext) throws -> [String: String] {
        var values = options.variables
        for (key, path) in options.variableFiles.sorted(by: { $0.key < $1.key }) {
            var text: String
            if path == "-" {
                var lines: [String] = []
                while let line = context.io.readLine() { lines.append(line) }
                text = lines.joined(separator: "\n")
            } else {
                let full = path.hasPrefix("/") ? path : context.currentDirectory + "/" + path
                guard let data = FileManager.default.contents(atPath: full), let contents = String(data: data, encoding: .utf8) else {
                    throw PlatformError.invalidInput("cannot read --set-file \(key)=\(Validate.quoted(path)): no such readable UTF-8 file")
                }
                text = contents
                if text.hasSuffix("\n") { text.removeLast() }
            }
            values[key] = text
        }
        return values
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        var options = options
        options.variables = try readVariableFiles(options, context)
        options.variableFiles = [:]
        try context.requireTools(["terraform", "kubectl"])
        let flags = SettingsFlags(name: options.name, environment: options.environment, image: options.image,
                                  replicas: options.replicas, port: options.port, instanceType: options.instanceType,
                                  kubeContext: options.kubeContext, kubeconfig: options.kubeconfig,
                                  variables: options.variables)
        let settings = try ConfigLoader.resolve(flags: flags, environment: context.environment,
                                                currentDirectory: context.currentDirectory)
        // The bundled module: from a template folder when one has it, else the copy embedded in the binary.
        var moduleSource = settings.moduleSource.value
        var embeddedModule = false
        if moduleSource == nil {
            let folders = try await templateStore(nil, context, useSource: false).directories
            if let found = try? ApplicationModule.locate(in: folders) {
                moduleSource = found
            } else if !ApplicationModule.embeddedFiles.isEmpty {
                embeddedModule = true
            } else {
                moduleSource = try ApplicationModule.locate(in: folders)
            }
        }
        if settings.imageIsExplicit {
            try CreateService.checkImmutable(settings.image.value, environment: settings.environment.value,
                                             allowed: options.allowMutableTag)
        }
        if settings.moduleSource.value == nil {
            // The bundled module is known: a --set it does not declare is bad input, found before anything runs.
            let settable = embeddedModule ? ApplicationModule.settableVariables(files: ApplicationModule.embeddedFiles)
                : ApplicationModule.settableVariables(at: moduleSource ?? "")
            for key in options.variables.keys.sorted() where !settable.contains(key) {
                throw PlatformError.invalidInput(
                    "unknown --set variable \(Validate.quoted(key)) for the bundled application module; it takes: "
                        + settable.joined(separator: ", ") + " (set module_source in the user config for a module of your own)")
            }
        }
        var lockTimeout = 600.0
        if let raw = context.environment["PLATFORM_LOCK_TIMEOUT"], !raw.isEmpty {
            lockTimeout = try Validate.duration(raw, what: "PLATFORM_LOCK_TIMEOUT")
        }
        let stateDirectory = StateDirectory.resolve(environment: context.environment)
        if embeddedModule {
            // Written where Terraform reads it: the workspace (a dry run changes no workspace: the cache).
            let workspace = Workspace(stateDirectory: stateDirectory, environment: settings.environment.value, name: settings.name)
            moduleSource = try ApplicationModule.writeEmbedded(
                to: options.dryRun ? EmbeddedTemplates.folder(environment: context.environment) + "/" + ApplicationModule.templateID
                    : workspace.path + "/module")
        }
        let request = CreateRequest(settings: settings, moduleSource: moduleSource ?? "",
                                    stateDirectory: stateDirectory,
                                    processEnvironment: context.environment, dryRun: options.dryRun,
                                    lockTimeout: lockTimeout, allowMutableTag: options.allowMutableTag,
                                    bundledModule: settings.moduleSource.value == nil)
        let service = CreateService(runner: context.runner, reporter: context.console, signals: context.signals)
        let result = try await service.create(request)

        var outcome: CommandOutcome
        if options.output == .json {
            outcome = CommandOutcome(.json(result))
        } else if result.dryRun {
            outcome = .text(dryRunText(result))
        } else {
            outcome = .text(result.url, notes: [.success("Created \(result.name) in \(result.environment): "
                                                          + result.objects.map(\.description).joined(separator: ", "))])
        }
        if options.detailedExitCode && result.changes == true {
            outcome.failure = PlatformError.changesPending
        }
        if CIReporting.wanted(context.environment) {
            outcome.ci = CIReport(command: spec.name, app: result.name, environment: result.environment, image: result.image,
                                  result: result.dryRun ? "planned" : "created", url: result.url)
        }
        return outcome
    }

    static func dryRunText(_ result: CreateResult) -> String {
        var lines = ["Dry run: \(result.name) in \(result.environment) at \(result.url) (image \(result.image))",
                     "Terraform: " + (result.terraform.changes == true ? "changes pending (plan above)" : "no changes")]
        let changed = result.kubernetesChanges ?? []
        lines.append("Kubernetes: " + (changed.isEmpty ? "no changes" : "would apply " + changed.map(\.description).joined(separator: ", ")))
        for skipped in result.skipped {
            lines.append("Skipped: \(skipped.kind) (\(skipped.reason))")
        }
        let list = JSONValue.object(["apiVersion": .string("v1"), "kind": .string("List"),
                                     "items": .array(result.documents ?? [])])
        if let data = try? list.encoded(pretty: true) {
            lines.append(String(decoding: data, as: UTF8.self))
        }
        return lines.joined(separator: "\n")
    }
}
