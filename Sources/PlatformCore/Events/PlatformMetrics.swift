import Foundation

/// What `platform metrics` reports: this machine's usage counters, from the local event log
/// (`compute`), and the delivery (DORA) figures of an environment, from the release histories in the
/// cluster (`withDelivery`). `sources` names where each figure comes from.
public struct PlatformMetrics: Sendable, Equatable, Encodable {
    /// Where a figure comes from.
    public enum Source: String, Sendable, Equatable, Encodable {
        /// events.jsonl in this machine's state folder: the runs of this machine's `platform` only.
        case localEventLog = "local-event-log"
        /// The ConfigMaps `platform-releases-NAME` in the environment's namespace, written by everyone's
        /// deploys, rollbacks and configuration changes.
        case clusterReleaseHistories = "cluster-release-histories"
    }

    public var since: Date
    public var until: Date
    public var windowDays: Double
    /// Successful `create` runs per environment (local event log).
    public var provisions: [String: Int]
    /// Deploy and rollback runs by result: "true" (success) and "false" (rolled back or failed) (local event log).
    public var deployments: [String: Int]
    /// Failed runs per error type (`PlatformError.kind`), dry runs and `changes_pending` left out (local event log).
    public var errors: [String: Int]
    /// The event log read (nil when not known).
    public var eventLog: String?
    /// The environment whose release histories were read; nil with `--local`.
    public var environment: String?
    /// The one app asked for; nil: all apps of the environment.
    public var app: String?
    /// Delivery figures per app (release histories in the cluster); nil with `--local`.
    public var delivery: [DeliveryMetrics]?
    /// History ConfigMaps that could not be read (left out of `delivery`).
    public var unreadableHistories: [EnvironmentReleases.Unreadable]?
    /// Figure (JSON key) → where it comes from.
    public var sources: [String: Source]

    /// The error type of `--dry-run --detailed-exitcode` runs that found changes; never an error.
    static let changesPending = "changes_pending"

    /// Computes the usage counters from the events with `since <= time <= until`. Dry runs are left
    /// out, and so are deploy and rollback events without an outcome (runs that stopped before the
    /// image was applied).
    public static func compute(_ events: [PlatformEvent], since: Date, until: Date, eventLog: String? = nil) -> PlatformMetrics {
        let window = events.filter { $0.time >= since && $0.time <= until }.sorted { $0.time < $1.time }
        let days = max(until.timeIntervalSince(since) / 86_400, 1.0 / 86_400)
        var provisions: [String: Int] = [:]
        var deployments = ["true": 0, "false": 0]
        var errors: [String: Int] = [:]
        for event in window where event.dryRun != true {
            // A dry run's pending changes (--detailed-exitcode, exit 2) are a result, not an error.
            if let type = event.errorType, type != Self.changesPending { errors[type, default: 0] += 1 }
            if event.command == "create", event.result == "ok" {
                provisions[event.environment ?? "", default: 0] += 1
            }
            // Only deploys and rollbacks that applied their image carry an outcome.
            if PlatformEvent.deployCommands.contains(event.command), let outcome = event.outcome {
                deployments[outcome == PlatformEvent.Outcome.success ? "true" : "false", default: 0] += 1
            }
        }
        return PlatformMetrics(since: since, until: until, windowDays: days, provisions: provisions,
                               deployments: deployments, errors: errors, eventLog: eventLog,
                               sources: ["provisions": .localEventLog, "deployments": .localEventLog,
                                         "errors": .localEventLog])
    }

    /// These counters with the delivery figures of `releases` (one app's when `app` is given) over the same window.
    public func withDelivery(_ releases: EnvironmentReleases, app: String? = nil) -> PlatformMetrics {
        var metrics = self
        metrics.environment = releases.environment
        metrics.app = app
        metrics.delivery = releases.delivery(since: since, until: until)
        metrics.unreadableHistories = releases.unreadable.isEmpty ? nil : releases.unreadable
        metrics.sources["delivery"] = .clusterReleaseHistories
        return metrics
    }

    // MARK: - Rendering

    static let fromLog = "(this machine's event log)"
    static let fromCluster = "(release histories in the cluster)"

