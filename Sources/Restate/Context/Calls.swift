import Foundation
import RestateCore

/// The handler a call or send goes to.
public struct Target: Sendable, Hashable, CustomStringConvertible {
    public var service: String
    public var handler: String
    /// The object key or workflow ID; `nil` for services.
    public var key: String?

    public init(service: String, handler: String, key: String? = nil) {
        self.service = service
        self.handler = handler
        self.key = key
    }

    /// A service handler.
    public static func service(_ service: String, handler: String) -> Target {
        Target(service: service, handler: handler)
    }

    /// A virtual-object handler of one key.
    public static func object(_ object: String, key: String, handler: String) -> Target {
        Target(service: object, handler: handler, key: key)
    }

    /// A workflow handler of one workflow ID.
    public static func workflow(_ workflow: String, id: String, handler: String) -> Target {
        Target(service: workflow, handler: handler, key: id)
    }

    public var description: String {
        key.map { "\(service)/\($0)/\(handler)" } ?? "\(service)/\(handler)"
    }
}

/// Options of one call or send.
public struct CallOptions: Sendable, Hashable {
    /// Deduplicates the call: Restate runs one invocation per key and hands its result to every
    /// caller with the same key.
    public var idempotencyKey: String?
    /// Headers the callee sees in its ``Request/headers``.
    public var headers: [String: String]
    /// Flow-control scope (Restate 1.7, service protocol V7).
    public var scope: String?
    /// Flow-control limit key inside the scope (Restate 1.7, service protocol V7).
    public var limitKey: String?
    /// A label for the journal entry, shown in Restate's UI.
    public var name: String?

    public init(
        idempotencyKey: String? = nil,
        headers: [String: String] = [:],
        scope: String? = nil,
        limitKey: String? = nil,
        name: String? = nil
    ) {
        self.idempotencyKey = idempotencyKey
        self.headers = headers
        self.scope = scope
        self.limitKey = limitKey
        self.name = name
    }
}

extension CallOptions {
    func callTarget(_ target: Target) -> InvocationStateMachine.CallTarget {
        InvocationStateMachine.CallTarget(
            service: target.service,
            handler: target.handler,
            key: target.key,
            idempotencyKey: idempotencyKey,
            headers: headers.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) },
            scope: scope,
            limitKey: limitKey
        )
    }
}

/// The future of a request-response call: the callee's invocation id and its response.
public struct CallFuture<Output: Sendable>: Sendable {
    /// Completes as soon as Restate has accepted the call.
    public let invocationID: DurableFuture<String>
    /// Completes with the callee's response, or fails with its terminal error.
    public let response: DurableFuture<Output>

    /// Waits for the response.
    public var value: Output {
        get async throws { try await response.value }
    }
}

extension CallFuture {
    /// A handle to the callee's invocation: its id, and ways to cancel it or read its output.
    public var handle: InvocationHandle {
        // Both futures of a call belong to the invocation that made it.
        InvocationHandle(context: invocationID.invocation!, id: invocationID)
    }
}

/// A handle to an invocation started by a send (or a call, through ``CallFuture/handle``): its id,
/// and what can be done with it from the handler that started it.
///
/// ```swift
/// let handle = try ctx.serviceClient(Reports.self).send.build(month)
/// …
/// if let report = try await handle.output(returning: Report.self) { … }  // finished already?
/// let report = try await handle.attach(returning: Report.self)           // or wait for it
/// ```
public struct InvocationHandle: Sendable {
    let context: Invocation
    /// Completes with the new invocation's id once Restate has accepted the send.
    public let id: DurableFuture<String>

    /// Waits for the invocation to finish and returns its output (journaled as an attach).
    ///
    /// - Throws: the invocation's failure as a ``TerminalError``.
    public func attach<Output: Decodable & Sendable>(returning: Output.Type = Output.self) async throws -> Output {
        let id = try await self.id.value
        try Self.ensureOutsideRun()
        return try await context.attach(.invocation(id)) { try $0.decoded(as: Output.self) }.value
    }

    /// Waits for an invocation without output to finish (journaled as an attach).
    public func attach(returning: Void.Type) async throws {
        let id = try await self.id.value
        try Self.ensureOutsideRun()
        try await context.attach(.invocation(id)) { try $0.checkSuccess() }.value
    }

    /// The invocation's output as it is now, without waiting for it to finish: `nil` while it is
    /// still running (journaled as a get-invocation-output).
    ///
    /// - Throws: the invocation's failure as a ``TerminalError``, if it failed.
    public func output<Output: Decodable & Sendable>(returning: Output.Type = Output.self) async throws -> Output? {
        let id = try await self.id.value
        try Self.ensureOutsideRun()
        return try await context.invocationOutput(.invocation(id)) { try JSONCoding.decode(Output.self, from: $0) }
            .value
    }

