import Foundation

/// One `platform doctor` check and what it found.
public struct DoctorCheck: Sendable, Equatable, Encodable {
    public var name: String
    public var ok: Bool
    /// What was found (`/usr/bin/git 2.39.5`) or what is wrong.
    public var detail: String
    /// How to fix it, when it failed.
    public var hint: String?

    public init(name: String, ok: Bool, detail: String, hint: String? = nil) {
        self.name = name
        self.ok = ok
        self.detail = detail
        self.hint = hint
    }
}

/// What `platform doctor` checks: the tools (found, version), the cluster, the state folder, the templates.
public struct Doctor: Sendable {
    public let runner: CommandRunner
    public let environment: [String: String]
    public let kubeTarget: KubeTarget
    public let stateDirectory: String?
    public let templates: TemplateStore
    /// kubectl's `--request-timeout` for the cluster check.
    public let requestTimeout: String

    public init(runner: CommandRunner, environment: [String: String], kubeTarget: KubeTarget,
                stateDirectory: String?, templates: TemplateStore, requestTimeout: String = "5s") {
        self.runner = runner
        self.environment = environment
        self.kubeTarget = kubeTarget
        self.stateDirectory = stateDirectory
        self.templates = templates
        self.requestTimeout = requestTimeout
    }

    /// Runs every check, in order; never throws (a check that cannot run fails).
    public func run() async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        checks.append(await tool("git", ["--version"]) { text in
            text.split(separator: " ").last.map(String.init)
        })
        checks.append(await tool("terraform", ["version", "-json"]) { text in
            (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)))?["terraform_version"]?.stringValue
        })
        let kubectl = await tool("kubectl", ["version", "--client", "-o", "json"]) { text in
            (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)))?["clientVersion", "gitVersion"]?.stringValue
        }
        checks.append(kubectl)
        checks.append(kubectl.ok ? await cluster()
                      : DoctorCheck(name: "cluster", ok: false, detail: "not checked: kubectl is missing",
                                    hint: ToolLocator.installHint(for: "kubectl")))
        checks.append(stateFolder())
        checks.append(templateCheck())
        checks += configChecks()
        return checks
    }

    /// One check per config file looked at (`org config`, `org config 2`, … for the organisation files
    /// of `$XDG_CONFIG_DIRS` and `$PLATFORM_CONFIG`, then `user config`), lowest precedence first:
    /// found or not, the keys it sets and locks. A file that cannot be used fails (one `config` check).
    func configChecks() -> [DoctorCheck] {
        let hint = "fix the file named in the message (see docs/configuration.md)"
        do {
            let loaded = try ConfigLayers.load(environment: environment)
            var organisation = 0
            return loaded.layers.map { layer in
                var name = "user config"
                if layer.kind == .organisation {
                    organisation += 1
                    name = organisation == 1 ? "org config" : "org config \(organisation)"
                }
                var detail = "\(layer.path) (\(layer.origin)): "
                if !layer.found {
                    detail += "not found"
                } else {
                    detail += layer.keys.isEmpty ? "read, sets nothing" : "read, sets " + layer.keys.joined(separator: ", ")
                    if !layer.locked.isEmpty { detail += "; locks " + layer.locked.joined(separator: ", ") }
                }
                return DoctorCheck(name: name, ok: true, detail: detail)
            }
        } catch {
            return [DoctorCheck(name: "config", ok: false, detail: "\(error)", hint: hint)]
        }
    }

    func locate(_ tool: String) -> String? {
        try? ToolLocator(path: environment["PATH"]).locate(tool)
    }

    func tool(_ name: String, _ arguments: [String], version: (String) -> String?) async -> DoctorCheck {
        guard let path = locate(name) else {
            return DoctorCheck(name: name, ok: false, detail: "not found on PATH", hint: ToolLocator.installHint(for: name))
        }
        do {
            let result = try await runner.capture(Command(name, arguments), limit: 1 << 20)
            guard result.succeeded else {
                return DoctorCheck(name: name, ok: false,
                                   detail: "\(path) \(arguments.joined(separator: " ")) exited with status \(result.status): "
                                       + tail(of: result.stderrText, lines: 2),
                                   hint: ToolLocator.installHint(for: name))
            }
            let found = version(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
            return DoctorCheck(name: name, ok: true, detail: "\(path) \(found ?? "(version unknown)")")
        } catch {
            return DoctorCheck(name: name, ok: false, detail: "\(error)", hint: ToolLocator.installHint(for: name))
        }
    }

    /// `kubectl version -o json --request-timeout=5s` against the chosen context: the server answers.
    func cluster() async -> DoctorCheck {
        let kubectl = Kubectl(runner: runner, target: kubeTarget)
        var contextName = kubeTarget.context
        if contextName == nil,
           let current = try? await runner.capture(kubectl.command(["config", "current-context"]), limit: 4096),
           current.succeeded {
            contextName = current.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let hint = "start the cluster or pick another one with --kube-context/--kubeconfig (see 'kubectl config get-contexts')"
        guard let context = contextName, !context.isEmpty else {
            return DoctorCheck(name: "cluster", ok: false, detail: "no kube context configured", hint: hint)
        }
        do {
            let result = try await runner.capture(
                kubectl.command(["version", "-o", "json", "--request-timeout=\(requestTimeout)"]), limit: 1 << 20)
            let document = try? JSONDecoder().decode(JSONValue.self, from: result.stdout)
            if result.succeeded, let server = document?["serverVersion", "gitVersion"]?.stringValue {
                return DoctorCheck(name: "cluster", ok: true, detail: "context \(context) reachable (server \(server))")
            }
            let reason = tail(of: result.stderrText, lines: 1)
            return DoctorCheck(name: "cluster", ok: false,
                               detail: "context \(context) not reachable" + (reason.isEmpty ? "" : ": \(reason)"),
                               hint: hint)
        } catch {
            return DoctorCheck(name: "cluster", ok: false, detail: "context \(context): \(error)", hint: hint)
        }
    }

    /// Creates the state folder when missing and writes (then removes) a probe file in it.
    func stateFolder() -> DoctorCheck {
        let hint = "set PLATFORM_STATE_DIR to a writable folder"
        guard let folder = stateDirectory else {
            return DoctorCheck(name: "state", ok: false, detail: "no state folder: HOME is not set", hint: hint)
        }
        let probe = folder + "/.doctor-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("ok\n".utf8).write(to: URL(fileURLWithPath: probe))
            try FileManager.default.removeItem(atPath: probe)
            return DoctorCheck(name: "state", ok: true, detail: "\(folder) writable")
        } catch {
            return DoctorCheck(name: "state", ok: false, detail: "\(folder) not writable: \(error.localizedDescription)",
                               hint: hint)
        }
    }

    func templateCheck() -> DoctorCheck {
        let hint = "set PLATFORM_TEMPLATES_DIR or pass --templates-dir"
        do {
            let found = try templates.list().filter { !$0.id.hasPrefix("terraform/") }
            guard !found.isEmpty else {
                return DoctorCheck(name: "templates", ok: false, detail: "no templates found", hint: hint)
            }
            return DoctorCheck(name: "templates", ok: true,
                               detail: "\(found.count) found: " + found.map(\.id).joined(separator: ", "))
        } catch {
            return DoctorCheck(name: "templates", ok: false, detail: "\(error)", hint: hint)
        }
    }
}
