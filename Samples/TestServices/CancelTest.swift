import Restate

/// What `CancelTestBlockingService.block` blocks on once it has been unlocked.
enum BlockingOperation: String, Codable, Sendable, CaseIterable {
    /// A call to `block` on the same object, which waits behind the caller's own lock.
    case call = "CALL"
    /// A sleep of 1024 days.
    case sleep = "SLEEP"
    /// An awakeable nobody completes.
    case awakeable = "AWAKEABLE"
}

/// `CancelTestRunner` (virtual object): calls `CancelTestBlockingService.block` and records
/// whether that call ended with the cancellation error (Cancellation test).
struct CancelTestRunner: RestateService, DefaultInitializable {
    static let canceled = StateKey<Bool>("canceled")

    static var restateDescriptor: ServiceDescriptor<CancelTestRunner> {
        ServiceDescriptor(
            name: "CancelTestRunner",
            kind: .virtualObject,
            handlers: [
                .handler("startTest") { (_: CancelTestRunner, ctx: ObjectContext, operation: BlockingOperation) in
                    do {
                        try await ctx.call(
                            .object("CancelTestBlockingService", key: ctx.key, handler: "block"),
                            input: operation,
                            returning: Void.self
                        ).value
                    } catch let error as TerminalError where error.code == TerminalError.cancelled.code {
                        try ctx.set(canceled, true)
                    }
                },
                .handler("verifyTest") { (_: CancelTestRunner, ctx: ObjectContext) in
                    try await ctx.get(canceled) ?? false
                },
            ]
        )
    }
}

/// `CancelTestBlockingService` (virtual object): blocks until cancelled, after handing an
/// awakeable to `AwakeableHolder` so the test knows it got that far.
struct CancelTestBlockingService: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<CancelTestBlockingService> {
        ServiceDescriptor(
            name: "CancelTestBlockingService",
            kind: .virtualObject,
            handlers: [
                .handler("block") { (_: CancelTestBlockingService, ctx: ObjectContext, operation: BlockingOperation) in
                    let (id, unlocked) = try ctx.awakeable(of: String.self)
                    try await ctx.call(
                        .object("AwakeableHolder", key: ctx.key, handler: "hold"),
                        input: id,
                        returning: Void.self
                    ).value
                    _ = try await unlocked.value
                    switch operation {
                    case .call:
                        try await ctx.call(
                            .object("CancelTestBlockingService", key: ctx.key, handler: "block"),
                            input: operation,
                            returning: Void.self
                        ).value
                    case .sleep:
                        try await ctx.sleep(for: .seconds(1024 * 24 * 3600))
                    case .awakeable:
                        _ = try await ctx.awakeable(of: String.self).future.value
                    }
                },
                // Succeeds only once the object's lock is free again.
                .handler("isUnlocked") { (_: CancelTestBlockingService, _: ObjectContext) in },
            ]
        )
    }
}
