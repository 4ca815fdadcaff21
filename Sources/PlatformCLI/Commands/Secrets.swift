import Foundation
import PlatformCore
#if canImport(Glibc)
import Glibc
#endif

struct SecretsCommand: PlatformCommand {
    enum Action: String, Sendable, Equatable, CaseIterable {
        case set, unset, list, apply
    }

    /// Where a secret's value comes from.
    enum Source: Sendable, Equatable {
        /// `KEY=VALUE` (the value is in this process's argv: prefer stdin or a file).
        case literal(String)
        /// `KEY=@FILE`: the file's bytes, as they are.
        case file(String)
        /// Bare `KEY`: stdin (without echo on a TTY).
        case stdin
    }

    struct Options: Sendable, Equatable {
        var action: Action
        var name: String?
        var environment: String
        /// Keys in the order given, with their sources (set), or the keys to remove (unset).
        var inputs: [String]
        var sources: [String: Source]
        var change: ChangeOptions
        var output: OutputFormat
        var kube: KubeTarget
        var dryRun = false
    }

    static let spec = CommandSpec(
        "secrets", summary: "Set, unset and list an app's secrets (values never shown); each change is a release",
        discussion: """
        Like 'platform vars', but the version is an immutable Secret NAME-secrets-HASH. 'secrets set NAME
        KEY=@FILE' reads the value from a file, a bare KEY from stdin (typed without echo on a terminal, or
        piped: one KEY per run, the trailing newline dropped); KEY=VALUE works too, but puts the value
        into this process's argv. Values go to kubectl on stdin only and appear nowhere else: not in -v
        output, errors, the event log, the release history (it records the key names and a short
        fingerprint per key) or any file. 'secrets list NAME' shows the keys, their fingerprints and the
        release, user and time that last changed each. --stage and 'platform vars apply' work as for vars.
        --dry-run prints the plan (the new Secret's name, keys and fingerprints, the Deployment patch,
        roll out or stage) and changes nothing.
        """,
        arguments: [
            ArgumentSpec("ACTION", help: "set, unset, list or apply", completion: .choices(Action.allCases.map(\.rawValue))),
            ArgumentSpec("NAME", help: "The app (default: the name in ./platform.json or a parent folder's)",
                         optional: true, completion: .apps),
            ArgumentSpec("KEY[=VALUE|=@FILE]", help: "Secrets to set (a bare KEY reads stdin) or keys to remove (unset)",
                         optional: true),
        ],
        options: ChangeOptions.specs,
        examples: [
            "platform secrets set shop API_KEY            # prompts without echo, or reads a pipe",
            "vault read -field=key secret/shop | platform secrets set shop API_KEY -e production",
            "platform secrets set shop TLS_KEY=@./tls.key DB_PASSWORD",
            "platform secrets list shop",
            "platform secrets unset shop OLD_TOKEN",
            "platform secrets set shop API_KEY=@./api.key --dry-run",
        ],
        usesGlobals: ["environment", "output", "dry-run", "quiet", "verbose", "kube-context", "kubeconfig"])

    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        let (action, name, rest) = try configPositionals(Self.self, parsed, actions: Action.allCases.map(\.rawValue))
        let chosen = Action(rawValue: action) ?? .list
        var keys: [String] = []
        var sources: [String: Source] = [:]
        switch chosen {
        case .set:
            guard !rest.isEmpty else { throw usage("missing KEY: 'platform secrets set [NAME] KEY[=VALUE|=@FILE]...'") }
            for word in rest {
                let key: String, source: Source
                if let equals = word.firstIndex(of: "=") {
                    key = String(word[..<equals])
                    let value = String(word[word.index(after: equals)...])
                    source = value.hasPrefix("@") ? .file(String(value.dropFirst())) : .literal(value)
                } else {
                    key = word
                    source = .stdin
                }
                // The key only: the value may be a secret.
                guard sources[key] == nil else { throw PlatformError.invalidInput("key \(Validate.quoted(key)) is given twice") }
                keys.append(key)
                sources[key] = source
            }
        case .unset:
            guard !rest.isEmpty else { throw usage("missing KEY: 'platform secrets unset [NAME] KEY...'") }
            keys = rest
        case .list, .apply:
            if let extra = rest.first, !extra.contains("=") { throw usage("unexpected argument '\(extra)'") }
            if !rest.isEmpty { throw usage("unexpected KEY=VALUE after \(action)") }
        }
        return Options(action: chosen, name: name, environment: globals.environment, inputs: keys, sources: sources,
                       change: try ChangeOptions.parse(parsed, globals: globals), output: globals.output, kube: globals.kube,
                       dryRun: globals.dryRun)
    }

    static func validate(_ options: Options) throws {
        if let name = options.name { try Validate.name(name) }
        try Validate.environment(options.environment)
        if options.dryRun, options.action == .list { throw usage("--dry-run goes with set, unset and apply") }
        for key in options.inputs { try ConfigKey.validate(key) }
        for case (let key, .literal(let value)) in options.sources { try ConfigKey.validate(value: value, of: key) }
        for case (_, .file(let path)) in options.sources where path.isEmpty {
            throw PlatformError.invalidInput("empty file name after '@': use KEY=@FILE")
        }
        if options.change.stage, options.action == .list || options.action == .apply {
            throw usage("--stage goes with set and unset")
        }
    }

    /// Values given on the command line are masked wherever `--verbose` shows an argv.
    static func secrets(_ options: Options) -> [String] {
        options.sources.values.compactMap { if case .literal(let value) = $0 { return value } else { return nil } }
    }

    static func run(_ options: Options, _ context: CommandContext) async throws -> CommandOutcome {
        let name = try configAppName(options.name, command: spec.name, context)
        if options.action != .list, !options.dryRun {
            try options.change.confirm("change the secrets of \(name)", environment: options.environment,
                                       command: spec.name, context)
        }
        // Every value is read (and checked) before the cluster is asked anything.
        let values = options.action == .set ? try readValues(options, context) : [:]
        let service = await configService(options.kube, context)
        var result: CommandOutcome
        switch options.action {
        case .list:
            let listing = try await service.list(app: name, namespace: options.environment, part: .secrets)
            result = .render(listing, as: options.output) { listing in
                var rows = [["KEY", "FINGERPRINT", "REVISION", "CHANGED BY", "WHEN"]]
                for secret in listing.secrets ?? [] {
                    rows.append([secret.key, secret.fingerprint, secret.revision.map(String.init) ?? "-",
                                 secret.user ?? "-", secret.time ?? "-"])
                }
                return formatTable(rows)
            }
            if options.output == .text && (listing.secrets ?? []).isEmpty {
                result = CommandOutcome(notes: [.detail("No secrets for \(name) in \(options.environment).")])
            }
            result.notes += stagedNotes(listing)
        case .set, .unset, .apply:
            let request = options.change.request(app: name, environment: options.environment, part: .secrets,
                                                 set: values, unset: options.action == .unset ? options.inputs : [])
            if options.dryRun {
                result = planOutcome(try await service.plan(request, apply: options.action == .apply),
                                     apply: options.action == .apply, options.output)
                break
            }
            result = try await changeOutcome(options.action == .apply, request, service, options.output)
        }
        result.event.app = name
        return result
    }

    /// The values of `secrets set`: literals, files, stdin (one key from a pipe; on a TTY a prompt
    /// per key, without echo).
    static func readValues(_ options: Options, _ context: CommandContext) throws -> [String: String] {
        let fromStdin = options.inputs.filter { options.sources[$0] == .stdin }
        if fromStdin.count > 1, !context.io.stdinIsTTY {
            throw PlatformError.invalidInput("\(fromStdin.count) keys to read from stdin (\(fromStdin.joined(separator: ", "))): a pipe gives one value; use KEY=@FILE for the others")
        }
        var values: [String: String] = [:]
        for key in options.inputs {
            switch options.sources[key] ?? .stdin {
            case .literal(let value):
                values[key] = value
            case .file(let path):
                let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: context.currentDirectory, isDirectory: true))
                guard let data = FileManager.default.contents(atPath: url.path) else {
                    throw PlatformError.invalidInput("cannot read \(Validate.quoted(path)) for \(key): no such readable file")
                }
                guard let text = String(data: data, encoding: .utf8) else {
                    throw PlatformError.invalidInput("\(Validate.quoted(path)) for \(key) is not UTF-8 text")
                }
                values[key] = text
            case .stdin:
                values[key] = try readStdin(key: key, context)
            }
            try ConfigKey.validate(value: values[key] ?? "", of: key)
        }
        return values
    }

    static func readStdin(key: String, _ context: CommandContext) throws -> String {
        if context.io.stdinIsTTY {
            // Echo goes off before the prompt shows (as readpassphrase does): a value typed as soon as
            // the prompt is there is neither echoed nor flushed by TCSAFLUSH.
            let line = withoutEcho { () -> String? in
                context.io.stderr.write("\(key): ")
                return context.io.readLine()
            }
            context.io.stderr.write("\n")
            guard let line, !line.isEmpty else { throw PlatformError.invalidInput("no value typed for \(key)") }
            return line
        }
        var lines: [String] = []
        while let line = context.io.readLine() { lines.append(line) }
        guard !lines.isEmpty else {
            throw PlatformError.invalidInput("no value for \(key) on stdin: pipe it in, or use KEY=@FILE")
        }
        return lines.joined(separator: "\n")
    }

    /// Runs `body` with the terminal's echo off (restored afterwards), as `read -s` does.
    static func withoutEcho<T>(_ body: () -> T) -> T {
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { return body() }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        _ = tcsetattr(0, TCSAFLUSH, &quiet)
        defer { _ = tcsetattr(0, TCSAFLUSH, &saved) }
        return body()
    }
}
