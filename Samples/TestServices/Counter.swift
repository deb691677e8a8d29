import Restate

/// `Counter` (virtual object): a number in state `counter`.
///
/// Used by the State, KillRuntime/StopRuntime, UserErrors, ServiceToServiceCommunication,
/// NonDeterminismErrors and ProxyRequestSigning tests.
struct CounterObject: RestateService, DefaultInitializable {
    static let counter = StateKey<Int64>("counter")

    /// `add`'s answer: the value before and after.
    struct UpdateResponse: Codable, Sendable, Hashable {
        var oldValue: Int64
        var newValue: Int64
    }

    static var restateDescriptor: ServiceDescriptor<CounterObject> {
        ServiceDescriptor(
            name: "Counter",
            kind: .virtualObject,
            handlers: [
                .handler("add") { (_: CounterObject, ctx: ObjectContext, value: Int64) in
                    try await add(ctx, value)
                },
                // The write must survive the terminal failure: Restate keeps the journal's state
                // changes of a failed invocation.
                .handler("addThenFail") { (_: CounterObject, ctx: ObjectContext, value: Int64) in
                    _ = try await add(ctx, value)
                    throw TerminalError(ctx.key)
                },
                .handler("get") { (_: CounterObject, ctx: SharedObjectContext) in
                    try await ctx.get(counter) ?? 0
                },
                .handler("reset") { (_: CounterObject, ctx: ObjectContext) in
                    try ctx.clear(counter)
                },
            ]
        )
    }

    private static func add(_ ctx: ObjectContext, _ value: Int64) async throws -> UpdateResponse {
        let oldValue = try await ctx.get(counter) ?? 0
        let newValue = oldValue + value
        try ctx.set(counter, newValue)
        return UpdateResponse(oldValue: oldValue, newValue: newValue)
    }
}
