import Foundation
import RestateCore

/// A result that Restate makes durable: a timer, a call, a `run`, an awakeable, a promise, a
/// signal, or a combination of them.
///
/// Creating a future journals its command right away; awaiting ``value`` blocks the handler
/// until Restate delivers the result, suspending the invocation if that takes long. Combine futures
/// with this type's combinators, never with task groups or `async let`: only the combinators are
/// replayed deterministically (the order in which concurrent Swift tasks observe results is not).
///
/// | Combinator | Completes when | Value | Throws |
/// |---|---|---|---|
/// | ``whenAllSucceed(_:)`` / ``all(_:)`` | all succeeded, or one failed | `[Value]` | that failure |
/// | ``whenAllComplete(_:)`` / ``settled(_:)`` | all completed | `[Result<Value, TerminalError>]` | — |
/// | ``whenAnyComplete(_:)`` / ``first(_:)`` | one completed | `(index, value)` | its failure |
/// | ``whenAnySucceed(_:)`` / ``firstSucceeded(_:)`` | one succeeded, or all failed | `(index, value)` | ``AllFailedError`` |
/// | ``ContextProtocol/select(_:)`` | one of several types completed | a tuple of optionals | its failure |
/// | ``timeout(after:)`` | the value arrived, or the timer fired | `Value` | ``TimeoutError`` |
///
/// The `when…` combinators and ``timeout(after:)`` return futures, so they nest:
///
/// ```swift
/// let a = try ctx.runAsync("fetch a") { try await fetchA() }
/// let b = try ctx.runAsync("fetch b") { try await fetchB() }
/// let both = try DurableFuture.whenAllSucceed([a, b]).timeout(after: .seconds(30))
/// let (x, y) = try await both.map { ($0[0], $0[1]) }.value
/// ```
///
/// A future may be awaited several times: its result is kept once it has arrived.
public struct DurableFuture<Value: Sendable>: Sendable {
    /// The invocation whose state machine is awaited; `nil` only for a combination of no futures,
    /// which is complete from the start.
    let invocation: Invocation?
    /// Where the future stands; takes the notifications it needs as they arrive.
    let poll: @Sendable () throws -> FutureState
    /// The value (or the failure) of a future that ``poll`` says is complete.
    let resolve: @Sendable () throws -> Value

    init(
        invocation: Invocation?,
        poll: @escaping @Sendable () throws -> FutureState,
        resolve: @escaping @Sendable () throws -> Value
    ) {
        self.invocation = invocation
        self.poll = poll
        self.resolve = resolve
    }

    /// The future of one notification.
    init(
        invocation: Invocation,
        handle: NotificationHandle,
        transform: @escaping @Sendable (NotificationValue) throws -> Value
    ) {
        self.init(
            invocation: invocation,
            poll: {
                switch try invocation.peekValue(handle) {
                case nil: return .pending(.single(handle))
                case .failure?: return .failed
                default: return .succeeded
                }
            },
            resolve: { try transform(invocation.completedValue(handle)) }
        )
    }

    /// Waits for the result.
    ///
    /// - Throws: the ``TerminalError`` the result carries (a failed call, a rejected promise), the
    ///   error of a combinator (``TimeoutError``, ``AllFailedError``), ``TerminalError/cancelled``
    ///   when the invocation is cancelled meanwhile, or ``Suspended``.
    public var value: Value {
        get async throws {
            try await awaitCompletion()
            return try resolve()
        }
    }

    /// Whether the result is already there, so that ``value`` will not wait.
    public var isCompleted: Bool {
        guard let state = try? poll() else { return false }
        return !state.isPending
    }

    /// Blocks the handler until ``poll`` says the future is complete. Each round awaits only what
    /// is still pending, as the combinator it is, so that a suspension lists exactly that.
    func awaitCompletion() async throws {
        while case .pending(let remaining) = try poll() {
            guard let invocation else {
                throw InvocationFailure.internal("a future without an invocation is pending")
            }
            try await invocation.awaitFuture(remaining)
        }
    }

