import NIOCore
import NIOHPACK
import RestateHTTP2
import Testing

/// How response heads and trailers are written: names lowercased, fields HTTP/2 forbids dropped.
@Suite("HTTP/2 response heads", .timeLimit(.minutes(1)))
struct ResponseHeadTests {
    @Test(
        "names are lowercased, connection-specific fields dropped, the status and trailers kept",
        arguments: [
            200, 201, 404, 599,
        ]
    )
    func rules(status: Int) async throws {
        let many = (0..<24).map { ("X-Field-\($0)", String(repeating: "v", count: $0 * 10)) }
        try await withServer(handler: { _, _, writer in
            let fields: [(String, String)] =
                [
                    ("Content-Type", "text/plain"), ("Connection", "close"), ("keep-alive", "5"),
                    ("Proxy-Connection", "x"), ("TRANSFER-ENCODING", "chunked"), ("upgrade", "h2c"),
                    ("X-Upgrade", "kept"), ("connections", "kept too"),
                ] + many
            try await writer.writeHead(status: status, headers: HeaderFields(fields))
            try await writer.write(ByteBuffer(string: "body"))
            try await writer.finish(trailers: [("X-Trailer", "done"), ("Connection", "close")])
        }) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            // Twice on one connection: the second head reuses the connection's scratch memory.
            for _ in 0..<2 {
                let response = try await client.get("/")
                #expect(response.body == "body")
                #expect(response.headers.count == 2)
                let head = try #require(response.headers.first)
                #expect(head[":status"] == ["\(status)"])
                #expect(head["content-type"] == ["text/plain"])
                #expect(head["x-upgrade"] == ["kept"])
                #expect(head["connections"] == ["kept too"])
                for forbidden in ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"] {
                    #expect(head[forbidden].isEmpty, "\(forbidden)")
                }
                for (name, value) in many { #expect(head[name.lowercased()] == [value]) }
                #expect(head.allSatisfy { $0.name == $0.name.lowercased() })
                let trailers = try #require(response.headers.last)
                #expect(trailers["x-trailer"] == ["done"])
                #expect(trailers["connection"].isEmpty)
            }
        }
    }
}
