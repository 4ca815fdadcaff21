import PlatformCLI

let status = await PlatformCLI.main(arguments: Array(CommandLine.arguments.dropFirst()))
exitProcess(status)