    // MARK: Transforming

    /// A future whose value is this one's, transformed.
    public func map<T: Sendable>(_ transform: @escaping @Sendable (Value) throws -> T) -> DurableFuture<T> {
        let resolve = self.resolve
        return DurableFuture<T>(invocation: invocation, poll: poll) { try transform(resolve()) }
    }

    /// A future whose failure is this one's, transformed (e.g. to add context or change the code).
    public func mapFailure(_ transform: @escaping @Sendable (TerminalError) -> TerminalError) -> DurableFuture<Value> {
        let resolve = self.resolve
        return DurableFuture(invocation: invocation, poll: poll) {
            do {
                return try resolve()
            } catch {
                guard let terminal = Self.terminalError(error) else { throw error }
                throw transform(terminal)
            }
        }
    }

    /// A future that succeeds with this one's outcome: its value, or its failure as a
    /// ``TerminalError`` (a ``TimeoutError`` or ``AllFailedError`` as its terminal form).
    ///
    /// Useful with ``ContextProtocol/select(_:)`` and ``whenAllSucceed(_:)``, to see which branch
    /// failed instead of having the failure thrown.
    public func asResult() -> DurableFuture<Result<Value, TerminalError>> {
        let (poll, resolve) = (self.poll, self.resolve)
        return DurableFuture<Result<Value, TerminalError>>(
            invocation: invocation,
            poll: {
                let state = try poll()
                return state.isPending ? state : .succeeded
            },
            resolve: { try Self.outcome(resolve) }
        )
    }

    // MARK: Timeouts

    /// This future, but failing with ``TimeoutError`` if its result has not arrived after
    /// `duration`.
    ///
    /// The timer is a durable sleep, journaled when this method is called (so call it where you
    /// would create the timer, not in a loop of retries); the original future stays usable, e.g.
    /// to keep waiting after the timeout.
    ///
    /// ```swift
    /// let clicked = try ctx.promise("clicked", of: String.self).future()
    /// do {
    ///     secret = try await clicked.timeout(after: .seconds(86_400)).value
    /// } catch is TimeoutError {
    ///     return false
    /// }
    /// ```
    public func timeout(after duration: Duration) throws -> DurableFuture<Value> {
        guard let invocation else { return self }
        if RunContext.isInsideRun { throw RunContext.misuse }
        let timer = DurableFuture<Void>(
            invocation: invocation,
            handle: try invocation.machineCall { try $0.sleep(for: duration, now: Invocation.now(), name: "") },
            transform: { try $0.checkSuccess() }
        )
        let (poll, resolve, timerPoll) = (self.poll, self.resolve, timer.poll)
        return DurableFuture(
            invocation: invocation,
            poll: {
                let state = try poll()
                guard case .pending(let pending) = state else { return state }
                guard case .pending(let timerPending) = try timerPoll() else { return .failed }
                return .pending(.firstCompleted([pending, timerPending]))
            },
            resolve: {
                if try poll().isPending { throw TimeoutError(timeout: duration) }
                return try resolve()
            }
        )
    }

    /// Waits for the value, but at most `timeout` (a durable timer).
    ///
    /// Kept for compatibility: it is ``timeout(after:)`` with the ``TimeoutError`` turned into its
    /// terminal form.
    ///
    /// - Throws: a ``TerminalError`` with code 408 when the timer fires first.
    public func value(timeout: Duration) async throws -> Value {
        do {
            return try await self.timeout(after: timeout).value
        } catch let error as TimeoutError {
            throw error.terminalError
        }
    }

    // MARK: Combinators returning futures

