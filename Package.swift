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
        .target(name: "PlatformCore"),
        .target(name: "PlatformTestSupport", dependencies: ["PlatformCore", "PlatformCLI"]),
        .testTarget(name: "PlatformCoreTests", dependencies: ["PlatformCore", "PlatformTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "PlatformCLITests", dependencies: ["PlatformCLI", "PlatformTestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["PlatformCore", "PlatformCLI", "PlatformTestSupport"]),
    ]
)
