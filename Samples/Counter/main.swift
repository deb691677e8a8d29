import Foundation
import Restate
import RestateTesting

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

// `swift run Counter` serves Restate on $PORT (9080); `swift run Counter --dev` adds a local Restate.
try await Endpoint(Counter.self).run()
