// swift-tools-version:6.0
import PackageDescription

// Kernels are optimized in every configuration: debug Swift runs them 100-200x slower,
// which would make the real-model tests crawl.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "Trellis",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "trellis", targets: ["trellis"]),
        .library(name: "TrellisEngine", targets: ["TrellisEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    ],
    targets: [
        // Vocabulary shared by every layer.
        .target(name: "TrellisCore"),

        // Kernels and the runtime.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CTrellisKernels",
                cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "TrellisKernels",
                dependencies: ["TrellisCore", "CTrellisKernels", "COpenBLAS"],
                swiftSettings: optimized),
        .target(name: "TrellisGGUF", dependencies: ["TrellisCore"], swiftSettings: optimized),
        .target(name: "TrellisTokenizer", dependencies: ["TrellisCore", "TrellisGGUF"],
                swiftSettings: optimized),
        .target(name: "TrellisModel",
                dependencies: ["TrellisCore", "TrellisGGUF", "TrellisKernels"],
                swiftSettings: optimized),

        // Data structures and decoding.
        .target(name: "TrellisTrie", dependencies: ["TrellisCore"], swiftSettings: optimized),
        .target(name: "TrellisFMIndex", dependencies: ["TrellisCore"], swiftSettings: optimized),
        .target(name: "TrellisAutomata", dependencies: ["TrellisCore"], swiftSettings: optimized),
        .target(name: "TrellisHMM", dependencies: ["TrellisCore", "TrellisAutomata", "COpenBLAS"],
                swiftSettings: optimized),
        .target(name: "TrellisStore",
                dependencies: ["TrellisCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "TrellisDecoding", dependencies: ["TrellisCore"], swiftSettings: optimized),

        // Tasks.
        .target(name: "TrellisLinking",
                dependencies: ["TrellisCore", "TrellisDecoding", "TrellisTrie", "TrellisStore"]),
        .target(name: "TrellisSearch",
                dependencies: ["TrellisCore", "TrellisDecoding", "TrellisFMIndex", "TrellisStore"]),
        .target(name: "TrellisControl",
                dependencies: ["TrellisCore", "TrellisDecoding", "TrellisAutomata", "TrellisHMM",
                               "TrellisStore"]),

        .target(name: "TrellisEval", dependencies: ["TrellisCore"]),

        // Interfaces.
        .target(name: "TrellisEngine",
                dependencies: ["TrellisCore", "TrellisGGUF", "TrellisTokenizer", "TrellisModel",
                               "TrellisDecoding", "TrellisLinking", "TrellisSearch", "TrellisControl",
                               "TrellisStore", "TrellisEval", "TrellisTrie"]),
        // The HTTP service: the only target that imports Hummingbird.
        .target(name: "TrellisServer",
                dependencies: ["TrellisCore", .product(name: "Hummingbird", package: "hummingbird"),
                               // Already built as part of Hummingbird; named for the disconnect watcher.
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .target(name: "TrellisCLI",
                dependencies: ["TrellisEngine", "TrellisServer",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "trellis", dependencies: ["TrellisCLI"]),

        // Tests.
        .target(name: "TrellisTestSupport", dependencies: ["TrellisCore", "TrellisGGUF"],
                path: "Tests/TrellisTestSupport"),
        .testTarget(name: "TrellisCoreTests", dependencies: ["TrellisCore"]),
        .testTarget(name: "TrellisKernelsTests", dependencies: ["TrellisKernels", "TrellisTestSupport"]),
        .testTarget(name: "TrellisGGUFTests", dependencies: ["TrellisGGUF", "TrellisTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "TrellisTokenizerTests",
                    dependencies: ["TrellisTokenizer", "TrellisGGUF", "TrellisTestSupport"]),
        .testTarget(name: "TrellisModelTests",
                    dependencies: ["TrellisModel", "TrellisTokenizer", "TrellisGGUF", "TrellisTestSupport"]),
        .testTarget(name: "TrellisTrieTests", dependencies: ["TrellisTrie", "TrellisTestSupport"]),
        .testTarget(name: "TrellisFMIndexTests", dependencies: ["TrellisFMIndex", "TrellisTestSupport"]),
        .testTarget(name: "TrellisAutomataTests", dependencies: ["TrellisAutomata", "TrellisTestSupport"]),
        .testTarget(name: "TrellisHMMTests", dependencies: ["TrellisHMM", "TrellisAutomata", "TrellisTestSupport"]),
        .testTarget(name: "TrellisStoreTests", dependencies: ["TrellisStore", "TrellisTestSupport"]),
        .testTarget(name: "TrellisDecodingTests", dependencies: ["TrellisDecoding", "TrellisTrie", "TrellisTestSupport"]),
        .testTarget(name: "TrellisLinkingTests", dependencies: ["TrellisLinking", "TrellisStore", "TrellisTestSupport"]),
        .testTarget(name: "TrellisSearchTests", dependencies: ["TrellisSearch", "TrellisTestSupport", "TrellisModel"]),
        .testTarget(name: "TrellisControlTests", dependencies: ["TrellisControl", "TrellisTestSupport"]),
        .testTarget(name: "TrellisEvalTests", dependencies: ["TrellisEval"]),
        .testTarget(name: "TrellisServerTests",
                    dependencies: ["TrellisServer", "TrellisCore", "TrellisDecoding", "TrellisTestSupport"]),
        .testTarget(name: "TrellisCLITests", dependencies: ["TrellisCLI", "TrellisTestSupport"]),
    ]
)
