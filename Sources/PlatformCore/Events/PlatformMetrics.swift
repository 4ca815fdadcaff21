import Foundation

/// The platform's counters and delivery (DORA) metrics over a window of events.
public struct PlatformMetrics: Sendable, Equatable, Encodable {
    /// Delivery metrics of one app in one environment.
    public struct Delivery: Sendable, Equatable, Encodable {
        public var app: String
        public var environment: String
        /// Deploys and rollbacks that applied their image (success, rolled back or failed).
        public var deployments: Int
        public var successfulDeployments: Int
        public var failedDeployments: Int
        /// Successful deploys per day over the window.
        public var deploysPerDay: Double
        /// Failed (rolled back or failed) deploys / all deploys.
        public var changeFailureRate: Double
        /// Mean time from a failed deploy to the next successful one; nil when nothing was restored.
        public var meanTimeToRestoreSeconds: Double?
        /// Incidents (a failed deploy, and the failures after it) that a later successful deploy or
        /// rollback ended.
        public var restores: Int
        /// Mean time from commit to successful deploy, over deploys whose image tag is a commit; nil when none.
        public var leadTimeSeconds: Double?
        public var leadTimeSamples: Int
    }

    public var since: Date
    public var until: Date
    public var windowDays: Double
    /// Successful `create` runs per environment.
    public var provisions: [String: Int]
    /// Deploys and rollbacks by result: "true" (success) and "false" (rolled back or failed).
    public var deployments: [String: Int]
    /// Failed runs per error type (`PlatformError.kind`), dry runs and `changes_pending` left out.
    public var errors: [String: Int]
    public var delivery: [Delivery]

    /// The error type of `--dry-run --detailed-exitcode` runs that found changes; never an error.
    static let changesPending = "changes_pending"

    /// Computes the metrics from the events with `since <= time <= until`. Dry runs are left out, and
    /// so are deploy and rollback events without an outcome (runs that stopped before the image was
    /// applied).
    public static func compute(_ events: [PlatformEvent], since: Date, until: Date) -> PlatformMetrics {
        let window = events.filter { $0.time >= since && $0.time <= until }.sorted { $0.time < $1.time }
        let days = max(until.timeIntervalSince(since) / 86_400, 1.0 / 86_400)
        var provisions: [String: Int] = [:]
        var deployments = ["true": 0, "false": 0]
        var errors: [String: Int] = [:]
        var deploysByTarget: [String: [PlatformEvent]] = [:]
        for event in window where event.dryRun != true {
            // A dry run's pending changes (--detailed-exitcode, exit 2) are a result, not an error.
            if let type = event.errorType, type != Self.changesPending { errors[type, default: 0] += 1 }
            if event.command == "create", event.result == "ok" {
                provisions[event.environment ?? "", default: 0] += 1
            }
            // Only deploys and rollbacks that applied their image carry an outcome.
            if PlatformEvent.deployCommands.contains(event.command), let outcome = event.outcome {
                deployments[outcome == PlatformEvent.Outcome.success ? "true" : "false", default: 0] += 1
                let key = (event.app ?? "") + "\u{0}" + (event.environment ?? "")
                deploysByTarget[key, default: []].append(event)
            }
        }
        let delivery = deploysByTarget.keys.sorted().map { key -> Delivery in
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
            return Self.delivery(app: parts[0], environment: parts[1], deploys: deploysByTarget[key] ?? [], days: days)
        }
        return PlatformMetrics(since: since, until: until, windowDays: days, provisions: provisions,
                               deployments: deployments, errors: errors, delivery: delivery)
    }

    static func delivery(app: String, environment: String, deploys: [PlatformEvent], days: Double) -> Delivery {
        let successes = deploys.filter { $0.outcome == PlatformEvent.Outcome.success }
        var restoreTimes: [Double] = []
        var failedSince: Date?
        for deploy in deploys {
            if deploy.outcome == PlatformEvent.Outcome.success {
                if let start = failedSince { restoreTimes.append(deploy.time.timeIntervalSince(start)) }
                failedSince = nil
            } else if failedSince == nil {
                failedSince = deploy.time
            }
        }
        let leadTimes = successes.compactMap { deploy in deploy.committedAt.map { deploy.time.timeIntervalSince($0) } }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        return Delivery(
            app: app, environment: environment, deployments: deploys.count, successfulDeployments: successes.count,
            failedDeployments: deploys.count - successes.count,
            deploysPerDay: Double(successes.count) / days,
            changeFailureRate: deploys.isEmpty ? 0 : Double(deploys.count - successes.count) / Double(deploys.count),
            meanTimeToRestoreSeconds: mean(restoreTimes), restores: restoreTimes.count,
            leadTimeSeconds: mean(leadTimes), leadTimeSamples: leadTimes.count)
    }

