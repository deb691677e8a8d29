import NIOCore
import NIOHPACK
import NIOHTTP2
import RestateHTTP2
import Testing

/// The connection reuses the strings of header fields the peer sends HPACK-indexed; these requests
/// repeat, vary and outnumber the cached fields on one connection, and every head must arrive as sent.
@Suite("HTTP/2 request heads on one connection", .timeLimit(.minutes(1)))
struct HeaderStringCacheTests {
    /// Answers with the head it saw, one `name=value` line per field, pseudo-headers first.
    private static let headEcho: HTTP2Server.Handler = { head, _, writer in
        var lines = ["method=\(head.method)", "path=\(head.path)", "authority=\(head.authority ?? "-")"]
        for field in head.headers { lines.append("\(field.name)=\(field.value)") }
        try await writer.writeHead(status: 200)
        try await writer.write(ByteBuffer(string: lines.joined(separator: "\n")))
        try await writer.finish()
    }

    /// The fields of request `index`: some constant, some alternating, and in every fifth request a
    /// burst of names seen nowhere else, more than the cache holds, so that slots are reused and the
    /// constant fields must be made again afterwards.
    private static func fields(_ index: Int) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("content-type", "application/vnd.restate.invocation.v5"),
            ("x-alternating", "value \(index % 3) long enough not to be a small string"),
            ("x-short", "\(index % 2)"),
        ]
        if index % 5 == 4 {
            for extra in 0..<30 {
                fields.append(("x-burst-\(index)-\(extra)", "burst value \(index) \(extra) ........."))
            }
        }
        fields.append(("x-request", "request number \(index) of the sequence"))
        return fields
    }

    @Test("100 requests with repeated, changing and evicted fields each see exactly their own head")
    func repeatedFields() async throws {
        try await withServer(handler: Self.headEcho) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            for index in 0..<100 {
                let authority = index % 7 == 0 ? "other.example:\(index)" : "localhost"
                var headers: HPACKHeaders = [
                    ":method": index % 2 == 0 ? "POST" : "GET", ":path": "/path/\(index % 4)",
                    ":scheme": "http", ":authority": authority,
                ]
                for (name, value) in Self.fields(index) { headers.add(name: name, value: value) }
                let body = try await client.openStream().executeThenClose { inbound, outbound in
                    try await outbound.write(.headers(.init(headers: headers, endStream: true)))
                    return try await H2TestClient.body(of: inbound)
                }
                let expected =
                    ["method=\(index % 2 == 0 ? "POST" : "GET")", "path=/path/\(index % 4)", "authority=\(authority)"]
                    + Self.fields(index).map { "\($0.0)=\($0.1)" }
                #expect(body == expected.joined(separator: "\n"), "request \(index)")
            }
        }
    }
}
