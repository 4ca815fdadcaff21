import Foundation

/// Which cluster kubectl talks to: `--kube-context` / `--kubeconfig` pass straight through.
public struct KubeTarget: Sendable, Equatable {
    public var context: String?
    public var kubeconfig: String?

    public init(context: String? = nil, kubeconfig: String? = nil) {
        self.context = context
        self.kubeconfig = kubeconfig
    }

    public var arguments: [String] {
        (kubeconfig.map { ["--kubeconfig", $0] } ?? []) + (context.map { ["--context", $0] } ?? [])
    }
}

/// The kubectl commands the platform runs. Everything machine-read is `-o json`; every document
/// sent is JSON encoded with Codable on stdin.
public struct Kubectl: Sendable {
    public let runner: CommandRunner
    public let target: KubeTarget

    public init(runner: CommandRunner, target: KubeTarget) {
        self.runner = runner
        self.target = target
    }

    /// `kubectl [--kubeconfig F] [--context C] ARGS...`
    public func command(_ arguments: [String], input: Data? = nil) -> Command {
        Command("kubectl", target.arguments + arguments, input: input)
    }

    /// A `v1/List` of the documents, as one JSON document for `-f -`.
    public static func list(_ documents: [JSONValue]) throws -> Data {
        try JSONValue.object(["apiVersion": .string("v1"), "kind": .string("List"), "items": .array(documents)]).encoded()
    }

    /// One server-side apply of all documents with the field manager `fieldManager` (create uses
    /// `platform/NAME`, one per app: `AppConventions.fieldManager`).
    /// `forceConflicts: false` leaves fields that another manager owns to it: the API server answers
    /// 409 Conflict instead of moving them to us.
    public func apply(_ documents: [JSONValue], fieldManager: String, dryRun: Bool = false,
                      forceConflicts: Bool = true) async throws -> CommandResult {
        var arguments = ["apply", "--server-side", "--field-manager=\(fieldManager)", "--force-conflicts", "-o", "json", "-f", "-"]
        if !forceConflicts { arguments.removeAll { $0 == "--force-conflicts" } }
        if dryRun { arguments.insert("--dry-run=server", at: 3) }
        return try await runner.checked(command(arguments, input: try Self.list(documents)))
    }

    /// `kubectl get KIND NAME -n NS -o json`, nil when it does not exist.
    public func get(_ kind: String, _ name: String, namespace: String?) async throws -> JSONValue? {
        let arguments = ["get", kind, name] + (namespace.map { ["-n", $0] } ?? []) + ["--ignore-not-found", "-o", "json"]
        let result = try await runner.checked(command(arguments))
        guard !result.stdout.allSatisfy({ $0 == 10 || $0 == 32 }) else { return nil }
        return try JSONDecoder().decode(JSONValue.self, from: result.stdout)
    }

    /// `kubectl get TYPE/NAME... -n NS --ignore-not-found -o json` → those that exist (one request
    /// round for several objects; cluster-scoped types ignore the namespace).
    public func getExisting(_ references: [String], namespace: String) async throws -> [JSONValue] {
        let arguments = ["get"] + references + ["-n", namespace, "--ignore-not-found", "-o", "json"]
        let result = try await runner.checked(command(arguments))
        guard !result.stdout.allSatisfy({ $0 == 10 || $0 == 32 }) else { return [] }
        let value = try JSONDecoder().decode(JSONValue.self, from: result.stdout)
        if let items = value["items"]?.arrayValue { return items }
        return value["kind"] == nil ? [] : [value]
    }

    /// `kubectl get KIND -l SELECTOR -n NS -o json` → items.
    public func list(_ kind: String, selector: String, namespace: String) async throws -> [JSONValue] {
        let result = try await runner.checked(command(["get", kind, "-n", namespace, "-l", selector, "-o", "json"]))
        let list = try JSONDecoder().decode(JSONValue.self, from: result.stdout)
        return list["items"]?.arrayValue ?? []
    }

    /// Whether the cluster serves the resource `name` in `group/version`: one
    /// `kubectl get --raw /apis/GROUP/VERSION` (the group version's APIResourceList).
    ///
    /// Not `kubectl api-resources --api-group=…`: that walks the whole discovery and exits 1 when ANY
    /// aggregated API is unavailable (kubectl's `api-resources` returns the discovery's
    /// ErrGroupDiscoveryFailed even with a group filter; a metrics-server that is down is enough).
    /// The API server answers 404 for a group version it does not serve; kubectl reports it as
    /// `Error from server (NotFound): …` (its StandardErrorMessage format), which means "no".
    public func hasResource(_ name: String, group: String, version: String = "v1") async throws -> Bool {
        let command = command(["get", "--raw", "/apis/\(group)/\(version)"])
        let result = try await runner.capture(command)
        guard result.succeeded else {
            if Self.errorReason(result.stderrText) == "NotFound" { return false }
            throw PlatformError.toolFailed(argv: command.argv, status: result.status,
                                           stderrTail: tail(of: result.stderrText))
        }
        let list = try? JSONDecoder().decode(JSONValue.self, from: result.stdout)
        return (list?["resources"]?.arrayValue ?? []).contains { $0["name"]?.stringValue == name }
    }

    /// The reason of an API error as kubectl prints it: `Error from server (Forbidden): …` → "Forbidden"
    /// (kubectl's `cmdutil.StandardErrorMessage` writes `Error from server (REASON): MESSAGE` for every
    /// API status error). Nil when stderr holds no such line.
    public static func errorReason(_ stderr: String) -> String? {
        for line in stderr.split(separator: "\n") {
            guard let start = line.range(of: "Error from server (") else { continue }
            let rest = line[start.upperBound...]
            guard let end = rest.firstIndex(of: ")") else { continue }
            return String(rest[..<end])
        }
        return nil
    }
}
