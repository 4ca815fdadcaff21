import Foundation

/// The bundled application module (`templates/terraform/application`), found among the template folders.
public enum ApplicationModule {
    public static let templateID = "terraform/application"

    /// Variables `create` itself passes to the module; `--set` may not name them.
    public static let reservedVariables: Set<String> = ["name", "environment", "domain", "instance_type", "replicas"]

    /// The variables the module at `path` declares (`variable "NAME"` blocks of its .tf files, or the
    /// `variable` object of .tf.json files) that `--set` may give.
    public static func settableVariables(at path: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        var names: Set<String> = []
        for file in files {
            let full = path + "/" + file
            if file.hasSuffix(".tf"), let text = try? String(contentsOfFile: full, encoding: .utf8) {
                let pattern = try? NSRegularExpression(pattern: #"^\s*variable\s+"([A-Za-z_][A-Za-z0-9_-]*)""#,
                                                       options: .anchorsMatchLines)
                for match in pattern?.matches(in: text, range: NSRange(text.startIndex..., in: text)) ?? [] {
                    if let range = Range(match.range(at: 1), in: text) { names.insert(String(text[range])) }
                }
            } else if file.hasSuffix(".tf.json"), let data = FileManager.default.contents(atPath: full),
                      let document = try? JSONDecoder().decode(JSONValue.self, from: data) {
                names.formUnion(document["variable"]?.objectValue?.keys ?? [String: JSONValue]().keys)
            }
        }
        return names.subtracting(reservedVariables).sorted()
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
