import Restate

// Hand-written descriptors (the macros are not merged yet); the same services are served by
// the e2e endpoint and by the Python SDK in `e2e/python_greeter.py`.

/// A service that greets: the "echo" of the benchmarks (decode a string, return a string).
public struct Greeter: RestateService, DefaultInitializable {
    public init() {}

    public func greet(_ ctx: Context, name: String) async throws -> String {
        "Hello \(name)!"
    }

    public static var restateDescriptor: ServiceDescriptor<Greeter> {
        ServiceDescriptor(
            name: "Greeter",
            kind: .service,
            handlers: [
                .handler("greet") { (service: Greeter, ctx: Context, name: String) in
                    try await service.greet(ctx, name: name)
                }
            ]
        )
    }
}

/// A virtual object with one state key: `add` reads it (eagerly, from `StartMessage`) and writes it.
public actor Counter: RestateService, DefaultInitializable {
    public static let count = StateKey<Int>("count")

    public init() {}

    public func add(_ ctx: ObjectContext, delta: Int) async throws -> Int {
        let value = (try await ctx.get(Self.count) ?? 0) + delta
        try ctx.set(Self.count, value)
        return value
    }

    public static var restateDescriptor: ServiceDescriptor<Counter> {
        ServiceDescriptor(
            name: "Counter",
            kind: .virtualObject,
            handlers: [
                .handler("add") { (counter: Counter, ctx: ObjectContext, delta: Int) in
                    try await counter.add(ctx, delta: delta)
                }
            ]
        )
    }
}

/// A workflow whose `run` waits on a promise: every invocation suspends, leaving an idle instance.
public actor Waiter: RestateService, DefaultInitializable {
    public init() {}

    public static var restateDescriptor: ServiceDescriptor<Waiter> {
        ServiceDescriptor(
            name: "Waiter",
            kind: .workflow,
            handlers: [
                .handler("run") { (_: Waiter, ctx: WorkflowContext, _: String) -> String in
                    try await ctx.promise("done", of: String.self).value
                }
            ]
        )
    }
}

/// A service with one side effect: `step` runs a `ctx.run` closure and returns its result. In a
/// one-shot request the attempt journals the run, proposes its result and suspends until Restate
/// acknowledges it, which is what the e2e case measures.
public struct Runner: RestateService, DefaultInitializable {
    public init() {}

    public func step(_ ctx: Context, name: String) async throws -> String {
        try await ctx.run("step") { "token-\(name)" }
    }

    public static var restateDescriptor: ServiceDescriptor<Runner> {
        ServiceDescriptor(
            name: "Runner",
            kind: .service,
            handlers: [
                .handler("step") { (service: Runner, ctx: Context, name: String) in
                    try await service.step(ctx, name: name)
                }
            ]
        )
    }
}

/// A virtual object whose `replay(n)` sets `key-0` … `key-(n-1)` to `"0"` … `"n-1"` and returns
/// `n`: sent with those `n` SetState commands already journaled (``Bodies/replayJournal(entries:)``)
/// it replays them all, then completes.
public actor Replayer: RestateService, DefaultInitializable {
    public init() {}

    public func replay(_ ctx: ObjectContext, entries: Int) async throws -> Int {
        for index in 0..<entries { try ctx.set("key-\(index)", index) }
        return entries
    }

    public static var restateDescriptor: ServiceDescriptor<Replayer> {
        ServiceDescriptor(
            name: "Replayer",
            kind: .virtualObject,
            handlers: [
                .handler("replay") { (replayer: Replayer, ctx: ObjectContext, entries: Int) in
                    try await replayer.replay(ctx, entries: entries)
                }
            ]
        )
    }
}

extension Endpoint {
    /// The endpoint every benchmark serves: Greeter, Counter, Runner and Replayer.
    public static func benchmarkEndpoint() -> Endpoint {
        var endpoint = Endpoint(configuration: .init())
        endpoint.bind(Greeter.self)
        endpoint.bind(Counter.self)
        endpoint.bind(Runner.self)
        endpoint.bind(Replayer.self)
        return endpoint
    }
}
