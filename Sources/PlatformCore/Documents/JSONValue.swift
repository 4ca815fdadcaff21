import Foundation

/// Any JSON document, for the parts that are generic: merge patches (`overrides`), objects read back
/// from kubectl, Terraform outputs. Typed documents are built with Codable structs and converted.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Converts any Encodable (a typed manifest) into a JSONValue.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self))
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// `value["metadata", "name"]`
    public subscript(path: String...) -> JSONValue? {
        path.reduce(Optional(self)) { $0?[$1] }
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The number, truncated to an Int; nil when it does not fit (1e300, NaN): cluster data must never trap.
    public var intValue: Int? {
        guard case .number(let n) = self, n.isFinite, n > -9.2e18, n < 9.2e18 else { return nil }
        return Int(n)
    }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }

    /// RFC 7386 JSON merge patch: objects merge recursively, `null` removes, anything else replaces.
    public func merging(patch: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var result = objectValue ?? [:]
        for (key, value) in patchObject {
            if value == .null {
                result[key] = nil
            } else {
                result[key] = (result[key] ?? .null).merging(patch: value)
            }
        }
        return .object(result)
    }

    /// Stable, sorted-key JSON bytes.
    public func encoded(pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// One JSON document as the platform writes it everywhere (stdout with `-o json`, `main.tf.json`,
/// `.platform/template.json`): pretty, sorted keys, `/` unescaped, ISO 8601 dates, a final newline.
public func stableJSONDocument<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    var data = try encoder.encode(value)
    data.append(UInt8(ascii: "\n"))
    return data
}
