import Foundation

/// What `platform upgrade` found or did. Paths are relative to the project's top folder;
/// `.platform/template.json` (always rewritten) is not listed.
public struct UpgradeResult: Sendable, Equatable, Encodable {
    public enum Status: String, Sendable, Equatable, Encodable {
        /// The project is on the newest (or the asked-for) version.
        case upToDate = "up_to_date"
        /// `--check`: a newer version exists.
        case available
        /// `--dry-run` / `--diff`: what an upgrade would do; nothing was changed.
        case planned
        /// Merged without conflicts.
        case upgraded
        /// Merged; some files need the user (inline conflicts or .rej files).
        case conflicts
    }

    public var status: Status
    public var template: String
    /// The recorded version (`unversioned` for projects made before templates had versions).
    public var from: String
    public var to: String
    /// Lines of the template's CHANGELOG.md for the versions crossed.
    public var changelog: [String] = []
    public var updated: [String] = []
    public var added: [String] = []
    public var removed: [String] = []
    /// Unmerged in git's index (inline markers, or a file one side deleted and the other changed).
    public var conflicted: [String] = []
    /// `--conflict rej`: files that got a FILE.rej with the user's hunks that did not apply.
    public var rejected: [String] = []
    /// Deleted by the user and changed by the template: they stay deleted.
    public var keptDeleted: [String] = []
    /// New template variables and the values they got (default or --set).
    public var variablesAdded: [String: String] = [:]
    /// Recorded variables the new version no longer has (dropped).
    public var variablesRemoved: [String] = []
    /// Old name → new name, for variables the template renamed (`renamedFrom`).
    public var variablesRenamed: [String: String] = [:]
    /// Versions whose migrations ran, in order.
    public var migrations: [String] = []
    /// The commit made with `--commit`.
    public var commit: String?
    /// The pristine render of the new version (the commit `refs/platform/template` points at after a real run).
    public var pristine: String?
    /// `--diff`: the patch an upgrade would apply (conflicts shown with their markers).
    public var diff: String?

    public init(status: Status, template: String, from: String, to: String) {
        self.status = status
        self.template = template
        self.from = from
        self.to = to
    }
}