    /// The Prometheus text exposition format (version 0.0.4), e.g. for node_exporter's textfile
    /// collector. Each HELP line ends with where the figure comes from.
    public func prometheus() -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [([(String, String)], Double)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples {
                let rendered = labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",")
                text += name + (labels.isEmpty ? "" : "{\(rendered)}") + " " + Self.number(value) + "\n"
            }
        }
        family("platform_provision_total", "counter", "Environments provisioned with platform create \(Self.fromLog).",
               provisions.keys.sorted().map { ([("environment", $0)], Double(provisions[$0] ?? 0)) })
        family("platform_deployment_total", "counter", "Deploy and rollback runs by whether they succeeded \(Self.fromLog).",
               deployments.keys.sorted().map { ([("success", $0)], Double(deployments[$0] ?? 0)) })
        family("platform_errors_total", "counter", "Failed platform runs by error type \(Self.fromLog).",
               errors.keys.sorted().map { ([("type", $0)], Double(errors[$0] ?? 0)) })
        if let delivery {
            func labels(_ d: DeliveryMetrics) -> [(String, String)] { [("app", d.app), ("environment", d.environment)] }
            family("platform_releases", "gauge",
                   "Releases (deploys, rollbacks, config changes) in the window by result \(Self.fromCluster).",
                   delivery.flatMap { d in
                       [("succeeded", d.succeeded), ("rolled-back", d.rolledBack), ("failed", d.failed),
                        ("unjudged", d.releases - d.changes)]
                           .map { (labels(d) + [("result", $0.0)], Double($0.1)) }
                   })
            family("platform_deploy_frequency_per_day", "gauge",
                   "Succeeded releases (deploys, rollbacks, config changes) per day over the window \(Self.fromCluster).",
                   delivery.map { (labels($0), $0.deploysPerDay) })
            family("platform_change_failure_ratio", "gauge",
                   "Failed or rolled-back releases divided by all judged releases, config changes included \(Self.fromCluster).",
                   delivery.compactMap { d in d.changeFailureRate.map { (labels(d), $0) } })
            family("platform_time_to_restore_seconds", "gauge",
                   "Mean time from a failed or rolled-back release to the next succeeded release \(Self.fromCluster).",
                   delivery.compactMap { d in d.meanTimeToRestoreSeconds.map { (labels(d), $0) } })
            family("platform_lead_time_seconds", "gauge",
                   "Mean time from the recorded commit time to the end of the succeeded deploy's rollout \(Self.fromCluster).",
                   delivery.compactMap { d in d.leadTimeSeconds.map { (labels(d), $0) } })
        }
        family("platform_metrics_window_seconds", "gauge", "Length of the window the metrics cover.",
               [([], until.timeIntervalSince(since))])
        return text
    }

    /// A person-readable summary.
    /// Names in the text (apps, environments, error types, users) come from the event log and the
    /// release histories, which anyone with the account or namespace can edit: control characters
    /// are escaped (`TerminalText`).
    public func text() -> String {
        let shown = { (value: String) in TerminalText.escape(value) }
        var text = "Window: \(formatTimestamp(since)) .. \(formatTimestamp(until)) (\(Self.short(windowDays)) days)\n\n"
        text += "Usage of this machine's platform (event log\(eventLog.map { " " + shown($0) } ?? "")):\n"
        text += "Provisions (platform_provision_total):\n"
        text += provisions.isEmpty ? "  none\n" : provisions.keys.sorted().map { "  \(shown($0)): \(provisions[$0] ?? 0)\n" }.joined()
        text += "Deployments (platform_deployment_total): \(deployments["true"] ?? 0) succeeded, \(deployments["false"] ?? 0) failed\n"
        text += "Errors (platform_errors_total):\n"
        text += errors.isEmpty ? "  none\n" : errors.keys.sorted().map { "  \(shown($0)): \(errors[$0] ?? 0)\n" }.joined()
        guard let delivery, let environment else { return text }
        text += "\nDelivery of \(app.map { shown($0) + " in " } ?? "")\(shown(environment)) (release histories in the cluster):\n"
        guard !delivery.isEmpty else { return text + "  no release history\n" }
        let header = ["APP", "RELEASES", "PER DAY", "FAILURE RATE", "TIME TO RESTORE", "LEAD TIME", "WHO"]
        var rows = [header]
        for d in delivery {
            rows.append([shown(d.app), "\(d.releases)", Self.short(d.deploysPerDay),
                         d.changeFailureRate.map { "\(Self.short($0 * 100))%" } ?? "-",
                         d.meanTimeToRestoreSeconds.map(Self.duration) ?? "-", d.leadTimeSeconds.map(Self.duration) ?? "-",
                         d.users.isEmpty ? "-" : d.users.map(shown).joined(separator: ", ")])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            text += "  " + cells.joined(separator: "  ") + "\n"
        }
        for d in delivery where d.historyTruncated {
            text += "  \(shown(d.app)): the history keeps the newest \(ReleaseHistory.limit) releases; older ones of the window are not counted\n"
        }
        return text
    }

    /// Go-compatible float text for Prometheus (integers without a fraction).
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// At most two decimals, no trailing zeros.
    static func short(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int64(rounded)) : String(format: "%.2f", rounded)
            .replacingOccurrences(of: "0$", with: "", options: .regularExpression)
    }

    /// `45s`, `12m30s`, `3h5m`, `2d4h`.
    static func duration(_ seconds: Double) -> String {
        let total = Int64(seconds.rounded())
        let (d, h, m, s) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60)
        if d > 0 { return "\(d)d" + (h > 0 ? "\(h)h" : "") }
        if h > 0 { return "\(h)h" + (m > 0 ? "\(m)m" : "") }
        if m > 0 { return "\(m)m" + (s > 0 ? "\(s)s" : "") }
        return "\(s)s"
    }
}
