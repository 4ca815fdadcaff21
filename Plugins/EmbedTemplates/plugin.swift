import Foundation
import PackagePlugin

/// Embeds every file under the package's `templates/` into PlatformCore as generated Swift source, so a
/// `platform` binary copied anywhere (without `share/platform/templates` or the checkout) still has
/// the bundled templates and the Terraform module. SwiftPM resources would not do: on Linux they are a
/// `*.resources` folder next to the binary, which a binary copied alone does not have.
@main
struct EmbedTemplates: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let templates = context.package.directoryURL.appending(path: "templates")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedTemplateData.swift")
        var inputs: [URL] = []
        if let walker = FileManager.default.enumerator(at: templates, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                inputs.append(url)
            }
        }
        inputs.sort { $0.path < $1.path }
        // A changed file reruns the command through its inputs; a file added or removed changes only
        // the list, so the list's digest is an argument (a new command line reruns it too).
        var digest: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in inputs.map(\.path).joined(separator: "\n").utf8 {
            digest = (digest ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return [
            .buildCommand(displayName: "Embedding the bundled templates (\(inputs.count) files)",
                          executable: try context.tool(named: "EmbedTemplatesTool").url,
                          arguments: [templates.path, output.path, "--listing=" + String(digest, radix: 16)],
                          inputFiles: inputs,
                          outputFiles: [output]),
        ]
    }
}
