import Foundation

/// The git commands the platform runs, as argument arrays.
public struct Git: Sendable {
    public let runner: CommandRunner

    public init(runner: CommandRunner) {
        self.runner = runner
    }

    /// A platform identity used for one commit when the user has none configured;
    /// the user's own config is never written.
    public static let fallbackName = "platform"
    public static let fallbackEmail = "platform@localhost"

    public func initialize(_ directory: String) async throws {
        _ = try await runner.checked(Command("git", ["init", "--quiet"], directory: directory))
    }

    public func addAll(_ directory: String) async throws {
        _ = try await runner.checked(Command("git", ["add", "--all"], directory: directory))
    }

    /// The configured value, or nil when unset (`git config --get` exits 1).
    public func config(_ key: String, in directory: String) async throws -> String? {
        let result = try await runner.capture(Command("git", ["config", "--get", key], directory: directory))
        let value = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        return result.succeeded && !value.isEmpty ? value : nil
    }

    /// Commits everything staged; falls back to the platform identity for what the user lacks.
    public func commit(_ directory: String, message: String) async throws -> String {
        let overrides = try await identityOverrides(in: directory)
        _ = try await runner.checked(Command("git", overrides + ["commit", "--quiet", "--no-verify", "-m", message],
                                             directory: directory))
        let head = try await runner.checked(Command("git", ["rev-parse", "HEAD"], directory: directory))
        return head.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `-c user.name=… -c user.email=…` with the platform identity for what the user has not configured.
    public func identityOverrides(in directory: String) async throws -> [String] {
        var overrides: [String] = []
        if try await config("user.name", in: directory) == nil {
            overrides += ["-c", "user.name=\(Self.fallbackName)"]
        }
        if try await config("user.email", in: directory) == nil {
            overrides += ["-c", "user.email=\(Self.fallbackEmail)"]
        }
        return overrides
    }

    /// The commit `revision` names in the repository at `directory`, in full, with its committer
    /// date; nil when there is no repository there or it lacks the commit.
    public func commitInfo(_ revision: String, in directory: String) async -> Release.Commit? {
        let command = Command("git", ["-C", directory, "show", "-s", "--format=%H %cI", revision + "^{commit}"])
        guard let result = try? await runner.capture(command, limit: 4096), result.succeeded else { return nil }
        let fields = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard fields.count == 2, let time = parseTimestamp(String(fields[1])) else { return nil }
        return Release.Commit(sha: String(fields[0]), time: DeployService.timestamp(time))  // UTC, as release times
    }

    /// Points `ref` at `target` (a commit or a revision like HEAD).
    public func updateRef(_ ref: String, to target: String, in directory: String, reason: String) async throws {
        _ = try await runner.checked(Command("git", ["update-ref", "-m", reason, ref, target], directory: directory))
    }

    /// The template version of a clone's checkout: `ref` when it names a tag, else the newest
    /// version-like tag on `commit`, else nil.
    public func versionTag(in clone: String, ref: String?, commit: String) async throws -> String? {
        if let ref, try await runner.capture(Command("git", ["rev-parse", "--verify", "--quiet", "refs/tags/" + ref],
                                                       directory: clone)).succeeded {
            return ref
        }
        let tags = try await runner.checked(Command("git", ["tag", "--points-at", commit], directory: clone))
        return tags.stdoutText.split(separator: "\n").map(String.init)
            .compactMap(SemanticVersion.init).max()?.text
    }

    /// Clones `url` into `destination` and checks out `ref` (branch, tag or commit) when given;
    /// returns the commit checked out.
    @discardableResult
    public func clone(_ url: String, into destination: String, ref: String?) async throws -> String {
        _ = try await runner.checked(Command("git", ["clone", "--quiet", "--no-checkout", "--", url, destination]))
        var commit: String?
        for candidate in [ref ?? "HEAD", "origin/" + (ref ?? "HEAD")] {
            let result = try await runner.capture(
                Command("git", ["rev-parse", "--verify", "--quiet", candidate + "^{commit}"], directory: destination))
            if result.succeeded {
                commit = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
                break
            }
        }
        guard let commit else {
            throw PlatformError.invalidInput("template ref \(Validate.quoted(ref ?? "HEAD")) not found in \(url)")
        }
        _ = try await runner.checked(Command("git", ["checkout", "--quiet", "--detach", commit], directory: destination))
        return commit
    }

    /// The user's name for records (release history): git's user.name, else nil.
    public func userName(in directory: String) async -> String? {
        try? await config("user.name", in: directory)
    }
}
