import Foundation
import NIOCore
import RestateCore
import Synchronization
import Testing

@testable import Restate
@testable import RestateTesting

/// Fencing through the real HTTP/2 server: there the attempt runs in the stream's own task (no
/// task of the endpoint's), and a newer attempt stops the stale one by cancelling that task
/// through the transport.
@Suite("Dispatcher: fencing over HTTP/2", .timeLimit(.minutes(1)))
struct FencingOverHTTP2Tests {
    private func decode(_ body: Data) throws -> [ProtocolMessage] {
        var decoder = FrameDecoder()
        decoder.append(ByteBuffer(bytes: body))
        var messages: [ProtocolMessage] = []
        while let frame = try decoder.next() { messages.append(try ProtocolMessage(frame: frame, version: .v6)) }
        return messages
    }

    private func request(_ id: String) throws -> ByteBuffer {
        try Frames.encode([Frames.start(knownEntries: 1, key: "k", state: [:], id: id), Frames.input("\"x\"")])
    }

    @Test("a new attempt cancels the stale one's stream task before it starts")
    func fencingCancelsTheStreamTask() async throws {
        var endpoint = Endpoint(configuration: .init(shardCount: 2))
        endpoint.bind(Signup.self)
        let server = try await endpoint.start(host: "127.0.0.1", port: 0)
        let client = try await HTTP2Client.connect(host: "127.0.0.1", port: server.port)
        let headers = [
            ("content-type", ProtocolVersion.v6.contentType), ("x-restate-invocation-id", "inv_fenced"),
        ]

        // The first attempt's request stays open; it parks on the promise after its first frames.
        let (firstBody, firstInput) = AsyncStream<ByteBuffer>.makeStream()
        firstInput.yield(try request("inv_fenced"))
        let (parked, parkedSignal) = AsyncStream<Void>.makeStream()
        let firstFrames = Mutex(Data())
        let first = Task {
            try await client.request(
                method: "POST",
                path: "/invoke/Signup/run",
                headers: headers,
                body: firstBody
            ) { chunk in
                firstFrames.withLock { $0.append(contentsOf: chunk.readableBytesView) }
                parkedSignal.yield()
            }
        }
        var waiter = parked.makeAsyncIterator()
        _ = await waiter.next()

        // The retry of the same invocation, with a complete request: it runs to its suspension.
        let (secondBody, secondInput) = AsyncStream<ByteBuffer>.makeStream()
        secondInput.yield(try request("inv_fenced"))
        secondInput.finish()
        let second = try await client.request(
            method: "POST",
            path: "/invoke/Signup/run",
            headers: headers,
            body: secondBody,
            onChunk: nil
        )

        // The stale attempt's response ended without its request ending: it was cancelled.
        let stale = try await first.value
        #expect(stale.status == 200)
        #expect(second.status == 200)
        guard case .suspensionV6 = try decode(second.body).last else {
            Issue.record("the new attempt should have run to its suspension, got \(try decode(second.body))")
            return
        }
        let staleMessages = try decode(firstFrames.withLock { $0 })
        #expect(!staleMessages.contains { if case .suspensionV6 = $0 { true } else { false } })
        firstInput.finish()
        await client.close()
        await server.shutdown(gracePeriod: .seconds(1))
    }
}
