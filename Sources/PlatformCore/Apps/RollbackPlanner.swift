import Foundation

/// `platform rollback`: which release to re-deploy.
public enum RollbackPlanner {
    /// Release `revision`, or by default the newest successful release whose image is not
    /// `liveImage` (the image the Deployment runs now).
    public static func target(_ history: ReleaseHistory, to revision: Int?, liveImage: String?,
                              app: String) throws -> Release {
        if let revision {
            guard let release = history.release(revision) else {
                let known = history.releases.map { String($0.revision) }.joined(separator: ", ")
                throw PlatformError.invalidInput("release \(revision) of \(app) not found; known revisions: \(known.isEmpty ? "none" : known)")
            }
            return release
        }
        guard let previous = history.rollbackTarget(liveImage: liveImage) else {
            let running = liveImage.map { " with an image other than the running \($0)" } ?? ""
            throw PlatformError.failed("no successful release of \(app)\(running) to roll back to (see 'platform releases \(app)')")
        }
        return previous
    }
}
