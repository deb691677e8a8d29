import Crypto
import Foundation

/// Checks that a request comes from a Restate runtime holding the request identity private key.
///
/// When the runtime is configured with `request-identity-private-key-pem-file`, it signs every
/// discovery and invocation request with an ed25519 JWT (`x-restate-signature-scheme: v1`,
/// `x-restate-jwt-v1: <token>`). The verifier accepts a request if any configured public key
/// verifies the token and the token's claims hold: `exp` not passed, `nbf` reached (no leeway),
/// `iat` present, and `aud` equal to the request path normalised to `/invoke/{service}/{handler}`
/// or `/discover`.
///
/// A verifier without keys accepts every request, so an endpoint can always run one.
///
/// ```swift
/// let verifier = try RequestIdentityVerifier(keys: ["publickeyv1_w7YHemBctH5Ck2nQRQ47iBBqhNHy4FV7t2Usbye2A6f"])
/// do {
///     try verifier.verify(headers: request.headers, path: request.path)
/// } catch {
///     // answer 401 with error.description
/// }
/// ```
public struct RequestIdentityVerifier: Sendable {
    /// The prefix of a v1 public key string; base58 of the raw 32-byte key follows.
    public static let keyPrefix = "publickeyv1_"
    /// The environment variable ``fromEnvironment(variable:environment:)`` reads by default.
    public static let environmentVariable = "RESTATE_IDENTITY_KEYS"

    static let schemeHeader = "x-restate-signature-scheme"
    static let jwtHeader = "x-restate-jwt-v1"

    /// A runtime-issued token is a few hundred bytes; anything far larger is not worth decoding.
    static let maximumTokenLength = 8192

    /// Raw 32-byte keys. swift-crypto's `PublicKey` is not `Sendable` on every platform, so the
    /// bytes are kept and the (cheap) key value is made per check.
    let rawKeys: [[UInt8]]

    /// Whether any key is configured; without keys ``verify(headers:path:now:)`` accepts everything.
    public var isEnabled: Bool { !rawKeys.isEmpty }

    /// Creates a verifier for the given `publickeyv1_…` keys.
    ///
    /// - Parameter keys: zero or more public keys as the runtime prints them at startup. With no keys
    ///   the verifier accepts every request.
    /// - Throws: ``RequestIdentityKeyError`` if a key lacks the prefix, is not base58, or does not
    ///   decode to exactly 32 bytes.
    public init(keys: some Sequence<String>) throws(RequestIdentityKeyError) {
        var parsed: [[UInt8]] = []
        for key in keys {
            parsed.append(try Self.parseKey(key))
        }
        self.rawKeys = parsed
    }

    /// Creates a verifier that accepts every request.
    public init() {
        self.rawKeys = []
    }

    /// Creates a verifier from the value of an environment variable: keys separated by commas,
    /// surrounding whitespace and empty entries ignored.
    ///
    /// ```swift
    /// let verifier = try RequestIdentityVerifier(environmentValue: "publickeyv1_abc…, publickeyv1_def…")
    /// ```
    public init(environmentValue: String) throws(RequestIdentityKeyError) {
        try self.init(keys: Self.keys(fromEnvironmentValue: environmentValue))
    }

    /// Creates a verifier from an environment variable (by default `RESTATE_IDENTITY_KEYS`; the e2e
    /// suite uses `E2E_REQUEST_SIGNING`). An unset or empty variable gives a verifier without keys.
    public static func fromEnvironment(
        variable: String = environmentVariable,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RequestIdentityKeyError) -> RequestIdentityVerifier {
        try RequestIdentityVerifier(environmentValue: environment[variable] ?? "")
    }

    /// Splits a comma-separated list of keys, trimming whitespace and dropping empty entries.
    public static func keys(fromEnvironmentValue value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter {
            !$0.isEmpty
        }
    }

    /// Decodes a `publickeyv1_…` string into its raw 32 bytes.
    static func decodeKey(_ key: String) throws(RequestIdentityKeyError) -> [UInt8] {
        guard key.hasPrefix(keyPrefix) else {
            throw RequestIdentityKeyError(key: key, reason: "expected the prefix '\(keyPrefix)'")
        }
        guard let bytes = Base58.decode(key.dropFirst(keyPrefix.count)) else {
            throw RequestIdentityKeyError(key: key, reason: "the part after the prefix is not base58")
        }
        guard bytes.count == 32 else {
            throw RequestIdentityKeyError(
                key: key,
                reason: "expected a 32-byte ed25519 public key, decoded \(bytes.count) bytes"
            )
        }
        return bytes
    }

    private static func parseKey(_ key: String) throws(RequestIdentityKeyError) -> [UInt8] {
        let bytes = try decodeKey(key)
        do {
            _ = try Curve25519.Signing.PublicKey(rawRepresentation: bytes)
            return bytes
        } catch {
            throw RequestIdentityKeyError(key: key, reason: "not an ed25519 public key")
        }
    }
}
