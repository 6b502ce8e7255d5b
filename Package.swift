// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "versioner",
    // Linux only: the file layer calls glibc (fdatasync, per-thread nice values, mallopt) and
    // the process metrics read /proc. No Apple platform is claimed, because none is built or tested.
    products: [
        .executable(name: "versioner", targets: ["versioner"]),
        .library(name: "VersionerCore", targets: ["VersionerCore"]),
        .library(name: "VersionerStore", targets: ["VersionerStore"]),
        .library(name: "VersionerHTTP", targets: ["VersionerHTTP"]),
        .library(name: "VersionerPostgres", targets: ["VersionerPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The system's IANA time zone database (Debian: tzdata), read from its TZif files.
        .target(name: "VersionerTimeZones"),
        // The domain: model, validation, pure state, shard actors and queries. No HTTP, no files.
        .target(name: "VersionerCore", dependencies: ["VersionerTimeZones", .product(name: "Crypto", package: "swift-crypto")]),
        // The system's zlib (Debian: zlib1g-dev), with wrappers for the macros Swift cannot call.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // glibc's allocator controls (<malloc.h>), which the Glibc module does not export.
        .systemLibrary(name: "CMalloc"),
        // Durability: journal and snapshot files, recovery, and the services that run them. No HTTP.
        .target(
            name: "VersionerStore",
            dependencies: [
                "VersionerCore",
                "CZlib",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The journal on PostgreSQL: the same records, in a table a replicated database keeps;
        // one writing node at a time, fenced by an advisory lock and an epoch.
        .target(
            name: "VersionerPostgres",
            dependencies: [
                "VersionerCore",
                "VersionerStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTP front end: routes, wire DTOs, error mapping and the composition root.
        .target(
            name: "VersionerHTTP",
            dependencies: [
                "VersionerCore",
                "VersionerStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // The OpenAPI document, the docs page and the dashboard's templates, stylesheet and
            // script are files of their own, compiled into the binary as byte arrays (no resource
            // bundle to ship beside a static executable).
            resources: [
                .embedInCode("OpenAPI/openapi.json"), .embedInCode("OpenAPI/docs.html"),
                .embedInCode("Dashboard/style.css"), .embedInCode("Dashboard/app.js"),
                .embedInCode("Dashboard/Templates/chart.mustache"),
                .embedInCode("Dashboard/Templates/deployment.mustache"),
                .embedInCode("Dashboard/Templates/environment.mustache"),
                .embedInCode("Dashboard/Templates/footer.mustache"),
                .embedInCode("Dashboard/Templates/header.mustache"),
                .embedInCode("Dashboard/Templates/insights.mustache"),
                .embedInCode("Dashboard/Templates/list.mustache"),
                .embedInCode("Dashboard/Templates/rules.mustache"),
                .embedInCode("Dashboard/Templates/login.mustache"),
                .embedInCode("Dashboard/Templates/matrix.mustache"),
                .embedInCode("Dashboard/Templates/message.mustache"),
                .embedInCode("Dashboard/Templates/pager.mustache"),
                .embedInCode("Dashboard/Templates/product.mustache"),
                .embedInCode("Dashboard/Templates/row.mustache"),
                .embedInCode("Dashboard/Templates/search.mustache"),
                .embedInCode("Dashboard/Templates/status.mustache"),
                .embedInCode("Dashboard/Templates/timeline.mustache"),
                .embedInCode("Dashboard/Templates/version.mustache"),
            ]
        ),
        .executableTarget(
            name: "versioner",
            dependencies: [
                "CMalloc",
                "VersionerCore",
                "VersionerStore",
                "VersionerHTTP",
                "VersionerPostgres",
                "VersionerTimeZones",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // What several test targets share (temporary folders); not part of any product.
        .target(name: "VersionerTestSupport", path: "Tests/Support"),
        .testTarget(name: "VersionerTimeZonesTests", dependencies: ["VersionerTimeZones", "VersionerTestSupport"]),
        .testTarget(name: "VersionerCoreTests", dependencies: ["VersionerCore"]),
        .testTarget(
            name: "VersionerStoreTests",
            dependencies: [
                "VersionerCore",
                "VersionerStore",
                "VersionerTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "VersionerPostgresTests", dependencies: ["VersionerCore", "VersionerPostgres"]),
        // End to end: the built `versioner` executable run as a process (serve, crash, operator commands).
        .testTarget(
            name: "versionerTests",
            dependencies: [
                "versioner",
                "VersionerTestSupport",
                "VersionerCore",
                "VersionerStore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "VersionerHTTPTests",
            dependencies: [
                "VersionerCore",
                "VersionerHTTP",
                "VersionerStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
