import Foundation
import Restate
import Synchronization

// Hand-written descriptors, so these tests do not depend on the macros.
//
// Greeter, Counter, Signup, Sleeper and Flaky are also the Swift twins of
// Tests/Fidelity/services.py (FidelityTests): keep their names, kinds, inputs, outputs, state keys
// and errors as the Python ones. Counter's `appendSlowly` has no Python twin; the fidelity
// scenarios do not call it.

/// Counts side effects across attempts and runtimes; tests use distinct names.
enum Effects {
    private static let counts = Mutex<[String: Int]>([:])

    /// Adds one to `name` and returns the new count.
    @discardableResult
    static func increment(_ name: String) -> Int {
        counts.withLock { counts in
            counts[name, default: 0] += 1
            return counts[name]!
        }
    }

    static func count(_ name: String) -> Int { counts.withLock { $0[name] ?? 0 } }
}

struct Greeter: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<Greeter> {
        ServiceDescriptor(
            name: "Greeter",
            kind: .service,
            handlers: [
                .handler("greet") { (_: Greeter, _: Context, name: String) in
                    if name.isEmpty { throw TerminalError("name must not be empty", code: 400) }
                    return "Hello \(name)!"
                }
            ]
        )
    }
}

actor Counter: RestateService, DefaultInitializable {
    static let count = StateKey<Int>("count")
    static let log = StateKey<[Int]>("log")

    static var restateDescriptor: ServiceDescriptor<Counter> {
        ServiceDescriptor(
            name: "Counter",
            kind: .virtualObject,
            handlers: [
                .handler("add") { (_: Counter, ctx: ObjectContext, delta: Int) in
                    let value = (try await ctx.get(Self.count) ?? 0) + delta
                    try ctx.set(Self.count, value)
                    return value
                },
                .handler("get") { (_: Counter, ctx: SharedObjectContext) in try await ctx.get(Self.count) ?? 0 },
                // Reads, suspends on a durable timer, then writes: without the object's lock,
                // concurrent invocations would interleave and lose entries.
                .handler("appendSlowly") { (_: Counter, ctx: ObjectContext, item: Int) in
                    var log = try await ctx.get(Self.log) ?? []
                    try await ctx.sleep(for: .seconds(10))
                    log.append(item)
                    try ctx.set(Self.log, log)
                    return log
                },
                .handler("waitForApproval") { (_: Counter, ctx: ObjectContext) in
                    let (id, future) = try ctx.awakeable(of: String.self)
                    try ctx.set("awakeable", id)
                    return try await future.value
                },
            ]
        )
    }
}

/// Calls other handlers through Restate: call completions, invocation ids, failures.
struct Proxy: RestateService, DefaultInitializable {
    /// What `fail` throws.
    static let failure = TerminalError("no luck", code: 418, metadata: ["reason": "teapot", "retry": "never"])

    static var restateDescriptor: ServiceDescriptor<Proxy> {
        ServiceDescriptor(
            name: "Proxy",
            kind: .service,
            handlers: [
                .handler("addTwice") { (_: Proxy, ctx: Context, key: String) in
                    let target = Target.object("Counter", key: key, handler: "add")
                    let first = try await ctx.call(target, input: 1, returning: Int.self).value
                    let second = try await ctx.call(target, input: 1, returning: Int.self).value
                    return [first, second]
                },
                // Blocks on Counter's awakeable, which nobody resolves: a caller stuck on a callee.
                .handler("awaitApproval") { (_: Proxy, ctx: Context, key: String) in
                    let target = Target.object("Counter", key: key, handler: "waitForApproval")
                    return try await ctx.call(target, returning: String.self).value
                },
                .handler("fail") { (_: Proxy, _: Context) -> String in throw Self.failure },
                // Rethrows what the call completion carries.
                .handler("callFail") { (_: Proxy, ctx: Context) in
                    try await ctx.call(Target.service("Proxy", handler: "fail"), returning: String.self).value
                },
            ]
        )
    }
}

