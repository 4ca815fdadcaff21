import Foundation

/// `platform rollback`: which release to re-deploy.
public enum RollbackPlanner {
    /// Release `revision`, or by default the newest successful release whose image or configuration
    /// version is not what the Deployment runs now (`liveImage`, `liveConfig`; ReleaseHistory.rollbackTarget).
    public static func target(_ history: ReleaseHistory, to revision: Int?, liveImage: String?,
                              liveConfig: ConfigReference, app: String) throws -> Release {
        if let revision {
            guard let release = history.release(revision) else {
                let known = history.releases.map { String($0.revision) }.joined(separator: ", ")
                throw PlatformError.invalidInput("release \(revision) of \(app) not found; known revisions: \(known.isEmpty ? "none" : known)")
            }
            return release
        }
        guard let previous = history.rollbackTarget(liveImage: liveImage, liveConfig: liveConfig) else {
            let running = liveImage.map { " with an image or configuration other than the running \($0) (\(liveConfig.summary))" } ?? ""
            throw PlatformError.failed("no successful release of \(app)\(running) to roll back to (see 'platform releases \(app)')")
        }
        return previous
    }
}
