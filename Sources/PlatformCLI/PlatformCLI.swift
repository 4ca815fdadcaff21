import Foundation
import PlatformCore
#if canImport(Glibc)
import Glibc
#endif

public let platformVersion = "0.1.0"

public enum PlatformCLI {
    /// The process entry point: real IO, real runner, signal forwarding.
    public static func main(arguments: [String]) async -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let signals = SignalForwarder()
        signals.install { sig in
            // No child runs or is being started, and the command does not stop cleanly by itself
            // (deploy and rollback do; see SignalForwarder.handlesInterruption): leave now with the
            // documented code.
            exitProcess(128 + sig)
        }
        return await run(arguments: arguments, io: .system(), environment: ProcessInfo.processInfo.environment,
                         currentDirectory: FileManager.default.currentDirectoryPath, signals: signals)
    }

    /// Runs one command line in-process. Tests call this with test IO and, optionally, a fake runner.
    public static func run(arguments: [String], io: IOStreams, environment: [String: String],
                           currentDirectory: String, signals: SignalForwarder = SignalForwarder(),
                           runner: CommandRunner? = nil) async -> Int32 {
        let table = CommandTable.entries
        var arguments = arguments
        if arguments.first == "--version" { arguments[0] = "version" }
        let parser = ArgumentParser(commands: table.map(\.spec))
        var globals = GlobalOptions()
        var console = Console(io: io, color: IOStreams.colorEnabled(isTTY: io.stderrIsTTY, environment: environment,
                                                                     noColorFlag: false), quiet: false)
        var parsedCommand: String?
        var parsedLine: ParsedCommandLine?
        let details = RunDetails(), started = Date()
        do {
            var parsed = try parser.parse(arguments)
            parsedCommand = parsed.command
            parsedLine = parsed
            globals = try GlobalOptions.from(parsed, environment: environment)
            console = Console(io: io, color: IOStreams.colorEnabled(isTTY: io.stderrIsTTY, environment: environment,
                                                                     noColorFlag: globals.noColor),
                              quiet: globals.quiet)
            if parsed.command == nil {
                if parsed.flag("help") {
                    io.stdout.write(Help.main(commands: table.map(\.spec)))
                    return ExitCode.success
                }
                if arguments.isEmpty {
                    io.stderr.write(Help.main(commands: table.map(\.spec)))
                    return ExitCode.usage
                }
                throw PlatformError.usage("missing command", command: nil)
            }
            guard let entry = table.first(where: { $0.spec.name == parsed.command }) else {
                throw PlatformError.usage("unknown command", command: nil)
            }
            if parsed.flag("help") {
                io.stdout.write(Help.command(entry.spec))
                return ExitCode.success
            }
            if parsed.flag("dry-run") && !entry.spec.usesGlobals.contains("dry-run") {
                // A command that cannot plan must not run for real when a dry run was asked for.
                throw PlatformError.usage("'platform \(entry.spec.name)' has no --dry-run; nothing was done",
                                          command: entry.spec.name)
            }
            if parsed.positionals.isEmpty, entry.spec.arguments.first?.fromProject == true {
                parsed.positionals = [try projectAppName(from: currentDirectory, command: entry.spec.name)]
                parsedLine = parsed
            }
            if entry.spec.usesGlobals.contains("environment") {
                do {
                    try globals.applyUserConfig(parsed: parsed, environment: environment)
                } catch where entry.spec.name == "doctor" {
                    // doctor reports the broken config file as one of its checks.
                }
            }
            let secrets = parsed.all("set").compactMap { pair -> String? in
                guard let (key, value) = try? Validate.keyValue(pair), Redactor.isSecretKey(key) else { return nil }
                return value
            }
            let verbose = globals.verbose
            let echoConsole = console
            var echo: (@Sendable ([String]) -> Void)?
            if verbose {
                echo = { argv in echoConsole.detail("+ " + argv.map(shellQuoted).joined(separator: " ")) }
            }
            let commandRunner: CommandRunner = runner ?? ProcessRunner(
                environment: environment, signals: signals, redactor: Redactor(secrets: secrets), echo: echo)
            var context = CommandContext(io: io, console: console, environment: environment, runner: commandRunner,
                                         signals: signals, globals: globals, currentDirectory: currentDirectory)
            context.details = details
            try await RunDetails.$current.withValue(details) { try await entry.execute(parsed, globals, context) }
            let status = details.exitStatus ?? ExitCode.success
            await recordEvent(parsedLine, globals: globals, status: status, error: nil, details: details, started: started,
                              environment: environment, currentDirectory: currentDirectory, console: console, injected: runner)
            return status
        } catch {
            let code = ExitCode.code(for: error)
            // A line that did not parse has no globals yet: `-o json` is read from the raw words.
            if globals.output != .json, OutputRequest.asksForJSON(arguments) { globals.output = .json }
            report(error, code: code, command: parsedCommand, globals: globals, console: console, io: io)
            await recordEvent(parsedLine, globals: globals, status: code, error: error, details: details, started: started,
                              environment: environment, currentDirectory: currentDirectory, console: console, injected: runner)
            return code
        }
    }

    static func report(_ error: Error, code: Int32, command: String?, globals: GlobalOptions, console: Console,
                       io: IOStreams) {
        let platformError = error as? PlatformError
        switch platformError {
        case .changesPending?:
            return  // the plan was printed; the code says it all
        case .usage(let message, let name)?:
            console.error(message)
            let hint = name.map { "see 'platform \($0) --help'" } ?? "see 'platform --help'"
            io.stderr.write(hint + "\n")
        default:
            console.error(platformError?.description ?? "\(error)")
        }
        if globals.output == .json {
            struct ErrorDocument: Encodable {
                struct Body: Encodable { var type: String; var message: String; var exitCode: Int32 }
                var error: Body
            }
            let document = ErrorDocument(error: .init(type: platformError?.kind ?? "failed",
                                                      message: platformError?.description ?? "\(error)",
                                                      exitCode: code))
            if let data = try? stableJSONDocument(document) {
                io.stdout.write(data)
            }
        }
    }
}

/// The app named by the project's platform.json, for commands run inside a project without NAME.
func projectAppName(from directory: String, command: String) throws -> String {
    guard let path = ConfigLoader.findProjectConfig(from: directory),
          let name = try ConfigLoader.loadProjectConfig(at: path).name else {
        throw PlatformError.usage(
            "missing NAME: give the app name, or run 'platform \(command)' in a project folder whose platform.json names the app",
            command: command)
    }
    return name
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
