import Foundation
import NIOCore
import SwiftProtobuf
import Testing

@testable import RestateCore

/// One sample of every message of protocol V5–V7, with the versions it is valid on.
private let sampleMessages: [(ProtocolMessage, [ProtocolVersion])] = {
    let all = ProtocolVersion.allCases
    var start = Proto.StartMessage()
    start.id = Data("123".utf8)
    start.debugID = "inv_123"
    start.knownEntries = 3
    start.stateMap = [
        .with {
            $0.key = Data("k".utf8); $0.value = Data("v".utf8)
        }
    ]
    start.partialState = true
    start.key = "key"
    start.retryCountSinceLastStoredEntry = 2
    start.durationSinceLastStoredEntry = 1500
    var startV6 = start
    startV6.randomSeed = 0xDEAD_BEEF_1234
    var startV7 = startV6
    startV7.scope = "scope"
    startV7.limitKey = "limit"
    startV7.idempotencyKey = "idem"

    let value = Proto.Value.with { $0.content = Data("payload".utf8) }
    let failure = Proto.Failure.with {
        $0.code = 409; $0.message = "cancelled"
    }
    let failureV6 = Proto.Failure.with {
        $0.code = 500
        $0.message = "boom"
        $0.metadata = [
            .with {
                $0.key = "k"; $0.value = "v"
            }
        ]
    }
    let headers = [
        Proto.Header.with {
            $0.key = "x-a"; $0.value = "1"
        }
    ]
    let future = Proto.Future.with {
        $0.waitingCompletions = [1, 2]
        $0.waitingSignals = [1]
        $0.combinatorType = .firstCompleted
        $0.nestedFutures = [
            .with {
                $0.waitingNamedSignals = ["abc"]; $0.combinatorType = .allCompleted
            }
        ]
    }

    var messages: [(ProtocolMessage, [ProtocolVersion])] = [
        (.start(start), [.v5]),
        (.start(startV6), [.v6]),
        (.start(startV7), [.v7]),
        (
            .suspensionV6(
                .with {
                    $0.waitingCompletions = [1]; $0.waitingSignals = [1]; $0.waitingNamedSignals = ["n"]
                }
            ), [.v5, .v6]
        ),
        (.suspension(.with { $0.awaitingOn = future }), [.v7]),
        (
            .error(
                .with {
                    $0.code = 570
                    $0.message = "mismatch"
                    $0.stacktrace = "trace"
                    $0.relatedCommandIndex = 3
                    $0.relatedCommandName = "name"
                    $0.relatedCommandType = 0x0411
                    $0.nextRetryDelay = 50
                }
            ), all
        ),
        (
            .error(
                .with {
                    $0.code = 500; $0.behavior = .pause
                }
            ), [.v7]
        ),
        (.end, all),
        (.commandAck(.with { $0.commandIndex = 7 }), all),
        (
            .proposeRunCompletion(
                .with {
                    $0.resultCompletionID = 1; $0.value = Data("raw".utf8)
                }
            ), all
        ),
        (
            .proposeRunCompletion(
                .with {
                    $0.resultCompletionID = 2; $0.failure = failure
                }
            ), all
        ),
        (
            .awaitingOn(
                .with {
                    $0.awaitingOn = future; $0.executingSideEffects = true
                }
            ), [.v7]
        ),
        (.proposeRunCompletionAck(.with { $0.completionID = 4 }), [.v7]),
        (
            .inputCommand(
                .with {
                    $0.headers = headers; $0.value = value; $0.name = "input"
                }
            ), all
        ),
        (.outputCommand(.with { $0.value = value }), all),
        (.outputCommand(.with { $0.failure = failure }), all),
        (.outputCommand(.with { $0.failure = failureV6 }), [.v6, .v7]),
        (
            .getLazyStateCommand(
                .with {
                    $0.key = Data("k".utf8); $0.resultCompletionID = 1; $0.name = "g"
                }
            ), all
        ),
        (
            .setStateCommand(
                .with {
                    $0.key = Data("k".utf8); $0.value = value
                }
            ), all
        ),
        (.clearStateCommand(.with { $0.key = Data("k".utf8) }), all),
        (.clearAllStateCommand(.init()), all),
        (.getLazyStateKeysCommand(.with { $0.resultCompletionID = 5 }), all),
        (
            .getEagerStateCommand(
                .with {
                    $0.key = Data("k".utf8); $0.void = .init()
                }
            ), all
        ),
        (
            .getEagerStateCommand(
                .with {
                    $0.key = Data("k".utf8); $0.value = value
                }
            ), all
        ),
        (.getEagerStateKeysCommand(.with { $0.value = .with { $0.keys = [Data("a".utf8), Data("b".utf8)] } }), all),
        (
            .getPromiseCommand(
                .with {
                    $0.key = "p"; $0.resultCompletionID = 1
                }
            ), all
        ),
        (
            .peekPromiseCommand(
                .with {
                    $0.key = "p"; $0.resultCompletionID = 2
                }
            ), all
        ),
        (
            .completePromiseCommand(
                .with {
                    $0.key = "p"; $0.completionValue = value; $0.resultCompletionID = 3
                }
            ), all
        ),
        (
            .completePromiseCommand(
                .with {
                    $0.key = "p"; $0.completionFailure = failure; $0.resultCompletionID = 3
                }
            ), all
        ),
        (
            .sleepCommand(
                .with {
                    $0.wakeUpTime = 1_700_000_000_000; $0.resultCompletionID = 1; $0.name = "nap"
                }
            ), all
        ),
        (
            .callCommand(
                .with {
                    $0.serviceName = "Greeter"
                    $0.handlerName = "greet"
                    $0.parameter = Data("\"x\"".utf8)
                    $0.headers = headers
                    $0.key = "k"
                    $0.idempotencyKey = "i"
                    $0.invocationIDNotificationIdx = 1
                    $0.resultCompletionID = 2
                }
            ), all
        ),
        (
            .callCommand(
                .with {
                    $0.serviceName = "S"; $0.scope = "s"; $0.limitKey = "l"
                }
            ), [.v7]
        ),
        (
            .oneWayCallCommand(
                .with {
                    $0.serviceName = "Greeter"
                    $0.handlerName = "greet"
                    $0.invokeTime = 1_700_000_000_000
                    $0.invocationIDNotificationIdx = 3
                }
            ), all
        ),
        (
            .sendSignalCommand(
                .with {
                    $0.targetInvocationID = "inv_1"; $0.idx = 1; $0.void = .init()
                }
            ), all
        ),
        (
            .sendSignalCommand(
                .with {
                    $0.targetInvocationID = "inv_1"; $0.name = "go"; $0.value = value
                }
            ), all
        ),
        (
            .runCommand(
                .with {
                    $0.resultCompletionID = 1; $0.name = "eff"
                }
            ), all
        ),
        (
            .attachInvocationCommand(
                .with {
                    $0.invocationID = "inv_1"; $0.resultCompletionID = 1
                }
            ), all
        ),
        (
            .attachInvocationCommand(
                .with {
                    $0.workflowTarget = .with {
                        $0.workflowName = "W"; $0.workflowKey = "k"
                    }
                    $0.resultCompletionID = 1
                }
            ), all
        ),
        (
            .getInvocationOutputCommand(
                .with {
                    $0.idempotentRequestTarget = .with {
                        $0.serviceName = "S"
                        $0.handlerName = "h"
                        $0.idempotencyKey = "i"
                    }
                    $0.resultCompletionID = 1
                }
            ), all
        ),
        (
            .completeAwakeableCommand(
                .with {
                    $0.awakeableID = "sign_1abc"; $0.value = value
                }
            ), all
        ),
        (
            .completeAwakeableCommand(
                .with {
                    $0.awakeableID = "sign_1abc"; $0.failure = failure
                }
            ), all
        ),
    ]
    let notificationTypes: [MessageType] = [
        .getLazyStateCompletionNotification, .getLazyStateKeysCompletionNotification,
        .getPromiseCompletionNotification, .peekPromiseCompletionNotification,
        .completePromiseCompletionNotification, .sleepCompletionNotification, .callCompletionNotification,
        .callInvocationIdCompletionNotification, .runCompletionNotification,
        .attachInvocationCompletionNotification, .getInvocationOutputCompletionNotification,
    ]
    for type in notificationTypes {
        messages.append(
            (
                .notification(
                    type,
                    .with {
                        $0.completionID = 1; $0.value = value
                    }
                ), all
            )
        )
    }
    messages.append(
        (
            .notification(
                .getLazyStateCompletionNotification,
                .with {
                    $0.completionID = 2; $0.void = .init()
                }
            ), all
        )
    )
    messages.append(
        (
            .notification(
                .callInvocationIdCompletionNotification,
                .with {
                    $0.completionID = 1; $0.invocationID = "inv_9"
                }
            ), all
        )
    )
    messages.append(
        (
            .notification(
                .getLazyStateKeysCompletionNotification,
                .with {
                    $0.completionID = 1; $0.stateKeys = .with { $0.keys = [Data("a".utf8)] }
                }
            ), all
        )
    )
    messages.append(
        (
            .notification(
                .signalNotification,
                .with {
                    $0.signalID = 1; $0.void = .init()
                }
            ), all
        )
    )
    messages.append(
        (
            .notification(
                .signalNotification,
                .with {
                    $0.signalName = "go"; $0.failure = failure
                }
            ), all
        )
    )
    return messages
}()

