import Foundation

/// What a promotion will do, read from both environments before anything changes: `--dry-run`
/// prints it, the real run deploys `image` to the target.
public struct PromotePlan: Codable, Sendable, Equatable {
    /// One environment's side: what its Deployment runs and the release of that image.
    public struct Side: Codable, Sendable, Equatable {
        public var environment: String
        /// The image in the Deployment's pod template.
        public var image: String?
        /// The digest its ready pods run (`status.containerStatuses[].imageID`).
        public var digest: String?
        public var revision: Int?
        /// When that release started (ISO 8601).
        public var releasedAt: String?

        public init(environment: String, image: String?, digest: String?, revision: Int?, releasedAt: String?) {
            self.environment = environment
            self.image = image
            self.digest = digest
            self.revision = revision
            self.releasedAt = releasedAt
        }
    }

    public var app: String
    public var from: Side
    public var to: Side
    /// What the target gets: REPOSITORY@sha256:DIGEST (or the source's tag with `--allow-tag`).
    public var image: String
    /// Whether the target would change (it does not run `image` yet).
    public var changes: Bool
    /// The commit the build was made from, as the source's release recorded it: the target's release
    /// records it too, so lead time (docs/metrics.md) is measured where the build finally lands.
    public var commit: Release.Commit?

    public init(app: String, from: Side, to: Side, image: String, changes: Bool) {
        self.app = app
        self.from = from
        self.to = to
        self.image = image
        self.changes = changes
    }

    /// `prod runs shop@sha256:aa… (release 12, 3 days old); staging runs shop@sha256:bb… (release 40)`.
    public func summary(now: Date) -> String {
        "\(describe(to, now: now)); \(describe(from, now: now))"
    }

    private func describe(_ side: Side, now: Date) -> String {
        guard let image = side.image else { return "\(side.environment) runs nothing yet" }
        let shown = side.digest.map { ImageDigest.pinned(image: image, digest: $0) } ?? image
        var text = "\(side.environment) runs \(PromoteRules.short(shown))"
        var details: [String] = []
        if let revision = side.revision { details.append("release \(revision)") }
        if let released = side.releasedAt.flatMap(parseTimestamp) {
            details.append(StatusService.humanAge(max(0, now.timeIntervalSince(released))) + " old")
        }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        return text
    }
}
