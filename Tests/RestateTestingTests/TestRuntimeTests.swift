import Foundation
import Restate
import RestateCore
import Testing

@testable import RestateTesting

/// Starts a runtime on the test endpoint, runs `body`, shuts the runtime down.
func withRuntime<T>(
    _ configuration: TestRuntime.Configuration = .init(),
    _ body: (TestRuntime) async throws -> T
) async throws -> T {
    let runtime = try await TestRuntime.start(makeEndpoint(), configuration: configuration)
    do {
        let result = try await body(runtime)
        await runtime.shutdown()
        return result
    } catch {
        await runtime.shutdown()
        throw error
    }
}

@Suite("TestRuntime")
struct TestRuntimeTests {
    @Test("discovery registers services, kinds and handler options")
    func registration() async throws {
        try await withRuntime { runtime in
            let registry = await runtime.engine.registry
            #expect(registry.services["Greeter"]?.kind == .service)
            #expect(registry.services["Counter"]?.kind == .virtualObject)
            #expect(registry.services["Counter"]?.handlers["add"]?.kind == .exclusive)
            #expect(registry.services["Counter"]?.handlers["get"]?.kind == .shared)
            #expect(registry.services["Signup"]?.handlers["run"]?.kind == .workflow)
            #expect(registry.services["Signup"]?.handlers["run"]?.workflowRetention == nil)
            #expect(registry.services["Retained"]?.handlers["run"]?.workflowRetention == .seconds(3600))
            #expect(registry.services["Signup"]?.handlers["click"]?.kind == .shared)
        }
    }