    /// A future of all values, in order, once all futures succeeded; it fails with the first failure
    /// (the lowest index among the failed futures when it is seen), without waiting for the others.
    /// Of no futures, it succeeds at once with `[]`.
    public static func whenAllSucceed(_ futures: [DurableFuture<Value>]) -> DurableFuture<[Value]> {
        DurableFuture<[Value]>(
            invocation: futures.first?.invocation,
            poll: {
                var pending: [UnresolvedFuture] = []
                for future in futures {
                    switch try future.poll() {
                    case .failed: return .failed
                    case .succeeded: continue
                    case .pending(let node): pending.append(node)
                    }
                }
                return pending.isEmpty ? .succeeded : .pending(.allSucceededOrFirstFailed(pending))
            },
            resolve: {
                for future in futures {
                    if try future.poll() == .failed { _ = try future.resolve() }
                }
                return try futures.map { try $0.resolve() }
            }
        )
    }

    /// A future of every outcome, in order, once all futures completed. Failures are collected as
    /// ``TerminalError``s, never thrown.
    public static func whenAllComplete(_ futures: [DurableFuture<Value>]) -> DurableFuture<
        [Result<Value, TerminalError>]
    > {
        DurableFuture<[Result<Value, TerminalError>]>(
            invocation: futures.first?.invocation,
            poll: {
                let pending = try futures.compactMap { future -> UnresolvedFuture? in
                    if case .pending(let node) = try future.poll() { return node }
                    return nil
                }
                return pending.isEmpty ? .succeeded : .pending(.allCompleted(pending))
            },
            resolve: { try futures.map { try outcome($0.resolve) } }
        )
    }

    /// A future of the first future to complete, successfully or not: its index and value, or its
    /// failure. When several are complete, the lowest index wins. It fails at once when there are
    /// no futures.
    public static func whenAnyComplete(_ futures: [DurableFuture<Value>]) -> DurableFuture<(index: Int, value: Value)> {
        guard let invocation = futures.first?.invocation else {
            return DurableFuture<(index: Int, value: Value)>.failed(needsOne("whenAnyComplete"))
        }
        return DurableFuture<(index: Int, value: Value)>(
            invocation: invocation,
            poll: {
                var pending: [UnresolvedFuture] = []
                for future in futures {
                    let state = try future.poll()
                    guard case .pending(let node) = state else { return state }
                    pending.append(node)
                }
                return .pending(.firstCompleted(pending))
            },
            resolve: {
                for (index, future) in futures.enumerated() {
                    if try !future.poll().isPending { return (index, try future.resolve()) }
                }
                throw InvocationFailure.internal("no future completed after a first-completed await")
            }
        )
    }

    /// A future of the first future to succeed: its index and value. It fails only when every
    /// future failed, with ``AllFailedError`` listing the failures in order (at once, for no
    /// futures).
    public static func whenAnySucceed(_ futures: [DurableFuture<Value>]) -> DurableFuture<(index: Int, value: Value)> {
        DurableFuture<(index: Int, value: Value)>(
            invocation: futures.first?.invocation,
            poll: {
                var pending: [UnresolvedFuture] = []
                for future in futures {
                    switch try future.poll() {
                    case .succeeded: return .succeeded
                    case .failed: continue
                    case .pending(let node): pending.append(node)
                    }
                }
                return pending.isEmpty ? .failed : .pending(.firstSucceededOrAllFailed(pending))
            },
            resolve: {
                for (index, future) in futures.enumerated() {
                    if try future.poll() == .succeeded { return (index, try future.resolve()) }
                }
                var errors: [TerminalError] = []
                for future in futures {
                    if case .failure(let error) = try outcome(future.resolve) { errors.append(error) }
                }
                throw AllFailedError(errors: errors)
            }
        )
    }

    // MARK: Combinators returning values

    /// Waits for all futures and returns their values in order; throws the first failure. No-op
    /// for no futures.
    public static func all(_ futures: [DurableFuture<Value>]) async throws -> [Value] {
        try await whenAllSucceed(futures).value
    }

