import Foundation
import PlatformCore

struct StatusCommand: PlatformCommand {
    typealias Options = AppQuery

    static let spec = CommandSpec(
        "status", summary: "Show an app: replicas, image, current release, Pods and URL",
        discussion: "Exit 0 when the app exists (whatever its health; see 'healthy' in -o json), 1 when it does not.",
        arguments: [ArgumentSpec.app()],
        examples: ["platform status shop -e staging", "platform status shop -o json"],
        usesGlobals: ["environment", "output", "kube-context", "kubeconfig"])

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let status = try await StatusService(kubectl: deployKubectl(options.kube, context))
            .status(app: options.name, environment: options.environment)
        return .render(status, as: options.output, text: text)
    }

    static func text(_ status: AppStatus) -> String {
        let r = status.replicas
        let one = { (text: String) in TerminalText.escape(text) }  // cluster data on one line
        var lines = ["\(status.app) in \(status.environment): " + (status.healthy ? "healthy" : "not ready")]
        lines.append("  URL:       " + one(status.url ?? "(no ingress)"))
        lines.append("  Image:     " + one(status.image ?? "?"))
        lines.append("  Replicas:  \(r.ready)/\(r.desired) ready, \(r.updated)/\(r.desired) updated, \(r.available) available")
        lines.append("  Config:    " + (status.config?.detailed ?? "(no vars or secrets)"))
        if let release = status.release {
            lines.append("  Release:   \(release.revision) \(one(release.image)) \(release.result.rawValue) by \(one(release.user)) at \(one(release.time))"
                         + (release.message.map { " (\(one($0)))" } ?? ""))
            lines.append("  Digest:    " + one(release.digest ?? "(not recorded)"))
        } else {
            lines.append("  Release:   (no recorded release runs this image)")
        }
        lines.append("")
        var rows = [["POD", "PHASE", "READY", "RESTARTS", "AGE", "REASON"]]
        for pod in status.pods {
            rows.append([pod.name, pod.phase, pod.ready ? "yes" : "no", String(pod.restarts), pod.age ?? "",
                         pod.reason.map { $0 + (pod.message.map { ": \($0)" } ?? "") } ?? ""])
        }
        lines.append(status.pods.isEmpty ? "No pods." : formatTable(rows))
        return lines.joined(separator: "\n")
    }
}
