import Foundation

/// What `platform vars set|unset` or `platform secrets set|unset` was asked to do.
public struct ConfigChangeRequest: Sendable, Equatable {
    public enum Part: String, Codable, Sendable, Equatable {
        case vars, secrets
    }

    public var app: String
    public var environment: String
    public var part: Part
    /// Keys to set and their values (secret values stay in memory and go to kubectl's stdin only).
    public var set: [String: String]
    public var unset: [String]
    /// Record the new version without rolling it out (`--stage`).
    public var stage: Bool
    public var message: String?
    public var timeout: Double
    public var rollbackTimeout: Double
    public var wait: Bool
    public var rollback: Bool

    public init(app: String, environment: String, part: Part, set: [String: String] = [:], unset: [String] = [],
                stage: Bool = false, message: String? = nil, timeout: Double = 300, rollbackTimeout: Double = 300,
                wait: Bool = true, rollback: Bool = true) {
        self.app = app
        self.environment = environment
        self.part = part
        self.set = set
        self.unset = unset
        self.stage = stage
        self.message = message
        self.timeout = timeout
        self.rollbackTimeout = rollbackTimeout
        self.wait = wait
        self.rollback = rollback
    }
}

/// What a change did (`-o json`). Never a secret value.
public struct ConfigOutcome: Codable, Sendable, Equatable {
    public var app: String
    public var environment: String
    public var part: ConfigChangeRequest.Part
    public var diff: ConfigDiff
    /// The version after the change (staged or running).
    public var config: ConfigReference
    /// Nothing to change: the keys already had these values.
    public var unchanged: Bool
    /// Recorded with `--stage`; rolled out by the next deploy or `platform vars apply`.
    public var staged: Bool
    /// The release that rolled it out.
    public var release: DeployOutcome?
}

/// `platform vars list` / `platform secrets list`.
public struct ConfigListing: Codable, Sendable, Equatable {
    public struct Secret: Codable, Sendable, Equatable {
        public var key: String
        public var fingerprint: String
        /// The release that last changed it, by whom and when (nil when the history does not say).
        public var revision: Int?
        public var user: String?
        public var time: String?
    }

    public var app: String
    public var environment: String
    /// The version the Deployment references now.
    public var config: ConfigReference
    /// Values of the vars (only for `vars list`).
    public var vars: [String: String]?
    /// Keys of the secrets, never values (only for `secrets list`).
    public var secrets: [Secret]?
    /// The staged version, if any, and what it changes.
    public var staged: ConfigReference?
    public var stagedDiff: ConfigDiff?
}

/// Configuration versions of an app: reads them, makes new ones, rolls them out as releases
/// through `DeployService` (its wait, fail-fast and rollback) and deletes those no release needs.
public struct ConfigService: Sendable {
    public let deployer: DeployService
    /// Seconds between two looks at another change's lease.
    public var pollInterval: Double

    public init(deployer: DeployService, pollInterval: Double = 0.5) {
        self.deployer = deployer
        self.pollInterval = pollInterval
    }

    var kubectl: Kubectl { deployer.kubectl }
    var reporter: ProgressReporter { deployer.reporter }
    var states: ConfigStateStore { ConfigStateStore(kubectl: kubectl) }

    // MARK: - Reading

    /// The Deployment (must exist) and the version it references.
    func deployment(app: String, namespace: String) async throws -> JSONValue {
        guard let deployment = try await kubectl.deployment(app, namespace: namespace) else {
            throw PlatformError.failed("app \(Validate.quoted(app)) not found in environment \(Validate.quoted(namespace)) (no Deployment \(app) in namespace \(namespace)); run 'platform create \(app) -e \(namespace)' first")
        }
        return deployment
    }

    /// The content of a version (values of the vars and, with `secrets`, of the secrets).
    public func content(of reference: ConfigReference, app: String, namespace: String,
                        secrets: Bool = true) async throws -> ConfigSet {
        var set = ConfigSet()
        if let name = reference.vars {
            guard let object = try await kubectl.get("configmap", name, namespace: namespace) else {
                throw PlatformError.failed("the ConfigMap \(name) of \(app) is missing in \(namespace): the configuration version was deleted by hand")
            }
            set.vars = try ConfigSet.values(of: object, secret: false)
        }
        if secrets, let name = reference.secrets {
            guard let object = try await kubectl.get("secret", name, namespace: namespace) else {
                throw PlatformError.failed("the Secret \(name) of \(app) is missing in \(namespace): the configuration version was deleted by hand")
            }
            set.secrets = try ConfigSet.values(of: object, secret: true)
        }
        return set
    }

