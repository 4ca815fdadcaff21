/// The one table of commands: parsing, help, the reference docs and the completion scripts all read it.
public enum CommandTable {
    public static let entries: [CommandEntry] = [
        CommandEntry(ScaffoldCommand.self),
        CommandEntry(CreateCommand.self),
        CommandEntry(TemplatesCommand.self),
        CommandEntry(UpgradeCommand.self),
        CommandEntry(DeployCommand.self),
        CommandEntry(PromoteCommand.self),
        CommandEntry(RunCommand.self),
        CommandEntry(ReleasesCommand.self),
        CommandEntry(RollbackCommand.self),
        CommandEntry(VarsCommand.self),
        CommandEntry(SecretsCommand.self),
        CommandEntry(LogsCommand.self),
        CommandEntry(StatusCommand.self),
        CommandEntry(OpenCommand.self),
        CommandEntry(DestroyCommand.self),
        CommandEntry(VersionCommand.self),
        CommandEntry(HelpCommand.self),
        CommandEntry(CompletionCommand.self),
        CommandEntry(DoctorCommand.self),
        CommandEntry(MetricsCommand.self),
        CommandEntry(ConfigCommand.self),
        CommandEntry(CompleteValuesCommand.self),  // hidden: values for the completion scripts
        CommandEntry(ExecCommand.self),  // hidden: internal, for `make bench`
    ]

    public static var specs: [CommandSpec] { entries.map(\.spec) }
}
