import Foundation

/// One program to run: a tool name looked up on PATH (or an absolute path) and an argument array.
/// Never a shell string.
public struct Command: Sendable, Equatable {
    public var tool: String
    public var arguments: [String]
    /// Added to (and overriding) the runner's base environment.
    public var environment: [String: String]
    public var directory: String?
    /// Written to the child's stdin, which is then closed. Without it stdin is /dev/null.
    public var input: Data?

    public init(_ tool: String, _ arguments: [String], environment: [String: String] = [:],
                directory: String? = nil, input: Data? = nil) {
        self.tool = tool
        self.arguments = arguments
        self.environment = environment
        self.directory = directory
        self.input = input
    }

    public var argv: [String] { [tool] + arguments }
}

/// What a captured run produced. A non-zero status is a result, not an error: the caller judges it.
public struct CommandResult: Sendable, Equatable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data

    public init(status: Int32 = 0, stdout: Data = Data(), stderr: Data = Data()) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    public init(status: Int32 = 0, stdout: String, stderr: String = "") {
        self.init(status: status, stdout: Data(stdout.utf8), stderr: Data(stderr.utf8))
    }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    public var succeeded: Bool { status == 0 }
}

/// Where a streamed child's output goes.
public enum OutputTarget: Sendable {
    /// The platform's own stdout (for results the user asked for).
    case standardOutput
    /// The platform's own stderr (progress and diagnostics, e.g. terraform's log).
    case standardError
    case discard
    /// Each chunk as it arrives, in order, from one reader thread. Use `LineSplitter` for lines.
    case chunks(@Sendable (Data) -> Void)
}

/// The two primitives every tool client is built on. Conveniences live in the extension below.
public protocol CommandRunner: Sendable {
    /// Runs to completion and returns stdout and stderr. stdout beyond `limit` bytes is an error;
    /// stderr keeps its last `limit` bytes.
    func capture(_ command: Command, limit: Int) async throws -> CommandResult
    /// Runs to completion, passing output straight through; returns the exit status.
    func stream(_ command: Command, stdout: OutputTarget, stderr: OutputTarget) async throws -> Int32
    /// The path `tool` would run from, or `toolMissing` (exit 69, with the install hint). Commands ask
    /// before touching anything, so a missing tool is not found halfway; a fake runner answers for tests.
    func locate(_ tool: String) throws -> String
}

public extension CommandRunner {
    static var defaultCaptureLimit: Int { 64 << 20 }

    func capture(_ command: Command) async throws -> CommandResult {
        try await capture(command, limit: Self.defaultCaptureLimit)
    }

    /// Captures and throws `toolFailed` (argv and stderr tail) when the exit status is not 0.
    func checked(_ command: Command, redacting secrets: [String] = []) async throws -> CommandResult {
        let result = try await capture(command)
        guard result.succeeded else {
            throw PlatformError.toolFailed(
                argv: Redactor(secrets: secrets).redact(command.argv),
                status: result.status,
                stderrTail: Redactor(secrets: secrets).redact(tail(of: result.stderrText)))
        }
        return result
    }

    /// Captures, checks and decodes stdout as JSON.
    func json<T: Decodable>(_ type: T.Type, _ command: Command) async throws -> T {
        let result = try await checked(command)
        do {
            return try JSONDecoder().decode(T.self, from: result.stdout)
        } catch {
            throw PlatformError.failed("could not read the output of \(command.argv.joined(separator: " ")): \(error)")
        }
    }
}

/// The last few lines of a tool's stderr, for error messages.
public func tail(of text: String, lines: Int = 12) -> String {
    let all = text.split(separator: "\n", omittingEmptySubsequences: true)
    return all.suffix(lines).joined(separator: "\n")
}
