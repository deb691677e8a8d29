import Restate
import Synchronization

/// `NonDeterministic` (virtual object): each handler takes a different path on every other
/// execution, so that a replay after a suspension mismatches the journal (NonDeterminismErrors
/// test, always-suspending suites). The final `Counter(<key>).add(1)` must then never be sent.
struct NonDeterministic: RestateService, DefaultInitializable {
    private static let executions = Mutex<[String: Int]>([:])

    /// Counts this execution for `key`; odd executions take the left path.
    static func takeLeftPath(_ key: String) -> Bool {
        executions.withLock { executions in
            executions[key, default: 0] += 1
            return executions[key]! % 2 == 1
        }
    }

    private static let counterABC = "abc"

    /// The common tail: a suspension point after the non-deterministic step, then the increment
    /// the test checks was never made.
    private static func finish(_ ctx: ObjectContext) async throws {
        try await ctx.sleep(for: .milliseconds(100))
        try ctx.send(.object("Counter", key: ctx.key, handler: "add"), input: Int64(1))
    }

    static var restateDescriptor: ServiceDescriptor<NonDeterministic> {
        ServiceDescriptor(
            name: "NonDeterministic",
            kind: .virtualObject,
            handlers: [
                .handler("eitherSleepOrCall") { (_: NonDeterministic, ctx: ObjectContext) in
                    if takeLeftPath(ctx.key) {
                        try await ctx.sleep(for: .milliseconds(100))
                    } else {
                        _ = try await ctx.call(
                            .object("Counter", key: counterABC, handler: "get"),
                            returning: Int64.self
                        ).value
                    }
                    try await finish(ctx)
                },
                .handler("callDifferentMethod") { (_: NonDeterministic, ctx: ObjectContext) in
                    if takeLeftPath(ctx.key) {
                        _ = try await ctx.call(
                            .object("Counter", key: counterABC, handler: "get"),
                            returning: Int64.self
                        ).value
                    } else {
                        try await ctx.call(.object("Counter", key: counterABC, handler: "reset"), returning: Void.self)
                            .value
                    }
                    try await finish(ctx)
                },
                .handler("backgroundInvokeWithDifferentTargets") { (_: NonDeterministic, ctx: ObjectContext) in
                    if takeLeftPath(ctx.key) {
                        try ctx.send(.object("Counter", key: counterABC, handler: "get"))
                    } else {
                        try ctx.send(.object("Counter", key: counterABC, handler: "reset"))
                    }
                    try await finish(ctx)
                },
                .handler("setDifferentKey") { (_: NonDeterministic, ctx: ObjectContext) in
                    try ctx.set(takeLeftPath(ctx.key) ? "a" : "b", "my-state")
                    try await finish(ctx)
                },
            ]
        )
    }
}
