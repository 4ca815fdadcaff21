import Foundation
import PlatformCore

struct RunCommand: PlatformCommand {
    struct Options: Sendable, Equatable {
        var name: String
        var environment: String
        var argv: [String]
        var image: String?
        var timeout: Double
        var detach: Bool
        /// `--logs JOB`: follow a task started before (e.g. with --detach).
        var logs: String?
        var output: OutputFormat
        var kube = KubeTarget()
    }

    static let spec = CommandSpec(
        "run", summary: "Run a one-off command (a migration, a script) with the app's image and configuration",
        discussion: """
        Runs COMMAND ARG... once as a Kubernetes Job in the app's namespace: the image of the live
        release (or --image), the same service account, security context, environment and envFrom
        (vars and secrets) as the app's pods, no retries (backoffLimit 0), removed an hour after it ends.
        COMMAND is the container's command as it is, with no shell: write 'sh -c "..."' when you want one.
        Its pod does not carry the app's selector label, so it never gets the Service's traffic.
        The output is streamed as it comes (stdout to stdout; with -o json to stderr, and stdout gets
        the result), and platform exits with the command's own exit status (137: it was killed). A
        task whose pod cannot start fails with the reason (exit 1) and its Job is deleted: at once for
        a permanent one (InvalidImageName), after deploy's 20s grace for a pull error or a quota the
        Job cannot create its pod under; an Unschedulable pod is reported and waits (an autoscaler may
        add a node). --timeout (default 10m) bounds the whole run (the Job's activeDeadlineSeconds).
        Ctrl-C deletes the Job (exit 130).
        --detach prints the Job's name and returns; --logs JOB follows it later (Ctrl-C then stops only
        the following). Interactive consoles (-i, a terminal in the pod) are not supported yet.
        """,
        arguments: [ArgumentSpec.app()],
        trailing: ArgumentSpec("COMMAND", help: "The command and its arguments, after '--' (run as an argv array, no shell)"),
        options: [
            OptionSpec("image", value: "IMAGE", help: "Image to run (default: the image of the live release)"),
            OptionSpec("timeout", value: "DURATION", help: "How long the task may take, start included (default 10m)"),
            OptionSpec("detach", short: "d", help: "Start the task, print the Job's name and return"),
            OptionSpec("logs", value: "JOB", help: "Follow the task JOB started before, and exit with its status"),
            OptionSpec("interactive", short: "i", help: "Attach a terminal (not supported yet: exit 64)"),
        ],
        examples: [
            "platform run shop -e staging -- python -m shop.migrate",
            "platform run shop -- sh -c 'python manage.py check && python manage.py migrate'",
            "platform run shop --detach -- ./scripts/reindex",
            "platform run shop --logs shop-run-7xk2p",
        ],
        usesGlobals: ["environment", "output", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        if parsed.flag("interactive") {
            throw usage("-i/--interactive is not supported yet (no terminal can be attached to the task); run a command that needs no input, e.g. 'platform run NAME -- python -m shop.migrate'")
        }
        let name = try positionals(parsed, min: 1, max: 1)[0]
        return Options(name: name, environment: globals.environment, argv: parsed.trailing,
                       image: parsed.value("image"), timeout: try durationOption(parsed, "timeout", default: 600),
                       detach: parsed.flag("detach"), logs: parsed.value("logs"), output: globals.output,
                       kube: globals.kube)
    }

    static func validate(_ options: Options) throws {
        try Validate.name(options.name)
        try Validate.environment(options.environment)
        if let image = options.image { try Validate.image(image) }
        if let job = options.logs {
            try Validate.name(job, what: "--logs")
            if !options.argv.isEmpty { throw usage("--logs JOB follows a task that runs already; it takes no COMMAND") }
            if options.detach { throw usage("--logs and --detach cannot be combined") }
            if options.image != nil { throw usage("--logs and --image cannot be combined") }
            return
        }
        guard let program = options.argv.first else {
            throw usage("missing COMMAND: give it after '--', e.g. 'platform run \(options.name) -- python -m shop.migrate'")
        }
        if program.isEmpty { throw PlatformError.invalidInput("invalid COMMAND '': name a program in the image") }
        if let bad = options.argv.first(where: { $0.utf8.contains(0) }) {
            throw PlatformError.invalidInput("invalid argument \(Validate.quoted(bad)): it contains a NUL byte")
        }
        if options.timeout < 1 { throw PlatformError.invalidInput("invalid --timeout: at least 1s") }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        try context.requireTools(["kubectl"])
        let service = TaskService(kubectl: deployKubectl(options.kube, context), reporter: context.console,
                                  signals: context.signals)
        // The task's output is the result of a text run; under -o json stdout holds the JSON document only.
        let target: OutputTarget
        if options.output == .json {
            target = .standardError
        } else if context.io.stdoutIsProcessStdout {
            target = .standardOutput
        } else {
            let stdout = context.io.stdout
            target = .chunks { stdout.write($0) }
        }
        if let job = options.logs {
            let result = try await service.attach(job: job, app: options.name, namespace: options.environment,
                                                  startTimeout: options.timeout, output: target)
            return outcome(result, options)
        }
        if let console = interactiveProgram(options.argv) {
            context.console.warning("\(console) without arguments waits for input, and a task has no terminal (-i is not supported yet): it reads an empty stdin and ends; give it a command, e.g. 'platform run \(options.name) -- \(console) -c ...'")
        }
        let request = TaskRequest(app: options.name, environment: options.environment, argv: options.argv,
                                  image: options.image, timeout: options.timeout)
        if options.detach {
            let job = try await service.start(request)
            var outcome = CommandOutcome.render(TaskStarted(job: job, app: options.name, environment: options.environment),
                                                as: options.output) { $0.job }
            if options.output == .text {
                outcome.notes = [.detail("Follow it with 'platform run \(options.name) -e \(options.environment) --logs \(job)'")]
            }
            return outcome
        }
        return outcome(try await service.run(request, output: target), options)
    }

    /// The shell or REPL a person types for a console (`heroku run bash`), when that is all the argv is.
    static func interactiveProgram(_ argv: [String]) -> String? {
        guard argv.count == 1, let program = argv.first?.split(separator: "/").last.map(String.init) else { return nil }
        return ["sh", "bash", "zsh", "ash", "dash", "python", "python3", "node", "irb", "psql", "mysql"].contains(program) ? program : nil
    }

    /// Exit 0 with the result, or the command's own status.
    static func outcome(_ result: TaskResult, _ options: Options) -> CommandOutcome {
        var outcome = options.output == .json ? CommandOutcome(.json(result)) : CommandOutcome()
        if result.exitCode != 0 {
            let reason = result.reason.map { " (\($0))" } ?? ""
            outcome.failure = PlatformError.taskFailed(
                status: result.exitCode, message: "task \(result.job) exited with status \(result.exitCode)\(reason)")
        }
        return outcome
    }
}

/// `run --detach`'s result.
struct TaskStarted: Codable, Sendable, Equatable {
    var job: String
    var app: String
    var environment: String
}