    /// Cancels the invocation; its handlers see ``TerminalError/cancelled`` at their next await.
    public func cancel() async throws {
        let id = try await self.id.value
        try Self.ensureOutsideRun()
        try context.cancelInvocation(id)
    }

    private static func ensureOutsideRun() throws {
        if RunContext.isInsideRun { throw RunContext.misuse }
    }
}

/// What ``ContextProtocol/attach(_:returning:)`` and
/// ``ContextProtocol/invocationOutput(_:returning:)`` address.
public enum InvocationReference: Sendable, Hashable {
    /// An invocation by its id (`inv_…`).
    case invocation(String)
    /// The run of a workflow: the workflow's name and the workflow ID, and the flow-control scope
    /// it was started in, if any (service protocol V7).
    case workflow(String, id: String, scope: String? = nil)
    /// The invocation a call with an idempotency key started: the handler called (with its key,
    /// for virtual objects and workflows) and the idempotency key.
    case idempotentRequest(Target, idempotencyKey: String, scope: String? = nil)

    var machineTarget: InvocationStateMachine.InvocationTarget {
        switch self {
        case .invocation(let id):
            return .invocationID(id)
        case .workflow(let name, let id, let scope):
            return .workflow(name: name, key: id, scope: scope)
        case .idempotentRequest(let target, let idempotencyKey, let scope):
            return .idempotentRequest(
                service: target.service,
                key: target.key,
                handler: target.handler,
                idempotencyKey: idempotencyKey,
                scope: scope
            )
        }
    }
}

extension Invocation {
    func attach<Output: Sendable>(
        _ reference: InvocationReference,
        decode: @escaping @Sendable (NotificationValue) throws -> Output
    ) throws -> DurableFuture<Output> {
        let handle = try machineCall { try $0.attachInvocation(target: reference.machineTarget) }
        return DurableFuture(invocation: self, handle: handle, transform: decode)
    }

    /// A get-invocation-output future: `nil` for a void completion (not finished), the decoded
    /// payload for a value, the failure thrown.
    func invocationOutput<Output: Sendable>(
        _ reference: InvocationReference,
        decode: @escaping @Sendable (Data) throws -> Output
    ) throws -> DurableFuture<Output?> {
        let handle = try machineCall { try $0.getInvocationOutput(target: reference.machineTarget) }
        return DurableFuture(invocation: self, handle: handle) { value in
            switch value {
            case .void: return nil
            case .success(let data): return try decode(data)
            case .failure(let failure): throw TerminalError(failure)
            default: throw InvocationFailure.internal("expected an invocation output, got \(value)")
            }
        }
    }

    func cancelInvocation(_ invocationID: String) throws {
        try machineCall { try $0.cancelInvocation(target: invocationID) }
    }
}

/// How a `ctx.run` closure is retried when it throws an error that is not a ``TerminalError``.
///
/// Exhausting the policy turns the last error into a terminal failure of the run (journaled, so
/// the handler can catch it), unless ``onExhausted`` is ``Exhaustion/pause`` (protocol V7).
public struct RunRetryPolicy: Sendable, Hashable {
    /// What happens when the policy is exhausted.
    public enum Exhaustion: Sendable, Hashable {
        /// The run fails with a terminal error carrying the last error's message.
        case fail
        /// The invocation is paused until an operator resumes it (service protocol V7).
        case pause
    }

    public var initialInterval: Duration
    public var factor: Double
    public var maxInterval: Duration?
    /// Attempts in total, including the first one; `nil` for no limit.
    public var maxAttempts: Int?
    /// Total time spent retrying; `nil` for no limit.
    public var maxDuration: Duration?
    public var onExhausted: Exhaustion

    public init(
        initialInterval: Duration = .milliseconds(50),
        factor: Double = 2,
        maxInterval: Duration? = .seconds(10),
        maxAttempts: Int? = nil,
        maxDuration: Duration? = nil,
        onExhausted: Exhaustion = .fail
    ) {
        self.initialInterval = initialInterval
        self.factor = factor
        self.maxInterval = maxInterval
        self.maxAttempts = maxAttempts
        self.maxDuration = maxDuration
        self.onExhausted = onExhausted
    }

    /// Retries forever, with exponential backoff from 50 ms up to 10 s: Restate's default.
    public static let `default` = RunRetryPolicy()

    /// Never retries: the first error becomes the run's terminal failure.
    public static let none = RunRetryPolicy(maxAttempts: 1)

    var machinePolicy: RetryPolicy {
        .exponential(
            initialInterval: initialInterval,
            factor: factor,
            maxInterval: maxInterval,
            maxAttempts: maxAttempts.map { UInt32(clamping: $0) },
            maxDuration: maxDuration,
            onExhausted: onExhausted == .pause ? .pause : .fail
        )
    }
}
