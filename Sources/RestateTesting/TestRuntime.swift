import Foundation
import Restate
import RestateCore
import RestateHTTP2

/// A single-process Restate runtime for tests and local development.
///
/// It registers an ``Endpoint`` through discovery, then runs invocations against it the way
/// Restate does: journals, eager or lazy state, durable timers on a controllable clock, calls,
/// awakeables, signals, workflow promises, suspension and replay, retries, virtual-object
/// locking, idempotency keys and workflow retention. It can serve Restate's ingress HTTP API, so
/// that `curl` works against it.
///
/// It is **not** a production engine: everything lives in memory and is lost when the process
/// ends. Production is the Restate server.
///
/// ```swift
/// var endpoint = Endpoint()
/// endpoint.bind(Greeter.self)
/// let runtime = try await TestRuntime.start(endpoint)
/// defer { Task { await runtime.shutdown() } }
/// let greeting: String = try await runtime.call("Greeter", "greet", input: "Till")
/// #expect(greeting == "Hello Till!")
/// ```
public final class TestRuntime: Sendable {
    let engine: Engine
    private let ingress: HTTP2Server?
    private let admin: HTTP2Server?

    /// The configuration the runtime was started with.
    public let configuration: Configuration

    private init(engine: Engine, ingress: HTTP2Server?, admin: HTTP2Server?, configuration: Configuration) {
        self.engine = engine
        self.ingress = ingress
        self.admin = admin
        self.configuration = configuration
    }

    /// Starts a runtime with no deployment: register one with ``register(uri:force:additionalHeaders:)``,
    /// ``register(_:)`` or the admin API (`POST /deployments`), as with Restate.
    ///
    /// ```swift
    /// var configuration = TestRuntime.Configuration()
    /// configuration.ingressPort = 0
    /// let runtime = try await TestRuntime.start(configuration: configuration)
    /// try await runtime.register(uri: "http://127.0.0.1:9080")
    /// ```
    public static func start(configuration: Configuration = .init()) async throws -> TestRuntime {
        let engine = Engine(configuration: configuration)
        var ingress: HTTP2Server?
        do {
            if let port = configuration.ingressPort {
                let api = IngressAPI(engine: engine)
                ingress = try await HTTP2Server.bind(host: configuration.ingressHost, port: port) {
                    head,
                    body,
                    writer in
                    await api.handle(head, body: body, writer: writer)
                }
            }
            var admin: HTTP2Server?
            if let port = configuration.adminPort {
                let api = AdminAPI(engine: engine)
                admin = try await HTTP2Server.bind(host: configuration.ingressHost, port: port) { head, body, writer in
                    await api.handle(head, body: body, writer: writer)
                }
            }
            return TestRuntime(engine: engine, ingress: ingress, admin: admin, configuration: configuration)
        } catch {
            await ingress?.shutdown(gracePeriod: .zero)
            throw error
        }
    }

    /// Starts a runtime and registers `endpoint` (discovery), reached in-process or over HTTP/2
    /// as ``Configuration/transport`` says.
    ///
    /// - Throws: `EndpointError` for invalid definitions, ``TestRuntimeError`` when discovery
    ///   fails or the endpoint does not speak the configured protocol version.
    public static func start(_ endpoint: Endpoint, configuration: Configuration = .init()) async throws -> TestRuntime {
        let runtime = try await start(configuration: configuration)
        do {
            try await runtime.register(endpoint)
        } catch {
            await runtime.shutdown()
            throw error
        }
        return runtime
    }

    /// Registers `endpoint`, reached in-process or served on a loopback port and reached over
    /// HTTP/2, as ``Configuration/transport`` says.
    @discardableResult
    public func register(_ endpoint: Endpoint) async throws -> Deployment {
        let transport: any EndpointTransport
        switch configuration.transport {
        case .inProcess: transport = InProcessTransport(handler: try endpoint.makeHandler())
        case .http2: transport = try await HTTP2Transport.serving(endpoint)
        }
        return try await register(transport, force: false).deployment
    }

    /// Registers the deployment at `uri` (an `http://` URL of a running endpoint of any SDK), as
    /// `restate deployments register` does: discovery over HTTP/2 (h2c), then its services can
    /// be invoked. Registering the same URL again with the same services changes nothing.
    ///
    /// - Parameters:
    ///   - force: replace the services when the URL was registered before with others.
    ///   - additionalHeaders: sent with discovery and every invocation.
    /// - Throws: ``TestRuntimeError``: 400 for a URL that is not absolute `http://`, 500 when
    ///   discovery fails (message starting with Restate's error code, e.g. `[META0003]`), 409
    ///   for conflicting services.
    @discardableResult
    public func register(
        uri: String,
        force: Bool = false,
        additionalHeaders: [String: String] = [:]
    ) async throws -> Deployment {
        let address = try DeploymentAddress(uri)
        let transport = HTTP2Transport(
            host: address.host,
            port: address.port,
            basePath: address.path,
            extraHeaders: additionalHeaders.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            server: nil
        )
        return try await register(transport, force: force).deployment
    }

