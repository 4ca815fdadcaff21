import Foundation

/// `template.json` of a template folder.
public struct TemplateManifest: Codable, Sendable, Equatable {
    public struct Variable: Codable, Sendable, Equatable {
        public var `default`: String?
        public var description: String?
        public var pattern: String?
        /// Values may hold control characters (newlines, tabs) only when the template says so.
        public var allowControlCharacters: Bool?
        /// The variable's name in older versions: `platform upgrade` carries the recorded value over.
        public var renamedFrom: String?

        public init(default: String? = nil, description: String? = nil, pattern: String? = nil, renamedFrom: String? = nil,
                    allowControlCharacters: Bool? = nil) {
            self.default = `default`
            self.description = description
            self.pattern = pattern
            self.renamedFrom = renamedFrom
            self.allowControlCharacters = allowControlCharacters
        }

        /// Whether `value` is allowed: no control characters unless allowed, and the whole value
        /// matching `pattern`, anchored with `\A`/`\z` (ICU's `$` also matches before a final
        /// newline, so `^(?:P)$` let `8080\n` through). Throws for a pattern that does not compile.
        public func accepts(_ value: String) throws -> Bool {
            if allowControlCharacters != true, value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
                return false
            }
            guard let pattern else { return true }
            let expression = try NSRegularExpression(pattern: "\\A(?:\(pattern))\\z")
            let whole = NSRange(value.startIndex..., in: value)
            return expression.firstMatch(in: value, options: [.anchored], range: whole)?.range == whole
        }
    }

    /// Files rendered only when template variables have given values (`conditionalFiles` in
    /// template.json), e.g. the CI pipeline `scaffold --ci` picked.
    public struct FileCondition: Codable, Sendable, Equatable {
        /// Template-relative paths; a folder covers everything below it.
        public var paths: [String]
        /// Every variable named here must have this value for the paths to be rendered.
        public var when: [String: String]

        public init(paths: [String], when: [String: String]) {
            self.paths = paths
            self.when = when
        }

        /// Whether `relative` (a template-relative file path) is one of `paths` or below one.
        public func covers(_ relative: String) -> Bool {
            paths.contains { relative == $0 || relative.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }

        public func holds(for variables: [String: String]) -> Bool {
            when.allSatisfy { variables[$0.key] == $0.value }
        }
    }

    public var description: String
    public var variables: [String: Variable]
    /// Service names the template cannot take (they would shadow a package the generated code imports).
    public var reservedNames: [String]
    public var conditionalFiles: [FileCondition]
    /// The template's version (semver), for `platform upgrade`. Git templates take their tag instead.
    public var version: String?
    /// Programs `platform upgrade` runs in the project when it crosses a version (see `TemplateMigration`).
    public var migrations: [TemplateMigration]

    public init(description: String, variables: [String: Variable] = [:], conditionalFiles: [FileCondition] = [],
                version: String? = nil, migrations: [TemplateMigration] = []) {
        self.description = description
        self.variables = variables
        self.reservedNames = []
        self.conditionalFiles = conditionalFiles
        self.version = version
        self.migrations = migrations
    }

    /// Whether the template file `relative` is rendered with these variables: not covered by a
    /// condition that does not hold.
    public func includes(_ relative: String, variables: [String: String]) -> Bool {
        !conditionalFiles.contains { $0.covers(relative) && !$0.holds(for: variables) }
    }

    enum CodingKeys: String, CodingKey { case description, variables, reservedNames, conditionalFiles, version, migrations }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        variables = try container.decodeIfPresent([String: Variable].self, forKey: .variables) ?? [:]
        reservedNames = try container.decodeIfPresent([String].self, forKey: .reservedNames) ?? []
        conditionalFiles = try container.decodeIfPresent([FileCondition].self, forKey: .conditionalFiles) ?? []
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
