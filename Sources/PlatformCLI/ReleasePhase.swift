import PlatformCore

/// Deploy's and promote's release phase, as the command line sets it up: `--skip-release-command`,
/// and the command from the project's platform.json (else the one `create` recorded on the
/// Deployment, which DeployService reads).
enum ReleasePhase {
    static let skipOption = OptionSpec("skip-release-command",
                                       help: "Do not run the release command (platform.json \"release\") first")

    static func configure(_ request: inout DeployRequest, skip: Bool, _ context: CommandContext) throws {
        request.runsReleaseCommand = !skip
        guard !skip else { return }
        request.releaseCommand = try ConfigLoader.projectReleaseCommand(from: context.currentDirectory, app: request.app)
    }

    /// The dry run's line for it.
    static func planLine(_ request: DeployRequest) -> String {
        guard request.runsReleaseCommand, request.releaseCommand?.isEmpty != true else { return "" }
        if let argv = request.releaseCommand {
            return "First run the release command \(argv.joined(separator: " ")) as a task with the new image\n"
        }
        return "First run the release command recorded on the Deployment, if any, as a task with the new image\n"
    }
}
