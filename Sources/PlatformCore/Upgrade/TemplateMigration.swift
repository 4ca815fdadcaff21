import Foundation

/// One entry of a template's `migrations` (copier's `_migrations`): a program run in the project by
/// `platform upgrade`, after the merge, when the upgrade crosses `version` (old < version <= new).
/// `command` is an argument array, never a shell string; `{{name}}`-style placeholders in it are
/// filled from the project's variables.
public struct TemplateMigration: Codable, Sendable, Equatable {
    public var version: String
    public var command: [String]

    public init(version: String, command: [String]) {
        self.version = version
        self.command = command
    }
}
