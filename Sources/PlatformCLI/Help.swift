/// Help text, rendered from the command table.
public enum Help {
    public static func main(commands: [CommandSpec]) -> String {
        let commands = commands.filter { !$0.hidden }
        var text = """
        platform - self-service for app teams: scaffold, create, deploy and follow services

        Usage:
          platform <command> [arguments] [options]

        Commands:

        """
        let width = (commands.map(\.name.count).max() ?? 0) + 2
        for command in commands {
            text += "  " + command.name.padding(toLength: width, withPad: " ", startingAt: 0) + command.summary + "\n"
        }
        text += "\nGlobal options:\n" + optionLines(GlobalSpec.options)
        text += """

        Examples:
          platform scaffold shop --template python/flask
          platform create shop -e staging
          platform deploy shop --image registry.example.com/shop:1.2.0 -e staging

        Run 'platform help <command>' for a command's options and examples.

        """
        return text
    }

    public static func command(_ spec: CommandSpec) -> String {
        var text = "\(spec.summary)\n\nUsage:\n  \(spec.usageLine)\n"
        if !spec.discussion.isEmpty { text += "\n\(spec.discussion)\n" }
        if !spec.listedArguments.isEmpty {
            text += "\nArguments:\n"
            let width = (spec.listedArguments.map(\.name.count).max() ?? 0) + 2
            for argument in spec.listedArguments {
                text += "  " + argument.name.padding(toLength: width, withPad: " ", startingAt: 0) + argument.help + "\n"
            }
        }
        if !spec.options.isEmpty {
            text += "\nOptions:\n" + optionLines(spec.options)
        }
        let globals = GlobalSpec.options.filter { spec.usesGlobals.contains($0.long) || $0.long == "help" }
        text += "\nGlobal options:\n" + optionLines(globals)
        if !spec.examples.isEmpty {
            text += "\nExamples:\n" + spec.examples.map { "  \($0)\n" }.joined()
        }
        return text
    }

    static func optionLines(_ options: [OptionSpec]) -> String {
        let width = (options.map(\.synopsis.count).max() ?? 0) + 2
        return options.map { option in
            "  " + option.synopsis.padding(toLength: width, withPad: " ", startingAt: 0) + option.help + "\n"
        }.joined()
    }
}
