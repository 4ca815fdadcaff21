import Foundation

/// The conventions an app follows in the cluster (shared with `platform create`).
public enum AppConventions {
    /// The label every object of the app carries; the Deployment's selector.
    public static let nameLabel = "app.kubernetes.io/name"
    public static let instanceLabel = "app.kubernetes.io/instance"
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    /// The field manager of `deploy`/`rollback` (create owns the rest of the app as `platform/NAME`).
    public static let deployFieldManager = "platform-deploy"

    /// The field manager of `create` for one app. Each app has its own, so an object or field that one
    /// app's apply owns is never silently shared with or taken by another app's (server-side apply
    /// tracks ownership per manager). Releases before this used the single manager `platform`
    /// (`legacyFieldManager`); see docs/create.md "Field managers".
    public static func fieldManager(_ name: String) -> String { "platform/\(name)" }
    public static let legacyFieldManager = "platform"

    /// The template annotation `kubectl rollout restart` sets; `deploy --force` sets it too.
    public static let restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

    public static func selector(_ name: String) -> String { "\(nameLabel)=\(name)" }
    public static func releasesConfigMap(_ name: String) -> String { "platform-releases-\(name)" }

    /// The app's container among `containers` (a pod template's or a Pod's): the one named after the
    /// app, as 'platform create' makes it, else the first. The one rule for "the app's image".
    public static func appContainer(_ containers: [JSONValue], app: String) -> JSONValue? {
        containers.first { $0["name"]?.stringValue == app } ?? containers.first
    }
}

/// The kubectl calls of deploy, releases, rollback, logs, status and destroy.
public extension Kubectl {
    /// The app's Deployment, nil when there is none.
    func deployment(_ name: String, namespace: String) async throws -> JSONValue? {
        try await get("deployment", name, namespace: namespace)
    }

    /// The app's Pods (by the `app.kubernetes.io/name` selector).
    func pods(app name: String, namespace: String) async throws -> [JSONValue] {
        try await list("pods", selector: AppConventions.selector(name), namespace: namespace)
    }

    /// The Deployment, its ReplicaSets and their Pods in one kubectl process:
    /// `kubectl get deployments,replicasets,pods -n NS -l SELECTOR -o json`. The Deployment is looked
    /// up by name separately only when it does not carry its own selector's labels.
    func rolloutSnapshot(app name: String, namespace: String, selector: String,
                         requestTimeout: Int? = nil) async throws -> RolloutSnapshot {
        var arguments = ["get", "deployments,replicasets,pods", "-n", namespace, "-l", selector]
        if let requestTimeout { arguments.append("--request-timeout=\(requestTimeout)s") }
        let result = try await runner.checked(command(arguments + ["-o", "json"]))
        let list = try JSONDecoder().decode(JSONValue.self, from: result.stdout)
        var snapshot = RolloutSnapshot(items: list["items"]?.arrayValue ?? [], deployment: name)
        if snapshot.deployment == nil {
            snapshot.deployment = try await deployment(name, namespace: namespace)
        }
        return snapshot
    }

    /// Changes only the image of the app's container and its configuration version: a partial
    /// server-side apply with its own field manager, so create's fields stay with `platform/NAME`.
    /// `restartedAt` also sets the template annotation `kubectl.kubernetes.io/restartedAt` (what
    /// `kubectl rollout restart` does), so the Pods are replaced even though nothing else changed.
    func setImage(app name: String, namespace: String, image: String, config: ConfigReference = .empty,
                  restartedAt: String? = nil) async throws {
        try await applyAsDeploy(imagePatch(app: name, namespace: namespace, image: image, config: config,
                                           restartedAt: restartedAt))
    }

    /// The partial Deployment that `setImage` applies: the container's image and, when there is a
    /// configuration version, its `envFrom`. Both are always sent together: server-side apply
    /// removes what the field manager applied before and leaves out now, so a deploy that sent the
    /// image alone would drop the configuration.
    func imagePatch(app name: String, namespace: String, image: String, config: ConfigReference = .empty,
                    restartedAt: String? = nil) -> JSONValue {
        var container: [String: JSONValue] = ["name": .string(name), "image": .string(image)]
        if !config.isEmpty { container["envFrom"] = .array(config.envFrom) }
        var template: [String: JSONValue] = ["spec": .object(["containers": .array([.object(container)])])]
        if let restartedAt {
            template["metadata"] = .object(["annotations": .object([
                AppConventions.restartedAtAnnotation: .string(restartedAt),
            ])])
        }
        return JSONValue.object([
            "apiVersion": .string("apps/v1"),
            "kind": .string("Deployment"),
            "metadata": .object(["name": .string(name), "namespace": .string(namespace)]),
            "spec": .object(["template": .object(template)]),
        ])
    }

    /// Applies a whole document with the deploy field manager (the release ConfigMap).
    func applyAsDeploy(_ document: JSONValue) async throws {
        _ = try await runner.checked(command(
            ["apply", "--server-side", "--field-manager=\(AppConventions.deployFieldManager)", "--force-conflicts",
             "-f", "-"],
            input: try document.encoded()))
    }

    /// `kubectl logs POD -n NS -c CONTAINER --tail=N [--since=…] [--timestamps] [--previous] [-f]`.
    func logsCommand(pod: String, namespace: String, container: String, tail: Int, sinceSeconds: Int? = nil,
                     timestamps: Bool = false, previous: Bool = false, follow: Bool = false) -> Command {
        var arguments = ["logs", pod, "-n", namespace, "-c", container, "--tail=\(tail)"]
        if let sinceSeconds { arguments.append("--since=\(sinceSeconds)s") }
        if timestamps { arguments.append("--timestamps") }
        if previous { arguments.append("--previous") }
        if follow { arguments.append("-f") }
        return command(arguments)
    }

    /// Deletes objects by `kind/name`, ignoring those that are gone; returns what kubectl deleted
    /// (`kind/name` lines of `-o name`).
    func delete(_ references: [String], namespace: String) async throws -> [String] {
        guard !references.isEmpty else { return [] }
        let result = try await runner.checked(command(
            ["delete"] + references + ["-n", namespace, "--ignore-not-found", "-o", "name"]))
        return result.stdoutText.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }
}
