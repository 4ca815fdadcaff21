import Foundation
import PlatformCore

struct ScaffoldCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        var template: String
        var directory: String
        var variables: [String: String]
        /// Values for the template's variables from the configuration (`ci`), below `--set`.
        var defaults: [String: String]
        var git: Bool
        var templatesDirectory: String?
        var dryRun: Bool
        var output: OutputFormat
        /// Fetch the config's git `templates_source` again now.
        var refresh = false
    }

    static let spec = CommandSpec(
        "scaffold", summary: "Create a new service from a template, committed to a fresh git repository",
        discussion: """
        TEMPLATE is LANG/FRAMEWORK from 'platform templates', a local folder (./my-template) or a git
        repository: git+URL//SUBDIR@REF (e.g. git+file:///srv/templates.git//python/flask@v1).
        The project is rendered into a temporary folder and moved into place only when complete.
        """,
        arguments: [ArgumentSpec("NAME", help: "Service name: lowercase letters, digits and '-', starting with a letter")],
        options: [
            OptionSpec("template", short: "t", value: "TEMPLATE", help: "Template id, folder or git+URL", completion: .templates),
            OptionSpec("language", value: "LANG", help: "Template language (with --framework)"),
            OptionSpec("framework", value: "FRAMEWORK", help: "Template framework (with --language)"),
            OptionSpec("dir", value: "PARENT", help: "Folder to create the project in (default: current folder)", completion: .directories),
            OptionSpec("set", value: "KEY=VALUE", help: "Set a template variable (repeatable)", repeatable: true),
            OptionSpec("ci", value: "SYSTEM", help: "CI/CD pipeline to include: github, gitlab or none (default: the config's ci, else github)",
                       completion: .choices(CIChoice.all)),
            OptionSpec("no-git", help: "Do not create a git repository"),
            OptionSpec("templates-dir", value: "DIR", help: "Look up template ids in DIR first", completion: .directories),
            OptionSpec("refresh", help: "Fetch the configured templates_source git repository again now"),
        ],
        examples: [
            "platform scaffold shop --template python/flask",
            "platform scaffold orders --template go/http --set port=9090 --dir ~/src",
            "platform scaffold api --language node --framework express --dry-run",
            "platform scaffold web --template node/express --ci gitlab",
        ],
        usesGlobals: ["dry-run", "output", "quiet", "verbose"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 1, max: 1)[0]
        let template: String
        switch (parsed.value("template"), parsed.value("language"), parsed.value("framework")) {
        case (let id?, nil, nil): template = id
        case (nil, let language?, let framework?): template = language + "/" + framework
        case (nil, nil, nil): throw usage("missing --template LANG/FRAMEWORK (see 'platform templates')")
        case (nil, _, _): throw usage("--language and --framework go together")
        default: throw usage("use either --template or --language/--framework")
        }
        var variables: [String: String] = [:]
        for pair in parsed.all("set") {
            let (key, value) = try Validate.keyValue(pair)
            variables[key] = value
        }
        if let ci = parsed.value("ci") {
            guard CIChoice.all.contains(ci) else {
                throw usage("invalid --ci \(Validate.quoted(ci)): use \(CIChoice.all.joined(separator: ", "))")
            }
            if let set = variables["ci"], set != ci { throw usage("--ci \(ci) and --set ci=\(set) disagree") }
            variables["ci"] = ci
        }
        var defaults: [String: String] = [:]
        let layers = try ConfigLayers.load(environment: environment)
        if let ci = layers.merged.ci {
            let userPath = layers.source(of: "ci").map { "\($0)" } ?? "config"
            guard CIChoice.all.contains(ci) else {
                throw PlatformError.invalidInput("\(userPath): invalid ci \(Validate.quoted(ci)): use \(CIChoice.all.joined(separator: ", "))")
            }
            defaults["ci"] = ci
        }
        return Options(name: name, template: template, directory: parsed.value("dir") ?? ".", variables: variables,
                       defaults: defaults, git: !parsed.flag("no-git"), templatesDirectory: parsed.value("templates-dir"),
                       dryRun: globals.dryRun, output: globals.output, refresh: parsed.flag("refresh"))
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        _ = try TemplateReference.parse(options.template)
    }

    /// Values of `--set` keys that name secrets: masked in `--verbose` echoes.
    static func secrets(_ options: Options) -> [String] {
        options.variables.filter { Redactor.isSecretKey($0.key) }.map(\.value)
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let service = ScaffoldService(
            runner: context.runner, store: try await templateStore(options.templatesDirectory, context, refresh: options.refresh),
            reporter: context.console, signals: context.signals, version: platformVersion)
        let parent = options.directory.hasPrefix("/")
            ? options.directory
            : context.currentDirectory + "/" + (options.directory as NSString).expandingTildeInPath
        let request = ScaffoldRequest(name: options.name, template: try TemplateReference.parse(options.template),
                                      parentDirectory: options.directory.hasPrefix("~") ? (options.directory as NSString).expandingTildeInPath : parent,
                                      variables: options.variables, defaults: options.defaults, git: options.git)
        let (plan, result) = try await service.scaffold(request, dryRun: options.dryRun)
        guard let result else {
            return .render(plan, as: options.output) { plan in
                (["Would create \(plan.path) from \(plan.template) (\(plan.files.count) files):"]
                    + plan.files.map { "  \($0.target)" }
                    + ["Variables: " + plan.variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")]
                    + (plan.git ? ["Then: git init, add all, commit \"\(plan.commitMessage)\""] : []))
                    .joined(separator: "\n")
            }
        }
        let notes: [CommandOutcome.Note] = [
            .success("Created \(result.name) from \(result.template)" + (result.commit.map { " (commit \($0.prefix(7)))" } ?? "")),
            .detail("Next: cd \(result.path) && platform create -e ENV"),
        ]
        return .render(result, as: options.output, notes: options.output == .json ? [] : notes) { $0.path }
    }
}

