import Foundation
import RestateCore

/// What every handler can do: journaled side effects, durable timers, calls and sends,
/// awakeables, signals, deterministic random values and request metadata.
///
/// Each handler receives the context type that matches its kind: ``Context`` (services),
/// ``ObjectContext`` / ``SharedObjectContext`` (virtual objects), ``WorkflowContext`` /
/// ``SharedWorkflowContext`` (workflows). The types only offer what the handler may do, so the
/// compiler stops, say, a shared handler from writing state.
public protocol ContextProtocol: Sendable {
    /// The invocation this context belongs to. Use the context's methods instead.
    var invocation: Invocation { get }
}

/// A context of a keyed handler (virtual object or workflow).
public protocol KeyedContext: ContextProtocol {}

/// A context that may read durable state.
public protocol StateReadingContext: KeyedContext {}

/// A context that may read and write durable state.
public protocol StateWritingContext: StateReadingContext {}

/// A context that may use the workflow's durable promises.
public protocol PromiseContext: KeyedContext {}

/// Implemented by the context types so that handler descriptors can create them.
public protocol HandlerContext: ContextProtocol {
    /// The handler kind a handler taking this context has.
    static var handlerKind: HandlerKind? { get }
    /// The kind of service whose handlers take this context.
    static var serviceKind: ServiceKind { get }
    init(invocation: Invocation)
}

/// The context of a service handler.
public struct Context: HandlerContext {
    public let invocation: Invocation
    public init(invocation: Invocation) { self.invocation = invocation }
    public static var handlerKind: HandlerKind? { nil }
    public static var serviceKind: ServiceKind { .service }
}

/// The context of an exclusive virtual-object handler: reads and writes the object's state.
public struct ObjectContext: HandlerContext, StateWritingContext {
    public let invocation: Invocation
    public init(invocation: Invocation) { self.invocation = invocation }
    public static var handlerKind: HandlerKind? { .exclusive }
    public static var serviceKind: ServiceKind { .virtualObject }
}

/// The context of a shared virtual-object handler: reads the object's state, runs concurrently
/// with other handlers of the same key.
public struct SharedObjectContext: HandlerContext, StateReadingContext {
    public let invocation: Invocation
    public init(invocation: Invocation) { self.invocation = invocation }
    public static var handlerKind: HandlerKind? { .shared }
    public static var serviceKind: ServiceKind { .virtualObject }
}

/// The context of a workflow's `run` handler: state, durable promises, and everything else.
public struct WorkflowContext: HandlerContext, StateWritingContext, PromiseContext {
    public let invocation: Invocation
    public init(invocation: Invocation) { self.invocation = invocation }
    public static var handlerKind: HandlerKind? { .workflow }
    public static var serviceKind: ServiceKind { .workflow }
}

/// The context of a workflow's shared handlers: reads state and resolves or reads promises.
public struct SharedWorkflowContext: HandlerContext, StateReadingContext, PromiseContext {
    public let invocation: Invocation
    public init(invocation: Invocation) { self.invocation = invocation }
    public static var handlerKind: HandlerKind? { .shared }
    public static var serviceKind: ServiceKind { .workflow }
}

// MARK: - Everything

extension ContextProtocol {
    /// Metadata of the current request: invocation id, headers, key, idempotency key.
    public var request: Request { invocation.request }

    /// Deterministic random values: the same on every replay of this invocation.
    public var random: DurableRandom { DurableRandom(invocation: invocation) }

    /// Runs `body` once and journals its result; on replay the journaled result is returned
    /// without running `body` again.
    ///
    /// Put every non-deterministic or side-effecting piece of code (HTTP calls, database writes,
    /// reading the clock) inside a `run`. A ``TerminalError`` thrown by `body` is journaled as the
    /// result; any other error is retried according to `retryPolicy`.
    ///
    /// ```swift
    /// let receipt = try await ctx.run("charge card") { try await payments.charge(card, amount) }
    /// ```
    @discardableResult
    public func run<T: Codable & Sendable>(
        _ name: String,
        retryPolicy: RunRetryPolicy = .default,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await runAsync(name, retryPolicy: retryPolicy, body).value
    }

