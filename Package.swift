// swift-tools-version:6.1
import CompilerPluginSupport
import PackageDescription

let package = Package(
    name: "swift-restate",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RestateCore", targets: ["RestateCore"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
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
            dependencies: ["RestateCore"]
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
    ],
    swiftLanguageModes: [.v6]
)
