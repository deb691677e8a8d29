import Testing

@testable import Restate

@Suite("Base58")
struct Base58Tests {
    @Test(
        "encodes known vectors",
        arguments: [
            ([UInt8](), ""),
            ([0], "1"),
            ([0, 0, 0], "111"),
            ([0x61], "2g"),
            ([0x62, 0x62, 0x62], "a3gV"),
            (Array("Hello World!".utf8), "2NEpo7TZRRrLZSi2U"),
            ([0x00, 0x00, 0x28, 0x7f, 0xb4, 0xcd], "11233QC4"),
            ([0xff, 0xff], "LUv"),
        ] as [([UInt8], String)]
    )
    func knownVectors(bytes: [UInt8], encoded: String) {
        #expect(Base58.encode(bytes) == encoded)
        #expect(Base58.decode(encoded) == bytes)
    }

    @Test("round-trips random byte strings, including leading zeros")
    func roundTrips() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if length > 2 { bytes[0] = 0 }
            #expect(Base58.decode(Base58.encode(bytes)) == bytes)
        }
    }

    @Test("rejects characters outside the alphabet", arguments: ["0", "O", "I", "l", "abc+", "ab c", "é"])
    func rejects(input: String) {
        #expect(Base58.decode(input) == nil)
    }

    @Test("rejects overlong input")
    func overlong() {
        #expect(Base58.decode(String(repeating: "z", count: Base58.maximumEncodedLength + 1)) == nil)
        #expect(Base58.decode(String(repeating: "z", count: Base58.maximumEncodedLength)) != nil)
    }
}

@Suite("Base64URL")
struct Base64URLTests {
    @Test(
        "RFC 4648 vectors without padding",
        arguments: [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ]
    )
    func vectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test("uses the url-safe alphabet")
    func urlSafe() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
        #expect(Base64URL.decode("+/8") == nil)
    }

    @Test(
        "rejects padding, impossible lengths and non-canonical trailing bits",
        arguments: ["Zg==", "Zm9vY", "Zh", "Zm9=", "a b"]
    )
    func rejects(input: String) {
        #expect(Base64URL.decode(input) == nil)
    }

    @Test("round-trips random bytes")
    func roundTrips() {
        for length in 0..<40 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }
}
