import Foundation
import NIOCore
import RestateCore
import Testing

@testable import Restate

private let nghttpPath: String? = ["/usr/bin/nghttp", "/usr/local/bin/nghttp"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// The endpoint behind the real HTTP/2 server, driven by nghttp2's command-line client over
/// loopback, as Restate drives it.
@Suite("Endpoint over loopback HTTP/2")
struct EndpointLoopbackTests {
    private func withEndpoint(_ body: (Int) async throws -> Void) async throws {
        var endpoint = Endpoint(configuration: .init())
        endpoint.bind(Greeter.self)
        endpoint.bind(Signup.self)
        let server = try await endpoint.start(host: "127.0.0.1", port: 0)
        do {
            try await body(server.port)
        } catch {
            await server.shutdown(gracePeriod: .seconds(1))
            throw error
        }
        await server.shutdown(gracePeriod: .seconds(1))
    }

    /// Runs nghttp and returns its stdout (the response body) and exit status.
    ///
    /// Waits through the termination handler, never `waitUntilExit()`: blocking one of the few
    /// cooperative threads while the server's handler tasks need them would deadlock on 2 cores.
    private func nghttp(_ arguments: [String]) async throws -> (status: Int32, body: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(nghttpPath))
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("nghttp-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try handle.close()
        return (process.terminationStatus, try Data(contentsOf: output))
    }

    @Test(
        "discovery answers a v3 manifest over h2c",
        .enabled(if: nghttpPath != nil, "nghttp (apt nghttp2-client) is not installed")
    )
    func discoverV3() async throws {
        try await withEndpoint { port in
            let (status, body) = try await nghttp([
                "-H", "accept: application/vnd.restate.endpointmanifest.v3+json",
                "http://127.0.0.1:\(port)/discover",
            ])
            #expect(status == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            #expect(json["protocolMode"] as? String == "BIDI_STREAM")
            #expect(json["minProtocolVersion"] as? Int == 5)
            #expect(json["maxProtocolVersion"] as? Int == 7)
            let services = try #require(json["services"] as? [[String: Any]])
            #expect(services.map { $0["name"] as? String } == ["Greeter", "Signup"])
            let signup = try #require(services.last)
            #expect(signup["ty"] as? String == "WORKFLOW")
            let handlers = try #require(signup["handlers"] as? [[String: Any]])
            #expect(handlers.first { $0["name"] as? String == "run" }?["ty"] as? String == "WORKFLOW")
            #expect(handlers.first { $0["name"] as? String == "click" }?["ty"] as? String == "SHARED")
        }
    }

    @Test(
        "an invocation over h2c returns Output and End",
        .enabled(if: nghttpPath != nil, "nghttp (apt nghttp2-client) is not installed")
    )
    func invoke() async throws {
        try await withEndpoint { port in
            let frames = try Frames.encode([Frames.start(knownEntries: 1), Frames.input("\"Restate\"")])
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString)")
            try Data(frames.readableBytesView).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let (status, body) = try await nghttp([
                "-d", file.path,
                "-H", "content-type: \(ProtocolVersion.v6.contentType)",
                "http://127.0.0.1:\(port)/invoke/Greeter/greet",
            ])
            #expect(status == 0)
            var decoder = FrameDecoder()
            decoder.append(ByteBuffer(bytes: body))
            var messages: [ProtocolMessage] = []
            while let frame = try decoder.next() { messages.append(try ProtocolMessage(frame: frame, version: .v6)) }
            #expect(
                messages == [
                    .outputCommand(.with { $0.value = .with { $0.content = Data("\"Hello Restate!\"".utf8) } }), .end,
                ]
            )
        }
    }
}
