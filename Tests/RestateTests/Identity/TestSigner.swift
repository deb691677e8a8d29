import Crypto
import Foundation

@testable import Restate

/// Builds JWTs the way the Restate runtime does, for tests only.
struct TestSigner {
    let privateKey: Curve25519.Signing.PrivateKey

    init() {
        privateKey = Curve25519.Signing.PrivateKey()
    }

    /// `publickeyv1_<base58 of the raw public key>`.
    var identityKey: String {
        RequestIdentityVerifier.keyPrefix + Base58.encode(Array(privateKey.publicKey.rawRepresentation))
    }

    /// Signs `header` and `claims` (raw JSON texts) as a compact JWS.
    func token(header: String, claims: String) throws -> String {
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        let signature = try privateKey.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(Array(signature))
    }

    /// A token like the runtime's: valid from `now - 60` to `now + 60`.
    func token(audience: String, now: Int64, algorithm: String = "EdDSA") throws -> String {
        try token(
            header: #"{"typ":"JWT","alg":"\#(algorithm)","kid":"\#(identityKey)"}"#,
            claims: #"{"aud":"\#(audience)","exp":\#(now + 60),"iat":\#(now),"nbf":\#(now - 60)}"#
        )
    }
}

/// The two headers the runtime sends when signing is on.
func signedHeaders(_ token: String) -> [(name: String, value: String)] {
    [(name: "X-Restate-Signature-Scheme", value: "v1"), (name: "x-restate-jwt-v1", value: token)]
}
