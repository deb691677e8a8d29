import Foundation
import NIOCore
import RestateCore
import RestateHTTP2
import Testing

@testable import Restate

// Hand-written descriptors, so these tests do not depend on the macros.

struct Greeter: RestateService, DefaultInitializable {
    func greet(_ ctx: Context, name: String) async throws -> String {
        if name.isEmpty { throw TerminalError("name must not be empty", code: 400) }
        if name == "flaky" { throw RetryableError("try again", retryAfter: .milliseconds(250)) }
        return "Hello \(name)!"
    }

    static var restateDescriptor: ServiceDescriptor<Greeter> {
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

actor Counter: RestateService, DefaultInitializable {
    static let count = StateKey<Int>("count")

    func add(_ ctx: ObjectContext, delta: Int) async throws -> Int {
        let value = (try await ctx.get(Self.count) ?? 0) + delta
        try ctx.set(Self.count, value)
        return value
    }

    func get(_ ctx: SharedObjectContext) async throws -> Int {
        try await ctx.get(Self.count) ?? 0
    }

    static var restateDescriptor: ServiceDescriptor<Counter> {
        ServiceDescriptor(
            name: "Counter",
            kind: .virtualObject,
            handlers: [
                .handler("add") { (counter: Counter, ctx: ObjectContext, delta: Int) in
                    try await counter.add(ctx, delta: delta)
                },
                .handler("get") { (counter: Counter, ctx: SharedObjectContext) in try await counter.get(ctx) },
            ]
        )
    }
}

actor Signup: RestateService, DefaultInitializable {
    static let status = StateKey<String>("status")

    func run(_ ctx: WorkflowContext, email: String) async throws -> Bool {
        let secret = ctx.random.uuid().uuidString
        try await ctx.run("send email") { secret.count }
        try ctx.set(Self.status, "Email sent")
        let clicked: String = try await ctx.promise("email.clicked").value
        try ctx.set(Self.status, "Email clicked")
        return clicked == secret
    }

    static var restateDescriptor: ServiceDescriptor<Signup> {
        ServiceDescriptor(
            name: "Signup",
            kind: .workflow,
            handlers: [
                .handler("run") { (flow: Signup, ctx: WorkflowContext, email: String) in
                    try await flow.run(ctx, email: email)
                },
                .handler("click") { (_: Signup, ctx: SharedWorkflowContext, secret: String) in
                    try await ctx.promise("email.clicked", of: String.self).resolve(secret)
                },
            ]
        )
    }
}

private func makeHandler() throws -> EndpointHandler {
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(Greeter.self)
    endpoint.bind(Counter.self)
    endpoint.bind(Signup.self)
    return try endpoint.makeHandler()
}

@Suite("Endpoint invocations (in-process)")
struct EndpointInvocationTests {
    @Test("a service answers Output and End, with the request's content type", arguments: ProtocolVersion.allCases)
    func greet(version: ProtocolVersion) async throws {
        let handler = try makeHandler()
        let sink = try await handler.invoke(
            "Greeter",
            "greet",
            version: version,
            messages: [Frames.start(knownEntries: 1), Frames.input("\"Till\"")]
        )
        #expect(sink.recorded.status == 200)
        #expect(sink.recorded.headers["content-type"] == version.contentType)
        #expect(sink.recorded.finished)
        let messages = try sink.messages(version: version)
        #expect(
            messages == [
                .outputCommand(.with { $0.value = .with { $0.content = Data("\"Hello Till!\"".utf8) } }), .end,
            ]
        )
    }

    @Test("a terminal error becomes a failed Output")
    func terminalError() async throws {
        let sink = try await makeHandler().invoke(
            "Greeter",
            "greet",
            messages: [Frames.start(knownEntries: 1), Frames.input("\"\"")]
        )
        let messages = try sink.messages(version: .v6)
        #expect(
            messages == [
                .outputCommand(
                    .with {
                        $0.failure = .with {
                            $0.code = 400; $0.message = "name must not be empty"
                        }
                    }
                ),
                .end,
            ]
        )
    }

    @Test("malformed input JSON is a terminal 400, not a crash")
    func badJSON() async throws {
        let sink = try await makeHandler().invoke(
            "Greeter",
            "greet",
            messages: [Frames.start(knownEntries: 1), Frames.input("{nope")]
        )
        let messages = try sink.messages(version: .v6)
        guard case .outputCommand(let output) = messages.first, case .failure(let failure) = output.result else {
            Issue.record("expected a failed output, got \(messages)")
            return
        }
        #expect(failure.code == 400)
        #expect(failure.message.contains("Cannot decode the input as String"))
        #expect(messages.last == .end)
    }

    @Test("a retryable error ends the attempt with ErrorMessage and the requested delay")
    func retryable() async throws {
        let sink = try await makeHandler().invoke(
            "Greeter",
            "greet",
            messages: [Frames.start(knownEntries: 1), Frames.input("\"flaky\"")]
        )
        let messages = try sink.messages(version: .v6)
        guard messages.count == 1, case .error(let error) = messages[0] else {
            Issue.record("expected one ErrorMessage, got \(messages)")
            return
        }
        #expect(error.code == 500)
        #expect(error.message.contains("try again"))
        #expect(error.nextRetryDelay == 250)
    }

