// swift-tools-version:6.0
// DICEKit — preference optimization (DPO, DICE) for language models, in Swift.
import PackageDescription

let package = Package(
    name: "DICEKit",
    products: [
        .library(name: "DICEKit", targets: ["DICEKit"]),
        .library(name: "DICEKitCUDA", targets: ["DICEKitCUDA"]),
        .executable(name: "dice", targets: ["dice"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Library logging (Logger per subsystem; the embedding program picks the handler).
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `make docs`: the DocC catalog in Sources/DICEKit/DICEKit.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // OpenBLAS's C interface (cblas.h), linked from the system (libopenblas-dev).
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // SIMD kernels (AVX2/AVX-512 chosen at run time, portable C fallback) for the CPU backend.
        .target(
            name: "CKernels",
            path: "Sources/CKernels"
        ),
        // Open MPI (libmpi.so.40) and NCCL (libnccl.so.2) bound at run time with dlopen/dlsym, so
        // that DICEKit builds and runs without either (Documentation/Distributed.md).
        .target(
            name: "CMPIShim",
            path: "Sources/CMPIShim",
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // oneDNN 2.x (libdnnl.so.2, Debian's libdnnl2) bound at run time with dlopen/dlsym for
        // the CPU backend's bfloat16 matrix products; without it CKernels' own kernels run.
        .target(
            name: "CDNNLShim",
            path: "Sources/CDNNLShim",
            linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]
        ),
        .target(
            name: "DICEKit",
            dependencies: ["CBLAS", "CKernels", "CMPIShim", "CDNNLShim", .product(name: "Logging", package: "swift-log")]
        ),
        // The CUDA driver, cuBLAS and NVRTC types and function signatures that DICEKitCUDA uses,
        // bound at run time with dlopen/dlsym (no CUDA toolkit at build time).
        .target(
            name: "CCUDAShim",
            path: "Sources/CCUDAShim",
            linkerSettings: [.linkedLibrary("dl")]
        ),
        .target(
            name: "DICEKitCUDA",
            dependencies: ["DICEKit", "CCUDAShim", "CMPIShim", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "dice",
            dependencies: [
                "DICEKit",
                "DICEKitCUDA",
                "CBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "CustomPolicyExample", dependencies: ["DICEKit"], path: "Examples/CustomPolicy"),
        .executableTarget(name: "BootstrapFromJSONL", dependencies: ["DICEKit"], path: "Examples/BootstrapFromJSONL"),
        .executableTarget(name: "SmolLM2DICE", dependencies: ["DICEKit", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Examples/SmolLM2DICE"),
        // Fuzz targets (`make fuzz`; Documentation/Fuzzing.md): libFuzzer entry points when built
        // with -DFUZZING, corpus replayers otherwise.
        .target(name: "CFuzzer", path: "Fuzz/CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["DICEKit", "CFuzzer"], path: "Fuzz/FuzzSupport"),
        .executableTarget(name: "FuzzJSONL", dependencies: ["DICEKit", "FuzzSupport"], path: "Fuzz/FuzzJSONL"),
        .executableTarget(name: "FuzzTokenizerJSON", dependencies: ["DICEKit", "FuzzSupport"], path: "Fuzz/FuzzTokenizerJSON"),
        .executableTarget(name: "FuzzSafeTensors", dependencies: ["DICEKit", "FuzzSupport"], path: "Fuzz/FuzzSafeTensors"),
        .executableTarget(name: "FuzzGGUF", dependencies: ["DICEKit", "FuzzSupport"], path: "Fuzz/FuzzGGUF"),
        .executableTarget(name: "FuzzChatTemplate", dependencies: ["DICEKit", "FuzzSupport"], path: "Fuzz/FuzzChatTemplate"),
        .executableTarget(name: "FuzzPEFTAdapter", dependencies: ["DICEKit", "FuzzSupport"], path: "Fuzz/FuzzPEFTAdapter"),
        // The backend conformance kit: every kernel's forward and gradient checks against naive
        // oracles, for any backend (Documentation/Backends.md). A library of Swift Testing
        // checks that each backend's test target runs.
        .target(
            name: "BackendConformance",
            dependencies: ["DICEKit"],
            path: "Tests/BackendConformance"
        ),
        .testTarget(
            name: "DICEKitTests",
            dependencies: ["DICEKit", "BackendConformance", .product(name: "Logging", package: "swift-log")]
        ),
        // Only the public API (no @testable import): custom pieces as a user writes them.
        .testTarget(
            name: "DICEKitAPITests",
            dependencies: ["DICEKit"]
        ),
        .testTarget(
            name: "DICEKitCUDATests",
            dependencies: ["DICEKit", "DICEKitCUDA", "BackendConformance"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
