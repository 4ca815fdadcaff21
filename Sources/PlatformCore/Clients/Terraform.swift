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

    /// The file `initialize` passes backend credentials in (removed again after `init`).
    public static let backendConfigFile = ".platform-backend.json"

    /// `terraform init`; `backendSecrets` (see `RootModule.backendSecrets`) go in a `-backend-config`
    /// JSON file of mode 0600 that exists only while init runs, never in main.tf.json or argv.
    /// (Terraform itself keeps the backend settings it was given in `.terraform/terraform.tfstate`.)
    public func initialize(backendSecrets: [String: JSONValue] = [:]) async throws {
        if let cache = environment["TF_PLUGIN_CACHE_DIR"] {
            try? FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        }
        var arguments = ["init", "-input=false", "-no-color"]
        if !backendSecrets.isEmpty {
            let path = directory + "/" + Self.backendConfigFile
            try writePrivate(path, try stableJSONDocument(backendSecrets))
            arguments.append("-backend-config=" + Self.backendConfigFile)
        }
        defer { if !backendSecrets.isEmpty { try? FileManager.default.removeItem(atPath: directory + "/" + Self.backendConfigFile) } }
        try await streamChecked(arguments)
    }

    /// Creates (or truncates) `path` with mode 0600 before any byte is written.
    private func writePrivate(_ path: String, _ data: Data) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw PlatformError.failed("could not write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw PlatformError.failed("could not protect \(path): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw PlatformError.failed("could not write \(path): \(String(cString: strerror(errno)))") }
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
