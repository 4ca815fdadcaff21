import Foundation

/// What `platform upgrade` is asked to do, in a project made by `platform scaffold`.
public struct UpgradeRequest: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable {
        /// Merge the new template version into the work tree (and index).
        case apply
        /// Only compare the recorded version with the newest one.
        case check
        /// Merge in a scratch clone and report what would change; the project is not touched.
        case dryRun
        /// Like `dryRun`, and also return the patch.
        case diff
    }

    /// How conflicting hunks are left: inline markers with the file unmerged in git's index, or
    /// the user's hunks that do not apply in `FILE.rej` beside the new template's file.
    public enum ConflictStyle: String, Sendable, Equatable, CaseIterable {
        case inline, rej
    }

    /// A folder inside the project (the top of its git repository holds `.platform/template.json`).
    public var directory: String
    /// `--to`: a version (`1.2.0`, a git tag); nil for the newest.
    public var version: String?
    public var conflict: ConflictStyle
    /// `--set KEY=VALUE`: values for new variables, or new values for existing ones.
    public var variables: [String: String]
    public var mode: Mode
    /// Commit the result (only when nothing conflicts).
    public var commit: Bool

    public init(directory: String, version: String? = nil, conflict: ConflictStyle = .inline,
                variables: [String: String] = [:], mode: Mode = .apply, commit: Bool = false) {
        self.directory = directory
        self.version = version
        self.conflict = conflict
        self.variables = variables
        self.mode = mode
        self.commit = commit
    }
}
