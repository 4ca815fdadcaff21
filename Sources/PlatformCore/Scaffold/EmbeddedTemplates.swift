import Foundation

/// One file of `templates/` as the EmbedTemplates build-tool plugin put it into the binary.
public struct EmbeddedFile: Sendable {
    /// Relative to `templates/` (`python/flask/app.py`).
    public let path: String
    public let executable: Bool
    let base64: String

    public var data: Data { Data(base64Encoded: base64) ?? Data() }
}

/// The bundled templates and the Terraform module, embedded in the binary at build time (see
/// Plugins/EmbedTemplates), so a binary copied anywhere alone still scaffolds and creates. Templates are
/// written once into the cache (`$XDG_CACHE_HOME/platform/bundled/DIGEST`, else `~/.cache/platform/…`)
/// and looked up there after every folder given by flag, environment, config or install prefix; the
/// module is written into the workspace that uses it.
public enum EmbeddedTemplates {
    public static var files: [EmbeddedFile] { archive }

    /// A digest of every path, mode and byte: the cache folder's name, so a new binary never reuses
    /// an older binary's files.
    public static let digest: String = {
        var hash = SHA256()
        for file in archive {
            hash.update(file.path + (file.executable ? "\u{0}x\u{0}" : "\u{0}-\u{0}"))
            hash.update(file.base64 + "\n")
        }
        return String(hash.finalize().prefix(16))
    }()

    /// `$XDG_CACHE_HOME/platform` (absolute only), else `~/.cache/platform`.
    public static func cacheRoot(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/platform" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/platform"
    }

    public static func folder(environment: [String: String]) -> String {
        cacheRoot(environment: environment) + "/bundled/" + digest
    }

    /// The folder holding the embedded templates, written on first use (into a temporary sibling,
    /// renamed into place when complete, so a half-written folder is never used).
    public static func materialize(environment: [String: String]) throws -> String {
        let target = folder(environment: environment)
        if FileManager.default.fileExists(atPath: target) { return target }
        let parent = (target as NSString).deletingLastPathComponent
        let scratch = parent + "/.tmp-\(digest)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try write(prefix: "", to: scratch)
            if rename(scratch, target) != 0 {
                try? FileManager.default.removeItem(atPath: scratch)
                // Another run may have put the same files there first.
                guard FileManager.default.fileExists(atPath: target) else {
                    throw PlatformError.failed("could not write the bundled templates to \(target): \(String(cString: strerror(errno)))")
                }
            }
            return target
        } catch let error as PlatformError {
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw PlatformError.failed("could not write the bundled templates to \(target): \(error.localizedDescription)")
        }
    }

    /// The embedded files below `prefix` (a folder path ending in `/`, or "" for all).
    public static func files(under prefix: String) -> [EmbeddedFile] {
        archive.filter { $0.path.hasPrefix(prefix) }
    }

    /// Writes the files below `prefix` into `folder` (created; existing files replaced, others left).
    public static func write(prefix: String, to folder: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in files(under: prefix) {
            let path = folder + "/" + file.path.dropFirst(prefix.count)
            try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let data = file.data
            if manager.contents(atPath: path) != data {
                try data.write(to: URL(fileURLWithPath: path), options: .atomic)
            }
            try manager.setAttributes([.posixPermissions: file.executable ? 0o755 : 0o644], ofItemAtPath: path)
        }
    }
}
