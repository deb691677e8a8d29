import NIOCore
import SwiftProtobuf

/// A decoded protocol message of service protocol V5–V7.
///
/// Control messages and commands have one case each. Notifications all share the wire shape of
/// `NotificationTemplate`, so they are one case that keeps the type id beside the payload.
/// `SuspensionMessage` has two cases because V7 reshaped it under the same type id.
public enum ProtocolMessage: Hashable, Sendable {
    case start(Proto.StartMessage)
    /// The V7 shape: a `Future` tree.
    case suspension(Proto.SuspensionMessage)
    /// The V5/V6 shape: flat lists of completion ids, signal indexes and signal names.
    case suspensionV6(Proto.SuspensionMessageV6)
    case error(Proto.ErrorMessage)
    case end
    case commandAck(Proto.CommandAckMessage)
    case proposeRunCompletion(Proto.ProposeRunCompletionMessage)
    case awaitingOn(Proto.AwaitingOnMessage)
    case proposeRunCompletionAck(Proto.ProposeRunCompletionAckMessage)

    case inputCommand(Proto.InputCommandMessage)
    case outputCommand(Proto.OutputCommandMessage)
    case getLazyStateCommand(Proto.GetLazyStateCommandMessage)
    case setStateCommand(Proto.SetStateCommandMessage)
    case clearStateCommand(Proto.ClearStateCommandMessage)
    case clearAllStateCommand(Proto.ClearAllStateCommandMessage)
    case getLazyStateKeysCommand(Proto.GetLazyStateKeysCommandMessage)
    case getEagerStateCommand(Proto.GetEagerStateCommandMessage)
    case getEagerStateKeysCommand(Proto.GetEagerStateKeysCommandMessage)
    case getPromiseCommand(Proto.GetPromiseCommandMessage)
    case peekPromiseCommand(Proto.PeekPromiseCommandMessage)
    case completePromiseCommand(Proto.CompletePromiseCommandMessage)
    case sleepCommand(Proto.SleepCommandMessage)
    case callCommand(Proto.CallCommandMessage)
    case oneWayCallCommand(Proto.OneWayCallCommandMessage)
    case sendSignalCommand(Proto.SendSignalCommandMessage)
    case runCommand(Proto.RunCommandMessage)
    case attachInvocationCommand(Proto.AttachInvocationCommandMessage)
    case getInvocationOutputCommand(Proto.GetInvocationOutputCommandMessage)
    case completeAwakeableCommand(Proto.CompleteAwakeableCommandMessage)

    /// Any notification (`0x8000–0xFBFF`), with its type id.
    case notification(MessageType, Proto.NotificationTemplate)

    /// The type id this message is framed with.
    public var type: MessageType {
        switch self {
        case .start: return .start
        case .suspension, .suspensionV6: return .suspension
        case .error: return .error
        case .end: return .end
        case .commandAck: return .commandAck
        case .proposeRunCompletion: return .proposeRunCompletion
        case .awaitingOn: return .awaitingOn
        case .proposeRunCompletionAck: return .proposeRunCompletionAck
        case .inputCommand: return .inputCommand
        case .outputCommand: return .outputCommand
        case .getLazyStateCommand: return .getLazyStateCommand
        case .setStateCommand: return .setStateCommand
        case .clearStateCommand: return .clearStateCommand
        case .clearAllStateCommand: return .clearAllStateCommand
        case .getLazyStateKeysCommand: return .getLazyStateKeysCommand
        case .getEagerStateCommand: return .getEagerStateCommand
        case .getEagerStateKeysCommand: return .getEagerStateKeysCommand
        case .getPromiseCommand: return .getPromiseCommand
        case .peekPromiseCommand: return .peekPromiseCommand
        case .completePromiseCommand: return .completePromiseCommand
        case .sleepCommand: return .sleepCommand
        case .callCommand: return .callCommand
        case .oneWayCallCommand: return .oneWayCallCommand
        case .sendSignalCommand: return .sendSignalCommand
        case .runCommand: return .runCommand
        case .attachInvocationCommand: return .attachInvocationCommand
        case .getInvocationOutputCommand: return .getInvocationOutputCommand
        case .completeAwakeableCommand: return .completeAwakeableCommand
        case .notification(let type, _): return type
        }
    }

