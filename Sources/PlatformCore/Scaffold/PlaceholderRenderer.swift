import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Placeholder rendering: `{{name}}` / `{{ name }}` with known variables; anything else is left alone.
public struct PlaceholderRenderer: Sendable {
    public var variables: [String: String]

    public init(variables: [String: String]) {
        self.variables = variables
    }

    public func render(_ text: String) -> String {
        guard text.contains("{{") else { return text }
        return String(decoding: render(Data(text.utf8)), as: UTF8.self)
    }

    /// The same on bytes (file contents): `{{ key }}` (spaces or tabs around the key) with a known
    /// identifier is replaced; anything else is copied as it is. Works on the bytes directly, so a
    /// large file without placeholders costs one scan and one copy.
    public func render(_ data: Data) -> Data {
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Data in
            let bytes = raw.bindMemory(to: UInt8.self)
            let count = bytes.count
            guard let base = bytes.baseAddress, count >= 4 else { return data }
            var output = Data()
            var copied = 0
            var index = 0
            while index + 1 < count, let found = memchr(base + index, Int32(open), count - index - 1) {
                let start = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                guard bytes[start + 1] == open else {
                    index = start + 1
                    continue
                }
                var end = start + 2
                while end + 1 < count && !(bytes[end] == close && bytes[end + 1] == close) { end += 1 }
                guard end + 1 < count else { break }  // no closing braces: the rest is copied as it is
                var keyStart = start + 2, keyEnd = end
                while keyStart < keyEnd && (bytes[keyStart] == 0x20 || bytes[keyStart] == 0x09) { keyStart += 1 }
                while keyEnd > keyStart && (bytes[keyEnd - 1] == 0x20 || bytes[keyEnd - 1] == 0x09) { keyEnd -= 1 }
                let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[keyStart..<keyEnd]), as: UTF8.self)
                if let value = variables[key], Validate.isIdentifier(key) {
                    if output.isEmpty { output.reserveCapacity(count + 64) }
                    output.append(UnsafeBufferPointer(rebasing: bytes[copied..<start]))
                    output.append(contentsOf: Array(value.utf8))
                    index = end + 2
                    copied = index
                } else {
                    index = start + 1
                }
            }
            if copied == 0 { return data }
            output.append(UnsafeBufferPointer(rebasing: bytes[copied..<count]))
            return output
        }
    }

    /// Built-in variables derived from the service name.
    public static func builtins(name: String) -> [String: String] {
        let parts = name.split(separator: "-")
        return [
            "name": name,
            "name_snake": name.replacingOccurrences(of: "-", with: "_"),
            "name_pascal": parts.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(),
        ]
    }
}
