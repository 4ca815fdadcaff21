import Foundation

/// `template.json` of a template folder.
public struct TemplateManifest: Codable, Sendable, Equatable {
    public struct Variable: Codable, Sendable, Equatable {
        public var `default`: String?
        public var description: String?
        public var pattern: String?

        public init(default: String? = nil, description: String? = nil, pattern: String? = nil) {
            self.default = `default`
            self.description = description
            self.pattern = pattern
        }
    }

    public var description: String
    public var variables: [String: Variable]
    /// Service names the template cannot take (they would shadow a package the generated code imports).
    public var reservedNames: [String]

    public init(description: String, variables: [String: Variable] = [:]) {
        self.description = description
        self.variables = variables
        self.reservedNames = []
    }

    enum CodingKeys: String, CodingKey { case description, variables, reservedNames }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        variables = try container.decodeIfPresent([String: Variable].self, forKey: .variables) ?? [:]
        reservedNames = try container.decodeIfPresent([String].self, forKey: .reservedNames) ?? []
    }

    public static let fileName = "template.json"

    public static func load(from directory: String) throws -> TemplateManifest {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlatformError.invalidInput("not a template: \(path) is missing")
        }
        do {
            return try JSONDecoder().decode(TemplateManifest.self, from: data)
        } catch {
            throw PlatformError.invalidInput("invalid template manifest \(path): \(describe(decodingError: error))")
        }
    }
}
