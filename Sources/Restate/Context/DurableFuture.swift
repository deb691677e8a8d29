import Foundation
import RestateCore

/// A result that Restate makes durable: a timer, a call, a `run`, an awakeable, a promise, a
/// signal, or a combination of them.
///
/// Creating a future journals its command right away; awaiting ``value`` blocks the handler
/// until Restate delivers the result, suspending the invocation if that takes long. Use the
/// combinators of this type (``all(_:)``, ``first(_:)``, ``withTimeout(_:)``) instead of task
/// groups or `async let`: only they are replayed deterministically.
///
/// ```swift
/// let a = ctx.runAsync("fetch a") { try await fetchA() }
/// let b = ctx.runAsync("fetch b") { try await fetchB() }
/// let (x, y) = (try await a.value, try await b.value)
/// ```
public struct DurableFuture<Value: Sendable>: Sendable {
    let invocation: Invocation
    let node: UnresolvedFuture
    let resolve: @Sendable (Invocation) throws -> Value

    init(invocation: Invocation, node: UnresolvedFuture, resolve: @escaping @Sendable (Invocation) throws -> Value) {
        self.invocation = invocation
        self.node = node
        self.resolve = resolve
    }

    init(
        invocation: Invocation,
        handle: NotificationHandle,
        transform: @escaping @Sendable (NotificationValue) throws -> Value
    ) {
        self.init(invocation: invocation, node: .single(handle)) { invocation in
            try transform(invocation.takeValue(handle))
        }
    }

    /// Waits for the result.
    ///
    /// - Throws: the ``TerminalError`` the result carries (a failed call, a rejected promise),
    ///   ``TerminalError/cancelled`` when the invocation is cancelled meanwhile, or ``Suspended``.
    public var value: Value {
        get async throws {
            try await invocation.awaitFuture(node)
            return try resolve(invocation)
        }
    }

    /// Whether the result is already there, so that ``value`` will not wait.
    public var isCompleted: Bool {
        node.handles.allSatisfy { invocation.isCompleted($0) }
    }

    /// A future whose value is this one's, transformed.
    public func map<T: Sendable>(_ transform: @escaping @Sendable (Value) throws -> T) -> DurableFuture<T> {
        let resolve = self.resolve
        return DurableFuture<T>(invocation: invocation, node: node) { try transform(resolve($0)) }
    }

    /// Waits for the value, but at most `timeout` (a durable timer).
    ///
    /// - Throws: a ``TerminalError`` with code 408 when the timer fires first.
    public func value(timeout: Duration) async throws -> Value {
        let timer = try Self.timer(invocation, timeout, name: nil)
        try await invocation.awaitFuture(.firstCompleted([node, timer]))
        if case .single(let handle) = timer, invocation.isCompleted(handle), !isCompleted {
            throw TerminalError("Timed out after \(timeout)", code: 408)
        }
        return try await value
    }

    /// Waits for all futures and returns their values in order; throws the first failure.
    public static func all(_ futures: [DurableFuture<Value>]) async throws -> [Value] {
        guard let invocation = futures.first?.invocation else { return [] }
        try await invocation.awaitFuture(.allSucceededOrFirstFailed(futures.map(\.node)))
        // Either all succeeded, or one failed while others may still be pending: take only the
        // completed ones, so a failure is thrown instead of waiting for the rest.
        var values: [Value] = []
        values.reserveCapacity(futures.count)
        for future in futures where future.isCompleted { values.append(try future.resolve(invocation)) }
        guard values.count == futures.count else {
            throw InvocationFailure.internal("an all-succeeded await returned without a failure or all values")
        }
        return values
    }

    /// Waits for the first future to complete and returns its index and value (or throws its
    /// failure).
    public static func first(_ futures: [DurableFuture<Value>]) async throws -> (index: Int, value: Value) {
        guard let invocation = futures.first?.invocation else {
            throw TerminalError("DurableFuture.first needs at least one future", code: 500)
        }
        try await invocation.awaitFuture(.firstCompleted(futures.map(\.node)))
        guard let index = futures.firstIndex(where: \.isCompleted) else {
            throw InvocationFailure.internal("no future completed after a first-completed await")
        }
        return (index, try await futures[index].value)
    }

    /// Waits until every future has completed, successfully or not, and returns their results.
    public static func settled(_ futures: [DurableFuture<Value>]) async throws -> [Result<Value, TerminalError>] {
        guard let invocation = futures.first?.invocation else { return [] }
        try await invocation.awaitFuture(.allCompleted(futures.map(\.node)))
        var results: [Result<Value, TerminalError>] = []
        for future in futures {
            do {
                results.append(.success(try await future.value))
            } catch let error as TerminalError where !error.isCancellation {
                results.append(.failure(error))
            }
        }
        return results
    }

    static func timer(_ invocation: Invocation, _ duration: Duration, name: String?) throws -> UnresolvedFuture {
        .single(
            try invocation.machineCall {
                try $0.sleep(for: duration, now: Invocation.now(), name: name ?? "")
            }
        )
    }
}

extension NotificationValue {
    /// Decodes a success payload as JSON, or throws the failure it carries.
    func decoded<T: Decodable>(as type: T.Type) throws -> T {
        switch self {
        case .success(let data): return try JSONCoding.decode(type, from: data)
        case .failure(let failure): throw TerminalError(failure)
        default: throw InvocationFailure.internal("expected a value, got \(self)")
        }
    }

    /// Succeeds for a void or value result, or throws the failure it carries.
    func checkSuccess() throws {
        if case .failure(let failure) = self { throw TerminalError(failure) }
    }
}

extension TerminalError {
    init(_ failure: Failure) {
        var metadata: [String: String] = [:]
        for entry in failure.metadata { metadata[entry.key] = entry.value }
        self.init(failure.message, code: failure.code, metadata: metadata)
    }
}
