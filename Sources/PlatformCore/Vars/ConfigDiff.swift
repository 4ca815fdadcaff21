import Foundation

/// What changed between two configuration versions, by key: `+DB_URL ~LOG_LEVEL -OLD`. Keys are
/// compared by their fingerprints, so it works for secrets without their values.
public struct ConfigDiff: Codable, Sendable, Equatable {
    public var added: [String]
    public var changed: [String]
    public var removed: [String]
    /// The versions differ but their keys are not known (a version recorded without them).
    public var unknown: Bool

    public init(added: [String] = [], changed: [String] = [], removed: [String] = [], unknown: Bool = false) {
        self.added = added
        self.changed = changed
        self.removed = removed
        self.unknown = unknown
    }

    public var isEmpty: Bool { added.isEmpty && changed.isEmpty && removed.isEmpty && !unknown }

    /// From key → fingerprint maps (nil: none).
    public init(from old: [String: String]?, to new: [String: String]?) {
        let before = old ?? [:], after = new ?? [:]
        self.init(added: after.keys.filter { before[$0] == nil }.sorted(),
                  changed: after.keys.filter { before[$0] != nil && before[$0] != after[$0] }.sorted(),
                  removed: before.keys.filter { after[$0] == nil }.sorted())
    }

    /// The vars half (`secrets` false) or the secrets half of two releases' versions.
    public static func between(_ old: ConfigReference?, _ new: ConfigReference?, secrets: Bool) -> ConfigDiff {
        let oldName = secrets ? old?.secrets : old?.vars, newName = secrets ? new?.secrets : new?.vars
        if oldName == newName { return ConfigDiff() }
        let oldKeys = secrets ? old?.secretKeys : old?.varKeys, newKeys = secrets ? new?.secretKeys : new?.varKeys
        if (oldName != nil && oldKeys == nil) || (newName != nil && newKeys == nil) { return ConfigDiff(unknown: true) }
        return ConfigDiff(from: oldKeys, to: newKeys)
    }

    /// `+DB_URL ~LOG_LEVEL -OLD` (or `changed` when the keys are not known).
    public var summary: String {
        if unknown { return "changed" }
        return (added.map { "+" + $0 } + changed.map { "~" + $0 } + removed.map { "-" + $0 }).joined(separator: " ")
    }
}
