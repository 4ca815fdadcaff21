import Foundation
import PlatformCore

/// The CI report of a deploy or rollback (GitHub's step summary and outputs, docs/ci.md), built only
/// when the CI system asked for one: the app's URL costs one more kubectl call.
enum CIReporting {
    static func wanted(_ environment: [String: String]) -> Bool {
        ["GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"].contains { !(environment[$0] ?? "").isEmpty }
    }

    static func report(command: String, app: String, environment: String, image: String, run: DeployRun,
                       kube: KubeTarget, _ context: CommandContext) async -> CIReport? {
        guard wanted(context.environment) else { return nil }
        var report = CIReport(command: command, app: app, environment: environment, image: image.isEmpty ? nil : image,
                              result: "error")
        switch run.result {
        case .success(let outcome):
            report.image = outcome.image
            report.result = outcome.result.rawValue
            report.revision = outcome.revision
        case .failure(let error):
            switch error as? PlatformError {
            case .deployRolledBack?: report.result = Release.Result.rolledBack.rawValue
            case .deployFailed?, .releaseCommandFailed?: report.result = Release.Result.failed.rawValue
            default: break
            }
            report.reason = (error as? PlatformError)?.description ?? "\(error)"
        }
        report.url = await url(app: app, namespace: environment, kube: kube, context)
        return report
    }

    /// The URL the app's Ingress serves: https when the Ingress has TLS for its host.
    static func url(app: String, namespace: String, kube: KubeTarget, _ context: CommandContext) async -> String? {
        let kubectl = Kubectl(runner: context.runner, target: kube)
        guard let ingress = try? await kubectl.get("ingress", app, namespace: namespace),
              let host = ingress["spec"]?["rules"]?.arrayValue?.first?["host"]?.stringValue else { return nil }
        let tls = ingress["spec"]?["tls"]?.arrayValue ?? []
        let secured = tls.contains { ($0["hosts"]?.arrayValue ?? []).contains { $0.stringValue == host } }
        return (secured ? "https://" : "http://") + host
    }
}
