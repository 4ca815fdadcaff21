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
        .target(name: "PlatformCore", dependencies: ["CSpawn"], plugins: ["EmbedTemplates"]),
        // fork/exec with PR_SET_PDEATHSIG, which Foundation's Process cannot do (docs/architecture.md).
        .target(name: "CSpawn"),
        .executableTarget(name: "EmbedTemplatesTool"),
        .plugin(name: "EmbedTemplates", capability: .buildTool(), dependencies: ["EmbedTemplatesTool"]),
        .target(name: "PlatformTestSupport", dependencies: ["PlatformCore", "PlatformCLI"]),
        .testTarget(name: "PlatformCoreTests", dependencies: ["PlatformCore", "PlatformTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "PlatformCLITests", dependencies: ["PlatformCLI", "PlatformTestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["PlatformCore", "PlatformCLI", "PlatformTestSupport"]),
    ]
)
