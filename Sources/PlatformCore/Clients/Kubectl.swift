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
    public func apply(_ documents: [JSONValue], fieldManager: String, dryRun: Bool = false) async throws -> CommandResult {
        var arguments = ["apply", "--server-side", "--field-manager=\(fieldManager)", "--force-conflicts", "-o", "json", "-f", "-"]
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

    /// Whether the cluster serves a resource of `group` (`kubectl api-resources` exits 0 with
    /// empty output when the group is missing).
    public func hasResource(_ name: String, group: String) async throws -> Bool {
        let result = try await runner.checked(command(["api-resources", "--api-group=\(group)", "-o", "name"]))
        return result.stdoutText.split(separator: "\n").contains { $0 == "\(name).\(group)" || $0 == Substring(name) }
    }
}
