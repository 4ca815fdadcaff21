import Foundation
import PlatformCore

struct DoctorCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var output: OutputFormat
        var environment: String
        var kubeContext: String?
        var kubeconfig: String?
        var templatesDirectory: String?
        var requestTimeout: String
    }

    static let spec = CommandSpec(
        "doctor", summary: "Check the tools, the cluster, the state folder and the templates",
        discussion: """
        Checks that git, terraform and kubectl are on PATH (and their versions), that the kube context
        of the environment answers (kubectl version with a short request timeout), that the state folder
        is writable and that templates are found. One line per check; exits 1 when any check fails.
        """,
        options: [
            OptionSpec("templates-dir", value: "DIR", help: "Look up templates in DIR first", completion: .directories),
            OptionSpec("request-timeout", value: "DURATION", help: "How long to wait for the cluster (default: 5s)"),
        ],
        examples: ["platform doctor", "platform doctor -e staging -o json", "platform doctor --kube-context kind-dev"],
        usesGlobals: ["environment", "output", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        _ = try positionals(parsed, min: 0, max: 0)
        return Options(output: globals.output, environment: globals.environment, kubeContext: globals.kubeContext,
                       kubeconfig: globals.kubeconfig, templatesDirectory: parsed.value("templates-dir"),
                       requestTimeout: parsed.value("request-timeout") ?? "5s")
    }

    static func validate(_ options: Options) throws {
        _ = try Validate.duration(options.requestTimeout, what: "--request-timeout")
    }

    static func run(_ options: Options, _ context: CommandContext) async throws {
        var kubeContext = options.kubeContext
        if kubeContext == nil {
            kubeContext = (try? ConfigLayers.load(environment: context.environment))?.merged
                .environments?[options.environment]?.kubeContext
        }
        let doctor = Doctor(runner: context.runner, environment: context.environment,
                            kubeTarget: KubeTarget(context: kubeContext, kubeconfig: options.kubeconfig),
                            stateDirectory: EventLog.stateDirectory(environment: context.environment),
                            templates: templateStore(options.templatesDirectory, context),
                            requestTimeout: options.requestTimeout)
        let checks = await doctor.run()
        let failed = checks.filter { !$0.ok }
        if options.output == .json {
            struct Report: Encodable { var ok: Bool; var checks: [DoctorCheck] }
            try context.printJSON(Report(ok: failed.isEmpty, checks: checks))
        } else {
            let width = (checks.map(\.name.count).max() ?? 0) + 1
            for check in checks {
                let mark = check.ok ? "ok  " : "FAIL"
                context.print("\(mark) " + check.name.padding(toLength: width, withPad: " ", startingAt: 0) + check.detail)
                if let hint = check.hint {
                    context.print(String(repeating: " ", count: width + 5) + "hint: " + hint)
                }
            }
        }
        if !failed.isEmpty {
            context.console.error("\(failed.count) of \(checks.count) checks failed: "
                                  + failed.map(\.name).joined(separator: ", "))
            context.details.fail(status: ExitCode.failure, errorType: "checks_failed")
        }
    }
}
