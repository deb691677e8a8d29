import Foundation
import NIOCore
import RestateCore
import RestateHTTP2
import Synchronization
import Testing

@testable import Restate

/// Collects a response in memory.
final class RecordingSink: ResponseSink {
    struct Recorded: Sendable {
        var status: Int?
        var headers: HeaderFields = []
        var body = ByteBuffer()
        var finished = false
    }

    private let state = Mutex(Recorded())
    private let onWrite: (@Sendable (ByteBuffer) -> Void)?

    init(onWrite: (@Sendable (ByteBuffer) -> Void)? = nil) {
        self.onWrite = onWrite
    }

    var recorded: Recorded { state.withLock { $0 } }

    func writeHead(status: Int, headers: HeaderFields) async throws {
        state.withLock {
            $0.status = status
            $0.headers = headers
        }
    }

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        _ = state.withLock { $0.body.writeBuffer(&buffer) }
        onWrite?(buffer)
    }

    func finish() async throws {
        state.withLock { $0.finished = true }
    }

    /// The response body decoded as protocol messages.
    func messages(version: ProtocolVersion) throws -> [ProtocolMessage] {
        var decoder = FrameDecoder()
        decoder.append(recorded.body)
        var messages: [ProtocolMessage] = []
        while let frame = try decoder.next() {
            messages.append(try ProtocolMessage(frame: frame, version: version))
        }
        try decoder.finish()
        return messages
    }

    var text: String { String(buffer: recorded.body) }
}

/// Builds request bodies of protocol frames.
enum Frames {
    static func start(
        knownEntries: UInt32,
        key: String = "",
        state: [String: String]? = nil,
        id: String = "123",
        randomSeed: UInt64 = 0
    ) -> ProtocolMessage {
        .start(
            .with {
                $0.id = Data(id.utf8)
                $0.debugID = "inv_\(id)"
                $0.knownEntries = knownEntries
                $0.key = key
                $0.randomSeed = randomSeed
                if let state {
                    $0.stateMap = state.sorted { $0.key < $1.key }.map { entry in
                        .with {
                            $0.key = Data(entry.key.utf8)
                            $0.value = Data(entry.value.utf8)
                        }
                    }
                    $0.partialState = false
                } else {
                    $0.partialState = true
                }
            }
        )
    }

    static func input(_ json: String) -> ProtocolMessage {
        .inputCommand(.with { $0.value = .with { $0.content = Data(json.utf8) } })
    }

    static func encode(_ messages: [ProtocolMessage]) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        for message in messages { try message.encode(into: &buffer) }
        return buffer
    }
}

extension RequestHead {
    /// The head of an invocation attempt as Restate sends it over HTTP/2 (V6).
    static func invocation(_ path: String, invocationID: String) -> RequestHead {
        RequestHead(
            method: "POST",
            path: path,
            headers: [("content-type", ProtocolVersion.v6.contentType), ("x-restate-invocation-id", invocationID)],
            transport: .http2
        )
    }
}

extension EndpointHandler {
    /// Invokes `service/handler` with a closed request body of `messages`.
    func invoke(
        _ service: String,
        _ handler: String,
        version: ProtocolVersion = .v6,
        messages: [ProtocolMessage],
        headers: [(String, String)]? = nil
    ) async throws -> RecordingSink {
        let sink = RecordingSink()
        let body = try Frames.encode(messages)
        let head = RequestHead(
            method: "POST",
            path: "/invoke/\(service)/\(handler)",
            headers: HeaderFields(headers ?? [("content-type", version.contentType)]),
            transport: .http2
        )
        let stream = AsyncStream<ByteBuffer> { continuation in
            continuation.yield(body)
            continuation.finish()
        }
        await handle(head, body: stream, response: sink)
        return sink
    }

    func get(_ path: String, headers: [(String, String)] = []) async -> RecordingSink {
        let sink = RecordingSink()
        let head = RequestHead(method: "GET", path: path, headers: HeaderFields(headers), transport: .http2)
        await handle(head, body: AsyncStream<ByteBuffer> { $0.finish() }, response: sink)
        return sink
    }
}