    /// The protobuf payload; `nil` for `EndMessage`, which has none.
    public var payload: (any SwiftProtobuf.Message)? {
        switch self {
        case .start(let m): return m
        case .suspension(let m): return m
        case .suspensionV6(let m): return m
        case .error(let m): return m
        case .end: return nil
        case .commandAck(let m): return m
        case .proposeRunCompletion(let m): return m
        case .awaitingOn(let m): return m
        case .proposeRunCompletionAck(let m): return m
        case .inputCommand(let m): return m
        case .outputCommand(let m): return m
        case .getLazyStateCommand(let m): return m
        case .setStateCommand(let m): return m
        case .clearStateCommand(let m): return m
        case .clearAllStateCommand(let m): return m
        case .getLazyStateKeysCommand(let m): return m
        case .getEagerStateCommand(let m): return m
        case .getEagerStateKeysCommand(let m): return m
        case .getPromiseCommand(let m): return m
        case .peekPromiseCommand(let m): return m
        case .completePromiseCommand(let m): return m
        case .sleepCommand(let m): return m
        case .callCommand(let m): return m
        case .oneWayCallCommand(let m): return m
        case .sendSignalCommand(let m): return m
        case .runCommand(let m): return m
        case .attachInvocationCommand(let m): return m
        case .getInvocationOutputCommand(let m): return m
        case .completeAwakeableCommand(let m): return m
        case .notification(_, let m): return m
        }
    }

    /// Decodes a frame's payload as the message its type id names.
    ///
    /// `version` selects the shape of `SuspensionMessage` and rejects the V7-only control
    /// messages on V5/V6.
    ///
    /// - Throws: ``WireError`` for an unknown type id (including custom entries), a V7-only message
    ///   on an older version, or a payload that is not valid protobuf.
    public init(frame: Frame, version: ProtocolVersion) throws(WireError) {
        let type = frame.header.type
        let bytes = frame.payload
        func decode<M: SwiftProtobuf.Message>(_: M.Type) throws(WireError) -> M {
            do {
                return try M(serializedBytes: ProtobufBytes(bytes), options: ProtocolMessage.decodingOptions)
            } catch {
                throw WireError(.undecodableMessage(type: type, reason: String(describing: error)))
            }
        }
        func requireV7() throws(WireError) {
            guard version >= .v7 else { throw WireError(.unsupportedInVersion(type: type, version: version)) }
        }
        switch type {
        case .start: self = .start(try decode(Proto.StartMessage.self))
        case .suspension:
            self =
                version >= .v7
                ? .suspension(try decode(Proto.SuspensionMessage.self))
                : .suspensionV6(try decode(Proto.SuspensionMessageV6.self))
        case .error: self = .error(try decode(Proto.ErrorMessage.self))
        case .end:
            _ = try decode(Proto.EndMessage.self)
            self = .end
        case .commandAck: self = .commandAck(try decode(Proto.CommandAckMessage.self))
        case .proposeRunCompletion: self = .proposeRunCompletion(try decode(Proto.ProposeRunCompletionMessage.self))
        case .awaitingOn:
            try requireV7()
            self = .awaitingOn(try decode(Proto.AwaitingOnMessage.self))
        case .proposeRunCompletionAck:
            try requireV7()
            self = .proposeRunCompletionAck(try decode(Proto.ProposeRunCompletionAckMessage.self))
        case .inputCommand: self = .inputCommand(try decode(Proto.InputCommandMessage.self))
        case .outputCommand: self = .outputCommand(try decode(Proto.OutputCommandMessage.self))
        case .getLazyStateCommand: self = .getLazyStateCommand(try decode(Proto.GetLazyStateCommandMessage.self))
        case .setStateCommand: self = .setStateCommand(try decode(Proto.SetStateCommandMessage.self))
        case .clearStateCommand: self = .clearStateCommand(try decode(Proto.ClearStateCommandMessage.self))
        case .clearAllStateCommand: self = .clearAllStateCommand(try decode(Proto.ClearAllStateCommandMessage.self))
        case .getLazyStateKeysCommand:
            self = .getLazyStateKeysCommand(try decode(Proto.GetLazyStateKeysCommandMessage.self))
        case .getEagerStateCommand: self = .getEagerStateCommand(try decode(Proto.GetEagerStateCommandMessage.self))
        case .getEagerStateKeysCommand:
            self = .getEagerStateKeysCommand(try decode(Proto.GetEagerStateKeysCommandMessage.self))
        case .getPromiseCommand: self = .getPromiseCommand(try decode(Proto.GetPromiseCommandMessage.self))
        case .peekPromiseCommand: self = .peekPromiseCommand(try decode(Proto.PeekPromiseCommandMessage.self))
        case .completePromiseCommand:
            self = .completePromiseCommand(try decode(Proto.CompletePromiseCommandMessage.self))
        case .sleepCommand: self = .sleepCommand(try decode(Proto.SleepCommandMessage.self))
        case .callCommand: self = .callCommand(try decode(Proto.CallCommandMessage.self))
        case .oneWayCallCommand: self = .oneWayCallCommand(try decode(Proto.OneWayCallCommandMessage.self))
        case .sendSignalCommand: self = .sendSignalCommand(try decode(Proto.SendSignalCommandMessage.self))
        case .runCommand: self = .runCommand(try decode(Proto.RunCommandMessage.self))
        case .attachInvocationCommand:
            self = .attachInvocationCommand(try decode(Proto.AttachInvocationCommandMessage.self))
        case .getInvocationOutputCommand:
            self = .getInvocationOutputCommand(try decode(Proto.GetInvocationOutputCommandMessage.self))
        case .completeAwakeableCommand:
            self = .completeAwakeableCommand(try decode(Proto.CompleteAwakeableCommandMessage.self))
        default:
            guard type.category == .notification, type.isKnown else {
                throw WireError(.unknownMessageType(type))
            }
            self = .notification(type, try decode(Proto.NotificationTemplate.self))
        }
    }

