import Foundation
import PlatformCore

struct UpgradeCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var version: String?
        var conflict: UpgradeRequest.ConflictStyle
        var variables: [String: String]
        var check: Bool
        var diff: Bool
        var commit: Bool
        var templatesDirectory: String?
        var dryRun: Bool
        var output: OutputFormat
    }

    static let spec = CommandSpec(
        "upgrade", summary: "Merge a newer version of the project's template into it (3-way, with git)",
        discussion: """
        Run inside a project made by 'platform scaffold'. The pristine render of the recorded template
        version (refs/platform/template) is the merge base, the new version rendered with the project's
        variables is merged into the work tree by git; your edits are kept. Refuses a dirty work tree
        (exit 64) and a downgrade. The result is left uncommitted for review unless --commit.
        Exit 0: upgraded (or already on the newest version); 1: conflicts left to resolve (inline markers,
        files unmerged in git's index; or FILE.rej files with --conflict rej) or a failed migration.
        --check: exit 0 when on the newest version, 2 when an update is available. --diff and --dry-run
        show what would change and change nothing.
        """,
        options: [
            OptionSpec("to", value: "VERSION", help: "Upgrade to VERSION instead of the newest (a version or a git tag)"),
            OptionSpec("conflict", value: "STYLE", help: "Conflicts as inline markers (default) or as .rej files",
                       completion: .choices(UpgradeRequest.ConflictStyle.allCases.map(\.rawValue))),
            OptionSpec("set", value: "KEY=VALUE", help: "Set a template variable, e.g. one the new version adds (repeatable)",
                       repeatable: true),
            OptionSpec("check", help: "Only check: exit 0 when up to date, 2 when an update is available"),
            OptionSpec("diff", help: "Print the patch the upgrade would apply; change nothing"),
            OptionSpec("commit", help: "Commit the result (when nothing conflicts)"),
            OptionSpec("templates-dir", value: "DIR", help: "Look up template ids in DIR first", completion: .directories),
        ],
        examples: [
            "platform upgrade --check",
            "platform upgrade --diff",
            "platform upgrade",
            "platform upgrade --to 1.2.0 --conflict rej --commit",
        ],
        usesGlobals: ["dry-run", "output", "quiet", "verbose"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        _ = try positionals(parsed, min: 0, max: 0)
        var variables: [String: String] = [:]
        for pair in parsed.all("set") {
            let (key, value) = try Validate.keyValue(pair)
            variables[key] = value
        }
        let style = parsed.value("conflict") ?? "inline"
        guard let conflict = UpgradeRequest.ConflictStyle(rawValue: style) else {
            throw usage("invalid --conflict \(Validate.quoted(style)): use inline or rej")
        }
        return Options(version: parsed.value("to"), conflict: conflict, variables: variables, check: parsed.flag("check"),
                       diff: parsed.flag("diff"), commit: parsed.flag("commit"),
                       templatesDirectory: parsed.value("templates-dir"), dryRun: globals.dryRun, output: globals.output)
    }

    static func validate(_ options: Options) throws {
        if options.check && (options.diff || options.dryRun || options.commit) {
            throw usage("--check goes alone (not with --diff, --dry-run or --commit)")
        }
        if options.commit && (options.diff || options.dryRun) {
            throw usage("--commit cannot go with --diff or --dry-run")
        }
        if let version = options.version, version.isEmpty || version.hasPrefix("-") {
            throw usage("invalid --to \(Validate.quoted(version)): give a version such as 1.2.0 or a git tag")
        }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        try context.requireTools(["git"])
        let mode: UpgradeRequest.Mode = options.check ? .check : options.diff ? .diff : options.dryRun ? .dryRun : .apply
        let service = UpgradeService(runner: context.runner, store: try await templateStore(options.templatesDirectory, context),
                                     reporter: context.console, signals: context.signals, version: platformVersion)
        let result = try await service.upgrade(UpgradeRequest(
            directory: context.currentDirectory, version: options.version, conflict: options.conflict,
            variables: options.variables, mode: mode, commit: options.commit))
        var outcome = options.output == .json ? CommandOutcome(.json(result)) : render(result)
        switch result.status {
        case .available:
            outcome.failure = PlatformError.changesPending  // exit 2, like create --detailed-exitcode
        case .conflicts:
            outcome.failure = ReportedFailure()  // exit 1; the result and the warning said why
            outcome.event.errorType = "upgrade_conflicts"
        default: break
        }
        return outcome
    }

    private static func render(_ result: UpgradeResult) -> CommandOutcome {
        let versions = "\(result.template) \(result.from) → \(result.to)"
        var lines: [String] = []
        switch result.status {
        case .upToDate:
            return .text("\(result.template) \(result.from): up to date")
        case .available:
            return .text((["\(versions): update available"] + result.changelog.map { "  " + $0 }).joined(separator: "\n"))
        case .planned:
            if let diff = result.diff {
                return CommandOutcome(.verbatim(diff))
            }
            lines.append("Would upgrade \(versions):")
        case .upgraded, .conflicts:
            lines.append("Upgraded \(versions):")
        }
        let groups: [(String, [String])] = [
            ("updated", result.updated), ("added", result.added), ("removed", result.removed),
            ("kept deleted", result.keptDeleted), ("conflict", result.conflicted), ("rejected hunks", result.rejected),
        ]
        for (label, paths) in groups {
            for path in paths { lines.append("  \(label): \(path)") }
        }
        for (key, value) in result.variablesAdded.sorted(by: { $0.key < $1.key }) { lines.append("  new variable: \(key)=\(value)") }
        for (old, new) in result.variablesRenamed.sorted(by: { $0.key < $1.key }) { lines.append("  renamed variable: \(old) → \(new)") }
        for key in result.variablesRemoved { lines.append("  dropped variable: \(key)") }
        for version in result.migrations { lines.append("  migration: \(version)") }
        let text = lines.joined(separator: "\n")
        if result.status == .planned { return .text(text) }
        let note: CommandOutcome.Note
        if !result.conflicted.isEmpty {
            note = .warning("\(result.conflicted.count) file(s) have conflicts: resolve them, 'git add' them, then commit")
        } else if !result.rejected.isEmpty {
            note = .warning("hunks that did not apply are in \(result.rejected.map { $0 + ".rej" }.joined(separator: ", ")); "
                            + "apply them by hand, delete the .rej files, then commit")
        } else if let commit = result.commit {
            note = .success("Committed \(commit.prefix(7))")
        } else {
            note = .detail("Review with 'git diff --cached', then commit")
        }
        return .text(text, notes: [note])
    }
}
