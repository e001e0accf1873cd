// swift-tools-version:6.0
// A package that depends on Fovea the way any other package would, to prove
// that Fovea can be a dependency (no unsafeFlags anywhere in its targets).
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [.package(name: "Fovea", path: "../..")],
    targets: [
        .executableTarget(name: "consumer", dependencies: [.product(name: "Fovea", package: "Fovea")])
    ]
)
