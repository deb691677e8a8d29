import Foundation
import Restate
import Testing

@testable import RestateTesting

/// Handlers that stall or fail on purpose, with the options Restate reads from discovery.
struct Stalling: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<Stalling> {
        ServiceDescriptor(
            name: "Stalling",
            kind: .service,
            handlers: [
                // The first execution of the step hangs (longer than any test waits for it
                // unless it is cut off); later ones answer at once with their number.
                .handler("hangOnce", options: HandlerOptions(abortTimeout: .seconds(1))) {
                    (_: Stalling, ctx: Context, name: String) in
                    try await ctx.run("step") {
                        let execution = Effects.increment(name)
                        if execution == 1 { try await Task.sleep(for: .seconds(60)) }
                        return execution
                    }
                },
                // A step that takes a while with nothing on the wire: the inactivity timeout
                // closes the stream; the handler suspends and resumes without running it twice.
                .handler("slowStep", options: HandlerOptions(inactivityTimeout: .milliseconds(200))) {
                    (_: Stalling, ctx: Context, name: String) in
                    try await ctx.run("slow step") {
                        try await Task.sleep(for: .seconds(3))
                        return Effects.increment(name)
                    }
                },
                // The same with Restate's default inactivity timeout (1 minute).
                .handler("slowStepPatient") { (_: Stalling, ctx: Context, name: String) in
                    try await ctx.run("slow step") {
                        try await Task.sleep(for: .seconds(3))
                        return Effects.increment(name)
                    }
                },
            ]
        )
    }
}

/// Fails until a gate opens; retries run out after two attempts and the invocation pauses.
struct Pausing: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<Pausing> {
        ServiceDescriptor(
            name: "Pausing",
            kind: .service,
            options: ServiceOptions(
                retryPolicy: InvocationRetryPolicy(
                    initialInterval: .milliseconds(100),
                    maxAttempts: 2,
                    onMaxAttempts: .pause
                )
            ),
            handlers: [
                .handler("untilOpen") { (_: Pausing, _: Context, name: String) in
                    let attempt = Effects.increment(name)
                    guard Effects.count(name + ":open") > 0 else { throw RetryableError("gate closed (\(attempt))") }
                    return attempt
                },
                // The run's own policy pauses the invocation (ErrorMessage behavior PAUSE, V7).
                .handler("runPauses") { (_: Pausing, ctx: Context, name: String) in
                    try await ctx.run("gated", retryPolicy: RunRetryPolicy(maxAttempts: 1, onExhausted: .pause)) {
                        let attempt = Effects.increment(name)
                        guard Effects.count(name + ":open") > 0 else { throw RetryableError("run gate closed") }
                        return attempt
                    }
                },
            ]
        )
    }
}

private func timeoutEndpoint() -> Endpoint {
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(Stalling.self)
    endpoint.bind(Pausing.self)
    return endpoint
}

