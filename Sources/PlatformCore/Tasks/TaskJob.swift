import Foundation

/// The batch/v1 Job of a task, built from the app's live Deployment: pure, so tests compare documents.
///
/// The pod template copies what the app's pods run with (serviceAccountName, the pod and container
/// securityContext, imagePullSecrets, envFrom, env) and runs the argv as the container's `command`
/// (no shell). The Job carries the app's labels plus `app.kubernetes.io/component: task`; its pod
/// does NOT carry `app.kubernetes.io/name`: that label is the Deployment's and the Service's
/// selector, and a task pod must neither get the Service's traffic nor count in a rollout.
public enum TaskJob {
    public static let componentLabel = "app.kubernetes.io/component"
    public static let component = "task"
    /// On the task's pod instead of `app.kubernetes.io/name`: which app it is a task of.
    public static let taskOfLabel = "platform.dev/task-of"
    /// The label the Job controller puts on its pods (kubernetes pkg/controller/job: `batch.kubernetes.io/job-name`
    /// since 1.27, `job-name` before; both are set).
    public static let jobNameLabel = "job-name"
    /// On the Job only: the run that made it (TaskRequest.runID).
    public static let runLabel = "platform.dev/run"

    /// The Job for `request`, from the live `deployment`; throws when the Deployment has no app container.
    public static func document(_ request: TaskRequest, deployment: JSONValue) throws -> JSONValue {
        let app = request.app
        let template = deployment["spec", "template", "spec"] ?? .object([:])
        let containers = template["containers"]?.arrayValue ?? []
        guard let live = AppConventions.appContainer(containers, app: app) else {
            throw PlatformError.failed("the Deployment \(app) in \(request.environment) has no containers; cannot run a task of it")
        }
        guard let image = request.image ?? live["image"]?.stringValue else {
            throw PlatformError.failed("the Deployment \(app) in \(request.environment) names no image; pass --image")
        }
        var container: [String: JSONValue] = [
            "name": .string(live["name"]?.stringValue ?? app),
            "image": .string(image),
            "command": .array(request.argv.map(JSONValue.string)),
        ]
        for key in ["env", "envFrom", "securityContext", "resources", "workingDir"] {
            if let value = live[key] { container[key] = value }
        }
        if let envFrom = request.envFrom { container["envFrom"] = envFrom.isEmpty ? nil : .array(envFrom) }
        var pod: [String: JSONValue] = [
            "restartPolicy": .string("Never"),
            "containers": .array([.object(container)]),
        ]
        for key in ["serviceAccountName", "securityContext", "imagePullSecrets", "automountServiceAccountToken"] {
            if let value = template[key] { pod[key] = value }
        }
        let common: [String: JSONValue] = [
            AppConventions.instanceLabel: .string("\(app)-\(request.environment)"),
            AppConventions.managedByLabel: .string("platform"),
            componentLabel: .string(component),
        ]
        var jobLabels = common
        jobLabels[AppConventions.nameLabel] = .string(app)
        jobLabels[runLabel] = .string(request.runID)
        var podLabels = common
        podLabels[taskOfLabel] = .string(app)
        return .object([
            "apiVersion": .string("batch/v1"),
            "kind": .string("Job"),
            "metadata": .object([
                "generateName": .string("\(app)-\(request.purpose)-"),
                "namespace": .string(request.environment),
                "labels": .object(jobLabels),
            ]),
            "spec": .object([
                "backoffLimit": .number(0),
                "ttlSecondsAfterFinished": .number(Double(request.keepFinished)),
                "activeDeadlineSeconds": .number(max(1, request.timeout.rounded(.up))),
                "template": .object([
                    "metadata": .object(["labels": .object(podLabels)]),
                    "spec": .object(pod),
                ]),
            ]),
        ])
    }

    /// Whether `job` is a task of `app` (`--logs JOB` refuses other Jobs).
    public static func isTask(_ job: JSONValue, of app: String) -> Bool {
        let labels = job["metadata", "labels"]
        return labels?[AppConventions.nameLabel]?.stringValue == app && labels?[componentLabel]?.stringValue == component
    }
}
