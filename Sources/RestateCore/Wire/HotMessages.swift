import Foundation
import NIOCore

/// Hand-written decoders for the two messages every invocation decodes, `StartMessage` and
/// `InputCommandMessage`, over the frame's bytes.
///
/// SwiftProtobuf's generic decoder costs more than the rest of a one-shot invocation's state
/// machine (callgrind: 9.6k instructions for a Start with two state entries). These readers take
/// the well-formed, expected shape only: known fields with their declared wire types, unknown
/// fields of the four non-group wire types (skipped, as `discardUnknownFields` does). Anything
/// else (truncation, overlong varints, groups, a wire type that does not match, invalid UTF-8)
/// returns `nil`, and the caller decodes with SwiftProtobuf, whose result or error then stands:
/// the fast path never decides an error or a corner case on its own.
enum HotMessageDecoding {
    static func startMessage(_ bytes: UnsafeRawBufferPointer) -> Proto.StartMessage? {
        try? decodeStart(bytes)
    }

    static func inputCommand(_ bytes: UnsafeRawBufferPointer) -> Proto.InputCommandMessage? {
        try? decodeInput(bytes)
    }

    private static func decodeStart(_ bytes: UnsafeRawBufferPointer) throws(WireReader.Unexpected) -> Proto.StartMessage
    {
        var message = Proto.StartMessage()
        try WireReader.forEachField(in: bytes) { reader, field, wireType throws(WireReader.Unexpected) in
            switch (field, wireType) {
            case (1, 2): message.id = try reader.data()
            case (2, 2): message.debugID = try reader.string()
            case (3, 0): message.knownEntries = UInt32(truncatingIfNeeded: try reader.varint())
            case (4, 2): message.stateMap.append(try decodeStateEntry(try reader.lengthDelimited()))
            case (5, 0): message.partialState = try reader.varint() != 0
            case (6, 2): message.key = try reader.string()
            case (7, 0): message.retryCountSinceLastStoredEntry = UInt32(truncatingIfNeeded: try reader.varint())
            case (8, 0): message.durationSinceLastStoredEntry = try reader.varint()
            case (9, 0): message.randomSeed = try reader.varint()
            case (10, 2): message.scope = try reader.string()
            case (11, 2): message.limitKey = try reader.string()
            case (12, 2): message.idempotencyKey = try reader.string()
            case (1...12, _): throw WireReader.Unexpected()
            default: return false
            }
            return true
        }
        return message
    }

    private static func decodeStateEntry(
        _ bytes: UnsafeRawBufferPointer
    ) throws(WireReader.Unexpected) -> Proto.StartMessage.StateEntry {
        var entry = Proto.StartMessage.StateEntry()
        try WireReader.forEachField(in: bytes) { reader, field, wireType throws(WireReader.Unexpected) in
            switch (field, wireType) {
            case (1, 2): entry.key = try reader.data()
            case (2, 2): entry.value = try reader.data()
            case (1...2, _): throw WireReader.Unexpected()
            default: return false
            }
            return true
        }
        return entry
    }

    private static func decodeInput(
        _ bytes: UnsafeRawBufferPointer
    ) throws(WireReader.Unexpected) -> Proto.InputCommandMessage {
        var message = Proto.InputCommandMessage()
        try WireReader.forEachField(in: bytes) { reader, field, wireType throws(WireReader.Unexpected) in
            switch (field, wireType) {
            case (1, 2): message.headers.append(try decodeHeader(try reader.lengthDelimited()))
            case (12, 2): message.name = try reader.string()
            // A singular message field seen twice merges into the first, as protobuf specifies.
            case (14, 2): try mergeValue(try reader.lengthDelimited(), into: &message.value)
            case (1, _), (12, _), (14, _): throw WireReader.Unexpected()
            default: return false
            }
            return true
        }
        return message
    }

    private static func decodeHeader(_ bytes: UnsafeRawBufferPointer) throws(WireReader.Unexpected) -> Proto.Header {
        var header = Proto.Header()
        try WireReader.forEachField(in: bytes) { reader, field, wireType throws(WireReader.Unexpected) in
            switch (field, wireType) {
            case (1, 2): header.key = try reader.string()
            case (2, 2): header.value = try reader.string()
            case (1...2, _): throw WireReader.Unexpected()
            default: return false
            }
            return true
        }
        return header
    }

    private static func mergeValue(
        _ bytes: UnsafeRawBufferPointer,
        into value: inout Proto.Value
    ) throws(WireReader.Unexpected) {
        try WireReader.forEachField(in: bytes) { reader, field, wireType throws(WireReader.Unexpected) in
            switch (field, wireType) {
            case (1, 2): value.content = try reader.data()
            case (1, _): throw WireReader.Unexpected()
            default: return false
            }
            return true
        }
    }
}

