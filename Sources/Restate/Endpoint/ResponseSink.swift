import NIOCore
import RestateHTTP2

/// The response side of one request, as the endpoint needs it: a head, body chunks, an end.
///
/// The HTTP/2 server's `ResponseWriter` is one; tests use an in-memory sink.
public protocol ResponseSink: Sendable {
    func writeHead(status: Int, headers: HeaderFields) async throws
    func write(_ buffer: ByteBuffer) async throws
    func finish() async throws
}

extension ResponseWriter: ResponseSink {
    public func finish() async throws {
        try await finish(trailers: nil)
    }
}

/// Adapts a sink to the invocation's frame writer.
struct SinkOutputWriter<Sink: ResponseSink>: InvocationOutputWriter {
    let sink: Sink

    func write(_ bytes: ByteBuffer) async throws {
        try await sink.write(bytes)
    }
}
