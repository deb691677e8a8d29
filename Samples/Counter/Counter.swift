import Foundation
import Restate

/// A counter per key, with durable state.
@VirtualObject
actor Counter {
    static let count = StateKey<Int>("count")

    /// Adds `delta` and returns the new value.
    func add(_ ctx: ObjectContext, delta: Int) async throws -> Int {
        let value = (try await ctx.get(Self.count) ?? 0) + delta
        try ctx.set(Self.count, value)
        return value
    }

    /// The current value.
    @Shared
    func get(_ ctx: SharedObjectContext) async throws -> Int {
        try await ctx.get(Self.count) ?? 0
    }

    /// Sets the counter back to zero.
    func reset(_ ctx: ObjectContext) async throws {
        try ctx.clear(Self.count)
    }
}

/// How `swift run Counter` serves this sample (see `main.swift`).
public enum CounterSample {
    /// An endpoint with the sample's services.
    public static func endpoint() -> Endpoint {
        Endpoint(Counter.self)
    }
}
