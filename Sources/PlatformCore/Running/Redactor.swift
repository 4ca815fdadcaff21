import Foundation

/// Replaces secret values by `******` in anything that is shown or recorded.
public struct Redactor: Sendable {
    public var secrets: [String]

    public init(secrets: [String]) {
        self.secrets = secrets.filter { !$0.isEmpty }
    }

    /// Keys whose values are treated as secrets (`--set db_password=...`).
    public static func isSecretKey(_ key: String) -> Bool {
        let lower = key.lowercased()
        return ["password", "passwd", "token", "secret", "key", "credential"].contains { lower.contains($0) }
    }

    public func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "******") }
    }

    public func redact(_ argv: [String]) -> [String] {
        argv.map(redact)
    }
}
