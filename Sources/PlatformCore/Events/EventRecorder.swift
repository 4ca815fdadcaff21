import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builds and records the event of one CLI run. Never throws: a failure to record is returned as a
/// message for one warning on stderr.
public struct EventRecorder: Sendable {
    public let log: EventLog?
    public let runner: CommandRunner?

    public init(log: EventLog?, runner: CommandRunner?) {
        self.log = log
        self.runner = runner
    }

    /// Fills the commit fields of a deploy event whose image tag is a commit of the git repository in
    /// `directory` (`git show -s --format=%cI SHA`); leaves them empty otherwise.
    public func withCommit(_ event: PlatformEvent, directory: String) async -> PlatformEvent {
        guard let runner, let image = event.image, let candidate = PlatformEvent.commitCandidate(image: image),
              let commit = await Git(runner: runner).commitInfo(candidate, in: directory), commit.time != nil else {
            return event
        }
        var event = event
        event.record(commit)
        return event
    }

    /// Appends the event; returns a warning message when it could not be recorded.
    public func record(_ event: PlatformEvent) -> String? {
        guard let log else { return nil }
        do {
            try log.append(event)
            return nil
        } catch {
            return "could not record the run in \(log.path): \(error)"
        }
    }
}