@Suite("Frame codec")
struct FrameCodecTests {
    @Test("every message round-trips through encode and decode on each version it exists in")
    func roundTrip() throws {
        var covered = Set<MessageType>()
        for (message, versions) in sampleMessages {
            for version in versions {
                let frame = try message.encodedFrame()
                var decoder = FrameDecoder()
                decoder.append(frame)
                let decoded = try #require(try decoder.next())
                #expect(decoded.header.type == message.type)
                #expect(Int(decoded.header.length) == frame.readableBytes - FrameHeader.size)
                #expect(
                    try ProtocolMessage(frame: decoded, version: version) == message,
                    "\(message.type) on V\(version.rawValue)"
                )
                #expect(try decoder.next() == nil)
                try decoder.finish()
                covered.insert(message.type)
            }
        }
        #expect(covered == Set(MessageType.known.keys), "missing: \(Set(MessageType.known.keys).subtracting(covered))")
    }

    @Test("V5/V6 suspension golden bytes: waiting completion [1] and signal [1]")
    func suspensionGoldenBytes() throws {
        let frame = try ProtocolMessage.suspensionV6(
            .with {
                $0.waitingCompletions = [1]; $0.waitingSignals = [1]
            }
        )
        .encodedFrame()
        #expect(
            Array(frame.readableBytesView) == [
                0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x0a, 0x01, 0x01, 0x12, 0x01, 0x01,
            ]
        )
    }

    @Test("header golden bytes, including REQUESTED_ACK")
    func headerGoldenBytes() throws {
        var buffer = ByteBuffer()
        buffer.writeFrameHeader(FrameHeader(type: .proposeRunCompletion, flags: FrameHeader.requestedAck, length: 12))
        buffer.writeFrameHeader(FrameHeader(type: .runCommand, length: 5))
        #expect(
            Array(buffer.readableBytesView) == [
                0x00, 0x05, 0x80, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
            ]
        )
        let end = try ProtocolMessage.end.encodedFrame()
        #expect(Array(end.readableBytesView) == [0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])

        let header = try #require(buffer.getFrameHeader(at: 0))
        #expect(header.requestsAck)
        #expect(header.type == .proposeRunCompletion)
        #expect(header.length == 12)
        #expect(FrameHeader(rawValue: header.rawValue) == header)
    }

    @Test("flags survive encode and decode")
    func flagsRoundTrip() throws {
        let message = ProtocolMessage.proposeRunCompletion(
            .with {
                $0.resultCompletionID = 1; $0.value = Data([1, 2])
            }
        )
        var decoder = FrameDecoder()
        decoder.append(try message.encodedFrame(flags: FrameHeader.requestedAck))
        let frame = try #require(try decoder.next())
        #expect(frame.header.flags == FrameHeader.requestedAck)
        #expect(frame.header.requestsAck)
    }

    @Test("decoder yields the same frames for every split of a multi-frame stream, including 1-byte chunks")
    func everySplit() throws {
        let messages: [ProtocolMessage] = [
            .start(
                .with {
                    $0.id = Data("123".utf8); $0.debugID = "123"; $0.knownEntries = 2
                }
            ),
            .inputCommand(.with { $0.value = .with { $0.content = Data(repeating: 7, count: 40) } }),
            .end,
            .sleepCommand(
                .with {
                    $0.wakeUpTime = 42; $0.resultCompletionID = 1
                }
            ),
            .notification(
                .sleepCompletionNotification,
                .with {
                    $0.completionID = 1; $0.void = .init()
                }
            ),
        ]
        var stream = ByteBuffer()
        for message in messages { try message.encode(into: &stream) }
        let bytes = Array(stream.readableBytesView)

        func decodeAll(chunks: [ArraySlice<UInt8>]) throws -> [ProtocolMessage] {
            var decoder = FrameDecoder()
            var out: [ProtocolMessage] = []
            for chunk in chunks {
                decoder.append(ByteBuffer(bytes: chunk))
                while let frame = try decoder.next() { out.append(try ProtocolMessage(frame: frame, version: .v6)) }
            }
            try decoder.finish()
            #expect(decoder.bufferedBytes == 0)
            return out
        }

        #expect(try decodeAll(chunks: bytes.map { [$0][...] }) == messages)
        for cut in 0...bytes.count {
            #expect(try decodeAll(chunks: [bytes[..<cut], bytes[cut...]]) == messages, "cut at \(cut)")
        }
        for first in stride(from: 0, through: bytes.count, by: 3) {
            for second in stride(from: first, through: bytes.count, by: 5) {
                let chunks = [bytes[..<first], bytes[first..<second], bytes[second...]]
                #expect(try decodeAll(chunks: chunks) == messages, "cuts at \(first), \(second)")
            }
        }
    }

    @Test("a frame whose payload is split keeps the decoder waiting without error")
    func waitsForMore() throws {
        var decoder = FrameDecoder()
        decoder.append(ByteBuffer(bytes: [0x04, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x58]))
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedBytes == 9)
        decoder.append(ByteBuffer(bytes: [0x0c, 0x01, 0x62, 0x01]))
        let frame = try #require(try decoder.next())
        #expect(frame.header.type == .runCommand)
        #expect(frame.payload.readableBytes == 5)
    }

    @Test("a header announcing more than the limit is rejected before its payload arrives")
    func oversized() throws {
        var decoder = FrameDecoder(maximumMessageSize: 1024)
        decoder.append(ByteBuffer(bytes: [0x04, 0x03, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01]))
        #expect(throws: WireError(.messageTooLarge(type: .setStateCommand, length: 1025, limit: 1024))) {
            try decoder.next()
        }

        // The default limit is 32 MiB, and a ~4 GiB announcement must not be pre-allocated.
        var defaultDecoder = FrameDecoder()
        #expect(defaultDecoder.maximumMessageSize == 32 * 1024 * 1024)
        defaultDecoder.append(ByteBuffer(bytes: [0x04, 0x03, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]))
        do {
            _ = try defaultDecoder.next()
            Issue.record("expected an oversized-message error")
        } catch {
            #expect(error.code == 571)
            #expect(error.description.contains("4294967295 bytes"))
        }

        // Exactly at the limit is accepted.
        var atLimit = FrameDecoder(maximumMessageSize: 3)
        atLimit.append(ByteBuffer(bytes: [0x04, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x62, 0x01, 0x78]))
        #expect(try atLimit.next()?.payload.readableBytes == 3)
    }

    @Test("input that ends inside a frame is a truncated-frame error")
    func truncated() throws {
        var decoder = FrameDecoder()
        decoder.append(ByteBuffer(bytes: [0x04, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x58, 0x0c]))
        #expect(try decoder.next() == nil)
        #expect(throws: WireError(.truncatedFrame(expected: 13, received: 10))) { try decoder.finish() }

        var headerOnly = FrameDecoder()
        headerOnly.append(ByteBuffer(bytes: [0x04, 0x11, 0x00]))
        #expect(throws: WireError(.truncatedFrame(expected: 8, received: 3))) { try headerOnly.finish() }

        try FrameDecoder().finish()
    }

    @Test(
        "unknown type ids are typed errors",
        arguments: [0x0042, 0x03FF, 0x040F, 0x0BAD, 0x8000, 0x8003, 0xFC00, 0xFFFF] as [UInt16]
    )
    func unknownType(id: UInt16) throws {
        let frame = Frame(header: FrameHeader(type: MessageType(rawValue: id), length: 0), payload: ByteBuffer())
        #expect(throws: WireError(.unknownMessageType(MessageType(rawValue: id)))) {
            try ProtocolMessage(frame: frame, version: .v7)
        }
    }

    @Test("V7-only control messages are rejected on V5 and V6")
    func versionGated() throws {
        for message in [
            ProtocolMessage.awaitingOn(.init()), .proposeRunCompletionAck(.with { $0.completionID = 1 }),
        ] {
            var decoder = FrameDecoder()
            decoder.append(try message.encodedFrame())
            let frame = try #require(try decoder.next())
            for version in [ProtocolVersion.v5, .v6] {
                #expect(throws: WireError(.unsupportedInVersion(type: message.type, version: version))) {
                    try ProtocolMessage(frame: frame, version: version)
                }
            }
            #expect(try ProtocolMessage(frame: frame, version: .v7) == message)
        }
    }

    @Test(
        "garbage protobuf is an undecodable-message error, never a crash",
        arguments: [
            [0xFF],  // truncated varint tag
            [0x0A, 0x05, 0x01],  // length-delimited field longer than the payload
            [0x0F],  // wire type 7 does not exist
            [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],  // 11-byte varint
        ] as [[UInt8]]
    )
    func garbage(bytes: [UInt8]) throws {
        for type in [MessageType.start, .inputCommand, .callCommand, .signalNotification, .suspension] {
            let frame = Frame(
                header: FrameHeader(type: type, length: UInt32(bytes.count)),
                payload: ByteBuffer(bytes: bytes)
            )
            do {
                _ = try ProtocolMessage(frame: frame, version: .v6)
                Issue.record("expected \(type) to fail on \(bytes)")
            } catch {
                guard case .undecodableMessage(let failedType, _) = error.kind else {
                    Issue.record("unexpected error \(error)")
                    continue
                }
                #expect(failedType == type)
                #expect(error.code == 571)
            }
        }
    }

    @Test("unknown protobuf fields are ignored")
    func unknownFieldsIgnored() throws {
        // RunCommandMessage{result_completion_id: 1} followed by an unknown field 99 (varint 1).
        let bytes: [UInt8] = [0x58, 0x01, 0x98, 0x06, 0x01]
        let frame = Frame(header: FrameHeader(type: .runCommand, length: 5), payload: ByteBuffer(bytes: bytes))
        #expect(try ProtocolMessage(frame: frame, version: .v5) == .runCommand(.with { $0.resultCompletionID = 1 }))
    }

    @Test("frames are slices of the input chunk, not copies")
    func zeroCopy() throws {
        var stream = ByteBuffer()
        try ProtocolMessage.runCommand(
            .with {
                $0.resultCompletionID = 1; $0.name = "x"
            }
        ).encode(into: &stream)
        try ProtocolMessage.end.encode(into: &stream)
        var decoder = FrameDecoder()
        decoder.append(stream)
        let first = try #require(try decoder.next())
        let sameStorage = stream.withUnsafeReadableBytes { chunk in
            first.payload.withUnsafeReadableBytes { payload in
                payload.baseAddress == chunk.baseAddress.map { $0 + FrameHeader.size }
            }
        }
        #expect(sameStorage)
    }

    @Test("message type names and categories")
    func messageTypes() {
        #expect(MessageType.runCommand.description == "RunCommandMessage (0x0411)")
        #expect(MessageType(rawValue: 0x0BAD).description == "UnknownMessage(0xBAD) (0x0BAD)")
        #expect(MessageType.start.category == .control)
        #expect(MessageType.completeAwakeableCommand.category == .command)
        #expect(MessageType.signalNotification.category == .notification)
        #expect(MessageType(rawValue: 0xFC00).category == .custom)
        #expect(MessageType.known.count == 40)
    }
}
