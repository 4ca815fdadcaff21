import Foundation
import PlatformCore

/// The event one run appends to events.jsonl (docs/metrics.md): built from the completed command
/// line, the exit status and the outcome's `EventDetails`, then recorded. A failure to record never
/// changes the result: one warning on stderr.
struct RunEvent {
    /// Commands whose runs are not recorded: they change nothing and must start fast (`make bench`
    /// measures `platform --version`). Hidden commands (`__complete`, `__exec`) and `--help` runs
    /// are not recorded either.
    static let unrecordedCommands: Set<String> = ["version", "help", "completion"]

    /// The command line as completed (NAME from platform.json filled in); nil when it did not parse.
    var parsed: ParsedCommandLine?
    /// What the command ran with: -e, else PLATFORM_ENVIRONMENT, else the user config's default_environment.
    var globals: GlobalOptions
    var status: Int32
    var error: Error?
    var details: EventDetails
    var started: Date

    /// Whether a run of this command line appends an event. Decided from the parsed line alone,
    /// before anything else is looked at; an unparsable line (a typo) is recorded as a usage error.
    static func recorded(_ parsed: ParsedCommandLine?, spec: CommandSpec?) -> Bool {
        guard let parsed else { return true }
        if parsed.flag("help") { return false }
        guard let spec else { return true }
        return !spec.hidden && !unrecordedCommands.contains(spec.name)
    }

    var spec: CommandSpec? {
        parsed?.command.flatMap { name in CommandTable.specs.first { $0.name == name } }
    }

    /// The event, or nil for a run that is not recorded.
    func event(now: Date = Date()) -> PlatformEvent? {
        let spec = self.spec
        guard Self.recorded(parsed, spec: spec) else { return nil }
        let errorType = details.errorType ?? error.map { ($0 as? PlatformError)?.kind ?? "failed" }
        let command = spec?.name ?? ""
        let usesEnvironment = spec.map { $0.usesGlobals.contains("environment") || parsed?.value("environment") != nil } == true
        var event = PlatformEvent(
            time: now, command: command,
            app: details.app ?? (spec?.arguments.first?.name == "NAME" ? parsed?.positionals.first : nil),
            environment: details.environment ?? (usesEnvironment ? globals.environment : nil),
            result: status == ExitCode.success ? "ok" : "error", exitCode: status,
            durationSeconds: ((now.timeIntervalSince(started)) * 1000).rounded() / 1000, errorType: errorType,
            image: details.image ?? details.appliedImage
                ?? (spec?.options.contains { $0.long == "image" } == true ? parsed?.value("image") : nil),
            dryRun: globals.dryRun ? true : nil)
        // A deploy or rollback is a deployment only once its image was applied; its outcome is then
        // how it ended. One that stopped before (app not found, cluster unreachable) has none.
        if PlatformEvent.deployCommands.contains(command), !globals.dryRun {
            event.outcome = details.outcome
                ?? details.appliedImage.map { _ in PlatformEvent.deployOutcome(errorType: errorType) }
        }
        if let commit = details.commit { event.record(commit) }
        return event
    }

    /// Appends the event. `git` looks up the commit behind a successful deploy's image tag (lead
    /// time); nil skips that (tests inject their runner and want no real git).
    func record(environment: [String: String], currentDirectory: String, git: CommandRunner?, console: Console) async {
        guard var event = event() else { return }
        let recorder = EventRecorder(log: EventLog.standard(environment: environment), runner: git)
        if event.outcome == PlatformEvent.Outcome.success, event.commit == nil {
            event = await recorder.withCommit(event, directory: currentDirectory)
        }
        if let warning = recorder.record(event) { console.warning(warning) }
    }
}
