import Foundation

/// `platform upgrade`: a 3-way merge, done by git, of a project with a newer version of the template
/// it was made from (the way copier's `update` and cruft's `update` work, written for git plumbing):
///
/// - base: the pristine render of the recorded version — the commit on `refs/platform/template`
///   whose `.platform/template.json` matches the project's record (scaffold points the ref at its
///   commit); without the ref, the recorded version rendered again from the template source;
/// - theirs: the new version rendered with the project's variables, committed with the base as
///   parent (so `refs/platform/template` is a history of pristine renders);
/// - ours: HEAD. `git merge-recursive BASE -- HEAD NEW` updates the index and the work tree and
///   leaves conflicting files unmerged with inline markers.
///
/// Dry runs and `--diff` run the same merge in a scratch `git clone --shared` of the project and
/// write nothing into the project or its `.git`. The core never prints: progress goes to the reporter.
public struct UpgradeService: Sendable {
    /// The ref holding the pristine render of the version the project is on (docs/templates.md).
    public static let pristineRef = "refs/platform/template"

    public let runner: CommandRunner
    public let store: TemplateStore
    public let reporter: ProgressReporter
    public let signals: SignalForwarder
    public let version: String

    public init(runner: CommandRunner, store: TemplateStore, reporter: ProgressReporter, signals: SignalForwarder,
                version: String) {
        self.runner = runner
        self.store = store
        self.reporter = reporter
        self.signals = signals
        self.version = version
    }

    private var scaffolder: ScaffoldService {
        ScaffoldService(runner: runner, store: store, reporter: reporter, signals: signals, version: version)
    }

