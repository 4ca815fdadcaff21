import PlatformCLI

let status = await PlatformCLI.main(arguments: Array(CommandLine.arguments.dropFirst()),
                                    argv0: CommandLine.arguments.first ?? "")
exitProcess(status)
