import Foundation

/// The pure rules of `platform promote`: is the source healthy, which digest does it run, and how
/// the image reference by digest is written.
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

    /// The digest (`sha256:…`) the ready pods running `image` report for the app's container, nil when
    /// none reports one. Several different digests (a tag that moved while pods started) are an error.
    public static func digest(pods: [JSONValue], container: String, image: String) throws -> String? {
        if let digest = digest(in: image) { return digest }
        var found: Set<String> = []
        for pod in pods where pod["metadata", "deletionTimestamp"] == nil
            && RolloutRules.runs(pod, container: container, image: image) && RolloutRules.isReady(pod) {
            let statuses = pod["status", "containerStatuses"]?.arrayValue ?? []
            guard let status = statuses.first(where: { $0["name"]?.stringValue == container }),
                  let id = status["imageID"]?.stringValue, let digest = digest(in: id) else { continue }
            found.insert(digest)
        }
        if found.count > 1 {
            throw PlatformError.failed("the pods run \(found.count) different digests of \(image) (\(found.sorted().map(short).joined(separator: ", "))); wait for the rollout to settle")
        }
        return found.first
    }

    /// `sha256:…` of a reference or imageID (`repo@sha256:…`, `docker-pullable://repo@sha256:…`).
    static func digest(in reference: String) -> String? {
        guard let at = reference.range(of: "@sha256:", options: .backwards) else { return nil }
        let hex = reference[reference.index(at.lowerBound, offsetBy: 1)...]
        return hex.count == 71 && hex.dropFirst(7).allSatisfy(\.isHexDigit) ? String(hex) : nil
    }

    /// `REPOSITORY@DIGEST` for an image reference (its tag and any digest dropped), or the image as
    /// it is without a digest.
    public static func reference(image: String, digest: String?) -> String {
        guard let digest else { return image }
        return repository(of: image) + "@" + digest
    }

    /// The repository of a reference: `registry:5000/team/shop:1.2@sha256:…` → `registry:5000/team/shop`.
    public static func repository(of image: String) -> String {
        let name = image.split(separator: "@", maxSplits: 1).first.map(String.init) ?? image
        guard let slash = name.lastIndex(of: "/") else { return name.split(separator: ":").first.map(String.init) ?? name }
        let last = name[name.index(after: slash)...]
        return String(name[..<slash]) + "/" + (last.split(separator: ":").first.map(String.init) ?? String(last))
    }

    /// A reference for people: the digest cut to 12 hex digits.
    public static func short(_ reference: String) -> String {
        guard let at = reference.range(of: "sha256:") else { return reference }
        let end = reference.index(at.upperBound, offsetBy: 12, limitedBy: reference.endIndex) ?? reference.endIndex
        return String(reference[..<end]) + (end < reference.endIndex ? "…" : "")
    }
}
