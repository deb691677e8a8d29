import Foundation

/// The deterministic random generator of an invocation: xoshiro256++ seeded through SplitMix64,
/// exactly as the TypeScript SDK does, so that the same seed yields the same sequence in both.
///
/// Seed it with ``InvocationStateMachine/Input/randomSeed``: the value is stable across retries
/// and replays of one invocation, so user code that draws from it stays deterministic.
///
/// ```swift
/// var random = DeterministicRandom(seed: input.randomSeed)
/// let id = random.uuid()
/// ```
public struct DeterministicRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Expands `seed` to the 256-bit state with four SplitMix64 outputs.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Starts from a raw 256-bit state (for tests against the reference vectors).
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        self.state = state
    }

    /// The next 64 random bits (xoshiro256++).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.0 &+ state.3, 23) &+ state.0
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// A double in [0, 1) from the low 53 bits of the next output, as the TypeScript SDK does.
    public mutating func nextDouble() -> Double {
        Double(next() & ((1 << 53) - 1)) / 9_007_199_254_740_992
    }

    /// A version-4 UUID from two 64-bit outputs written little-endian, as the TypeScript SDK does.
    public mutating func uuid() -> UUID {
        var bytes = [UInt8](repeating: 0, count: 16)
        let low = next()
        let high = next()
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(i)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
        )
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// The V5 seed, derived from the raw invocation id as the TypeScript SDK's core does (Rust's
    /// `DefaultHasher` on wasm32): SipHash-1-3 with zero keys over (u32 little-endian length ‖ id).
    public static func seed(fromInvocationID id: Data) -> UInt64 {
        // On the stack: this runs for every invocation whose Start carries no seed (V5).
        withUnsafeTemporaryAllocation(byteCount: 4 + id.count, alignment: 8) { message in
            message.storeBytes(of: UInt32(truncatingIfNeeded: id.count).littleEndian, as: UInt32.self)
            // Not `Data.copyBytes(to:)`: its generic `DataProtocol` path costs thousands of instructions.
            id.withUnsafeBytes { source in
                if let base = source.baseAddress {
                    (message.baseAddress! + 4).copyMemory(from: base, byteCount: source.count)
                }
            }
            return SipHash.hash(
                UnsafeRawBufferPointer(message),
                key0: 0,
                key1: 0,
                compressionRounds: 1,
                finalizationRounds: 3
            )
        }
    }
}

/// SipHash-c-d (Aumasson & Bernstein), parameterised by its round counts.
enum SipHash {
    static func hash(
        _ message: UnsafeRawBufferPointer,
        key0: UInt64,
        key1: UInt64,
        compressionRounds: Int,
        finalizationRounds: Int
    ) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ key0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ key1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ key0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ key1

        func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 - b)) }
        func round() {
            v0 &+= v1
            v1 = rotl(v1, 13)
            v1 ^= v0
            v0 = rotl(v0, 32)
            v2 &+= v3
            v3 = rotl(v3, 16)
            v3 ^= v2
            v0 &+= v3
            v3 = rotl(v3, 21)
            v3 ^= v0
            v2 &+= v1
            v1 = rotl(v1, 17)
            v1 ^= v2
            v2 = rotl(v2, 32)
        }
        func compress(_ m: UInt64) {
            v3 ^= m
            for _ in 0..<compressionRounds { round() }
            v0 ^= m
        }

        let length = message.count
        let fullBlocks = length / 8
        for block in 0..<fullBlocks {
            compress(UInt64(littleEndian: message.loadUnaligned(fromByteOffset: block * 8, as: UInt64.self)))
        }
        var last = UInt64(truncatingIfNeeded: length) << 56
        for i in 0..<(length % 8) { last |= UInt64(message[fullBlocks * 8 + i]) << (8 * UInt64(i)) }
        compress(last)

        v2 ^= 0xFF
        for _ in 0..<finalizationRounds { round() }
        return v0 ^ v1 ^ v2 ^ v3
    }
}
