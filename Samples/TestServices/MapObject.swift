import Restate

/// `MapObject` (virtual object): each entry in its own state key, so that `clearAll` has to
/// list the keys (State test, also in the lazy-state suites).
struct MapObject: RestateService, DefaultInitializable {
    struct Entry: Codable, Sendable, Hashable {
        var key: String
        var value: String
    }

    static var restateDescriptor: ServiceDescriptor<MapObject> {
        ServiceDescriptor(
            name: "MapObject",
            kind: .virtualObject,
            handlers: [
                .handler("set") { (_: MapObject, ctx: ObjectContext, entry: Entry) in
                    try ctx.set(entry.key, entry.value)
                },
                .handler("get") { (_: MapObject, ctx: ObjectContext, key: String) in
                    try await ctx.get(key, as: String.self) ?? ""
                },
                .handler("clearAll") { (_: MapObject, ctx: ObjectContext) in
                    var entries: [Entry] = []
                    for key in try await ctx.stateKeys() {
                        entries.append(Entry(key: key, value: try await ctx.get(key, as: String.self) ?? ""))
                    }
                    try ctx.clearAll()
                    return entries
                },
            ]
        )
    }
}