    public func list(app: String, namespace: String, part: ConfigChangeRequest.Part) async throws -> ConfigListing {
        let deployment = try await deployment(app: app, namespace: namespace)
        let live = ConfigReference.live(in: deployment, app: app)
        let history = try await ReleaseStore(kubectl: kubectl).read(app: app, namespace: namespace)
        let reference = Self.withKeys(live, history: history)
        let state = try await states.read(app: app, namespace: namespace)
        var listing = ConfigListing(app: app, environment: namespace, config: reference, vars: nil, secrets: nil,
                                    staged: state.staged?.config,
                                    stagedDiff: state.staged.map {
                                        ConfigDiff.between(reference, $0.config, secrets: part == .secrets)
                                    })
        switch part {
        case .vars:
            listing.vars = try await content(of: live, app: app, namespace: namespace, secrets: false).vars
        case .secrets:
            // Names and fingerprints from the Secret itself; who changed each key from the history.
            let set = try await content(of: live, app: app, namespace: namespace)
            listing.secrets = set.secrets.keys.sorted().map { key in
                let fingerprint = ConfigSet.fingerprint(app: app, key: key, value: set.secrets[key] ?? "")
                let changed = Self.lastChange(of: key, fingerprint: fingerprint, history: history)
                return ConfigListing.Secret(key: key, fingerprint: fingerprint, revision: changed?.revision,
                                            user: changed?.user, time: changed?.time)
            }
        }
        return listing
    }

    /// The release that gave `key` its current value: the oldest of the last run of releases whose
    /// version has that fingerprint for it.
    static func lastChange(of key: String, fingerprint: String, history: ReleaseHistory) -> Release? {
        var found: Release?
        for release in history.releases.reversed() {
            guard let keys = release.config?.secretKeys else { if found != nil { break } else { continue } }
            if keys[key] == fingerprint { found = release } else if found != nil { break }
        }
        return found
    }

    /// The reference with the key fingerprints a release recorded for the same version.
    static func withKeys(_ reference: ConfigReference, history: ReleaseHistory) -> ConfigReference {
        history.releases.last {
            $0.config?.sameVersion(as: reference) == true && ($0.config?.varKeys != nil || $0.config?.secretKeys != nil)
        }?.config ?? reference
    }

    // MARK: - Changing

    /// What `change` (or, with `apply`, `applyStaged`) would do now: `--dry-run`. Reads the
    /// Deployment, the history, the state and the base version's content; changes nothing (no lease).
    public func plan(_ request: ConfigChangeRequest, apply: Bool = false) async throws -> ConfigPlan {
        try await planned(request, apply: apply).plan
    }

    /// The plan and what executing it needs. The new version is built on the staged one (if any)
    /// or the running one; `apply` rolls out the staged version.
    func planned(_ request: ConfigChangeRequest, apply: Bool) async throws -> PlannedChange {
        let app = request.app, namespace = request.environment
        let deployment = try await deployment(app: app, namespace: namespace)
        let history = try await ReleaseStore(kubectl: kubectl).read(app: app, namespace: namespace)
        let state = try await states.read(app: app, namespace: namespace)
        let live = Self.withKeys(ConfigReference.live(in: deployment, app: app), history: history)
        let secrets = request.part == .secrets
        var plan = ConfigPlan(app: app, environment: namespace, part: request.part, action: .none, base: live,
                              config: live, diff: ConfigDiff(), creates: [], configMap: nil, patch: nil,
                              fieldManager: AppConventions.deployFieldManager, timeout: request.timeout,
                              wait: request.wait, rollback: request.rollback)
        if apply {
            guard let staged = state.staged else {
                return PlannedChange(plan: plan, content: nil, deployment: deployment, state: state, live: live)
            }
            plan.action = .rollOut
            plan.config = staged.config
            plan.diff = ConfigDiff.between(live, staged.config, secrets: secrets)
            plan.patch = DeployPlan(try deployRequest(staged.config, request, deployment: deployment), kubectl: kubectl).patch
            return PlannedChange(plan: plan, content: nil, deployment: deployment, state: state, live: live)
        }
        let base = state.staged?.config ?? live
        var content = try await content(of: base, app: app, namespace: namespace)
        var values = secrets ? content.secrets : content.vars
        for key in request.unset { values[key] = nil }
        for (key, value) in request.set { values[key] = value }
        try ConfigKey.validate(total: values, what: request.part.rawValue)
        if secrets { content.secrets = values } else { content.vars = values }
        let next = content.reference(app: app)
        plan.base = base
        plan.diff = ConfigDiff.between(base, next, secrets: secrets)
        guard !next.sameVersion(as: base) else {
            plan.config = base
            return PlannedChange(plan: plan, content: content, deployment: deployment, state: state, live: live)
        }
        plan.config = next
        plan.action = request.stage ? .stage : .rollOut
        if secrets {
            plan.creates = next.secrets.map { ["secret/" + $0] } ?? []
        } else {
            plan.creates = next.vars.map { ["configmap/" + $0] } ?? []
            plan.configMap = content.configMap(app: app, namespace: namespace)
        }
        if !request.stage {
            plan.patch = DeployPlan(try deployRequest(next, request, deployment: deployment), kubectl: kubectl).patch
        }
        return PlannedChange(plan: plan, content: content, deployment: deployment, state: state, live: live)
    }

