import Foundation
import RestateCore

/// A service type with a typed client: what `@Service`, `@VirtualObject` and `@Workflow`
/// generate a nested `Client` for.
public protocol ClientProviding {
    /// The typed client: one method per handler, returning the future of its response, and a
    /// `send` view for one-way messages.
    associatedtype Client: Sendable
}

/// A service whose typed client needs no key. `@Service` conforms the type.
public protocol ServiceClientProviding: ClientProviding {
    /// The client for calls made from `context`.
    static func client(for context: any ContextProtocol) -> Client
}

/// A virtual object whose typed client addresses one key. `@VirtualObject` conforms the type.
public protocol ObjectClientProviding: ClientProviding {
    /// The client of the object `key`, for calls made from `context`.
    static func client(for context: any ContextProtocol, key: String) -> Client
}

/// A workflow whose typed client addresses one workflow ID. `@Workflow` conforms the type.
public protocol WorkflowClientProviding: ClientProviding {
    /// The client of the workflow `id`, for calls made from `context`.
    static func client(for context: any ContextProtocol, id: String) -> Client
}

extension ContextProtocol {
    /// The typed client of a service.
    ///
    /// ```swift
    /// let greeting = try await ctx.serviceClient(Greeter.self).greet("Ada").value
    /// try ctx.serviceClient(Greeter.self).send.greet("Bob", delay: .seconds(60))
    /// ```
    public func serviceClient<S: ServiceClientProviding>(_ service: S.Type) -> S.Client {
        S.client(for: self)
    }

    /// The typed client of one virtual object.
    ///
    /// ```swift
    /// let total = try await ctx.objectClient(Counter.self, key: "hits").add(1).value
    /// ```
    public func objectClient<S: ObjectClientProviding>(_ object: S.Type, key: String) -> S.Client {
        S.client(for: self, key: key)
    }

    /// The typed client of one workflow.
    ///
    /// ```swift
    /// try ctx.workflowClient(SignupWorkflow.self, id: userID).send.run(email)
    /// let status = try await ctx.workflowClient(SignupWorkflow.self, id: userID).getStatus().value
    /// ```
    public func workflowClient<S: WorkflowClientProviding>(_ workflow: S.Type, id: String) -> S.Client {
        S.client(for: self, id: id)
    }

    // MARK: Calls of handlers without input or output

    /// Calls a handler that takes no input; the request body is empty.
    public func call<Output: Decodable & Sendable>(
        _ target: Target,
        returning: Output.Type = Output.self,
        options: CallOptions = .init()
    ) throws -> CallFuture<Output> {
        try call(target, parameter: Data(), options: options) { try $0.decoded(as: Output.self) }
    }

    /// Calls a handler that returns nothing; the future completes when it has finished.
    public func call<Input: Encodable>(
        _ target: Target,
        input: Input,
        returning: Void.Type,
        options: CallOptions = .init()
    ) throws -> CallFuture<Void> {
        try call(target, parameter: try JSONCoding.encode(input), options: options) { try $0.checkSuccess() }
    }

    /// Calls a handler that takes no input and returns nothing.
    public func call(
        _ target: Target,
        returning: Void.Type,
        options: CallOptions = .init()
    ) throws -> CallFuture<Void> {
        try call(target, parameter: Data(), options: options) { try $0.checkSuccess() }
    }

    /// Sends a one-way message to a handler that takes no input; the request body is empty.
    @discardableResult
    public func send(_ target: Target, delay: Duration? = nil, options: CallOptions = .init()) throws
        -> InvocationHandle
    {
        try send(target, parameter: Data(), delay: delay, options: options)
    }

    // MARK: Calls with serdes

    /// Calls a handler whose input and output are encoded by the given serdes; what the typed
    /// clients of handlers with `@Handler(inputSerde:outputSerde:)` use.
    public func call<InputSerde: Serde, OutputSerde: Serde>(
        _ target: Target,
        input: InputSerde.Value,
        inputSerde: InputSerde,
        outputSerde: OutputSerde,
        options: CallOptions = .init()
    ) throws -> CallFuture<OutputSerde.Value> where OutputSerde.Value: Sendable {
        try call(target, parameter: try inputSerde.encode(input), options: options) {
            try $0.decoded(with: outputSerde)
        }
    }

