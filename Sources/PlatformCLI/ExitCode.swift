import PlatformCore

/// The documented exit codes (README "Exit codes"). The only place errors become numbers.
public enum ExitCode {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let changesPending: Int32 = 2
    public static let rolledBack: Int32 = 3
    public static let deployFailed: Int32 = 4
    public static let releaseCommandFailed: Int32 = 5
    public static let usage: Int32 = 64
    public static let toolMissing: Int32 = 69
    public static let interrupted: Int32 = 130
    public static let terminated: Int32 = 143

    public static func code(for error: Error) -> Int32 {
        guard let error = error as? PlatformError else { return failure }
        switch error {
        case .usage, .invalidInput: return usage
        case .toolMissing: return toolMissing
        case .toolFailed, .failed: return failure
        case .changesPending: return changesPending
        case .deployRolledBack: return rolledBack
        case .deployFailed: return deployFailed
        case .releaseCommandFailed: return releaseCommandFailed
        // The command's own status; one the shell cannot pass on (0, or beyond 255, as Windows
        // nodes report) is 1, so a failed task never exits 0.
        case .taskFailed(let status, _): return (1...255).contains(status) ? status : failure
        case .interrupted(let signal): return 128 + signal
        }
    }
}