    /// Sets and unsets keys: a new version built on the staged one (if any) or the running one,
    /// then staged, or rolled out as a release (exit codes of deploy: rolled back = 3, ...).
    public func change(_ request: ConfigChangeRequest) async throws -> ConfigOutcome {
        try await holdingLease(app: request.app, namespace: request.environment, timeout: request.timeout,
                               rollbackTimeout: request.rollbackTimeout) {
            try await changeHoldingLease(request)
        }
    }

    /// Rolls out the staged version (`platform vars apply`); nil when nothing is staged.
    public func applyStaged(_ request: ConfigChangeRequest) async throws -> ConfigOutcome? {
        try await holdingLease(app: request.app, namespace: request.environment, timeout: request.timeout,
                               rollbackTimeout: request.rollbackTimeout) {
            let planned = try await planned(request, apply: true)
            guard let staged = planned.state.staged, planned.plan.action == .rollOut else { return nil }
            var request = request
            if request.message == nil, let messages = staged.messages, !messages.isEmpty {
                request.message = messages.joined(separator: "; ")
            }
            let plan = planned.plan
            let release = try await rollOut(plan.config, request: request, deployment: planned.deployment)
            return ConfigOutcome(app: plan.app, environment: plan.environment, part: request.part, diff: plan.diff,
                                 config: plan.config, unchanged: false, staged: false, release: release)
        }
    }

    /// The staged version of an app, for `deploy` (which ships it together with the image).
    public func staged(app: String, namespace: String) async throws -> ConfigState.Staged? {
        try await states.read(app: app, namespace: namespace).staged
    }

    /// After a deploy shipped the staged version: forget it (only if it is still that one).
    public func clearStaged(_ staged: ConfigReference, app: String, namespace: String) async throws {
        try await states.update(app: app, namespace: namespace) { state in
            guard state.staged?.config.sameVersion(as: staged) == true else { return (false, ()) }
            state.staged = nil
            return (true, ())
        }
    }

    private func changeHoldingLease(_ request: ConfigChangeRequest) async throws -> ConfigOutcome {
        let planned = try await planned(request, apply: false)
        let plan = planned.plan, state = planned.state
        let app = plan.app, namespace = plan.environment
        guard plan.action != .none, let content = planned.content else {
            return ConfigOutcome(app: app, environment: namespace, part: request.part, diff: plan.diff, config: plan.base,
                                 unchanged: true, staged: state.staged != nil, release: nil)
        }
        try await create(content, app: app, namespace: namespace)
        if plan.action == .stage {
            let staged = ConfigState.Staged(config: plan.config, user: deployer.user, time: DeployService.timestamp(deployer.now()),
                                            messages: (state.staged?.messages ?? []) + (request.message.map { [$0] } ?? []))
            try await states.update(app: app, namespace: namespace) { state in
                state.staged = staged
                return (true, ())
            }
            reporter.progress("Staged \(request.part.rawValue) of \(app) in \(namespace): \(plan.diff.summary) (\(plan.config.summary)); "
                              + "'platform deploy' or 'platform vars apply' rolls it out")
            return ConfigOutcome(app: app, environment: namespace, part: request.part, diff: plan.diff, config: plan.config,
                                 unchanged: false, staged: true, release: nil)
        }
        reporter.progress("Updating \(request.part.rawValue) of \(app) in \(namespace): \(plan.diff.summary)")
        let release = try await rollOut(plan.config, request: request, deployment: planned.deployment,
                                        replacing: state.staged?.config)
        return ConfigOutcome(app: app, environment: namespace, part: request.part, diff: plan.diff, config: plan.config,
                             unchanged: false, staged: false, release: release)
    }

