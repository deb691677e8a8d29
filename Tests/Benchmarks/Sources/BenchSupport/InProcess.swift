import NIOCore
import Restate
import RestateCore
import RestateHTTP2
import Synchronization

/// A response sink that keeps the body in memory.
public final class MemorySink: ResponseSink {
    public struct Recorded: Sendable {
        public var status: Int?
        public var body = ByteBuffer()
        public var finished = false
    }

    private let state = Mutex(Recorded())

    public init() {}

    public var recorded: Recorded { state.withLock { $0 } }

    public func writeHead(status: Int, headers: HeaderFields) async throws {
        state.withLock { $0.status = status }
    }

    public func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        state.withLock { $0.body.writeBuffer(&buffer) }
    }

    public func finish() async throws {
        state.withLock { $0.finished = true }
    }
}

/// A request body that is one chunk, already complete (what a small invocation looks like).
public struct SingleChunkBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let chunk: ByteBuffer

    public init(_ chunk: ByteBuffer) { self.chunk = chunk }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunk: ByteBuffer?
        public mutating func next() async throws -> ByteBuffer? {
            defer { chunk = nil }
            return chunk
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunk: chunk) }
}

extension EndpointHandler {
    /// One invocation through the endpoint (router, state machine, handler task), no socket.
    public func invokeInProcess(
        _ service: String,
        _ handler: String,
        body: ByteBuffer,
        version: ProtocolVersion = .v5
    ) async -> MemorySink.Recorded {
        let sink = MemorySink()
        let head = RequestHead(
            method: "POST",
            path: "/invoke/\(service)/\(handler)",
            headers: HeaderFields([("content-type", version.contentType)]),
            transport: .http2
        )
        await handle(head, body: SingleChunkBody(body), response: sink)
        return sink.recorded
    }
}

/// Checks a response body: frames that end with `OutputCommandMessage` (a value) and `EndMessage`.
public enum ResponseCheck {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Returns the Output value's bytes.
    @discardableResult
    public static func outputValue(of body: ByteBuffer, version: ProtocolVersion = .v5) throws -> [UInt8] {
        var decoder = FrameDecoder()
        decoder.append(body)
        var messages: [ProtocolMessage] = []
        while let frame = try decoder.next() {
            messages.append(try ProtocolMessage(frame: frame, version: version))
        }
        try decoder.finish()
        guard messages.count >= 2, messages.last == .end,
            case .outputCommand(let output) = messages[messages.count - 2],
            case .value(let value) = output.result
        else {
            throw Invalid(description: "expected … Output(value), End; got \(messages.map(\.type))")
        }
        return Array(value.content)
    }
}
