import Foundation

/// Where a task's pod stands, from one look at it: pure, tested with pod documents shaped like a
/// real cluster's.
public enum TaskPodState: Sendable, Equatable {
    /// No pod yet, or it is being scheduled, pulled, created.
    case waiting
    /// It will not start: the reason and message (a permanent pull error, a pod the kubelet failed).
    case cannotStart(String)
    /// It cannot start yet, for a reason that may clear (a pull error, a missing Secret): fatal once
    /// it lasts `RolloutRules.pullGrace`, as for deploy.
    case stuck(String)
    /// The scheduler finds no node for it (`PodScheduled=False/Unschedulable`). As for deploy, this
    /// is reported, not fatal: a cluster autoscaler may add a node (minutes); `--timeout` ends it.
    case unschedulable(String)
    /// The container runs (its log can be followed).
    case running(pod: String, container: String)
    /// The container ended: its exit code and reason (`state.terminated`).
    case terminated(pod: String, container: String, exitCode: Int32, reason: String?)
}

/// Rules for a one-off task's pod. They are deploy's (RolloutRules): permanent waiting reasons fail at
/// once; pull and container-config errors fail when they last `RolloutRules.pullGrace` (a registry
/// 429 or a Secret created a moment later clear within it); the scheduler's Unschedulable only waits,
/// reported, until the timeout (a cluster autoscaler adds a node in minutes). kubectl itself never judges a Job's pod; `kubectl run --rm -i` waits for
/// it without limit, which is what `--timeout` bounds here.
public enum TaskRules {
    /// The state of the task's container among the Job's pods (the newest one: backoffLimit is 0).
    /// A waiting reason in `RolloutRules.permanentWaitingReasons` means it never starts, and so does a
    /// pod the kubelet failed without running the container (phase Failed, no terminated state);
    /// `graceWaitingReasons` are `stuck`, `PodScheduled=False/Unschedulable` is `unschedulable`.
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
        if let waiting = status?["state", "waiting"], let reason = waiting["reason"]?.stringValue {
            let message = waiting["message"]?.stringValue ?? ""
            let text = "pod \(name) is \(reason)" + (message.isEmpty ? "" : " (\(message))")
            if RolloutRules.permanentWaitingReasons.contains(reason) { return .cannotStart(text) }
            if RolloutRules.graceWaitingReasons.contains(reason) { return .stuck(text) }
        }
        let conditions = pod["status", "conditions"]?.arrayValue ?? []
        if let scheduled = conditions.first(where: { $0["type"]?.stringValue == "PodScheduled" }),
           scheduled["status"]?.stringValue == "False", scheduled["reason"]?.stringValue == "Unschedulable" {
            let message = scheduled["message"]?.stringValue ?? ""
            return .unschedulable("pod \(name) is Unschedulable" + (message.isEmpty ? "" : " (\(message))"))
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

    /// The job controller's complaint when it cannot create the pod (a quota, an admission webhook):
    /// the newest `FailedCreate` Warning Event of the Job (`kubectl describe job` shows the same).
    public static func createFailure(events: [JSONValue]) -> String? {
        let failed = events.filter { $0["reason"]?.stringValue == "FailedCreate" }
        guard let newest = failed.max(by: { stamp($0) < stamp($1) }) else { return nil }
        return "FailedCreate: " + (newest["message"]?.stringValue ?? "")
    }

    static func stamp(_ event: JSONValue) -> String {
        event["lastTimestamp"]?.stringValue ?? event["eventTime"]?.stringValue ?? ""
    }

    static func created(_ pod: JSONValue) -> String {
        pod["metadata", "creationTimestamp"]?.stringValue ?? ""
    }
}