    @Test("eager state: get and set on a virtual object")
    func counter() async throws {
        let sink = try await makeHandler().invoke(
            "Counter",
            "add",
            messages: [Frames.start(knownEntries: 1, key: "a", state: ["count": "41"]), Frames.input("1")]
        )
        let messages = try sink.messages(version: .v6)
        #expect(
            messages == [
                .getEagerStateCommand(
                    .with {
                        $0.key = Data("count".utf8); $0.value = .with { $0.content = Data("41".utf8) }
                    }
                ),
                .setStateCommand(
                    .with {
                        $0.key = Data("count".utf8); $0.value = .with { $0.content = Data("42".utf8) }
                    }
                ),
                .outputCommand(.with { $0.value = .with { $0.content = Data("42".utf8) } }),
                .end,
            ]
        )
    }

    @Test("a workflow awaiting a promise suspends in request/response mode")
    func workflowSuspends() async throws {
        let sink = try await makeHandler().invoke(
            "Signup",
            "run",
            version: .v6,
            messages: [
                Frames.start(knownEntries: 1, key: "someone", state: [:], randomSeed: 7), Frames.input("\"a@b.c\""),
            ]
        )
        let messages = try sink.messages(version: .v6)
        // run → RunCommand + ProposeRunCompletion; the input is closed, so it suspends on the run.
        #expect(
            messages.first
                == .runCommand(
                    .with {
                        $0.resultCompletionID = 1; $0.name = "send email"
                    }
                )
        )
        guard case .suspensionV6(let suspension) = messages.last else {
            Issue.record("expected a suspension, got \(messages)")
            return
        }
        #expect(suspension.waitingCompletions == [1])
    }

    @Test("unknown service or handler is 404; bad content type is 415; GET is 405")
    func routingErrors() async throws {
        let handler = try makeHandler()
        let start = [Frames.start(knownEntries: 1), Frames.input("1")]
        #expect(try await handler.invoke("Nope", "greet", messages: start).recorded.status == 404)
        #expect(try await handler.invoke("Greeter", "nope", messages: start).recorded.status == 404)
        let noContentType = try await handler.invoke("Greeter", "greet", messages: start, headers: [])
        #expect(noContentType.recorded.status == 415)
        let v4 = try await handler.invoke(
            "Greeter",
            "greet",
            messages: start,
            headers: [("content-type", "application/vnd.restate.invocation.v4")]
        )
        #expect(v4.recorded.status == 415)
        #expect(await handler.get("/invoke/Greeter/greet").recorded.status == 405)
        #expect(await handler.get("/elsewhere").recorded.status == 404)
        let health = await handler.get("/health")
        #expect(health.recorded.status == 200)
        #expect(health.text == "OK")
    }

    @Test("input that ends before the journal is complete gets a protocol-violation ErrorMessage")
    func truncatedJournal() async throws {
        let sink = try await makeHandler().invoke(
            "Greeter",
            "greet",
            messages: [Frames.start(knownEntries: 2), Frames.input("\"x\"")]
        )
        let messages = try sink.messages(version: .v6)
        guard case .error(let error) = messages.last else {
            Issue.record("expected an ErrorMessage, got \(messages)")
            return
        }
        #expect(error.code == 571)
        #expect(sink.recorded.finished)
    }

    @Test("garbage instead of frames gets an ErrorMessage and the stream ends")
    func garbage() async throws {
        let handler = try makeHandler()
        let sink = RecordingSink()
        let head = RequestHead(
            method: "POST",
            path: "/invoke/Greeter/greet",
            headers: [("content-type", ProtocolVersion.v6.contentType)],
            transport: .http2
        )
        let body = AsyncStream<ByteBuffer> {
            $0.yield(ByteBuffer(bytes: [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xFF, 0xFF, 0xFF]))
            $0.finish()
        }
        await handler.handle(head, body: body, response: sink)
        let messages = try sink.messages(version: .v6)
        guard case .error(let error) = messages.last else {
            Issue.record("expected an ErrorMessage, got \(messages)")
            return
        }
        #expect([571, 500].contains(error.code))
        #expect(sink.recorded.finished)
    }
}

@Suite("Route: the path segments the endpoint routes on")
struct RouteTests {
    private func parts(_ path: String) -> [String?] {
        let route = Route(path)
        return [
            String(route.path), route.third.map(String.init), route.second.map(String.init),
            route.last.map(String.init),
        ]
    }

    @Test("invoke paths, with a proxy's prefix, a query and doubled or trailing slashes")
    func invokePaths() {
        #expect(parts("/invoke/Greeter/greet") == ["/invoke/Greeter/greet", "invoke", "Greeter", "greet"])
        #expect(
            parts("/prefix/v1/invoke/Greeter/greet?x=1/2") == [
                "/prefix/v1/invoke/Greeter/greet", "invoke", "Greeter", "greet",
            ]
        )
        #expect(parts("//invoke//Greeter/greet/") == ["//invoke//Greeter/greet/", "invoke", "Greeter", "greet"])
        #expect(parts("invoke/Greeter/greet") == ["invoke/Greeter/greet", "invoke", "Greeter", "greet"])
        #expect(parts("/invoke/Grüße/grüß") == ["/invoke/Grüße/grüß", "invoke", "Grüße", "grüß"])
    }

    @Test("short paths leave the missing segments empty")
    func shortPaths() {
        #expect(parts("/discover") == ["/discover", nil, nil, "discover"])
        #expect(parts("/health?probe") == ["/health", nil, nil, "health"])
        #expect(parts("/") == ["/", nil, nil, nil])
        #expect(parts("") == ["", nil, nil, nil])
        #expect(parts("/Greeter/greet") == ["/Greeter/greet", nil, "Greeter", "greet"])
    }
}
