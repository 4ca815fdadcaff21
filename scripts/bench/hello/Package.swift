// swift-tools-version:6.0
// The startup reference for `make bench`: a Foundation hello-world, built the same way as platform
// (release). Not part of the platform package.
import PackageDescription

let package = Package(
    name: "hello",
    targets: [.executableTarget(name: "hello", path: "Sources/hello")]
)
