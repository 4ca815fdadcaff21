import Foundation

/// The pure rules of `platform promote`: is the source healthy, and which pinned reference it runs.
public enum PromoteRules {
    /// Why the source cannot be promoted from, or nil when it is healthy: the Deployment's controller
    /// has seen its newest spec and every replica is updated and available, what kubectl's
    /// `rollout status` (DeploymentStatusViewer in rollout_status.go) calls "successfully rolled
    /// out": observedGeneration ≥ generation, updatedReplicas = replicas, availableReplicas = updatedReplicas,
    /// no old replicas left.
    public static func problem(deployment: JSONValue) -> String? {
        if deployment["spec", "paused"]?.boolValue == true { return "its Deployment is paused" }
        let generation = deployment["metadata", "generation"]?.intValue ?? 0
        let observed = deployment["status", "observedGeneration"]?.intValue ?? 0
        if observed < generation { return "a rollout is in progress (the controller has not seen the newest spec)" }
        let wanted = deployment["spec", "replicas"]?.intValue ?? 1
        let status = deployment["status"]
        let updated = status?["updatedReplicas"]?.intValue ?? 0
        let total = status?["replicas"]?.intValue ?? 0
        let available = status?["availableReplicas"]?.intValue ?? 0
        if updated < wanted { return "a rollout is in progress (\(updated) of \(wanted) replicas updated)" }
        if total > updated { return "a rollout is in progress (\(total - updated) old replicas still run)" }
        if available < updated { return "\(available) of \(wanted) replicas are available" }
        return nil
    }

    /// The pinned reference (`REPOSITORY@sha256:…`) the source's ready pods run: `ImageDigest`'s
    /// rule, the one rollback uses too; nil when they report none or disagree.
    public static func pinned(pods: [JSONValue], app: String, image: String) -> String? {
        if let digest = ImageDigest.digest(of: image), image.contains("@") {
            return ImageDigest.pinned(image: image, digest: digest)
        }
        return ImageDigest.running(pods: pods, app: app, image: image)
    }

    /// A reference for people: the digest cut to 12 hex digits.
    public static func short(_ reference: String) -> String {
        guard let at = reference.range(of: "sha256:") else { return reference }
        let end = reference.index(at.upperBound, offsetBy: 12, limitedBy: reference.endIndex) ?? reference.endIndex
        return String(reference[..<end]) + (end < reference.endIndex ? "…" : "")
    }
}
