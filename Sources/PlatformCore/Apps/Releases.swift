import Foundation

/// One deploy or rollback of an app, as recorded in the cluster.
public struct Release: Codable, Sendable, Equatable {
    public enum Result: String, Codable, Sendable, Equatable {
        /// Applied; the rollout is being watched (or the deploy was interrupted while watching).
        case pending
        /// Applied with `--no-wait`: nobody checked the rollout.
        case applied
        case succeeded
        /// Failed and the previous release serves again.
        case rolledBack = "rolled-back"
        /// Failed and not rolled back (`--no-rollback`, or the rollback failed too).
        case failed
        /// Another deploy changed the image while this one waited; it stopped and left that image.
        case superseded
    }

    /// The git commit a release was built from (`deploy --commit SHA`, or HEAD of the app's
    /// repository): DORA lead time runs from `time` to the successful rollout.
    public struct Commit: Codable, Sendable, Equatable {
        /// The commit as given or, when the repository has it, in full.
        public var sha: String
        /// The committer date, ISO 8601; nil when the commit is not in the repository at hand.
        public var time: String?

        public init(sha: String, time: String?) {
            self.sha = sha
            self.time = time
        }
    }

    /// Where a promoted build came from (`platform promote`): the environment and its release.
    public struct Promotion: Codable, Sendable, Equatable {
        public var environment: String
        public var revision: Int?

        public init(environment: String, revision: Int?) {
            self.environment = environment
            self.revision = revision
        }
    }

    public enum Kind: String, Codable, Sendable, Equatable {
        /// `config`: a change of vars or secrets (`platform vars`, `platform secrets`), same image.
        case deploy, rollback, config
    }

    public var revision: Int
    public var image: String
    /// Who ran it: git's user.name, else $USER, else "unknown".
    public var user: String
    /// When it started, ISO 8601 (UTC).
    public var time: String
    public var message: String?
    public var result: Result
    public var kind: Kind
    /// Why it failed (fast-fail reason or timeout).
    public var reason: String?
    /// The image the rollback restored (result `rolled-back`).
    public var rolledBackTo: String?
    /// For `rollback`: the revision whose image was re-deployed.
    public var rollbackOf: Int?
    /// `deploy --force` of the running image: when the Pods were restarted
    /// (the template annotation kubectl.kubernetes.io/restartedAt, as `kubectl rollout restart` sets).
    public var restartedAt: String?
    /// The configuration version (vars and secrets) the release runs; nil: none. Never a secret value.
    public var config: ConfigReference?
    /// The commit the image was built from, when known.
    public var commit: Commit?
    /// For a promotion: the environment and release the image was taken from (kind stays `deploy`, so
    /// older binaries reading the shared history keep working).
    public var promotedFrom: Promotion?
    /// What the pods of a succeeded release ran, pinned by digest (`REPOSITORY@sha256:…`, from
    /// `status.containerStatuses[].imageID`); rollback re-deploys this rather than the tag.
    public var digest: String?

    /// When the release got its final result (its rollout confirmed, rolled back or given up; ISO
    /// 8601); nil for a pending one and in records written before it was kept. `time` is when it started.
    public var finishedAt: String?

    /// What re-deploying this release applies: the digest when one was recorded, else the image.
    public var redeployImage: String { digest ?? image }

    /// Whether a Deployment whose image is `image` runs this release (by its tag or its digest).
    public func runs(_ image: String) -> Bool { image == self.image || image == digest }

    public init(revision: Int, image: String, user: String, time: String, message: String?, result: Result,
                kind: Kind = .deploy, reason: String? = nil, rolledBackTo: String? = nil, rollbackOf: Int? = nil,
                config: ConfigReference? = nil) {
        self.revision = revision
        self.image = image
        self.user = user
        self.time = time
        self.message = message
        self.result = result
        self.kind = kind
        self.reason = reason
        self.rolledBackTo = rolledBackTo
        self.rollbackOf = rollbackOf
        self.config = config
    }
}

