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
    public var contentType: String { ProtocolVersion.contentTypePrefix + String(rawValue) }

    /// Parses an invocation content type.
    ///
    /// Parameters after `;` and surrounding whitespace are ignored; the media type is compared
    /// case-insensitively. Returns `nil` for a missing, malformed or unsupported content type, which
    /// the endpoint answers with 415.
    public init?(contentType: String?) {
        guard let contentType else { return nil }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let trimmed = mediaType.trimmingASCIIWhitespace().lowercased()
        guard trimmed.hasPrefix(ProtocolVersion.contentTypePrefix) else { return nil }
        let digits = trimmed.dropFirst(ProtocolVersion.contentTypePrefix.count)
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(\.isASCIIDigit),
            let number = Int(digits), let version = ProtocolVersion(rawValue: number)
        else { return nil }
        self = version
    }

    public static func < (lhs: ProtocolVersion, rhs: ProtocolVersion) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }
}
