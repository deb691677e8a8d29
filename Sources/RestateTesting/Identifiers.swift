import Foundation

/// Invocation ids as Restate shapes them: 24 raw bytes (an 8-byte big-endian partition key and a
/// 16-byte UUID) and a printable `inv_1…` form.
struct InvocationIdentifier: Sendable, Hashable {
    var raw: Data
    var printable: String

    /// A fresh id. The partition key is a counter, so ids sort by creation, which makes test
    /// failures easier to read; the UUID keeps them unique across runtimes.
    static func make(sequence: UInt64) -> InvocationIdentifier {
        var raw = Data()
        withUnsafeBytes(of: sequence.bigEndian) { raw.append(contentsOf: $0) }
        let uuid = UUID().uuid
        withUnsafeBytes(of: uuid) { raw.append(contentsOf: $0) }
        return InvocationIdentifier(raw: raw, printable: "inv_1" + base62(raw))
    }

    /// The `StartMessage.random_seed`: stable for the invocation, so replays draw the same numbers.
    var randomSeed: UInt64 {
        raw.suffix(8).reduce(0) { ($0 << 8) | UInt64($1) }
    }

    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    static func base62(_ data: Data) -> String {
        var digits = Array(data)
        var result: [Character] = []
        while digits.contains(where: { $0 != 0 }) {
            var remainder = 0
            for index in digits.indices {
                let value = remainder * 256 + Int(digits[index])
                digits[index] = UInt8(value / 62)
                remainder = value % 62
            }
            result.append(alphabet[remainder])
        }
        return String(result.reversed())
    }
}

/// An awakeable id, `sign_1` + base64url(raw invocation id ‖ u32 big-endian signal index).
struct AwakeableIdentifier: Sendable, Hashable {
    var invocation: Data
    var signalIndex: UInt32

    init?(_ text: String) {
        guard text.hasPrefix("sign_1") else { return nil }
        var base64 = String(text.dropFirst(6))
            .replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let bytes = Data(base64Encoded: base64), bytes.count == 28 else { return nil }
        invocation = bytes.prefix(24)
        signalIndex = bytes.suffix(4).reduce(0) { ($0 << 8) | UInt32($1) }
    }
}

/// Deployment ids as Restate prints them: `dp_1` and 22 base62 characters of a random 128-bit id.
enum DeploymentIdentifier {
    static func make() -> String {
        let uuid = UUID().uuid
        let raw = withUnsafeBytes(of: uuid) { Data($0) }
        var digits = InvocationIdentifier.base62(raw)
        while digits.count < 22 { digits = "0" + digits }
        return "dp_1" + digits
    }
}
