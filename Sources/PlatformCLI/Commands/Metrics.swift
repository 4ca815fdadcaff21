import Foundation
import PlatformCore

struct MetricsCommand: PlatformCommand {
    enum Format: String, Sendable, Equatable, CaseIterable {
        case text, json, prometheus
    }

    struct Options: Sendable, Equatable {
        var format: Format
        var since: String
    }

    static let spec = CommandSpec(
        "metrics", summary: "Show platform usage counters and delivery (DORA) metrics",
        discussion: """
        Reads events.jsonl in the state folder ($PLATFORM_STATE_DIR, else $XDG_STATE_HOME/platform, else
        ~/.local/state/platform), where every run (but version, help and completion) appends one event, and
        reports over the window (dry runs left out): provisions per environment, deploys and rollbacks that
        applied an image by success, errors by type, and per app and environment the deploy frequency,
        change failure rate, mean time to restore (failed deploy to the next successful deploy or rollback)
        and lead time (commit to deploy, for images tagged with a commit).
        --format prometheus writes the Prometheus text format, e.g. for node_exporter's textfile collector.
        """,
        options: [
            OptionSpec("format", value: "FORMAT", help: "text, json or prometheus (default: text; -o json = json)",
                       completion: .choices(Format.allCases.map(\.rawValue))),
            OptionSpec("since", value: "DURATION", help: "How far back to look (default: 30d)"),
        ],
        examples: [
            "platform metrics",
            "platform metrics --since 7d -o json",
            "platform metrics --format prometheus > /var/lib/node_exporter/textfile/platform.prom",
        ],
        usesGlobals: ["output"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        _ = try positionals(parsed, min: 0, max: 0)
        let format: Format
        if let name = parsed.value("format") {
            guard let chosen = Format(rawValue: name) else {
                throw PlatformError.invalidInput("invalid --format \(Validate.quoted(name)): use text, json or prometheus")
            }
            format = chosen
        } else {
            format = globals.output == .json ? .json : .text
        }
        return Options(format: format, since: parsed.value("since") ?? "30d")
    }

    static func validate(_ options: Options) throws {
        _ = try Validate.duration(options.since, what: "--since")
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        guard let log = EventLog.standard(environment: context.environment) else {
            throw PlatformError.failed("no state folder: set PLATFORM_STATE_DIR or HOME")
        }
        let now = Date()
        let window = try Validate.duration(options.since, what: "--since")
        // Streamed, and only the files and events that can matter for the window (a restore may
        // follow a failure from before it, so a month more is read).
        let (events, skipped) = try log.read(notBefore: now.addingTimeInterval(-window - EventLog.lookBehind))
        if skipped > 0 {
            context.console.warning("skipped \(skipped) unreadable line\(skipped == 1 ? "" : "s") in \(log.path)")
        }
        let metrics = PlatformMetrics.compute(events, since: now.addingTimeInterval(-window), until: now)
        switch options.format {
        case .json: return CommandOutcome(.json(metrics))
        case .prometheus: return CommandOutcome(.verbatim(metrics.prometheus()))
        case .text: return CommandOutcome(.verbatim(metrics.text()))
        }
    }
}
