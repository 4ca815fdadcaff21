import Foundation

/// The configuration version a release runs: the immutable ConfigMap (vars) and Secret (secrets)
/// its Deployment references through `envFrom`, with a short fingerprint per key so `releases` can
/// say what changed. Never a secret value.
public struct ConfigReference: Codable, Sendable, Equatable {
    /// `NAME-vars-HASH`, nil when the app has no vars.
    public var vars: String?
    /// `NAME-secrets-HASH`, nil when the app has no secrets.
    public var secrets: String?
    /// Key → fingerprint of its value; nil when unknown (read from the Deployment alone).
    public var varKeys: [String: String]?
    public var secretKeys: [String: String]?

    public init(vars: String? = nil, secrets: String? = nil, varKeys: [String: String]? = nil,
                secretKeys: [String: String]? = nil) {
        self.vars = vars
        self.secrets = secrets
        self.varKeys = varKeys
        self.secretKeys = secretKeys
    }

    /// No vars and no secrets.
    public static let empty = ConfigReference()

    public var isEmpty: Bool { vars == nil && secrets == nil }

    /// The same ConfigMap and Secret (the names are content hashes, so the same content).
    public func sameVersion(as other: ConfigReference?) -> Bool {
        vars == other?.vars && secrets == other?.secrets
    }

    /// `vars 3f2a9c01d4, secrets none`
    public var summary: String {
        func hash(_ name: String?) -> String { name.map { String($0.split(separator: "-").last ?? "") } ?? "none" }
        return "vars \(hash(vars)), secrets \(hash(secrets))"
    }

    /// `vars 3f2a9c01d4 (DB_URL LOG_LEVEL), secrets 9be1c0a2f3 (API_KEY)`: the keys where known.
    public var detailed: String {
        func part(_ what: String, _ name: String?, _ keys: [String: String]?) -> String {
            guard let name else { return "\(what) none" }
            let hash = String(name.split(separator: "-").last ?? "")
            return "\(what) \(hash)" + (keys.map { " (\($0.keys.sorted().joined(separator: " ")))" } ?? "")
        }
        return part("vars", vars, varKeys) + ", " + part("secrets", secrets, secretKeys)
    }

    /// The `envFrom` list of the app's container for this version.
    public var envFrom: [JSONValue] {
        var sources: [JSONValue] = []
        if let vars { sources.append(.object(["configMapRef": .object(["name": .string(vars)])])) }
        if let secrets { sources.append(.object(["secretRef": .object(["name": .string(secrets)])])) }
        return sources
    }

    /// The version a Deployment (or a Pod) references in container `container`: its `envFrom`
    /// entries named like the platform's versions (`NAME-vars-…`, `NAME-secrets-…`).
    public static func live(in object: JSONValue?, app: String) -> ConfigReference {
        let spec = object?["spec", "template", "spec"] ?? object?["spec"]
        let containers = spec?["containers"]?.arrayValue ?? []
        guard let container = containers.first(where: { $0["name"]?.stringValue == app }) else { return .empty }
        var reference = ConfigReference()
        for source in container["envFrom"]?.arrayValue ?? [] {
            if let name = source["configMapRef", "name"]?.stringValue, name.hasPrefix(ConfigSet.varsPrefix(app)) {
                reference.vars = name
            }
            if let name = source["secretRef", "name"]?.stringValue, name.hasPrefix(ConfigSet.secretsPrefix(app)) {
                reference.secrets = name
            }
        }
        return reference
    }
}
