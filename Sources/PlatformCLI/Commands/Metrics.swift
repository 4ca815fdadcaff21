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

    static func run(_ options: Options, _ context: CommandContext) async throws {
        guard let log = EventLog.standard(environment: context.environment) else {
            throw PlatformError.failed("no state folder: set PLATFORM_STATE_DIR or HOME")
        }
        let (events, skipped) = try log.read()
        if skipped > 0 {
            context.console.warning("skipped \(skipped) unreadable line\(skipped == 1 ? "" : "s") in \(log.path)")
        }
        let now = Date()
        let window = try Validate.duration(options.since, what: "--since")
        let metrics = PlatformMetrics.compute(events, since: now.addingTimeInterval(-window), until: now)
        switch options.format {
        case .json: try context.printJSON(metrics)
        case .prometheus: context.io.stdout.write(metrics.prometheus())
        case .text: context.io.stdout.write(metrics.text())
        }
    }
}

extension PlatformCLI {
    /// Commands whose runs are not recorded: they change nothing and must start fast (`make bench`
    /// measures `platform --version`). Hidden commands (`__complete`, `__exec`) and `--help` runs
    /// are not recorded either.
    static let unrecordedCommands: Set<String> = ["version", "help", "completion"]

    /// Whether a run of this command line appends an event. Decided from the parsed line alone,
    /// before anything else is looked at; an unparsable line (a typo) is recorded as a usage error.
    static func recordsEvent(_ parsed: ParsedCommandLine?, spec: CommandSpec?) -> Bool {
        guard let parsed else { return true }
        if parsed.flag("help") { return false }
        guard let spec else { return true }
        return !spec.hidden && !unrecordedCommands.contains(spec.name)
    }

    /// Appends this run's event to events.jsonl (the hook in `run`). A failure to record never
    /// changes the result: one warning on stderr.
    static func recordEvent(_ parsed: ParsedCommandLine?, globals: GlobalOptions, status: Int32, error: Error?,
                            details: RunDetails, started: Date, environment: [String: String],
                            currentDirectory: String, console: Console, injected: CommandRunner?) async {
        let spec = parsed?.command.flatMap { name in CommandTable.specs.first { $0.name == name } }
        guard recordsEvent(parsed, spec: spec) else { return }
        let errorType = error.map { ($0 as? PlatformError)?.kind ?? "failed" } ?? details.errorType
        let command = spec?.name ?? ""
        let usesEnvironment = spec.map { $0.usesGlobals.contains("environment") || parsed?.value("environment") != nil } == true
        var event = PlatformEvent(
            time: Date(), command: command,
            app: details.app ?? (spec?.arguments.first?.name == "NAME" ? parsed?.positionals.first : nil),
            // `globals` is what the command ran with: -e, else PLATFORM_ENVIRONMENT, else the user
            // config's default_environment (applied in `run` before the command parses).
            environment: details.environment ?? (usesEnvironment ? globals.environment : nil),
            result: status == ExitCode.success ? "ok" : "error", exitCode: status,
            durationSeconds: ((Date().timeIntervalSince(started)) * 1000).rounded() / 1000, errorType: errorType,
            image: details.image ?? details.appliedImage
                ?? (spec?.options.contains { $0.long == "image" } == true ? parsed?.value("image") : nil),
            dryRun: globals.dryRun ? true : nil)
        // A deploy or rollback is a deployment only once its image was applied; its outcome is then
        // how it ended. One that stopped before (app not found, cluster unreachable) has none.
        if PlatformEvent.deployCommands.contains(command), !globals.dryRun {
            event.outcome = details.outcome
                ?? details.appliedImage.map { _ in PlatformEvent.deployOutcome(errorType: errorType) }
        }
        // The commit behind the image tag (for lead time), only for real runs: tests inject their runner.
        let git: CommandRunner? = injected == nil ? ProcessRunner(environment: environment) : nil
        let recorder = EventRecorder(log: EventLog.standard(environment: environment), runner: git)
        if event.outcome == PlatformEvent.Outcome.success {
            event = await recorder.withCommit(event, directory: currentDirectory)
        }
        if let warning = recorder.record(event) { console.warning(warning) }
    }
}
