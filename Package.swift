// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "platform",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "platform", targets: ["platform"]),
    ],
    targets: [
        .executableTarget(name: "platform", dependencies: ["PlatformCLI"]),
        .target(name: "PlatformCLI", dependencies: ["PlatformCore"]),
        // The bundled templates and Terraform module are compiled into PlatformCore (Plugins/EmbedTemplates).
        .target(name: "PlatformCore", plugins: ["EmbedTemplates"]),
        .executableTarget(name: "EmbedTemplatesTool"),
        .plugin(name: "EmbedTemplates", capability: .buildTool(), dependencies: ["EmbedTemplatesTool"]),
        .target(name: "PlatformTestSupport", dependencies: ["PlatformCore", "PlatformCLI"]),
        .testTarget(name: "PlatformCoreTests", dependencies: ["PlatformCore", "PlatformTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "PlatformCLITests", dependencies: ["PlatformCLI", "PlatformTestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["PlatformCore", "PlatformCLI", "PlatformTestSupport"]),
    ]
)