    /// Like ``run(_:retryPolicy:_:)-(_,_,()->T)``, for a closure without a result.
    public func run(
        _ name: String,
        retryPolicy: RunRetryPolicy = .default,
        _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        _ = try await runAsync(name, retryPolicy: retryPolicy) { () async throws -> Empty in
            try await body()
            return Empty()
        }.value
    }

    /// Journals a `run` and returns its future, so that several runs can proceed concurrently.
    public func runAsync<T: Codable & Sendable>(
        _ name: String,
        retryPolicy: RunRetryPolicy = .default,
        _ body: @escaping @Sendable () async throws -> T
    ) throws -> DurableFuture<T> {
        try runAsync(name, serde: JSONSerde<T>(), retryPolicy: retryPolicy, body)
    }

    /// Like ``run(_:retryPolicy:_:)-(_,_,()->T)``, with the result encoded by `serde` instead of
    /// JSON.
    ///
    /// ```swift
    /// let page = try await ctx.run("download", serde: RawSerde<Data>()) { try await http.get(url) }
    /// ```
    @discardableResult
    public func run<S: Serde>(
        _ name: String,
        serde: S,
        retryPolicy: RunRetryPolicy = .default,
        _ body: @escaping @Sendable () async throws -> S.Value
    ) async throws -> S.Value where S.Value: Sendable {
        try await runAsync(name, serde: serde, retryPolicy: retryPolicy, body).value
    }

    /// Like ``runAsync(_:retryPolicy:_:)``, with the result encoded by `serde` instead of JSON.
    public func runAsync<S: Serde>(
        _ name: String,
        serde: S,
        retryPolicy: RunRetryPolicy = .default,
        _ body: @escaping @Sendable () async throws -> S.Value
    ) throws -> DurableFuture<S.Value> where S.Value: Sendable {
        try ensureOutsideRun()
        let run = try invocation.machineCall { try $0.run(name: name) }
        let handle = run.handle
        if !run.replayed {
            invocation.registerRun(
                handle,
                .init(name: name, policy: retryPolicy) { try serde.encode(try await body()) }
            )
        }
        return DurableFuture(invocation: invocation, handle: handle) { try $0.decoded(with: serde) }
    }

    /// The current time, journaled: replays see the time of the first execution.
    ///
    /// Use it instead of `Date()` in handler code, which would differ on every replay.
    public func now() async throws -> Date {
        try await run("now") { Date() }
    }

    /// Sleeps durably: the invocation may suspend and resume on another process.
    public func sleep(for duration: Duration, name: String? = nil) async throws {
        try await timer(for: duration, name: name).value
    }

    /// A durable timer to combine with other futures.
    public func timer(for duration: Duration, name: String? = nil) throws -> DurableFuture<Void> {
        try ensureOutsideRun()
        let now = Invocation.now()
        let handle = try invocation.machineCall { try $0.sleep(for: duration, now: now, name: name ?? "") }
        return DurableFuture(invocation: invocation, handle: handle) { try $0.checkSuccess() }
    }

    // MARK: Calls

    /// Calls a handler by name and returns a future of its response.
    ///
    /// Typed clients generated by `@Service`, `@VirtualObject` and `@Workflow` wrap this.
    public func call<Input: Encodable, Output: Decodable & Sendable>(
        _ target: Target,
        input: Input,
        returning: Output.Type = Output.self,
        options: CallOptions = .init()
    ) throws -> CallFuture<Output> {
        try call(target, parameter: try JSONCoding.encode(input), options: options) { try $0.decoded(as: Output.self) }
    }

    /// Sends a one-way message to a handler, optionally delayed, and returns a handle to the new
    /// invocation.
    @discardableResult
    public func send<Input: Encodable>(
        _ target: Target,
        input: Input,
        delay: Duration? = nil,
        options: CallOptions = .init()
    ) throws -> InvocationHandle {
        try send(target, parameter: try JSONCoding.encode(input), delay: delay, options: options)
    }

    /// Cancels another invocation. Its handlers see ``TerminalError/cancelled`` at their next
    /// await.
    public func cancel(invocationID: String) throws {
        try ensureOutsideRun()
        try invocation.cancelInvocation(invocationID)
    }