/// The CI/CD systems the shipped templates have pipelines for (their `ci` variable).
enum CIChoice {
    static let all = ["github", "gitlab", "none"]
}

/// The template folders for this run: `--templates-dir`, `PLATFORM_TEMPLATES_DIR`, the config's
/// `templates_source` (git sources cloned or refreshed now, unless `cachedOnly`), the install prefix, the
/// checkout, the embedded set. `useSource: false` leaves `templates_source` out (create's module lookup).
func templateStore(_ explicit: String?, _ context: CommandContext, refresh: Bool = false,
                   cachedOnly: Bool = false, useSource: Bool = true) async throws -> TemplateStore {
    var configured: String?
    if useSource {
        let layers = try ConfigLayers.load(environment: context.environment)
        if let source = layers.merged.templatesSource {
            var file: String?
            if case .organisation(let path)? = layers.source(of: "templates_source") { file = path }
            if case .user(let path)? = layers.source(of: "templates_source") { file = path }
            configured = try await TemplateSource(runner: context.runner, environment: context.environment,
                                                  reporter: context.console)
                .folder(for: source, configFile: file, refresh: refresh, cachedOnly: cachedOnly)
        }
    }
    return TemplateStore.standard(explicit: explicit, environment: context.environment,
                                  executablePath: context.executablePath,
                                  configured: configured)
}

struct TemplatesCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var output: OutputFormat
        var templatesDirectory: String?
        var refresh = false
    }

    static let spec = CommandSpec(
        "templates", summary: "List the templates scaffold can use",
        discussion: """
        Lists the templates found in --templates-dir, $PLATFORM_TEMPLATES_DIR, the config's
        templates_source (a folder, or a git+URL@REF repository cloned into $XDG_CACHE_HOME/platform
        and refreshed with --refresh, or hourly when REF is a branch), the installed templates, and the
        templates embedded in the binary. First match wins.
        """,
        options: [OptionSpec("templates-dir", value: "DIR", help: "Look up templates in DIR first", completion: .directories),
                  OptionSpec("refresh", help: "Fetch the configured templates_source git repository again now")],
        examples: ["platform templates", "platform templates -o json", "platform templates --refresh"], usesGlobals: ["output"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        _ = try positionals(parsed, min: 0, max: 0)
        return Options(output: globals.output, templatesDirectory: parsed.value("templates-dir"), refresh: parsed.flag("refresh"))
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let templates = try await templateStore(options.templatesDirectory, context, refresh: options.refresh).list()
            .filter { !$0.id.hasPrefix("terraform/") }
        if options.output == .text && templates.isEmpty {
            return CommandOutcome(notes: [.warning("no templates found; set PLATFORM_TEMPLATES_DIR or --templates-dir")])
        }
        return .render(templates, as: options.output) { templates in
            let width = (templates.map(\.id.count).max() ?? 0) + 2
            let versionWidth = (templates.map { ($0.manifest.version ?? "-").count }.max() ?? 0) + 2
            return templates.map { template in
                let variables = template.manifest.variables.keys.sorted().map { key in
                    "\(key)=\(template.manifest.variables[key]?.default ?? "")"
                }.joined(separator: " ")
                return template.id.padding(toLength: width, withPad: " ", startingAt: 0)
                    + (template.manifest.version ?? "-").padding(toLength: versionWidth, withPad: " ", startingAt: 0)
                    + template.manifest.description
                    + (variables.isEmpty ? "" : "  [\(variables)]")
            }.joined(separator: "\n")
        }
    }
}
