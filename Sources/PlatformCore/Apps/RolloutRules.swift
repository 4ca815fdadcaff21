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

/// Where a rollout stands, from one look at the Deployment, its ReplicaSets and their Pods.
public enum RolloutAssessment: Sendable, Equatable {
    /// Still rolling out; the notes say what holds it up (a pull error within its grace, an
    /// unschedulable Pod, a ReplicaSet that cannot create Pods, restarts within the budget).
    case progressing(RolloutProgress, [String])
    case ready(RolloutProgress)
    case failed(PodFailure)
    /// The Deployment's own verdict (ProgressDeadlineExceeded), a failure of the ReplicaSet
    /// (FailedCreate past its grace), a pause, or the Deployment's disappearance.
    case stalled(String)
    /// The Deployment's template has another image now (another deploy).
    case superseded(String)
}

public struct RolloutProgress: Codable, Sendable, Equatable {
    public var desired: Int
    /// Pods of the new ReplicaSet (its `status.replicas`).
    public var updated: Int
    /// Ready Pods of the new ReplicaSet.
    public var ready: Int
    /// Available Pods of the Deployment (`status.availableReplicas`).
    public var available: Int
    /// Pods of older ReplicaSets still running.
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

/// What one `kubectl get deployments,replicasets,pods -l SELECTOR -o json` shows of an app.
public struct RolloutSnapshot: Sendable, Equatable {
    public var deployment: JSONValue?
    public var replicaSets: [JSONValue]
    public var pods: [JSONValue]

    public init(deployment: JSONValue?, replicaSets: [JSONValue] = [], pods: [JSONValue] = []) {
        self.deployment = deployment
        self.replicaSets = replicaSets
        self.pods = pods
    }

    /// Sorts the items of a mixed list by kind; the Deployment is the one named `deployment`.
    public init(items: [JSONValue], deployment name: String) {
        self.init(deployment: items.first { $0["kind"]?.stringValue == "Deployment" && RolloutRules.name($0) == name },
                  replicaSets: items.filter { $0["kind"]?.stringValue == "ReplicaSet" },
                  pods: items.filter { $0["kind"]?.stringValue == "Pod" })
    }

    /// The ReplicaSets the Deployment controls.
    public var ownReplicaSets: [JSONValue] {
        guard let deployment else { return [] }
        return RolloutRules.controlled(replicaSets, by: deployment)
    }

    /// The Deployment's new ReplicaSet: the one of its current pod template.
    public var newReplicaSet: JSONValue? {
        deployment.flatMap { RolloutRules.newReplicaSet(of: $0, in: replicaSets) }
    }

    /// Active Pods of the new ReplicaSet (the only ones whose failures count).
    public var newPods: [JSONValue] {
        guard let rs = newReplicaSet else { return [] }
        return RolloutRules.controlled(pods, by: rs).filter(RolloutRules.isActive)
    }

    /// Pods of the Deployment's ReplicaSets that still run or wait to (not Failed/Succeeded).
    public var ownPods: [JSONValue] {
        let owners = Set(ownReplicaSets.map(RolloutRules.uid))
        return pods.filter { pod in
            RolloutRules.controllerUID(pod).map(owners.contains) == true
                && !["Failed", "Succeeded"].contains(pod["status", "phase"]?.stringValue ?? "")
        }
    }
}

/// The rules that judge a rollout, as pure functions of the objects.
///
/// - Readiness is kubectl's `DeploymentStatusViewer.Status` (kubectl
///   `pkg/polymorphichelpers/rollout_status.go`): only a status whose `observedGeneration` has
///   caught up with `metadata.generation` counts; then `Progressing` with reason
///   `ProgressDeadlineExceeded` is a failure, and the rollout is done when `updatedReplicas` reached
///   `spec.replicas`, no old replicas are left (`status.replicas` ≤ `updatedReplicas`) and every
///   updated replica is available. Like Helm (`pkg/kube/ready.go` `deploymentReady`, which finds
///   the new ReplicaSet with `deploymentutil.GetNewReplicaSet`), the new ReplicaSet must exist and
///   have its Pods ready; a paused Deployment never becomes ready (Helm: `Spec.Paused`).
/// - The new ReplicaSet is the one controlled by the Deployment (ownerReferences) whose pod template
///   equals the Deployment's, ignoring the `pod-template-hash` label (deploymentutil
///   `FindNewReplicaSet`/`EqualIgnoreHash`, used by kubectl and Helm alike).
/// - Only active Pods of the new ReplicaSet can fail a rollout: Pods with a deletionTimestamp or in
///   phase Failed/Succeeded (Evicted, completed Jobs) are what the ReplicaSet controller itself
///   leaves out (`controller.FilterActivePods`), and Pods owned by anything else (other
///   ReplicaSets, Jobs, other tools sharing the name label) are not this rollout's.
/// - Failures have a budget, after werf/kubedog (`werf.io/failures-allowed-per-replica`, default 1,
///   times `spec.replicas`): restarts count only since this deploy began (the kubelet never resets
///   `restartCount`), and the rollout fails when they exceed the budget. Pull errors get a grace
///   (`pullGrace`): a registry 429 or one bad node recovers on the kubelet's next attempt; a pull
///   error that lasts longer, or a permanent one (`InvalidImageName`, `ErrImageNeverPull`), fails.
public enum RolloutRules {
    /// kubedog's default failures allowed per replica.
    public static let failuresAllowedPerReplica = 1
    /// Seconds a container may stay in a pull (or container-config) error before the rollout fails:
    /// the kubelet retries pulls after 10 s, then 20 s, so a transient error clears within it.
    public static let pullGrace: Double = 20
    /// Seconds a ReplicaSet may fail to create Pods (ReplicaFailure/FailedCreate: a quota, an
    /// admission webhook, a missing ServiceAccount) before the rollout fails: a quota freed by old
    /// Pods that terminate clears within it.
    public static let createGrace: Double = 20
    /// Waiting reasons the kubelet cannot get past without a new image.
    public static let permanentWaitingReasons: Set<String> = ["InvalidImageName", "ErrImageNeverPull"]
    /// Waiting reasons that fail only when they last longer than `pullGrace`.
    public static let graceWaitingReasons: Set<String> = [
        "ErrImagePull", "ImagePullBackOff", "CreateContainerConfigError", "CreateContainerError",
    ]

