/// A version of the endpoint manifest that `GET /discover` returns.
///
/// The runtime lists the versions it understands in `Accept`; the endpoint answers with the
/// highest one both sides know, with `content-type` set to its ``contentType``, and writes only the
/// fields that version defines (the runtime parses with `additionalProperties: false`).
///
/// | Version | Adds | First runtime asking for it |
/// |---|---|---|
/// | v1 | mode, protocol range, services, handlers, input/output | 1.0 |
/// | v2 | `documentation`, `metadata` | 1.2 |
/// | v3 | retention, timeouts, lazy state, `ingressPrivate` | 1.4 |
/// | v4 | `lambdaCompression`, `retryPolicy*` | 1.5 |
///
/// ``negotiate(accept:)`` never picks v1: a runtime that offers only v1 (1.0 and 1.1) cannot run
/// service protocol V5, the lowest this SDK speaks, so registering would fail anyway, and the
/// reference SDK answers 415 there too. v1 stays encodable for tests and tools.
public enum ManifestVersion: Int, Sendable, Hashable, CaseIterable, Comparable {
    case v1 = 1
    case v2 = 2
    case v3 = 3
    case v4 = 4

    /// The versions ``negotiate(accept:)`` can choose, lowest first.
    public static let negotiable: [ManifestVersion] = [.v2, .v3, .v4]

    private static let contentTypePrefix = "application/vnd.restate.endpointmanifest.v"
    private static let contentTypeSuffix = "+json"

    /// `application/vnd.restate.endpointmanifest.vN+json`.
    public var contentType: String {
        Self.contentTypePrefix + String(rawValue) + Self.contentTypeSuffix
    }

    /// The version a media type names, ignoring case and parameters, or `nil`.
    public init?(contentType: some StringProtocol) {
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .trimmingASCIIWhitespace().lowercased()
        guard let version = Self.allCases.first(where: { $0.contentType == mediaType }) else { return nil }
        self = version
    }

    /// Picks the manifest version to answer a discovery request with.
    ///
    /// `accept` is the raw header value: a comma-separated list of media types, each possibly with
    /// parameters (`;q=0.5`); entries with `q=0` are refused ones and are skipped. Wildcards such as
    /// `*/*` do not count: the manifest must be versioned.
    ///
    /// ```swift
    /// ManifestVersion.negotiate(accept: "application/vnd.restate.endpointmanifest.v1+json, application/vnd.restate.endpointmanifest.v3+json")  // .v3
    /// ManifestVersion.negotiate(accept: "*/*")  // nil: answer 415
    /// ```
    ///
    /// - Returns: the highest of ``negotiable`` that `accept` lists, or `nil` (answer 415) when it
    ///   lists none of them or the header is missing.
    public static func negotiate(accept: String?) -> ManifestVersion? {
        guard let accept else { return nil }
        var best: ManifestVersion?
        for entry in accept.split(separator: ",") {
            let parts = entry.split(separator: ";", omittingEmptySubsequences: false)
            guard let version = ManifestVersion(contentType: parts[0]), negotiable.contains(version) else { continue }
            if parts.dropFirst().contains(where: isZeroQuality) { continue }
            best = max(best ?? version, version)
        }
        return best
    }

    /// Whether a media-type parameter is `q=0` (RFC 9110: "not acceptable").
    private static func isZeroQuality(_ parameter: Substring) -> Bool {
        let pair = parameter.split(separator: "=", maxSplits: 1)
        guard pair.count == 2, pair[0].trimmingASCIIWhitespace().lowercased() == "q",
            let quality = Double(pair[1].trimmingASCIIWhitespace())
        else { return false }
        return quality == 0
    }

    public static func < (lhs: ManifestVersion, rhs: ManifestVersion) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
