import Foundation

/// Which parts of a rendered object a project's `overrides` may patch. A merge patch may tune an
/// app's own objects; it may never make them other objects or point them at other apps:
/// - identity: `kind`, `apiVersion`, `metadata.name`, `metadata.namespace` (and `generateName`,
///   `ownerReferences`, `managedFields`), which would create or take over objects elsewhere
///   (a ClusterRoleBinding, a Secret in kube-system, another team's Deployment);
/// - selectors: any `selector`, `podSelector`, `namespaceSelector`, `labelSelector`, `matchLabels`,
///   `matchExpressions` or `scaleTargetRef`, and the platform's own labels that those select on
///   (on the object and on the pod template), which would send another app's traffic, scrapes or
///   disruption budget to this app's pods, or this app's to another's;
/// - routing and identity of the pods: the Ingress's `spec.rules` / `spec.defaultBackend` (another
///   app's host or Service) and the pod's `serviceAccountName` / `serviceAccount`.
/// A patch that replaces or removes a parent of such a field (`"metadata": null`, `"spec": 1`) is
/// refused too, since it changes the field.
public enum OverridePolicy {
    public static let identityPaths: [[String]] = [
        ["kind"], ["apiVersion"], ["metadata", "name"], ["metadata", "namespace"], ["metadata", "generateName"],
        ["metadata", "ownerReferences"], ["metadata", "managedFields"],
    ]

    /// Keys that hold a selector, wherever they appear.
    public static let selectorKeys: Set<String> = [
        "selector", "podSelector", "namespaceSelector", "labelSelector", "matchLabels", "matchExpressions",
        "scaleTargetRef",
    ]

    /// The labels the platform selects on (deploy, status, logs, destroy, the Service, the policies).
    public static let platformLabels = [
        AppConventions.nameLabel, AppConventions.instanceLabel, AppConventions.managedByLabel, "platform.dev/environment",
    ]

    /// Further fields, per kind, that would route to or run as something outside the app.
    static func kindPaths(_ kind: String) -> [[String]] {
        var paths = platformLabels.map { ["metadata", "labels", $0] }
        switch kind {
        case "Deployment":
            paths += platformLabels.map { ["spec", "template", "metadata", "labels", $0] }
            paths += [["spec", "template", "spec", "serviceAccountName"], ["spec", "template", "spec", "serviceAccount"]]
        case "Ingress":
            paths += [["spec", "rules"], ["spec", "defaultBackend"]]
        default:
            break
        }
        return paths
    }

    /// The first key path of `patch` (for `kind`) that overrides may not touch; nil when the patch
    /// keeps the object inside the app.
    public static func forbiddenPath(in patch: JSONValue, kind: String) -> [String]? {
        for path in identityPaths + kindPaths(kind) {
            if let hit = touches(patch, path) { return hit }
        }
        return selectorKey(in: patch, at: [])
    }

    /// Whether the patch sets, removes or replaces (through a non-object parent) the field at `path`.
    static func touches(_ patch: JSONValue, _ path: [String]) -> [String]? {
        var current = patch
        for (index, key) in path.enumerated() {
            guard let object = current.objectValue else { return Array(path[..<index]) }
            guard let next = object[key] else { return nil }
            if index == path.count - 1 { return path }
            current = next
        }
        return nil
    }

    static func selectorKey(in value: JSONValue, at path: [String]) -> [String]? {
        if let object = value.objectValue {
            for key in object.keys.sorted() {
                if selectorKeys.contains(key) { return path + [key] }
                if let hit = selectorKey(in: object[key] ?? .null, at: path + [key]) { return hit }
            }
        } else if let items = value.arrayValue {
            for (index, item) in items.enumerated() {
                if let hit = selectorKey(in: item, at: path + ["\(index)"]) { return hit }
            }
        }
        return nil
    }

    /// Why a key is refused, for the one-line error.
    public static var allowedText: String {
        "overrides may patch an app's own objects but not their kind, apiVersion, metadata.name/namespace, selectors, the platform's labels, Ingress rules or the service account"
    }
}
