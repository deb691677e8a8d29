import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP2
import Testing

@testable import RestateHTTP2

/// `RequestBody.deliver(chunk:end:)`: the body pushed into callbacks from the connection's event
/// loop instead of pulled by a task.
@Suite("RequestBody delivered to callbacks", .timeLimit(.minutes(1)))
struct RequestBodyDeliveryTests {
    /// What a delivering handler saw, in order.
    final class Record: Sendable {
        let events = NIOLockedValueBox<[String]>([])
        let bytes = NIOLockedValueBox(0)
        let ended = Signal()

        func deliver(_ body: RequestBody) {
            body.deliver { chunk in
                self.events.withLockedValue { $0.append(String(buffer: chunk)) }
                self.bytes.withLockedValue { $0 += chunk.readableBytes }
            } end: { error in
                self.events.withLockedValue { $0.append(error.map { "error: \($0)" } ?? "end") }
                self.ended.fire()
            }
        }
    }

    @Test("chunks received before and after subscribing arrive in order, then the end")
    func inOrder() async throws {
        let record = Record()
        let firstChunkIn = Signal()
        try await withServer(handler: { _, body, writer in
            await firstChunkIn.wait()  // "one" is buffered before anyone takes it
            record.deliver(body)
            await record.ended.wait()
            try await writer.writeHead(status: 200)
            try await writer.write(ByteBuffer(string: record.events.withLockedValue { $0.joined(separator: ",") }))
            try await writer.finish()
        }) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            let stream = try await client.openStream()
            try await stream.executeThenClose { inbound, outbound in
                try await outbound.write(.headers(.init(headers: H2TestClient.requestHeaders(path: "/push"))))
                try await outbound.write(.data(.init(data: .byteBuffer(ByteBuffer(string: "one")))))
                try await client.ping()  // the server has read "one"
                firstChunkIn.fire()
                try await outbound.write(.data(.init(data: .byteBuffer(ByteBuffer(string: "two")))))
                try await client.ping()
                try await outbound.write(.data(.init(data: .byteBuffer(ByteBuffer(string: "three")), endStream: true)))
                let body = try await H2TestClient.body(of: inbound)
                #expect(body == "one,two,three,end")
            }
        }
    }

    @Test("a reset stream ends the delivery with the stream's error")
    func reset() async throws {
        let record = Record()
        let subscribed = Signal()
        try await withServer(handler: { _, body, writer in
            try await writer.writeHead(status: 200)
            record.deliver(body)
            subscribed.fire()
            await record.ended.wait()
        }) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            let stream = try await client.openStream()
            try await stream.executeThenClose { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                try await outbound.write(.headers(.init(headers: H2TestClient.requestHeaders(path: "/reset"))))
                try await outbound.write(.data(.init(data: .byteBuffer(ByteBuffer(string: "partial")))))
                #expect(try await frames.next()?.status == "200")
                await subscribed.wait()
                try await outbound.write(.rstStream(.cancel))
            }
            await record.ended.wait()
            let events = record.events.withLockedValue { $0 }
            #expect(events.first == "partial")
            #expect(events.count == 2)
            #expect(events.last?.hasPrefix("error: ") == true)
        }
    }

    @Test("delivered chunks open the flow-control window: a body far beyond it arrives whole")
    func flowControl() async throws {
        let record = Record()
        let total = 512 * 1024  // eight times the initial stream window
        try await withServer(handler: { _, body, writer in
            record.deliver(body)
            await record.ended.wait()
            try await writer.writeHead(status: 200)
            try await writer.write(ByteBuffer(string: String(record.bytes.withLockedValue { $0 })))
            try await writer.finish()
        }) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            let stream = try await client.openStream()
            try await stream.executeThenClose { inbound, outbound in
                try await outbound.write(.headers(.init(headers: H2TestClient.requestHeaders(path: "/big"))))
                let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 16 * 1024)
                for index in 0..<(total / chunk.readableBytes) {
                    let last = index == total / chunk.readableBytes - 1
                    try await outbound.write(.data(.init(data: .byteBuffer(chunk), endStream: last)))
                }
                let body = try await H2TestClient.body(of: inbound)
                #expect(body == String(total))
            }
        }
    }
}