    /// Waits for another invocation's result.
    public func attach<Output: Decodable & Sendable>(
        invocationID: String,
        returning: Output.Type = Output.self
    ) throws -> DurableFuture<Output> {
        try attach(.invocation(invocationID), returning: Output.self)
    }

    /// A future of the result of an invocation, a workflow run or an idempotent request: it
    /// completes when that finishes (at once if it has), with its output or its failure.
    ///
    /// ```swift
    /// let approved = try await ctx.attach(.workflow("Signup", id: userID), returning: Bool.self).value
    /// ```
    public func attach<Output: Decodable & Sendable>(
        _ reference: InvocationReference,
        returning: Output.Type = Output.self
    ) throws -> DurableFuture<Output> {
        try ensureOutsideRun()
        return try invocation.attach(reference) { try $0.decoded(as: Output.self) }
    }

    /// Like ``attach(_:returning:)``, for a handler without output.
    public func attach(_ reference: InvocationReference, returning: Void.Type) throws -> DurableFuture<Void> {
        try ensureOutsideRun()
        return try invocation.attach(reference) { try $0.checkSuccess() }
    }

    /// Like ``attach(_:returning:)``, with the output decoded by `serde` instead of JSON.
    public func attach<S: Serde>(_ reference: InvocationReference, serde: S) throws -> DurableFuture<S.Value>
    where S.Value: Sendable {
        try ensureOutsideRun()
        return try invocation.attach(reference) { try $0.decoded(with: serde) }
    }

    /// A future of the output of an invocation, a workflow run or an idempotent request *as it is
    /// now*: `nil` when it has not finished yet, its output when it has, its failure when it failed.
    /// Unlike ``attach(_:returning:)``, it does not wait for the invocation to finish.
    ///
    /// ```swift
    /// if let approved = try await ctx.invocationOutput(.workflow("Signup", id: userID), returning: Bool.self).value {
    ///     …
    /// }
    /// ```
    public func invocationOutput<Output: Decodable & Sendable>(
        _ reference: InvocationReference,
        returning: Output.Type = Output.self
    ) throws -> DurableFuture<Output?> {
        try ensureOutsideRun()
        return try invocation.invocationOutput(reference) { try JSONCoding.decode(Output.self, from: $0) }
    }

    /// Like ``invocationOutput(_:returning:)``, for a handler without output: `nil` while it runs,
    /// `()` once it has succeeded.
    public func invocationOutput(_ reference: InvocationReference, returning: Void.Type) throws
        -> DurableFuture<Void?>
    {
        try ensureOutsideRun()
        return try invocation.invocationOutput(reference) { _ in () }
    }

    /// Like ``invocationOutput(_:returning:)``, with the output decoded by `serde` instead of JSON.
    public func invocationOutput<S: Serde>(_ reference: InvocationReference, serde: S) throws
        -> DurableFuture<S.Value?> where S.Value: Sendable
    {
        try ensureOutsideRun()
        return try invocation.invocationOutput(reference) { try serde.decode($0) }
    }

    // MARK: Awakeables and signals

    /// Creates an awakeable: an id to hand to an external system, and the future that completes
    /// when that system resolves it (through Restate's ingress or another handler).
    public func awakeable<T: Decodable & Sendable>(of type: T.Type = T.self) throws -> (
        id: String, future: DurableFuture<T>
    ) {
        try awakeable { try $0.decoded(as: T.self) }
    }

    /// Like ``awakeable(of:)``, with the payload decoded by `serde` instead of JSON.
    public func awakeable<S: Serde>(serde: S) throws -> (id: String, future: DurableFuture<S.Value>)
    where S.Value: Sendable {
        try awakeable { try $0.decoded(with: serde) }
    }

    private func awakeable<T: Sendable>(
        _ decode: @escaping @Sendable (NotificationValue) throws -> T
    ) throws -> (id: String, future: DurableFuture<T>) {
        try ensureOutsideRun()
        let awakeable = try invocation.machineCall { try $0.awakeable() }
        return (awakeable.id, DurableFuture(invocation: invocation, handle: awakeable.handle, transform: decode))
    }

