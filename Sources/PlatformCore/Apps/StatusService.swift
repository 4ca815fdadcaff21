import Foundation

/// `platform status NAME`: what runs, how healthy, which release, where.
public struct AppStatus: Codable, Sendable, Equatable {
    public struct Replicas: Codable, Sendable, Equatable {
        public var desired: Int
        public var updated: Int
        public var ready: Int
        public var available: Int

        public init(desired: Int, updated: Int, ready: Int, available: Int) {
            self.desired = desired
            self.updated = updated
            self.ready = ready
            self.available = available
        }
    }

    public struct Pod: Codable, Sendable, Equatable {
        public var name: String
        public var phase: String
        public var ready: Bool
        public var restarts: Int
        public var image: String?
        /// The waiting reason of a container that is not running (ImagePullBackOff, …).
        public var reason: String?
        public var message: String?
        public var age: String?
    }

    public var app: String
    public var environment: String
    public var namespace: String
    /// `https://HOST` from the Ingress, nil without one.
    public var url: String?
    public var image: String?
    public var replicas: Replicas
    /// True when every desired replica is updated and ready.
    public var healthy: Bool
    /// The release that runs now: the newest one of `image`; nil when no release has that image.
    public var release: Release?
    /// The configuration version (vars and secrets) the Deployment references; nil: none.
    public var config: ConfigReference?
    public var pods: [Pod]
}

public struct StatusService: Sendable {
    public let kubectl: Kubectl

    public init(kubectl: Kubectl) {
        self.kubectl = kubectl
    }

    public func status(app: String, environment: String) async throws -> AppStatus {
        guard let deployment = try await kubectl.deployment(app, namespace: environment) else {
            throw PlatformError.failed("app \(Validate.quoted(app)) not found in environment \(Validate.quoted(environment)) (no Deployment \(app) in namespace \(environment))")
        }
        let snapshot = try await kubectl.rolloutSnapshot(app: app, namespace: environment,
                                                         selector: DeployService.selector(of: deployment, app: app))
        let pods = snapshot.deployment == nil ? [] : RolloutSnapshot(deployment: deployment, replicaSets: snapshot.replicaSets,
                                                                      pods: snapshot.pods).ownPods
        let ingress = try await kubectl.get("ingress", app, namespace: environment)
        let history = try await ReleaseStore(kubectl: kubectl).read(app: app, namespace: environment)
        return Self.status(app: app, environment: environment, deployment: deployment, pods: pods,
                           replicaSets: snapshot.replicaSets, ingress: ingress, history: history)
    }

    /// The report from the objects (pure, for tests). `pods` are the Deployment's own (those of its
    /// ReplicaSets, not Failed/Succeeded); `replicaSets` decide health like a deploy's wait does.
    public static func status(app: String, environment: String, deployment: JSONValue, pods: [JSONValue],
                              replicaSets: [JSONValue] = [], ingress: JSONValue?, history: ReleaseHistory,
                              now: Date = Date()) -> AppStatus {
        let status = deployment["status"] ?? .object([:])
        let replicas = AppStatus.Replicas(desired: deployment["spec", "replicas"]?.intValue ?? 1,
                                          updated: status["updatedReplicas"]?.intValue ?? 0,
                                          ready: status["readyReplicas"]?.intValue ?? 0,
                                          available: status["availableReplicas"]?.intValue ?? 0)
        let host = (ingress?["spec", "rules"]?.arrayValue ?? []).compactMap { $0["host"]?.stringValue }.first
        // https only when the Ingress terminates TLS for that host (spec.tls[].hosts).
        let tlsHosts = (ingress?["spec", "tls"]?.arrayValue ?? []).flatMap { $0["hosts"]?.arrayValue ?? [] }.compactMap(\.stringValue)
        let url = host.map { (tlsHosts.contains($0) ? "https://" : "http://") + $0 }
        let podReports = pods.sorted { RolloutRules.podName($0) < RolloutRules.podName($1) }.map { pod in
            podReport(pod, app: app, now: now)
        }
        let image = RolloutRules.image(of: deployment, container: app)
        // The rules of a deploy's wait (RolloutRules.isComplete: kubectl's status viewer and the new
        // ReplicaSet), never lifetime restart counts or Pods of other owners.
        let healthy = image != nil
            && RolloutRules.isComplete(RolloutSnapshot(deployment: deployment, replicaSets: replicaSets, pods: pods))
        let config = ConfigReference.live(in: deployment, app: app)
        let release = history.current(liveImage: image, config: config)
        // The key fingerprints come from the release that recorded this version.
        let recorded = release?.config.flatMap { $0.sameVersion(as: config) ? $0 : nil } ?? config
        return AppStatus(app: app, environment: environment, namespace: environment, url: url, image: image,
                         replicas: replicas, healthy: healthy, release: release,
                         config: config.isEmpty ? nil : recorded, pods: podReports)
    }

    static func podReport(_ pod: JSONValue, app: String, now: Date) -> AppStatus.Pod {
        let statuses = pod["status", "containerStatuses"]?.arrayValue ?? []
        let ready = !statuses.isEmpty && statuses.allSatisfy { $0["ready"]?.boolValue == true }
        // Saturating: restart counts come from the cluster and may be anything up to Int.max.
        let restarts = statuses.reduce(0) { total, status in
            let (sum, overflow) = total.addingReportingOverflow(max(0, status["restartCount"]?.intValue ?? 0))
            return overflow ? Int.max : sum
        }
        let waiting = statuses.compactMap { $0["state", "waiting"] }.first
        let containers = pod["spec", "containers"]?.arrayValue ?? []
        let image = AppConventions.appContainer(containers, app: app)?["image"]?.stringValue
        var phase = pod["status", "phase"]?.stringValue ?? "Unknown"
        if pod["metadata", "deletionTimestamp"] != nil { phase = "Terminating" }
        let age = pod["metadata", "creationTimestamp"]?.stringValue.flatMap { text -> String? in
            guard let created = ISO8601DateFormatter().date(from: text) else { return nil }
            return humanAge(now.timeIntervalSince(created))
        }
        return AppStatus.Pod(name: RolloutRules.podName(pod), phase: phase, ready: ready, restarts: restarts,
                             image: image, reason: waiting?["reason"]?.stringValue,
                             message: waiting?["message"]?.stringValue, age: age)
    }

    /// `42s`, `5m`, `3h`, `2d`.
    public static func humanAge(_ seconds: Double) -> String {
        // Times come from the cluster: a creationTimestamp far in the past or future must not trap.
        let s = seconds.isFinite ? Int(max(0, min(seconds, 1e15))) : 0
        if s < 120 { return "\(s)s" }
        if s < 7200 { return "\(s / 60)m" }
        if s < 172_800 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }
}
