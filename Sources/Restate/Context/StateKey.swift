/// A typed name for a piece of a virtual object's or workflow's durable state.
///
/// ```swift
/// enum Keys {
///     static let count = StateKey<Int>("count")
///     static let avatar = StateKey("avatar", serde: RawSerde<Data>())
/// }
/// let count = try await ctx.get(Keys.count) ?? 0
/// try ctx.set(Keys.count, count + 1)
/// ```
///
/// Values are JSON by default; give a ``Serde`` to store them in another form. Two keys are equal
/// when their names are.
public struct StateKey<Value: Sendable>: Sendable, Hashable {
    /// The key as Restate stores it.
    public let name: String
    /// How values of this key are stored.
    public let serde: any Serde<Value>

    /// A key whose values are stored with `serde`.
    public init<S: Serde>(_ name: String, serde: S) where S.Value == Value {
        self.name = name
        self.serde = serde
    }

    public static func == (lhs: StateKey, rhs: StateKey) -> Bool { lhs.name == rhs.name }

    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension StateKey where Value: Codable {
    /// A key whose values are stored as JSON.
    public init(_ name: String) {
        self.init(name, serde: JSONSerde<Value>())
    }
}

extension StateKey: ExpressibleByStringLiteral, ExpressibleByExtendedGraphemeClusterLiteral,
    ExpressibleByUnicodeScalarLiteral
where Value: Codable {
    public init(stringLiteral name: String) {
        self.init(name)
    }
}
