// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "StationFleet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "fleet-coordinator", targets: ["fleet-coordinator"]),
        .executable(name: "fleet-agent", targets: ["fleet-agent"]),
        .executable(name: "fleetctl", targets: ["fleetctl"]),
        .executable(name: "fleet-bench", targets: ["fleet-bench"]),
        .library(name: "FleetProtocol", targets: ["FleetProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // gzip request bodies (large reports, backlog batches) between agent and coordinator.
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        // Shared wire types. FoundationEssentials only: the agent links no full Foundation (no ICU).
        .target(name: "FleetProtocol", path: "Sources/Protocol"),

        // The inventory language: YAML → validated model → per-node desired state, and the
        // alert route tree's semantics. Shared by the coordinator and `fleetctl` (which checks
        // routes of a local inventory without a coordinator).
        .target(
            name: "FleetInventory",
            dependencies: ["FleetProtocol", .product(name: "Yams", package: "Yams")],
            path: "Sources/Inventory"
        ),

        // Coordinator: store, API, liveness, alerts.
        .target(
            name: "FleetCoordinator",
            dependencies: [
                "FleetProtocol",
                "FleetInventory",
                "CCurl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                // HTTP/2 over TLS (ALPN h2, falling back to HTTP/1.1): one connection per agent.
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            path: "Sources/Coordinator"
        ),

        // libcurl (SMTP for email alerts), through typed wrappers in shim.h.
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),

        // Linux file-sync calls not exposed by Glibc's Swift module.
        .target(name: "CFileSync", path: "Sources/CFileSync"),

        // The agent's narrow C interface to the system libsqlite3 (ledger, backup snapshots):
        // the agent links neither GRDB nor Foundation for them (issue 14: a small agent).
        .target(name: "CSQLiteShim", path: "Sources/CSQLiteShim", linkerSettings: [.linkedLibrary("sqlite3")]),

        // Node agent: registration, reconciler, recorders, archive, backups.
        .target(
            name: "FleetAgent",
            dependencies: [
                "FleetProtocol",
                "CFileSync",
                "CSQLiteShim",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            path: "Sources/NodeAgent"
        ),

        // fleetctl commands as a library so tests can drive them.
        .target(
            name: "FleetctlCore",
            dependencies: [
                "FleetProtocol",
                "FleetInventory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Fleetctl"
        ),

        // Thin executables.
        .executableTarget(
            name: "fleet-coordinator",
            dependencies: ["FleetCoordinator", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Apps/fleet-coordinator"
        ),
        .executableTarget(
            name: "fleet-agent",
            dependencies: [
                "FleetAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Apps/fleet-agent",
            // A small agent (issue 14; BENCHMARKS "Where the agent's memory is"): in release, a
            // position-dependent executable (no relocation table to apply, no relocated pages
            // copied at start) that exports no symbols: 37.7 → 31.1 MiB with 8 recorders.
            // The trade-off (no ASLR for the agent's own code) is in docs/decisions.md.
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-no-pie", "-Xlinker", "--no-export-dynamic"],
                                          .when(platforms: [.linux], configuration: .release))]
        ),
        .executableTarget(name: "fleetctl", dependencies: ["FleetctlCore"], path: "Sources/Apps/fleetctl"),
        .executableTarget(
            name: "fleet-bench",
            dependencies: [
                "FleetCoordinator", "FleetProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/fleet-bench"
        ),

        // Test and benchmark helpers for the archive subsystem.
        // archive-crash-helper runs one archive job run; the crash test SIGKILLs it at random moments.
        .executableTarget(name: "archive-crash-helper", dependencies: ["FleetAgent", "FleetProtocol"],
                          path: "Sources/Apps/archive-crash-helper"),
        // local-time-helper answers LocalTime queries under the TZ a test gives it (DST zones).
        .executableTarget(name: "local-time-helper", dependencies: ["FleetAgent", "FleetProtocol"],
                          path: "Sources/Apps/local-time-helper"),
        // archive-bench times one archive run or image backup for Benchmarks/scripts/archive-bench.sh.
        .executableTarget(name: "archive-bench", dependencies: ["FleetAgent", "FleetProtocol"],
                          path: "Benchmarks/archive-bench"),

        .testTarget(name: "ProtocolTests", dependencies: ["FleetProtocol"]),
        .testTarget(
            name: "CoordinatorTests",
            dependencies: [
                "FleetCoordinator", "FleetProtocol", "FleetInventory",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                // PostgreSQL store tests: a maintenance connection creates a database per test.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // The coordinator's TLS write coalescing, on an embedded channel.
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: [
                "FleetAgent", "FleetProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // Agent upgrades: a Range-serving stand-in for the coordinator, and signing keys.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "FleetctlTests",
            dependencies: [
                "FleetctlCore", "FleetProtocol", "FleetCoordinator", "FleetInventory",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Alert notifiers against real peers: aiosmtpd, an HTTP sink, prometheus-alertmanager.
        .testTarget(
            name: "AlertingTests",
            dependencies: [
                "FleetCoordinator", "FleetProtocol", "FleetInventory",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "FleetProtocol",
                // The outage test seeds an agent's report journal through its own API.
                "FleetAgent",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // gzip request bodies, as agents send them, and a zip bomb.
                .product(name: "CompressNIO", package: "compress-nio"),
                // A stand-in coordinator for agent upgrades until the coordinator's build endpoints land.
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            exclude: ["Fixtures"]
        ),
    ]
)