    /// Waits for the first future to complete and returns its index and value (or throws its
    /// failure).
    ///
    /// - Throws: a ``TerminalError`` (500) for no futures.
    public static func first(_ futures: [DurableFuture<Value>]) async throws -> (index: Int, value: Value) {
        try await whenAnyComplete(futures).value
    }

    /// Waits for the first future to succeed and returns its index and value.
    ///
    /// - Throws: ``AllFailedError`` when every future failed.
    public static func firstSucceeded(_ futures: [DurableFuture<Value>]) async throws -> (index: Int, value: Value) {
        try await whenAnySucceed(futures).value
    }

    /// Waits until every future has completed, successfully or not, and returns their results.
    public static func settled(_ futures: [DurableFuture<Value>]) async throws -> [Result<Value, TerminalError>] {
        try await whenAllComplete(futures).value
    }

    // MARK: Helpers

    /// A future that has already failed with `error`.
    static func failed(_ error: some Error & Sendable) -> DurableFuture<Value> {
        DurableFuture(invocation: nil, poll: { .failed }, resolve: { throw error })
    }

    private static func needsOne(_ combinator: String) -> TerminalError {
        TerminalError("DurableFuture.\(combinator) needs at least one future", code: 500)
    }

    /// The terminal error a future's failure stands for; `nil` for errors that must propagate.
    static func terminalError(_ error: any Error) -> TerminalError? {
        ErrorMapping.terminalError(for: error, mapping: nil)
    }

    /// `resolve`'s outcome, with a terminal failure as a value.
    static func outcome<T>(_ resolve: () throws -> T) throws -> Result<T, TerminalError> {
        do {
            return .success(try resolve())
        } catch {
            guard let terminal = terminalError(error) else { throw error }
            return .failure(terminal)
        }
    }
}

/// How far a future has come, as the SDK evaluates it (the state machine evaluates the same
/// combinators; this side also knows what a timeout or a map means).
enum FutureState: Sendable, Equatable {
    /// Not complete; awaiting the tree makes progress.
    case pending(UnresolvedFuture)
    case succeeded
    case failed

    var isPending: Bool {
        if case .pending = self { return true }
        return false
    }
}

// MARK: - Select

extension ContextProtocol {
    /// Waits for the first of several futures of different types to complete, and returns which one
    /// it was: a tuple with that future's value in its position and `nil` everywhere else. When
    /// several are complete, the first in argument order wins.
    ///
    /// ```swift
    /// let clicked = try ctx.promise("clicked", of: String.self).future()
    /// let expired = try ctx.timer(for: .seconds(86_400))
    /// let (secret, _) = try await ctx.select(clicked, expired)
    /// guard let secret else { return false }  // the timer fired first
    /// ```
    ///
    /// The completed future's failure is thrown; wrap a future with ``DurableFuture/asResult()``
    /// to receive its failure in the tuple instead. The others keep running and can be awaited
    /// later. Journaled as a first-completed combinator.
    ///
    /// - Throws: the failure of the future that completed first; ``TerminalError/cancelled`` when
    ///   the invocation is cancelled meanwhile; a ``TerminalError`` (500) for no futures.
    public func select<each T: Sendable>(_ futures: repeat DurableFuture<each T>) async throws -> (repeat (each T)?) {
        var polls: [@Sendable () throws -> FutureState] = []
        for future in repeat each futures { polls.append(future.poll) }
        let probes = polls.map { poll in
            DurableFuture<Void>(invocation: invocation, poll: poll, resolve: {})
        }
        let index = try await DurableFuture<Void>.whenAnyComplete(probes).map { $0.index }.value
        var position = 0
        func pick<V: Sendable>(_ future: DurableFuture<V>) throws -> V? {
            defer { position += 1 }
            if position == index { return try future.resolve() }
            return nil
        }
        return try (repeat pick(each futures))
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

    /// Decodes a success payload with `serde`, or throws the failure it carries.
    func decoded<S: Serde>(with serde: S) throws -> S.Value {
        switch self {
        case .success(let data): return try serde.decode(data)
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