    func register(
        _ transport: any EndpointTransport,
        force: Bool
    ) async throws -> (deployment: Deployment, result: Engine.RegistrationResult) {
        let (record, result, _) = try await engine.discoverAndRegister(transport, force: force, dryRun: false)
        return (Deployment(record), result)
    }

    /// The registered deployments, in registration order.
    public var deployments: [Deployment] {
        get async { await engine.allDeployments.map(Deployment.init) }
    }

    /// The port of the ingress HTTP API, if it was started (``Configuration/ingressPort``).
    public var ingressPort: Int? { ingress?.port }

    /// The port of the admin API, if it was started (``Configuration/adminPort``).
    public var adminPort: Int? { admin?.port }

    /// Stops the ingress, the admin API, the deployments' connections (and the endpoint servers
    /// the runtime started) and all timers. Pending ``attach(invocationID:)`` calls return a 503
    /// failure.
    public func shutdown() async {
        await engine.shutdown()
        await ingress?.shutdown(gracePeriod: .seconds(1))
        await admin?.shutdown(gracePeriod: .seconds(1))
    }

    // MARK: Invoking

    /// Calls a handler with raw input bytes and waits for its result.
    ///
    /// - Parameter key: the object key or workflow ID; `nil` for services.
    /// - Throws: `TerminalError` when the handler fails terminally (or retries run out);
    ///   ``TestRuntimeError`` when the target does not exist.
    public func call(
        service: String,
        handler: String,
        key: String? = nil,
        input: Data = Data(),
        idempotencyKey: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Data {
        let id = try await engine.submit(
            InvocationRequest(
                service: service,
                handler: handler,
                key: key ?? "",
                input: input,
                headers: headers,
                idempotencyKey: idempotencyKey
            ),
            fromIngress: false
        ).id
        return try await engine.attach(id).get()
    }

    /// Calls a handler with JSON input and decodes its JSON output.
    ///
    /// ```swift
    /// let count: Int = try await runtime.call("Counter", key: "a", "add", input: 1)
    /// ```
    public func call<Input: Encodable, Output: Decodable>(
        _ service: String,
        key: String? = nil,
        _ handler: String,
        input: Input,
        as output: Output.Type = Output.self,
        idempotencyKey: String? = nil
    ) async throws -> Output {
        let data = try await call(
            service: service,
            handler: handler,
            key: key,
            input: try JSONEncoder().encode(input),
            idempotencyKey: idempotencyKey
        )
        return try JSONDecoder().decode(Output.self, from: data)
    }

    /// Calls a handler without input and decodes its JSON output.
    public func call<Output: Decodable>(
        _ service: String,
        key: String? = nil,
        _ handler: String,
        as output: Output.Type = Output.self
    ) async throws -> Output {
        let data = try await call(service: service, handler: handler, key: key)
        return try JSONDecoder().decode(Output.self, from: data)
    }

    /// Starts a handler without waiting for it (a one-way send), optionally after `delay`.
    ///
    /// ```swift
    /// let receipt = try await runtime.send(service: "Mailer", handler: "remind", input: body, delay: .seconds(3600))
    /// ```
    @discardableResult
    public func send(
        service: String,
        handler: String,
        key: String? = nil,
        input: Data = Data(),
        delay: Duration? = nil,
        idempotencyKey: String? = nil
    ) async throws -> SendReceipt {
        var notBefore: Int64?
        if let delay { notBefore = await engine.now + delay.inMilliseconds }
        let submission = try await engine.submit(
            InvocationRequest(
                service: service,
                handler: handler,
                key: key ?? "",
                input: input,
                idempotencyKey: idempotencyKey,
                notBefore: notBefore
            ),
            fromIngress: false
        )
        return SendReceipt(invocationID: submission.id, previouslyAccepted: submission.previouslyAccepted)
    }

    /// Waits for an invocation's result.
    public func attach(invocationID: String) async throws -> InvocationOutcome {
        try await engine.attach(invocationID)
    }

    /// An invocation's result if it has finished.
    ///
    /// - Throws: ``TestRuntimeError`` with status 470 while it runs, 404 when unknown.
    public func output(invocationID: String) async throws -> InvocationOutcome {
        try await engine.output(invocationID)
    }

    /// The invocation's status: `scheduled`, `inboxed`, `running`, `suspended`, `backing-off`,
    /// `paused`, `completed`, or `nil` when unknown (or purged after retention).
    public func status(invocationID: String) async -> String? {
        await engine.status(of: invocationID)
    }

    /// How many attempts an invocation has taken (each resumption and retry is one).
    public func attempts(invocationID: String) async -> Int? {
        await engine.attemptCount(of: invocationID)
    }

    /// The invocation's journal: the input, then commands and notifications in storage order.
    public func journal(invocationID: String) async -> [ProtocolMessage]? {
        await engine.journal(of: invocationID)
    }

    /// Cancels an invocation: the handler sees a 409 "cancelled" terminal error at its next
    /// await and may run compensations.
    public func cancel(invocationID: String) async throws {
        try await engine.cancel(invocationID)
    }

    /// Ends an invocation at once with 409 "killed", without running any more of its code. As in
    /// Restate, the invocations it called and still waits for are killed too, recursively; one-way
    /// sends are not.
    public func kill(invocationID: String) async throws {
        try await engine.kill(invocationID)
    }

    /// Resumes a paused invocation (retries ran out with `onMaxAttempts: .pause`) with a fresh
    /// retry budget; a suspended one is re-invoked, a backing-off one retried without waiting.
    ///
    /// - Throws: ``TestRuntimeError`` 404 when unknown, 409 when completed, 425 when it has not
    ///   started yet (scheduled or inboxed), as Restate's admin API answers.
    public func resume(invocationID: String) async throws {
        try await engine.resume(invocationID)
    }

    /// The failure of the last attempt of an invocation that is backing off or paused (or that
    /// failed), e.g. to see why it paused.
    public func lastFailure(invocationID: String) async -> InvocationOutcome? {
        await engine.lastFailure(of: invocationID)
    }

    // MARK: Awakeables

    /// Resolves an awakeable with raw bytes (usually JSON).
    public func resolveAwakeable(_ id: String, with data: Data) async throws {
        try await engine.completeAwakeable(id, with: .success(data))
    }

    /// Resolves an awakeable with a JSON value.
    public func resolveAwakeable<Value: Encodable>(_ id: String, with value: Value) async throws {
        try await resolveAwakeable(id, with: try JSONEncoder().encode(value))
    }

    /// Rejects an awakeable; the handler sees a terminal error with `code` and `reason`.
    public func rejectAwakeable(_ id: String, reason: String, code: UInt16 = 500) async throws {
        try await engine.completeAwakeable(id, with: .failure(code: code, message: reason))
    }

    // MARK: Workflows

    /// A handle on the workflow `name` with ID `id`.
    ///
    /// ```swift
    /// let signup = runtime.workflow("SignupWorkflow", id: "alice")
    /// try await signup.submit(input: "alice@example.com")
    /// let verified: Bool = try await signup.attach()
    /// ```
    public func workflow(_ name: String, id: String) -> WorkflowHandle {
        WorkflowHandle(runtime: self, name: name, id: id)
    }

    // MARK: State

    /// Reads and writes the K/V state of a virtual object or workflow directly, e.g. to set up
    /// a test or check its effect.
    ///
    /// ```swift
    /// let count: Int? = try await runtime.state(of: "Counter", key: "a").get("count")
    /// ```
    public func state(of service: String, key: String) -> StateHandle {
        StateHandle(engine: engine, service: service, key: key)
    }

    // MARK: Time

    /// The runtime's current time (virtual or wall clock).
    public var now: Date {
        get async { Date(timeIntervalSince1970: Double(await engine.now) / 1000) }
    }

    /// Moves the virtual clock forward by `duration`, firing due timers (sleeps, delayed sends,
    /// retries, retention) in order and letting the work they cause settle.
    ///
    /// - Throws: ``TestRuntimeError`` in wall-clock mode.
    public func advance(by duration: Duration) async throws {
        try await engine.advance(by: duration)
    }

    /// Returns once no attempt is running (invocations may still be suspended or waiting for
    /// timers).
    public func settle() async {
        await engine.settle()
    }
}

/// A workflow instance, addressed by workflow name and ID.
public struct WorkflowHandle: Sendable {
    let runtime: TestRuntime
    /// The workflow's name.
    public let name: String
    /// The workflow ID (its key).
    public let id: String

