import Foundation

/// The rules for configuration keys and values (`platform vars`, `platform secrets`). Keys become
/// environment variables of the app's container, so they are POSIX-style names.
public enum ConfigKey {
    /// Longest key accepted.
    public static let maxKeyLength = 128
    /// Largest single value, in bytes (UTF-8).
    public static let maxValueBytes = 32 * 1024
    /// Largest configuration version (all keys and values of the vars or of the secrets), in bytes:
    /// well below the 1 MiB a ConfigMap or Secret may hold.
    public static let maxTotalBytes = 512 * 1024
    /// Most keys in one configuration version.
    public static let maxKeys = 500

    /// `[A-Z_][A-Z0-9_]*`, at most `maxKeyLength` characters.
    public static func isValid(_ key: String) -> Bool {
        guard let first = key.utf8.first, key.utf8.count <= maxKeyLength,
              isUpper(first) || first == UInt8(ascii: "_") else { return false }
        return key.utf8.allSatisfy { isUpper($0) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "_") }
    }

    public static func validate(_ key: String) throws {
        guard isValid(key) else {
            throw PlatformError.invalidInput(
                "invalid key \(Validate.quoted(key)): use A-Z, 0-9 and '_', starting with a letter or '_', at most \(maxKeyLength) characters")
        }
    }

    /// Checks a value's size; `show` false keeps the value itself out of the message (secrets).
    public static func validate(value: String, of key: String) throws {
        guard value.utf8.count <= maxValueBytes else {
            throw PlatformError.invalidInput(
                "the value of \(key) is \(value.utf8.count) bytes: at most \(maxValueBytes) bytes are allowed")
        }
        guard !value.utf8.contains(0) else {
            throw PlatformError.invalidInput("the value of \(key) contains a NUL byte, which no environment variable can hold")
        }
    }

    /// Checks the size of a whole version (`what`: vars or secrets).
    public static func validate(total values: [String: String], what: String) throws {
        guard values.count <= maxKeys else {
            throw PlatformError.invalidInput("\(values.count) \(what): at most \(maxKeys) keys are allowed")
        }
        let bytes = values.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard bytes <= maxTotalBytes else {
            throw PlatformError.invalidInput("the \(what) would take \(bytes) bytes: at most \(maxTotalBytes) are allowed")
        }
    }

    private static func isUpper(_ byte: UInt8) -> Bool { byte >= 65 && byte <= 90 }
}
