import Foundation

/// The command reference (`docs/reference.md`) and the man page (`docs/platform.1`), generated from the
/// command table. Re-record the committed files with `PLATFORM_RECORD_GOLDEN=1 swift test --filter ReferenceTests`.
public enum Reference {
    /// The documented exit codes, from `ExitCode`.
    public static let exitCodes: [(code: Int32, meaning: String)] = [
        (ExitCode.success, "Success (for `doctor`: every check passed)"),
        (ExitCode.failure, "Failed: a tool, the cluster or a check failed (the message says which); `upgrade`: conflicts left to resolve"),
        (ExitCode.changesPending, "`--dry-run --detailed-exitcode`: changes are pending; `upgrade --check`: a newer template version exists"),
        (ExitCode.rolledBack, "Deploy failed and the previous release was restored"),
        (ExitCode.deployFailed, "Deploy failed and was not rolled back (or the rollback failed too)"),
        (ExitCode.releaseCommandFailed, "The release command (platform.json `release`) failed: the new image was not applied"),
        (ExitCode.usage, "Usage error or invalid input: nothing was changed"),
        (ExitCode.toolMissing, "A required tool (git, terraform, kubectl) is not on PATH"),
        (ExitCode.interrupted, "Interrupted (SIGINT) after running tools were stopped cleanly"),
        (ExitCode.terminated, "Terminated (SIGTERM) after running tools were stopped cleanly"),
    ]

    static let tagline = "self-service for app teams: scaffold, create, deploy and follow services"

    // MARK: - Markdown

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func optionRows(_ options: [OptionSpec]) -> String {
        var text = "| Option | Description |\n| --- | --- |\n"
        for option in options {
            let spelled = (option.short.map { "`-\($0)`, " } ?? "") + "`--\(option.long)"
                + (option.valueName.map { " \($0)" } ?? "") + "`"
            var help = option.help
            if case .choices(let values) = option.completion { help += " (one of: \(values.joined(separator: ", ")))" }
            if option.repeatable, !help.contains("repeatable") { help += " (repeatable)" }
            text += "| \(spelled) | \(cell(help)) |\n"
        }
        return text
    }

    static func anchor(_ name: String) -> String {
        "platform-" + name.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" }
    }

    public static func markdown(commands: [CommandSpec], globals: [OptionSpec] = GlobalSpec.options) -> String {
        let commands = commands.filter { !$0.hidden }
        var text = """
        # platform command reference

        <!-- Generated from the command table (Sources/PlatformCLI/CommandTable.swift); do not edit.
             Re-record: PLATFORM_RECORD_GOLDEN=1 swift test --filter ReferenceTests -->

        `platform` - \(tagline).

        ```
        platform <command> [arguments] [options]
        ```

        Global options go before or after the command. Results go to stdout, progress and errors to
        stderr; `-o json` prints one JSON document on stdout.

        ## Commands

        | Command | Summary |
        | --- | --- |

        """
        for command in commands {
            text += "| [`\(command.name)`](#\(anchor(command.name))) | \(cell(command.summary)) |\n"
        }
        text += "\n## Global options\n\n" + optionRows(globals)
        for command in commands {
            text += "\n## platform \(command.name)\n\n\(command.summary).\n\n```\n\(command.usageLine)\n```\n"
            if !command.discussion.isEmpty {
                text += "\n" + command.discussion.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
            }
            if !command.listedArguments.isEmpty {
                text += "\n### Arguments\n\n| Argument | Description |\n| --- | --- |\n"
                for argument in command.listedArguments {
                    text += "| `\(argument.name)`\(argument.optional ? " (optional)" : "") | \(cell(argument.help)) |\n"
                }
            }
            if !command.options.isEmpty {
                text += "\n### Options\n\n" + optionRows(command.options)
            }
            let used = globals.filter { command.usesGlobals.contains($0.long) }
            if !used.isEmpty {
                text += "\nGlobal options it uses: " + used.map { "`--\($0.long)`" }.joined(separator: ", ") + "\n"
            }
            if !command.examples.isEmpty {
                text += "\n### Examples\n\n```\n" + command.examples.joined(separator: "\n") + "\n```\n"
            }
        }
        text += "\n## Exit codes\n\n| Code | Meaning |\n| --- | --- |\n"
        for (code, meaning) in exitCodes { text += "| \(code) | \(cell(meaning)) |\n" }
        text += """

        ## Files and environment

        | Name | Use |
        | --- | --- |
        | `$XDG_CONFIG_HOME/platform/config.json` (else `~/.config/platform/config.json`) | User config |
        | `$XDG_CONFIG_DIRS/platform/config.json` (default `/etc/xdg`), `$PLATFORM_CONFIG` | Organisation config (may lock keys) |
        | `platform.json` (current folder or a parent) | Project config |
        | `$PLATFORM_STATE_DIR` (else `$XDG_STATE_HOME/platform`, else `~/.local/state/platform`) | State folder: workspaces and `events.jsonl` |
        | `PLATFORM_ENVIRONMENT` | Default environment |
        | `PLATFORM_TEMPLATES_DIR` | Extra template folder |
        | `NO_COLOR`, `CLICOLOR_FORCE` | Colour off / forced |

        """
        return text
    }

