import Foundation
import NIOCore
import RestateCore
import RestateHTTP2
import Synchronization
import Testing

@testable import Restate

// The macros applied to real types, type-checked against the real API and run in-process.

/// Greets people.
@Service
struct Greeter {
    /// Says hello.
    func greet(_ ctx: Context, name: String) async throws -> String { "Hello \(name)!" }

    @Handler(name: "ping", inactivityTimeout: .seconds(30), ingressPrivate: true)
    func pong(_ ctx: Context) async {}
}

@VirtualObject(name: "counter", enableLazyState: true)
actor Counter {
    @Exclusive
    func add(_ ctx: ObjectContext, delta: Int) async throws -> Int { delta }

    @Shared
    func get(_ ctx: SharedObjectContext) async throws -> Int { 0 }
}

/// Calls the others through their typed clients.
@Service
actor Caller {
    func callGreeter(_ ctx: Context, name: String) async throws -> String {
        try await ctx.serviceClient(Greeter.self).greet(name).value
    }

    func callPing(_ ctx: Context) async throws {
        try await ctx.serviceClient(Greeter.self).pong().value
    }

    func sendAdd(_ ctx: Context, key: String) async throws {
        try ctx.objectClient(Counter.self, key: key).send.add(5, delay: .seconds(60))
    }

    func startSignup(_ ctx: Context, id: String) async throws {
        try ctx.workflowClient(Signup.self, id: id).send.run("ada@example.com")
    }
}

@Workflow
public actor Signup {
    public init() {}

    /// Signs up.
    @Handler(workflowRetention: .seconds(3600))
    public func run(_ ctx: WorkflowContext, email: String) async throws -> Bool { true }

    @Shared
    public func click(_ ctx: SharedWorkflowContext, secret: String) async throws {}

    @Shared
    func status(_ ctx: SharedWorkflowContext) async throws -> String { "" }
}

@Suite("Macros against the Restate API")
struct MacroIntegrationTests {
    @Test("descriptors carry names, kinds, handler kinds, documentation and options")
    func descriptors() {
        let greeter = Greeter.restateDescriptor
        #expect(greeter.name == "Greeter")
        #expect(greeter.kind == .service)
        #expect(greeter.options.documentation == "Greets people.")
        #expect(greeter.handlers.map(\.name) == ["greet", "ping"])
        #expect(greeter.handlers[0].options.documentation == "Says hello.")
        #expect(greeter.handlers[1].options.inactivityTimeout == .seconds(30))
        #expect(greeter.handlers[1].options.ingressPrivate == true)
        #expect(greeter.handlers[1].input == .none)
        #expect(greeter.handlers[1].output == .none)

        let counter = Counter.restateDescriptor
        #expect(counter.name == "counter")
        #expect(counter.kind == .virtualObject)
        #expect(counter.options.enableLazyState == true)
        #expect(counter.handlers.map(\.kind) == [.exclusive, .shared])

        let signup = Signup.restateDescriptor
        #expect(signup.kind == .workflow)
        #expect(signup.handlers.map(\.name) == ["run", "click", "status"])
        #expect(signup.handlers.map(\.kind) == [.workflow, .shared, .shared])
        #expect(signup.handlers[0].options.workflowRetention == .seconds(3600))
        #expect(signup.handlers[0].options.documentation == "Signs up.")
    }

    @Test("types with an init() are DefaultInitializable")
    func defaultInitializable() {
        #expect((Greeter.self as Any.Type) is any DefaultInitializable.Type)
        #expect((Counter.self as Any.Type) is any DefaultInitializable.Type)
        #expect((Signup.self as Any.Type) is any DefaultInitializable.Type)
    }

