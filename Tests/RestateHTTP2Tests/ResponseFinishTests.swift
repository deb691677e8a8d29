import NIOCore
import NIOHTTP2
import Testing

@testable import RestateHTTP2

/// `ResponseWriter.finish(head:body:)`: the last write, queued without waiting for the loop.
@Suite("ResponseWriter.finish(head:body:)", .timeLimit(.minutes(1)))
struct ResponseFinishTests {
    @Test("head, body and end in one call; the handler returns at once")
    func headBodyAndEnd() async throws {
        try await withServer(handler: { _, _, writer in
            writer.finish(head: (201, [("x-last", "yes")]), body: ByteBuffer(string: "done"))
        }) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            let stream = try await client.openStream()
            try await stream.executeThenClose { inbound, outbound in
                try await outbound.write(
                    .headers(.init(headers: H2TestClient.requestHeaders(method: "GET", path: "/"), endStream: true))
                )
                var status: String?
                var body = ""
                var ended = false
                for try await frame in inbound {
                    if case .headers(let headers) = frame {
                        status = headers.headers.first(name: ":status")
                        #expect(headers.headers.first(name: "x-last") == "yes")
                    }
                    if let buffer = frame.dataBuffer { body += String(buffer: buffer) }
                    ended = ended || frame.endsStream
                }
                #expect(status == "201")
                #expect(body == "done")
                #expect(ended)
            }
        }
    }

    @Test("after a head was written, only the body and the end go out")
    func afterHead() async throws {
        try await withServer(handler: { _, _, writer in
            try await writer.writeHead(status: 200)
            try await writer.write(ByteBuffer(string: "one,"))
            writer.finish(head: nil, body: ByteBuffer(string: "two"))
        }) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            let stream = try await client.openStream()
            try await stream.executeThenClose { inbound, outbound in
                try await outbound.write(
                    .headers(.init(headers: H2TestClient.requestHeaders(method: "GET", path: "/"), endStream: true))
                )
                var body = ""
                for try await frame in inbound {
                    if let buffer = frame.dataBuffer { body += String(buffer: buffer) }
                }
                #expect(body == "one,two")
            }
        }
    }

    @Test("fields HTTP/2 forbids are dropped, in any case; the status and the others go out lowercased")
    func connectionSpecificFields() async throws {
        try await withServer(handler: { _, _, writer in
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
        }) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            let stream = try await client.openStream()
            try await stream.executeThenClose { inbound, outbound in
                try await outbound.write(
                    .headers(.init(headers: H2TestClient.requestHeaders(method: "GET", path: "/"), endStream: true))
                )
                var names: [String] = []
                for try await frame in inbound {
                    if case .headers(let headers) = frame { names += headers.headers.map(\.name) }
                }
                #expect(names == [":status", "x-kept", "upgrade-insecure"])
            }
        }
    }
}