    // MARK: Objects

    public static func name(_ object: JSONValue) -> String { object["metadata", "name"]?.stringValue ?? "" }
    public static func podName(_ pod: JSONValue) -> String { name(pod) }
    public static func uid(_ object: JSONValue) -> String { object["metadata", "uid"]?.stringValue ?? "" }

    /// The uid of the object's controller (the ownerReference with `controller: true`).
    public static func controllerUID(_ object: JSONValue) -> String? {
        let owners = object["metadata", "ownerReferences"]?.arrayValue ?? []
        return (owners.first { $0["controller"]?.boolValue == true } ?? owners.first)?["uid"]?.stringValue
    }

    /// The objects `owner` controls.
    public static func controlled(_ objects: [JSONValue], by owner: JSONValue) -> [JSONValue] {
        let id = uid(owner)
        guard !id.isEmpty else { return [] }
        return objects.filter { controllerUID($0) == id }
    }

    /// deploymentutil.FindNewReplicaSet: the controlled ReplicaSet whose template equals the
    /// Deployment's, ignoring `pod-template-hash`; the newest revision when several match.
    public static func newReplicaSet(of deployment: JSONValue, in replicaSets: [JSONValue]) -> JSONValue? {
        let template = withoutHash(deployment["spec", "template"])
        return controlled(replicaSets, by: deployment)
            .filter { withoutHash($0["spec", "template"]) == template }
            .max { revision($0) < revision($1) }
    }

    static func withoutHash(_ template: JSONValue?) -> JSONValue? {
        guard var template, case .object(var metadata)? = template["metadata"] else { return template }
        if case .object(var labels)? = metadata["labels"] {
            labels["pod-template-hash"] = nil
            metadata["labels"] = labels.isEmpty ? nil : .object(labels)
        }
        if case .object(var object) = template {
            object["metadata"] = metadata.isEmpty ? nil : .object(metadata)
            template = .object(object)
        }
        return template
    }

    public static func revision(_ object: JSONValue) -> Int {
        Int(object["metadata", "annotations", "deployment.kubernetes.io/revision"]?.stringValue ?? "") ?? 0
    }

