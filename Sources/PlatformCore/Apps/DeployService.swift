import Foundation

/// What a deploy (or rollback) was asked to do.
public struct DeployRequest: Sendable, Equatable {
    public var app: String
    public var environment: String
    public var image: String
    /// Seconds to wait for the rollout.
    public var timeout: Double
    /// Seconds the automatic rollback may take to become ready.
    public var rollbackTimeout: Double
    public var wait: Bool
    public var rollback: Bool
    public var message: String?
    public var kind: Release.Kind
    /// For `rollback`: the revision being re-deployed.
    public var rollbackOf: Int?
    /// The commit the image was built from (`--commit`, or HEAD of the app's repository).
    public var commit: Release.Commit?
    /// `platform promote`: where the image comes from.
    public var promotedFrom: Release.Promotion?
    /// The configuration version to run (vars and secrets, see Vars/); nil keeps the one the
    /// Deployment references now, `.empty` runs without.
    public var config: ConfigReference?
    /// Deploy even when the image already runs: restart the Pods (kubectl.kubernetes.io/restartedAt).
    public var force: Bool
    /// Run the release phase (deploy and promote, unless `--skip-release-command`; never a rollback).
    public var runsReleaseCommand = false
    /// The release command from the project's platform.json (`[]`: the project has none); nil when
    /// run outside the project: the one `create` recorded on the Deployment (ReleaseCommand), if any.
    public var releaseCommand: [String]?
    /// The caller holds the app's configuration lease already (ConfigService): not taken again.
    public var holdsConfigLease = false
    /// `config` is the staged version as the command read it (`platform deploy` ships it): read
    /// again once the lease is held, and what is staged then (or nothing) is shipped instead.
    public var configFromStage = false

    public init(app: String, environment: String, image: String, timeout: Double = 300, rollbackTimeout: Double = 300,
                wait: Bool = true, rollback: Bool = true, message: String? = nil, kind: Release.Kind = .deploy,
                rollbackOf: Int? = nil, config: ConfigReference? = nil, force: Bool = false) {
        self.app = app
        self.environment = environment
        self.image = image
        self.timeout = timeout
        self.rollbackTimeout = rollbackTimeout
        self.wait = wait
        self.rollback = rollback
        self.message = message
        self.kind = kind
        self.rollbackOf = rollbackOf
        self.config = config
        self.force = force
    }
}

/// What a successful deploy reports (`-o json`).
public struct DeployOutcome: Codable, Sendable, Equatable {
    public var app: String
    public var environment: String
    public var revision: Int
    public var image: String
    public var previousImage: String?
    public var result: Release.Result
    public var replicas: RolloutProgress?
    /// The configuration version the release runs (nil: none).
    public var config: ConfigReference?
    /// True when the image (and configuration) already ran: nothing was deployed, no release recorded.
    public var unchanged: Bool? = nil
    /// True for `--force`: the Pods were restarted (kubectl.kubernetes.io/restartedAt).
    public var restarted: Bool? = nil
}

/// How a deploy (or rollback) ended, whether it succeeded or not, and whether it got as far as
/// applying its image: only then is the run a deployment for the metrics (docs/metrics.md). Returned,
/// not reported into shared state, so the CLI builds the run's event from the value alone.
public struct DeployRun: Sendable {
    public var result: Result<DeployOutcome, any Error>
    /// The image applied to the Deployment; nil when the run stopped before (app not found, cluster
    /// unreachable, interrupted before the patch).
    public var appliedImage: String?

    public init(result: Result<DeployOutcome, any Error>, appliedImage: String?) {
        self.result = result
        self.appliedImage = appliedImage
    }
}

/// Updates the image, watches the rollout, fails fast on stuck Pods and rolls back.
public struct DeployService: Sendable {
    public let kubectl: Kubectl
    public let reporter: ProgressReporter
    public let signals: SignalForwarder
    /// Seconds between two looks at the rollout (each look is one kubectl process).
    public var pollInterval: Double
    public static let defaultPollInterval = 2.0
    /// Seconds a pull error may last (RolloutRules.pullGrace; tests set 0).
    public var pullGrace: Double = RolloutRules.pullGrace
    /// Seconds a ReplicaSet may fail to create Pods (RolloutRules.createGrace).
    public var createGrace: Double = RolloutRules.createGrace
    /// Take the app's configuration lease around each patch (ConfigLease); the fake-runner tests of
    /// the rollout turn it off (ConfigLeaseTests and VarsEndToEndTests test it).
    public var takesConfigLease = true
    /// Seconds since some fixed point (injectable so timeouts can be tested without waiting).
    public var clock: @Sendable () -> Double
    /// Who deploys (git user.name, $USER, "unknown").
    public var user: String
    public var now: @Sendable () -> Date