    /// Unknown fields are ignored, as protobuf prescribes, and not kept, to spare the allocation.
    static let decodingOptions: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        return options
    }()
}

extension ProtocolMessage {
    /// Encodes this message as one frame: header and payload in a single, exactly sized buffer.
    ///
    /// The payload is serialized in place behind the header, so the frame is built with one
    /// allocation and no copy.
    ///
    /// - Parameter flags: header flags, e.g. ``FrameHeader/requestedAck``.
    /// - Throws: ``WireError/Kind/messageTooLarge(type:length:limit:)`` when the payload does not fit
    ///   the 32-bit length field (protobuf itself stops at 2 GiB).
    public func encodedFrame(flags: UInt16 = 0) throws(WireError) -> ByteBuffer {
        guard let payload else {
            var buffer = ByteBufferAllocator().buffer(capacity: FrameHeader.size)
            buffer.writeFrameHeader(FrameHeader(type: type, flags: flags, length: 0))
            return buffer
        }
        let bytes: ProtobufBytes
        do {
            bytes = try payload.serializedBytes()
        } catch {
            throw WireError(.messageTooLarge(type: type, length: UInt32.max, limit: Int(Int32.max)))
        }
        var frame = bytes.buffer
        let length = frame.readableBytes
        frame.moveReaderIndex(to: frame.readerIndex - FrameHeader.size)
        frame.setInteger(
            FrameHeader(type: type, flags: flags, length: UInt32(length)).rawValue,
            at: frame.readerIndex,
            endianness: .big
        )
        return frame
    }

    /// Appends this message as one frame to `buffer`.
    public func encode(flags: UInt16 = 0, into buffer: inout ByteBuffer) throws(WireError) {
        var frame = try encodedFrame(flags: flags)
        buffer.writeBuffer(&frame)
    }
}

/// Bridges `ByteBuffer` to SwiftProtobuf's byte-bag protocol in both directions without copies.
///
/// When SwiftProtobuf serializes, it asks for a zeroed bag of the exact payload size and fills it.
/// This bag reserves ``FrameHeader/size`` bytes in front of the payload, so the frame header can
/// be written there afterwards and the payload never moves.
struct ProtobufBytes: SwiftProtobufContiguousBytes {
    var buffer: ByteBuffer

    init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    init(repeating byte: UInt8, count: Int) {
        var buffer = ByteBufferAllocator().buffer(capacity: FrameHeader.size + count)
        buffer.writeRepeatingByte(0, count: FrameHeader.size)
        buffer.writeRepeatingByte(byte, count: count)
        buffer.moveReaderIndex(forwardBy: FrameHeader.size)
        self.buffer = buffer
    }

    init<S: Sequence>(_ sequence: S) where S.Element == UInt8 {
        self.buffer = ByteBuffer(bytes: sequence)
    }

    var count: Int { buffer.readableBytes }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeReadableBytes(body)
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeMutableReadableBytes(body)
    }
}