    /// Not terminating and not in a terminal phase (controller.FilterActivePods).
    public static func isActive(_ pod: JSONValue) -> Bool {
        pod["metadata", "deletionTimestamp"] == nil
            && !["Failed", "Succeeded"].contains(pod["status", "phase"]?.stringValue ?? "")
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

    /// The image of container `container` in the Deployment's template.
    public static func image(of deployment: JSONValue, container: String) -> String? {
        let containers = deployment["spec", "template", "spec", "containers"]?.arrayValue ?? []
        return AppConventions.appContainer(containers, app: container)?["image"]?.stringValue
    }

    public static func condition(_ object: JSONValue?, _ type: String) -> JSONValue? {
        (object?["status", "conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == type }
    }

    public static func isPaused(_ deployment: JSONValue) -> Bool {
        deployment["spec", "paused"]?.boolValue == true
    }

    /// The status is for the Deployment's current spec (kubectl: Generation <= ObservedGeneration).
    public static func observed(_ deployment: JSONValue) -> Bool {
        (deployment["metadata", "generation"]?.intValue ?? 0) <= (deployment["status", "observedGeneration"]?.intValue ?? 0)
    }

    // MARK: Progress and readiness

    /// The numbers shown while waiting, from the ReplicaSets (the Deployment's status counts old
    /// Pods as updated until the controller has seen the new template).
    public static func progress(_ snapshot: RolloutSnapshot) -> RolloutProgress {
        let deployment = snapshot.deployment
        let desired = deployment?["spec", "replicas"]?.intValue ?? 1
        let new = snapshot.newReplicaSet
        let newID = new.map(uid)
        let old = snapshot.ownReplicaSets.filter { uid($0) != newID }
            .reduce(0) { $0 + ($1["status", "replicas"]?.intValue ?? 0) }
        return RolloutProgress(desired: desired, updated: new?["status", "replicas"]?.intValue ?? 0,
                               ready: new?["status", "readyReplicas"]?.intValue ?? 0,
                               available: deployment?["status", "availableReplicas"]?.intValue ?? 0, old: old)
    }

    /// kubectl's DeploymentStatusViewer plus Helm's new-ReplicaSet check: the rollout of the
    /// current template is complete (says nothing about failures).
    public static func isComplete(_ snapshot: RolloutSnapshot) -> Bool {
        guard let deployment = snapshot.deployment, observed(deployment), !isPaused(deployment),
              condition(deployment, "Progressing")?["reason"]?.stringValue != "ProgressDeadlineExceeded" else { return false }
        let desired = deployment["spec", "replicas"]?.intValue ?? 1
        let status = deployment["status"]
        let updated = status?["updatedReplicas"]?.intValue ?? 0
        let replicas = status?["replicas"]?.intValue ?? 0
        let available = status?["availableReplicas"]?.intValue ?? 0
        guard updated >= desired, replicas <= updated, available >= updated else { return false }
        guard desired > 0 else { return true }
        guard let new = snapshot.newReplicaSet else { return false }
        return (new["status", "readyReplicas"]?.intValue ?? 0) >= desired
    }

    /// The Deployment's verdict that its rollout is stuck (ProgressDeadlineExceeded for the current
    /// generation), nil otherwise.
    public static func deadlineExceeded(_ deployment: JSONValue) -> String? {
        guard observed(deployment), let progressing = condition(deployment, "Progressing"),
              progressing["reason"]?.stringValue == "ProgressDeadlineExceeded" else { return nil }
        let seconds = deployment["spec", "progressDeadlineSeconds"]?.intValue.map { " (\($0)s without progress)" } ?? ""
        return "the Deployment exceeded its progress deadline\(seconds): "
            + (progressing["message"]?.stringValue ?? "ProgressDeadlineExceeded")
    }

    /// The ReplicaSet's (or the Deployment's) ReplicaFailure message: Pods that cannot be created.
    public static func replicaFailure(_ snapshot: RolloutSnapshot) -> String? {
        for object in [snapshot.newReplicaSet, snapshot.deployment] {
            if let failure = condition(object, "ReplicaFailure"), failure["status"]?.stringValue == "True" {
                return (failure["reason"]?.stringValue ?? "FailedCreate") + ": " + (failure["message"]?.stringValue ?? "")
            }
        }
        return nil
    }

    /// The scheduler's message for an active Pod of the new ReplicaSet that cannot be scheduled.
    public static func unschedulable(_ snapshot: RolloutSnapshot) -> (pod: String, message: String)? {
        for pod in snapshot.newPods.sorted(by: { name($0) < name($1) }) {
            if let scheduled = condition(pod, "PodScheduled"), scheduled["status"]?.stringValue == "False",
               scheduled["reason"]?.stringValue == "Unschedulable" {
                return (name(pod), scheduled["message"]?.stringValue ?? "Unschedulable")
            }
        }
        return nil
    }

    // MARK: Restarts

    /// `POD-UID/CONTAINER` → restartCount of every container of `pods` (what ran before a deploy).
    public static func restartCounts(_ pods: [JSONValue]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for pod in pods {
            for status in containerStatuses(pod) {
                counts[uid(pod) + "/" + (status["name"]?.stringValue ?? "")] = status["restartCount"]?.intValue ?? 0
            }
        }
        return counts
    }

    public static func containerStatuses(_ pod: JSONValue) -> [JSONValue] {
        (pod["status", "initContainerStatuses"]?.arrayValue ?? []) + (pod["status", "containerStatuses"]?.arrayValue ?? [])
    }

    /// How many restarts the rollout of a Deployment with `replicas` may absorb.
    public static func restartBudget(replicas: Int) -> Int {
        failuresAllowedPerReplica * max(1, replicas)
    }

    static func lastExit(_ status: JSONValue) -> String {
        guard let last = status["lastState", "terminated"] else { return "" }
        return "; last exit: \(last["reason"]?.stringValue ?? "terminated")"
            + (last["exitCode"]?.intValue.map { " (exit code \($0))" } ?? "")
    }
}
