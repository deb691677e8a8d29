import Foundation
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

/// A minimal h2c (HTTP/2 prior knowledge) client on swift-nio-http2: one connection, a stream
/// per request, the request body streamed while the response is read, as Restate's invoker does.
final class HTTP2Client: Sendable {
    typealias Stream = NIOAsyncChannel<HTTP2Frame.FramePayload, HTTP2Frame.FramePayload>

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        /// Only collected when no `onChunk` was given.
        var body: Data
    }

    private let channel: any Channel
    private let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>

    private init(channel: any Channel, multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>) {
        self.channel = channel
        self.multiplexer = multiplexer
    }

    static func connect(host: String, port: Int) async throws -> HTTP2Client {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .client) {
                        $0.eventLoop.makeSucceededVoidFuture()
                    }
                    return HTTP2Client(channel: channel, multiplexer: multiplexer)
                }
            }
    }

    /// Sends one request; `body` may stay open while the response streams (bidirectional).
    func request(
        method: String,
        path: String,
        headers: [(String, String)],
        body: AsyncStream<ByteBuffer>,
        onChunk: (@Sendable (ByteBuffer) async -> Void)?
    ) async throws -> Response {
        let stream = try await multiplexer.openStream { channel in
            channel.eventLoop.makeCompletedFuture { try Stream(wrappingChannelSynchronously: channel) }
        }
        return try await stream.executeThenClose { inbound, outbound in
            var head: HPACKHeaders = [":method": method, ":path": path, ":scheme": "http", ":authority": "localhost"]
            for (name, value) in headers { head.add(name: name, value: value) }
            try await outbound.write(.headers(.init(headers: head)))
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Errors here mean the stream is gone; the response side reports that.
                    do {
                        for await chunk in body {
                            try await outbound.write(.data(.init(data: .byteBuffer(chunk))))
                        }
                        try await outbound.write(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true)))
                    } catch {}
                }
                var response = Response(status: 0, headers: [], body: Data())
                loop: for try await frame in inbound {
                    switch frame {
                    case .headers(let headers):
                        if let status = headers.headers.first(name: ":status").flatMap(Int.init) {
                            response.status = status
                            response.headers = headers.headers.filter { !$0.name.hasPrefix(":") }
                                .map { ($0.name, $0.value) }
                        }
                        if headers.endStream { break loop }
                    case .data(let data):
                        if case .byteBuffer(let buffer) = data.data, buffer.readableBytes > 0 {
                            if let onChunk {
                                await onChunk(buffer)
                            } else {
                                response.body.append(contentsOf: buffer.readableBytesView)
                            }
                        }
                        if data.endStream { break loop }
                    case .rstStream:
                        break loop
                    default:
                        continue
                    }
                }
                // The response is over: an open request body has nothing left to say.
                group.cancelAll()
                return response
            }
        }
    }

    /// Whether the connection is still open (the peer may have closed it, e.g. when idle).
    var isActive: Bool { channel.isActive }

    func close() async {
        try? await channel.close()
    }
}
