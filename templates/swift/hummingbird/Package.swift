// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "{{name}}",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "{{name}}", targets: ["{{name_pascal}}"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "{{name_pascal}}",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "{{name_pascal}}Tests",
            dependencies: [
                .target(name: "{{name_pascal}}"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
