import Foundation
import PlatformCore
#if canImport(Glibc)
import Glibc
#endif

public let platformVersion = "0.1.0"

/// The command pipeline, the one path every command takes (docs/architecture.md):
///
///   parse → complete → options → validate → run → render → exit code → record the event
///
/// 1. parse: the table-driven parser turns argv into a `ParsedCommandLine` (`--help` ends here);
/// 2. complete: `CommandDefaults` fills NAME from platform.json and the environment and kube target
///    from PLATFORM_ENVIRONMENT and the user config;
/// 3. options + validate: the command's typed `Options` (its whole input) and its pure checks;
/// 4. run: the command returns a `CommandOutcome` (result, notes, failure, event details);
/// 5. render: the result goes to stdout, the notes to stderr;
/// 6. exit code: `ExitCode.code` of the outcome's failure or the thrown error, the only place;
/// 7. record: `RunEvent` appends the run's event to events.jsonl, and a CI report (GitHub's step
///    summary and outputs) goes where the CI system asked for it.
public enum PlatformCLI {
    /// The process entry point: real IO, real runner, signal forwarding.
    public static func main(arguments: [String], argv0: String = "") async -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let signals = SignalForwarder()
        signals.install { sig in
            // No child runs or is being started, and the command does not stop cleanly by itself
            // (deploy and rollback do; see SignalForwarder.handlesInterruption): leave now with the
            // documented code.
            exitProcess(128 + sig)
        }
        return await run(arguments: arguments, io: .system(), environment: ProcessInfo.processInfo.environment,
                         currentDirectory: FileManager.default.currentDirectoryPath, signals: signals,
                         executablePath: CommandContext.executablePath(argv0: argv0))
    }

    /// Runs one command line in-process. Tests call this with test IO and, optionally, a fake runner.
    public static func run(arguments: [String], io: IOStreams, environment: [String: String],
                           currentDirectory: String, signals: SignalForwarder = SignalForwarder(),
                           runner: CommandRunner? = nil,
                           executablePath: String = CommandContext.executablePath(argv0: "")) async -> Int32 {
        let table = CommandTable.entries, started = Date()
        var arguments = arguments
        if arguments.first == "--version" { arguments[0] = "version" }
        var globals = GlobalOptions()
        var line: ParsedCommandLine?
        var console = Console(io: io, environment: environment, globals: globals)
        var outcome: CommandOutcome?
        var thrown: Error?
        do {
            signals.teardown = try Teardown.from(environment: environment)
            // 1. parse
            let parsed = try ArgumentParser(commands: table.map(\.spec)).parse(arguments)
            line = parsed
            globals = try GlobalOptions.from(parsed, environment: environment)
            console = Console(io: io, environment: environment, globals: globals)
            guard let name = parsed.command else {
                if parsed.flag("help") { return write(.verbatim(Help.main(commands: table.map(\.spec))), io) }
                if arguments.isEmpty {
                    io.stderr.write(Help.main(commands: table.map(\.spec)))
                    return ExitCode.usage
                }
                throw PlatformError.usage("missing command", command: nil)
            }
            guard let entry = table.first(where: { $0.spec.name == name }) else {
                throw PlatformError.usage("unknown command", command: nil)
            }
            if parsed.flag("help") { return write(.verbatim(Help.command(entry.spec)), io) }
            if parsed.flag("dry-run") && !entry.spec.usesGlobals.contains("dry-run") {
                // A command that cannot plan must not run for real when a dry run was asked for.
                throw PlatformError.usage("'platform \(entry.spec.name)' has no --dry-run; nothing was done",
                                          command: entry.spec.name)
            }
            // 2. complete
            let completed = try CommandDefaults.complete(parsed, globals: globals, spec: entry.spec,
                                                         environment: environment, currentDirectory: currentDirectory)
            (line, globals) = completed
            // 3. + 4. options, validate, run (`execute` below)
            let services = CommandServices(io: io, console: console, environment: environment,
                                           currentDirectory: currentDirectory, signals: signals, runner: runner,
                                           verbose: globals.verbose, executablePath: executablePath)
            outcome = try await entry.execute(completed.0, completed.1, services)
        } catch {
            thrown = error
            // A line that did not parse has no globals yet: `-o json` is read from the raw words.
            if globals.output != .json, OutputRequest.asksForJSON(arguments) { globals.output = .json }
        }
        // 5. render
        var printed = false
        if let outcome {
            do {
                printed = try render(outcome, io: io, console: console)
            } catch {
                thrown = error
            }
        }
        // 6. exit code
        let failure = thrown ?? outcome?.failure
        let status = failure.map(ExitCode.code) ?? ExitCode.success
        if let failure {
            ErrorReport.write(failure, code: status, command: line?.command, output: globals.output,
                              resultPrinted: printed, console: console, io: io)
        }
        // 7. record
        if let report = outcome?.ci {
            for warning in report.write(environment: environment) { console.warning(warning) }
        }
        let event = RunEvent(parsed: line, globals: globals, status: status, error: failure,
                             details: outcome?.event ?? EventDetails(), started: started)
        // The commit behind the image tag (lead time) only for real runs: tests inject their runner.
        await event.record(environment: environment, currentDirectory: currentDirectory,
                           git: runner == nil ? ProcessRunner(environment: environment) : nil, console: console)
        return status
    }

    /// Steps 3 and 4 for one command type: typed options, pure validation, then the run with a
    /// context whose runner masks the command's secrets.
    static func execute<C: PlatformCommand>(_ command: C.Type, _ parsed: ParsedCommandLine, globals: GlobalOptions,
                                            services: CommandServices) async throws -> CommandOutcome {
        let options = try C.parse(parsed, globals: globals, environment: services.environment)
        try C.validate(options)
        return try await C.run(options, services.context(secrets: C.secrets(options)))
    }

    /// Writes the result to stdout and the notes to stderr; whether a result was printed.
    static func render(_ outcome: CommandOutcome, io: IOStreams, console: Console) throws -> Bool {
        let data = try outcome.rendered()
        if let data { io.stdout.write(data) }
        for note in outcome.notes {
            switch note {
            case .success(let text): console.success(text)
            case .detail(let text): console.detail(text)
            case .warning(let text): console.warning(text)
            }
        }
        return data != nil
    }

    /// `--help` and `platform --help`: the text on stdout, exit 0, no event.
    static func write(_ output: CommandOutcome.Output, _ io: IOStreams) -> Int32 {
        if let data = try? CommandOutcome(output).rendered() { io.stdout.write(data) }
        return ExitCode.success
    }
}

extension Console {
    /// The console for a run: colour per gh's rule and `--no-color`, quiet per `-q`, `--progress`, `-v`.
    init(io: IOStreams, environment: [String: String], globals: GlobalOptions) {
        self.init(io: io, color: IOStreams.colorEnabled(isTTY: io.stderrIsTTY, environment: environment,
                                                        noColorFlag: globals.noColor),
                  quiet: globals.quiet,
                  mode: globals.progress.resolved(stderrIsTTY: io.stderrIsTTY, environment: environment),
                  verbose: globals.verbose)
    }
}

/// For showing argv to a person (`--verbose`): quotes what a shell would split.
public func shellQuoted(_ word: String) -> String {
    let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@,+%".contains($0) }
    if safe && !word.isEmpty { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

public func exitProcess(_ code: Int32) -> Never {
    exit(code)
}
