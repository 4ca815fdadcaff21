import Foundation

/// The bundled application module (`templates/terraform/application`), found among the template folders.
public enum ApplicationModule {
    public static let templateID = "terraform/application"

    /// Variables `create` itself passes to the module; `--set` may not name them.
    public static let reservedVariables: Set<String> = ["name", "environment", "domain", "instance_type", "replicas"]

    /// Variables `create` passes to the bundled module only: `tls`, whether the Ingress terminates TLS,
    /// so that its `endpoint` output says https only then, the rule of `AppSettings.url`. A module of
    /// one's own is not passed it (its contract stays the five variables above).
    public static let bundledVariables: Set<String> = ["tls"]

    /// The variables the module at `path` declares (`variable "NAME"` blocks of its .tf files, or the
    /// `variable` object of .tf.json files) that `--set` may give.
    public static func settableVariables(at path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return settableVariables(files: names.compactMap { name in
            FileManager.default.contents(atPath: path + "/" + name).map { (name, $0) }
        })
    }

    /// The same, for the module's files as (file name, contents).
    public static func settableVariables(files: [(name: String, contents: Data)]) -> [String] {
        var names: Set<String> = []
        for (file, contents) in files {
            if file.hasSuffix(".tf"), let text = String(data: contents, encoding: .utf8) {
                let pattern = try? NSRegularExpression(pattern: #"^\s*variable\s+"([A-Za-z_][A-Za-z0-9_-]*)""#,
                                                       options: .anchorsMatchLines)
                for match in pattern?.matches(in: text, range: NSRange(text.startIndex..., in: text)) ?? [] {
                    if let range = Range(match.range(at: 1), in: text) { names.insert(String(text[range])) }
                }
            } else if file.hasSuffix(".tf.json"),
                      let document = try? JSONDecoder().decode(JSONValue.self, from: contents) {
                names.formUnion(document["variable"]?.objectValue?.keys ?? [String: JSONValue]().keys)
            }
        }
        return names.subtracting(reservedVariables).subtracting(bundledVariables).sorted()
    }

    /// The module's files embedded in the binary (top level of `terraform/application/`).
    public static var embeddedFiles: [(name: String, contents: Data)] {
        let prefix = templateID + "/"
        return EmbeddedTemplates.files(under: prefix).map { (String($0.path.dropFirst(prefix.count)), $0.data) }
            .filter { !$0.0.contains("/") }
    }

    /// Writes the embedded module into `folder` (a workspace's `module/`, or a dry run's cache folder),
    /// so Terraform reads it from disk; returns the folder.
    public static func writeEmbedded(to folder: String) throws -> String {
        do {
            try EmbeddedTemplates.write(prefix: templateID + "/", to: folder)
        } catch {
            throw PlatformError.failed("could not write the bundled Terraform module to \(folder): \(error.localizedDescription)")
        }
        return folder
    }

    public static func locate(in directories: [String]) throws -> String {
        for directory in directories {
            let candidate = URL(fileURLWithPath: directory + "/" + templateID).standardizedFileURL.path
            if FileManager.default.fileExists(atPath: candidate + "/main.tf") { return candidate }
        }
        throw PlatformError.failed(
            "the bundled Terraform module \(templateID) was not found in \(directories.joined(separator: ", ")); set PLATFORM_TEMPLATES_DIR or module_source in the user config")
    }
}
