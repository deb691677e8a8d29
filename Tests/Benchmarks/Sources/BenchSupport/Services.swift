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

extension Endpoint {
    /// The endpoint every benchmark serves: Greeter and Counter.
    public static func benchmarkEndpoint() -> Endpoint {
        var endpoint = Endpoint(configuration: .init())
        endpoint.bind(Greeter.self)
        endpoint.bind(Counter.self)
        return endpoint
    }
}
