import Foundation

// The EmbedTemplates build-tool plugin's worker: `EmbedTemplatesTool TEMPLATES_DIR OUTPUT.swift [--listing=X]` writes
// every regular file below TEMPLATES_DIR (hidden ones too, sorted by path) as base64 into one Swift
// file for PlatformCore. Symbolic links and other special files are refused.
let arguments = CommandLine.arguments.filter { !$0.hasPrefix("--listing=") }  // only there to rerun the command
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: EmbedTemplatesTool TEMPLATES_DIR OUTPUT.swift\n".utf8))
    exit(64)
}
let root = URL(fileURLWithPath: arguments[1]).standardizedFileURL.path
var entries: [(path: String, executable: Bool, data: Data)] = []
let files = FileManager.default
guard let walker = files.enumerator(atPath: root) else {
    FileHandle.standardError.write(Data("EmbedTemplatesTool: cannot read \(root)\n".utf8))
    exit(1)
}
for case let relative as String in walker {
    let full = root + "/" + relative
    let attributes = try files.attributesOfItem(atPath: full)
    let type = attributes[.type] as? FileAttributeType
    if type == .typeDirectory { continue }
    guard type == .typeRegular else {
        FileHandle.standardError.write(Data("EmbedTemplatesTool: \(full) is not a regular file; templates may hold only files and folders\n".utf8))
        exit(1)
    }
    let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
    guard let data = files.contents(atPath: full) else {
        FileHandle.standardError.write(Data("EmbedTemplatesTool: cannot read \(full)\n".utf8))
        exit(1)
    }
    entries.append((relative, mode & 0o111 != 0, data))
}
entries.sort { $0.path < $1.path }

func literal(_ text: String) -> String {
    var escaped = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": escaped += "\\\\"
        case "\"": escaped += "\\\""
        case _ where scalar.value < 0x20 || scalar.value == 0x7f: escaped += "\\u{\(String(scalar.value, radix: 16))}"
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return "\"" + escaped + "\""
}

var source = """
// Generated at build time by the EmbedTemplates plugin from templates/ (\(entries.count) files). Do not edit.

extension EmbeddedTemplates {
    static let archive: [EmbeddedFile] = [

"""
for entry in entries {
    source += "        EmbeddedFile(path: \(literal(entry.path)), executable: \(entry.executable), base64: \"\(entry.data.base64EncodedString())\"),\n"
}
source += "    ]\n}\n"
let output = URL(fileURLWithPath: arguments[2])
if files.contents(atPath: output.path) != Data(source.utf8) {
    try Data(source.utf8).write(to: output, options: .atomic)
}
