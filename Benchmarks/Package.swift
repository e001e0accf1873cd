// swift-tools-version:6.0
// Fovea's benchmarks, kept out of the library's own package so that users of
// Fovea never pull benchmark code or its dependencies.
import PackageDescription

let package = Package(
    name: "FoveaBenchmarks",
    dependencies: [.package(name: "Fovea", path: "..")],
    targets: [
        .target(name: "ReferenceCycles", path: "Sources/ReferenceCycles"),
        .systemLibrary(name: "EigenHeaders", path: "Sources/EigenHeaders", pkgConfig: "eigen3"),
        // The peer is built for this machine's whole instruction set, as the
        // harness in shared/peers builds its peers: the strongest Eigen here.
        // (A root package may use such flags; the library never does.)
        .target(
            name: "EigenPeer",
            dependencies: ["EigenHeaders"],
            path: "Sources/EigenPeer",
            cxxSettings: [.unsafeFlags(["-O3", "-march=native"])]
        ),
        .executableTarget(
            name: "fovea-bench",
            dependencies: [.product(name: "Fovea", package: "Fovea"), "ReferenceCycles", "EigenPeer"],
            path: "Sources/fovea-bench"
        ),
    ],
    cxxLanguageStandard: .cxx17
)
