import NIOCore
import NIOHPACK
import NIOHTTP2
import Testing

@testable import RestateHTTP2

/// `ResponseWriter.finish(head:body:)`: the last write, queued without waiting for the loop.
@Suite("ResponseWriter.finish(head:body:)", .timeLimit(.minutes(1)))
struct ResponseFinishTests {
    private func get(_ handler: @escaping HTTP2Server.Handler) async throws -> (
        headers: [HPACKHeaders], body: String, ended: Bool
    ) {
        try await withServer(handler: handler) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            return try await client.get("/")
        }
    }

    @Test("head, body and end in one call; the handler returns at once")
    func headBodyAndEnd() async throws {
        let response = try await get { _, _, writer in
            writer.finish(head: (201, [("x-last", "yes")]), body: ByteBuffer(string: "done"))
        }
        #expect(response.headers.first?.first(name: ":status") == "201")
        #expect(response.headers.first?.first(name: "x-last") == "yes")
        #expect(response.body == "done")
        #expect(response.ended)
    }

    @Test("after a head was written, only the body and the end go out")
    func afterHead() async throws {
        let response = try await get { _, _, writer in
            try await writer.writeHead(status: 200)
            try await writer.write(ByteBuffer(string: "one,"))
            writer.finish(head: nil, body: ByteBuffer(string: "two"))
        }
        #expect(response.body == "one,two")
        #expect(response.ended)
    }

    @Test("fields HTTP/2 forbids are dropped, in any case; the status and the others go out lowercased")
    func connectionSpecificFields() async throws {
        let response = try await get { _, _, writer in
            writer.finish(
                head: (
                    404,
                    [
                        ("Connection", "close"), ("KEEP-ALIVE", "timeout=5"), ("Transfer-Encoding", "chunked"),
                        ("Upgrade", "h2c"), ("proxy-connection", "x"), ("X-Kept", "Yes"), ("Upgrade-Insecure", "1"),
                    ]
                ),
                body: ByteBuffer()
            )
        }
        #expect(response.headers.flatMap { $0.map(\.name) } == [":status", "x-kept", "upgrade-insecure"])
        #expect(response.headers.first?.first(name: ":status") == "404")
    }
}
