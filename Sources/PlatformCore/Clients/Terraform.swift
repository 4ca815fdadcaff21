import Foundation

/// Terraform, run non-interactively in one working directory. `apply` and `plan` run with `-json`: their
/// machine-readable UI is rendered as one short line per useful message for the reporter (stderr), with
/// secrets redacted, and `apply` takes the outputs from its final `outputs` message. `init` and `destroy`
/// pass Terraform's human output through line by line; machine reads (`output -json`) are captured.
public struct Terraform: Sendable {
    public let runner: CommandRunner
    public let directory: String
    public let environment: [String: String]
    public let reporter: ProgressReporter
    public let redactor: Redactor
    public var lockTimeout = "120s"

    /// `environment` is added to the runner's: `toolEnvironment` gives the usual one.
    public init(runner: CommandRunner, directory: String, environment: [String: String], reporter: ProgressReporter,
                secrets: [String] = []) {
        self.runner = runner
        self.directory = directory
        self.environment = environment
        self.reporter = reporter
        self.redactor = Redactor(secrets: secrets)
    }

    /// `TF_IN_AUTOMATION=1`, a shared `TF_PLUGIN_CACHE_DIR` unless the user has one, and `TF_VAR_KEY`
    /// for each variable.
    public static func toolEnvironment(processEnvironment: [String: String], stateDirectory: String,
                                       variables: [String: String]) -> [String: String] {
        var env = ["TF_IN_AUTOMATION": "1", "TF_INPUT": "0"]
        if (processEnvironment["TF_PLUGIN_CACHE_DIR"] ?? "").isEmpty {
            env["TF_PLUGIN_CACHE_DIR"] = StateDirectory.pluginCache(stateDirectory: stateDirectory)
        }
        for (key, value) in variables { env["TF_VAR_" + key] = value }
        return env
    }

    func command(_ arguments: [String]) -> Command {
        Command("terraform", arguments, environment: environment, directory: directory)
    }

    public func initialize() async throws {
        if let cache = environment["TF_PLUGIN_CACHE_DIR"] {
            try? FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        }
        try await streamChecked(["init", "-input=false", "-no-color"])
    }

    /// `terraform apply -json`; returns the root module's outputs as its final `outputs` message reported
    /// them (sensitive ones as `"(sensitive)"`), or nil when that message is missing or not in the
    /// documented form, so the caller reads `terraform output -json` instead.
    public func apply() async throws -> [String: JSONValue]? {
        try await applyReporting().outputs
    }

    /// The same, with the counts of the apply's `change_summary` message (`add`, `change`, `remove`).
    public func applyReporting() async throws -> (outputs: [String: JSONValue]?, changes: [String: Int]?) {
        let arguments = ["apply", "-input=false", "-auto-approve", "-json", "-lock-timeout=\(lockTimeout)"]
        let run = try await stream(arguments, machineReadable: true)
        guard run.status == 0 else { throw failure(arguments, status: run.status, tail: run.tail) }
        return (run.outputs, run.changes)
    }

    /// Plans (`-json`); returns whether anything would change (with `detailedExitCode`, from terraform's
    /// exit status 2; without it, always true when the plan succeeded).
    @discardableResult
    public func plan(detailedExitCode: Bool = true, lock: Bool = true) async throws -> Bool {
        var arguments = ["plan", "-input=false", "-json"]
        if detailedExitCode { arguments.append("-detailed-exitcode") }
        arguments.append(lock ? "-lock-timeout=\(lockTimeout)" : "-lock=false")
        let run = try await stream(arguments, machineReadable: true, isResult: true)
        switch run.status {
        case 0: return !detailedExitCode
        case 2 where detailedExitCode: return true
        default: throw failure(arguments, status: run.status, tail: run.tail)
        }
    }

    /// `terraform output -json`: each output's value.
    public func output() async throws -> [String: JSONValue] {
        let command = command(["output", "-no-color", "-json"])
        let result = try await runner.capture(command)
        guard result.succeeded else {
            throw failure(command.arguments, status: result.status, tail: tail(of: result.stderrText))
        }
        let decoded: JSONValue
        do {
            decoded = try JSONDecoder().decode(JSONValue.self, from: result.stdout)
        } catch {
            throw PlatformError.failed("could not read the output of terraform output -json: \(error)")
        }
        var values: [String: JSONValue] = [:]
        for (key, entry) in decoded.objectValue ?? [:] {
            values[key] = entry["sensitive"]?.boolValue == true ? .string("(sensitive)") : (entry["value"] ?? .null)
        }
        return values
    }

    public func destroy() async throws {
        try await streamChecked(["destroy", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=\(lockTimeout)"])
    }

    private func streamChecked(_ arguments: [String]) async throws {
        let run = try await stream(arguments, machineReadable: false)
        guard run.status == 0 else { throw failure(arguments, status: run.status, tail: run.tail) }
    }

    private func failure(_ arguments: [String], status: Int32, tail: String) -> PlatformError {
        .toolFailed(argv: redactor.redact(["terraform"] + arguments), status: status, stderrTail: redactor.redact(tail))
    }

    private struct Run {
        var status: Int32
        var tail: String
        var outputs: [String: JSONValue]?
        var changes: [String: Int]?
    }

    /// Runs with both streams passed line by line to the reporter (JSON UI messages rendered first);
    /// returns the status, the last lines and the reported outputs.
    private func stream(_ arguments: [String], machineReadable: Bool, isResult: Bool = false) async throws -> Run {
        let sink = LineForwarder(reporter: reporter, redactor: redactor, machineReadable: machineReadable, isResult: isResult)
        let status = try await runner.stream(command(arguments), stdout: .chunks(sink.feedOut), stderr: .chunks(sink.feedErr))
        sink.finish()
        return Run(status: status, tail: sink.tail, outputs: sink.outputs, changes: sink.changes)
    }
}
