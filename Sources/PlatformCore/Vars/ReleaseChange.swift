import Foundation

/// What a release changed against the one recorded before it: the image, the vars, the secrets
/// (by key, from the fingerprints; never values).
public struct ReleaseChange: Codable, Sendable, Equatable {
    public var revision: Int
    public var image: Bool
    public var vars: ConfigDiff?
    public var secrets: ConfigDiff?

    public init(revision: Int, image: Bool, vars: ConfigDiff? = nil, secrets: ConfigDiff? = nil) {
        self.revision = revision
        self.image = image
        self.vars = vars
        self.secrets = secrets
    }

    public init(_ release: Release, previous: Release?) {
        let vars = ConfigDiff.between(previous?.config, release.config, secrets: false)
        let secrets = ConfigDiff.between(previous?.config, release.config, secrets: true)
        self.init(revision: release.revision, image: previous.map { $0.image != release.image } ?? true,
                  vars: vars.isEmpty ? nil : vars, secrets: secrets.isEmpty ? nil : secrets)
    }

    /// Each release of the history against the one before it.
    public static func all(_ history: [Release]) -> [ReleaseChange] {
        history.enumerated().map { index, release in
            ReleaseChange(release, previous: index > 0 ? history[index - 1] : nil)
        }
    }

    /// `image, vars: +DB_URL ~LOG_LEVEL -OLD, secrets: ~API_KEY` (or `-` for nothing).
    public var summary: String {
        var parts: [String] = []
        if image { parts.append("image") }
        if let vars { parts.append("vars: " + vars.summary) }
        if let secrets { parts.append("secrets: " + secrets.summary) }
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }
}
