// swift-tools-version:6.0
// Fovea's benchmarks, kept out of the library's own package so that users of
// Fovea never pull benchmark code or its dependencies.
import PackageDescription

let package = Package(
    name: "FoveaBenchmarks",
    dependencies: [.package(name: "Fovea", path: "..")],
    targets: [
        .target(name: "ReferenceCycles", path: "Sources/ReferenceCycles"),
        .executableTarget(
            name: "fovea-bench",
            dependencies: [.product(name: "Fovea", package: "Fovea"), "ReferenceCycles"],
            path: "Sources/fovea-bench"
        ),
    ]
)
