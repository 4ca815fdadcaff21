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
        return AppConventions.appContainer(containers, app: container)?["image"]?.stringValue
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
