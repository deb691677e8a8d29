import Restate

/// `KillTestRunner` (virtual object): starts a call tree two calls deep with a third call
/// waiting in the inbox, for the KillInvocation test:
/// `startCallTree → recursiveCall → recursiveCall (inboxed behind its caller's lock)`.
struct KillTestRunner: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<KillTestRunner> {
        ServiceDescriptor(
            name: "KillTestRunner",
            kind: .virtualObject,
            handlers: [
                .handler("startCallTree") { (_: KillTestRunner, ctx: ObjectContext) in
                    try await ctx.call(
                        .object("KillTestSingleton", key: ctx.key, handler: "recursiveCall"),
                        returning: Void.self
                    ).value
                }
            ]
        )
    }
}

/// `KillTestSingleton` (virtual object): `recursiveCall` waits to be unlocked, then calls itself
/// and so deadlocks on its own lock until the tree is killed.
struct KillTestSingleton: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<KillTestSingleton> {
        ServiceDescriptor(
            name: "KillTestSingleton",
            kind: .virtualObject,
            handlers: [
                .handler("recursiveCall") { (_: KillTestSingleton, ctx: ObjectContext) in
                    let (id, unlocked) = try ctx.awakeable(of: String.self)
                    try ctx.send(.object("AwakeableHolder", key: ctx.key, handler: "hold"), input: id)
                    _ = try await unlocked.value
                    try await ctx.call(
                        .object("KillTestSingleton", key: ctx.key, handler: "recursiveCall"),
                        returning: Void.self
                    ).value
                },
                // Succeeds only once the object's lock is free again.
                .handler("isUnlocked") { (_: KillTestSingleton, _: ObjectContext) in },
            ]
        )
    }
}
