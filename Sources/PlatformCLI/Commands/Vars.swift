import Foundation
import PlatformCore

struct VarsCommand: PlatformCommand {
    enum Action: String, Sendable, Equatable, CaseIterable {
        case set, unset, list, apply
    }

    struct Options: Sendable, Equatable {
        var action: Action
        /// nil: the name in the project's platform.json.
        var name: String?
        var environment: String
        var values: [String: String]
        var keys: [String]
        var change: ChangeOptions
        var output: OutputFormat
        var kube: KubeTarget
        var dryRun = false
    }

    static let spec = CommandSpec(
        "vars", summary: "Set, unset and list an app's configuration variables; each change is a release",
        discussion: """
        'platform vars set NAME KEY=VALUE...' makes a new configuration version: an immutable ConfigMap
        NAME-vars-HASH named after its content, which the Deployment references through envFrom (the
        variables reach the app's container as its environment). The change is rolled out like a deploy:
        it waits for the new Pods, rolls back to the previous version when they fail (exit 3), and is
        recorded in the release history with the keys it changed ('platform releases NAME').
        'vars unset NAME KEY...' removes keys; 'vars list NAME' shows the variables the app runs with
        (values shown; secrets are 'platform secrets'). With --stage the version is recorded but not
        rolled out: the next 'platform deploy' ships it with the image in one release, or
        'platform vars apply NAME' on its own. Keys are [A-Z_][A-Z0-9_]* (at most 128 characters), a
        value at most 32 KiB, all variables at most 512 KiB. Two changes at once do not lose each
        other's keys: the second waits for the first. --dry-run prints the plan (the new ConfigMap, the
        keys it changes, the Deployment patch, roll out or stage) and changes nothing.
        Exit codes as for deploy: 0, 3, 4, 1, 64.
        """,
        arguments: [
            ArgumentSpec("ACTION", help: "set, unset, list or apply", completion: .choices(Action.allCases.map(\.rawValue))),
            ArgumentSpec("NAME", help: "The app (default: the name in ./platform.json or a parent folder's)",
                         optional: true, completion: .apps),
            ArgumentSpec("KEY=VALUE|KEY", help: "Variables to set (set) or keys to remove (unset)", optional: true),
        ],
        options: ChangeOptions.specs,
        examples: [
            "platform vars set shop DATABASE_URL=postgres://db/shop LOG_LEVEL=info -e staging",
            "platform vars unset shop LOG_LEVEL -m 'default level'",
            "platform vars set shop FEATURE_X=on --stage && platform deploy shop --image registry.example.com/shop:1.4.0",
            "platform vars list shop -o json",
            "platform vars apply shop",
            "platform vars set shop LOG_LEVEL=debug --dry-run",
        ],
        usesGlobals: ["environment", "output", "dry-run", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let (action, name, rest) = try configPositionals(Self.self, parsed, actions: Action.allCases.map(\.rawValue))
        let chosen = Action(rawValue: action) ?? .list
        var values: [String: String] = [:]
        var keys: [String] = []
        switch chosen {
        case .set:
            guard !rest.isEmpty else { throw usage("missing KEY=VALUE: 'platform vars set [NAME] KEY=VALUE...'") }
            for pair in rest {
                guard let equals = pair.firstIndex(of: "=") else {
                    throw PlatformError.invalidInput("invalid \(Validate.quoted(pair)): expected KEY=VALUE")
                }
                let key = String(pair[..<equals])
                guard values[key] == nil else { throw PlatformError.invalidInput("key \(Validate.quoted(key)) is given twice") }
                values[key] = String(pair[pair.index(after: equals)...])
            }
        case .unset:
            guard !rest.isEmpty else { throw usage("missing KEY: 'platform vars unset [NAME] KEY...'") }
            keys = rest
        case .list, .apply:
            if let extra = rest.first { throw usage("unexpected argument '\(extra)'") }
        }
        return Options(action: chosen, name: name, environment: globals.environment, values: values, keys: keys,
                       change: try ChangeOptions.parse(parsed, globals: globals), output: globals.output, kube: globals.kube,
                       dryRun: globals.dryRun)
    }

    static func validate(_ options: Options) throws {
        if let name = options.name { try Validate.name(name) }
        try Validate.environment(options.environment)
        if options.dryRun, options.action == .list { throw usage("--dry-run goes with set, unset and apply") }
        for (key, value) in options.values.sorted(by: { $0.key < $1.key }) {
            try ConfigKey.validate(key)
            try ConfigKey.validate(value: value, of: key)
        }
        for key in options.keys { try ConfigKey.validate(key) }
        if options.change.stage, options.action == .list || options.action == .apply {
            throw usage("--stage goes with set and unset")
        }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let name = try configAppName(options.name, command: spec.name, context)
        let service = await configService(options.kube, context)
        var result: CommandOutcome
        switch options.action {
        case .list:
            let listing = try await service.list(app: name, namespace: options.environment, part: .vars)
            result = .render(listing, as: options.output) { listing in
                let vars = listing.vars ?? [:]
                return vars.keys.sorted().map { "\($0)=\(vars[$0] ?? "")" }.joined(separator: "\n")
            }
            if options.output == .text && (listing.vars ?? [:]).isEmpty {
                result = CommandOutcome(notes: [.detail("No vars for \(name) in \(options.environment).")])
            }
            result.notes += stagedNotes(listing)
        case .set, .unset, .apply:
            let request = options.change.request(app: name, environment: options.environment, part: .vars,
                                                 set: options.values, unset: options.keys)
            if options.dryRun {
                result = planOutcome(try await service.plan(request, apply: options.action == .apply),
                                     apply: options.action == .apply, options.output)
                break
            }
            try options.change.confirm("change the vars of \(name)", environment: options.environment,
                                       command: spec.name, context)
            result = try await changeOutcome(options.action == .apply, request, service, options.output)
        }
        result.event.app = name
        return result
    }
}

/// The options `vars` and `secrets` share for a change.
struct ChangeOptions: Sendable, Equatable {
    var stage: Bool
    var message: String?
    var timeout: Double
    var rollbackTimeout: Double
    var wait: Bool
    var rollback: Bool
    var yes = false
    /// The config marks the environment `protected`: a change asks first, or needs `--yes`.
    var protected = false

