import Foundation

/// A template found on disk.
public struct TemplateInfo: Sendable, Equatable, Encodable {
    public var id: String
    public var directory: String
    public var manifest: TemplateManifest

    enum CodingKeys: String, CodingKey { case id, description, variables, directory, version }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(manifest.description, forKey: .description)
        try container.encode(manifest.variables, forKey: .variables)
        try container.encode(directory, forKey: .directory)
        try container.encodeIfPresent(manifest.version, forKey: .version)
    }
}

/// The folders templates are looked up in, first match wins: `--templates-dir`,
/// `PLATFORM_TEMPLATES_DIR`, the config's `templates_source` (`TemplateSource`), the installed `PREFIX/share/platform/templates`, the source checkout's
/// `templates/`; then the templates embedded in the binary (`EmbeddedTemplates`, written into the
/// cache only when a lookup gets that far).
public struct TemplateStore: Sendable {
    public var directories: [String]
    /// The process environment for the embedded templates' cache folder; nil: folders only.
    public var embeddedEnvironment: [String: String]?

    /// Folders only (tests, explicit stores).
    public init(directories: [String]) {
        self.init(directories: directories, embeddedEnvironment: nil)
    }

    public init(directories: [String], embeddedEnvironment: [String: String]?) {
        self.directories = directories
        self.embeddedEnvironment = embeddedEnvironment
    }

    /// The folders, then the embedded templates' folder (written into the cache now if needed).
    public func searchDirectories() throws -> [String] {
        guard let embeddedEnvironment, !EmbeddedTemplates.files.isEmpty else { return directories }
        return directories + [try EmbeddedTemplates.materialize(environment: embeddedEnvironment)]
    }

    /// `configured`: the folder `templates_source` gives (a folder, or a git source's cached clone).
    public static func standard(explicit: String?, environment: [String: String], executablePath: String,
                                configured: String? = nil) -> TemplateStore {
        var directories: [String] = []
        if let explicit { directories.append(explicit) }
        if let fromEnvironment = environment["PLATFORM_TEMPLATES_DIR"], !fromEnvironment.isEmpty {
            directories.append(fromEnvironment)
        }
        if let configured { directories.append(configured) }
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
        return TemplateStore(directories: directories, embeddedEnvironment: environment)
    }

    public func find(_ id: String) throws -> TemplateInfo {
        for directory in directories {
            let candidate = directory + "/" + id
            if FileManager.default.fileExists(atPath: candidate + "/" + TemplateManifest.fileName) {
                return TemplateInfo(id: id, directory: candidate, manifest: try TemplateManifest.load(from: candidate))
            }
        }
        for directory in try searchDirectories().dropFirst(directories.count) {
            let candidate = directory + "/" + id
            if FileManager.default.fileExists(atPath: candidate + "/" + TemplateManifest.fileName) {
                return TemplateInfo(id: id, directory: candidate, manifest: try TemplateManifest.load(from: candidate))
            }
        }
        let known = (try? list().map(\.id)) ?? []
        let searched = (try? searchDirectories()) ?? directories
        let listing = known.isEmpty ? "no templates found in \(searched.joined(separator: ", "))" : "available: " + known.joined(separator: ", ")
        throw PlatformError.invalidInput("unknown template \(Validate.quoted(id)); \(listing)")
    }

    /// Every template (`LANG/FRAMEWORK` folders with a template.json), first directory wins.
    public func list() throws -> [TemplateInfo] {
        var found: [String: TemplateInfo] = [:]
        let files = FileManager.default
        for directory in try searchDirectories().reversed() {
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
