// swift-tools-version:6.1
// The benchmarks: a package of their own (as swift-nio's Benchmarks/ is), so that building the
// product never resolves package-benchmark. Run from this directory: `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "VersionerBenchmarks",
    // Linux only, as the product is.
    dependencies: [
        .package(name: "versioner", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        .target(name: "CHeapUsage"),
        .executableTarget(
            name: "VersionerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "VersionerCore", package: "versioner"),
                .product(name: "VersionerStore", package: "versioner"),
                .product(name: "VersionerHTTP", package: "versioner"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                "CHeapUsage",
            ],
            path: "Benchmarks/VersionerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
