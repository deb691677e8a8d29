import Restate

/// `ListObject` (virtual object): a list of strings in state `list` (CallOrdering test).
struct ListObject: RestateService, DefaultInitializable {
    static let list = StateKey<[String]>("list")

    static var restateDescriptor: ServiceDescriptor<ListObject> {
        ServiceDescriptor(
            name: "ListObject",
            kind: .virtualObject,
            handlers: [
                .handler("append") { (_: ListObject, ctx: ObjectContext, value: String) in
                    try ctx.set(list, (try await ctx.get(list) ?? []) + [value])
                },
                .handler("get") { (_: ListObject, ctx: ObjectContext) in
                    try await ctx.get(list) ?? []
                },
                .handler("clear") { (_: ListObject, ctx: ObjectContext) in
                    let old = try await ctx.get(list) ?? []
                    try ctx.clear(list)
                    return old
                },
            ]
        )
    }
}
