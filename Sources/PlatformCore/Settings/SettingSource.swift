import Foundation

/// Where a setting's value came from (for messages and `platform config show`).
public enum SettingSource: Sendable, Equatable, CustomStringConvertible, Encodable {
    case flag(String)
    case environment(String)
    case project(String)
    case user(String)
    /// `$XDG_CONFIG_DIRS/platform/config.json` or `$PLATFORM_CONFIG`.
    case organisation(String)
    case builtIn

    public var description: String {
        switch self {
        case .flag(let name): return "flag --\(name)"
        case .environment(let name): return "environment variable \(name)"
        case .project(let path): return "project config \(path)"
        case .user(let path): return "user config \(path)"
        case .organisation(let path): return "organisation config \(path)"
        case .builtIn: return "built-in default"
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A value and where it came from.
public struct Sourced<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var source: SettingSource

    public init(_ value: Value, _ source: SettingSource) {
        self.value = value
        self.source = source
    }
}
