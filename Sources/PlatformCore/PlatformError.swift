import Foundation

/// The one error type of the platform. The CLI maps each case to a documented exit code in one place
/// (`ExitCode.for(_:)` in PlatformCLI).
public enum PlatformError: Error, Equatable, Sendable {
    /// Bad command line: unknown option, missing argument. `command` names the command for the usage hint.
    case usage(String, command: String?)
    /// A value that is not allowed (name, image, duration, path). Nothing was changed.
    case invalidInput(String)
    /// A program the platform needs is not on PATH.
    case toolMissing(tool: String, hint: String)
    /// A program ran and exited non-zero; keeps argv and the tail of its stderr.
    case toolFailed(argv: [String], status: Int32, stderrTail: String)
    /// Any other failed operation (the cluster said no, a file could not be written, ...).
    case failed(String)
    /// `--detailed-exitcode`: the dry run found changes.
    case changesPending
    /// A deploy failed and the previous release was restored.
    case deployRolledBack(String)
    /// A deploy failed and was not rolled back (or the rollback failed too).
    case deployFailed(String)
    /// `platform run`: the task's command exited non-zero; the run exits with that same status.
    case taskFailed(status: Int32, message: String)
    /// The release command (platform.json `release`) failed: the new image was not applied.
    case releaseCommandFailed(String)
    /// The user interrupted the run (SIGINT/SIGTERM) after children were stopped.
    case interrupted(signal: Int32)
}

extension PlatformError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case .usage(let message, _), .invalidInput(let message), .failed(let message):
            return message
        case .toolMissing(let tool, let hint):
            return "\(tool) not found on PATH; \(hint)"
        case .toolFailed(let argv, let status, let tail):
            let command = argv.joined(separator: " ")
            let trimmed = tail.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty
                ? "\(command) exited with status \(status)"
                : "\(command) exited with status \(status): \(trimmed)"
        case .changesPending:
            return "changes are pending"
        case .deployRolledBack(let message), .deployFailed(let message), .releaseCommandFailed(let message):
            return message
        case .taskFailed(_, let message):
            return message
        case .interrupted(let signal):
            return signal == SIGTERM ? "terminated" : "interrupted"
        }
    }

    public var errorDescription: String? { description }

    /// A short machine-readable type, used in `-o json` errors and in the metrics events.
    public var kind: String {
        switch self {
        case .usage: return "usage"
        case .invalidInput: return "invalid_input"
        case .toolMissing: return "tool_missing"
        case .toolFailed: return "tool_failed"
        case .failed: return "failed"
        case .changesPending: return "changes_pending"
        case .deployRolledBack: return "deploy_rolled_back"
        case .deployFailed: return "deploy_failed"
        case .taskFailed: return "task_failed"
        case .releaseCommandFailed: return "release_command_failed"
        case .interrupted: return "interrupted"
        }
    }
}
