/// Why a request failed the request identity check.
///
/// The endpoint answers such a request with `401 Unauthorized`; ``description`` is meant for that
/// response's body and for the log line.
///
/// ```swift
/// do {
///     try verifier.verify(headers: head.headers, path: head.path)
/// } catch {
///     return .unauthorized(reason: error.description)  // error.code == .expired, …
/// }
/// ```
public struct RequestIdentityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, for code that reacts to it; ``RequestIdentityError/description`` has
    /// the details.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String {
            case missingHeader = "missing header"
            case unsupportedScheme = "unsupported signature scheme"
            case unsignedRequest = "unsigned request"
            case malformedToken = "malformed token"
            case unsupportedAlgorithm = "unsupported algorithm"
            case badSignature = "bad signature"
            case expired
            case notYetValid = "not yet valid"
            case wrongAudience = "wrong audience"
        }

        let value: Value

        /// `x-restate-signature-scheme`, or `x-restate-jwt-v1` for scheme `v1`, is absent.
        public static let missingHeader = Self(value: .missingHeader)
        /// `x-restate-signature-scheme` has a value other than `v1` or `unsigned`.
        public static let unsupportedScheme = Self(value: .unsupportedScheme)
        /// The request says `unsigned` while keys are configured.
        public static let unsignedRequest = Self(value: .unsignedRequest)
        /// The JWT is not three base64url parts of JSON, or a required claim is missing or has the
        /// wrong type.
        public static let malformedToken = Self(value: .malformedToken)
        /// The JWT header's `alg` is not `EdDSA`.
        public static let unsupportedAlgorithm = Self(value: .unsupportedAlgorithm)
        /// No configured key verifies the signature.
        public static let badSignature = Self(value: .badSignature)
        /// `exp` is in the past.
        public static let expired = Self(value: .expired)
        /// `nbf` is in the future.
        public static let notYetValid = Self(value: .notYetValid)
        /// `aud` is not the normalised request path.
        public static let wrongAudience = Self(value: .wrongAudience)

        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence saying what was wrong, without the token itself.
    public var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "request identity check failed: \(message)" }
}

/// Why a configured request identity key cannot be used.
public struct RequestIdentityKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The key as given, for the error message (public keys are not secrets).
    public var key: String
    /// What is wrong with it.
    public var reason: String

    public var description: String { "invalid request identity key '\(key)': \(reason)" }
}