    /// Calls a handler whose input is encoded by `inputSerde` and that returns nothing.
    public func call<InputSerde: Serde>(
        _ target: Target,
        input: InputSerde.Value,
        inputSerde: InputSerde,
        returning: Void.Type,
        options: CallOptions = .init()
    ) throws -> CallFuture<Void> {
        try call(target, parameter: try inputSerde.encode(input), options: options) { try $0.checkSuccess() }
    }

    /// Calls a handler that takes no input and whose output is decoded by `outputSerde`.
    public func call<OutputSerde: Serde>(
        _ target: Target,
        outputSerde: OutputSerde,
        options: CallOptions = .init()
    ) throws -> CallFuture<OutputSerde.Value> where OutputSerde.Value: Sendable {
        try call(target, parameter: Data(), options: options) { try $0.decoded(with: outputSerde) }
    }

    /// Sends a one-way message to a handler whose input is encoded by `inputSerde`.
    @discardableResult
    public func send<InputSerde: Serde>(
        _ target: Target,
        input: InputSerde.Value,
        inputSerde: InputSerde,
        delay: Duration? = nil,
        options: CallOptions = .init()
    ) throws -> InvocationHandle {
        try send(target, parameter: try inputSerde.encode(input), delay: delay, options: options)
    }

    // MARK: Raw calls

    /// Calls a handler with a request body passed through as is, without JSON encoding, and
    /// returns a future of the callee's response body, also as is.
    ///
    /// For proxies and generic clients that forward payloads they do not interpret. An empty
    /// response (a handler without output) yields empty `Data`.
    ///
    /// ```swift
    /// let reply = try await ctx.call(.service("Greeter", handler: "greet"), rawInput: Data("\"Ada\"".utf8)).value
    /// ```
    public func call(_ target: Target, rawInput: Data, options: CallOptions = .init()) throws -> CallFuture<Data> {
        try call(target, parameter: rawInput, options: options) { try $0.rawBody() }
    }

    /// Sends a one-way message whose body is passed through as is, without JSON encoding.
    @discardableResult
    public func send(
        _ target: Target,
        rawInput: Data,
        delay: Duration? = nil,
        options: CallOptions = .init()
    ) throws -> InvocationHandle {
        try send(target, parameter: rawInput, delay: delay, options: options)
    }

    /// A call with an encoded parameter (empty for handlers without input) and a decoder of the
    /// response (one that accepts the empty response of handlers without output).
    func call<Output: Sendable>(
        _ target: Target,
        parameter: Data,
        options: CallOptions,
        decode: @escaping @Sendable (NotificationValue) throws -> Output
    ) throws -> CallFuture<Output> {
        try ensureOutsideRun()
        let callTarget = options.callTarget(target)
        let handles = try invocation.machineCall {
            try $0.call(callTarget, parameter: parameter, name: options.name ?? "")
        }
        return CallFuture(
            invocationID: DurableFuture(invocation: invocation, handle: handles.invocationID) { try $0.invocationID() },
            response: DurableFuture(invocation: invocation, handle: handles.result, transform: decode)
        )
    }

    /// A one-way send with an encoded parameter (empty for handlers without input).
    func send(_ target: Target, parameter: Data, delay: Duration?, options: CallOptions) throws -> InvocationHandle {
        try ensureOutsideRun()
        let callTarget = options.callTarget(target)
        let invokeTime = delay.map { Invocation.now() + $0 }
        let handle = try invocation.machineCall {
            try $0.send(callTarget, parameter: parameter, invokeTime: invokeTime, name: options.name ?? "")
        }
        return InvocationHandle(
            context: invocation,
            id: DurableFuture(invocation: invocation, handle: handle) { try $0.invocationID() }
        )
    }
}

extension NotificationValue {
    /// The raw payload of a success (empty for a void result), or throws the failure it carries.
    func rawBody() throws -> Data {
        switch self {
        case .success(let data): return data
        case .void: return Data()
        case .failure(let failure): throw TerminalError(failure)
        default: throw InvocationFailure.internal("expected a value, got \(self)")
        }
    }
}