    @Test(
        "a service call returns the handler's output; a terminal error is thrown",
        arguments: ProtocolVersion.allCases
    )
    func greeter(version: ProtocolVersion) async throws {
        var configuration = TestRuntime.Configuration()
        configuration.protocolVersion = version
        try await withRuntime(configuration) { runtime in
            let greeting: String = try await runtime.call("Greeter", "greet", input: "Till")
            #expect(greeting == "Hello Till!")
            let error = await #expect(throws: TerminalError.self) {
                let _: String = try await runtime.call("Greeter", "greet", input: "")
            }
            #expect(error?.code == 400)
            await #expect(throws: TestRuntimeError(status: 404, "service Nope not found")) {
                _ = try await runtime.call(service: "Nope", handler: "x")
            }
        }
    }

    @Test("counter state persists across invocations and is readable and writable from tests")
    func counter() async throws {
        try await withRuntime { runtime in
            #expect(try await runtime.call("Counter", key: "a", "add", input: 1, as: Int.self) == 1)
            #expect(try await runtime.call("Counter", key: "a", "add", input: 2, as: Int.self) == 3)
            #expect(try await runtime.call("Counter", key: "a", "get", as: Int.self) == 3)
            #expect(try await runtime.call("Counter", key: "b", "get", as: Int.self) == 0)
            #expect(try await runtime.state(of: "Counter", key: "a").get("count", as: Int.self) == 3)
            try await runtime.state(of: "Counter", key: "a").set("count", 10)
            #expect(try await runtime.call("Counter", key: "a", "add", input: 1, as: Int.self) == 11)
            // Calls between handlers: each call's result flows back as a completion.
            #expect(try await runtime.call("Proxy", "addTwice", input: "a", as: [Int].self) == [12, 13])
        }
    }

    @Test("lazy state: reads are answered with completions", arguments: [true, false])
    func lazyState(bidi: Bool) async throws {
        var endpoint = Endpoint(configuration: .init())
        endpoint.bind(LazyCounter.self)
        var configuration = TestRuntime.Configuration()
        configuration.protocolVersion = .v7
        configuration.invocationMode = bidi ? .bidiStream : .requestResponse
        let runtime = try await TestRuntime.start(endpoint, configuration: configuration)
        defer { Task { await runtime.shutdown() } }
        let receipt = try await runtime.send(service: "LazyCounter", handler: "add", key: "k", input: Data("5".utf8))
        #expect(try await runtime.attach(invocationID: receipt.invocationID) == .success(Data("5".utf8)))
        #expect(try await runtime.call("LazyCounter", key: "k", "add", input: 2, as: Int.self) == 7)
        let journal = try #require(await runtime.journal(invocationID: receipt.invocationID))
        #expect(journal.contains { $0.type == .getLazyStateCommand })
        #expect(!journal.contains { $0.type == .getEagerStateCommand })
    }

    @Test("exclusive handlers of one key run one at a time, in submission order")
    func exclusiveOrdering() async throws {
        try await withRuntime { runtime in
            var receipts: [SendReceipt] = []
            for item in 0..<4 {
                receipts.append(
                    try await runtime.send(
                        service: "Counter",
                        handler: "appendSlowly",
                        key: "ordered",
                        input: Data("\(item)".utf8)
                    )
                )
            }
            // Another key is not blocked by the first.
            let other = try await runtime.send(
                service: "Counter",
                handler: "appendSlowly",
                key: "other",
                input: Data("9".utf8)
            )
            await runtime.settle()
            #expect(await runtime.status(invocationID: receipts[0].invocationID) == "suspended")
            #expect(await runtime.status(invocationID: receipts[1].invocationID) == "inboxed")
            #expect(await runtime.status(invocationID: other.invocationID) == "suspended")
            // A shared handler is not queued behind the exclusive ones.
            #expect(try await runtime.call("Counter", key: "ordered", "get", as: Int.self) == 0)
            let last = try await runtime.attach(invocationID: receipts[3].invocationID).get()
            #expect(try JSONDecoder().decode([Int].self, from: last) == [0, 1, 2, 3])
            #expect(try await runtime.state(of: "Counter", key: "other").get("log", as: [Int].self) == [9])
        }
    }

    @Test("signup workflow: suspends on the promise, click resolves it, run once per ID, retention")
    func signupWorkflow() async throws {
        try await withRuntime { runtime in
            let id = "signup-\(UUID().uuidString)"
            let signup = runtime.workflow("Signup", id: id)
            let first = try await signup.submit(input: "a@b.c")
            #expect(!first.previouslyAccepted)
            await runtime.settle()
            #expect(await runtime.status(invocationID: first.invocationID) == "suspended")
            await #expect(throws: TestRuntimeError(status: 470, "not ready")) {
                let _: Bool = try await signup.output()
            }
            #expect(try await runtime.call("Signup", key: id, "getStatus", as: String.self) == "Email sent")

            let second = try await signup.submit(input: "a@b.c")
            #expect(second.previouslyAccepted)
            #expect(second.invocationID == first.invocationID)

            let secret = try #require(try await runtime.state(of: "Signup", key: id).get("secret", as: String.self))
            _ = try await runtime.call(
                service: "Signup",
                handler: "click",
                key: id,
                input: JSONEncoder().encode(secret)
            )
            #expect(try await signup.attach(as: Bool.self) == true)
            #expect(try await signup.output(as: Bool.self) == true)
            #expect(try await runtime.call("Signup", key: id, "getStatus", as: String.self) == "Email clicked")
            #expect(Effects.count("signup-email:\(id)") == 1)

            // Restate keeps a finished workflow for 24 hours by default: kept before, gone after.
            try await runtime.advance(by: .seconds(24 * 3600 - 1))
            #expect(try await signup.output(as: Bool.self) == true)
            try await runtime.advance(by: .seconds(2))
            await #expect(throws: TestRuntimeError.self) { let _: Bool = try await signup.output() }
            #expect(await runtime.state(of: "Signup", key: id).keys() == [])
            // The ID is free again.
            #expect(!(try await signup.submit(input: "a@b.c")).previouslyAccepted)
        }
    }

    @Test("a run handler's own workflow retention wins over the runtime's")
    func handlerRetention() async throws {
        try await withRuntime { runtime in
            let workflow = runtime.workflow("Retained", id: "retained-\(UUID().uuidString)")
            _ = try await workflow.submit()
            #expect(try await workflow.attach(as: String.self) == "done")
            try await runtime.advance(by: .seconds(3599))
            #expect(try await workflow.output(as: String.self) == "done")
            try await runtime.advance(by: .seconds(2))
            await #expect(throws: TestRuntimeError.self) { let _: String = try await workflow.output() }
        }
    }

    @Test("a one-day durable sleep finishes at once on the auto-advancing clock")
    func longSleep() async throws {
        try await withRuntime { runtime in
            let before = await runtime.now
            let started = ContinuousClock.now
            let answer: String = try await runtime.call("Sleeper", "sleep", input: 86_400)
            #expect(answer == "woke up")
            // Not a timing test: the real time only has to be nowhere near a day. It is ~0.1 s
            // alone, but the suite shares 2 cores with the CPU-heavy scenario tests.
            #expect(ContinuousClock.now - started < .seconds(300))
            #expect(await runtime.now.timeIntervalSince(before) >= 86_400)
        }
    }

    @Test("a sleep requested long after its attempt started lasts what was asked, not a rounder duration")
    func sleepAfterSlowStart() async throws {
        // The handler takes 1.5 s of real time before it sleeps 59 s, as a loaded machine or a
        // long replay would: the runtime must not round the 59 s up to the minute the attempt's
        // start would also allow.
        struct SlowSleeper: RestateService, DefaultInitializable {
            static var restateDescriptor: ServiceDescriptor<SlowSleeper> {
                ServiceDescriptor(
                    name: "SlowSleeper",
                    kind: .service,
                    handlers: [
                        .handler("sleep") { (_: SlowSleeper, ctx: Context, seconds: Int) in
                            try await Task.sleep(for: .milliseconds(1500))
                            try await ctx.sleep(for: .seconds(seconds))
                            return "woke up"
                        }
                    ]
                )
            }
        }
        var endpoint = Endpoint(configuration: .init())
        endpoint.bind(SlowSleeper.self)
        let runtime = try await TestRuntime.start(endpoint)
        let before = await runtime.now
        let answer: String = try await runtime.call("SlowSleeper", "sleep", input: 59)
        let slept = await runtime.now.timeIntervalSince(before)
        await runtime.shutdown()
        #expect(answer == "woke up")
        #expect(slept == 59)
    }

    @Test("with a manual clock, a sleep waits for advance(by:)")
    func manualClock() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.clock = .virtual(autoAdvance: false)
        try await withRuntime(configuration) { runtime in
            let receipt = try await runtime.send(service: "Sleeper", handler: "sleep", input: Data("60".utf8))
            await runtime.settle()
            try await runtime.advance(by: .seconds(59))
            await #expect(throws: TestRuntimeError(status: 470, "not ready")) {
                _ = try await runtime.output(invocationID: receipt.invocationID)
            }
            try await runtime.advance(by: .seconds(1))
            #expect(try await runtime.output(invocationID: receipt.invocationID) == .success(Data("\"woke up\"".utf8)))
        }
    }

    @Test("a ctx.run that fails with a retryable error is retried until it succeeds")
    func runRetry() async throws {
        try await withRuntime { runtime in
            let name = "flaky-\(UUID().uuidString)"
            let receipt = try await runtime.send(
                service: "Flaky",
                handler: "succeedAfter",
                input: JSONEncoder().encode([name, "2"])
            )
            let output = try await runtime.attach(invocationID: receipt.invocationID).get()
            #expect(String(decoding: output, as: UTF8.self) == "3")
            #expect(Effects.count(name) == 3)
            // Two failed attempts, one that proposed the result, and (request/response) one
            // that resumed after the proposal was stored.
            #expect(try #require(await runtime.attempts(invocationID: receipt.invocationID)) >= 3)
        }
    }

    @Test("retries are bounded: a run that always fails exhausts the runtime's policy")
    func retriesExhausted() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.retryPolicy.maxAttempts = 3
        try await withRuntime(configuration) { runtime in
            let name = "hopeless-\(UUID().uuidString)"
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.call(
                    service: "Flaky",
                    handler: "succeedAfter",
                    input: JSONEncoder().encode([name, "100"])
                )
            }
            // As Restate: the last attempt's error, as the handler reported it.
            #expect(error?.code == 500)
            #expect(error?.message.contains("boom 3") == true)
            #expect(Effects.count(name) == 3)
        }
    }

    @Test("always-replay catches a non-deterministic handler; normal mode does not", arguments: [true, false])
    func alwaysReplay(enabled: Bool) async throws {
        var configuration = TestRuntime.Configuration()
        configuration.alwaysReplay = enabled
        configuration.retryPolicy.maxAttempts = 3
        try await withRuntime(configuration) { (runtime: TestRuntime) async throws -> Void in
            let call = { () async throws -> String in
                try await runtime.call("NonDeterministic", key: "k", "roll", as: String.self)
            }
            if enabled {
                let error = await #expect(throws: TerminalError.self) { _ = try await call() }
                #expect(error?.code == 570)
            } else {
                #expect(try await call() == "rolled")
            }
            // Deterministic handlers pass in both modes, with replays in between.
            #expect(try await runtime.call("Counter", key: "r", "add", input: 5, as: Int.self) == 5)
            #expect(try await runtime.call("Proxy", "addTwice", input: "r", as: [Int].self) == [6, 7])
        }
    }

    @Test("awakeables are resolved from outside; idempotency keys dedupe")
    func awakeablesAndIdempotency() async throws {
        try await withRuntime { runtime in
            let receipt = try await runtime.send(service: "Counter", handler: "waitForApproval", key: "aw")
            await runtime.settle()
            let id = try #require(try await runtime.state(of: "Counter", key: "aw").get("awakeable", as: String.self))
            try await runtime.resolveAwakeable(id, with: "approved")
            #expect(try await runtime.attach(invocationID: receipt.invocationID) == .success(Data("\"approved\"".utf8)))

            let first = try await runtime.send(
                service: "Counter",
                handler: "add",
                key: "idem",
                input: Data("1".utf8),
                idempotencyKey: "once"
            )
            let again = try await runtime.send(
                service: "Counter",
                handler: "add",
                key: "idem",
                input: Data("1".utf8),
                idempotencyKey: "once"
            )
            #expect(again.previouslyAccepted && again.invocationID == first.invocationID)
            #expect(try await runtime.attach(invocationID: first.invocationID) == .success(Data("1".utf8)))
            #expect(try await runtime.call("Counter", key: "idem", "get", as: Int.self) == 1)
        }
    }

    @Test("cancellation surfaces as 409 in the handler")
    func cancellation() async throws {
        try await withRuntime { runtime in
            let receipt = try await runtime.send(service: "Counter", handler: "waitForApproval", key: "cancel")
            await runtime.settle()
            try await runtime.cancel(invocationID: receipt.invocationID)
            #expect(
                try await runtime.attach(invocationID: receipt.invocationID)
                    == .failure(code: 409, message: "cancelled")
            )
        }
    }

    /// Starts `Proxy.awaitApproval`, which calls `Counter.waitForApproval` on `key`, and returns
    /// both invocation ids once both are suspended.
    private func callerStuckOnCallee(_ runtime: TestRuntime, key: String) async throws -> (String, String) {
        let caller = try await runtime.send(
            service: "Proxy",
            handler: "awaitApproval",
            input: JSONEncoder().encode(key)
        ).invocationID
        await runtime.settle()
        let journal = try #require(await runtime.journal(invocationID: caller))
        let callee = try #require(
            journal.lazy.compactMap { message -> String? in
                guard case .notification(.callInvocationIdCompletionNotification, let notification) = message
                else { return nil }
                return notification.invocationID
            }.first
        )
        #expect(await runtime.status(invocationID: caller) == "suspended")
        #expect(await runtime.status(invocationID: callee) == "suspended")
        return (caller, callee)
    }

    @Test("killing a caller kills the callee it waits for; the callee's object is free again")
    func killReachesCallees() async throws {
        try await withRuntime { runtime in
            let key = "kill-\(UUID().uuidString)"
            let (caller, callee) = try await callerStuckOnCallee(runtime, key: key)

            try await runtime.kill(invocationID: caller)
            await runtime.settle()
            // `output`, not `attach`: a callee that was not killed fails the test instead of hanging it.
            #expect(try await runtime.output(invocationID: caller) == .failure(code: 409, message: "killed"))
            #expect(try await runtime.output(invocationID: callee) == .failure(code: 409, message: "killed"))
            let next = try await runtime.send(service: "Counter", handler: "add", key: key, input: Data("1".utf8))
            await runtime.settle()
            #expect(try await runtime.output(invocationID: next.invocationID) == .success(Data("1".utf8)))
        }
    }

    @Test("killing a callee fails its caller's call with 409 killed; the caller goes on")
    func killedCalleeFailsTheCall() async throws {
        try await withRuntime { runtime in
            let (caller, callee) = try await callerStuckOnCallee(runtime, key: "kill-\(UUID().uuidString)")
            try await runtime.kill(invocationID: callee)
            await runtime.settle()
            #expect(try await runtime.output(invocationID: callee) == .failure(code: 409, message: "killed"))
            // The caller rethrows the call's failure: it was not killed, it failed.
            #expect(try await runtime.output(invocationID: caller) == .failure(code: 409, message: "killed"))
            let journal = try #require(await runtime.journal(invocationID: caller))
            #expect(
                journal.contains { message in
                    if case .outputCommand = message { return true }
                    return false
                }
            )
        }
    }

    @Test("cancelling a caller cancels the callee it waits for (the SDK sends the cancel signal on)")
    func cancelReachesCallees() async throws {
        try await withRuntime { runtime in
            let (caller, callee) = try await callerStuckOnCallee(runtime, key: "cancel-\(UUID().uuidString)")
            try await runtime.cancel(invocationID: caller)
            await runtime.settle()
            #expect(try await runtime.output(invocationID: callee) == .failure(code: 409, message: "cancelled"))
            #expect(try await runtime.output(invocationID: caller) == .failure(code: 409, message: "cancelled"))
        }
    }

    @Test(
        "a call's failure carries the callee's code, message and metadata (V6 and later)",
        arguments: [ProtocolVersion.v6, .v7]
    )
    func callFailureMetadata(version: ProtocolVersion) async throws {
        var configuration = TestRuntime.Configuration()
        configuration.protocolVersion = version
        try await withRuntime(configuration) { runtime in
            let expected = InvocationOutcome.failure(
                code: Proxy.failure.code,
                message: Proxy.failure.message,
                metadata: Proxy.failure.metadata
            )
            let callee = try await runtime.send(service: "Proxy", handler: "fail")
            #expect(try await runtime.attach(invocationID: callee.invocationID) == expected)
            let caller = try await runtime.send(service: "Proxy", handler: "callFail")
            #expect(try await runtime.attach(invocationID: caller.invocationID) == expected)
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.call(service: "Proxy", handler: "callFail")
            }
            #expect(error == Proxy.failure)
        }
    }

    @Test("delayed sends start when the clock reaches them")
    func delayedSend() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.clock = .virtual(autoAdvance: false)
        try await withRuntime(configuration) { runtime in
            let receipt = try await runtime.send(
                service: "Counter",
                handler: "add",
                key: "later",
                input: Data("4".utf8),
                delay: .seconds(30)
            )
            #expect(await runtime.status(invocationID: receipt.invocationID) == "scheduled")
            try await runtime.advance(by: .seconds(30))
            #expect(try await runtime.output(invocationID: receipt.invocationID) == .success(Data("4".utf8)))
        }
    }

    @Test(
        "ingress delay parsing",
        arguments: [
            ("10s", Duration.seconds(10)), ("500ms", .milliseconds(500)), ("1h+30min", .seconds(5400)),
            ("PT1M", .seconds(60)), ("P1D", .seconds(86400)),
        ]
    )
    func delays(text: String, expected: Duration) {
        #expect(IngressAPI.parseDelay(text) == expected)
    }

    @Test("bad delays are rejected", arguments: ["", "10", "ms", "PT", "1x", "1h-2m"])
    func badDelays(text: String) {
        #expect(IngressAPI.parseDelay(text) == nil)
    }
}

actor LazyCounter: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<LazyCounter> {
        ServiceDescriptor(
            name: "LazyCounter",
            kind: .virtualObject,
            options: ServiceOptions(enableLazyState: true),
            handlers: [
                .handler("add") { (_: LazyCounter, ctx: ObjectContext, delta: Int) in
                    let value = (try await ctx.get("count", as: Int.self) ?? 0) + delta
                    try ctx.set("count", value)
                    return value
                }
            ]
        )
    }
}