/// The release history of one app: a JSON array (newest last, at most `limit`) in the data key
/// `releases` of the ConfigMap `platform-releases-NAME` in the app's namespace.
public struct ReleaseHistory: Sendable, Equatable {
    public static let limit = 50
    public static let dataKey = "releases"

    public var releases: [Release]

    public init(_ releases: [Release] = []) {
        self.releases = releases
    }

    /// Reads the history from the ConfigMap (nil = no history yet).
    public init(configMap: JSONValue?) throws {
        guard let text = configMap?["data", Self.dataKey]?.stringValue, !text.isEmpty else {
            self.init()
            return
        }
        let name = configMap?["metadata", "name"]?.stringValue ?? "?"
        let releases: [Release]
        do {
            releases = try JSONDecoder().decode([Release].self, from: Data(text.utf8))
        } catch {
            throw PlatformError.failed("the release history in ConfigMap \(Validate.quoted(name)) is not readable: \(describe(decodingError: error)); fix or delete it")
        }
        // Anyone who can write the namespace can write the history: a revision outside
        // 1...maximumRevision (negative, or Int.max, whose successor overflows) is refused here, by
        // name, instead of trapping in `nextRevision` or printing "release -4".
        for release in releases {
            for revision in [release.revision] + (release.rollbackOf.map { [$0] } ?? [])
            where !Self.revisions.contains(revision) {
                throw PlatformError.failed(
                    "the release history in ConfigMap \(Validate.quoted(name)) holds revision \(revision); revisions are whole numbers from 1 to \(Self.maximumRevision); fix or delete it")
            }
        }
        self.init(releases)
    }

    /// Revisions are 1 to Int32.max (what `rollback --to` accepts).
    public static let maximumRevision = Int(Int32.max)
    static let revisions = 1...maximumRevision

    /// One more than the newest revision (a history read from the cluster holds at most
    /// `maximumRevision`, so this never overflows); `checkedNextRevision` refuses to go past it.
    public var nextRevision: Int { (releases.map(\.revision).max() ?? 0) + 1 }

    /// The revision of the next release: one more than the newest, never past `maximumRevision`.
    public func checkedNextRevision() throws -> Int {
        let newest = releases.map(\.revision).max() ?? 0
        guard newest < Self.maximumRevision else {
            throw PlatformError.failed("the release history is full (revision \(newest) is the last one); delete the ConfigMap to start again at 1")
        }
        return newest + 1
    }

    public func release(_ revision: Int) -> Release? {
        releases.last { $0.revision == revision }
    }

    /// The release that runs now: the newest one of `liveImage`, the image in the Deployment's
    /// template; none when no release has it (or there is no Deployment).
    /// With `config` (the version the Deployment references), the newest release of both wins.
    public func current(liveImage: String?, config: ConfigReference? = nil) -> Release? {
        guard let liveImage else { return nil }
        if let config, let both = releases.last(where: {
            $0.runs(liveImage) && ($0.config ?? .empty).sameVersion(as: config)
        }) {
            return both
        }
        return releases.last { $0.runs(liveImage) }
    }

    /// The newest release that succeeded (whatever runs now).
    public var lastSucceeded: Release? {
        releases.last { $0.result == .succeeded }
    }

    /// What `rollback` goes back to by default: the newest successful release that runs something
    /// else than the Deployment now, by image **or** configuration version, so a config-only release
    /// is a release to go back to (Heroku's `releases:rollback` takes the previous succeeded release
    /// whatever it changed). After a failed deploy left its image, that is the last good release;
    /// releases of what runs now (a `deploy --force`, a rollback to it) are skipped.
    public func rollbackTarget(liveImage: String?, liveConfig: ConfigReference) -> Release? {
        releases.last { release in
            release.result == .succeeded
                && !((liveImage.map(release.runs) ?? false) && (release.config ?? .empty).sameVersion(as: liveConfig))
        }
    }

