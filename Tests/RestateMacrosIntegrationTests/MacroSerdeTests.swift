import Foundation
import NIOCore
import RestateCore
import RestateHTTP2
import Synchronization
import Testing

@testable import Restate

// `@Handler(inputSerde:outputSerde:)` type-checked against the real API and run in-process.

@Service
struct Thumbnails {
    @Handler(inputSerde: RawSerde<Data>(), outputSerde: RawSerde<Data>())
    func shrink(_ ctx: Context, image: Data) async throws -> Data { Data(image.prefix(2)) }

    @Handler(inputSerde: RawSerde<[UInt8]>())
    func size(_ ctx: Context, image: [UInt8]) async throws -> Int { image.count }

    /// Calls `shrink` through the typed client: the bytes travel raw both ways.
    func shrinkVia(_ ctx: Context, text: String) async throws -> String {
        let shrunk = try await ctx.serviceClient(Thumbnails.self).shrink(Data(text.utf8)).value
        return String(decoding: shrunk, as: UTF8.self)
    }
}

private final class Sink: ResponseSink {
    let body = Mutex(ByteBuffer())
    func writeHead(status: Int, headers: HeaderFields) async throws {}
    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        body.withLock { _ = $0.writeBuffer(&buffer) }
    }
    func finish() async throws {}
}

private func invoke(_ handler: String, _ messages: [ProtocolMessage]) async throws -> [ProtocolMessage] {
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(Thumbnails.self)
    var body = ByteBuffer()
    for message in messages { try message.encode(into: &body) }
    let requestBody = body
    let stream = AsyncStream<ByteBuffer> {
        $0.yield(requestBody)
        $0.finish()
    }
    let sink = Sink()
    let head = RequestHead(
        method: "POST",
        path: "/invoke/Thumbnails/\(handler)",
        headers: HeaderFields([("content-type", ProtocolVersion.v6.contentType)]),
        transport: .http2
    )
    try await endpoint.makeHandler().handle(head, body: stream, response: sink)
    var decoder = FrameDecoder()
    decoder.append(sink.body.withLock { $0 })
    var output: [ProtocolMessage] = []
    while let frame = try decoder.next() { output.append(try ProtocolMessage(frame: frame, version: .v6)) }
    return output
}

private func journal(_ input: Data, _ entries: [ProtocolMessage] = []) -> [ProtocolMessage] {
    [
        .start(
            .with {
                $0.id = Data("1".utf8)
                $0.debugID = "inv_1"
                $0.knownEntries = UInt32(1 + entries.count)
                $0.partialState = true
            }
        ),
        .inputCommand(.with { $0.value = .with { $0.content = input } }),
    ] + entries
}

@Suite("Macros with serdes")
struct MacroSerdeTests {
    @Test("the descriptor announces the serdes' content types; the JSON side keeps its schema")
    func descriptor() {
        let handlers = Thumbnails.restateDescriptor.handlers
        #expect(handlers[0].input.contentType == "application/octet-stream")
        #expect(handlers[0].output.contentType == "application/octet-stream")
        #expect(handlers[0].input.jsonSchema == nil)
        #expect(handlers[1].input.contentType == "application/octet-stream")
        #expect(handlers[1].output.contentType == "application/json")
        #expect(handlers[1].output.jsonSchema == #"{"type":"integer"}"#)
        #expect(handlers[2].input.jsonSchema == #"{"type":"string"}"#)
    }

    @Test("a raw handler receives and answers bytes as they are")
    func rawHandler() async throws {
        let messages = try await invoke("shrink", journal(Data([9, 8, 7])))
        #expect(messages.first == .outputCommand(.with { $0.value = .with { $0.content = Data([9, 8]) } }))
        let size = try await invoke("size", journal(Data([1, 2, 3, 4])))
        #expect(size.first == .outputCommand(.with { $0.value = .with { $0.content = Data("4".utf8) } }))
    }

    @Test("the typed client encodes the input with the handler's serde and decodes the output with it")
    func client() async throws {
        let first = try await invoke("shrinkVia", journal(Data("\"hello\"".utf8)))
        guard case .callCommand(let call)? = first.first else {
            Issue.record("expected a call, got \(first)")
            return
        }
        #expect(call.handlerName == "shrink")
        #expect(call.parameter == Data("hello".utf8))
        let replay = try await invoke(
            "shrinkVia",
            journal(
                Data("\"hello\"".utf8),
                [
                    first[0],
                    .notification(
                        .callCompletionNotification,
                        .with {
                            $0.completionID = call.resultCompletionID
                            $0.value = .with { $0.content = Data("he".utf8) }
                        }
                    ),
                ]
            )
        )
        #expect(replay.first == .outputCommand(.with { $0.value = .with { $0.content = Data("\"he\"".utf8) } }))
    }
}
