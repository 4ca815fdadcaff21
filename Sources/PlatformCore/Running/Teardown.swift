import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the platform stops a child: first the stop signal (SIGTERM when the task waiting for it is
/// cancelled, or the SIGINT/SIGTERM the platform received, forwarded), then SIGKILL if the child still
/// runs after `gracePeriod` seconds. This is swift-subprocess's `TeardownStep` sequence
/// (`.gracefulShutDown(allowedDurationToNextStep:)`, then kill): a child that ignores or mishandles
/// the signal cannot keep the platform waiting for ever. 10 seconds by default (Terraform needs a few
/// to write its state after SIGINT); `PLATFORM_TERMINATION_GRACE` (a duration: 500ms, 2s, 1m) sets it.
/// What the child leaves in its process group gets the same sequence once the child has exited
/// (`stopLeftovers`).
public struct Teardown: Sendable, Equatable {
    public static let defaultGracePeriod: Double = 10
    public static let environmentVariable = "PLATFORM_TERMINATION_GRACE"

    /// Seconds between the stop signal and SIGKILL.
    public var gracePeriod: Double

    public init(gracePeriod: Double = Teardown.defaultGracePeriod) {
        self.gracePeriod = gracePeriod
    }

    /// The grace period of `PLATFORM_TERMINATION_GRACE`, else the default; a bad value is bad input.
    public static func from(environment: [String: String]) throws -> Teardown {
        guard let text = environment[environmentVariable], !text.isEmpty else { return Teardown() }
        if text.hasSuffix("ms"), let millis = Int(text.dropLast(2)), millis >= 0 {
            return Teardown(gracePeriod: Double(millis) / 1000)
        }
        return Teardown(gracePeriod: try Validate.duration(text, what: environmentVariable))
    }

    /// Sends `sig` to `pid` now, and SIGKILL after the grace period if `stillRunning()` says it has
    /// not finished by then.
    public func stop(_ pid: pid_t, with sig: Int32, stillRunning: @escaping @Sendable () -> Bool) {
        kill(pid, sig)
        escalate(after: sig == SIGKILL ? nil : gracePeriod) {
            if stillRunning() { kill(pid, SIGKILL) }
        }
    }

    /// Stops what a child that has exited left in its process group, the same way: SIGTERM to the
    /// group, then SIGKILL if a member still runs after the grace period. Blocks until no member runs
    /// (after SIGKILL, for at most another grace period), so platform does not exit and orphan them.
    func stopLeftovers(of group: ProcessGroup) {
        group.signal(SIGTERM)
        if group.waitUntilEmpty(within: gracePeriod) { return }
        group.signal(SIGKILL)
        _ = group.waitUntilEmpty(within: gracePeriod)
    }

    private func escalate(after seconds: Double?, _ kill: @escaping @Sendable () -> Void) {
        guard let seconds else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: kill)
    }
}