    public func upgrade(_ request: UpgradeRequest) async throws -> UpgradeResult {
        let root = try await projectRoot(request.directory)
        let record = try loadRecord(root)
        let reference: TemplateReference
        do {
            reference = try TemplateReference.parse(record.source)
        } catch {
            throw PlatformError.invalidInput("\(root)/\(TemplateRecord.path) has an invalid source \(Validate.quoted(record.source))")
        }
        guard let head = try await revision("HEAD", in: root) else {
            throw PlatformError.invalidInput("\(root) has no commit yet; commit the project before upgrading it")
        }
        if request.mode == .apply { try await requireCleanTree(root) }

        let scratch = try makeScratchFolder()
        let cleanup = signals.addCleanup { try? FileManager.default.removeItem(atPath: scratch) }
        defer {
            signals.removeCleanup(cleanup)
            try? FileManager.default.removeItem(atPath: scratch)
        }
        if case .git = reference { reporter.progress("Fetching template versions from \(reference.description)") }
        let versions = try await TemplateVersions.open(reference, store: store, runner: runner, scratch: scratch)
        let current = record.version.flatMap(SemanticVersion.init)
        let target: TemplateVersions.Candidate
        if let wanted = request.version {
            guard let found = versions.find(wanted) else {
                throw PlatformError.invalidInput("version \(Validate.quoted(wanted)) of \(record.template) not found; available: \(versions.available)")
            }
            target = found
        } else {
            guard let newest = versions.newest else { throw PlatformError.failed("template \(record.template) has no versions") }
            target = newest
        }
        var result = UpgradeResult(status: .upToDate, template: record.template, from: record.version ?? "unversioned",
                                   to: target.label)
        if isSame(target, record: record, current: current) {
            result.to = record.version ?? target.label
            return result
        }
        if let current, let wanted = target.version, wanted < current {
            throw PlatformError.invalidInput(
                "downgrade refused: the project is on \(record.template) \(record.version ?? ""), \(target.label) is older; nothing was changed")
        }
        if target.version == nil, case .folders = versions.origin {
            throw PlatformError.failed("template \(record.template) has no \"version\" in its template.json; upgrade needs one")
        }
        let info = try await versions.checkout(target)
        if let wanted = target.version {
            result.changelog = TemplateChangelog.load(from: info.directory)?.lines(after: current, upTo: wanted) ?? []
        }
        if request.mode == .check {
            result.status = .available
            return result
        }

        // The new version's variables: recorded values, renamed ones carried over, new ones defaulted.
        guard let name = record.variables["name"] else {
            throw PlatformError.invalidInput("\(root)/\(TemplateRecord.path) records no \"name\" variable")
        }
        var values: [String: String] = [:]
        for key in request.variables.keys.sorted() where info.manifest.variables[key] == nil {
            throw PlatformError.invalidInput("unknown variable \(Validate.quoted(key)) for \(record.template) \(target.label); it takes: "
                                             + info.manifest.variables.keys.sorted().joined(separator: ", "))
        }
        for (key, spec) in info.manifest.variables {
            if let value = request.variables[key] {
                values[key] = value
            } else if let value = record.variables[key] {
                values[key] = value
            } else if let old = spec.renamedFrom, let value = record.variables[old] {
                values[key] = value
                result.variablesRenamed[old] = key
            }
        }
        result.variablesRemoved = record.variables.keys.filter { key in
            key != "name" && info.manifest.variables[key] == nil && result.variablesRenamed[key] == nil
        }.sorted()

        // Theirs: the new version, rendered like a fresh scaffold.
        let request2 = ScaffoldRequest(name: name, template: reference, parentDirectory: scratch, variables: values)
        let newTree = scratch + "/new"
        try FileManager.default.createDirectory(atPath: newTree, withIntermediateDirectories: false)
        let plan = try scaffolder.makePlan(request2, template: info, source: versions.source(for: target, recorded: record.source),
                                           target: newTree, version: target.label, commit: target.commit)
        for (key, value) in plan.variables where key != "name" && record.variables[key] == nil
            && !result.variablesRenamed.values.contains(key) {
            result.variablesAdded[key] = value
        }
        let newRecord = scaffolder.record(for: plan)
        reporter.progress("Rendering \(record.template) \(target.label)")
        try scaffolder.renderPristine(plan, from: info.directory, into: newTree, record: newRecord)

        // Base: the pristine render of the recorded version.
        var base = try await pristineCommit(matching: record, in: root)
        var baseTree: String?
        if base == nil {
            baseTree = try await renderRecorded(record, name: name, versions: versions, scratch: scratch)
        }

        // Where the merge happens: the project itself, or a scratch clone of it for dry runs.
        let work: String
        if request.mode == .apply {
            work = root
        } else {
            work = scratch + "/project"
            _ = try await runner.checked(Command("git", ["clone", "--quiet", "--shared", "--no-checkout", "--", root, work]))
            _ = try await runner.checked(Command("git", ["checkout", "--quiet", "--detach", head], directory: work))
        }
        let gitDirectory = try await runner.checked(Command("git", ["rev-parse", "--absolute-git-dir"], directory: work))
            .stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let identity = try await Git(runner: runner).identityOverrides(in: root)
        if let baseTree {
            base = try await commitTree(baseTree, gitDirectory: gitDirectory, parent: nil, identity: identity, scratch: scratch,
                                        message: "platform template \(record.template) \(record.version ?? "unversioned") (rendered again)")
        }
        guard let base else { throw PlatformError.failed("no pristine render of the recorded version") }
        let pristine = try await commitTree(newTree, gitDirectory: gitDirectory, parent: base, identity: identity, scratch: scratch,
                                            message: "platform template \(record.template) \(target.label)")
        result.pristine = pristine
        try signals.checkInterrupted()

        reporter.progress("Merging \(record.template) \(result.from) → \(target.label)")
        let merge = try await runner.capture(Command(
            "git", ["merge-recursive", base, "--", head, pristine],
            environment: ["GITHEAD_" + head: "your project", "GITHEAD_" + pristine: "template \(target.label)"],
            directory: work))
        guard merge.status == 0 || merge.status == 1 else {
            throw PlatformError.toolFailed(argv: ["git", "merge-recursive", base, "--", head, pristine], status: merge.status,
                                           stderrTail: tail(of: merge.stderrText + merge.stdoutText))
        }
        try await settleConflicts(in: work, base: base, head: head, style: request.conflict, result: &result)
        try stableJSONDocument(newRecord).write(to: URL(fileURLWithPath: work + "/" + TemplateRecord.path))
        _ = try await runner.checked(Command("git", ["add", "--", TemplateRecord.path], directory: work))
        try await listChanges(in: work, head: head, result: &result)

        if request.mode != .apply {
            result.status = .planned
            if request.mode == .diff {
                _ = try await runner.checked(Command("git", ["add", "--all"], directory: work))
                result.diff = try await runner.checked(Command(
                    "git", ["diff", "--cached", "--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/", head],
                    directory: work)).stdoutText
            }
            return result
        }

        try await Git(runner: runner).updateRef(Self.pristineRef, to: pristine, in: root,
                                                reason: "platform upgrade \(record.template) \(result.from) -> \(target.label)")
        let needsUser = !result.conflicted.isEmpty || !result.rejected.isEmpty
        result.status = needsUser ? .conflicts : .upgraded
        result.migrations = try await runMigrations(info.manifest.migrations, from: current, to: target,
                                                    variables: plan.variables, template: info.directory, root: root,
                                                    fromLabel: result.from)
        if request.commit && !needsUser {
            _ = try await runner.checked(Command("git", ["add", "--all"], directory: root))
            result.commit = try await Git(runner: runner).commit(
                root, message: "Upgrade \(record.template) template from \(result.from) to \(target.label)")
        }
        return result
    }