actor Signup: RestateService, DefaultInitializable {
    static let status = StateKey<String>("status")
    static let secret = StateKey<String>("secret")

    static var restateDescriptor: ServiceDescriptor<Signup> {
        ServiceDescriptor(
            name: "Signup",
            kind: .workflow,
            handlers: [
                .handler("run") { (_: Signup, ctx: WorkflowContext, email: String) in
                    // Lowercase like Python's str(uuid).
                    let secret = ctx.random.uuid().uuidString.lowercased()
                    let key = ctx.key
                    try await ctx.run("send email") { Effects.increment("signup-email:\(key)") }
                    try ctx.set(Self.secret, secret)
                    try ctx.set(Self.status, "Email sent")
                    let clicked: String = try await ctx.promise("email.clicked").value
                    try ctx.set(Self.status, "Email clicked")
                    return clicked == secret
                },
                .handler("click") { (_: Signup, ctx: SharedWorkflowContext, secret: String) in
                    try await ctx.promise("email.clicked", of: String.self).resolve(secret)
                },
                .handler("getStatus") { (_: Signup, ctx: SharedWorkflowContext) in
                    try await ctx.get(Self.status) ?? "unknown"
                },
            ]
        )
    }
}

struct Sleeper: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<Sleeper> {
        ServiceDescriptor(
            name: "Sleeper",
            kind: .service,
            handlers: [
                .handler("sleep") { (_: Sleeper, ctx: Context, seconds: Int) in
                    try await ctx.sleep(for: .seconds(seconds))
                    return "woke up"
                }
            ]
        )
    }
}

struct Flaky: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<Flaky> {
        ServiceDescriptor(
            name: "Flaky",
            kind: .service,
            handlers: [
                // Fails the first `failures` executions of the run with a retryable error.
                .handler("succeedAfter") { (_: Flaky, ctx: Context, input: [String]) in
                    let (name, failures) = (input[0], Int(input[1]) ?? 0)
                    return try await ctx.run("flaky step", retryPolicy: RunRetryPolicy(maxAttempts: 10)) {
                        let attempt = Effects.increment(name)
                        if attempt <= failures { throw RetryableError("boom \(attempt)") }
                        return attempt
                    }
                },
                // Fails every execution of the run, so its two attempts run out.
                .handler("giveUp") { (_: Flaky, ctx: Context, name: String) in
                    try await ctx.run("hopeless step", retryPolicy: RunRetryPolicy(maxAttempts: 2)) { () -> Int in
                        throw RetryableError("boom \(Effects.increment(name))")
                    }
                },
            ]
        )
    }
}

/// A workflow whose `run` handler sets its own retention (the manifest's handler options).
struct Retained: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<Retained> {
        ServiceDescriptor(
            name: "Retained",
            kind: .workflow,
            handlers: [
                .handler("run", options: HandlerOptions(workflowRetention: .seconds(3600))) {
                    (_: Retained, _: WorkflowContext) in "done"
                }
            ]
        )
    }
}

/// Writes a random value outside `ctx.run`: a replay cannot reproduce it.
actor NonDeterministic: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<NonDeterministic> {
        ServiceDescriptor(
            name: "NonDeterministic",
            kind: .virtualObject,
            handlers: [
                .handler("roll") { (_: NonDeterministic, ctx: ObjectContext) in
                    try ctx.set("roll", UUID().uuidString)
                    return "rolled"
                }
            ]
        )
    }
}

func makeEndpoint() -> Endpoint {
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(Greeter.self)
    endpoint.bind(Counter.self)
    endpoint.bind(Proxy.self)
    endpoint.bind(Signup.self)
    endpoint.bind(Sleeper.self)
    endpoint.bind(Flaky.self)
    endpoint.bind(NonDeterministic.self)
    endpoint.bind(Retained.self)
    return endpoint
}