    /// Starts `run` unless it already ran for this ID; then the existing run is returned, with
    /// `previouslyAccepted` set.
    @discardableResult
    public func submit(input: Data = Data()) async throws -> SendReceipt {
        let handler = try await runHandler()
        return try await runtime.send(service: name, handler: handler, key: id, input: input)
    }

    /// Starts `run` with a JSON input.
    @discardableResult
    public func submit<Input: Encodable>(input: Input) async throws -> SendReceipt {
        try await submit(input: try JSONEncoder().encode(input))
    }

    /// Waits for `run` to finish and returns its raw output.
    ///
    /// - Throws: `TerminalError` when it failed, ``TestRuntimeError`` (404) when there is no
    ///   run for this ID (never submitted, or purged after retention).
    public func attachRaw() async throws -> Data {
        let invocation = try await runtime.engine.workflowRun(service: name, key: id)
        return try await runtime.engine.attach(invocation).get()
    }

    /// Waits for `run` to finish and decodes its JSON output.
    public func attach<Output: Decodable>(as type: Output.Type = Output.self) async throws -> Output {
        try JSONDecoder().decode(Output.self, from: try await attachRaw())
    }

    /// `run`'s raw output if it has finished.
    ///
    /// - Throws: ``TestRuntimeError`` with 470 while it runs, 404 when there is no run.
    public func outputRaw() async throws -> Data {
        let invocation = try await runtime.engine.workflowRun(service: name, key: id)
        return try await runtime.engine.output(invocation).get()
    }

