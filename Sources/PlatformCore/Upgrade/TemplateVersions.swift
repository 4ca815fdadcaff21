import Foundation

/// The versions of one template that `platform upgrade` can reach: for a template id every templates
/// folder that has it (each folder's template.json `version`), for a local folder that folder, for a
/// git template every version-like tag of the repository (cloned once into a scratch folder).
struct TemplateVersions: Sendable {
    struct Candidate: Sendable, Equatable {
        /// What is recorded and shown: template.json's version, or the git tag (or a commit).
        var label: String
        var version: SemanticVersion?
        var commit: String?
        /// The template folder (folder templates only; git ones are checked out on demand).
        var directory: String?
    }

    enum Origin: Sendable {
        case folders(id: String)
        case git(url: String, subdirectory: String?, clone: String, id: String)
    }

    var origin: Origin
    var candidates: [Candidate]
    let runner: CommandRunner

    static func open(_ reference: TemplateReference, store: TemplateStore, runner: CommandRunner,
                     scratch: String) async throws -> TemplateVersions {
        switch reference {
        case .id(let id):
            var candidates: [Candidate] = []
            for directory in try store.searchDirectories() {
                let folder = directory + "/" + id
                guard FileManager.default.fileExists(atPath: folder + "/" + TemplateManifest.fileName) else { continue }
                let manifest = try TemplateManifest.load(from: folder)
                candidates.append(Candidate(label: manifest.version ?? "unversioned",
                                            version: manifest.version.flatMap(SemanticVersion.init),
                                            commit: nil, directory: folder))
            }
            guard !candidates.isEmpty else { _ = try store.find(id); throw PlatformError.invalidInput("unknown template \(id)") }
            return TemplateVersions(origin: .folders(id: id), candidates: candidates, runner: runner)
        case .path(let path):
            let folder = URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.path
            let manifest = try TemplateManifest.load(from: folder)
            return TemplateVersions(origin: .folders(id: path), candidates: [
                Candidate(label: manifest.version ?? "unversioned", version: manifest.version.flatMap(SemanticVersion.init),
                          commit: nil, directory: folder),
            ], runner: runner)
        case .git(let url, let subdirectory, _):
            let clone = scratch + "/template"
            _ = try await runner.checked(Command("git", ["clone", "--quiet", "--no-checkout", "--", url, clone]))
            let refs = try await runner.checked(Command(
                "git", ["for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)", "refs/tags"],
                directory: clone))
            var candidates: [Candidate] = []
            for line in refs.stdoutText.split(separator: "\n") {
                let fields = line.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
                guard fields.count == 3, let version = SemanticVersion(fields[0]) else { continue }
                // An annotated tag's commit is the peeled object (%(*objectname)).
                candidates.append(Candidate(label: fields[0], version: version,
                                            commit: fields[2].isEmpty ? fields[1] : fields[2], directory: nil))
            }
            if candidates.isEmpty {
                // No version tags: the default branch's newest commit is the only version there is.
                let head = try await runner.checked(Command("git", ["rev-parse", "HEAD^{commit}"], directory: clone))
                let commit = head.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
                candidates.append(Candidate(label: String(commit.prefix(12)), version: nil, commit: commit, directory: nil))
            }
            let id = subdirectory ?? URL(fileURLWithPath: url).deletingPathExtension().lastPathComponent
            return TemplateVersions(origin: .git(url: url, subdirectory: subdirectory, clone: clone, id: id),
                                    candidates: candidates, runner: runner)
        }
    }

    /// The highest version; among equal ones the first templates folder's (the one scaffold uses).
    var newest: Candidate? {
        candidates.reduce(nil) { best, candidate in
            guard let best else { return candidate }
            switch (best.version, candidate.version) {
            case let (b?, c?): return c > b ? candidate : best
            case (nil, .some): return candidate
            default: return best
            }
        }
    }

    /// `--to VERSION`: the exact label (a tag name) or the same semantic version.
    func find(_ wanted: String) -> Candidate? {
        if let exact = candidates.first(where: { $0.label == wanted }) { return exact }
        guard let version = SemanticVersion(wanted) else { return nil }
        return candidates.first { $0.version == version }
    }

    /// The candidates a project's record may have been rendered from: the recorded version (any
    /// version, for a record from before templates had versions), or the recorded git commit. The
    /// caller checks the template hash.
    func recorded(_ record: TemplateRecord) async -> [Candidate] {
        switch origin {
        case .folders:
            guard let version = record.version else { return candidates }
            return candidates.filter { $0.label == version || ($0.version != nil && $0.version == SemanticVersion(version)) }
        case .git(_, _, let clone, _):
            guard let commit = record.commit,
                  (try? await runner.capture(Command("git", ["cat-file", "-e", commit + "^{commit}"], directory: clone)))?
                    .succeeded == true else { return [] }
            return [Candidate(label: record.version ?? String(commit.prefix(12)),
                              version: record.version.flatMap(SemanticVersion.init), commit: commit, directory: nil)]
        }
    }

    var available: String {
        candidates.map(\.label).joined(separator: ", ")
    }

    /// The `--template` source string a project made from this candidate records.
    func source(for candidate: Candidate, recorded: String) -> String {
        switch origin {
        case .folders: return recorded
        case .git(let url, let subdirectory, _, _):
            return TemplateReference.git(url: url, subdirectory: subdirectory, ref: candidate.label).description
        }
    }

    /// The template folder of a candidate, checked out first for git templates.
    func checkout(_ candidate: Candidate) async throws -> TemplateInfo {
        switch origin {
        case .folders(let id):
            let directory = candidate.directory ?? ""
            return TemplateInfo(id: id, directory: directory, manifest: try TemplateManifest.load(from: directory))
        case .git(_, let subdirectory, let clone, let id):
            _ = try await runner.checked(Command("git", ["checkout", "--quiet", "--force", "--detach", candidate.commit ?? "HEAD"],
                                                 directory: clone))
            let directory = try ScaffoldService.confine(subdirectory, to: clone, url: clone)
            return TemplateInfo(id: id, directory: directory, manifest: try TemplateManifest.load(from: directory))
        }
    }
}
