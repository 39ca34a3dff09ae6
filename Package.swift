// swift-tools-version:6.0
// DICEKit — preference optimization (DPO, DICE) for language models, in Swift.
import PackageDescription

let package = Package(
    name: "DICEKit",
    products: [
        .library(name: "DICEKit", targets: ["DICEKit"]),
        .executable(name: "dice", targets: ["dice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // OpenBLAS's C interface (cblas.h), linked from the system (libopenblas-dev).
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "DICEKit",
            dependencies: ["CBLAS"]
        ),
        .executableTarget(
            name: "dice",
            dependencies: [
                "DICEKit",
                "CBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "SmolLM2DICE", dependencies: ["DICEKit", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Examples/SmolLM2DICE"),
        .testTarget(
            name: "DICEKitTests",
            dependencies: ["DICEKit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
