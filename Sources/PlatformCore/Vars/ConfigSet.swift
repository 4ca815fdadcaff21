import Foundation

/// One configuration version's content: the vars and the secrets of an app. Each half is stored as
/// one immutable object named after a hash of its content (kustomize's ConfigMap/Secret generator
/// idea), so a version never changes and a new one is a new pod template.
public struct ConfigSet: Sendable, Equatable {
    public var vars: [String: String]
    public var secrets: [String: String]

    public init(vars: [String: String] = [:], secrets: [String: String] = [:]) {
        self.vars = vars
        self.secrets = secrets
    }

    /// The label that marks the configuration objects of an app (what destroy and the clean-up look for).
    public static let configLabel = "platform.dev/config-of"

    public static func varsPrefix(_ app: String) -> String { "\(app)-vars-" }
    public static func secretsPrefix(_ app: String) -> String { "\(app)-secrets-" }

    /// Ten hex digits of the SHA-256 of the sorted keys and values (length-prefixed, so no two
    /// different maps hash alike by concatenation).
    public static func contentHash(_ values: [String: String]) -> String {
        var hasher = SHA256()
        for key in values.keys.sorted() {
            let value = values[key] ?? ""
            hasher.update("\(key.utf8.count):\(key)\(value.utf8.count):")
            hasher.update(value)
        }
        return String(hasher.finalize().prefix(10))
    }

    /// A short fingerprint of one value, for `secrets list` and the release records: eight hex
    /// digits of a SHA-256 over the app, key and value (never the value itself).
    public static func fingerprint(app: String, key: String, value: String) -> String {
        var hasher = SHA256()
        hasher.update("platform-config\u{0}\(app)\u{0}\(key)\u{0}")
        hasher.update(value)
        return String(hasher.finalize().prefix(8))
    }

    public func varsName(app: String) -> String? {
        vars.isEmpty ? nil : Self.varsPrefix(app) + Self.contentHash(vars)
    }

    public func secretsName(app: String) -> String? {
        secrets.isEmpty ? nil : Self.secretsPrefix(app) + Self.contentHash(secrets)
    }

    /// The reference a release records for this version.
    public func reference(app: String) -> ConfigReference {
        ConfigReference(
            vars: varsName(app: app), secrets: secretsName(app: app),
            varKeys: vars.isEmpty ? nil : vars.reduce(into: [:]) { $0[$1.key] = Self.fingerprint(app: app, key: $1.key, value: $1.value) },
            secretKeys: secrets.isEmpty ? nil : secrets.reduce(into: [:]) {
                $0[$1.key] = Self.fingerprint(app: app, key: $1.key, value: $1.value)
            })
    }

    static func metadata(_ name: String, app: String, namespace: String) -> JSONValue {
        .object([
            "name": .string(name),
            "namespace": .string(namespace),
            "labels": .object([
                AppConventions.nameLabel: .string(app),
                AppConventions.instanceLabel: .string("\(app)-\(namespace)"),
                AppConventions.managedByLabel: .string("platform"),
                configLabel: .string(app),
            ]),
        ])
    }

    /// The immutable ConfigMap of the vars (nil without vars).
    public func configMap(app: String, namespace: String) -> JSONValue? {
        guard let name = varsName(app: app) else { return nil }
        return .object([
            "apiVersion": .string("v1"), "kind": .string("ConfigMap"),
            "metadata": Self.metadata(name, app: app, namespace: namespace),
            "immutable": .bool(true),
            "data": .object(vars.mapValues { .string($0) }),
        ])
    }

    /// The immutable Secret of the secrets (nil without secrets). Only ever sent on kubectl's stdin.
    public func secret(app: String, namespace: String) -> JSONValue? {
        guard let name = secretsName(app: app) else { return nil }
        return .object([
            "apiVersion": .string("v1"), "kind": .string("Secret"),
            "metadata": Self.metadata(name, app: app, namespace: namespace),
            "type": .string("Opaque"),
            "immutable": .bool(true),
            "data": .object(secrets.mapValues { .string(Data($0.utf8).base64EncodedString()) }),
        ])
    }

    /// The values of a ConfigMap's `data`, or a Secret's (base64-decoded).
    public static func values(of object: JSONValue?, secret: Bool) throws -> [String: String] {
        guard let data = object?["data"]?.objectValue else { return [:] }
        var values: [String: String] = [:]
        for (key, value) in data {
            guard let text = value.stringValue else { continue }
            if secret {
                guard let decoded = Data(base64Encoded: text) else {
                    throw PlatformError.failed("the Secret \(object?["metadata", "name"]?.stringValue ?? "?") holds a value of \(key) that is not base64")
                }
                values[key] = String(decoding: decoded, as: UTF8.self)
            } else {
                values[key] = text
            }
        }
        return values
    }
}
