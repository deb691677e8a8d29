import Crypto
import Foundation
import Testing

@testable import Restate

@Suite("RequestIdentityVerifier")
struct RequestIdentityVerifierTests {
    static let now: Int64 = 1_760_000_000
    static let nowDate = Date(timeIntervalSince1970: TimeInterval(now))

    /// The failure code of a check, or `nil` if the request is accepted.
    private func outcome(
        _ verifier: RequestIdentityVerifier,
        headers: [(name: String, value: String)],
        path: String,
        now: Date = nowDate
    ) -> RequestIdentityError.Code? {
        do {
            try verifier.verify(headers: headers, path: path, now: now)
            return nil
        } catch {
            return error.code
        }
    }

    // MARK: keys

    @Test("the documented example key decodes to 32 bytes")
    func exampleKey() throws {
        let bytes = try RequestIdentityVerifier.decodeKey("publickeyv1_w7YHemBctH5Ck2nQRQ47iBBqhNHy4FV7t2Usbye2A6f")
        #expect(bytes.count == 32)
        #expect(Base58.encode(bytes) == "w7YHemBctH5Ck2nQRQ47iBBqhNHy4FV7t2Usbye2A6f")
        let verifier = try RequestIdentityVerifier(keys: ["publickeyv1_w7YHemBctH5Ck2nQRQ47iBBqhNHy4FV7t2Usbye2A6f"])
        #expect(verifier.isEnabled)
    }

    @Test("a generated key round-trips through the publickeyv1_ form")
    func generatedKey() throws {
        let signer = TestSigner()
        let bytes = try RequestIdentityVerifier.decodeKey(signer.identityKey)
        #expect(bytes == Array(signer.privateKey.publicKey.rawRepresentation))
    }

