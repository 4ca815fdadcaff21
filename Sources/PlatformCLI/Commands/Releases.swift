import Foundation
import PlatformCore

struct ReleasesCommand: PlatformCommand {
    typealias Options = AppQuery

    static let spec = CommandSpec(
        "releases", summary: "Show the release history of an app (shared by the team, kept in the cluster)",
        discussion: """
        The history is the ConfigMap platform-releases-NAME in the environment's namespace: the last 50
        deploys, rollbacks and configuration changes ('platform vars', 'platform secrets'), newest last,
        with image, what changed against the release before (image; vars and secrets by key:
        +ADDED ~CHANGED -REMOVED, never a value), who, when, message and result
        (succeeded, rolled-back, failed, applied, pending, superseded). '*' marks the release that runs now:
        the newest one of the image in the Deployment (none when no release has that image).
        """,
        arguments: [ArgumentSpec.app()],
        examples: ["platform releases shop -e staging", "platform releases shop -o json"],
        usesGlobals: ["environment", "output", "kube-context", "kubeconfig"])

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let report = try await ReleaseStore(kubectl: deployKubectl(options.kube, context))
            .report(app: options.name, namespace: options.environment)
        if options.output == .text && report.releases.isEmpty {
            return CommandOutcome(notes: [.detail("No releases of \(options.name) in \(options.environment) yet.")])
        }
        return .render(report, as: options.output, text: table)
    }

    static func table(_ report: ReleasesReport) -> String {
        var rows = [["REVISION", "IMAGE", "DIGEST", "CHANGE", "RESULT", "WHO", "WHEN", "MESSAGE"]]
        let changes = report.changes ?? ReleaseChange.all(report.releases)
        for (index, release) in report.releases.enumerated() {
            var result = release.result.rawValue
            if let restored = release.rolledBackTo { result += " (to \(restored))" }
            var message = release.message ?? ""
            if release.kind == .rollback {
                message = "rollback" + (release.rollbackOf.map { " to \($0)" } ?? "") + (message.isEmpty ? "" : ": \(message)")
            } else if let source = release.promotedFrom {
                let from = "promoted from \(source.environment)" + (source.revision.map { " release \($0)" } ?? "")
                message = message.isEmpty || message == from ? from : "\(from): \(message)"
            }
            let change = index < changes.count ? changes[index].summary : "-"
            rows.append([(release.revision == report.current ? "*" : " ") + String(release.revision), release.image,
                         Self.shortDigest(release.digest), change, result, release.user, release.time, message])
        }
        return formatTable(rows)
    }

    /// `sha256:` and the first 12 hex digits of the digest the release's pods ran (`-`: not recorded);
    /// `-o json` has it in full.
    static func shortDigest(_ pinned: String?) -> String {
        guard let pinned, let at = pinned.range(of: "@sha256:") else { return "-" }
        return "sha256:" + pinned[at.upperBound...].prefix(12)
    }
}

/// Left-aligned columns separated by two spaces; the last column is not padded. Every cell is one
/// line: its control characters (newlines too) are escaped, so a release message or a pod message
/// can neither forge rows nor drive the terminal.
func formatTable(_ table: [[String]]) -> String {
    let rows = table.map { $0.map { TerminalText.escape($0) } }
    guard let columns = rows.map(\.count).max() else { return "" }
    let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }.joined(separator: "\n")
}
