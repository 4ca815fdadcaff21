import Foundation

/// Judges one rollout across several looks: what `RolloutRules` say of each snapshot, plus what
/// needs memory — restart counts from before the deploy (so only restarts since it began count)
/// and since when a pull error or a FailedCreate has lasted (so each gets its grace).
public struct RolloutTracker: Sendable {
    public let app: String
    public let image: String
    /// `POD-UID/CONTAINER` → restartCount before this deploy; Pods not in it started afterwards.
    public let baseline: [String: Int]
    public var pullGrace: Double
    public var createGrace: Double
    private var graceSince: [String: Double] = [:]

    public init(app: String, image: String, podsBefore: [JSONValue], pullGrace: Double = RolloutRules.pullGrace,
                createGrace: Double = RolloutRules.createGrace) {
        self.app = app
        self.image = image
        self.baseline = RolloutRules.restartCounts(podsBefore)
        self.pullGrace = pullGrace
        self.createGrace = createGrace
    }

    /// How long (seconds) `key` has been in trouble, starting its clock at `now` the first time.
    private mutating func lasting(_ key: String, now: Double) -> Double {
        let since = graceSince[key] ?? now
        graceSince[key] = since
        return now - since
    }

    public mutating func assess(_ snapshot: RolloutSnapshot, now: Double) -> RolloutAssessment {
        guard let deployment = snapshot.deployment else { return .stalled("the Deployment \(app) was deleted") }
        if let current = RolloutRules.image(of: deployment, container: app), current != image {
            return .superseded(current)
        }
        if RolloutRules.isPaused(deployment) {
            return .stalled("the Deployment \(app) was paused (spec.paused) while waiting; nothing rolls out until 'kubectl rollout resume deployment/\(app)'")
        }
        let progress = RolloutRules.progress(snapshot)
        var notes: [String] = []
        var troubled: Set<String> = []
        var restartsSince = 0
        var worst: (pod: JSONValue, status: JSONValue, since: Int)?
        for pod in snapshot.newPods.sorted(by: { RolloutRules.name($0) < RolloutRules.name($1) }) {
            let podName = RolloutRules.name(pod)
            for status in RolloutRules.containerStatuses(pod) {
                let container = status["name"]?.stringValue ?? "?"
                let key = RolloutRules.uid(pod) + "/" + container
                let restarts = status["restartCount"]?.intValue ?? 0
                if let waiting = status["state", "waiting"], let reason = waiting["reason"]?.stringValue {
                    let message = waiting["message"]?.stringValue ?? ""
                    if RolloutRules.permanentWaitingReasons.contains(reason) {
                        return .failed(PodFailure(pod: podName, container: container, reason: reason, message: message,
                                                  restarts: restarts))
                    }
                    if RolloutRules.graceWaitingReasons.contains(reason) {
                        troubled.insert(key)
                        let lasted = lasting(key, now: now)
                        if lasted >= pullGrace {
                            let detail = "still failing after \(DeployService.format(duration: lasted))"
                                + (message.isEmpty ? "" : ": \(message)")
                            return .failed(PodFailure(pod: podName, container: container, reason: reason,
                                                      message: detail, restarts: restarts))
                        }
                        notes.append("pod \(podName): \(container) \(reason) (fails if it lasts \(DeployService.format(duration: pullGrace)))"
                                     + (message.isEmpty ? "" : ": \(message)"))
                    }
                }
                let since = max(0, restarts - (baseline[key] ?? 0))
                restartsSince += since
                if since > 0, worst == nil || since > worst!.since {
                    worst = (pod, status, since)
                }
            }
        }
        for key in graceSince.keys where key.contains("/") && !troubled.contains(key) {
            graceSince[key] = nil  // recovered: a later error gets a fresh grace
        }
        let budget = RolloutRules.restartBudget(replicas: progress.desired)
        if let worst {
            let status = worst.status
            let container = status["name"]?.stringValue ?? "?"
            // Restarting after exits is a crash loop whether or not it waits out a back-off just now.
            let reason = status["state", "waiting", "reason"]?.stringValue
                ?? (status["lastState", "terminated"] != nil ? "CrashLoopBackOff" : "Restarting")
            let message = "restarted \(restartsSince) times since this deploy began (allowed: \(budget))"
                + RolloutRules.lastExit(status)
            if restartsSince > budget {
                return .failed(PodFailure(pod: RolloutRules.name(worst.pod), container: container, reason: reason,
                                          message: message, restarts: status["restartCount"]?.intValue ?? 0))
            }
            notes.append("pod \(RolloutRules.name(worst.pod)): \(container) \(message)")
        }
        if let deadline = RolloutRules.deadlineExceeded(deployment) {
            return .stalled(deadline + (notes.last.map { "; \($0)" } ?? ""))
        }
        if let failure = RolloutRules.replicaFailure(snapshot) {
            let rs = snapshot.newReplicaSet.map(RolloutRules.name) ?? app
            let lasted = lasting("ReplicaFailure", now: now)
            if lasted >= createGrace {
                return .stalled("the ReplicaSet \(rs) cannot create pods (ReplicaFailure \(failure)), still after \(DeployService.format(duration: lasted))")
            }
            notes.append("the ReplicaSet \(rs) cannot create pods (ReplicaFailure \(failure); fails if it lasts \(DeployService.format(duration: createGrace)))")
        } else {
            graceSince["ReplicaFailure"] = nil
        }
        if let stuck = RolloutRules.unschedulable(snapshot) {
            notes.append("pod \(stuck.pod) is Unschedulable: \(stuck.message)")
        }
        if RolloutRules.isComplete(snapshot) {
            return .ready(progress)
        }
        return .progressing(progress, notes)
    }
}
