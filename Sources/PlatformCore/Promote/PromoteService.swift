import Foundation

/// `platform promote`: reads what the source environment runs (healthy, by digest) and what the
/// target runs, then deploys that digest to the target through deploy's own path (wait, fail fast,
/// roll back). The target's configuration (replicas, vars, secrets) is left alone: only the image
/// changes, as with `platform deploy`.
public struct PromoteService: Sendable {
    public let source: Kubectl
    public let target: Kubectl
    public let reporter: ProgressReporter

    public init(source: Kubectl, target: Kubectl, reporter: ProgressReporter) {
        self.source = source
        self.target = target
        self.reporter = reporter
    }

    /// Reads both sides; throws when the source is not healthy, has no digest (unless `allowTag`),
    /// or either side has no Deployment. Changes nothing.
    public func plan(_ request: PromoteRequest) async throws -> PromotePlan {
        let app = request.app
        guard let deployment = try await source.deployment(app, namespace: request.from),
              let image = RolloutRules.image(of: deployment, container: app) else {
            throw PlatformError.failed("\(app) has no Deployment in \(request.from): nothing to promote")
        }
        if let problem = PromoteRules.problem(deployment: deployment) {
            throw PlatformError.failed("\(app) in \(request.from) is not healthy: \(problem); promote a build once it serves")
        }
        let pods = try await source.pods(app: app, namespace: request.from)
        let pinned = PromoteRules.pinned(pods: pods, app: app, image: image)
        if pinned == nil && !request.allowTag {
            throw PlatformError.failed(
                "\(app) in \(request.from) runs \(image) but its ready pods report no single digest to promote; pass --allow-tag to promote the tag (it may point elsewhere by now)")
        }
        let sourceRelease = try await ReleaseStore(kubectl: source).read(app: app, namespace: request.from).current(liveImage: image)
        guard let live = try await target.deployment(app, namespace: request.to) else {
            throw PlatformError.failed("\(app) has no Deployment in \(request.to); create it first: platform create \(app) -e \(request.to)")
        }
        let targetImage = RolloutRules.image(of: live, container: app)
        let targetRelease = try await ReleaseStore(kubectl: target).read(app: app, namespace: request.to)
            .current(liveImage: targetImage)
        let targetPods = try await target.pods(app: app, namespace: request.to)
        let targetPinned = targetImage.flatMap { PromoteRules.pinned(pods: targetPods, app: app, image: $0) }
        let promoted = pinned ?? image
        var plan = PromotePlan(
            app: app,
            from: .init(environment: request.from, image: image, digest: pinned.flatMap(ImageDigest.digest(of:)),
                        revision: sourceRelease?.revision,
                        releasedAt: sourceRelease?.time),
            to: .init(environment: request.to, image: targetImage, digest: targetPinned.flatMap(ImageDigest.digest(of:)),
                      revision: targetRelease?.revision, releasedAt: targetRelease?.time),
            image: promoted, changes: targetImage != promoted)
        plan.commit = sourceRelease?.commit
        return plan
    }

    /// The deploy request that carries out a plan in the target environment.
    public func deployRequest(_ plan: PromotePlan, _ request: PromoteRequest) -> DeployRequest {
        var deploy = DeployRequest(
            app: plan.app, environment: request.to, image: plan.image, timeout: request.timeout,
            rollbackTimeout: request.rollbackTimeout, wait: request.wait, rollback: request.rollback,
            message: request.message ?? "promoted from \(request.from)" + (plan.from.revision.map { " release \($0)" } ?? ""))
        deploy.promotedFrom = Release.Promotion(environment: request.from, revision: plan.from.revision)
        deploy.commit = plan.commit
        return deploy
    }
}