    @Test("a generated handler runs: input decoded, method called, output encoded")
    func handlerRuns() async throws {
        let messages = try await invoke("Greeter", "greet", [Frames.start(knownEntries: 1), Frames.input("\"Ada\"")])
        #expect(
            messages.contains(.outputCommand(.with { $0.value = .with { $0.content = Data("\"Hello Ada!\"".utf8) } }))
        )
    }

    @Test("the typed client calls the right service and handler with the encoded input")
    func clientCall() async throws {
        let messages = try await invoke(
            "Caller",
            "callGreeter",
            [Frames.start(knownEntries: 1), Frames.input("\"Ada\"")]
        )
        let call = try #require(
            messages.lazy.compactMap { if case .callCommand(let call) = $0 { call } else { nil } }.first
        )
        #expect(call.serviceName == "Greeter")
        #expect(call.handlerName == "greet")
        #expect(call.key.isEmpty)
        #expect(call.parameter == Data("\"Ada\"".utf8))
    }

    @Test("a call of a handler without input sends an empty body")
    func clientCallWithoutInput() async throws {
        let messages = try await invoke("Caller", "callPing", [Frames.start(knownEntries: 1), Frames.input("null")])
        let call = try #require(
            messages.lazy.compactMap { if case .callCommand(let call) = $0 { call } else { nil } }.first
        )
        #expect(call.serviceName == "Greeter")
        #expect(call.handlerName == "ping")
        #expect(call.parameter.isEmpty)
    }

    @Test("the keyed clients send to the object key and workflow ID, with a delay")
    func keyedSends() async throws {
        let add = try await invoke("Caller", "sendAdd", [Frames.start(knownEntries: 1), Frames.input("\"k1\"")])
        let send = try #require(
            add.lazy.compactMap { if case .oneWayCallCommand(let send) = $0 { send } else { nil } }.first
        )
        #expect(send.serviceName == "counter")
        #expect(send.handlerName == "add")
        #expect(send.key == "k1")
        #expect(send.parameter == Data("5".utf8))
        #expect(send.invokeTime > 0)

        let run = try await invoke("Caller", "startSignup", [Frames.start(knownEntries: 1), Frames.input("\"w1\"")])
        let start = try #require(
            run.lazy.compactMap { if case .oneWayCallCommand(let send) = $0 { send } else { nil } }.first
        )
        #expect(start.serviceName == "Signup")
        #expect(start.handlerName == "run")
        #expect(start.key == "w1")
        #expect(start.parameter == Data("\"ada@example.com\"".utf8))
    }
}

// MARK: - In-process invocation

private func invoke(_ service: String, _ handler: String, _ messages: [ProtocolMessage]) async throws
    -> [ProtocolMessage]
{
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(Greeter.self)
    endpoint.bind(Counter.self)
    endpoint.bind(Caller.self)
    endpoint.bind(Signup.self)
    let version = ProtocolVersion.v6
    var body = ByteBuffer()
    for message in messages { try message.encode(into: &body) }
    let head = RequestHead(
        method: "POST",
        path: "/invoke/\(service)/\(handler)",
        headers: HeaderFields([("content-type", version.contentType)]),
        transport: .http2
    )
    let requestBody = body
    let stream = AsyncStream<ByteBuffer> { continuation in
        continuation.yield(requestBody)
        continuation.finish()
    }
    let sink = Sink()
    let handler = try endpoint.makeHandler()
    await handler.handle(head, body: stream, response: sink)
    var decoder = FrameDecoder()
    decoder.append(sink.body.withLock { $0 })
    var output: [ProtocolMessage] = []
    while let frame = try decoder.next() {
        output.append(try ProtocolMessage(frame: frame, version: version))
    }
    return output
}

private final class Sink: ResponseSink {
    let body = Mutex(ByteBuffer())

    func writeHead(status: Int, headers: HeaderFields) async throws {}

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        body.withLock { _ = $0.writeBuffer(&buffer) }
    }

    func finish() async throws {}
}

private enum Frames {
    static func start(knownEntries: UInt32) -> ProtocolMessage {
        .start(
            .with {
                $0.id = Data("123".utf8)
                $0.debugID = "inv_123"
                $0.knownEntries = knownEntries
                $0.partialState = true
            }
        )
    }

    static func input(_ json: String) -> ProtocolMessage {
        .inputCommand(.with { $0.value = .with { $0.content = Data(json.utf8) } })
    }
}
