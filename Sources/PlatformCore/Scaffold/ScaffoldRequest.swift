import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct ScaffoldRequest: Sendable, Equatable {
    public var name: String
    public var template: TemplateReference
    /// The folder the new project folder is created in.
    public var parentDirectory: String
    /// `--set KEY=VALUE`, in order.
    public var variables: [String: String]
    /// Values from the configuration (e.g. `ci`) for the variables the template declares; below
    /// `variables`, above the template's defaults, and ignored by templates without such a variable.
    public var defaults: [String: String]
    public var git: Bool

    public init(name: String, template: TemplateReference, parentDirectory: String,
                variables: [String: String] = [:], defaults: [String: String] = [:], git: Bool = true) {
        self.name = name
        self.template = template
        self.parentDirectory = parentDirectory
        self.variables = variables
        self.defaults = defaults
        self.git = git
    }
}

/// One file of the plan: where it comes from and where it goes (relative paths).
public struct PlannedFile: Sendable, Equatable, Encodable {
    public var source: String
    public var target: String
    public var binary: Bool
    public var symlink: String?
    /// Permission bits of the template file, kept on the rendered file.
    public var mode: Int
}

/// What lstat(2) says of a path. FileManager's attribute dictionary would do too, but it resolves
/// owner and group names by reading /etc/passwd and /etc/group for every file it is asked about.
struct FileStatus {
    enum Kind { case directory, regular, symlink, other }
    var kind: Kind
    var mode: Int

    init(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw PlatformError.failed("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFREG: kind = .regular
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        mode = Int(info.st_mode & 0o7777)
    }
}

/// Everything scaffold will do, computed before anything is written.
public struct ScaffoldPlan: Sendable, Equatable, Encodable {
    public var name: String
    public var path: String
    public var template: String
    public var source: String
    public var templateHash: String
    /// The template's version (template.json's `version`; a git template's tag), when it has one.
    public var version: String?
    /// The commit a git template was rendered from.
    public var commit: String?
    public var variables: [String: String]
    public var files: [PlannedFile]
    public var git: Bool
    public var commitMessage: String
}

public struct ScaffoldResult: Sendable, Equatable, Encodable {
    public var name: String
    public var path: String
    public var template: String
    public var files: Int
    public var commit: String?
    public var variables: [String: String]
}

/// What `.platform/template.json` records in the new project: everything `platform upgrade` needs to
/// render the same template version again (source, version, commit, variables, the hash of the
/// template files it was rendered from).
public struct TemplateRecord: Codable, Sendable, Equatable {
    public var template: String
    public var source: String
    public var templateHash: String
    public var variables: [String: String]
    public var platformVersion: String
    /// nil for projects scaffolded before templates had versions (or from an unversioned template).
    public var version: String?
    /// The template repository's commit, for git templates.
    public var commit: String?

    public init(template: String, source: String, templateHash: String, variables: [String: String],
                platformVersion: String, version: String? = nil, commit: String? = nil) {
        self.template = template
        self.source = source
        self.templateHash = templateHash
        self.variables = variables
        self.platformVersion = platformVersion
        self.version = version
        self.commit = commit
    }

    /// Where it lives in a project.
    public static let path = ".platform/template.json"
}
