import Foundation

/// Who the environment's Namespace belongs to, as `create` finds it before applying anything.
///
/// A namespace is shared: Helm (`helm install --create-namespace`), Argo CD (`CreateNamespace=true`),
/// Terraform or an administrator may have made it, and they mark it with
/// `app.kubernetes.io/managed-by` (Kubernetes' recommended labels). Applying our Namespace document
/// with `--force-conflicts` would take that label (and whatever else we set) away from them, so only a
/// namespace that is missing or already labelled `managed-by=platform` is applied.
public enum NamespaceOwnership: Sendable, Equatable {
    /// It does not exist: create it, with our labels.
    case missing
    /// It exists and carries `app.kubernetes.io/managed-by=platform`: ours to apply.
    case platform
    /// It exists and is someone else's: the `managed-by` label's value, nil when it has none.
    case other(managedBy: String?)
    /// It could not be read (Forbidden: credentials scoped to the namespace). Left alone; the app's
    /// objects are applied, and fail on their own if the namespace is not there.
    case unreadable(reason: String)

    /// Judges the live Namespace object (nil: not found).
    public static func judge(_ namespace: JSONValue?) -> NamespaceOwnership {
        guard let namespace else { return .missing }
        let managedBy = namespace["metadata", "labels", AppConventions.managedByLabel]?.stringValue
        return managedBy == "platform" ? .platform : .other(managedBy: managedBy)
    }

    /// Whether create applies the Namespace document.
    public var applies: Bool {
        switch self {
        case .missing, .platform: return true
        case .other, .unreadable: return false
        }
    }

    /// Why the Namespace is left as it is (for `skipped` and the progress line); nil when it is applied.
    public func reason(namespace: String) -> String? {
        switch self {
        case .missing, .platform:
            return nil
        case .other(let managedBy?):
            return "namespace \(namespace) exists and is managed by \(managedBy) (\(AppConventions.managedByLabel)=\(managedBy)); platform leaves it as it is"
        case .other(nil):
            return "namespace \(namespace) exists and is not managed by platform (no \(AppConventions.managedByLabel) label); platform leaves it as it is"
        case .unreadable(let reason):
            return "namespace \(namespace) cannot be read (\(reason)); applying the app's objects only"
        }
    }
}
