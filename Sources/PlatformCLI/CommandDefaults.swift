import Foundation
import PlatformCore

/// The "complete" step of the pipeline: fills in what the command line left out, from the project's
/// platform.json (NAME), the organisation and user configs (`default_environment`, the environment's
/// `kube_context`) and
/// the environment (PLATFORM_ENVIRONMENT, applied by `GlobalOptions.from`). After it, a command's
/// `parse` sees everything its Options need.
public enum CommandDefaults {
    public static func complete(_ parsed: ParsedCommandLine, globals: GlobalOptions, spec: CommandSpec,
                                environment: [String: String], currentDirectory: String) throws
        -> (ParsedCommandLine, GlobalOptions) {
        var parsed = parsed, globals = globals
        if parsed.positionals.isEmpty, spec.arguments.first?.fromProject == true {
            guard let name = try ConfigLoader.projectAppName(from: currentDirectory) else {
                throw PlatformError.usage(
                    "missing NAME: give the app name, or run 'platform \(spec.name)' in a project folder whose platform.json names the app",
                    command: spec.name)
            }
            parsed.positionals = [name]
        }
        if spec.usesGlobals.contains("environment") {
            do {
                try applyConfig(&globals, parsed: parsed, environment: environment)
            } catch where spec.reportsConfigErrors {
                // e.g. doctor: the broken config file is one of its checks.
            }
        }
        return (parsed, globals)
    }

    /// The organisation and user configs' `default_environment` (when neither `-e` nor
    /// `PLATFORM_ENVIRONMENT` chose one) and per-environment `kube_context` (when `--kube-context` was
    /// not given): the same precedence `create` resolves, so every command targets the same cluster.
    static func applyConfig(_ globals: inout GlobalOptions, parsed: ParsedCommandLine,
                            environment: [String: String]) throws {
        let layers = try ConfigLayers.load(environment: environment)
        let chosen = parsed.value("environment") != nil || !(environment["PLATFORM_ENVIRONMENT"] ?? "").isEmpty
        if !chosen, let fallback = layers.merged.defaultEnvironment {
            globals.environment = fallback
        }
        globals.protectedEnvironments = (layers.merged.environments ?? [:]).filter { $0.value.protected == true }.keys.sorted()
        globals.promotion = layers.merged.promotion
        for name in (layers.merged.environments ?? [:]).keys {
            globals.kubeContexts[name] = ConfigLoader.kubeContext(flag: nil, layers: layers, environment: name).value
        }
        globals.kube.context = ConfigLoader.kubeContext(flag: globals.kubeContext, layers: layers,
                                                        environment: globals.environment).value
    }
}
