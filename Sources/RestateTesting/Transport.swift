import Foundation
import NIOCore
import Restate
import RestateHTTP2
import Synchronization

/// How the runtime talks to a deployment: discovery and one stream per invocation attempt.
protocol EndpointTransport: Sendable {
    /// `GET /discover`; returns the manifest JSON and the `x-restate-server` header.
    ///
    /// - Throws: ``TestRuntimeError`` (500, with Restate's `[META0003]` code in the message) when
    ///   the deployment cannot be reached or answers with an error.
    func discover() async throws -> (manifest: Data, server: String?)

    /// Runs one attempt: `body` is the request body (Start, the journal, then whatever the runtime
    /// pushes); `onChunk` receives the response body as it arrives. Returns the response status
    /// once the response has ended.
    func invoke(
        service: String,
        handler: String,
        contentType: String,
        headers: [(String, String)],
        body: AsyncStream<ByteBuffer>,
        onChunk: @escaping @Sendable (ByteBuffer) async -> Void
    ) async throws -> Int

    /// How the deployment is shown by the admin API.
    var address: String { get }

    func shutdown() async
}

let manifestAccept = "application/vnd.restate.endpointmanifest.v4+json"

/// Calls the endpoint's request handler directly: no sockets, no HTTP.
struct InProcessTransport: EndpointTransport {
    let handler: EndpointHandler

    var address: String { "in-process" }

    func discover() async throws -> (manifest: Data, server: String?) {
        let sink = CollectingSink(onChunk: nil)
        let head = RequestHead(
            method: "GET",
            path: "/discover",
            headers: [("accept", manifestAccept)],
            transport: .http2
        )
        await handler.handle(head, body: AsyncStream<ByteBuffer> { $0.finish() }, response: sink)
        let (status, body) = sink.result
        guard status == 200 else { throw discoveryFailure(status: status, body: body) }
        return (body, nil)
    }

    func invoke(
        service: String,
        handler: String,
        contentType: String,
        headers: [(String, String)],
        body: AsyncStream<ByteBuffer>,
        onChunk: @escaping @Sendable (ByteBuffer) async -> Void
    ) async throws -> Int {
        let sink = CollectingSink(onChunk: onChunk)
        let head = RequestHead(
            method: "POST",
            path: "/invoke/\(service)/\(handler)",
            headers: HeaderFields([("content-type", contentType), ("accept", contentType)] + headers),
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

/// The error Restate reports when discovery gets a bad answer (its `DiscoveryError`, META0003).
func discoveryFailure(status: Int, body: Data) -> TestRuntimeError {
    let text = String(decoding: body.prefix(1024), as: UTF8.self)
    if status == 404 {
        return TestRuntimeError(
            status: 500,
            "[META0003] got status code '404'. Make sure the provided URI has the correct path where the "
                + "Restate SDK endpoint is mounted. Body: \(text)"
        )
    }
    return TestRuntimeError(status: 500, "[META0003] got status code '\(status)'. Body: \(text)")
}

/// Reaches a deployment over HTTP/2 (h2c, prior knowledge), as Restate does: discovery at
/// `{uri}/discover`, attempts at `{uri}/invoke/{service}/{handler}`, one stream each on a shared
/// connection that is opened again when the deployment closed it (idle timeouts, restarts).
final class HTTP2Transport: EndpointTransport {
    let host: String
    let port: Int
    /// The path of the deployment URL without a trailing slash (`""` for `http://host:port/`).
    let basePath: String
    /// Extra headers sent with every request (`additional_headers` of the registration).
    let extraHeaders: [(String, String)]
    /// The endpoint server when the runtime serves the endpoint itself.
    let server: HTTP2Server?
    private let connection: HTTP2Connection

    init(host: String, port: Int, basePath: String, extraHeaders: [(String, String)] = [], server: HTTP2Server?) {
        self.host = host
        self.port = port
        self.basePath = basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath
        self.extraHeaders = extraHeaders
        self.server = server
        self.connection = HTTP2Connection(host: host, port: port)
    }

    /// Serves `endpoint` on a loopback port and reaches it over that port.
    static func serving(_ endpoint: Endpoint) async throws -> HTTP2Transport {
        let server = try await endpoint.start(host: "127.0.0.1", port: 0)
        return HTTP2Transport(host: "127.0.0.1", port: server.port, basePath: "", server: server)
    }

    var address: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(basePath)/" }

    func discover() async throws -> (manifest: Data, server: String?) {
        var lastError: any Error = TestRuntimeError(status: 500, "[META0003] discovery failed")
        // A second try on a fresh connection covers one closed just before the request.
        for _ in 0..<2 {
            let response: HTTP2Client.Response
            do {
                response = try await connection.client().request(
                    method: "GET",
                    path: basePath + "/discover",
                    headers: [("accept", manifestAccept)] + extraHeaders,
                    body: AsyncStream { $0.finish() },
                    onChunk: nil
                )
            } catch {
                await connection.reset()
                lastError = TestRuntimeError(
                    status: 500,
                    "[META0003] cannot reach the deployment at \(address): \(error)"
                )
                continue
            }
            guard response.status == 200 else { throw discoveryFailure(status: response.status, body: response.body) }
            return (response.body, response.headers.first { $0.0.lowercased() == "x-restate-server" }?.1)
        }
        throw lastError
    }

    func invoke(
        service: String,
        handler: String,
        contentType: String,
        headers: [(String, String)],
        body: AsyncStream<ByteBuffer>,
        onChunk: @escaping @Sendable (ByteBuffer) async -> Void
    ) async throws -> Int {
        let client: HTTP2Client
        do {
            client = try await connection.client()
        } catch {
            await connection.reset()
            throw error
        }
        do {
            return try await client.request(
                method: "POST",
                path: basePath + "/invoke/\(service)/\(handler)",
                headers: [("content-type", contentType), ("accept", contentType)] + headers + extraHeaders,
                body: body,
                onChunk: onChunk
            ).status
        } catch {
            if !client.isActive { await connection.reset() }
            throw error
        }
    }

    func shutdown() async {
        await connection.reset()
        await server?.shutdown(gracePeriod: .seconds(1))
    }
}

/// The one connection of an ``HTTP2Transport``, opened on first use and again after it closed.
actor HTTP2Connection {
    let host: String
    let port: Int
    private var current: HTTP2Client?

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    func client() async throws -> HTTP2Client {
        if let current, current.isActive { return current }
        let fresh = try await HTTP2Client.connect(host: host, port: port)
        current = fresh
        return fresh
    }

    func reset() async {
        let old = current
        current = nil
        await old?.close()
    }
}
