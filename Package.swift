// swift-tools-version:6.1
import CompilerPluginSupport
import Foundation
import PackageDescription

/// A sample's executable: `Samples/<name>/main.swift` on top of `<name>Kit`, which holds the rest
/// of the folder. The other files are excluded by name, so that SwiftPM does not warn about files
/// no target handles.
func sampleExecutable(_ name: String) -> Target {
    let folder = "Samples/\(name)"
    let others = (try? FileManager.default.contentsOfDirectory(atPath: Context.packageDirectory + "/" + folder)) ?? []
    return .executableTarget(
        name: name,
        dependencies: [.target(name: "\(name)Kit"), "RestateTesting"],
        path: folder,
        exclude: others.filter { $0 != "main.swift" }.sorted(),
        sources: ["main.swift"]
    )
}

let package = Package(
    name: "swift-restate",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RestateCore", targets: ["RestateCore"]),
        .library(name: "RestateHTTP2", targets: ["RestateHTTP2"]),
        .library(name: "Restate", targets: ["Restate"]),
        .library(name: "RestateTesting", targets: ["RestateTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // The HTTP/2 client of RestateTesting and of the transport's loopback tests.
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax.git", "602.0.0"..<"604.0.0"),
    ],
    targets: [
        // nghttp2 from the system (apt: libnghttp2-dev); a module map and a shim header, nothing else.
        .systemLibrary(
            name: "CNghttp2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"]), .brew(["nghttp2"])]
        ),
        // The pure protocol core: wire codec and (soon) the invocation state machine. No event
        // loops, sockets or logging; NIOCore only for `ByteBuffer`, so frames travel to the
        // transport without copies.
        .target(
            name: "RestateCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Generated/README.md", "Protos"]
        ),
        .testTarget(
            name: "RestateCoreTests",
            dependencies: ["RestateCore"],
            // Read through #filePath, like the shared corpus in Tests/Scenarios.
            exclude: ["StateMachine/Fixtures"]
        ),
        // The HTTP/2 (h2c, nghttp2) and HTTP/1.1 server transport. Knows nothing of Restate.
        .target(
            name: "RestateHTTP2",
            dependencies: [
                "CNghttp2",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        .testTarget(
            name: "RestateHTTP2Tests",
            dependencies: [
                "RestateHTTP2",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        // The public API: endpoint, contexts, durable futures, service definitions.
        .target(
            name: "Restate",
            dependencies: [
                "RestateCore",
                "RestateHTTP2",
                "RestateMacros",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        .testTarget(
            name: "RestateTests",
            dependencies: [
                "Restate",
                "RestateCore",
                "RestateHTTP2",
                // Its HTTP/2 client, for attempts whose request body stays open over a real socket.
                "RestateTesting",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // `@Service`, `@VirtualObject`, `@Workflow`: descriptors and typed clients from handler methods.
        .macro(
            name: "RestateMacros",
            dependencies: [
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxBuilder", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
            ]
        ),
        .testTarget(
            name: "RestateMacrosTests",
            dependencies: [
                "RestateMacros",
                .product(name: "SwiftSyntaxMacrosGenericTestSupport", package: "swift-syntax"),
            ]
        ),
        // The macros applied to real types and run in-process against the `Restate` API.
        .testTarget(
            name: "RestateMacrosIntegrationTests",
            dependencies: [
                "Restate",
                "RestateCore",
                "RestateHTTP2",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // An in-process Restate runtime for tests and local development (not production).
        .target(
            name: "RestateTesting",
            dependencies: [
                "Restate",
                "RestateCore",
                "RestateHTTP2",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ]
        ),
        .testTarget(
            name: "RestateTestingTests",
            dependencies: ["RestateTesting", "Restate", "RestateCore"]
        ),

        // Samples: `swift run <Name>`; each listens on $PORT (default 9080); `--dev` adds a local
        // Restate (RestateTesting) with its ingress on 8080.
        .target(
            name: "SignupWorkflowKit",
            dependencies: ["Restate"],
            path: "Samples/SignupWorkflow",
            exclude: ["README.md", "main.swift"]
        ),
        sampleExecutable("SignupWorkflow"),
        .target(
            name: "GreeterKit",
            dependencies: ["Restate"],
            path: "Samples/Greeter",
            exclude: ["README.md", "main.swift"]
        ),
        sampleExecutable("Greeter"),
        .target(
            name: "CounterKit",
            dependencies: ["Restate"],
            path: "Samples/Counter",
            exclude: ["README.md", "main.swift"]
        ),
        sampleExecutable("Counter"),
        .target(
            name: "SagaKit",
            dependencies: ["Restate"],
            path: "Samples/Saga",
            exclude: ["README.md", "main.swift"]
        ),
        sampleExecutable("Saga"),
        .target(
            name: "FanOutKit",
            dependencies: ["Restate"],
            path: "Samples/FanOut",
            exclude: ["README.md", "main.swift"]
        ),
        sampleExecutable("FanOut"),
        .target(
            name: "CronKit",
            dependencies: ["Restate"],
            path: "Samples/Cron",
            exclude: ["README.md", "main.swift"]
        ),
        sampleExecutable("Cron"),
        .target(
            name: "PaymentsKit",
            dependencies: ["Restate"],
            path: "Samples/Payments",
            exclude: ["README.md", "main.swift"]
        ),
        sampleExecutable("Payments"),
        // The e2e test-services contract (restatedev/e2e) plus the protocol fixtures.
        .target(
            name: "TestServicesKit",
            dependencies: ["Restate"],
            path: "Samples/TestServices",
            exclude: ["main.swift"]
        ),
        sampleExecutable("TestServices"),
        // Every sample end to end through RestateTesting.
        .testTarget(
            name: "SamplesTests",
            dependencies: [
                "SignupWorkflowKit", "GreeterKit", "CounterKit", "SagaKit", "FanOutKit", "CronKit", "PaymentsKit",
                "Restate", "RestateTesting",
            ]
        ),
        // The test-services contract flows through RestateTesting.
        .testTarget(name: "TestServicesTests", dependencies: ["TestServicesKit", "Restate", "RestateTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