    // MARK: - roff (man 7 man)

    /// Escapes text for roff: backslashes, hyphens, and a leading `.` or `'`.
    static func roff(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
        return escaped.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : String(line)
        }.joined(separator: "\n")
    }

    static func roffOptions(_ options: [OptionSpec]) -> String {
        options.map { option in
            var head = (option.short.map { "\\fB\\-\($0)\\fR, " } ?? "") + "\\fB\\-\\-\(roff(option.long))\\fR"
            if let value = option.valueName { head += " \\fI\(roff(value))\\fR" }
            return ".TP\n\(head)\n\(roff(option.help))\n"
        }.joined()
    }

    public static func manPage(commands: [CommandSpec], globals: [OptionSpec] = GlobalSpec.options,
                               version: String = platformVersion) -> String {
        let commands = commands.filter { !$0.hidden }
        var text = """
        .\\" Generated from the command table (Sources/PlatformCLI/CommandTable.swift); do not edit.
        .\\" Re-record: PLATFORM_RECORD_GOLDEN=1 swift test --filter ReferenceTests
        .TH PLATFORM 1 "" "platform \(version)" "User Commands"
        .SH NAME
        platform \\- \(roff(tagline))
        .SH SYNOPSIS
        .B platform
        .I command
        .RI [ arguments ]
        .RI [ options ]
        .SH DESCRIPTION
        Global options go before or after the command.
        Results go to standard output, progress and errors to standard error;
        .B \\-o json
        prints one JSON document on standard output.
        .SH GLOBAL OPTIONS

        """
        text += roffOptions(globals)
        text += ".SH COMMANDS\n"
        for command in commands {
            text += ".SS \"\(roff(command.usageLine))\"\n\(roff(command.summary)).\n"
            if !command.discussion.isEmpty {
                text += ".PP\n" + roff(command.discussion.trimmingCharacters(in: .whitespacesAndNewlines)) + "\n"
            }
            for argument in command.listedArguments {
                text += ".TP\n\\fI\(roff(argument.name))\\fR\(argument.optional ? " (optional)" : "")\n\(roff(argument.help))\n"
            }
            text += roffOptions(command.options)
            let used = globals.filter { command.usesGlobals.contains($0.long) }
            if !used.isEmpty {
                text += ".PP\nGlobal options it uses: " + used.map { "\\fB\\-\\-\(roff($0.long))\\fR" }.joined(separator: ", ") + ".\n"
            }
            if !command.examples.isEmpty {
                text += ".PP\nExamples:\n.PP\n.RS 4\n.nf\n" + command.examples.map(roff).joined(separator: "\n") + "\n.fi\n.RE\n"
            }
        }
        text += ".SH EXIT STATUS\n"
        for (code, meaning) in exitCodes {
            text += ".TP\n.B \(code)\n" + roff(meaning.replacingOccurrences(of: "`", with: "")) + "\n"
        }
        text += """
        .SH ENVIRONMENT
        .TP
        .B PLATFORM_ENVIRONMENT
        Default environment.
        .TP
        .B PLATFORM_STATE_DIR
        State folder (else \\fB$XDG_STATE_HOME/platform\\fR, else \\fB~/.local/state/platform\\fR).
        .TP
        .B PLATFORM_TEMPLATES_DIR
        Extra template folder.
        .TP
        .B NO_COLOR
        Never colour the output.
        .SH FILES
        .TP
        .I $XDG_CONFIG_HOME/platform/config.json
        User config (else \\fI~/.config/platform/config.json\\fR).
        .TP
        .I $XDG_CONFIG_DIRS/platform/config.json
        Organisation config (default folder \\fI/etc/xdg\\fR); \\fB$PLATFORM_CONFIG\\fR names one more; either may lock keys.
        .TP
        .I platform.json
        Project config, in the current folder or a parent.
        .TP
        .I events.jsonl
        One event per run, in the state folder; read by \\fBplatform metrics\\fR.
        .SH SEE ALSO
        .BR git (1),
        .BR kubectl (1),
        .BR terraform (1)

        """
        return text
    }
}
