/// Base58 with the Bitcoin alphabet (the `bs58` crate's default), as used by Restate's
/// `publickeyv1_…` identity keys.
///
/// Leading `1` characters stand for leading zero bytes, so the encoding is lossless for keys
/// whose first bytes are zero.
enum Base58 {
    private static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// Maps an ASCII byte to its digit value; `0xFF` marks bytes outside the alphabet.
    private static let digitValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()

    /// The longest input `decode` accepts. The conversion is quadratic in the length, and a key
    /// is 44 characters; the bound keeps a hostile configuration value from costing much.
    static let maximumEncodedLength = 256

    /// Decodes `string`, or returns `nil` if it holds a character outside the alphabet or is longer
    /// than ``maximumEncodedLength``.
    static func decode(_ string: some StringProtocol) -> [UInt8]? {
        let input = Array(string.utf8)
        guard input.count <= maximumEncodedLength else { return nil }
        let leadingZeros = input.prefix { $0 == alphabet[0] }.count
        // Little-endian base-256 accumulator: multiply by 58 and add each digit.
        var magnitude: [UInt8] = []
        magnitude.reserveCapacity(input.count)
        for character in input.dropFirst(leadingZeros) {
            let digit = digitValues[Int(character)]
            guard digit != 0xFF else { return nil }
            var carry = UInt32(digit)
            for index in magnitude.indices {
                carry += UInt32(magnitude[index]) * 58
                magnitude[index] = UInt8(truncatingIfNeeded: carry)
                carry >>= 8
            }
            while carry > 0 {
                magnitude.append(UInt8(truncatingIfNeeded: carry))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: leadingZeros) + magnitude.reversed()
    }

    /// Encodes `bytes`.
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        let leadingZeros = bytes.prefix { $0 == 0 }.count
        // Little-endian base-58 accumulator: multiply by 256 and add each byte.
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.count * 138 / 100 + 1)
        for byte in bytes.dropFirst(leadingZeros) {
            var carry = UInt32(byte)
            for index in digits.indices {
                carry += UInt32(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        let characters =
            [UInt8](repeating: alphabet[0], count: leadingZeros) + digits.reversed().map { alphabet[Int($0)] }
        return String(decoding: characters, as: UTF8.self)
    }
}
