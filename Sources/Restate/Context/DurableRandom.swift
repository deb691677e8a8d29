import Foundation
import RestateCore

/// Deterministic random values: seeded from the invocation, so every replay draws the same.
///
/// It is a `RandomNumberGenerator`, so the standard library's APIs work with it:
///
/// ```swift
/// let secret = ctx.random.uuid()
/// let pick = Int.random(in: 1...6, using: &generator)   // var generator = ctx.random
/// ```
public struct DurableRandom: RandomNumberGenerator, Sendable {
    let invocation: Invocation

    public mutating func next() -> UInt64 {
        invocation.withRandom { $0.next() }
    }

    /// A version-4 UUID made from two draws.
    public func uuid() -> UUID {
        invocation.withRandom { $0.uuid() }
    }

    /// A `Double` in `0..<1`.
    public func double() -> Double {
        invocation.withRandom { $0.nextDouble() }
    }
}
