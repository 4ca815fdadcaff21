import Foundation

/// Replaces secret values by `******` in anything that is shown or recorded, and the userinfo of
/// every URL (`https://deploy:TOKEN@git.example.com/…` → `https://***@git.example.com/…`).
///
/// Only secrets of at least `minimumLength` characters are masked: replacing a one-letter value
/// would replace that letter everywhere (`--set monkey=a` turned every `a` of `-v` output into
/// `******`) and tell the reader the secret besides. Each secret is also masked in the forms it
/// takes on the way through tools: JSON-escaped (Terraform's `-json` UI, kubectl documents) and
/// base64 (Kubernetes Secret data).
public struct Redactor: Sendable {
    public static let minimumLength = 4
    public static let mask = "******"

    /// The forms masked, longest first (so a longer form is never left half-masked).
    public let secrets: [String]

    public init(secrets: [String]) {
        var forms: Set<String> = []
        for secret in secrets where secret.count >= Self.minimumLength {
            forms.insert(secret)
            if let data = try? JSONEncoder().encode(secret), let encoded = String(data: data, encoding: .utf8) {
                forms.insert(String(encoded.dropFirst().dropLast()))  // without the quotes
            }
            forms.insert(Data(secret.utf8).base64EncodedString())
        }
        self.secrets = forms.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// Keys whose values are treated as secrets (`--set db_password=...`).
    public static func isSecretKey(_ key: String) -> Bool {
        let lower = key.lowercased()
        return ["password", "passwd", "token", "secret", "key", "credential"].contains { lower.contains($0) }
    }

    public func redact(_ text: String) -> String {
        Self.maskingURLCredentials(secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: Self.mask) })
    }

    public func redact(_ argv: [String]) -> [String] {
        argv.map(redact)
    }

    /// `SCHEME://USERINFO@` → `SCHEME://***@` wherever it appears in `text` (also inside
    /// `git::https://…` module sources). URLs without userinfo are left alone.
    public static func maskingURLCredentials(_ text: String) -> String {
        guard text.contains("://"), text.contains("@") else { return text }
        return text.replacingOccurrences(of: #"([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#@\s"'<>]+@"#, with: "$1***@",
                                         options: .regularExpression)
    }
}
