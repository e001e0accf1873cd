// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Fovea",
    products: [
        .library(name: "Fovea", targets: ["Fovea"]),
        .executable(name: "fovea", targets: ["fovea"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Eigen, header-only, found through pkg-config. Used by the kernels only.
        .systemLibrary(
            name: "CEigen",
            path: "Sources/CEigen",
            pkgConfig: "eigen3",
            providers: [.apt(["libeigen3-dev"]), .brew(["eigen"])]
        ),
        // The C/C++ kernels. SIMD code is chosen per function with target
        // attributes and run-time dispatch: no unsafe compiler flags, no -march.
        .target(
            name: "CKernels",
            dependencies: ["CEigen"],
            path: "CKernels",
            sources: ["src"],
            publicHeadersPath: "include",
            cxxSettings: [
                .headerSearchPath("src"),
                .define("NDEBUG", .when(configuration: .release)),
                .define("EIGEN_MPL2_ONLY"),
            ]
        ),
        .target(
            name: "Fovea",
            dependencies: ["CKernels"],
            path: "Sources/Fovea"
        ),
        .executableTarget(
            name: "fovea",
            dependencies: [
                "Fovea",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/fovea"
        ),
        .testTarget(
            name: "FoveaTests",
            dependencies: ["Fovea", "CKernels"],
            path: "Tests/FoveaTests"
        ),
    ],
    cxxLanguageStandard: .cxx17
)
