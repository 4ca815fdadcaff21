import Foundation

/// What a deploy will do, built before anything runs: `--dry-run` prints it, the real run executes
/// this same value (gh's `pr checkout` builds its command queue the same way before running it).
public struct DeployPlan: Sendable, Equatable {
    public var request: DeployRequest
    /// The partial Deployment applied with the deploy field manager: the app container's image (and
    /// `envFrom` when the request names a configuration version; see Vars/).
    public var patch: JSONValue
    public var fieldManager: String

    public init(request: DeployRequest, patch: JSONValue, fieldManager: String = AppConventions.deployFieldManager) {
        self.request = request
        self.patch = patch
        self.fieldManager = fieldManager
    }

    /// The plan of `request` for the app's Deployment as `kubectl` addresses it. Touches nothing.
    public init(_ request: DeployRequest, kubectl: Kubectl) {
        self.init(request: request, patch: kubectl.imagePatch(app: request.app, namespace: request.environment,
                                                              image: request.image, config: request.config ?? .empty))
    }
}