    // MARK: - The project

    private func projectRoot(_ directory: String) async throws -> String {
        let top = try await runner.capture(Command("git", ["rev-parse", "--show-toplevel"], directory: directory))
        guard top.succeeded else {
            throw PlatformError.invalidInput(
                "\(directory) is not inside a git repository; upgrade merges with git (projects made by 'platform scaffold' are repositories)")
        }
        return top.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func loadRecord(_ root: String) throws -> TemplateRecord {
        let path = root + "/" + TemplateRecord.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlatformError.invalidInput("\(path) is missing: \(root) was not made by 'platform scaffold'")
        }
        do {
            return try JSONDecoder().decode(TemplateRecord.self, from: data)
        } catch {
            throw PlatformError.invalidInput("invalid \(path): \(describe(decodingError: error))")
        }
    }

    private func revision(_ name: String, in directory: String) async throws -> String? {
        let result = try await runner.capture(Command("git", ["rev-parse", "--verify", "--quiet", name + "^{commit}"],
                                                      directory: directory))
        return result.succeeded ? result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// Uncommitted changes (untracked files included) would be mixed into the merge: refuse first.
    private func requireCleanTree(_ root: String) async throws {
        let status = try await runner.checked(Command(
            "git", ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all"], directory: root))
        let entries = status.stdoutText.split(separator: "\0").map { String($0.dropFirst(3)) }
        guard entries.isEmpty else {
            throw PlatformError.invalidInput(
                "\(root) has uncommitted changes (\(entries.count) path\(entries.count == 1 ? "" : "s"), e.g. \(Validate.quoted(entries[0]))); "
                    + "commit or stash them first; nothing was changed")
        }
    }

    private func isSame(_ target: TemplateVersions.Candidate, record: TemplateRecord, current: SemanticVersion?) -> Bool {
        if let commit = target.commit, let recorded = record.commit { return commit == recorded }
        if let wanted = target.version, let current { return wanted == current }
        return false
    }

    // MARK: - Pristine renders

    /// The commit on `refs/platform/template`, or one of its first parents (an upgrade that was
    /// reset moves the ref ahead of the record), whose record is the project's.
    private func pristineCommit(matching record: TemplateRecord, in root: String) async throws -> String? {
        guard let tip = try await revision(Self.pristineRef, in: root) else { return nil }
        let history = try await runner.checked(Command("git", ["rev-list", "--first-parent", "--max-count=200", tip],
                                                       directory: root))
        for commit in history.stdoutText.split(separator: "\n").map(String.init) {
            let shown = try await runner.capture(Command("git", ["show", commit + ":" + TemplateRecord.path], directory: root))
            guard shown.succeeded, let pristine = try? JSONDecoder().decode(TemplateRecord.self, from: shown.stdout) else { continue }
            if pristine.template == record.template, pristine.version == record.version, pristine.commit == record.commit,
               pristine.variables == record.variables, pristine.templateHash == record.templateHash {
                return commit
            }
        }
        return nil
    }

    /// The fallback when the project's git lacks the ref (a fresh clone that did not fetch it): render
    /// the recorded version again — a git template at the recorded commit, a template id from any
    /// templates folder holding that version with the same template hash.
    private func renderRecorded(_ record: TemplateRecord, name: String, versions: TemplateVersions,
                                scratch: String) async throws -> String {
        let hint = "fetch it ('git fetch origin \(Self.pristineRef):\(Self.pristineRef)'), "
            + "or put that version of the template in a folder given with --templates-dir"
        let label = "\(record.template) \(record.version ?? "unversioned")"
        let candidates = await versions.recorded(record)
        guard !candidates.isEmpty else {
            throw PlatformError.failed("\(Self.pristineRef) is missing and \(label) is not available to render again; \(hint)")
        }
        var values = record.variables
        values["name"] = nil
        let tree = scratch + "/base"
        for candidate in candidates {
            let info = try await versions.checkout(candidate)
            let request = ScaffoldRequest(name: name, template: .path(info.directory), parentDirectory: scratch, variables: values)
            // A folder whose files are not the ones the project was made from (template hash) is no base.
            guard let plan = try? scaffolder.makePlan(request, template: info, source: record.source, target: tree),
                  plan.templateHash == record.templateHash else { continue }
            reporter.progress("\(Self.pristineRef) not found: rendering \(label) again")
            try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: false)
            try scaffolder.renderPristine(plan, from: info.directory, into: tree, record: record)
            return tree
        }
        throw PlatformError.failed("\(Self.pristineRef) is missing and the \(label) found differs from the one the project "
                                   + "was made from (template hash); \(hint)")
    }

    /// Commits a folder as it is (the same `git add --all` scaffold runs) without touching the
    /// project's index or work tree: a temporary index, the folder as work tree.
    private func commitTree(_ folder: String, gitDirectory: String, parent: String?, identity: [String], scratch: String,
                            message: String) async throws -> String {
        let index = ["GIT_INDEX_FILE": scratch + "/index-" + UUID().uuidString]
        _ = try await runner.checked(Command("git", ["--git-dir=" + gitDirectory, "--work-tree=" + folder, "add", "--all"],
                                             environment: index, directory: folder))
        let tree = try await runner.checked(Command("git", ["--git-dir=" + gitDirectory, "write-tree"],
                                                    environment: index, directory: folder))
            .stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let parents = parent.map { ["-p", $0] } ?? []
        return try await runner.checked(Command(
            "git", ["--git-dir=" + gitDirectory] + identity + ["commit-tree", tree] + parents + ["-m", message],
            directory: folder)).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - After the merge

    /// Files the user deleted stay deleted; with `--conflict rej` a file both sides changed gets the
    /// new template's content, the user's changes applied where they still apply and the rest in
    /// FILE.rej (git apply --reject); everything else unmerged stays so for the user.
    private func settleConflicts(in work: String, base: String, head: String, style: UpgradeRequest.ConflictStyle,
                                 result: inout UpgradeResult) async throws {
        let listing = try await runner.checked(Command("git", ["ls-files", "--unmerged", "-z"], directory: work))
        var stages: [String: Set<Character>] = [:]
        for entry in listing.stdoutText.split(separator: "\0") {
            // "MODE OBJECT STAGE\tPATH"
            guard let tab = entry.firstIndex(of: "\t") else { continue }
            let fields = entry[..<tab].split(separator: " ")
            guard fields.count == 3, let stage = fields[2].first else { continue }
            stages[String(entry[entry.index(after: tab)...]), default: []].insert(stage)
        }
        for path in stages.keys.sorted() {
            let present = stages[path] ?? []
            if present == ["1", "3"] {
                _ = try await runner.checked(Command("git", ["rm", "--quiet", "--force", "--", path], directory: work))
                result.keptDeleted.append(path)
            } else if present == ["1", "2", "3"] && style == .rej {
                let patch = try await runner.checked(Command(
                    "git", ["diff", "--no-color", "--no-ext-diff", "--unified=3", "--src-prefix=a/", "--dst-prefix=b/", base, head, "--", path],
                    directory: work))
                _ = try await runner.checked(Command("git", ["checkout", "--theirs", "--", path], directory: work))
                let applied = try await runner.capture(Command("git", ["apply", "--reject", "--whitespace=nowarn", "-"],
                                                               directory: work, input: patch.stdout))
                guard applied.status == 0 || applied.status == 1 else {
                    throw PlatformError.toolFailed(argv: ["git", "apply", "--reject", "-"], status: applied.status,
                                                   stderrTail: tail(of: applied.stderrText))
                }
                _ = try await runner.checked(Command("git", ["add", "--", path], directory: work))
                if FileManager.default.fileExists(atPath: work + "/" + path + ".rej") { result.rejected.append(path) }
            } else {
                result.conflicted.append(path)
            }
        }
    }

    private func listChanges(in work: String, head: String, result: inout UpgradeResult) async throws {
        let diff = try await runner.checked(Command("git", ["diff", "--cached", "--name-status", "--no-renames", "-z", head],
                                                    directory: work))
        let fields = diff.stdoutText.split(separator: "\0").map(String.init)
        var index = 0
        while index + 1 < fields.count {
            let (status, path) = (fields[index], fields[index + 1])
            index += 2
            guard path != TemplateRecord.path, !result.conflicted.contains(path) else { continue }
            switch status.first {
            case "A": result.added.append(path)
            case "D": result.removed.append(path)
            case "M", "T": result.updated.append(path)
            default: break
            }
        }
    }

    /// Runs the target version's migrations for the versions crossed, old < version <= new, in order.
    private func runMigrations(_ migrations: [TemplateMigration], from current: SemanticVersion?,
                               to target: TemplateVersions.Candidate, variables: [String: String], template: String,
                               root: String, fromLabel: String) async throws -> [String] {
        guard let wanted = target.version else { return [] }
        let crossed = migrations.compactMap { migration -> (SemanticVersion, TemplateMigration)? in
            guard let version = SemanticVersion(migration.version), version <= wanted,
                  current.map({ version > $0 }) ?? true else { return nil }
            return (version, migration)
        }.sorted { $0.0 < $1.0 }
        let renderer = PlaceholderRenderer(variables: variables.merging(PlaceholderRenderer.builtins(name: variables["name"] ?? "")) { a, _ in a })
        var ran: [String] = []
        for (_, migration) in crossed {
            try signals.checkInterrupted()
            let argv = migration.command.map { renderer.render($0) }
            reporter.progress("Migration \(migration.version): \(argv.joined(separator: " "))")
            let status = try await runner.stream(
                Command(argv[0], Array(argv.dropFirst()), environment: [
                    "PLATFORM_UPGRADE_FROM": fromLabel, "PLATFORM_UPGRADE_TO": target.label,
                    "PLATFORM_MIGRATION_VERSION": migration.version, "PLATFORM_TEMPLATE_DIR": template,
                ], directory: root),
                stdout: .standardError, stderr: .standardError)
            guard status == 0 else {
                throw PlatformError.failed("migration \(migration.version) (\(argv.joined(separator: " "))) exited with status \(status); "
                                           + "the upgraded files are left uncommitted for inspection"
                                           + (ran.isEmpty ? "" : " (migrations \(ran.joined(separator: ", ")) ran)"))
            }
            ran.append(migration.version)
        }
        return ran
    }

    private func makeScratchFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("platform-upgrade-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
