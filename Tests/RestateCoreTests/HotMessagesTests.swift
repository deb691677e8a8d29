import Foundation
import NIOCore
import SwiftProtobuf
import Testing

@testable import RestateCore

/// The hand-written Start/Input readers against SwiftProtobuf: the same message for every
/// well-formed input, and a fallback (`nil`) for everything else.
@Suite("Hand-written Start and Input readers, Output and End writers")
struct HotMessagesTests {
    /// A small deterministic generator (SplitMix64), so that a failure names its seed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func bool() -> Bool { next() & 1 == 1 }
        mutating func bytes(_ max: Int) -> Data {
            Data((0..<below(max + 1)).map { _ in UInt8(truncatingIfNeeded: next()) })
        }
        mutating func string(_ max: Int) -> String {
            let alphabet = Array("abcXYZ019-_/ äöü€🙂")
            return String((0..<below(max + 1)).map { _ in alphabet[below(alphabet.count)] })
        }
        /// Mostly small values, sometimes the full range (multi-byte and ten-byte varints).
        mutating func integer() -> UInt64 { bool() ? UInt64(below(300)) : next() >> UInt64(below(64)) }
    }

    static func randomStart(_ random: inout Generator) -> Proto.StartMessage {
        var message = Proto.StartMessage()
        message.id = random.bytes(40)
        message.debugID = random.string(30)
        message.knownEntries = UInt32(truncatingIfNeeded: random.integer())
        message.stateMap = (0..<random.below(5)).map { _ in
            var entry = Proto.StartMessage.StateEntry()
            entry.key = random.bytes(12)
            entry.value = random.bytes(60)
            return entry
        }
        message.partialState = random.bool()
        message.key = random.string(20)
        message.retryCountSinceLastStoredEntry = UInt32(truncatingIfNeeded: random.integer())
        message.durationSinceLastStoredEntry = random.integer()
        message.randomSeed = random.integer()
        if random.bool() { message.scope = random.string(10) }
        if random.bool() { message.limitKey = random.string(10) }
        if random.bool() { message.idempotencyKey = random.string(10) }
        return message
    }

    static func randomInput(_ random: inout Generator) -> Proto.InputCommandMessage {
        var message = Proto.InputCommandMessage()
        message.headers = (0..<random.below(4)).map { _ in
            var header = Proto.Header()
            header.key = random.string(12)
            header.value = random.string(30)
            return header
        }
        if random.bool() { message.value.content = random.bytes(200) }
        if random.bool() { message.name = random.string(10) }
        return message
    }

    /// Unknown fields of every non-group wire type, which both decoders must skip.
    static func unknownFields(_ random: inout Generator) -> [UInt8] {
        var bytes: [UInt8] = []
        func varint(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }
        varint(UInt64(100 << 3 | 0))
        varint(random.integer())
        varint(UInt64(101 << 3 | 1))
        bytes += (0..<8).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        varint(UInt64(102 << 3 | 2))
        varint(3)
        bytes += [1, 2, 3]
        varint(UInt64(103 << 3 | 5))
        bytes += [4, 5, 6, 7]
        return bytes
    }

    private static let options: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        return options
    }()

    private func reference<M: SwiftProtobuf.Message>(_ bytes: [UInt8], as: M.Type) throws -> M {
        try M(serializedBytes: bytes, options: Self.options)
    }

    @Test("random Start messages decode to what SwiftProtobuf decodes, with and without unknown fields")
    func startMessages() throws {
        var random = Generator(state: 0x5EED)
        for iteration in 0..<500 {
            var bytes: [UInt8] = try Self.randomStart(&random).serializedBytes()
            if iteration % 3 == 0 { bytes += Self.unknownFields(&random) }
            let fast = bytes.withUnsafeBytes(HotMessageDecoding.startMessage)
            #expect(fast == (try reference(bytes, as: Proto.StartMessage.self)), "iteration \(iteration)")
        }
    }

    @Test("random Input commands decode to what SwiftProtobuf decodes, with and without unknown fields")
    func inputCommands() throws {
        var random = Generator(state: 0x1A9_07)
        for iteration in 0..<500 {
            var bytes: [UInt8] = try Self.randomInput(&random).serializedBytes()
            if iteration % 3 == 0 { bytes = Self.unknownFields(&random) + bytes }
            let fast = bytes.withUnsafeBytes(HotMessageDecoding.inputCommand)
            #expect(fast == (try reference(bytes, as: Proto.InputCommandMessage.self)), "iteration \(iteration)")
        }
    }

    @Test("a value field seen twice merges, as SwiftProtobuf merges it")
    func repeatedValueMerges() throws {
        // value { content: "ab" } value { } name: "x" value { content: "c" }
        let bytes: [UInt8] = [0x72, 0x04, 0x0A, 0x02, 0x61, 0x62, 0x72, 0x00, 0x62, 0x01, 0x78]
        let fast = try #require(bytes.withUnsafeBytes(HotMessageDecoding.inputCommand))
        #expect(fast == (try reference(bytes, as: Proto.InputCommandMessage.self)))
        #expect(fast.value.content == Data("ab".utf8))
        let twice = bytes + [0x72, 0x03, 0x0A, 0x01, 0x63]
        #expect(
            twice.withUnsafeBytes(HotMessageDecoding.inputCommand)
                == (try reference(twice, as: Proto.InputCommandMessage.self))
        )
    }

    @Test(
        "anything not well-formed and expected is left to SwiftProtobuf",
        arguments: [
            ("truncated length", [0x0A, 0x05, 0x01]),
            ("truncated varint", [0x18, 0x80]),
            ("eleven-byte varint", [0x18] + [UInt8](repeating: 0xFF, count: 10) + [0x01]),
            ("ten-byte varint over 64 bits", [0x18] + [UInt8](repeating: 0xFF, count: 9) + [0x02]),
            ("field number 0", [0x02, 0x00]),
            ("known field, wrong wire type", [0x1A, 0x01, 0x01]),
            ("a group", [0xA3, 0x06, 0xA4, 0x06]),
            ("invalid UTF-8 in debug_id", [0x12, 0x02, 0xC3, 0x28]),
            ("truncated fixed64", [0xA9, 0x06, 0x01, 0x02]),
        ] as [(String, [UInt8])]
    )
    func fallbacks(_ name: String, _ bytes: [UInt8]) {
        #expect(bytes.withUnsafeBytes(HotMessageDecoding.startMessage) == nil, "\(name)")
    }

    @Test("the state machine still reports a malformed Start or Input with SwiftProtobuf's error")
    func malformedThroughTheMachine() throws {
        let machine = try InvocationStateMachine(contentType: ProtocolVersion.v5.contentType)
        let frame = Frame(header: FrameHeader(type: .start, length: 3), payload: ByteBuffer(bytes: [0x0A, 0x05, 0x01]))
        do {
            _ = try machine.decode(frame, as: Proto.StartMessage.self)
            Issue.record("a truncated Start decoded")
        } catch {
            #expect(error.message.contains("cannot decode protocol message type"), "\(error)")
        }
        do {
            _ = try machine.decode(frame, as: Proto.InputCommandMessage.self)
            Issue.record("a truncated Input decoded")
        } catch {
            #expect(error.message.contains("cannot decode protocol message type"), "\(error)")
        }
    }

    @Test("Output frames are byte for byte what SwiftProtobuf writes, for values of every size and the other shapes")
    func outputFrames() throws {
        var random = Generator(state: 0x0_07)
        var shapes: [Proto.OutputCommandMessage] = []
        for size in [0, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            var message = Proto.OutputCommandMessage()
            message.result = .value(.with { $0.content = Data(repeating: 0x61, count: size) })
            shapes.append(message)
        }
        for _ in 0..<200 {
            var message = Proto.OutputCommandMessage()
            switch random.below(4) {
            case 0: message.result = .value(.with { $0.content = random.bytes(300) })
            case 1:
                message.result = .failure(
                    .with {
                        $0.code = UInt32(random.below(600))
                        $0.message = random.string(20)
                    }
                )
            case 2: break
            default:
                message.result = .value(.with { $0.content = random.bytes(20) })
                message.name = random.string(8)
            }
            shapes.append(message)
        }
        for (index, message) in shapes.enumerated() {
            let frame = InvocationStateMachine.encodeFrame(message, type: .outputCommand, flags: 0)
            var expected = ByteBufferAllocator().buffer(capacity: 64)
            let payload: [UInt8] = try message.serializedBytes()
            expected.writeFrameHeader(FrameHeader(type: .outputCommand, flags: 0, length: UInt32(payload.count)))
            expected.writeBytes(payload)
            #expect(Array(frame.readableBytesView) == Array(expected.readableBytesView), "shape \(index)")
        }
    }

    @Test("End is a bare header")
    func endFrame() {
        let frame = InvocationStateMachine.encodeFrame(Proto.EndMessage(), type: .end, flags: 0)
        var expected = ByteBufferAllocator().buffer(capacity: 8)
        expected.writeFrameHeader(FrameHeader(type: .end, flags: 0, length: 0))
        #expect(frame == expected)
    }
}
