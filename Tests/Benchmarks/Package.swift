// swift-tools-version:6.1
// The benchmarks of swift-restate: a package of its own, so that users of the library never
// resolve ordo-one/benchmark. Run from the repository root:
//
//     swift package --package-path Tests/Benchmarks benchmark
//
// and the loopback end-to-end comparison with `Tests/Benchmarks/e2e/run.sh`.
import PackageDescription

let package = Package(
    name: "RestateBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-restate", path: "../.."),
        .package(
            url: "https://github.com/ordo-one/benchmark.git",
            from: "1.38.1",
            traits: ["MallocInterposer"]
        ),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        // Services with hand-written descriptors, request bodies and an in-memory response sink,
        // shared by the benchmarks, the e2e server and the callgrind driver.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "Restate", package: "swift-restate"),
                .product(name: "RestateCore", package: "swift-restate"),
                .product(name: "RestateHTTP2", package: "swift-restate"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // `serve` (the e2e endpoint), `body` (pre-encoded request bodies), `check` (validates a
        // response body) and `invoke` (N in-process invocations, for callgrind).
        .executableTarget(
            name: "RestateBenchTool",
            dependencies: [
                "BenchSupport",
                .product(name: "Restate", package: "swift-restate"),
                .product(name: "RestateCore", package: "swift-restate"),
                .product(name: "RestateHTTP2", package: "swift-restate"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The ordo-one/benchmark suite (wall time, mallocs, instructions).
        .executableTarget(
            name: "RestateBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Restate", package: "swift-restate"),
                .product(name: "RestateCore", package: "swift-restate"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Benchmarks/RestateBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
