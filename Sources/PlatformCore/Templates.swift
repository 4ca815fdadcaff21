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

/// Where a template comes from, as written after `--template`.
public enum TemplateReference: Sendable, Equatable {
    /// `python/flask`, looked up in the template store.
    case id(String)
    /// A local folder holding a template.json.
    case path(String)
    /// `git+URL[//SUBDIR][@REF]`, cloned with git.
    case git(url: String, subdirectory: String?, ref: String?)

    public static func parse(_ text: String) throws -> TemplateReference {
        if text.hasPrefix("git+") {
            return try parseGit(String(text.dropFirst(4)))
        }
        if text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("~/") || text == "." {
            return .path(text)
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let segment = "^[a-z0-9][a-z0-9._-]*$"
        if parts.count == 2, parts.allSatisfy({ $0.range(of: segment, options: .regularExpression) != nil }) {
            return .id(text)
        }
        throw PlatformError.invalidInput(
            "invalid template \(Validate.quoted(text)): use LANG/FRAMEWORK (see 'platform templates'), a folder path (./my-template) or git+URL//SUBDIR@REF")
    }

    private static func parseGit(_ text: String) throws -> TemplateReference {
        guard let scheme = text.range(of: "://") else {
            throw PlatformError.invalidInput("invalid template git+\(text): expected git+SCHEME://HOST/REPO[//SUBDIR][@REF]")
        }
        var url = text
        var subdirectory: String?
        if let split = text.range(of: "//", range: scheme.upperBound..<text.endIndex) {
            url = String(text[..<split.lowerBound])
            subdirectory = String(text[split.upperBound...])
        }
        var ref: String?
        if var sub = subdirectory {
            if let at = sub.lastIndex(of: "@") {
                ref = String(sub[sub.index(after: at)...])
                sub = String(sub[..<at])
            }
            subdirectory = sub.isEmpty ? nil : sub
        } else if let at = url.lastIndex(of: "@"), let slash = url.lastIndex(of: "/"), at > slash {
            ref = String(url[url.index(after: at)...])
            url = String(url[..<at])
        }
        if let sub = subdirectory, !isSafeRelativePath(sub) {
            throw PlatformError.invalidInput("invalid template subfolder \(Validate.quoted(sub)): it must stay inside the repository")
        }
        if let ref, ref.isEmpty || ref.hasPrefix("-") {
            throw PlatformError.invalidInput("invalid template ref \(Validate.quoted(ref))")
        }
        return .git(url: url, subdirectory: subdirectory, ref: ref)
    }

    public var description: String {
        switch self {
        case .id(let id): return id
        case .path(let path): return path
        case .git(let url, let sub, let ref):
            return "git+" + url + (sub.map { "//" + $0 } ?? "") + (ref.map { "@" + $0 } ?? "")
        }
    }
}

/// A relative path with no `..`, no absolute start and no empty parts.
public func isSafeRelativePath(_ path: String) -> Bool {
    guard !path.isEmpty, !path.hasPrefix("/") else { return false }
    return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { $0 != ".." && !$0.isEmpty }
}

/// A template found on disk.
public struct TemplateInfo: Sendable, Equatable, Encodable {
    public var id: String
    public var directory: String
    public var manifest: TemplateManifest

    enum CodingKeys: String, CodingKey { case id, description, variables, directory }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(manifest.description, forKey: .description)
        try container.encode(manifest.variables, forKey: .variables)
        try container.encode(directory, forKey: .directory)
    }
}

/// The folders templates are looked up in, first match wins: `--templates-dir`,
/// `PLATFORM_TEMPLATES_DIR`, the installed `PREFIX/share/platform/templates`, the source checkout's `templates/`.
public struct TemplateStore: Sendable {
    public var directories: [String]

    public init(directories: [String]) {
        self.directories = directories
    }

    public static func standard(explicit: String?, environment: [String: String], executablePath: String) -> TemplateStore {
        var directories: [String] = []
        if let explicit { directories.append(explicit) }
        if let fromEnvironment = environment["PLATFORM_TEMPLATES_DIR"], !fromEnvironment.isEmpty {
            directories.append(fromEnvironment)
        }
        let executable = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
        let prefix = executable.deletingLastPathComponent().deletingLastPathComponent()
        directories.append(prefix.appendingPathComponent("share/platform/templates").path)
        var folder = executable.deletingLastPathComponent()
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                directories.append(folder.appendingPathComponent("templates").path)
                break
            }
            folder = folder.deletingLastPathComponent()
        }
        return TemplateStore(directories: directories)
    }

    public func find(_ id: String) throws -> TemplateInfo {
        for directory in directories {
            let candidate = directory + "/" + id
            if FileManager.default.fileExists(atPath: candidate + "/" + TemplateManifest.fileName) {
                return TemplateInfo(id: id, directory: candidate, manifest: try TemplateManifest.load(from: candidate))
            }
        }
        let known = (try? list().map(\.id)) ?? []
        let listing = known.isEmpty ? "no templates found in \(directories.joined(separator: ", "))" : "available: " + known.joined(separator: ", ")
        throw PlatformError.invalidInput("unknown template \(Validate.quoted(id)); \(listing)")
    }

    /// Every template (`LANG/FRAMEWORK` folders with a template.json), first directory wins.
    public func list() throws -> [TemplateInfo] {
        var found: [String: TemplateInfo] = [:]
        let files = FileManager.default
        for directory in directories.reversed() {
            guard let languages = try? files.contentsOfDirectory(atPath: directory) else { continue }
            for language in languages where !language.hasPrefix(".") {
                guard let frameworks = try? files.contentsOfDirectory(atPath: directory + "/" + language) else { continue }
                for framework in frameworks {
                    let folder = directory + "/" + language + "/" + framework
                    guard files.fileExists(atPath: folder + "/" + TemplateManifest.fileName) else { continue }
                    let id = language + "/" + framework
                    found[id] = TemplateInfo(id: id, directory: folder, manifest: try TemplateManifest.load(from: folder))
                }
            }
        }
        return found.values.sorted { $0.id < $1.id }
    }
}

/// A readable one-line description of a JSON decoding error (which key, what was wrong).
public func describe(decodingError error: Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return keys.isEmpty ? "" : " at '\(keys.joined(separator: "."))'"
    }
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
        return context.debugDescription + path(context)
    case .keyNotFound(let key, let context):
        return "missing key '\(key.stringValue)'" + path(context)
    case .dataCorrupted(let context):
        let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return (underlying ?? context.debugDescription) + path(context)
    @unknown default:
        return "\(error)"
    }
}