    @Test(
        "bad keys are refused with a reason",
        arguments: [
            ("w7YHemBctH5Ck2nQRQ47iBBqhNHy4FV7t2Usbye2A6f", "prefix"),
            ("publickeyv2_w7YHemBctH5Ck2nQRQ47iBBqhNHy4FV7t2Usbye2A6f", "prefix"),
            ("publickeyv1_w7YHemBctH5Ck2nQRQ47iBBqhNHy4FV7t2Usbye2A60", "base58"),
            ("publickeyv1_w7YHemBctH5Ck2nQRQ47iBBqhNHy4FV7t2Usbye2A6", "32-byte"),
            ("publickeyv1_w7YHemBctH5Ck2nQRQ47iBBqhNHy4FV7t2Usbye2A6fw", "32-byte"),
            ("publickeyv1_", "32-byte"),
        ]
    )
    func badKeys(key: String, reasonFragment: String) {
        #expect {
            try RequestIdentityVerifier(keys: [key])
        } throws: { error in
            guard let error = error as? RequestIdentityKeyError else { return false }
            return error.key == key && error.description.contains(reasonFragment)
        }
    }

    @Test("keys come from a comma-separated environment value")
    func environment() throws {
        let first = TestSigner()
        let second = TestSigner()
        #expect(
            RequestIdentityVerifier.keys(fromEnvironmentValue: " \(first.identityKey) ,,\(second.identityKey),\n")
                == [first.identityKey, second.identityKey]
        )
        #expect(RequestIdentityVerifier.keys(fromEnvironmentValue: " , ").isEmpty)

        let verifier = try RequestIdentityVerifier.fromEnvironment(
            variable: "E2E_REQUEST_SIGNING",
            environment: ["E2E_REQUEST_SIGNING": "\(first.identityKey), \(second.identityKey)"]
        )
        let token = try second.token(audience: "/discover", now: Self.now)
        #expect(outcome(verifier, headers: signedHeaders(token), path: "/discover") == nil)

        let unset = try RequestIdentityVerifier.fromEnvironment(environment: [:])
        #expect(!unset.isEnabled)
        #expect(throws: RequestIdentityKeyError.self) {
            try RequestIdentityVerifier(environmentValue: "\(first.identityKey),nonsense")
        }
    }

    // MARK: verification

    @Test("without keys every request is accepted")
    func noKeys() throws {
        let verifier = RequestIdentityVerifier()
        #expect(!verifier.isEnabled)
        #expect(outcome(verifier, headers: [], path: "/invoke/S/h") == nil)
        #expect(outcome(verifier, headers: [(name: "x-restate-signature-scheme", value: "unsigned")], path: "/") == nil)
        let empty = try RequestIdentityVerifier(keys: [String]())
        #expect(outcome(empty, headers: [(name: "x-restate-jwt-v1", value: "garbage")], path: "/discover") == nil)
    }

    @Test(
        "a token signed by the runtime's key for this path is accepted",
        arguments: [
            ("/invoke/Greeter/greet", "/invoke/Greeter/greet"),
            ("/foo/invoke/S/h", "/invoke/S/h"),
            ("/a/b/c/invoke/S/h", "/invoke/S/h"),
            ("/discover", "/discover"),
            ("/prefix/discover", "/discover"),
            ("/health", "/health"),
        ]
    )
    func accepted(path: String, audience: String) throws {
        let signer = TestSigner()
        let verifier = try RequestIdentityVerifier(keys: [signer.identityKey])
        let token = try signer.token(audience: audience, now: Self.now)
        #expect(outcome(verifier, headers: signedHeaders(token), path: path) == nil)
    }

    @Test("any of several keys may sign")
    func multipleKeys() throws {
        let signers = [TestSigner(), TestSigner(), TestSigner()]
        let verifier = try RequestIdentityVerifier(keys: signers.prefix(2).map(\.identityKey))
        for signer in signers.prefix(2) {
            let token = try signer.token(audience: "/invoke/S/h", now: Self.now)
            #expect(outcome(verifier, headers: signedHeaders(token), path: "/invoke/S/h") == nil)
        }
        let stranger = try signers[2].token(audience: "/invoke/S/h", now: Self.now)
        #expect(outcome(verifier, headers: signedHeaders(stranger), path: "/invoke/S/h") == .badSignature)
    }

    @Test("a token signed by another key is refused")
    func wrongKey() throws {
        let verifier = try RequestIdentityVerifier(keys: [TestSigner().identityKey])
        let token = try TestSigner().token(audience: "/invoke/S/h", now: Self.now)
        #expect(outcome(verifier, headers: signedHeaders(token), path: "/invoke/S/h") == .badSignature)
    }

    @Test("a tampered payload or signature is refused")
    func tampered() throws {
        let signer = TestSigner()
        let verifier = try RequestIdentityVerifier(keys: [signer.identityKey])
        let token = try signer.token(audience: "/invoke/S/h", now: Self.now)
        let parts = token.split(separator: ".").map(String.init)

        // Same structure, another audience: the signature no longer matches.
        let otherClaims =
            #"{"aud":"/invoke/S/other","exp":\#(Self.now + 60),"iat":\#(Self.now),"nbf":\#(Self.now - 60)}"#
        let swapped = [parts[0], Base64URL.encode(Array(otherClaims.utf8)), parts[2]].joined(separator: ".")
        #expect(outcome(verifier, headers: signedHeaders(swapped), path: "/invoke/S/other") == .badSignature)

        var signature = Base64URL.decode(parts[2])!
        signature[10] ^= 0x01
        let flipped = [parts[0], parts[1], Base64URL.encode(signature)].joined(separator: ".")
        #expect(outcome(verifier, headers: signedHeaders(flipped), path: "/invoke/S/h") == .badSignature)
    }

    @Test("exp and nbf are checked against the clock with no leeway")
    func validityWindow() throws {
        let signer = TestSigner()
        let verifier = try RequestIdentityVerifier(keys: [signer.identityKey])
        let headers = signedHeaders(try signer.token(audience: "/discover", now: Self.now))
        func at(_ seconds: Int64, plus fraction: Double = 0) -> Date {
            Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
        }
        #expect(outcome(verifier, headers: headers, path: "/discover", now: at(Self.now + 60)) == nil)
        #expect(outcome(verifier, headers: headers, path: "/discover", now: at(Self.now + 60, plus: 0.9)) == nil)
        #expect(outcome(verifier, headers: headers, path: "/discover", now: at(Self.now + 61)) == .expired)
        #expect(outcome(verifier, headers: headers, path: "/discover", now: at(Self.now - 60)) == nil)
        #expect(
            outcome(verifier, headers: headers, path: "/discover", now: at(Self.now - 61, plus: 0.9)) == .notYetValid
        )
        #expect(outcome(verifier, headers: headers, path: "/discover", now: at(Self.now - 61)) == .notYetValid)
    }

    @Test(
        "the audience must be the normalised path",
        arguments: [
            ("/invoke/S/h", "/invoke/S/other"),
            ("/invoke/S/h", "/discover"),
            ("/foo/invoke/S/h", "/foo/invoke/S/h"),
            ("/discover", "/invoke/S/h"),
            ("/prefix/discover", "/prefix/discover"),
        ]
    )
    func wrongAudience(audience: String, path: String) throws {
        let signer = TestSigner()
        let verifier = try RequestIdentityVerifier(keys: [signer.identityKey])
        let token = try signer.token(audience: audience, now: Self.now)
        #expect(outcome(verifier, headers: signedHeaders(token), path: path) == .wrongAudience)
    }

    @Test("an audience array is accepted when it holds the path")
    func audienceArray() throws {
        let signer = TestSigner()
        let verifier = try RequestIdentityVerifier(keys: [signer.identityKey])
        let header = #"{"typ":"JWT","alg":"EdDSA"}"#
        let claims = #"{"aud":["/x","/invoke/S/h"],"exp":\#(Self.now),"iat":\#(Self.now),"nbf":\#(Self.now)}"#
        let token = try signer.token(header: header, claims: claims)
        #expect(outcome(verifier, headers: signedHeaders(token), path: "/invoke/S/h") == nil)
        #expect(outcome(verifier, headers: signedHeaders(token), path: "/invoke/S/g") == .wrongAudience)
    }

    @Test("missing headers and other schemes are refused")
    func headers() throws {
        let signer = TestSigner()
        let verifier = try RequestIdentityVerifier(keys: [signer.identityKey])
        let token = try signer.token(audience: "/invoke/S/h", now: Self.now)
        #expect(outcome(verifier, headers: [], path: "/invoke/S/h") == .missingHeader)
        #expect(
            outcome(verifier, headers: [(name: "x-restate-jwt-v1", value: token)], path: "/invoke/S/h")
                == .missingHeader
        )
        #expect(
            outcome(verifier, headers: [(name: "x-restate-signature-scheme", value: "v1")], path: "/invoke/S/h")
                == .missingHeader
        )
        let unsigned = [
            (name: "x-restate-signature-scheme", value: "unsigned"), (name: "x-restate-jwt-v1", value: token),
        ]
        #expect(outcome(verifier, headers: unsigned, path: "/invoke/S/h") == .unsignedRequest)
        let v2 = [(name: "x-restate-signature-scheme", value: "v2"), (name: "x-restate-jwt-v1", value: token)]
        #expect(outcome(verifier, headers: v2, path: "/invoke/S/h") == .unsupportedScheme)
    }

    @Test("only EdDSA is accepted", arguments: ["none", "HS256", "RS256", "ES256", "eddsa", "Ed25519"])
    func algorithms(algorithm: String) throws {
        let signer = TestSigner()
        let verifier = try RequestIdentityVerifier(keys: [signer.identityKey])
        // Signed with the right key, so only the header's claim about the algorithm is wrong.
        let token = try signer.token(audience: "/invoke/S/h", now: Self.now, algorithm: algorithm)
        #expect(outcome(verifier, headers: signedHeaders(token), path: "/invoke/S/h") == .unsupportedAlgorithm)
    }

    @Test("an unsigned alg:none token with an empty signature is refused")
    func algNoneUnsigned() throws {
        let verifier = try RequestIdentityVerifier(keys: [TestSigner().identityKey])
        let header = Base64URL.encode(Array(#"{"alg":"none"}"#.utf8))
        let claims = Base64URL.encode(
            Array(#"{"aud":"/discover","exp":\#(Self.now),"iat":\#(Self.now),"nbf":\#(Self.now)}"#.utf8)
        )
        #expect(
            outcome(verifier, headers: signedHeaders("\(header).\(claims)."), path: "/discover")
                == .unsupportedAlgorithm
        )
    }

    @Test(
        "claims must be present and well-typed",
        arguments: [
            #"{"exp":1760000060,"iat":1760000000,"nbf":1759999940}"#,
            #"{"aud":"/discover","iat":1760000000,"nbf":1759999940}"#,
            #"{"aud":"/discover","exp":1760000060,"nbf":1759999940}"#,
            #"{"aud":"/discover","exp":1760000060,"iat":1760000000}"#,
            #"{"aud":"/discover","exp":"1760000060","iat":1760000000,"nbf":1759999940}"#,
            #"{"aud":"/discover","exp":1760000060.5,"iat":1760000000,"nbf":1759999940}"#,
            #"{"aud":7,"exp":1760000060,"iat":1760000000,"nbf":1759999940}"#,
            #"["/discover"]"#,
            #"not json"#,
        ]
    )
    func malformedClaims(claims: String) throws {
        let signer = TestSigner()
        let verifier = try RequestIdentityVerifier(keys: [signer.identityKey])
        let token = try signer.token(header: #"{"alg":"EdDSA"}"#, claims: claims)
        #expect(outcome(verifier, headers: signedHeaders(token), path: "/discover") == .malformedToken)
    }

    @Test(
        "tokens that are not three base64url JSON parts are malformed",
        arguments: [
            "", "abc", "a.b", "a.b.c.d", "eyJhbGciOiJFZERTQSJ9..", "!!.!!.!!", "eyJhbGciOiJFZERTQSJ9.e30=.AA",
            "bm90IGpzb24.e30.AA",
        ]
    )
    func malformedTokens(token: String) throws {
        let verifier = try RequestIdentityVerifier(keys: [TestSigner().identityKey])
        #expect(outcome(verifier, headers: signedHeaders(token), path: "/discover") == .malformedToken)
    }

    @Test("an oversized token is refused before decoding")
    func oversized() throws {
        let verifier = try RequestIdentityVerifier(keys: [TestSigner().identityKey])
        let token = String(repeating: "A", count: RequestIdentityVerifier.maximumTokenLength + 1)
        #expect(outcome(verifier, headers: signedHeaders(token), path: "/discover") == .malformedToken)
    }

    /// The token from `sdk-shared-core`'s `bad_key` test, issued by the key in its `kid`.
    static let sharedCoreToken =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSIsImtpZCI6InB1YmxpY2tleXYxX0FmUXdtd2ZnRVpocldwdnY4TjUyU0hwUnRacUdHYUZyNEFaTjZxdFlXU2lZIn0.eyJhdWQiOiIvaW52b2tlL2ZvbyIsImV4cCI6MTcyMTY2MjcwOSwiaWF0IjoxNzIxNjYyNjQ5LCJuYmYiOjE3MjE2NjI1ODl9.UBReG_9cdFQ5VcaJxAV0rM8U_zaNw9kMXJZt691SiI0SWw7Ucmz5Zz3wtmVUc1jrkNsnTDhNEvOFGEZoKXTMCQ"

    @Test("a token made by the Rust signer verifies with its key and not with another")
    func sharedCoreVector() throws {
        let issuer = try RequestIdentityVerifier(keys: ["publickeyv1_AfQwmwfgEZhrWpvv8N52SHpRtZqGGaFr4AZN6qtYWSiY"])
        let headers = signedHeaders(Self.sharedCoreToken)
        let during = Date(timeIntervalSince1970: 1_721_662_649)
        #expect(outcome(issuer, headers: headers, path: "/invoke/foo", now: during) == nil)
        #expect(outcome(issuer, headers: headers, path: "/invoke/foo") == .expired)
        let other = try RequestIdentityVerifier(keys: ["publickeyv1_ChjENKeMvCtRnqG2mrBK1HmPKufgFUc98K8B3ononQvp"])
        #expect(outcome(other, headers: headers, path: "/invoke/foo", now: during) == .badSignature)
    }

    @Test("errors say why")
    func messages() throws {
        let signer = TestSigner()
        let verifier = try RequestIdentityVerifier(keys: [signer.identityKey])
        #expect(throws: RequestIdentityError.self) {
            try verifier.verify(headers: [(name: String, value: String)](), path: "/discover", now: Self.nowDate)
        }
        do {
            try verifier.verify(headers: [(name: String, value: String)](), path: "/discover", now: Self.nowDate)
        } catch {
            #expect(error.description.contains("x-restate-signature-scheme"))
        }
        let token = try signer.token(audience: "/invoke/S/h", now: Self.now)
        do {
            try verifier.verify(headers: signedHeaders(token), path: "/invoke/S/g", now: Self.nowDate)
            Issue.record("expected a wrong-audience error")
        } catch {
            #expect(error.description.contains("/invoke/S/g"))
        }
    }

    @Test(
        "paths normalise like sdk-shared-core",
        arguments: [
            ("/invoke/a/b", "/invoke/a/b"), ("/foo/invoke/a/b", "/invoke/a/b"), ("/foo/bar/invoke/a/b", "/invoke/a/b"),
            ("/discover", "/discover"), ("/foo/discover", "/discover"), ("/foo/bar/discover", "/discover"),
            ("/foo", "/foo"), ("/invoke", "/invoke"), ("/foo/invoke", "/foo/invoke"), ("/invoke/a", "/invoke/a"),
            ("/foo/invoke/a", "/foo/invoke/a"), ("", ""), ("/", "/"), ("//", "//"), ("///", "///"),
            ("////", "////"), ("discover", "discover"), ("foo/discover", "/discover"),
            ("foo/invoke/a/b", "/invoke/a/b"),
        ]
    )
    func normalise(path: String, expected: String) {
        #expect(RequestIdentityVerifier.normalisedPath(path) == expected)
    }
}