    static let specs = [
        OptionSpec("stage", help: "Record the change; roll it out with the next deploy or 'platform vars apply'"),
        OptionSpec("message", short: "m", value: "TEXT", help: "Note recorded with the release"),
        OptionSpec("timeout", value: "DURATION", help: "How long to wait for the rollout (default 5m)"),
        OptionSpec("rollback-timeout", value: "DURATION", help: "How long the rollback may take (default 5m)"),
        OptionSpec("no-wait", help: "Apply the change and return without waiting"),
        OptionSpec("no-rollback", help: "Leave a failed change in place (exit 4)"),
        Confirmation.yesOption,
    ]

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions) throws -> ChangeOptions {
        ChangeOptions(stage: parsed.flag("stage"), message: parsed.value("message"),
                      timeout: try durationOption(parsed, "timeout", default: 300),
                      rollbackTimeout: try durationOption(parsed, "rollback-timeout", default: 300),
                      wait: !parsed.flag("no-wait"), rollback: !parsed.flag("no-rollback"), yes: parsed.flag("yes"),
                      protected: globals.protectedEnvironments.contains(globals.environment))
    }

    /// A change (set, unset, apply) to a protected environment asks first or needs `--yes`.
    func confirm(_ action: String, environment: String, command: String, _ context: CommandContext) throws {
        try Confirmation.protectedEnvironment(environment, protected: protected, yes: yes, action: action,
                                              command: command, context)
    }

    func request(app: String, environment: String, part: ConfigChangeRequest.Part, set: [String: String],
                 unset: [String]) -> ConfigChangeRequest {
        ConfigChangeRequest(app: app, environment: environment, part: part, set: set, unset: unset, stage: stage,
                            message: message, timeout: timeout, rollbackTimeout: rollbackTimeout, wait: wait,
                            rollback: rollback)
    }
}

/// ACTION, then NAME when the next word is an app name (lowercase: keys are uppercase, so the two
/// never mix up), then the rest.
func configPositionals<C: PlatformCommand>(_ command: C.Type, _ parsed: ParsedCommandLine,
                                           actions: [String]) throws -> (String, String?, [String]) {
    let given = try C.positionals(parsed, min: 1, max: Int.max)
    guard actions.contains(given[0]) else {
        throw C.usage("unknown action '\(given[0])': use \(actions.joined(separator: ", "))")
    }
    var rest = Array(given.dropFirst())
    var name: String?
    if let first = rest.first, !first.contains("="), first.first.map({ $0.isLowercase }) == true {
        name = first
        rest.removeFirst()
    }
    return (given[0], name, rest)
}

func configService(_ kube: KubeTarget, _ context: CommandContext) async -> ConfigService {
    ConfigService(deployer: await deployService(kube, context))
}

