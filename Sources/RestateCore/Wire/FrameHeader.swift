import NIOCore

/// The 8-byte header in front of every protocol message.
///
/// On the wire it is one big-endian 64-bit word: bits 63–48 hold the ``MessageType``, bits
/// 47–32 the flags, bits 31–0 the payload length in bytes (header excluded).
public struct FrameHeader: Hashable, Sendable {
    /// Size of the encoded header.
    public static let size = 8

    /// Flag bit 15 (bit 47 of the header word). On a `ProposeRunCompletionMessage` in V7 it asks
    /// the runtime for a `ProposeRunCompletionAckMessage`; on a command it asks for a
    /// `CommandAckMessage`.
    public static let requestedAck: UInt16 = 0x8000

    public var type: MessageType
    public var flags: UInt16
    public var length: UInt32

    public init(type: MessageType, flags: UInt16 = 0, length: UInt32) {
        self.type = type
        self.flags = flags
        self.length = length
    }

    /// Whether the REQUESTED_ACK flag is set.
    public var requestsAck: Bool { flags & FrameHeader.requestedAck != 0 }

    /// The header as the 64-bit word that goes on the wire.
    public var rawValue: UInt64 {
        UInt64(type.rawValue) << 48 | UInt64(flags) << 32 | UInt64(length)
    }

    public init(rawValue: UInt64) {
        self.type = MessageType(rawValue: UInt16(truncatingIfNeeded: rawValue >> 48))
        self.flags = UInt16(truncatingIfNeeded: rawValue >> 32)
        self.length = UInt32(truncatingIfNeeded: rawValue)
    }
}

extension ByteBuffer {
    /// Writes `header` in network byte order.
    @inlinable
    @discardableResult
    public mutating func writeFrameHeader(_ header: FrameHeader) -> Int {
        writeInteger(header.rawValue, endianness: .big)
    }

    /// Reads a header at `index` without moving the reader index; `nil` when fewer than 8 bytes
    /// are there.
    @inlinable
    public func getFrameHeader(at index: Int) -> FrameHeader? {
        getInteger(at: index, endianness: .big, as: UInt64.self).map(FrameHeader.init(rawValue:))
    }
}