/// Protobuf wire-format primitives over contiguous bytes.
struct WireReader {
    /// Input the fast path leaves to SwiftProtobuf: malformed, or a shape it does not take.
    struct Unexpected: Error {}

    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset >= bytes.count }

    /// Reads the message in `bytes` field by field. `field` reads a field it knows and returns
    /// `true`; for one it does not know it returns `false`, and the value is skipped.
    static func forEachField(
        in bytes: UnsafeRawBufferPointer,
        _ field: (inout WireReader, _ number: Int, _ wireType: Int) throws(Unexpected) -> Bool
    ) throws(Unexpected) {
        var reader = WireReader(bytes)
        while !reader.isAtEnd {
            let (number, wireType) = try reader.tag()
            if try !field(&reader, number, wireType) { try reader.skip(wireType: wireType) }
        }
    }

    mutating func varint() throws(Unexpected) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                // The tenth byte may only carry the top bit of a 64-bit value.
                guard shift < 63 || byte <= 1 else { throw Unexpected() }
                return result
            }
            shift += 7
        }
        throw Unexpected()
    }

    /// The field number and wire type of the next field; field 0 is invalid.
    mutating func tag() throws(Unexpected) -> (Int, Int) {
        let key = try varint()
        guard key >> 3 > 0, key >> 3 <= 0x1FFF_FFFF else { throw Unexpected() }
        return (Int(key >> 3), Int(key & 7))
    }

    mutating func lengthDelimited() throws(Unexpected) -> UnsafeRawBufferPointer {
        let length = try varint()
        guard length <= UInt64(bytes.count - offset) else { throw Unexpected() }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)])
        offset += Int(length)
        return slice
    }

    mutating func data() throws(Unexpected) -> Data {
        let slice = try lengthDelimited()
        guard let base = slice.baseAddress, !slice.isEmpty else { return Data() }
        return Data(bytes: base, count: slice.count)
    }

    mutating func string() throws(Unexpected) -> String {
        // Invalid UTF-8 is refused here as SwiftProtobuf refuses it; the caller falls back.
        let slice = try lengthDelimited().assumingMemoryBound(to: UInt8.self)
        // ASCII, the common case, is valid UTF-8 as it stands; the generic validation costs ~1k
        // instructions per string.
        if !slice.contains(where: { $0 >= 0x80 }) { return String(decoding: slice, as: UTF8.self) }
        guard let string = String(validating: slice, as: UTF8.self) else { throw Unexpected() }
        return string
    }

    /// Skips an unknown field's value; groups (wire types 3 and 4) are left to SwiftProtobuf.
    mutating func skip(wireType: Int) throws(Unexpected) {
        switch wireType {
        case 0: _ = try varint()
        case 1: try advance(8)
        case 2: _ = try lengthDelimited()
        case 5: try advance(4)
        default: throw Unexpected()
        }
    }

    private mutating func advance(_ count: Int) throws(Unexpected) {
        guard bytes.count - offset >= count else { throw Unexpected() }
        offset += count
    }
}

/// The frame of the one command every successful invocation writes, `OutputCommandMessage` with a
/// value and no name, written straight into its buffer: SwiftProtobuf's visitor and the buffer it
/// serializes into cost about 3k instructions for it. Other outputs (failures, names, unknown
/// fields) return `nil` and go through SwiftProtobuf.
enum HotMessageEncoding {
    static func outputFrame(_ message: Proto.OutputCommandMessage, type: MessageType, flags: UInt16) -> ByteBuffer? {
        guard case .value(let value)? = message.result, message.name.isEmpty, message.unknownFields.data.isEmpty,
            value.unknownFields.data.isEmpty
        else { return nil }
        let content = value.content
        // Proto3 leaves an empty `bytes` field out; the oneof's message is written even when empty.
        let inner = content.isEmpty ? 0 : 1 + varintSize(UInt64(content.count)) + content.count
        let payload = 1 + varintSize(UInt64(inner)) + inner
        // Header, tags and lengths are assembled on the stack and written at once: ByteBuffer's
        // per-integer writes cost more than the rest of this function.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { prefix in
            var count = 0
            func put(_ byte: UInt8) {
                prefix[count] = byte
                count += 1
            }
            func putVarint(_ value: UInt64) {
                var value = value
                while value >= 0x80 {
                    put(UInt8(truncatingIfNeeded: value) | 0x80)
                    value >>= 7
                }
                put(UInt8(value))
            }
            let header = FrameHeader(type: type, flags: flags, length: UInt32(payload)).rawValue
            for shift in stride(from: 56, through: 0, by: -8) {
                put(UInt8(truncatingIfNeeded: header >> UInt64(shift)))
            }
            put(14 << 3 | 2)
            putVarint(UInt64(inner))
            if !content.isEmpty {
                put(1 << 3 | 2)
                putVarint(UInt64(content.count))
            }
            // Room for the End header the machine appends next.
            var buffer = ByteBufferAllocator().buffer(capacity: FrameHeader.size + payload + FrameHeader.size)
            buffer.writeBytes(UnsafeBufferPointer(rebasing: prefix[..<count]))
            buffer.writeBytes(content)
            return buffer
        }
    }

    static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }
}