/// NAME, else the name in the project's platform.json (checked like every app name).
func configAppName(_ name: String?, command: String, _ context: CommandContext) throws -> String {
    guard let name = try name ?? ConfigLoader.projectAppName(from: context.currentDirectory) else {
        throw PlatformError.usage("missing NAME: give the app name, or run 'platform \(command)' in a project folder whose platform.json names the app",
                                  command: command)
    }
    try Validate.name(name)
    return name
}

/// A set, unset or apply (`apply`: the staged version) as the command's outcome; a failed rollout
/// is the outcome's failure (exit 3 or 4, as for deploy).
func changeOutcome(_ apply: Bool, _ request: ConfigChangeRequest, _ service: ConfigService,
                   _ output: OutputFormat) async throws -> CommandOutcome {
    let outcome: ConfigOutcome?
    do {
        outcome = apply ? try await service.applyStaged(request) : try await service.change(request)
    } catch let error as PlatformError {
        switch error {
        case .deployRolledBack, .deployFailed:
            return CommandOutcome(failure: error, event: EventDetails(appliedImage: nil))
        default:
            throw error
        }
    }
    guard let outcome else {
        return CommandOutcome(notes: [.detail("Nothing staged for \(request.app) in \(request.environment).")])
    }
    return .render(outcome, as: output) { outcome in
        let part = outcome.part.rawValue
        if outcome.unchanged { return "No change to the \(part) of \(outcome.app) in \(outcome.environment)" }
        if outcome.staged { return "Staged \(part) of \(outcome.app) in \(outcome.environment): \(outcome.diff.summary)" }
        let what = outcome.release?.result == .applied ? "Applied" : "Updated"
        return "\(what) \(part) of \(outcome.app) in \(outcome.environment): \(outcome.diff.summary)"
            + (outcome.release.map { " (release \($0.revision))" } ?? "")
    }
}

func stagedNotes(_ listing: ConfigListing) -> [CommandOutcome.Note] {
    guard let diff = listing.stagedDiff, listing.staged != nil else { return [] }
    return [.detail("Staged, not rolled out yet: \(diff.isEmpty ? "no change here" : diff.summary) "
                    + "('platform deploy' or 'platform vars apply' rolls it out)")]
}

/// `--dry-run` of a set, unset or apply: the plan the real run executes (deploy's `--dry-run` shape),
/// as text or one JSON document. Secrets show by key and fingerprint only.
func planOutcome(_ plan: ConfigPlan, apply: Bool, _ output: OutputFormat) -> CommandOutcome {
    .render(plan, as: output) { plan in
        let part = plan.part.rawValue
        guard plan.action != .none else {
            return apply ? "Nothing staged for \(plan.app) in \(plan.environment): nothing would be done"
                : "No change to the \(part) of \(plan.app) in \(plan.environment): nothing would be done"
        }
        func pretty(_ document: JSONValue) -> String {
            String(decoding: (try? document.encoded(pretty: true)) ?? Data(), as: UTF8.self)
        }
        var lines: [String] = []
        for object in plan.creates {
            let kind = object.hasPrefix("secret/") ? "Secret" : "ConfigMap"
            lines.append("Would create \(kind) \(object.split(separator: "/").last ?? "") (immutable): \(plan.diff.summary)")
        }
        if plan.part == .secrets {
            for (key, fingerprint) in (plan.config.secretKeys ?? [:]).sorted(by: { $0.key < $1.key }) {
                lines.append("  \(key)  fingerprint \(fingerprint)")
            }
        } else if let configMap = plan.configMap {
            lines.append(pretty(configMap))
        }
        switch plan.action {
        case .stage:
            lines.append("Would stage it (\(plan.config.summary)), not roll it out: the next 'platform deploy' or "
                         + "'platform \(part) apply' ships it")
        case .rollOut:
            if apply { lines.append("Would roll out the staged \(part): \(plan.diff.summary)") }
            if plan.creates.isEmpty, !apply {
                lines.append("Would remove the last \(part): \(plan.diff.summary)")
            }
            if let patch = plan.patch {
                lines.append("Would apply (field manager \(plan.fieldManager)):")
                lines.append(pretty(patch))
            }
            lines.append(plan.wait
                ? "Then wait up to \(DeployService.format(duration: plan.timeout)) for the rollout"
                    + (plan.rollback ? ", rolling back on failure" : "") + " (a release of \(plan.config.summary))"
                : "Then return without waiting (--no-wait): a release of \(plan.config.summary)")
        case .none:
            break
        }
        return lines.joined(separator: "\n")
    }
}
