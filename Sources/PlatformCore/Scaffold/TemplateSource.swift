import Foundation

/// `templates_source` from the config: a folder, or a git repository (`git+URL[//SUBDIR][@REF]`) cloned
/// into `$XDG_CACHE_HOME/platform/templates/KEY/` (else `~/.cache/platform/…`). A clone is refreshed
/// when asked (`--refresh`) or, when REF is a branch (or absent), once it is more than an hour old; a
/// tag or commit never moves, so it is fetched once. When a refresh fails and a clone is cached, the
/// cached one is used and the reporter says so (offline use).
public struct TemplateSource: Sendable {
    public let runner: CommandRunner
    public let environment: [String: String]
    public let reporter: ProgressReporter
    public static let branchRefreshInterval: TimeInterval = 3600

    public init(runner: CommandRunner, environment: [String: String], reporter: ProgressReporter) {
        self.runner = runner
        self.environment = environment
        self.reporter = reporter
    }

    /// The cache folder of one git source (one per URL and ref).
    public func cacheFolder(url: String, ref: String?) -> String {
        let key = String(SHA256.hex(Data((url + "\n" + (ref ?? "")).utf8)).prefix(16))
        return EmbeddedTemplates.cacheRoot(environment: environment) + "/templates/" + key
    }

    /// The folder holding the templates. `configFile`: the file that set the source, which a relative
    /// folder is resolved against. `cachedOnly`: never run git (completion scripts); nil when not cached.
    public func folder(for source: String, configFile: String?, refresh: Bool, cachedOnly: Bool = false) async throws -> String? {
        guard source.hasPrefix("git+") else {
            var path = source.hasPrefix("~/") ? (environment["HOME"] ?? NSHomeDirectory()) + source.dropFirst(1) : source
            if !path.hasPrefix("/"), let configFile {
                path = (configFile as NSString).deletingLastPathComponent + "/" + path
            }
            return URL(fileURLWithPath: path).standardizedFileURL.path
        }
        let reference: TemplateReference
        do {
            reference = try TemplateReference.parse(source)
        } catch PlatformError.invalidInput(let message) {
            throw PlatformError.invalidInput("templates_source: " + message + (configFile.map { " (from \($0))" } ?? ""))
        }
        guard case .git(let url, let subdirectory, let ref) = reference else { return nil }
        let folder = cacheFolder(url: url, ref: ref)
        let clone = folder + "/repo"
        let stamp = folder + "/fetched.json"
        let cached = FileManager.default.fileExists(atPath: clone + "/.git")
        if cachedOnly {
            return cached ? try ScaffoldService.confine(subdirectory, to: clone, url: url) : nil
        }
        let record = FileManager.default.contents(atPath: stamp).flatMap { try? JSONDecoder().decode(FetchRecord.self, from: $0) }
        var due = !cached || refresh || record == nil
        if let record, record.branch,
           let modified = (try? FileManager.default.attributesOfItem(atPath: stamp))?[.modificationDate] as? Date,
           Date().timeIntervalSince(modified) >= Self.branchRefreshInterval {
            due = true
        }
        if due {
            let shown = "git+" + url + (ref.map { "@" + $0 } ?? "")
            reporter.progress((cached ? "Refreshing" : "Fetching") + " templates from \(shown)")
            do {
                try await fetch(url: url, ref: ref, folder: folder, clone: clone, stamp: stamp)
            } catch {
                guard cached else {
                    throw PlatformError.failed("could not fetch templates_source \(shown): \(error)")
                }
                let when = record.map { " fetched \($0.fetched)" } ?? ""
                reporter.warning("could not refresh templates from \(shown) (offline?); using the cached clone\(when) in \(clone)")
            }
        }
        return try ScaffoldService.confine(subdirectory, to: clone, url: url)
    }

    struct FetchRecord: Codable {
        var url: String
        var ref: String?
        var commit: String
        /// Whether REF is a branch (or the default branch), so the clone is refreshed hourly.
        var branch: Bool
        var fetched: String
    }

    private func fetch(url: String, ref: String?, folder: String, clone: String, stamp: String) async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let scratch = folder + "/.tmp-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let git = Git(runner: runner)
        try await git.clone(url, into: scratch, ref: ref)
        let head = try await runner.checked(Command("git", ["rev-parse", "HEAD"], directory: scratch))
        var branch = ref == nil
        if let ref {
            let remote = try await runner.capture(
                Command("git", ["rev-parse", "--verify", "--quiet", "refs/remotes/origin/" + ref], directory: scratch))
            branch = remote.succeeded
        }
        let old = folder + "/.old-\(UUID().uuidString.prefix(8))"
        if FileManager.default.fileExists(atPath: clone) { try FileManager.default.moveItem(atPath: clone, toPath: old) }
        try FileManager.default.moveItem(atPath: scratch, toPath: clone)
        try? FileManager.default.removeItem(atPath: old)
        let record = FetchRecord(url: url, ref: ref, commit: head.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines),
                                 branch: branch, fetched: ISO8601DateFormatter().string(from: Date()))
        try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: stamp), options: .atomic)
    }
}
