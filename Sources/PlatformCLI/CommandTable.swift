/// The one table of commands: parsing, help, the reference docs and the completion scripts all read it.
public enum CommandTable {
    public static let entries: [CommandEntry] = [
        CommandEntry(ScaffoldCommand.self),
        CommandEntry(CreateCommand.self),
        CommandEntry(TemplatesCommand.self),
        CommandEntry(VersionCommand.self),
        CommandEntry(HelpCommand.self),
        CommandEntry(ExecCommand.self),  // hidden: internal, for `make bench`
    ]

    public static var specs: [CommandSpec] { entries.map(\.spec) }
}
