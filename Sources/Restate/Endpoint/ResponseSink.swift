import NIOCore
import RestateHTTP2
import Synchronization

/// The response side of one request, as the endpoint needs it: a head, body chunks, an end.
///
/// The HTTP/2 server's `ResponseWriter` is one; tests use an in-memory sink.
public protocol ResponseSink: Sendable {
    /// Sends the status and header fields.
    func writeHead(status: Int, headers: HeaderFields) async throws
    /// Sends a body chunk, suspending while the transport is not drained.
    func write(_ buffer: ByteBuffer) async throws
    /// Ends the response.
    func finish() async throws
    /// The head (when given), a body chunk and, if `finish` is set, the end, as one operation.
    /// Transports that pay per operation (a hop to an event loop) implement it; the default
    /// calls the three steps.
    func write(head: (status: Int, headers: HeaderFields)?, body: ByteBuffer, finish: Bool) async throws
    /// The head (when given), a last body chunk and the end: the response's last operation.
    /// Transports may queue it and return without waiting for it to drain; the default is
    /// ``write(head:body:finish:)``.
    func finish(head: (status: Int, headers: HeaderFields)?, body: ByteBuffer) async throws
    /// Cancels the task serving this request, as a reset stream does; `nil` if the transport has
    /// no such task. The endpoint uses it to stop an attempt that a newer attempt of the same
    /// invocation supersedes; without it, each attempt runs in a task of its own.
    var handlerCanceller: (@Sendable () -> Void)? { get }
}

extension ResponseSink {
    public var handlerCanceller: (@Sendable () -> Void)? { nil }

    public func finish(head: (status: Int, headers: HeaderFields)?, body: ByteBuffer) async throws {
        try await write(head: head, body: body, finish: true)
    }

    public func write(head: (status: Int, headers: HeaderFields)?, body: ByteBuffer, finish: Bool) async throws {
        if let head { try await writeHead(status: head.status, headers: head.headers) }
        try await write(body)
        if finish { try await self.finish() }
    }
}

extension ResponseWriter: ResponseSink {
    public func finish() async throws {
        try await finish(trailers: nil)
    }

    public var handlerCanceller: (@Sendable () -> Void)? {
        { [self] in cancelHandler() }
    }
}

/// Adapts a sink to the invocation's frame writer, sending the response head with the first
/// frames instead of on its own: Restate reads nothing before the first frame anyway, and a
/// one-shot invocation then costs one transport operation for head, frames and end.
final class SinkOutputWriter<Sink: ResponseSink>: InvocationOutputWriter {
    let sink: Sink
    private let pendingHead: Mutex<(status: Int, headers: HeaderFields)?>

    init(sink: Sink, head: (status: Int, headers: HeaderFields)) {
        self.sink = sink
        self.pendingHead = Mutex(head)
    }

    func write(_ bytes: ByteBuffer) async throws {
        if let head = takeHead() {
            try await sink.write(head: head, body: bytes, finish: false)
        } else {
            try await sink.write(bytes)
        }
    }

    /// The head if it has not gone out yet; whoever takes it sends it.
    private func takeHead() -> (status: Int, headers: HeaderFields)? {
        pendingHead.withLock { head in
            defer { head = nil }
            return head
        }
    }

    func commit() async throws {
        if let head = takeHead() { try await sink.write(head: head, body: ByteBuffer(), finish: false) }
    }

    /// Writes the last `bytes` (after the head, if it is still pending) and ends the response.
    func finish(_ bytes: ByteBuffer) async throws {
        try await sink.finish(head: takeHead(), body: bytes)
    }
}
