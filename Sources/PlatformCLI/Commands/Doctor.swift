import Foundation
import PlatformCore

struct DoctorCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var output: OutputFormat
        var environment: String
        var templatesDirectory: String?
        var requestTimeout: String
        var kube = KubeTarget()
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
        usesGlobals: ["environment", "output", "kube-context", "kubeconfig"], reportsConfigErrors: true)

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        _ = try positionals(parsed, min: 0, max: 0)
        return Options(output: globals.output, environment: globals.environment,
                       templatesDirectory: parsed.value("templates-dir"),
                       requestTimeout: parsed.value("request-timeout") ?? "5s", kube: globals.kube)
    }

    static func validate(_ options: Options) throws {
        _ = try Validate.duration(options.requestTimeout, what: "--request-timeout")
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        // A broken config file is one of doctor's findings, not a reason to stop: look up templates without it.
        var store = try? await templateStore(options.templatesDirectory, context, cachedOnly: true)
        if store == nil { store = try await templateStore(options.templatesDirectory, context, useSource: false) }
        let doctor = Doctor(runner: context.runner, environment: context.environment, kubeTarget: options.kube,
                            stateDirectory: EventLog.stateDirectory(environment: context.environment),
                            templates: store ?? TemplateStore(directories: []),
                            requestTimeout: options.requestTimeout)
        let checks = await doctor.run()
        let failed = checks.filter { !$0.ok }
        struct Report: Encodable, Sendable { var ok: Bool; var checks: [DoctorCheck] }
        var outcome = CommandOutcome.render(Report(ok: failed.isEmpty, checks: checks), as: options.output) { report in
            let width = (report.checks.map(\.name.count).max() ?? 0) + 1
            return report.checks.map { check in
                let mark = check.ok ? "ok  " : "FAIL"
                return "\(mark) " + check.name.padding(toLength: width, withPad: " ", startingAt: 0) + check.detail
                    + (check.hint.map { "\n" + String(repeating: " ", count: width + 5) + "hint: " + $0 } ?? "")
            }.joined(separator: "\n")
        }
        if !failed.isEmpty {
            // Exit 1 after the report, recorded as checks_failed.
            outcome.failure = PlatformError.failed("\(failed.count) of \(checks.count) checks failed: "
                                                   + failed.map(\.name).joined(separator: ", "))
            outcome.event.errorType = "checks_failed"
        }
        return outcome
    }
}