    /// The deploy that rolls `config` out with the running image (what `rollOut` runs, and whose
    /// patch the plan shows).
    func deployRequest(_ config: ConfigReference, _ request: ConfigChangeRequest,
                       deployment: JSONValue) throws -> DeployRequest {
        let app = request.app, namespace = request.environment
        guard let image = RolloutRules.image(of: deployment, container: app) else {
            throw PlatformError.failed("the Deployment \(app) in \(namespace) has no container named \(app)")
        }
        var deploy = DeployRequest(app: app, environment: namespace, image: image, timeout: request.timeout,
                                   rollbackTimeout: request.rollbackTimeout, wait: request.wait,
                                   rollback: request.rollback, message: request.message, kind: .config,
                                   config: config)
        deploy.holdsConfigLease = true  // held by `change`/`applyStaged` for the whole change
        return deploy
    }

    /// One release of `config` with the running image, through deploy's wait and rollback. The
    /// staged version (`replacing`, which `config` was built on, else `config` itself) is forgotten
    /// once it runs; after a failure it stays staged.
    private func rollOut(_ config: ConfigReference, request: ConfigChangeRequest, deployment: JSONValue,
                         replacing staged: ConfigReference? = nil) async throws -> DeployOutcome {
        let outcome = try await deployer.deploy(try deployRequest(config, request, deployment: deployment))
        try await clearStaged(staged ?? config, app: request.app, namespace: request.environment)
        try await prune(app: request.app, namespace: request.environment)
        return outcome
    }

    /// Creates the version's ConfigMap and Secret (content-named and immutable, so one that exists
    /// already holds exactly this). The Secret goes to kubectl on stdin only.
    func create(_ content: ConfigSet, app: String, namespace: String) async throws {
        let documents = [content.configMap(app: app, namespace: namespace),
                         content.secret(app: app, namespace: namespace)].compactMap { $0 }
        guard !documents.isEmpty else { return }
        let command = kubectl.command(
            ["apply", "--server-side", "--field-manager=\(AppConventions.deployFieldManager)", "-f", "-"],
            input: try Kubectl.list(documents))
        _ = try await kubectl.runner.checked(command, redacting: Array(content.secrets.values))
    }

    /// Deletes the versions of the app that neither the release history, the Deployment nor the
    /// staged state refer to (the history keeps the last 50 releases, so `rollback` can reach each).
    public func prune(app: String, namespace: String) async throws {
        let objects = try await kubectl.list("configmaps,secrets", selector: "\(ConfigSet.configLabel)=\(app)",
                                             namespace: namespace)
        let history = try await ReleaseStore(kubectl: kubectl).read(app: app, namespace: namespace)
        let deployment = try await kubectl.deployment(app, namespace: namespace)
        let state = try await states.read(app: app, namespace: namespace)
        let references = history.releases.compactMap(\.config) + [ConfigReference.live(in: deployment, app: app)]
            + (state.staged.map { [$0.config] } ?? [])
        let kept = Set(references.flatMap { [$0.vars, $0.secrets].compactMap { $0 } })
        let unused = objects.compactMap { object -> String? in
            guard let name = object["metadata", "name"]?.stringValue, !kept.contains(name) else { return nil }
            return (object["kind"]?.stringValue == "Secret" ? "secret/" : "configmap/") + name
        }
        _ = try await kubectl.delete(unused.sorted(), namespace: namespace)
    }

    /// `configmap/…` and `secret/…` of every version the objects refer to (the Deployment, the release
    /// history, the staged state), for `destroy`: found without another request to the cluster.
    public static func versions(in objects: [JSONValue], app: String) -> [String] {
        var references: [ConfigReference] = []
        for object in objects {
            let name = object["metadata", "name"]?.stringValue
            if object["kind"]?.stringValue == "Deployment" { references.append(.live(in: object, app: app)) }
            if name == AppConventions.releasesConfigMap(app), let history = try? ReleaseHistory(configMap: object) {
                references += history.releases.compactMap(\.config)
            }
            if name == ConfigState.configMapName(app), let staged = (try? ConfigState(configMap: object))?.staged {
                references.append(staged.config)
            }
        }
        let names = Set(references.flatMap { [$0.vars.map { "configmap/" + $0 }, $0.secrets.map { "secret/" + $0 }] }
            .compactMap { $0 })
        return names.sorted()
    }

    // MARK: - The lease

    /// Runs `body` holding the app's configuration lease (ConfigLease), waiting up to `timeout` for
    /// another change to finish. A lease older than its expiry (a killed process) is taken over.
    func holdingLease<T: Sendable>(app: String, namespace: String, timeout: Double, rollbackTimeout: Double,
                                   _ body: () async throws -> T) async throws -> T {
        try await ConfigLease(deployer: deployer, app: app, namespace: namespace, pollInterval: pollInterval)
            .holding(wait: timeout, expiresAfter: timeout + rollbackTimeout + 120, body)
    }
}
