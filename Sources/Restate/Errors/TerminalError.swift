/// An error that ends an invocation for good: Restate does not retry it.
///
/// Throw it from a handler (or from a `ctx.run` closure) when retrying cannot help, e.g. invalid
/// input or a business rule that says no. The caller receives the code, message and metadata.
/// Any other error thrown by a handler is treated as transient and the invocation is retried.
///
/// ```swift
/// guard amount > 0 else { throw TerminalError("amount must be positive", code: 400) }
/// ```
public struct TerminalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An HTTP-like status code; 500 unless given.
    public var code: UInt16
    /// A human-readable message.
    public var message: String
    /// Key/value details the caller can read (service protocol V6 and later).
    public var metadata: [String: String]

    /// Creates a terminal error.
    public init(_ message: String, code: UInt16 = 500, metadata: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.metadata = metadata
    }

    /// The error surfaced to a handler when its invocation is cancelled: code 409, message
    /// `cancelled`. Catch it to run compensations; rethrow it (or let it escape) to finish the
    /// cancellation.
    public static let cancelled = TerminalError("cancelled", code: 409)

    /// Whether this is the cancellation error (code 409).
    public var isCancellation: Bool { code == 409 }

    public var description: String { "TerminalError(\(code)): \(message)" }
}

/// An error that asks Restate to retry the invocation, optionally after a given delay.
///
/// Every error that is not a ``TerminalError`` is retried; throw this one when you want to set the
/// delay of the next retry yourself, e.g. from a `Retry-After` header.
public struct RetryableError: Error, Sendable, CustomStringConvertible {
    /// A human-readable message.
    public var message: String
    /// The code reported to Restate; 500 unless given.
    public var code: UInt16
    /// Overrides the delay before the next attempt.
    public var retryAfter: Duration?

    public init(_ message: String, code: UInt16 = 500, retryAfter: Duration? = nil) {
        self.message = message
        self.code = code
        self.retryAfter = retryAfter
    }

    public var description: String { "RetryableError(\(code)): \(message)" }
}

extension TerminalError {
    /// Whether this is the terminal form of a ``TimeoutError`` (code 408).
    public var isTimeout: Bool { code == 408 }
}

/// Thrown by a future made with ``DurableFuture/timeout(after:)`` when its durable timer fires
/// before the result arrives.
///
/// It is not a ``TerminalError`` (Swift errors have no subtypes), but it stands for one: left
/// uncaught, the invocation fails for good with code 408, as with the TypeScript SDK's
/// `TimeoutError`. Catch it to fall back:
///
/// ```swift
/// do {
///     return try await payment.timeout(after: .seconds(30)).value
/// } catch is TimeoutError {
///     try await refund()
/// }
/// ```
///
/// Where results are typed `Result<_, TerminalError>` (``DurableFuture/settled(_:)``,
/// ``DurableFuture/asResult()``), a timeout appears as its ``terminalError``. The older
/// ``DurableFuture/value(timeout:)`` throws that ``TerminalError`` (408) directly.
public struct TimeoutError: Error, Sendable, Hashable, CustomStringConvertible, TerminalErrorConvertible {
    /// How long the future was given.
    public var timeout: Duration

    public init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Code 408 and the message `Timed out after <timeout>`.
    public var terminalError: TerminalError { TerminalError("Timed out after \(timeout)", code: 408) }

    public var description: String { "TimeoutError: timed out after \(timeout)" }
}

/// Thrown by ``DurableFuture/firstSucceeded(_:)`` when every future failed: the failures, in the
/// order of the futures.
///
/// Left uncaught, the invocation fails for good: with the failures' code when they all share one,
/// 500 otherwise, and a message listing them.
public struct AllFailedError: Error, Sendable, Hashable, CustomStringConvertible, TerminalErrorConvertible {
    /// One failure per future, in the order the futures were given.
    public var errors: [TerminalError]

    public init(errors: [TerminalError]) {
        self.errors = errors
    }

    public var terminalError: TerminalError {
        let codes = Set(errors.map(\.code))
        let code = codes.count == 1 ? codes.first! : 500
        return TerminalError(
            "All \(errors.count) futures failed: " + errors.map { "\($0.code) \($0.message)" }.joined(separator: "; "),
            code: code
        )
    }

    public var description: String { "AllFailedError(\(errors.map(\.description).joined(separator: ", ")))" }
}
