import Foundation
import NIOCore
import Restate
import RestateHTTP2
import Synchronization

/// How the runtime talks to the endpoint: discovery and one stream per invocation attempt.
protocol EndpointTransport: Sendable {
    /// `GET /discover`; returns the manifest JSON.
    func discover() async throws -> Data

    /// Runs one attempt: `body` is the request body (Start, the journal, then whatever the runtime
    /// pushes); `onChunk` receives the response body as it arrives. Returns the response status
    /// once the response has ended.
    func invoke(
        service: String,
        handler: String,
        contentType: String,
        body: AsyncStream<ByteBuffer>,
        onChunk: @escaping @Sendable (ByteBuffer) async -> Void
    ) async throws -> Int

    func shutdown() async
}

let manifestAccept = "application/vnd.restate.endpointmanifest.v4+json"

/// Calls the endpoint's request handler directly: no sockets, no HTTP.
struct InProcessTransport: EndpointTransport {
    let handler: EndpointHandler

    func discover() async throws -> Data {
        let sink = CollectingSink(onChunk: nil)
        let head = RequestHead(
            method: "GET",
            path: "/discover",
            headers: [("accept", manifestAccept)],
            transport: .http2
        )
        await handler.handle(head, body: AsyncStream<ByteBuffer> { $0.finish() }, response: sink)
        let (status, body) = sink.result
        guard status == 200 else {
            throw TestRuntimeError(
                status: 500,
                "discovery failed with \(status): \(String(decoding: body, as: UTF8.self))"
            )
        }
        return body
    }

    func invoke(
        service: String,
        handler: String,
        contentType: String,
        body: AsyncStream<ByteBuffer>,
        onChunk: @escaping @Sendable (ByteBuffer) async -> Void
    ) async throws -> Int {
        let sink = CollectingSink(onChunk: onChunk)
        let head = RequestHead(
            method: "POST",
            path: "/invoke/\(service)/\(handler)",
            headers: [("content-type", contentType), ("accept", contentType)],
            transport: .http2
        )
        await self.handler.handle(head, body: body, response: sink)
        return sink.result.status
    }

    func shutdown() async {}
}

/// A response sink that forwards the body (invocations) or collects it (discovery).
final class CollectingSink: ResponseSink {
    private struct State {
        var status = 0
        var body = Data()
    }

    private let state = Mutex(State())
    private let onChunk: (@Sendable (ByteBuffer) async -> Void)?

    init(onChunk: (@Sendable (ByteBuffer) async -> Void)?) {
        self.onChunk = onChunk
    }

    var result: (status: Int, body: Data) { state.withLock { ($0.status, $0.body) } }

    func writeHead(status: Int, headers: HeaderFields) async throws {
        state.withLock { $0.status = status }
    }

    func write(_ buffer: ByteBuffer) async throws {
        if let onChunk {
            // Awaited, so the runtime has processed a frame before the endpoint writes the next.
            await onChunk(buffer)
        } else {
            state.withLock { $0.body.append(contentsOf: buffer.readableBytesView) }
        }
    }

    func finish() async throws {}
}

/// Serves the endpoint on a loopback port and reaches it with an HTTP/2 client, as Restate does.
final class HTTP2Transport: EndpointTransport {
    let server: HTTP2Server
    let client: HTTP2Client

    init(endpoint: Endpoint) async throws {
        let server = try await endpoint.start(host: "127.0.0.1", port: 0)
        do {
            self.client = try await HTTP2Client.connect(host: "127.0.0.1", port: server.port)
            self.server = server
        } catch {
            await server.shutdown(gracePeriod: .zero)
            throw error
        }
    }

    func discover() async throws -> Data {
        let response = try await client.request(
            method: "GET",
            path: "/discover",
            headers: [("accept", manifestAccept)],
            body: AsyncStream { $0.finish() },
            onChunk: nil
        )
        guard response.status == 200 else {
            throw TestRuntimeError(status: 500, "discovery failed with \(response.status)")
        }
        return response.body
    }

    func invoke(
        service: String,
        handler: String,
        contentType: String,
        body: AsyncStream<ByteBuffer>,
        onChunk: @escaping @Sendable (ByteBuffer) async -> Void
    ) async throws -> Int {
        try await client.request(
            method: "POST",
            path: "/invoke/\(service)/\(handler)",
            headers: [("content-type", contentType), ("accept", contentType)],
            body: body,
            onChunk: onChunk
        ).status
    }

    func shutdown() async {
        await client.close()
        await server.shutdown(gracePeriod: .seconds(1))
    }
}