    // MARK: - Rendering

    /// The Prometheus text exposition format (version 0.0.4), e.g. for node_exporter's textfile collector.
    public func prometheus() -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [([(String, String)], Double)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples {
                let rendered = labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",")
                text += name + (labels.isEmpty ? "" : "{\(rendered)}") + " " + Self.number(value) + "\n"
            }
        }
        family("platform_provision_total", "counter", "Environments provisioned with platform create.",
               provisions.keys.sorted().map { ([("environment", $0)], Double(provisions[$0] ?? 0)) })
        family("platform_deployment_total", "counter", "Deploys by whether they succeeded.",
               deployments.keys.sorted().map { ([("success", $0)], Double(deployments[$0] ?? 0)) })
        family("platform_errors_total", "counter", "Failed platform runs by error type.",
               errors.keys.sorted().map { ([("type", $0)], Double(errors[$0] ?? 0)) })
        func labels(_ d: Delivery) -> [(String, String)] { [("app", d.app), ("environment", d.environment)] }
        family("platform_deploy_frequency_per_day", "gauge", "Successful deploys per day over the window.",
               delivery.map { (labels($0), $0.deploysPerDay) })
        family("platform_change_failure_ratio", "gauge", "Failed deploys divided by all deploys over the window.",
               delivery.map { (labels($0), $0.changeFailureRate) })
        family("platform_time_to_restore_seconds", "gauge",
               "Mean time from a failed deploy to the next successful deploy over the window.",
               delivery.compactMap { d in d.meanTimeToRestoreSeconds.map { (labels(d), $0) } })
        family("platform_lead_time_seconds", "gauge",
               "Mean time from commit to successful deploy, for images tagged with a commit.",
               delivery.compactMap { d in d.leadTimeSeconds.map { (labels(d), $0) } })
        family("platform_metrics_window_seconds", "gauge", "Length of the window the metrics cover.",
               [([], until.timeIntervalSince(since))])
        return text
    }

    /// A person-readable summary.
    /// Names in the text (apps, environments, error types) come from the event log, a file anyone
    /// with the account can edit: control characters are escaped (`TerminalText`).
    public func text() -> String {
        let shown = { (value: String) in TerminalText.escape(value) }
        var text = "Window: \(formatTimestamp(since)) .. \(formatTimestamp(until)) (\(Self.short(windowDays)) days)\n\n"
        text += "Provisions (platform_provision_total):\n"
        text += provisions.isEmpty ? "  none\n" : provisions.keys.sorted().map { "  \(shown($0)): \(provisions[$0] ?? 0)\n" }.joined()
        text += "Deployments (platform_deployment_total): \(deployments["true"] ?? 0) succeeded, \(deployments["false"] ?? 0) failed\n"
        text += "Errors (platform_errors_total):\n"
        text += errors.isEmpty ? "  none\n" : errors.keys.sorted().map { "  \(shown($0)): \(errors[$0] ?? 0)\n" }.joined()
        text += "\nDelivery:\n"
        guard !delivery.isEmpty else { return text + "  no deploys in the window\n" }
        let header = ["APP", "ENVIRONMENT", "DEPLOYS", "PER DAY", "FAILURE RATE", "TIME TO RESTORE", "LEAD TIME"]
        var rows = [header]
        for d in delivery {
            rows.append([shown(d.app), shown(d.environment), "\(d.deployments)", Self.short(d.deploysPerDay),
                         "\(Self.short(d.changeFailureRate * 100))%",
                         d.meanTimeToRestoreSeconds.map(Self.duration) ?? "-", d.leadTimeSeconds.map(Self.duration) ?? "-"])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            text += "  " + cells.joined(separator: "  ") + "\n"
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