    public init(kubectl: Kubectl, reporter: ProgressReporter, signals: SignalForwarder, user: String,
                pollInterval: Double = DeployService.defaultPollInterval,
                clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime },
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.kubectl = kubectl
        self.reporter = reporter
        self.signals = signals
        self.user = user
        self.pollInterval = pollInterval
        self.clock = clock
        self.now = now
    }

    /// Who is deploying: git's user.name, else $USER, else "unknown".
    public static func user(runner: CommandRunner, directory: String, environment: [String: String]) async -> String {
        if let name = await Git(runner: runner).userName(in: directory) { return name }
        if let user = environment["USER"], !user.isEmpty { return user }
        return "unknown"
    }

    /// Deploys and watches. An interruption (SIGINT/SIGTERM) is noticed within 100 ms even between
    /// two looks at the rollout; the release is then recorded as failed ("interrupted …") and
    /// `PlatformError.interrupted` thrown.
    public func deploy(_ request: DeployRequest) async throws -> DeployOutcome {
        try await run(plan(request)).result.get()
    }

    /// The plan of a deploy: what `--dry-run` prints and `run` executes. Touches nothing.
    public func plan(_ request: DeployRequest) -> DeployPlan {
        DeployPlan(request, kubectl: kubectl)
    }

    /// Executes a deploy plan, returning how it ended and whether the image was applied instead of throwing.
    public func run(_ plan: DeployPlan) async -> DeployRun {
        var applied: String?
        do {
            let outcome = try await signals.handlesInterruption {
                try await deployHandlingInterruption(plan, applied: &applied)
            }
            return DeployRun(result: .success(outcome), appliedImage: applied)
        } catch {
            return DeployRun(result: .failure(error), appliedImage: applied)
        }
    }

    /// `platform rollback`: the target release is judged against the history and what the Deployment
    /// runs now (RollbackPlanner), then re-deployed through the same path as a deploy, recorded as a
    /// rollback of that revision.
    public func rollback(_ request: RollbackRequest) async -> DeployRun {
        do {
            let history = try await ReleaseStore(kubectl: kubectl).read(app: request.app, namespace: request.environment)
            let deployment = try await kubectl.deployment(request.app, namespace: request.environment)
            let liveImage = deployment.flatMap { RolloutRules.image(of: $0, container: request.app) }
            let target = try RollbackPlanner.target(history, to: request.revision, liveImage: liveImage,
                                                    liveConfig: .live(in: deployment, app: request.app), app: request.app)
            reporter.progress("Going back to release \(target.revision) of \(request.app): \(target.redeployImage)"
                              + (target.config.map { " (\($0.summary))" } ?? ""))
            // The image (pinned by the digest its pods ran, when recorded) and the configuration
            // version of that release, together.
            let deploy = DeployRequest(app: request.app, environment: request.environment, image: target.redeployImage,
                                       timeout: request.timeout, rollbackTimeout: request.rollbackTimeout,
                                       wait: request.wait, rollback: request.rollback, message: request.message,
                                       kind: .rollback, rollbackOf: target.revision, config: target.config ?? .empty)
            return await run(plan(deploy))
        } catch {
            return DeployRun(result: .failure(error), appliedImage: nil)
        }
    }

    // MARK: The configuration lease (issue 13, Vars/ConfigLease)
    // Held from reading the Deployment until the patch is applied, so a `vars set` (which holds it
    // for its whole change) never lands in between and is reverted by this patch's envFrom, nor
    // builds on the image this patch replaces. Waits (up to --timeout) for a change holding it.

    private func deployHandlingInterruption(_ plan: DeployPlan, applied: inout String?) async throws -> DeployOutcome {
        let request = plan.request
        guard takesConfigLease, !request.holdsConfigLease else {
            return try await deployHoldingLease(plan, lease: nil, applied: &applied)
        }
        let lease = try await ConfigLease(deployer: self, app: request.app, namespace: request.environment)
            .acquire(wait: request.timeout, expiresAfter: Self.leaseDuration(request), what: request.kind.rawValue)
        do {
            var plan = plan
            if request.configFromStage {
                // A change that ran before the lease was had may have rolled the staged version out
                // (and more on top of it): ship what is staged now, else keep what runs.
                let staged = try await ConfigStateStore(kubectl: kubectl).read(app: request.app, namespace: request.environment).staged
                if staged?.config.sameVersion(as: request.config) != true {
                    reporter.warning("the staged configuration changed meanwhile; shipping "
                                     + (staged.map { "the one staged now (\($0.config.summary))" } ?? "none: the running configuration stays"))
                    var changed = request
                    changed.config = staged?.config
                    plan = DeployPlan(changed, kubectl: kubectl)
                }
            }
            let outcome = try await deployHoldingLease(plan, lease: lease, applied: &applied)
            do {
                try await lease.giveBack()
            } catch {
                reporter.warning("could not give back the configuration lease of \(request.app): \(error); it expires by itself")
            }
            return outcome
        } catch {
            try? await signals.finishing { try await lease.giveBack() }
            throw error
        }
    }

    /// How long a deploy's lease lasts when its holder is killed: the release phase, the rollout and
    /// its rollback, and two minutes.
    static func leaseDuration(_ request: DeployRequest) -> Double {
        (request.runsReleaseCommand ? max(ReleaseCommand.defaultTimeout, request.timeout) : 0)
            + request.timeout + request.rollbackTimeout + 120
    }

    /// The automatic rollback's patch under the lease (waiting up to --rollback-timeout for it):
    /// applied only while the Deployment still runs this release's image and configuration; when a
    /// change made meanwhile replaced them, that change supersedes this release (not rolled back).
    private func rollingBack(_ release: inout Release, config: ConfigReference, request: DeployRequest,
                             lease: ConfigLease.Held?, store: ReleaseStore,
                             _ patch: () async throws -> Void) async throws {
        guard let lease else { return try await patch() }
        let app = request.app, namespace = request.environment, image = release.image
        // As the same holder: should this deploy's own lease still be there (giving it back failed),
        // the rollback must not wait for itself.
        let other = try await ConfigLease(deployer: self, app: app, namespace: namespace)
            .holding(wait: request.rollbackTimeout, expiresAfter: request.rollbackTimeout + 120,
                     what: "rollback of a failed \(request.kind.rawValue)", holder: lease.holder) { () -> String? in
                let deployment = try await kubectl.deployment(app, namespace: namespace)
                let running = deployment.flatMap { RolloutRules.image(of: $0, container: app) }
                let live = ConfigReference.live(in: deployment, app: app)
                guard running == image, live.sameVersion(as: config) else {
                    return (running ?? "no image") + " with configuration \(live.summary)"
                }
                try await patch()
                return nil
            }
        if let other {
            try await supersede(&release, by: other, store: store, app: app, namespace: namespace)
        }
    }
    // MARK: -

    private func deployHoldingLease(_ plan: DeployPlan, lease: ConfigLease.Held?,
                                    applied: inout String?) async throws -> DeployOutcome {
        let request = plan.request
        let app = request.app, namespace = request.environment
        let start = clock()
        guard let deployment = try await retrying("reading the Deployment", until: start + request.timeout, {
            try await kubectl.deployment(app, namespace: namespace)
        }) else {
            throw PlatformError.failed("app \(Validate.quoted(app)) not found in environment \(Validate.quoted(namespace)) (no Deployment \(app) in namespace \(namespace)); run 'platform create \(app) -e \(namespace)' first")
        }
        let containers = (deployment["spec", "template", "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        guard containers.contains(app) else {
            // The image patch is keyed by the container name: applying it would add a second container.
            throw PlatformError.failed("the Deployment \(app) in \(namespace) has no container named \(app) (it has: \(containers.joined(separator: ", "))); deploy changes the container named after the app, as 'platform create' makes it")
        }
        let previousImage = RolloutRules.image(of: deployment, container: app)
        // Checked before anything changes: an unusable recorded command stops the deploy here.
        let releaseCommand = request.runsReleaseCommand
            ? try (request.releaseCommand ?? ReleaseCommand.recorded(in: deployment)).flatMap { $0.isEmpty ? nil : $0 } : nil
        // A deploy keeps the configuration version the Deployment references (see Vars/).
        let liveConfig = ConfigReference.live(in: deployment, app: app)
        let store = ReleaseStore(kubectl: kubectl)
        let config = request.config ?? liveConfig
        if previousImage == request.image, config.sameVersion(as: liveConfig), !request.force {
            // Not a new release: the template would not change, so nothing would roll out.
            let current = try await store.read(app: app, namespace: namespace).current(liveImage: previousImage)
            return DeployOutcome(app: app, environment: namespace, revision: current?.revision ?? 0, image: request.image,
                                 previousImage: previousImage, result: current?.result ?? .succeeded, replicas: nil,
                                 config: current?.config, unchanged: true)
        }
        if RolloutRules.isPaused(deployment) {
            throw PlatformError.failed("the Deployment \(app) in \(namespace) is paused (spec.paused: true): a new image would not roll out; resume it with 'kubectl rollout resume deployment/\(app) -n \(namespace)' and deploy again (nothing was changed)")
        }
        let selector = Self.selector(of: deployment, app: app)
        let before = try await retrying("looking at the app", until: start + request.timeout, {
            try await kubectl.rolloutSnapshot(app: app, namespace: namespace, selector: selector)
        })
        var release = Release(revision: 0, image: request.image, user: user, time: Self.timestamp(now()),
                              message: request.message, result: .pending, kind: request.kind,
                              rollbackOf: request.rollbackOf, config: config.isEmpty ? nil : config)
        release.commit = request.commit
        let restartedAt = request.force && previousImage == request.image ? Self.timestamp(now()) : nil
        release.restartedAt = restartedAt
        release.promotedFrom = request.promotedFrom
        // The pending release takes the next revision in the same write that records it.
        let pending = release
        let (revision, lastServing, known) = try await store.update(app: app, namespace: namespace) { history in
            var recorded = pending
            recorded.revision = try history.checkedNextRevision()
            // The key fingerprints of a kept version come from the release that recorded it.
            let known = history.releases.last {
                $0.config?.sameVersion(as: config) == true && ($0.config?.varKeys != nil || $0.config?.secretKeys != nil)
            }?.config
            if request.config == nil, let known { recorded.config = known }
            let serving = history.lastSucceeded
            history.record(recorded)
            return (recorded.revision, serving, known)
        }
        release.revision = revision
        if request.config == nil, let known { release.config = known }
        // What an automatic rollback restores: what runs now when its rollout is complete (whoever
        // put it there; judged like `status`, never by lifetime restarts), else the release that
        // served last, else what runs now anyway.
        var rollbackImage = lastServing?.redeployImage ?? previousImage
        var rollbackConfig = lastServing.map { $0.config ?? .empty } ?? liveConfig
        if previousImage != nil, RolloutRules.isComplete(before) {
            rollbackImage = previousImage
            rollbackConfig = liveConfig
        }

        let verb = request.kind == .rollback ? "Rolling back" : (restartedAt != nil ? "Restarting" : "Deploying")
        reporter.progress("\(verb) \(app) in \(namespace): \(request.image) (release \(release.revision))")
        do {
            // --timeout is the rollout's: it counts again once the release command is done (a
            // five-minute migration must not leave the rollout no time and roll back over it).
            var rolloutStart = start
            if let releaseCommand {
                try await releasePhase(releaseCommand, request: request, release: &release, store: store)
                rolloutStart = clock()
            }
            return try await rollout(plan, release: &release, lease: lease, previousImage: previousImage,
                                     rollbackImage: rollbackImage, rollbackConfig: rollbackConfig, store: store,
                                     applied: &applied, selector: selector, podsBefore: before.pods,
                                     restartedAt: restartedAt, start: rolloutStart)
        } catch PlatformError.interrupted(let signal) {
            // Not left pending: record how far it got, then stop as interrupted.
            if release.result == .pending {
                release.result = .failed
                let note = "interrupted (\(signal == SIGTERM ? "SIGTERM" : "SIGINT")) before the rollout was confirmed; "
                    + "the Deployment was left as it was"
                release.reason = release.reason.map { $0 + "; " + note } ?? note
            }
            let final = finished(release)
            do {
                try await signals.finishing { try await store.record(final, app: app, namespace: namespace) }
            } catch {
                reporter.warning("could not record release \(final.revision) as interrupted: \(error)")
            }
            throw PlatformError.interrupted(signal: signal)
        } catch {
            // Any other error: never left pending.
            if release.result == .pending {
                release.result = .failed
                let note = "stopped by an error before the rollout was confirmed: \(error)"
                release.reason = release.reason.map { $0 + "; " + note } ?? note
                await recordFinal(release, store: store, app: app, namespace: namespace)
            }
            throw error
        }
    }

    /// The release phase: `argv` as a task with the new image and the configuration the release will
    /// run, its output shown as progress. A non-zero exit (or a task that cannot start) records the
    /// release failed with the reason and the last lines, and stops the deploy before its image is
    /// applied (`releaseCommandFailed`, exit 5): what served goes on serving.
    private func releasePhase(_ argv: [String], request: DeployRequest, release: inout Release,
                              store: ReleaseStore) async throws {
        let app = request.app, namespace = request.environment
        let whole = argv.joined(separator: " ")
        reporter.progress("Release command of \(app): \(whole) (image \(request.image))")
        let shown = whole.count > Self.reasonLineLimit ? String(whole.prefix(Self.reasonLineLimit)) + "…" : whole
        var task = TaskRequest(app: app, environment: namespace, argv: argv, image: request.image,
                               timeout: max(ReleaseCommand.defaultTimeout, request.timeout), purpose: "release")
        task.envFrom = request.config.map { $0.isEmpty ? [] : $0.envFrom }
        let lines = TaskOutputLines { [reporter] line in reporter.detail("  | " + line) }
        let failure: String
        do {
            let result = try await TaskService(kubectl: kubectl, reporter: reporter, signals: signals)
                .run(task, output: lines.target)
            lines.finish()
            if result.exitCode == 0 {
                reporter.progress("Release command succeeded (job \(result.job))")
                return
            }
            let shortLines = result.lastLines.map { $0.count > Self.reasonLineLimit ? String($0.prefix(Self.reasonLineLimit)) + "…" : $0 }
            let tail = shortLines.isEmpty ? "" : "; its last lines: " + shortLines.joined(separator: " | ")
            failure = "the release command (\(shown)) exited with status \(result.exitCode)"
                + (result.reason.map { " (\($0))" } ?? "") + " in job \(result.job)" + tail
        } catch let error as PlatformError {
            if case .interrupted = error { throw error }
            // It could not start, the API refused its Job, or a look failed for good: in every case
            // the image was not applied, which is what exit 5 says.
            failure = "the release command (\(shown)) could not run: \(error)"
        }
        release.result = .failed
        release.reason = failure
        await recordFinal(release, store: store, app: app, namespace: namespace)
        throw PlatformError.releaseCommandFailed("\(Self.what(release)) stopped: \(failure); the image was not applied (skip the release command with --skip-release-command)")
    }

    /// Records the final state of `release`, retrying transient API errors for a while; a warning
    /// when it cannot (the error that stopped the deploy is what the user sees).
    private func recordFinal(_ release: Release, store: ReleaseStore, app: String, namespace: String) async {
        do {
            try await record(release, store: store, app: app, namespace: namespace)
        } catch {
            reporter.warning("could not record release \(release.revision) as \(release.result.rawValue): \(error)")
        }
    }

    /// Records a release, retrying transient API errors (an outage must not leave it pending).
    private func record(_ release: Release, store: ReleaseStore, app: String, namespace: String) async throws {
        let final = finished(release)
        try await retrying("recording release \(release.revision)", until: clock() + Self.recordPatience, {
            try await store.record(final, app: app, namespace: namespace)
        })
    }

    /// `release` with `finishedAt` stamped now, once it has a final result (the DORA figures measure
    /// lead time and restores to it).
    private func finished(_ release: Release) -> Release {
        var release = release
        if release.result != .pending, release.finishedAt == nil { release.finishedAt = Self.timestamp(now()) }
        // The history is one ConfigMap (1 MiB in all): a reason full of log lines must not make the
        // record too big to write, which would leave the release pending.
        if let reason = release.reason, reason.utf8.count > Self.reasonLimit {
            release.reason = String(decoding: Data(reason.utf8.prefix(Self.reasonLimit)), as: UTF8.self) + "… (cut)"
        }
        return release
    }

    /// Bytes a release's reason keeps, and characters each log line in it keeps.
    static let reasonLimit = 4096
    static let reasonLineLimit = 200

    /// Seconds a final release record is retried through API errors.
    static let recordPatience: Double = 30

    /// Applies the image and watches it (and the automatic rollback); records the outcome in `release`.
    private func rollout(_ plan: DeployPlan, release: inout Release, lease: ConfigLease.Held?, previousImage: String?,
                         rollbackImage: String?, rollbackConfig: ConfigReference, store: ReleaseStore,
                         applied: inout String?, selector: String, podsBefore: [JSONValue], restartedAt: String?,
                         start: Double) async throws -> DeployOutcome {
        let request = plan.request
        let app = request.app, namespace = request.environment
        // The image and envFrom go together (see Kubectl.imagePatch); the plan has the image only
        // when it ran without a configuration version.
        let config = release.config ?? .empty
        let patch = config.isEmpty && restartedAt == nil ? plan.patch
            : kubectl.imagePatch(app: app, namespace: namespace, image: request.image, config: config,
                                 restartedAt: restartedAt)
        try await retrying("applying the image", until: start + request.timeout, {
            try await kubectl.applyAsDeploy(patch)
        })
        do {
            try await lease?.giveBack()  // the config lease: the Deployment has this patch now
        } catch {
            reporter.warning("could not give back the configuration lease of \(app) yet: \(error)")
        }
        applied = request.image  // from now on this run is a deployment (metrics)
        guard request.wait else {
            release.result = .applied
            try await record(release, store: store, app: app, namespace: namespace)
            return DeployOutcome(app: app, environment: namespace, revision: release.revision, image: request.image,
                                 previousImage: previousImage, result: .applied, replicas: nil, config: release.config,
                                 restarted: restartedAt == nil ? nil : true)
        }

        var lastPods = podsBefore
        let verdict = try await waitForRollout(app: app, namespace: namespace, image: request.image,
                                               timeout: request.timeout, since: start, config: config,
                                               selector: selector, podsBefore: podsBefore, lastPods: &lastPods)
        switch verdict {
        case .ready(let progress):
            release.result = .succeeded
            // Record the digest the ready pods run (from the last look: no extra kubectl process).
            release.digest = ImageDigest.running(pods: lastPods, app: app, image: request.image)
            try await record(release, store: store, app: app, namespace: namespace)
            return DeployOutcome(app: app, environment: namespace, revision: release.revision, image: request.image,
                                 previousImage: previousImage, result: .succeeded, replicas: progress,
                                 config: release.config, restarted: restartedAt == nil ? nil : true)
        case .superseded(let other):
            try await supersede(&release, by: other, store: store, app: app, namespace: namespace)
        case .failed(let reason):
            release.reason = reason
            reporter.warning("the rollout of \(request.image) failed: \(reason)")
            guard request.rollback, let target = rollbackImage,
                  target != request.image || !rollbackConfig.sameVersion(as: config) else {
                release.result = .failed
                try await record(release, store: store, app: app, namespace: namespace)
                let why = !request.rollback ? "not rolled back (--no-rollback)"
                    : rollbackImage == request.image ? "not rolled back (nothing else to go back to)"
                    : "no previous release to roll back to"
                throw PlatformError.deployFailed("\(Self.what(release)) failed: \(reason); \(why)")
            }
            let restored = target + (rollbackConfig.sameVersion(as: config) ? "" : " (\(rollbackConfig.summary))")
            reporter.progress("Rolling back \(app) to \(restored)")
            let rollbackStart = clock()
            do {
                try await rollingBack(&release, config: config, request: request, lease: lease, store: store) {
                    try await retrying("applying the rollback", until: rollbackStart + request.rollbackTimeout, {
                        try await kubectl.setImage(app: app, namespace: namespace, image: target, config: rollbackConfig)
                    })
                }
            } catch let error as PlatformError where Self.isTransient(error) {
                release.result = .failed
                release.reason = reason + "; the rollback to \(restored) could not be applied: \(Self.apiError(error))"
                try await record(release, store: store, app: app, namespace: namespace)
                throw PlatformError.deployFailed("\(Self.what(release)) failed: \(reason); the rollback to \(restored) could not be applied: \(Self.apiError(error))")
            }
            // The rollback's own baseline: restarts of the Pods seen last do not count against it.
            let back = try await waitForRollout(app: app, namespace: namespace, image: target,
                                                timeout: request.rollbackTimeout, since: rollbackStart,
                                                config: rollbackConfig, selector: selector, podsBefore: lastPods,
                                                lastPods: &lastPods)
            if case .superseded(let other) = back {
                try await supersede(&release, by: other, store: store, app: app, namespace: namespace)
            }
            if case .failed(let rollbackReason) = back {
                release.result = .failed
                release.reason = reason + "; rollback to \(restored) failed too: \(rollbackReason)"
                try await record(release, store: store, app: app, namespace: namespace)
                throw PlatformError.deployFailed("\(Self.what(release)) failed: \(reason); the rollback to \(restored) failed too: \(rollbackReason)")
            }
            release.result = .rolledBack
            release.rolledBackTo = target
            try await record(release, store: store, app: app, namespace: namespace)
            throw PlatformError.deployRolledBack("\(Self.what(release)) failed: \(reason); rolled back to \(restored), which is serving again")
        }
    }

    /// `deploy of IMAGE`, or for a configuration change `configuration change (vars …, secrets …)`.
    static func what(_ release: Release) -> String {
        release.kind == .config ? "configuration change (\((release.config ?? .empty).summary))" : "deploy of \(release.image)"
    }

    /// Someone else changed the image while this deploy waited: stop, record it, leave their image alone.
    private func supersede(_ release: inout Release, by other: String, store: ReleaseStore, app: String,
                           namespace: String) async throws -> Never {
        release.result = .superseded
        release.reason = "superseded by a deploy of \(other)"
        try await record(release, store: store, app: app, namespace: namespace)
        throw PlatformError.failed("deploy of \(release.image) was superseded by another deploy of \(other) while waiting; not rolling back (see 'platform releases \(app)')")
    }

    public enum Verdict: Sendable, Equatable {
        case ready(RolloutProgress)
        case failed(String)
        /// The Deployment's image was changed to this one by someone else meanwhile.
        case superseded(String)
    }

    /// The label selector of the Deployment's Pods (`spec.selector.matchLabels`), the app's name
    /// label when it has none.
    public static func selector(of deployment: JSONValue, app: String) -> String {
        guard case .object(let labels)? = deployment["spec", "selector", "matchLabels"], !labels.isEmpty else {
            return AppConventions.selector(app)
        }
        return labels.keys.sorted().compactMap { key in labels[key]?.stringValue.map { "\(key)=\($0)" } }
            .joined(separator: ",")
    }

    /// Looks at the Deployment, its ReplicaSets and Pods (one kubectl process per look: first at
    /// once, then every `pollInterval`) until the rollout is complete, fails, or the time is up.
    /// Transient API errors are retried with back-off within the same timeout. Progress goes to the
    /// reporter, one line per change.
    /// `timeout` counts from `since` (default: now); `lastPods` gets the Pods of the last look.
    /// With `config`, another configuration version in the Deployment supersedes this one (a new
    /// version is a new pod template, hence a new ReplicaSet: only its Pods are judged).
    public func waitForRollout(app: String, namespace: String, image: String, timeout: Double, since: Double? = nil,
                               config: ConfigReference? = nil, selector: String? = nil, podsBefore: [JSONValue] = [],
                               lastPods: inout [JSONValue]) async throws -> Verdict {
        let started = Date()
        reporter.phaseStarted(.rollout)
        do {
            let verdict = try await pollRollout(app: app, namespace: namespace, image: image, timeout: timeout,
                                                since: since, config: config, selector: selector,
                                                podsBefore: podsBefore, lastPods: &lastPods)
            if case .ready(let progress) = verdict {
                reporter.phaseFinished(.rollout, summary: "\(progress.ready)/\(progress.desired) ready",
                                       counts: Self.counts(progress), seconds: Date().timeIntervalSince(started))
            } else {
                reporter.phaseFailed(.rollout, seconds: Date().timeIntervalSince(started))
            }
            return verdict
        } catch {
            reporter.phaseFailed(.rollout, seconds: Date().timeIntervalSince(started))
            throw error
        }
    }

    static func counts(_ progress: RolloutProgress) -> [String: Int] {
        ["desired": progress.desired, "updated": progress.updated, "ready": progress.ready,
         "available": progress.available, "old": progress.old]
    }

    private func pollRollout(app: String, namespace: String, image: String, timeout: Double, since: Double?,
                             config: ConfigReference?, selector: String?, podsBefore: [JSONValue],
                             lastPods: inout [JSONValue]) async throws -> Verdict {
        let start = since ?? clock()
        let selector = selector ?? AppConventions.selector(app)
        var tracker = RolloutTracker(app: app, image: image, podsBefore: podsBefore, pullGrace: pullGrace,
                                     createGrace: createGrace)
        var lastSummary = ""
        var lastProgress: RolloutProgress?
        var lastNotes: [String] = []
        var shown: Set<String> = []
        var apiError: String?
        var retryDelay = 1.0
        while true {
            try signals.checkInterrupted()
            let remaining = timeout - (clock() - start)
            var snapshot: RolloutSnapshot?
            do {
                snapshot = try await kubectl.rolloutSnapshot(app: app, namespace: namespace, selector: selector,
                                                             requestTimeout: max(1, min(10, Int(remaining.rounded(.up)))))
                if apiError != nil { reporter.detail("  the API server answers again") }
                apiError = nil
                retryDelay = 1
            } catch let error as PlatformError where Self.isTransient(error) {
                if apiError == nil {
                    reporter.warning("could not look at the rollout (\(Self.apiError(error))); retrying until the timeout")
                }
                apiError = Self.apiError(error)
            }
            if let config, let deployment = snapshot?.deployment {
                let running = ConfigReference.live(in: deployment, app: app)
                if RolloutRules.image(of: deployment, container: app) == image, !running.sameVersion(as: config) {
                    reporter.warning("the Deployment now runs configuration \(running.summary): another change replaced it while waiting")
                    return .superseded("\(image) with configuration \(running.summary)")
                }
            }
            if let snapshot {
                lastPods = snapshot.pods
                switch tracker.assess(snapshot, now: clock()) {
                case .ready(let progress):
                    reporter.phaseUpdated(.rollout, progress.summary, counts: Self.counts(progress))
                    reporter.detail("  rollout of \(image) complete")
                    return .ready(progress)
                case .failed(var failure):
                    failure.logs = await lastLogLines(failure, namespace: namespace)
                    reporter.detail("  pod \(failure.pod): \(failure.container) \(failure.reason)"
                                    + (failure.message.isEmpty ? "" : ": \(failure.message)"))
                    if !failure.logs.isEmpty {
                        reporter.detail("  last log lines of \(failure.pod)/\(failure.container):")
                        for line in failure.logs { reporter.detail("    " + line) }
                    }
                    return .failed("pod \(failure.pod) is \(failure.reason)" + (failure.message.isEmpty ? "" : " (\(failure.message))"))
                case .stalled(let message):
                    return .failed(message)
                case .superseded(let other):
                    reporter.warning("the Deployment now runs \(other): another deploy changed it while waiting")
                    return .superseded(other)
                case .progressing(let progress, let notes):
                    lastProgress = progress
                    lastNotes = notes
                    if progress.summary != lastSummary {
                        reporter.phaseUpdated(.rollout, progress.summary, counts: Self.counts(progress))
                        lastSummary = progress.summary
                    }
                    for note in notes where !shown.contains(Self.noteKey(note)) {
                        shown.insert(Self.noteKey(note))
                        reporter.detail("  " + note)
                    }
                }
            }
            let elapsed = clock() - start
            if elapsed >= timeout {
                var detail = "timed out after \(Self.format(duration: timeout))"
                if let apiError {
                    detail += "; the API server did not answer: \(apiError)"
                } else if let progress = lastProgress {
                    detail += " (\(progress.summary))" + (lastNotes.last.map { "; \($0)" } ?? "")
                }
                return .failed(detail)
            }
            let wait = apiError == nil ? pollInterval : retryDelay
            if apiError != nil { retryDelay = min(retryDelay * 2, Self.maxRetryDelay) }
            try await pause(min(wait, max(0, timeout - elapsed)))
        }
    }

    /// A note without the parts that change from look to look (durations), to show it once.
    static func noteKey(_ note: String) -> String {
        note.split(separator: ":").prefix(2).joined(separator: ":")
    }

    static let maxRetryDelay = 5.0

    /// Runs `operation`, retrying transient API errors with back-off (1 s, 2 s, … 5 s) until
    /// `deadline`; then the last error is thrown.
    @discardableResult
    func retrying<T: Sendable>(_ what: String, until deadline: Double,
                               _ operation: () async throws -> T) async throws -> T {
        var delay = 1.0
        var warned = false
        while true {
            do {
                return try await operation()
            } catch let error as PlatformError where Self.isTransient(error) {
                let remaining = deadline - clock()
                guard remaining > 0 else { throw error }
                if !warned {
                    reporter.warning("\(what): \(Self.apiError(error)); retrying")
                    warned = true
                }
                try await pause(min(delay, remaining))
                delay = min(delay * 2, Self.maxRetryDelay)
            }
        }
    }

    /// kubectl's messages for errors that a retry can get past: the API server unavailable,
    /// overloaded or timing out, the connection refused or dropped (client-go's
    /// `IsServiceUnavailable`/`IsTooManyRequests`/`IsTimeout`/`IsServerTimeout`/`IsInternalError`
    /// and net errors). Forbidden, NotFound, Invalid and the like are not transient.
    static let transientMarkers = [
        "(ServiceUnavailable)", "(InternalError)", "(TooManyRequests)", "(Timeout)", "(ServerTimeout)",
        "the server is currently unable to handle the request", "Unable to connect to the server",
        "connection refused", "connection reset", "i/o timeout", "context deadline exceeded",
        "TLS handshake timeout", "http2: client connection lost", "unexpected EOF", "etcdserver:",
        "the server was unable to return a response in the time allotted", "Client.Timeout exceeded",
        "was refused - did you specify the right host or port?",
    ]

    public static func isTransient(_ error: PlatformError) -> Bool {
        guard case .toolFailed(_, _, let tail) = error else { return false }
        return transientMarkers.contains { tail.contains($0) }
    }

    /// The API's message of a failed kubectl call, short.
    static func apiError(_ error: PlatformError) -> String {
        guard case .toolFailed(_, let status, let tail) = error else { return "\(error)" }
        let line = tail.split(separator: "\n").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        return line.isEmpty ? "kubectl exited with status \(status)" : line
    }

    /// Sleeps `seconds`, throwing `interrupted` as soon as a signal came (SignalForwarder.pause).
    func pause(_ seconds: Double) async throws {
        try await signals.pause(seconds)
    }

    /// The last lines the failing container wrote (its previous run when it restarted); none when it
    /// never started or kubectl cannot get them.
    func lastLogLines(_ failure: PodFailure, namespace: String, lines: Int = 10) async -> [String] {
        guard !["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull",
                "CreateContainerConfigError", "CreateContainerError"].contains(failure.reason) else { return [] }
        let command = kubectl.logsCommand(pod: failure.pod, namespace: namespace, container: failure.container,
                                          tail: lines, previous: failure.restarts > 0)
        guard let result = try? await kubectl.runner.capture(command, limit: 1 << 20), result.succeeded else { return [] }
        return result.stdoutText.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// `300` → `5m`, `90` → `90s`.
    public static func format(duration seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole >= 3600, whole % 3600 == 0 { return "\(whole / 3600)h" }
        if whole >= 60, whole % 60 == 0 { return "\(whole / 60)m" }
        return "\(whole)s"
    }
}