    /// `run`'s decoded output if it has finished (470 otherwise).
    public func output<Output: Decodable>(as type: Output.Type = Output.self) async throws -> Output {
        try JSONDecoder().decode(Output.self, from: try await outputRaw())
    }

    /// Calls a shared handler of this workflow with a JSON input.
    public func call<Input: Encodable, Output: Decodable>(
        _ handler: String,
        input: Input,
        as output: Output.Type = Output.self
    ) async throws -> Output {
        try await runtime.call(name, key: id, handler, input: input, as: Output.self)
    }

    /// The invocation id of the run, if there is one.
    public var invocationID: String {
        get async throws { try await runtime.engine.workflowRun(service: name, key: id) }
    }

    private func runHandler() async throws -> String {
        guard let service = await runtime.engine.service(named: name), service.kind == .workflow else {
            throw TestRuntimeError(status: 404, "workflow \(name) not found")
        }
        guard let run = service.handlers.values.first(where: { $0.kind == .workflow }) else {
            throw TestRuntimeError(status: 404, "workflow \(name) has no run handler")
        }
        return run.name
    }
}

/// The K/V state of one virtual object or workflow instance.
public struct StateHandle: Sendable {
    let engine: Engine
    public let service: String
    public let key: String

    /// The raw value of `name`.
    public func raw(_ name: String) async -> Data? {
        await engine.stateValue(service: service, key: key, name: name)
    }

    /// The JSON-decoded value of `name`.
    public func get<Value: Decodable>(_ name: String, as type: Value.Type = Value.self) async throws -> Value? {
        guard let data = await raw(name) else { return nil }
        return try JSONDecoder().decode(Value.self, from: data)
    }

    /// Sets `name` to the JSON of `value`; the next invocation sees it.
    public func set<Value: Encodable>(_ name: String, _ value: Value) async throws {
        let data = try JSONEncoder().encode(value)
        await engine.setState(service: service, key: key, name: name, value: data)
    }

    /// Removes `name`.
    public func clear(_ name: String) async {
        await engine.setState(service: service, key: key, name: name, value: nil)
    }

    /// The names of all entries, sorted.
    public func keys() async -> [String] {
        await engine.stateKeys(service: service, key: key)
    }
}

/// A deployment registered with a ``TestRuntime``.
public struct Deployment: Sendable, Hashable {
    /// Restate-style id, `dp_1…`.
    public var id: String
    /// Where it is reached: its URL, or `in-process`.
    public var address: String
    /// The services it declared, in manifest order.
    public var services: [String]
    public var minProtocolVersion: Int
    public var maxProtocolVersion: Int
    /// What the endpoint reported in `x-restate-server`, if anything.
    public var sdkVersion: String?

    init(_ record: DeploymentRecord) {
        id = record.id
        address = record.address
        services = record.services
        minProtocolVersion = record.minProtocolVersion
        maxProtocolVersion = record.maxProtocolVersion
        sdkVersion = record.sdkVersion
    }
}

/// A deployment URL taken apart: only absolute `http://` URLs are accepted, because the runtime
/// speaks h2c only.
struct DeploymentAddress: Sendable, Hashable {
    var host: String
    var port: Int
    var path: String

    init(_ text: String) throws(TestRuntimeError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw TestRuntimeError(
                status: 400,
                "The request field 'uri' is invalid. Reason: The provided uri \(text) is not absolute, only absolute URIs can be used."
            )
        }
        guard scheme == "http" else {
            throw TestRuntimeError(
                status: 400,
                "The request field 'uri' is invalid. Reason: the test runtime supports only h2c deployments, "
                    + "so the uri must start with http:// (got \(scheme)://)"
            )
        }
        self.host = host
        self.port = components.port ?? 80
        self.path = components.percentEncodedPath
    }
}
