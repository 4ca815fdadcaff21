import Foundation

/// What `platform vars`/`platform secrets` keep besides the versions themselves, in the ConfigMap
/// `platform-config-NAME`: who is changing the configuration right now (a lease, so two changes
/// never build on the same version and lose each other's keys) and the staged version (`--stage`).
/// Written like the release history: read, change, write with the resourceVersion as precondition.
public struct ConfigState: Sendable, Equatable {
    public struct Lease: Codable, Sendable, Equatable {
        public var holder: String
        public var user: String
        public var since: String
        /// After this (ISO 8601) the lease counts as abandoned (a killed process).
        public var expires: String
        /// What holds it: `configuration change` (nil, as older binaries write it), `deploy`, `rollback`.
        public var what: String?
    }

    public struct Staged: Codable, Sendable, Equatable {
        public var config: ConfigReference
        public var user: String
        public var time: String
        /// The notes (`-m`) of the staged changes, oldest first.
        public var messages: [String]?
    }

    public var lease: Lease?
    public var staged: Staged?

    public init(lease: Lease? = nil, staged: Staged? = nil) {
        self.lease = lease
        self.staged = staged
    }

    public static func configMapName(_ app: String) -> String { "platform-config-\(app)" }

    init(configMap: JSONValue?) throws {
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T? {
            guard let text = configMap?["data", key]?.stringValue, !text.isEmpty else { return nil }
            do {
                return try decoder.decode(T.self, from: Data(text.utf8))
            } catch {
                throw PlatformError.failed("the \(key) in ConfigMap \(configMap?["metadata", "name"]?.stringValue ?? "?") is not readable: \(error)")
            }
        }
        self.init(lease: try decode(Lease.self, "lease"), staged: try decode(Staged.self, "staged"))
    }

    func configMap(app: String, namespace: String) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data: [String: JSONValue] = [:]
        if let lease { data["lease"] = .string(String(decoding: try encoder.encode(lease), as: UTF8.self)) }
        if let staged { data["staged"] = .string(String(decoding: try encoder.encode(staged), as: UTF8.self)) }
        return .object([
            "apiVersion": .string("v1"),
            "kind": .string("ConfigMap"),
            "metadata": .object([
                "name": .string(Self.configMapName(app)),
                "namespace": .string(namespace),
                "labels": .object([
                    AppConventions.nameLabel: .string(app),
                    AppConventions.instanceLabel: .string("\(app)-\(namespace)"),
                    AppConventions.managedByLabel: .string("platform"),
                ]),
            ]),
            "data": .object(data),
        ])
    }
}

/// Reads and writes `ConfigState` with optimistic concurrency (as `ReleaseStore.update` does for
/// the history: `kubectl create` when new, `kubectl replace` with the resourceVersion otherwise;
/// AlreadyExists or Conflict means someone was faster: read again and retry).
public struct ConfigStateStore: Sendable {
    public let kubectl: Kubectl

    public init(kubectl: Kubectl) {
        self.kubectl = kubectl
    }

    public func read(app: String, namespace: String) async throws -> ConfigState {
        try ConfigState(configMap: try await kubectl.get("configmap", ConfigState.configMapName(app), namespace: namespace))
    }

    /// `change` returns whether to write (false: leave it as it is) and a value.
    public func update<T: Sendable>(app: String, namespace: String,
                                    _ change: @Sendable (inout ConfigState) -> (write: Bool, value: T)) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let current = try await kubectl.get("configmap", ConfigState.configMapName(app), namespace: namespace)
            var state = try ConfigState(configMap: current)
            let (write, value) = change(&state)
            guard write else { return value }
            if try await kubectl.guardedWrite(
                try state.configMap(app: app, namespace: namespace),
                over: current, finalAttempt: attempt >= 20) {
                return value
            }
            try await Task.sleep(nanoseconds: UInt64.random(in: 20_000_000...120_000_000))
        }
    }
}
