import Foundation

/// Why a rollout cannot succeed: a Pod that is stuck, with what the kubelet said.
public struct PodFailure: Codable, Sendable, Equatable {
    public var pod: String
    public var container: String
    /// ImagePullBackOff, CrashLoopBackOff, … or `Restarting` for a container that restarts repeatedly.
    public var reason: String
    public var message: String
    public var restarts: Int
    /// The last log lines of the failing container (filled in by the deploy, when there are any).
    public var logs: [String]

    public init(pod: String, container: String, reason: String, message: String, restarts: Int, logs: [String] = []) {
        self.pod = pod
        self.container = container
        self.reason = reason
        self.message = message
        self.restarts = restarts
        self.logs = logs
    }
}

/// Where a rollout stands, from one look at the Deployment and the app's Pods.
public enum RolloutAssessment: Sendable, Equatable {
    case progressing(RolloutProgress)
    case ready(RolloutProgress)
    case failed(PodFailure)
    /// The Deployment's own verdict (ProgressDeadlineExceeded) or its disappearance.
    case stalled(String)
    /// The Deployment's template has another image now (another deploy).
    case superseded(String)
}

public struct RolloutProgress: Codable, Sendable, Equatable {
    public var desired: Int
    public var updated: Int
    public var ready: Int
    public var available: Int
    /// Pods of older templates still running.
    public var old: Int

    public init(desired: Int, updated: Int, ready: Int, available: Int, old: Int) {
        self.desired = desired
        self.updated = updated
        self.ready = ready
        self.available = available
        self.old = old
    }

    public var summary: String {
        "\(updated)/\(desired) updated, \(ready)/\(desired) ready" + (old > 0 ? ", \(old) old pending termination" : "")
    }
}

/// The fail-fast and readiness rules, as pure functions of the objects (kubectl rollout status's
/// rules for readiness; the kubelet's waiting reasons for failure).
public enum RolloutRules {
    /// Waiting reasons that will not fix themselves within a deploy.
    public static let fatalWaitingReasons: Set<String> = [
        "ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff", "CreateContainerConfigError",
        "InvalidImageName", "CreateContainerError", "ErrImageNeverPull",
    ]
    /// A container that restarted this often is failing, whatever its state says right now.
    public static let restartLimit = 3

    /// The first stuck container among the Pods that run `image` in container `container`.
    public static func failure(pods: [JSONValue], container: String, image: String) -> PodFailure? {
        for pod in pods.sorted(by: { podName($0) < podName($1) }) where runs(pod, container: container, image: image) {
            guard pod["metadata", "deletionTimestamp"] == nil else { continue }
            let statuses = (pod["status", "initContainerStatuses"]?.arrayValue ?? [])
                + (pod["status", "containerStatuses"]?.arrayValue ?? [])
            for status in statuses {
                let name = status["name"]?.stringValue ?? "?"
                let restarts = status["restartCount"]?.intValue ?? 0
                if let waiting = status["state", "waiting"], let reason = waiting["reason"]?.stringValue,
                   fatalWaitingReasons.contains(reason) {
                    return PodFailure(pod: podName(pod), container: name, reason: reason,
                                      message: waiting["message"]?.stringValue ?? "", restarts: restarts)
                }
                if restarts >= restartLimit {
                    var message = "restarted \(restarts) times"
                    if let last = status["lastState", "terminated"] {
                        message += "; last exit: \(last["reason"]?.stringValue ?? "terminated")"
                            + (last["exitCode"]?.intValue.map { " (exit code \($0))" } ?? "")
                    }
                    return PodFailure(pod: podName(pod), container: name, reason: "Restarting", message: message,
                                      restarts: restarts)
                }
            }
        }
        return nil
    }

    /// Whether the pod's container `container` runs `image`.
    public static func runs(_ pod: JSONValue, container: String, image: String) -> Bool {
        (pod["spec", "containers"]?.arrayValue ?? []).contains {
            $0["name"]?.stringValue == container && $0["image"]?.stringValue == image
        }
    }

    /// The Pod's Ready condition is True.
    public static func isReady(_ pod: JSONValue) -> Bool {
        (pod["status", "conditions"]?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        }
    }