    /// Resolves an awakeable created by some invocation.
    public func resolveAwakeable<T: Encodable>(_ id: String, with value: T) throws {
        try resolveAwakeable(id, payload: try JSONCoding.encode(value))
    }

    /// Resolves an awakeable with a payload encoded by `serde` instead of JSON.
    public func resolveAwakeable<S: Serde>(_ id: String, with value: S.Value, serde: S) throws {
        try resolveAwakeable(id, payload: try serde.encode(value))
    }

    private func resolveAwakeable(_ id: String, payload: Data) throws {
        try ensureOutsideRun()
        try invocation.machineCall { try $0.completeAwakeable(id: id, result: .success(payload)) }
    }

    /// Rejects an awakeable: its waiter gets a ``TerminalError``.
    public func rejectAwakeable(_ id: String, reason: String, code: UInt16 = 500) throws {
        try ensureOutsideRun()
        try invocation.machineCall {
            try $0.completeAwakeable(id: id, result: .failure(Failure(code: code, message: reason)))
        }
    }

    /// A future of the named signal sent to this invocation.
    public func signal<T: Decodable & Sendable>(_ name: String, of type: T.Type = T.self) throws -> DurableFuture<T> {
        try ensureOutsideRun()
        let handle = try invocation.machineCall { try $0.signal(name: name) }
        return DurableFuture(invocation: invocation, handle: handle) { try $0.decoded(as: T.self) }
    }

    /// Sends a named signal to another invocation.
    public func resolveSignal<T: Encodable>(_ name: String, of invocationID: String, with value: T) throws {
        try ensureOutsideRun()
        let data = try JSONCoding.encode(value)
        try invocation.machineCall { try $0.completeSignal(target: invocationID, name: name, result: .success(data)) }
    }

    /// Rejects a named signal of another invocation.
    public func rejectSignal(_ name: String, of invocationID: String, reason: String, code: UInt16 = 500) throws {
        try ensureOutsideRun()
        try invocation.machineCall {
            try $0.completeSignal(
                target: invocationID,
                name: name,
                result: .failure(Failure(code: code, message: reason))
            )
        }
    }

    func ensureOutsideRun() throws {
        if RunContext.isInsideRun { throw RunContext.misuse }
    }
}

// MARK: - Keys and state

extension KeyedContext {
    /// The object key or workflow ID of this invocation.
    public var key: String { invocation.request.key }
}

extension StateReadingContext {
    /// Reads a state value with the key's serde; `nil` when the key is not set.
    public func get<Value>(_ key: StateKey<Value>) async throws -> Value? {
        let serde = key.serde
        return try await get(key.name) { try serde.decode($0) }
    }

    /// Reads a state value by name; `nil` when the key is not set.
    public func get<Value: Decodable & Sendable>(_ name: String, as type: Value.Type = Value.self) async throws
        -> Value?
    {
        try await get(name) { try JSONCoding.decode(Value.self, from: $0) }
    }

    private func get<Value: Sendable>(
        _ name: String,
        decode: @escaping @Sendable (Data) throws -> Value
    ) async throws -> Value? {
        try ensureOutsideRun()
        let handle = try invocation.machineCall { try $0.getState(key: name) }
        return try await DurableFuture<Value?>(invocation: invocation, handle: handle) { value in
            switch value {
            case .void: return nil
            case .success(let data): return try decode(data)
            case .failure(let failure): throw TerminalError(failure)
            default: throw InvocationFailure.internal("expected a state value, got \(value)")
            }
        }.value
    }

    /// The names of all state keys that are set.
    public func stateKeys() async throws -> [String] {
        try ensureOutsideRun()
        let handle = try invocation.machineCall { try $0.getStateKeys() }
        return try await DurableFuture<[String]>(invocation: invocation, handle: handle) { value in
            guard case .stateKeys(let keys) = value else {
                throw InvocationFailure.internal("expected state keys, got \(value)")
            }
            return keys
        }.value
    }
}

extension StateWritingContext {
    /// Sets a state value, encoded with the key's serde.
    public func set<Value>(_ key: StateKey<Value>, _ value: Value) throws {
        try set(key.name, data: try key.serde.encode(value))
    }

