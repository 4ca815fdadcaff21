import Foundation

/// Up-front checks of user input. Each failure is `invalidInput` naming the bad value and what is allowed.
public enum Validate {
    /// An app name: a DNS-1035 label (RFC 1035), as Kubernetes requires for Service names.
    public static func name(_ value: String, what: String = "name") throws {
        guard isDNS1035Label(value) else {
            throw PlatformError.invalidInput(
                "invalid \(what) \(quoted(value)): use 1-63 lowercase letters, digits or '-', starting with a letter and not ending with '-'")
        }
    }

    public static func environment(_ value: String) throws {
        try name(value, what: "environment")
    }

    /// `app.kubernetes.io/instance` is `NAME-ENV`, and a label value is at most 63 characters
    /// (Kubernetes' `IsValidLabelValue`): a longer pair would be refused by the API server with 422,
    /// after Terraform already ran, so it is bad input before anything runs.
    public static func instance(name: String, environment: String) throws {
        let instance = "\(name)-\(environment)"
        guard instance.utf8.count <= 63 else {
            throw PlatformError.invalidInput(
                "app name and environment too long together: the instance label \(quoted(instance)) has \(instance.utf8.count) characters, at most 63 are allowed (NAME-ENV is a Kubernetes label value)")
        }
    }

    public static func isDNS1035Label(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        guard isLower(first), last != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }

    /// A container image reference: `[registry[:port]/]path[:tag][@sha256:digest]`.
    /// A git commit id as CI systems give it: 7 to 64 hex digits (SHA-1 or SHA-256 repositories).
    public static func commit(_ value: String) throws {
        guard (7...64).contains(value.utf8.count), value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) }) else {
            throw PlatformError.invalidInput("invalid --commit \(quoted(value)): expected a git commit id, 7 to 64 hex digits")
        }
    }

    public static func image(_ value: String) throws {
        guard isImageReference(value) else {
            throw PlatformError.invalidInput(
                "invalid image \(quoted(value)): expected [REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST], repository in lowercase, port 1-65535 (e.g. registry.example.com/shop:1.2.3)")
        }
    }

    /// The rules of distribution/reference (`reference/regexp.go`, `normalize.go`): the first part is
    /// a registry only when it has a `.` or a `:port`, or is `localhost` (so `Shop/app` is an
    /// uppercase repository, not a registry named Shop); a port is 1 to 65535; the repository is lowercase.
    public static func isImageReference(_ value: String) -> Bool {
        guard !value.isEmpty, value.count <= 512, !value.hasSuffix("\n") else { return false }
        guard value.range(of: imagePattern, options: .regularExpression) != nil else { return false }
        let first = value.prefix { $0 != "/" }
        if first.count < value.count, first.contains(":"),
           let colon = first.lastIndex(of: ":") {
            guard let port = Int(first[first.index(after: colon)...]), (1...65535).contains(port) else { return false }
        }
        return true
    }

    private static let component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    private static let label = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
    private static let host = "(?:(?:\(label)(?:\\.\(label))+(?::[0-9]{1,5})?|\(label):[0-9]{1,5}|localhost)/)?"
    private static let imagePattern =
        "\\A\(host)\(component)(?:/\(component))*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?\\z"

    /// Splits an image reference into repository and tag (tag nil when absent or pinned by digest only).
    public static func splitImage(_ value: String) -> (repository: String, tag: String?) {
        let withoutDigest = value.split(separator: "@", maxSplits: 1).first.map(String.init) ?? value
        if let colon = withoutDigest.lastIndex(of: ":"), !withoutDigest[colon...].contains("/") {
            return (String(withoutDigest[..<colon]), String(withoutDigest[withoutDigest.index(after: colon)...]))
        }
        return (withoutDigest, nil)
    }

    /// The longest duration any option takes: 3650 days (about ten years). Longer ones overflow the
    /// nanosecond clocks we sleep on and Go's `time.Duration` (kubectl's `--since`, 292 years).
    public static let maximumDuration: Double = 3650 * 86400

    /// `90s`, `5m`, `1h30m`, `500ms`: a positive duration in seconds, at most `maximumDuration`.
    public static func duration(_ value: String, what: String = "duration") throws -> Double {
        guard let seconds = parseDuration(value), seconds > 0, seconds <= maximumDuration else {
            throw PlatformError.invalidInput(
                "invalid \(what) \(quoted(value)): use a positive number with a unit, e.g. 90s, 5m, 1h or 1h30m, at most 3650d")
        }
        return seconds
    }

    /// Bounded: at most 64 characters, each number at most 12 digits, so the sum is always finite.
    public static func parseDuration(_ value: String) -> Double? {
        var total = 0.0
        var number = ""
        var rest = Substring(value)
        guard !rest.isEmpty, rest.utf8.count <= 64 else { return nil }
        while !rest.isEmpty {
            number = String(rest.prefix { $0.isASCII && $0.isNumber })
            guard !number.isEmpty, number.count <= 12, let amount = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit: Double
            if rest.hasPrefix("ms") { unit = 0.001; rest = rest.dropFirst(2) }
            else if rest.hasPrefix("s") { unit = 1; rest = rest.dropFirst() }
            else if rest.hasPrefix("m") { unit = 60; rest = rest.dropFirst() }
            else if rest.hasPrefix("h") { unit = 3600; rest = rest.dropFirst() }
            else if rest.hasPrefix("d") { unit = 86400; rest = rest.dropFirst() }
            else { return nil }
            total += amount * unit
        }
        return total
    }

    /// `KEY=VALUE` with KEY an identifier.
    public static func keyValue(_ value: String, option: String = "--set") throws -> (key: String, value: String) {
        guard let equals = value.firstIndex(of: "=") else {
            throw PlatformError.invalidInput("invalid \(option) \(quoted(value)): expected KEY=VALUE")
        }
        let key = String(value[..<equals])
        guard isIdentifier(key) else {
            throw PlatformError.invalidInput(
                "invalid \(option) key \(quoted(key)): use letters, digits and '_', starting with a letter or '_'")
        }
        return (key, String(value[value.index(after: equals)...]))
    }

    public static func isIdentifier(_ value: String) -> Bool {
        guard let first = value.utf8.first, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return value.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    public static func positiveInteger(_ value: String, what: String, range: ClosedRange<Int>) throws -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw PlatformError.invalidInput(
                "invalid \(what) \(quoted(value)): use a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A value shown in an error: quoted, control characters escaped, long values cut.
    public static func quoted(_ value: String) -> String {
        var shown = value.count > 80 ? String(value.prefix(77)) + "..." : value
        shown = shown.unicodeScalars.map { scalar in
            scalar.value < 0x20 || scalar.value == 0x7f
                ? String(format: "\\x%02x", scalar.value) : String(scalar)
        }.joined()
        return "'\(shown)'"
    }

    private static func isLower(_ byte: UInt8) -> Bool { byte >= 97 && byte <= 122 }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    private static func isLetter(_ byte: UInt8) -> Bool { isLower(byte) || (byte >= 65 && byte <= 90) }
}