    public static func podName(_ pod: JSONValue) -> String {
        pod["metadata", "name"]?.stringValue ?? ""
    }

    /// The image of container `container` in the Deployment's template.
    public static func image(of deployment: JSONValue, container: String) -> String? {
        let containers = deployment["spec", "template", "spec", "containers"]?.arrayValue ?? []
        return (containers.first { $0["name"]?.stringValue == container } ?? containers.first)?["image"]?.stringValue
    }

    public static func assess(deployment: JSONValue?, pods: [JSONValue], app: String, image: String) -> RolloutAssessment {
        guard let deployment else { return .stalled("the Deployment \(app) was deleted") }
        let desired = deployment["spec", "replicas"]?.intValue ?? 1
        let status = deployment["status"] ?? .object([:])
        let updated = status["updatedReplicas"]?.intValue ?? 0
        let replicas = status["replicas"]?.intValue ?? 0
        let available = status["availableReplicas"]?.intValue ?? 0
        // Shown and checked from the Pods: the status counts ready Pods of every template together.
        let live = pods.filter { $0["metadata", "deletionTimestamp"] == nil }
        let current = live.filter { runs($0, container: app, image: image) }
        let ready = current.filter(isReady).count
        let progress = RolloutProgress(desired: desired, updated: current.count, ready: ready, available: available,
                                       old: live.count - current.count)
        if let current = Self.image(of: deployment, container: app), current != image {
            return .superseded(current)
        }
        if let failure = failure(pods: pods, container: app, image: image) {
            return .failed(failure)
        }
        let generation = deployment["metadata", "generation"]?.intValue ?? 0
        let observed = status["observedGeneration"]?.intValue ?? 0
        guard observed >= generation else {
            return .progressing(progress)
        }
        let conditions = status["conditions"]?.arrayValue ?? []
        if let progressing = conditions.first(where: { $0["type"]?.stringValue == "Progressing" }),
           progressing["reason"]?.stringValue == "ProgressDeadlineExceeded" {
            return .stalled(progressing["message"]?.stringValue ?? "the rollout exceeded its progress deadline")
        }
        if updated < desired || replicas > updated || available < updated || ready < desired || progress.old > 0 {
            return .progressing(progress)
        }
        return .ready(progress)
    }
}

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

    public init(app: String, environment: String, image: String, timeout: Double = 300, rollbackTimeout: Double = 300,
                wait: Bool = true, rollback: Bool = true, message: String? = nil, kind: Release.Kind = .deploy,
                rollbackOf: Int? = nil) {
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
}

/// Updates the image, watches the rollout, fails fast on stuck Pods and rolls back.
public struct DeployService: Sendable {
    public let kubectl: Kubectl
    public let reporter: ProgressReporter
    public let signals: SignalForwarder
    /// Seconds between two looks at the rollout.
    public var pollInterval: Double
    /// Seconds since some fixed point (injectable so timeouts can be tested without waiting).
    public var clock: @Sendable () -> Double
    /// Who deploys (git user.name, $USER, "unknown").
    public var user: String
    public var now: @Sendable () -> Date

    public init(kubectl: Kubectl, reporter: ProgressReporter, signals: SignalForwarder, user: String,
                pollInterval: Double = 0.5,
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
        try await signals.handlesInterruption { try await deployHandlingInterruption(request) }
    }

