import Foundation
import PlatformCore

struct MetricsCommand: PlatformCommand {
    enum Format: String, Sendable, Equatable, CaseIterable {
        case text, json, prometheus
    }

    struct Options: Sendable, Equatable {
        /// One app; nil: all apps of the environment.
        var name: String?
        var environment: String
        var format: Format
        var since: String
        /// Only this machine's event log: the usage counters, no cluster.
        var local: Bool
        var kube: KubeTarget
    }

    static let spec = CommandSpec(
        "metrics", summary: "Show delivery (DORA) metrics from the cluster and usage counters",
        discussion: """
        Delivery figures come from the release histories in the cluster (the ConfigMaps
        platform-releases-NAME of the environment's namespace, read with one kubectl call), which every
        user's deploys, rollbacks and configuration changes ('platform vars', 'platform secrets') write:
        per app, releases by result, deploy frequency (succeeded releases per day), change failure rate
        (failed or rolled-back releases / all judged releases, config changes included), mean time to
        restore (a failed release to the next succeeded one) and lead time (the recorded commit time to
        the end of the deploy's rollout). Without NAME, all apps of the environment.
        Usage counters come from events.jsonl in this machine's state folder ($PLATFORM_STATE_DIR, else
        $XDG_STATE_HOME/platform, else ~/.local/state/platform): provisions per environment, deploy and
        rollback runs by success, errors by type. --local reads only those, without the cluster; when the
        cluster cannot be reached, metrics fails (exit 1) instead of showing partial figures.
        --format prometheus writes the Prometheus text format, e.g. for node_exporter's textfile collector.
        """,
        arguments: [ArgumentSpec("NAME", help: "One app (default: all apps of the environment)", optional: true,
                                 completion: .apps)],
        options: [
            OptionSpec("format", value: "FORMAT", help: "text, json or prometheus (default: text; -o json = json)",
                       completion: .choices(Format.allCases.map(\.rawValue))),
            OptionSpec("since", value: "DURATION", help: "How far back to look (default: 30d)"),
            OptionSpec("local", help: "Only this machine's usage counters (events.jsonl); no cluster, no delivery figures"),
        ],
        examples: [
            "platform metrics -e production",
            "platform metrics shop -e staging --since 7d -o json",
            "platform metrics -e production --format prometheus > /var/lib/node_exporter/textfile/platform.prom",
            "platform metrics --local",
        ],
        usesGlobals: ["environment", "output", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let name = try positionals(parsed, min: 0, max: 1).first
        let format: Format
        if let chosen = parsed.value("format") {
            guard let known = Format(rawValue: chosen) else {
                throw PlatformError.invalidInput("invalid --format \(Validate.quoted(chosen)): use text, json or prometheus")
            }
            format = known
        } else {
            format = globals.output == .json ? .json : .text
        }
        return Options(name: name, environment: globals.environment, format: format, since: parsed.value("since") ?? "30d",
                       local: parsed.flag("local"), kube: globals.kube)
    }

    static func validate(_ options: Options) throws {
        _ = try Validate.duration(options.since, what: "--since")
        if let name = options.name {
            guard !options.local else {
                throw PlatformError.invalidInput("--local reads only this machine's event log: it takes no NAME (got \(Validate.quoted(name)))")
            }
            try Validate.name(name)
        }
        if !options.local { try Validate.environment(options.environment) }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        guard let log = EventLog.standard(environment: context.environment) else {
            throw PlatformError.failed("no state folder: set PLATFORM_STATE_DIR or HOME")
        }
        let now = Date()
        let window = try Validate.duration(options.since, what: "--since")
        // Streamed, and only the files and events that can matter for the window.
        let (events, skipped) = try log.read(notBefore: now.addingTimeInterval(-window - EventLog.lookBehind))
        if skipped > 0 {
            context.console.warning("skipped \(skipped) unreadable line\(skipped == 1 ? "" : "s") in \(log.path)")
        }
        var metrics = PlatformMetrics.compute(events, since: now.addingTimeInterval(-window), until: now, eventLog: log.path)
        if !options.local {
            let releases: EnvironmentReleases
            do {
                releases = try await EnvironmentReleases.read(kubectl: deployKubectl(options.kube, context),
                                                              environment: options.environment, app: options.name)
            } catch let error as PlatformError {
                guard case .toolFailed = error else { throw error }
                throw PlatformError.failed(
                    "cannot read the release histories of environment \(Validate.quoted(options.environment)) from the cluster: \(error); 'platform metrics --local' shows this machine's usage counters without it")
            }
            for broken in releases.unreadable {
                context.console.warning("left out \(broken.configMap): \(broken.reason)")
            }
            if let name = options.name, releases.histories[name] == nil {
                throw PlatformError.failed("no release history of app \(Validate.quoted(name)) in environment \(Validate.quoted(options.environment)) (ConfigMap \(AppConventions.releasesConfigMap(name)))")
            }
            metrics = metrics.withDelivery(releases, app: options.name)
        }
        switch options.format {
        case .json: return CommandOutcome(.json(metrics))
        case .prometheus: return CommandOutcome(.verbatim(metrics.prometheus()))
        case .text: return CommandOutcome(.verbatim(metrics.text()))
        }
    }
}
