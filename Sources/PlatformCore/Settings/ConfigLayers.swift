import Foundation

/// One config file that was looked for: an organisation file (`$XDG_CONFIG_DIRS/platform/config.json`,
/// `$PLATFORM_CONFIG`) or the user's own.
public struct ConfigLayer: Sendable, Equatable, Encodable {
    public enum Kind: String, Sendable, Equatable, Encodable {
        case organisation, user
    }

    public var kind: Kind
    public var path: String
    /// What named the file: `XDG_CONFIG_DIRS`, `PLATFORM_CONFIG` or `XDG_CONFIG_HOME`.
    public var origin: String
    public var found: Bool
    /// The keys this file sets, sorted.
    public var keys: [String]
    /// The keys this (organisation) file locks, sorted.
    public var locked: [String]

    public var source: SettingSource {
        kind == .organisation ? .organisation(path) : .user(path)
    }
}

/// The organisation and user configs, lowest precedence first:
/// `$XDG_CONFIG_DIRS/platform/config.json` (each folder, default `/etc/xdg`; the first folder listed
/// wins, as the XDG Base Directory spec says), then the file `$PLATFORM_CONFIG` names, then the user
/// config. An organisation file may `lock` keys: a later file, the project config, an environment
/// variable or a flag that sets a locked key to another value is an error naming the key and the file.
public struct ConfigLayers: Sendable, Equatable {
    public static let fileName = "platform/config.json"

    public var layers: [ConfigLayer]
    /// The JSON object of each layer (same order; empty for a file that was not found).
    var documents: [[String: JSONValue]]
    /// Locked key → the organisation file that locked it.
    public var locks: [String: String]
    /// All files merged: `environments` per environment and field, every other key replaced whole.
    public var merged: UserConfig

    /// The paths looked at, lowest precedence first (found or not).
    public static func paths(environment: [String: String]) -> [(kind: ConfigLayer.Kind, path: String, origin: String)] {
        var result: [(ConfigLayer.Kind, String, String)] = []
        let dirs = environment["XDG_CONFIG_DIRS"].flatMap { $0.isEmpty ? nil : $0 } ?? "/etc/xdg"
        // The spec ignores relative entries; the first entry is the most important, so it comes last here.
        let absolute = dirs.split(separator: ":").map(String.init).filter { $0.hasPrefix("/") }
        var seen: Set<String> = []
        for dir in absolute.reversed() where seen.insert(dir).inserted {
            result.append((.organisation, (dir.hasSuffix("/") ? String(dir.dropLast()) : dir) + "/" + fileName, "XDG_CONFIG_DIRS"))
        }
        if let explicit = environment["PLATFORM_CONFIG"], !explicit.isEmpty {
            result.append((.organisation, explicit, "PLATFORM_CONFIG"))
        }
        result.append((.user, ConfigLoader.userConfigPath(environment: environment), "XDG_CONFIG_HOME"))
        return result
    }

    /// Reads every layer; invalid files, unknown keys and overridden locks are errors (exit 64).
    public static func load(environment: [String: String]) throws -> ConfigLayers {
        var layers: [ConfigLayer] = []
        var documents: [[String: JSONValue]] = []
        var locks: [String: String] = [:]
        var merged: [String: JSONValue] = [:]
        for (kind, path, origin) in paths(environment: environment) {
            if kind == .organisation, origin == "PLATFORM_CONFIG", !FileManager.default.fileExists(atPath: path) {
                throw PlatformError.invalidInput("PLATFORM_CONFIG names \(Validate.quoted(path)), which does not exist")
            }
            guard let (document, locked, text) = try ConfigLoader.loadConfigDocument(at: path, organisation: kind == .organisation) else {
                layers.append(ConfigLayer(kind: kind, path: path, origin: origin, found: false, keys: [], locked: []))
                documents.append([:])
                continue
            }
            for key in document.keys.sorted() {
                guard let owner = locks[key] else { continue }
                let after = mergeValue(key, below: merged[key], layer: document[key]!)
                if after != merged[key] {
                    throw PlatformError.invalidInput(
                        "\(path):\(ConfigLoader.line(of: key, in: text)): '\(key)' is locked by the organisation config \(owner); remove it from \(path)")
                }
            }
            for key in document.keys { merged[key] = mergeValue(key, below: merged[key], layer: document[key]!) }
            for key in locked where locks[key] == nil { locks[key] = path }
            layers.append(ConfigLayer(kind: kind, path: path, origin: origin, found: true,
                                      keys: document.keys.sorted(), locked: locked.sorted()))
            documents.append(document)
        }
        let config = try JSONValue.object(merged).decode(UserConfig.self)
        return ConfigLayers(layers: layers, documents: documents, locks: locks, merged: config)
    }

    static func mergeValue(_ key: String, below: JSONValue?, layer: JSONValue) -> JSONValue {
        guard key == "environments", let below else { return layer }
        // Per environment, per field: an organisation's staging domain and a user's staging kube_context combine.
        var result = below.objectValue ?? [:]
        for (name, entry) in layer.objectValue ?? [:] {
            result[name] = (result[name] ?? .object([:])).merging(patch: entry)
        }
        return .object(result)
    }

    /// The user layer (always the last one).
    public var user: ConfigLayer { layers[layers.count - 1] }

    /// Where the top-level `key` got its merged value: the highest layer that sets it (for a locked
    /// key, the file that locked it: a later file may only repeat its value).
    public func source(of key: String) -> SettingSource? {
        if let owner = locks[key], documents.contains(where: { $0[key] != nil }) { return .organisation(owner) }
        for (index, document) in documents.enumerated().reversed() where document[key] != nil {
            return layers[index].source
        }
        return nil
    }

    /// Where `environments.NAME.FIELD` got its merged value.
    public func source(environment name: String, field: String) -> SettingSource? {
        if let owner = locks["environments"], documents.contains(where: { $0["environments"]?[name]?[field] != nil }) {
            return .organisation(owner)
        }
        for (index, document) in documents.enumerated().reversed() where document["environments"]?[name]?[field] != nil {
            return layers[index].source
        }
        return nil
    }

    /// The top-level value, with the file it came from.
    public func sourced<T: Sendable & Equatable>(_ key: String, _ value: T?) -> Sourced<T>? {
        guard let value, let source = source(of: key) else { return nil }
        return Sourced(value, source)
    }

    /// Refuses `value` for a locked `key` from `origin` (a project file, an environment variable, a flag)
    /// when it differs from what the organisation set.
    public func checkUnlocked<T: Encodable>(_ key: String, _ value: T?, from origin: String) throws {
        guard let owner = locks[key], let value else { return }
        let given = try JSONValue(encoding: value)
        let current = try JSONValue(encoding: merged)[key]
        if given != current {
            throw PlatformError.invalidInput(
                "'\(key)' is locked by the organisation config \(owner); \(origin) may not change it")
        }
    }
}
