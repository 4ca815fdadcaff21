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
        var overrides: [String] = []
        if try await config("user.name", in: directory) == nil {
            overrides += ["-c", "user.name=\(Self.fallbackName)"]
        }
        if try await config("user.email", in: directory) == nil {
            overrides += ["-c", "user.email=\(Self.fallbackEmail)"]
        }
        _ = try await runner.checked(Command("git", overrides + ["commit", "--quiet", "--no-verify", "-m", message],
                                             directory: directory))
        let head = try await runner.checked(Command("git", ["rev-parse", "HEAD"], directory: directory))
        return head.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Clones `url` into `destination` and checks out `ref` (branch, tag or commit) when given.
    public func clone(_ url: String, into destination: String, ref: String?) async throws {
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
    }

    /// The user's name for records (release history): git's user.name, else nil.
    public func userName(in directory: String) async -> String? {
        try? await config("user.name", in: directory)
    }
}