    private func deployHandlingInterruption(_ request: DeployRequest) async throws -> DeployOutcome {
        let app = request.app, namespace = request.environment
        guard let deployment = try await kubectl.deployment(app, namespace: namespace) else {
            throw PlatformError.failed("app \(Validate.quoted(app)) not found in environment \(Validate.quoted(namespace)) (no Deployment \(app) in namespace \(namespace)); run 'platform create \(app) -e \(namespace)' first")
        }
        let containers = (deployment["spec", "template", "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        guard containers.contains(app) else {
            // The image patch is keyed by the container name: applying it would add a second container.
            throw PlatformError.failed("the Deployment \(app) in \(namespace) has no container named \(app) (it has: \(containers.joined(separator: ", "))); deploy changes the container named after the app, as 'platform create' makes it")
        }
        let previousImage = RolloutRules.image(of: deployment, container: app)
        let store = ReleaseStore(kubectl: kubectl)
        let livePods = try await kubectl.pods(app: app, namespace: namespace)
        var release = Release(revision: 0, image: request.image, user: user, time: Self.timestamp(now()),
                              message: request.message, result: .pending, kind: request.kind,
                              rollbackOf: request.rollbackOf)
        // The pending release takes the next revision in the same write that records it.
        let pending = release
        let (revision, lastServing) = try await store.update(app: app, namespace: namespace) { history in
            var recorded = pending
            recorded.revision = history.nextRevision
            let serving = history.lastSucceeded?.image
            history.record(recorded)
            return (recorded.revision, serving)
        }
        release.revision = revision
        // What an automatic rollback restores: what runs now when it is healthy (whoever put it there),
        // else the release that served last, else what runs now anyway.
        var rollbackImage = lastServing ?? previousImage
        if let previousImage,
           case .ready = RolloutRules.assess(deployment: deployment, pods: livePods, app: app, image: previousImage) {
            rollbackImage = previousImage
        }

        reporter.progress("\(request.kind == .rollback ? "Rolling back" : "Deploying") \(app) in \(namespace): \(request.image) (release \(release.revision))")
        do {
            return try await rollout(request, release: &release, previousImage: previousImage,
                                     rollbackImage: rollbackImage, store: store)
        } catch PlatformError.interrupted(let signal) {
            // Not left pending: record how far it got, then stop as interrupted.
            if release.result == .pending {
                release.result = .failed
                let note = "interrupted (\(signal == SIGTERM ? "SIGTERM" : "SIGINT")) before the rollout was confirmed; "
                    + "the Deployment was left as it was"
                release.reason = release.reason.map { $0 + "; " + note } ?? note
            }
            let final = release
            do {
                try await signals.finishing { try await store.record(final, app: app, namespace: namespace) }
            } catch {
                reporter.warning("could not record release \(final.revision) as interrupted: \(error)")
            }
            throw PlatformError.interrupted(signal: signal)
        }
    }

    /// Applies the image and watches it (and the automatic rollback); records the outcome in `release`.
    private func rollout(_ request: DeployRequest, release: inout Release, previousImage: String?,
                         rollbackImage: String?, store: ReleaseStore) async throws -> DeployOutcome {
        let app = request.app, namespace = request.environment
        try await kubectl.setImage(app: app, namespace: namespace, image: request.image)
        RunDetails.current?.deployApplied(image: request.image)  // from now on this run is a deployment (metrics)
        guard request.wait else {
            release.result = .applied
            try await store.record(release, app: app, namespace: namespace)
            return DeployOutcome(app: app, environment: namespace, revision: release.revision, image: request.image,
                                 previousImage: previousImage, result: .applied, replicas: nil)
        }

        let verdict = try await waitForRollout(app: app, namespace: namespace, image: request.image,
                                               timeout: request.timeout)
        switch verdict {
        case .ready(let progress):
            release.result = .succeeded
            try await store.record(release, app: app, namespace: namespace)
            return DeployOutcome(app: app, environment: namespace, revision: release.revision, image: request.image,
                                 previousImage: previousImage, result: .succeeded, replicas: progress)
        case .superseded(let other):
            try await supersede(&release, by: other, store: store, app: app, namespace: namespace)
        case .failed(let reason):
            release.reason = reason
            reporter.warning("the rollout of \(request.image) failed: \(reason)")
            guard request.rollback, let target = rollbackImage, target != request.image else {
                release.result = .failed
                try await store.record(release, app: app, namespace: namespace)
                let why = !request.rollback ? "not rolled back (--no-rollback)" : "no previous release to roll back to"
                throw PlatformError.deployFailed("deploy of \(request.image) failed: \(reason); \(why)")
            }
            reporter.progress("Rolling back \(app) to \(target)")
            try await kubectl.setImage(app: app, namespace: namespace, image: target)
            let back = try await waitForRollout(app: app, namespace: namespace, image: target,
                                                timeout: request.rollbackTimeout)
            if case .superseded(let other) = back {
                try await supersede(&release, by: other, store: store, app: app, namespace: namespace)
            }
            if case .failed(let rollbackReason) = back {
                release.result = .failed
                release.reason = reason + "; rollback to \(target) failed too: \(rollbackReason)"
                try await store.record(release, app: app, namespace: namespace)
                throw PlatformError.deployFailed("deploy of \(request.image) failed: \(reason); the rollback to \(target) failed too: \(rollbackReason)")
            }
            release.result = .rolledBack
            release.rolledBackTo = target
            try await store.record(release, app: app, namespace: namespace)
            throw PlatformError.deployRolledBack("deploy of \(request.image) failed: \(reason); rolled back to \(target), which is serving again")
        }
    }

    /// Someone else changed the image while this deploy waited: stop, record it, leave their image alone.
    private func supersede(_ release: inout Release, by other: String, store: ReleaseStore, app: String,
                           namespace: String) async throws -> Never {
        release.result = .superseded
        release.reason = "superseded by a deploy of \(other)"
        try await store.record(release, app: app, namespace: namespace)
        throw PlatformError.failed("deploy of \(release.image) was superseded by another deploy of \(other) while waiting; not rolling back (see 'platform releases \(app)')")
    }

    public enum Verdict: Sendable, Equatable {
        case ready(RolloutProgress)
        case failed(String)
        /// The Deployment's image was changed to this one by someone else meanwhile.
        case superseded(String)
    }

    /// Polls the Deployment and the app's Pods until the rollout is ready, a Pod is stuck, or the
    /// time is up. Progress goes to the reporter, one line per change.
    public func waitForRollout(app: String, namespace: String, image: String, timeout: Double) async throws -> Verdict {
        let start = clock()
        var lastSummary = ""
        var last: RolloutAssessment?
        while true {
            try signals.checkInterrupted()
            let deployment = try await kubectl.deployment(app, namespace: namespace)
            let pods = try await kubectl.pods(app: app, namespace: namespace)
            let assessment = RolloutRules.assess(deployment: deployment, pods: pods, app: app, image: image)
            last = assessment
            switch assessment {
            case .ready(let progress):
                reporter.detail("  " + progress.summary)
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
            case .progressing(let progress):
                if progress.summary != lastSummary {
                    reporter.detail("  " + progress.summary)
                    lastSummary = progress.summary
                }
            }
            if clock() - start >= timeout {
                var detail = "timed out after \(Self.format(duration: timeout))"
                if case .progressing(let progress)? = last { detail += " (\(progress.summary))" }
                return .failed(detail)
            }
            try await pause(pollInterval)
        }
    }

    /// Sleeps `seconds` in slices of at most 100 ms, throwing `interrupted` as soon as a signal came.
    func pause(_ seconds: Double) async throws {
        var remaining = max(0, seconds)
        try signals.checkInterrupted()
        while remaining > 0 {
            let slice = min(remaining, Self.pauseSlice)
            try await Task.sleep(nanoseconds: UInt64(slice * 1_000_000_000))
            remaining -= slice
            try signals.checkInterrupted()
        }
    }

    static let pauseSlice = 0.1

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

/// `platform rollback`: which release to re-deploy.
public enum RollbackPlanner {
    /// Release `revision`, or by default the newest successful release whose image is not
    /// `liveImage` (the image the Deployment runs now).
    public static func target(_ history: ReleaseHistory, to revision: Int?, liveImage: String?,
                              app: String) throws -> Release {
        if let revision {
            guard let release = history.release(revision) else {
                let known = history.releases.map { String($0.revision) }.joined(separator: ", ")
                throw PlatformError.invalidInput("release \(revision) of \(app) not found; known revisions: \(known.isEmpty ? "none" : known)")
            }
            return release
        }
        guard let previous = history.rollbackTarget(liveImage: liveImage) else {
            let running = liveImage.map { " with an image other than the running \($0)" } ?? ""
            throw PlatformError.failed("no successful release of \(app)\(running) to roll back to (see 'platform releases \(app)')")
        }
        return previous
    }
}
