/// A violation of the service protocol's framing or message encoding.
///
/// Every case ends the invocation attempt with an `ErrorMessage` carrying ``code`` (571,
/// PROTOCOL_VIOLATION) and ``description`` as its message.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The header names a type id that protocol V5–V7 does not define.
        case unknownMessageType(MessageType)
        /// The header announces a payload larger than the configured limit.
        case messageTooLarge(type: MessageType, length: UInt32, limit: Int)
        /// The stream ended in the middle of a frame.
        case truncatedFrame(expected: Int, received: Int)
        /// The payload is not a valid protobuf encoding of the message its type id names.
        case undecodableMessage(type: MessageType, reason: String)
        /// A well-formed message that cannot be sent or received on the negotiated version.
        case unsupportedInVersion(type: MessageType, version: ProtocolVersion)
    }

    /// What went wrong.
    public var kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// The protocol error code: always 571, PROTOCOL_VIOLATION.
    public var code: UInt16 { 571 }

    public var description: String {
        switch kind {
        case .unknownMessageType(let type):
            return "Protocol violation: unknown message type \(type)"
        case .messageTooLarge(let type, let length, let limit):
            return "Protocol violation: \(type) of \(length) bytes exceeds the message size limit of \(limit) bytes"
        case .truncatedFrame(let expected, let received):
            return
                "Protocol violation: input ended in the middle of a frame (\(received) of \(expected) bytes received)"
        case .undecodableMessage(let type, let reason):
            return "Protocol violation: cannot decode \(type): \(reason)"
        case .unsupportedInVersion(let type, let version):
            return "Protocol violation: \(type) is not part of service protocol V\(version.rawValue)"
        }
    }
}
