import Foundation

/// `template.json` of a template folder.
public struct TemplateManifest: Codable, Sendable, Equatable {
    public struct Variable: Codable, Sendable, Equatable {
        public var `default`: String?
        public var description: String?
        public var pattern: String?
        /// The variable's name in older versions: `platform upgrade` carries the recorded value over.
        public var renamedFrom: String?

        public init(default: String? = nil, description: String? = nil, pattern: String? = nil, renamedFrom: String? = nil) {
            self.default = `default`
            self.description = description
            self.pattern = pattern
            self.renamedFrom = renamedFrom
        }
    }

    public var description: String
    public var variables: [String: Variable]
    /// Service names the template cannot take (they would shadow a package the generated code imports).
    public var reservedNames: [String]
    /// The template's version (semver), for `platform upgrade`. Git templates take their tag instead.
    public var version: String?
    /// Programs `platform upgrade` runs in the project when it crosses a version (see `TemplateMigration`).
    public var migrations: [TemplateMigration]

    public init(description: String, variables: [String: Variable] = [:], version: String? = nil,
                migrations: [TemplateMigration] = []) {
        self.description = description
        self.variables = variables
        self.reservedNames = []
        self.version = version
        self.migrations = migrations
    }

    enum CodingKeys: String, CodingKey { case description, variables, reservedNames, version, migrations }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        variables = try container.decodeIfPresent([String: Variable].self, forKey: .variables) ?? [:]
        reservedNames = try container.decodeIfPresent([String].self, forKey: .reservedNames) ?? []
        version = try container.decodeIfPresent(String.self, forKey: .version)
        migrations = try container.decodeIfPresent([TemplateMigration].self, forKey: .migrations) ?? []
        if let version, SemanticVersion(version) == nil {
            throw DecodingError.dataCorruptedError(forKey: .version, in: container,
                                                   debugDescription: "version \(Validate.quoted(version)) is not a semantic version (like 1.2.0)")
        }
        for migration in migrations {
            guard SemanticVersion(migration.version) != nil, !migration.command.isEmpty else {
                throw DecodingError.dataCorruptedError(
                    forKey: .migrations, in: container,
                    debugDescription: "a migration needs a semantic \"version\" and a non-empty \"command\" argument array")
            }
        }
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
