/// A version of the Restate service protocol that this SDK speaks.
///
/// The runtime picks the version per invocation and announces it as the request's
/// `content-type` (and `accept`), `application/vnd.restate.invocation.vN`; the endpoint answers
/// with exactly the same content type.
public enum ProtocolVersion: Int, Sendable, Hashable, CaseIterable, Comparable {
    /// Immutable journal of commands and notifications.
    case v5 = 5
    /// Adds `StartMessage.random_seed` and `Failure.metadata`.
    case v6 = 6
    /// Adds the `Future` suspension tree, `AwaitingOnMessage`, run-completion acks,
    /// `ErrorMessage.behavior`, scope and limit keys.
    case v7 = 7

    /// The lowest version this SDK accepts.
    public static let minimum = ProtocolVersion.v5
    /// The highest version this SDK accepts.
    public static let maximum = ProtocolVersion.v7

    private static let contentTypePrefix = "application/vnd.restate.invocation.v"

    /// The invocation content type of this version, e.g. `application/vnd.restate.invocation.v6`.
    public var contentType: String {
        // Literals: every response head carries it, and concatenating cost ~700 instructions.
        switch self {
        case .v5: "application/vnd.restate.invocation.v5"
        case .v6: "application/vnd.restate.invocation.v6"
        case .v7: "application/vnd.restate.invocation.v7"
        }
    }

    /// Parses an invocation content type.
    ///
    /// Parameters after `;` and surrounding whitespace are ignored; the media type is compared
    /// case-insensitively. Returns `nil` for a missing, malformed or unsupported content type, which
    /// the endpoint answers with 415.
    ///
    /// Runs on every invocation, so it compares UTF-8 bytes instead of using `String` operations,
    /// which walk grapheme clusters (they were half the instructions of a one-shot invocation).
    public init?(contentType: String?) {
        guard var contentType else { return nil }
        let parsed = contentType.withUTF8 { ProtocolVersion.parse(UnsafeRawBufferPointer($0)) }
        guard let parsed else { return nil }
        self = parsed
    }

    private static let prefixBytes = Array(contentTypePrefix.utf8)

    private static func parse(_ bytes: UnsafeRawBufferPointer) -> ProtocolVersion? {
        var index = 0
        let end = bytes.count
        func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        while index < end, isSpace(bytes[index]) { index += 1 }
        guard end - index > prefixBytes.count else { return nil }
        for expected in prefixBytes {
            var byte = bytes[index]
            if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte += 32 }
            guard byte == expected else { return nil }
            index += 1
        }
        var number = 0
        var digits = 0
        while index < end, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            number = number * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            digits += 1
            guard digits <= 3 else { return nil }
            index += 1
        }
        guard digits > 0 else { return nil }
        while index < end, isSpace(bytes[index]) { index += 1 }
        guard index == end || bytes[index] == UInt8(ascii: ";") else { return nil }
        return ProtocolVersion(rawValue: number)
    }

    public static func < (lhs: ProtocolVersion, rhs: ProtocolVersion) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }
}
