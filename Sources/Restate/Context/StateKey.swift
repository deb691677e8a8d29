/// A typed name for a piece of a virtual object's or workflow's durable state.
///
/// ```swift
/// enum Keys {
///     static let count = StateKey<Int>("count")
/// }
/// let count = try await ctx.get(Keys.count) ?? 0
/// try ctx.set(Keys.count, count + 1)
/// ```
public struct StateKey<Value: Codable & Sendable>: Sendable, Hashable, ExpressibleByStringLiteral {
    /// The key as Restate stores it.
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    public init(stringLiteral name: String) {
        self.name = name
    }
}
