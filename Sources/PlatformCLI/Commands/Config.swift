import Foundation
import PlatformCore

struct ConfigCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String?
        var environment: String?
        var image: String?
        var kubeContext: String?
        var kubeconfig: String?
        var output: OutputFormat
    }

    static let spec = CommandSpec(
        "config", summary: "Show the merged configuration and where each value came from",
        discussion: """
        'platform config show [NAME]' merges, for app NAME (default: the name in platform.json), the
        command-line flags, PLATFORM_* environment variables, the project config (platform.json in this
        folder or a parent), the user config ($XDG_CONFIG_HOME/platform/config.json, else
        ~/.config/platform/config.json) and the organisation configs ($PLATFORM_CONFIG, then
        $XDG_CONFIG_DIRS/platform/config.json, default /etc/xdg) over the built-in defaults, in that
        order of precedence, and prints each value with its source and every config file looked at.
        A key an organisation file lists in 'locked' may not be changed by a later layer (exit 64
        naming the key and the file). Invalid JSON or an unknown key exits 64 naming the file, line and key.
        """,
        arguments: [
            ArgumentSpec("ACTION", help: "show", completion: .choices(["show"])),
            ArgumentSpec("NAME", help: "App name (default: the name in platform.json)", optional: true, completion: .apps),
        ],
        options: [OptionSpec("image", value: "IMAGE", help: "Image, as deploy would take it")],
        examples: ["platform config show", "platform config show shop -e production", "platform config show shop -o json"],
        usesGlobals: ["environment", "output", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let given = try positionals(parsed, min: 1, max: 2)
        guard given[0] == "show" else {
            throw usage("unknown action '\(given[0])': use 'platform config show [NAME]'")
        }
        return Options(name: given.count > 1 ? given[1] : nil, environment: parsed.value("environment"),
                       image: parsed.value("image"), kubeContext: globals.kubeContext, kubeconfig: globals.kubeconfig,
                       output: globals.output)
    }

    static func validate(_ options: Options) throws {
        if let name = options.name { try Validate.name(name) }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        guard let name = try options.name ?? ConfigLoader.projectAppName(from: context.currentDirectory) else {
            throw usage("missing NAME: give the app name or run it in a project with a platform.json that has a name")
        }
        let flags = SettingsFlags(name: name, environment: options.environment, image: options.image,
                                  kubeContext: options.kubeContext, kubeconfig: options.kubeconfig)
        let settings = try ConfigLoader.resolve(flags: flags, environment: context.environment,
                                                currentDirectory: context.currentDirectory)
        let userExists = FileManager.default.fileExists(atPath: settings.userConfigPath)
        if options.output == .json {
            struct Setting: Encodable { var value: String; var source: SettingSource }
            struct Document: Encodable {
                var name: String
                var userConfig: String
                var userConfigFound: Bool
                var projectConfig: String?
                var configFiles: [ConfigLayer]
                var settings: [String: Setting]
            }
            var all: [String: Setting] = [:]
            for origin in settings.origins { all[origin.key] = Setting(value: Redactor.maskingURLCredentials(origin.value), source: origin.source) }
            return CommandOutcome(.json(Document(name: name, userConfig: settings.userConfigPath, userConfigFound: userExists,
                                                 projectConfig: settings.projectConfigPath, configFiles: settings.configLayers,
                                                 settings: all)))
        }
        var lines = ["App:            \(name)"]
        for layer in settings.configLayers where layer.kind == .organisation {
            var line = "Organisation:   \(layer.path)" + (layer.found ? "" : " (not found)")
            if !layer.locked.isEmpty { line += " (locks \(layer.locked.joined(separator: ", ")))" }
            lines.append(line)
        }
        lines += ["User config:    \(settings.userConfigPath)" + (userExists ? "" : " (not found)"),
                  "Project config: \(settings.projectConfigPath ?? "(none)")", ""]
        let rows = [("KEY", "VALUE", "SOURCE")] + settings.origins.map { ($0.key, $0.value, $0.source.description) }
        let keyWidth = (rows.map(\.0.count).max() ?? 0) + 2
        let valueWidth = (rows.map(\.1.count).max() ?? 0) + 2
        for row in rows {
            lines.append(row.0.padding(toLength: keyWidth, withPad: " ", startingAt: 0)
                         + row.1.padding(toLength: valueWidth, withPad: " ", startingAt: 0) + row.2)
        }
        return .text(lines.joined(separator: "\n"))
    }
}
