import Foundation

/// Where a task's pod stands, from one look at it: pure, tested with pod documents shaped like a
/// real cluster's.
public enum TaskPodState: Sendable, Equatable {
    /// No pod yet, or it is being scheduled, pulled, created.
    case waiting
    /// It will not start: the reason and message (a pull error, unschedulable, a bad config).
    case cannotStart(String)
    /// The container runs (its log can be followed).
    case running(pod: String, container: String)
    /// The container ended: its exit code and reason (`state.terminated`).
    case terminated(pod: String, container: String, exitCode: Int32, reason: String?)
}

public enum TaskRules {
    /// The kubelet's waiting reasons that a one-off task does not wait out (its Job has backoffLimit 0
    /// and nobody watches it recover): pull and container-config errors.
    public static let fatalWaitingReasons: Set<String> = [
        "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull",
        "CreateContainerConfigError", "CreateContainerError",
    ]

    /// The state of the task's container among the Job's pods (the newest one: backoffLimit is 0).
    /// A waiting reason in `fatalWaitingReasons` and the scheduler's `PodScheduled=False/Unschedulable` condition mean it never starts;
    /// a pod the kubelet failed without running the container (phase Failed, no terminated state, e.g.
    /// DeadlineExceeded) too.
    public static func state(pods: [JSONValue], app: String) -> TaskPodState {
        let live = pods.filter { $0["metadata", "deletionTimestamp"] == nil }
        guard let pod = live.max(by: { created($0) < created($1) }) ?? pods.last else { return .waiting }
        let name = RolloutRules.podName(pod)
        let containers = pod["spec", "containers"]?.arrayValue ?? []
        let container = AppConventions.appContainer(containers, app: app)?["name"]?.stringValue ?? app
        let statuses = pod["status", "containerStatuses"]?.arrayValue ?? []
        let status = statuses.first { $0["name"]?.stringValue == container }
        if let terminated = status?["state", "terminated"] {
            return .terminated(pod: name, container: container,
                               exitCode: Int32(clamping: terminated["exitCode"]?.intValue ?? 1),
                               reason: terminated["reason"]?.stringValue)
        }
        if status?["state", "running"] != nil { return .running(pod: name, container: container) }
        if let waiting = status?["state", "waiting"], let reason = waiting["reason"]?.stringValue,
           fatalWaitingReasons.contains(reason) {
            let message = waiting["message"]?.stringValue ?? ""
            return .cannotStart("pod \(name) is \(reason)" + (message.isEmpty ? "" : " (\(message))"))
        }
        let conditions = pod["status", "conditions"]?.arrayValue ?? []
        if let scheduled = conditions.first(where: { $0["type"]?.stringValue == "PodScheduled" }),
           scheduled["status"]?.stringValue == "False", scheduled["reason"]?.stringValue == "Unschedulable" {
            let message = scheduled["message"]?.stringValue ?? ""
            return .cannotStart("pod \(name) is Unschedulable" + (message.isEmpty ? "" : " (\(message))"))
        }
        if pod["status", "phase"]?.stringValue == "Failed" {
            let reason = pod["status", "reason"]?.stringValue ?? "Failed"
            let message = pod["status", "message"]?.stringValue ?? ""
            return .cannotStart("pod \(name) failed: \(reason)" + (message.isEmpty ? "" : " (\(message))"))
        }
        return .waiting
    }

    /// The Job's own verdict when it failed without a pod to show for it (e.g. its deadline passed
    /// before a pod was created): the Failed condition's reason and message.
    public static func jobFailure(_ job: JSONValue) -> String? {
        let conditions = job["status", "conditions"]?.arrayValue ?? []
        guard let failed = conditions.first(where: { $0["type"]?.stringValue == "Failed" && $0["status"]?.stringValue == "True" })
        else { return nil }
        let reason = failed["reason"]?.stringValue ?? "Failed"
        let message = failed["message"]?.stringValue ?? ""
        return "job failed: \(reason)" + (message.isEmpty ? "" : " (\(message))")
    }

    static func created(_ pod: JSONValue) -> String {
        pod["metadata", "creationTimestamp"]?.stringValue ?? ""
    }
}