    /// Sets a state value by name.
    public func set<Value: Encodable>(_ name: String, _ value: Value) throws {
        try set(name, data: try JSONCoding.encode(value))
    }

    private func set(_ name: String, data: Data) throws {
        try ensureOutsideRun()
        try invocation.machineCall { try $0.setState(key: name, value: data) }
    }

    /// Removes a state value.
    public func clear<Value>(_ key: StateKey<Value>) throws {
        try clear(key.name)
    }

    /// Removes a state value by name.
    public func clear(_ name: String) throws {
        try ensureOutsideRun()
        try invocation.machineCall { try $0.clearState(key: name) }
    }

    /// Removes all state of this object or workflow.
    public func clearAll() throws {
        try ensureOutsideRun()
        try invocation.machineCall { try $0.clearAllState() }
    }
}

// MARK: - Promises

extension PromiseContext {
    /// The workflow's durable promise with this name.
    ///
    /// ```swift
    /// let clicked: String = try await ctx.promise("email.clicked").value
    /// ```
    public func promise<T: Codable & Sendable>(_ name: String, of type: T.Type = T.self) -> DurablePromise<T> {
        DurablePromise(invocation: invocation, name: name, serde: JSONSerde<T>())
    }

    /// The workflow's durable promise with this name, its value encoded by `serde` instead of JSON.
    public func promise<S: Serde>(_ name: String, serde: S) -> DurablePromise<S.Value> where S.Value: Sendable {
        DurablePromise(invocation: invocation, name: name, serde: serde)
    }
}

/// A durable promise of a workflow: `run` awaits it, shared handlers resolve or reject it, and it
/// lives as long as the workflow's retention.
public struct DurablePromise<Value: Sendable>: Sendable {
    let invocation: Invocation
    /// The promise's name.
    public let name: String
    let serde: any Serde<Value>

    /// Waits until the promise is resolved or rejected.
    public var value: Value {
        get async throws { try await future().value }
    }

    /// A future of the promise, to combine with others (e.g. a timeout).
    public func future() throws -> DurableFuture<Value> {
        if RunContext.isInsideRun { throw RunContext.misuse }
        let handle = try invocation.machineCall { try $0.getPromise(key: name) }
        let serde = self.serde
        return DurableFuture(invocation: invocation, handle: handle) { try $0.decoded(with: serde) }
    }

    /// The value if the promise is already resolved, `nil` if not yet; throws if it was rejected.
    public func peek() async throws -> Value? {
        if RunContext.isInsideRun { throw RunContext.misuse }
        let handle = try invocation.machineCall { try $0.peekPromise(key: name) }
        let serde = self.serde
        return try await DurableFuture<Value?>(invocation: invocation, handle: handle) { value in
            if case .void = value { return nil }
            return try value.decoded(with: serde)
        }.value
    }

    /// Resolves the promise.
    ///
    /// - Throws: a ``TerminalError`` (409) if it was already completed.
    public func resolve(_ value: Value) async throws {
        if RunContext.isInsideRun { throw RunContext.misuse }
        let data = try serde.encode(value)
        let handle = try invocation.machineCall { try $0.completePromise(key: name, result: .success(data)) }
        try await DurableFuture<Void>(invocation: invocation, handle: handle) { try $0.checkSuccess() }.value
    }

    /// Rejects the promise: its waiters get a ``TerminalError``.
    public func reject(_ reason: String, code: UInt16 = 500) async throws {
        if RunContext.isInsideRun { throw RunContext.misuse }
        let failure = Failure(code: code, message: reason)
        let handle = try invocation.machineCall { try $0.completePromise(key: name, result: .failure(failure)) }
        try await DurableFuture<Void>(invocation: invocation, handle: handle) { try $0.checkSuccess() }.value
    }
}

/// Encodes as nothing: the payload of handlers and runs without a result.
struct Empty: Codable, Sendable {}

extension NotificationValue {
    func invocationID() throws -> String {
        guard case .invocationID(let id) = self else {
            throw InvocationFailure.internal("expected an invocation id, got \(self)")
        }
        return id
    }
}
