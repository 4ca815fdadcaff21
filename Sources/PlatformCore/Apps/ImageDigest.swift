import Foundation

/// The digest the pods of a release actually run, from `status.containerStatuses[].imageID`, as a
/// pinned reference (`REPOSITORY@sha256:…`) that a rollback can re-deploy: a tag may point at other
/// bits by then, a digest cannot. The kubelet reports imageID as `REPO@sha256:HEX` (containerd,
/// CRI-O), `docker-pullable://REPO@sha256:HEX` (dockershim) or bare `sha256:HEX` for an image that
/// was never pulled from a registry; only the `sha256:HEX` part is used, with the repository of the
/// image the release deployed.
public enum ImageDigest {
    /// The pinned reference of the app's container in the ready pods running `image`; nil when no
    /// ready pod reports a digest, or the pods disagree (more than one digest for one tag).
    public static func running(pods: [JSONValue], app: String, image: String) -> String? {
        var digests: Set<String> = []
        for pod in pods {
            let specImage = (pod["spec", "containers"]?.arrayValue ?? [])
                .first { $0["name"]?.stringValue == app }?["image"]?.stringValue
            guard specImage == image else { continue }
            for status in pod["status", "containerStatuses"]?.arrayValue ?? []
            where status["name"]?.stringValue == app && status["ready"]?.boolValue == true {
                if let id = status["imageID"]?.stringValue, let digest = digest(of: id) { digests.insert(digest) }
            }
        }
        guard digests.count == 1, let digest = digests.first else { return nil }
        return pinned(image: image, digest: digest)
    }

    /// `sha256:HEX` (64 lowercase hex digits) out of an imageID, nil when there is none.
    public static func digest(of imageID: String) -> String? {
        guard let range = imageID.range(of: "sha256:", options: .backwards) else { return nil }
        let hex = imageID[range.upperBound...]
        guard hex.count == 64, hex.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else { return nil }
        return "sha256:" + hex
    }

    /// `REPOSITORY@DIGEST` for the repository of `image` (its tag or digest dropped).
    public static func pinned(image: String, digest: String) -> String {
        let withoutDigest = image.split(separator: "@", maxSplits: 1).first.map(String.init) ?? image
        return Validate.splitImage(withoutDigest).repository + "@" + digest
    }
}