    /// Adds or replaces (same revision) a release, keeping the newest `limit`.
    public mutating func record(_ release: Release) {
        if let index = releases.lastIndex(where: { $0.revision == release.revision }) {
            releases[index] = release
        } else {
            releases.append(release)
        }
        if releases.count > Self.limit { releases.removeFirst(releases.count - Self.limit) }
    }

    /// The ConfigMap document that holds this history.
    public func configMap(app name: String, namespace: String, environment: String) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(releases), as: UTF8.self)
        return .object([
            "apiVersion": .string("v1"),
            "kind": .string("ConfigMap"),
            "metadata": .object([
                "name": .string(AppConventions.releasesConfigMap(name)),
                "namespace": .string(namespace),
                "labels": .object([
                    AppConventions.nameLabel: .string(name),
                    AppConventions.instanceLabel: .string("\(name)-\(environment)"),
                    AppConventions.managedByLabel: .string("platform"),
                ]),
            ]),
            "data": .object([Self.dataKey: .string(text)]),
        ])
    }
}

/// Reads and writes an app's release history in the cluster.
public struct ReleaseStore: Sendable {
    public let kubectl: Kubectl

    public init(kubectl: Kubectl) {
        self.kubectl = kubectl
    }

    public func read(app name: String, namespace: String) async throws -> ReleaseHistory {
        try ReleaseHistory(configMap: try await kubectl.get("configmap", AppConventions.releasesConfigMap(name),
                                                             namespace: namespace))
    }

    /// Records `release` (same revision replaced): see `update`.
    @discardableResult
    public func record(_ release: Release, app name: String, namespace: String) async throws -> ReleaseHistory {
        try await update(app: name, namespace: namespace) { history in
            history.record(release)
            return history
        }
    }

    /// Read, change, write with optimistic concurrency, so concurrent deploys never lose each other's
    /// records or share a revision: a new ConfigMap is created (`kubectl create`, AlreadyExists when
    /// someone was faster), an existing one replaced with its resourceVersion as precondition
    /// (`kubectl replace`, Conflict when it changed meanwhile); either way it reads again and retries.
    /// Both writes use the field manager `platform-deploy`.
    public func update<T: Sendable>(app name: String, namespace: String,
                                    _ change: @Sendable (inout ReleaseHistory) throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let current = try await kubectl.get("configmap", AppConventions.releasesConfigMap(name), namespace: namespace)
            var history = try ReleaseHistory(configMap: current)
            let value = try change(&history)
            if try await kubectl.guardedWrite(
                try history.configMap(app: name, namespace: namespace, environment: namespace),
                over: current, finalAttempt: attempt >= Self.maxAttempts) {
                return value
            }
            try await Task.sleep(nanoseconds: UInt64.random(in: 20_000_000...120_000_000))
        }
    }

    static let maxAttempts = 20
}

/// `platform releases NAME`: the history, newest last.
public struct ReleasesReport: Codable, Sendable, Equatable {
    public var app: String
    public var environment: String
    /// The revision of the release that runs now (see `ReleaseHistory.current(liveImage:)`).
    public var current: Int?
    public var releases: [Release]
    /// What each release changed against the one before it (image, vars, secrets).
    public var changes: [ReleaseChange]?
}

public extension ReleaseStore {
    func report(app name: String, namespace: String) async throws -> ReleasesReport {
        let history = try await read(app: name, namespace: namespace)
        let deployment = try await kubectl.deployment(name, namespace: namespace)
        if history.releases.isEmpty, deployment == nil {
            throw PlatformError.failed("app \(Validate.quoted(name)) not found in environment \(Validate.quoted(namespace)) (no Deployment and no release history)")
        }
        let liveImage = deployment.flatMap { RolloutRules.image(of: $0, container: name) }
        let config = ConfigReference.live(in: deployment, app: name)
        return ReleasesReport(app: name, environment: namespace,
                              current: history.current(liveImage: liveImage, config: config)?.revision,
                              releases: history.releases, changes: ReleaseChange.all(history.releases))
    }
}
