import Crypto
import Foundation

extension RequestIdentityVerifier {
    /// Verifies the identity headers of one request.
    ///
    /// - Parameters:
    ///   - headers: the request headers; names are matched case-insensitively and the first value
    ///     wins. `NIOHTTP1.HTTPHeaders` and `[(name: String, value: String)]` both fit.
    ///   - path: the request path (without query), e.g. `/prefix/invoke/Greeter/greet`.
    ///   - now: the current time; tests inject it.
    /// - Throws: ``RequestIdentityError`` saying why the request must be answered with 401.
    public func verify(
        headers: some Sequence<(name: String, value: String)>,
        path: String,
        now: Date = Date()
    ) throws(RequestIdentityError) {
        guard isEnabled else { return }
        try verify(path: path, now: now) { name in
            headers.first { $0.name.lowercased() == name }?.value
        }
    }

    /// Verifies the identity headers of one request, reading them through a lookup function.
    ///
    /// - Parameters:
    ///   - path: the request path (without query).
    ///   - now: the current time.
    ///   - header: returns the value of a header given its lowercase name, or `nil` if absent.
    /// - Throws: ``RequestIdentityError`` saying why the request must be answered with 401.
    public func verify(
        path: String,
        now: Date = Date(),
        header: (String) -> String?
    ) throws(RequestIdentityError) {
        guard isEnabled else { return }
        guard let scheme = header(Self.schemeHeader)?.trimmingCharacters(in: .whitespaces) else {
            throw RequestIdentityError(.missingHeader, "missing header \(Self.schemeHeader)")
        }
        switch scheme {
        case "v1":
            guard let token = header(Self.jwtHeader)?.trimmingCharacters(in: .whitespaces) else {
                throw RequestIdentityError(.missingHeader, "missing header \(Self.jwtHeader)")
            }
            try verifyV1(token: token, audience: Self.normalisedPath(path), now: now)
        case "unsigned":
            throw RequestIdentityError(
                .unsignedRequest,
                "got an unsigned request, but only requests signed with a configured key are accepted"
            )
        default:
            throw RequestIdentityError(
                .unsupportedScheme,
                "unsupported \(Self.schemeHeader) '\(scheme.prefix(32))', expected 'v1'"
            )
        }
    }

    private func verifyV1(token: String, audience: String, now: Date) throws(RequestIdentityError) {
        let jwt = try JWT(parsing: token)
        guard jwt.algorithm == "EdDSA" else {
            throw RequestIdentityError(
                .unsupportedAlgorithm,
                "JWT algorithm '\(jwt.algorithm.prefix(32))' is not accepted, expected 'EdDSA'"
            )
        }
        guard jwt.signature.count == 64 else {
            throw RequestIdentityError(.malformedToken, "an EdDSA signature is 64 bytes, got \(jwt.signature.count)")
        }
        // Claims are only looked at once a key vouches for them.
        let verified = rawKeys.contains { raw in
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
            return key.isValidSignature(jwt.signature, for: jwt.signingInput)
        }
        guard verified else {
            throw RequestIdentityError(.badSignature, "the JWT signature matches none of the configured keys")
        }
        let claims = try jwt.claims()
        // Whole seconds, as the claims are; with leeway 0 a token is valid for nbf ≤ now ≤ exp.
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        if claims.exp < nowSeconds {
            throw RequestIdentityError(.expired, "the JWT expired at \(claims.exp), it is now \(nowSeconds)")
        }
        if claims.nbf > nowSeconds {
            throw RequestIdentityError(
                .notYetValid,
                "the JWT is not valid before \(claims.nbf), it is now \(nowSeconds)"
            )
        }
        guard claims.audiences.contains(audience) else {
            throw RequestIdentityError(
                .wrongAudience,
                "the JWT audience \(claims.audiences) does not match the request path '\(audience)'"
            )
        }
    }

    /// The path the runtime puts in `aud`: the deployment URL's own prefix removed.
    ///
    /// `…/invoke/{service}/{handler}` becomes `/invoke/{service}/{handler}`, `…/discover` becomes
    /// `/discover`, and any other path stays as it is (the same rule as `sdk-shared-core`).
    static func normalisedPath(_ path: String) -> String {
        let slashes = path.indices.filter { path[$0] == "/" }
        if slashes.count >= 3, path[slashes[slashes.count - 3]..<slashes[slashes.count - 2]] == "/invoke" {
            return String(path[slashes[slashes.count - 3]...])
        }
        if let last = slashes.last, path[last...] == "/discover" {
            return "/discover"
        }
        return path
    }
}

/// A compact-serialised JWS, split and decoded but not yet trusted.
private struct JWT {
    var algorithm: String
    var signingInput: Data
    var signature: Data
    var payload: Data

    struct Claims {
        var audiences: [String]
        var exp: Int64
        var nbf: Int64
    }

    init(parsing token: String) throws(RequestIdentityError) {
        guard token.utf8.count <= RequestIdentityVerifier.maximumTokenLength else {
            throw RequestIdentityError(
                .malformedToken,
                "the JWT is longer than \(RequestIdentityVerifier.maximumTokenLength) bytes"
            )
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw RequestIdentityError(.malformedToken, "a JWT has three dot-separated parts, got \(parts.count)")
        }
        guard let header = Base64URL.decode(parts[0]), let payload = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else {
            throw RequestIdentityError(.malformedToken, "a JWT part is not unpadded base64url")
        }
        let decodedHeader: Header
        do {
            decodedHeader = try JSONDecoder().decode(Header.self, from: Data(header))
        } catch {
            throw RequestIdentityError(.malformedToken, "the JWT header is not a JSON object with a string 'alg'")
        }
        self.algorithm = decodedHeader.alg
        self.signingInput = Data(parts[0].utf8) + Data(".".utf8) + Data(parts[1].utf8)
        self.signature = Data(signature)
        self.payload = Data(payload)
    }

    func claims() throws(RequestIdentityError) -> Claims {
        let decoded: RawClaims
        do {
            decoded = try JSONDecoder().decode(RawClaims.self, from: payload)
        } catch {
            throw RequestIdentityError(
                .malformedToken,
                "the JWT claims are not a JSON object with string 'aud' and integer 'exp', 'iat' and 'nbf'"
            )
        }
        guard let aud = decoded.aud else { throw Self.missing("aud") }
        guard let exp = decoded.exp else { throw Self.missing("exp") }
        guard decoded.iat != nil else { throw Self.missing("iat") }
        guard let nbf = decoded.nbf else { throw Self.missing("nbf") }
        return Claims(audiences: aud.values, exp: exp, nbf: nbf)
    }

    private static func missing(_ claim: String) -> RequestIdentityError {
        RequestIdentityError(.malformedToken, "the JWT lacks the required claim '\(claim)'")
    }

    private struct Header: Decodable {
        var alg: String
    }

    private struct RawClaims: Decodable {
        var aud: Audience?
        var exp: Int64?
        var iat: Int64?
        var nbf: Int64?
    }

    /// RFC 7519 allows `aud` to be one string or an array of strings.
    private struct Audience: Decodable {
        var values: [String]

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let single = try? container.decode(String.self) {
                values = [single]
            } else {
                values = try container.decode([String].self)
            }
        }
    }
}