@Suite("Timeouts and pause")
struct TimeoutTests {
    @Test("an attempt silent for the abort timeout is aborted and retried", arguments: [false, true])
    func abortTimeout(overHTTP2: Bool) async throws {
        var configuration = TestRuntime.Configuration()
        configuration.transport = overHTTP2 ? .http2 : .inProcess
        let runtime = try await TestRuntime.start(timeoutEndpoint(), configuration: configuration)
        defer { Task { await runtime.shutdown() } }
        let name = "hang-\(UUID().uuidString)"
        let receipt = try await runtime.send(
            service: "Stalling",
            handler: "hangOnce",
            input: JSONEncoder().encode(name)
        )
        let output = try await runtime.attach(invocationID: receipt.invocationID).get()
        // Had the first attempt not been aborted, it would have answered 1 after its long wait.
        // (A loaded machine may abort a later attempt too; each abort reruns the step.)
        let executions = try JSONDecoder().decode(Int.self, from: output)
        #expect(executions >= 2)
        #expect(Effects.count(name) == executions)
        let failure = await runtime.lastFailure(invocationID: receipt.invocationID)
        #expect(
            failure
                == .failure(
                    code: 500,
                    message: "the invocation stream was closed after the 'abort timeout' (1s) fired."
                )
        )
    }

    @Test(
        "in bidirectional mode the inactivity timeout closes the stream: the handler suspends, nothing reruns",
        arguments: [true, false]
    )
    func inactivityTimeout(shortTimeout: Bool) async throws {
        var configuration = TestRuntime.Configuration()
        configuration.protocolVersion = .v7
        configuration.invocationMode = .bidiStream
        let runtime = try await TestRuntime.start(timeoutEndpoint(), configuration: configuration)
        defer { Task { await runtime.shutdown() } }
        let name = "slow-\(UUID().uuidString)"
        let receipt = try await runtime.send(
            service: "Stalling",
            handler: shortTimeout ? "slowStep" : "slowStepPatient",
            input: JSONEncoder().encode(name)
        )
        #expect(try await runtime.attach(invocationID: receipt.invocationID) == .success(Data("1".utf8)))
        #expect(Effects.count(name) == 1)
        let attempts = try #require(await runtime.attempts(invocationID: receipt.invocationID))
        if shortTimeout {
            // One attempt ran the step and suspended when the stream closed; another replayed it.
            #expect(attempts >= 2)
        } else {
            // The stream stayed open: the run's result was acknowledged on it.
            #expect(attempts == 1)
        }
        #expect(await runtime.lastFailure(invocationID: receipt.invocationID) == nil)
    }

    @Test("an inactivity timeout of zero falls back to request/response")
    func zeroInactivityTimeout() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.protocolVersion = .v7
        configuration.invocationMode = .bidiStream
        configuration.inactivityTimeout = .zero
        try await withRuntime(configuration) { runtime in
            let receipt = try await runtime.send(service: "Counter", handler: "add", key: "z", input: Data("1".utf8))
            #expect(try await runtime.attach(invocationID: receipt.invocationID) == .success(Data("1".utf8)))
            // Request/response: the eager state needs no round trip, so a single attempt.
            #expect(await runtime.attempts(invocationID: receipt.invocationID) == 1)
        }
    }

    @Test("retries exhausted with onMaxAttempts .pause park the invocation until resume")
    func pauseAndResume() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.clock = .virtual(autoAdvance: false)
        let runtime = try await TestRuntime.start(timeoutEndpoint(), configuration: configuration)
        defer { Task { await runtime.shutdown() } }
        let name = "pause-\(UUID().uuidString)"
        let receipt = try await runtime.send(
            service: "Pausing",
            handler: "untilOpen",
            input: JSONEncoder().encode(name)
        )
        let id = receipt.invocationID
        // Backoff timers are virtual: moving the clock lets both attempts happen.
        try await runtime.advance(by: .seconds(5))
        #expect(await runtime.status(invocationID: id) == "paused")
        #expect(Effects.count(name) == 2)
        #expect(await runtime.lastFailure(invocationID: id) == .failure(code: 500, message: "gate closed (2)"))
        // Paused means no more attempts, however long one waits.
        try await runtime.advance(by: .seconds(3600))
        #expect(Effects.count(name) == 2)
        await #expect(throws: TestRuntimeError(status: 470, "not ready")) {
            _ = try await runtime.output(invocationID: id)
        }

        // Resumed with the gate still closed: a fresh budget of two attempts, then paused again.
        try await runtime.resume(invocationID: id)
        try await runtime.advance(by: .seconds(5))
        #expect(await runtime.status(invocationID: id) == "paused")
        #expect(Effects.count(name) == 4)

        Effects.increment(name + ":open")
        try await runtime.resume(invocationID: id)
        #expect(try await runtime.attach(invocationID: id) == .success(Data("5".utf8)))
        await #expect(throws: TestRuntimeError.self) { try await runtime.resume(invocationID: id) }
        await #expect(throws: TestRuntimeError.self) { try await runtime.resume(invocationID: "inv_1unknown") }
    }

    @Test("a run whose policy says pause (ErrorMessage behavior PAUSE, V7) pauses the invocation")
    func runPause() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.protocolVersion = .v7
        let runtime = try await TestRuntime.start(timeoutEndpoint(), configuration: configuration)
        defer { Task { await runtime.shutdown() } }
        let name = "runpause-\(UUID().uuidString)"
        let receipt = try await runtime.send(
            service: "Pausing",
            handler: "runPauses",
            input: JSONEncoder().encode(name)
        )
        await runtime.settle()
        #expect(await runtime.status(invocationID: receipt.invocationID) == "paused")
        #expect(Effects.count(name) == 1)
        Effects.increment(name + ":open")
        try await runtime.resume(invocationID: receipt.invocationID)
        #expect(try await runtime.attach(invocationID: receipt.invocationID) == .success(Data("2".utf8)))
    }

    @Test("the development configuration uses Restate's default retry policy: pause after 70 attempts")
    func developmentDefaults() {
        let configuration = TestRuntime.Configuration.development(ingressPort: 0, adminPort: nil)
        #expect(configuration.retryPolicy.onMaxAttempts == .pause)
        #expect(configuration.retryPolicy.maxAttempts == 70)
        #expect(configuration.inactivityTimeout == .seconds(60))
        #expect(configuration.abortTimeout == .seconds(600))
    }
}
