import Foundation
import NIOCore
import RestateCore

/// The work each benchmark measures, shared with the callgrind driver so both count the same code.
public enum Scenarios {
    /// One-shot invocation through the bare state machine: Start + Input in, Output + End out.
    /// The "handler" echoes its input.
    public static func stateMachineOneShot(_ body: ByteBuffer, version: ProtocolVersion = .v5) throws -> ByteBuffer {
        var machine = try InvocationStateMachine(contentType: version.contentType)
        machine.notifyInput(body)
        machine.notifyInputClosed()
        let input = try machine.input()
        try machine.writeOutput(.success(input.body))
        try machine.end()
        return drain(&machine)
    }

    /// Replays a journal of `SetStateCommand`s (``Bodies/replayJournal(entries:)``): every
    /// command is popped and compared with the one user code issues, then Output + End.
    public static func replay(
        _ body: ByteBuffer,
        keys: [(String, Data)],
        version: ProtocolVersion = .v5
    ) throws -> ByteBuffer {
        var machine = try InvocationStateMachine(contentType: version.contentType)
        machine.notifyInput(body)
        machine.notifyInputClosed()
        _ = try machine.input()
        for (key, value) in keys {
            try machine.setState(key: key, value: value)
        }
        guard machine.isProcessing else {
            throw ResponseCheck.Invalid(description: "replay did not reach processing")
        }
        try machine.writeOutput(.success(Data("0".utf8)))
        try machine.end()
        return drain(&machine)
    }

    static func drain(_ machine: inout InvocationStateMachine) -> ByteBuffer {
        var out = ByteBuffer()
        while true {
            switch machine.takeOutput() {
            case .bytes(var bytes): out.writeBuffer(&bytes)
            case .none, .closed: return out
            }
        }
    }

    /// One message of each common kind, with small realistic payloads, for the codec benchmarks.
    public static let messageKinds: [(name: String, message: ProtocolMessage)] = [
        ("Start", Bodies.start(knownEntries: 1, key: "user-42", state: [("count", "41"), ("name", "\"Till\"")])),
        ("Input", Bodies.input("{\"name\":\"Till\",\"greeting\":\"Hello\"}")),
        ("Output", .outputCommand(.with { $0.value = .with { $0.content = Data("\"Hello Till!\"".utf8) } })),
        ("End", .end),
        (
            "SetState",
            .setStateCommand(
                .with {
                    $0.key = Data("count".utf8)
                    $0.value = .with { $0.content = Data("42".utf8) }
                }
            )
        ),
        (
            "GetEagerState",
            .getEagerStateCommand(
                .with {
                    $0.key = Data("count".utf8)
                    $0.value = .with { $0.content = Data("41".utf8) }
                }
            )
        ),
        (
            "Call",
            .callCommand(
                .with {
                    $0.serviceName = "Greeter"
                    $0.handlerName = "greet"
                    $0.parameter = Data("\"Till\"".utf8)
                    $0.invocationIDNotificationIdx = 1
                    $0.resultCompletionID = 2
                }
            )
        ),
        (
            "Run",
            .runCommand(
                .with {
                    $0.resultCompletionID = 1
                    $0.name = "send email"
                }
            )
        ),
        (
            "ProposeRunCompletion",
            .proposeRunCompletion(
                .with {
                    $0.resultCompletionID = 1
                    $0.value = Data("\"ok\"".utf8)
                }
            )
        ),
        (
            "RunCompletionNotification",
            .notification(
                .runCompletionNotification,
                .with {
                    $0.completionID = 1
                    $0.value = .with { $0.content = Data("\"ok\"".utf8) }
                }
            )
        ),
    ]

    /// Decodes every frame of `bytes` into typed messages; returns how many.
    public static func decodeAll(_ bytes: ByteBuffer, version: ProtocolVersion = .v5) throws -> Int {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        var count = 0
        while let frame = try decoder.next() {
            _ = try ProtocolMessage(frame: frame, version: version)
            count += 1
        }
        return count
    }
}

/// A typical handler payload for the JSON serde benchmark: an order with a few line items.
public struct Order: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public var sku: String
        public var quantity: Int
        public var unitPrice: Double
    }

    public var id: String
    public var customer: String
    public var email: String
    public var items: [Item]
    public var total: Double
    public var tags: [String]
    public var gift: Bool

    public static let sample = Order(
        id: "ord_01HZX3K9Q7",
        customer: "Till Rohrmann",
        email: "till@example.com",
        items: (1...5).map { Item(sku: "SKU-\($0 * 1111)", quantity: $0, unitPrice: Double($0) * 9.99) },
        total: 149.85,
        tags: ["priority", "eu-west", "gift-wrap"],
        gift: true
    )

    /// The encoder configured as the SDK's serde (`JSONCoding`, internal): sorted keys so that
    /// journaled payloads are deterministic.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
