import Foundation
import PlatformCore

/// The commit a deploy records (docs/ci.md): `--commit SHA`, completed from the repository at hand
/// when it has that commit; else HEAD of the app's own repository (the current folder is in the
/// project whose platform.json names the app); else none.
enum CommitLookup {
    static func commit(_ given: String?, app: String, _ context: CommandContext) async -> Release.Commit? {
        let git = Git(runner: context.runner)
        if let given {
            return await git.commitInfo(given.lowercased(), in: context.currentDirectory)
                ?? Release.Commit(sha: given.lowercased(), time: nil)
        }
        guard (try? ConfigLoader.projectAppName(from: context.currentDirectory)) == app,
              (try? context.runner.locate("git")) != nil else { return nil }
        return await git.commitInfo("HEAD", in: context.currentDirectory)
    }
}
