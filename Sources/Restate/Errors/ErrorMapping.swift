/// An error that stands for a ``TerminalError``: when it escapes a handler or a `ctx.run` closure,
/// Restate sees the terminal error instead, so the invocation (or the run) fails for good instead
/// of being retried.
///
/// Adopt it in your domain errors to keep throwing them as they are:
///
/// ```swift
/// enum PaymentError: Error, TerminalErrorConvertible {
///     case declined(reason: String)
///     case unknownAccount
///
///     var terminalError: TerminalError {
///         switch self {
///         case .declined(let reason): TerminalError("declined: \(reason)", code: 402)
///         case .unknownAccount: TerminalError("unknown account", code: 404)
///         }
///     }
/// }
/// ```
///
/// Inside a handler, such an error can still be caught as itself; the conversion happens only where
/// it leaves user code. ``TimeoutError`` and ``AllFailedError`` adopt it.
public protocol TerminalErrorConvertible: Error {
    /// The terminal error Restate records in place of this one.
    var terminalError: TerminalError { get }
}

/// A service that decides which errors its handlers throw are terminal, for errors whose types you
/// do not own (a database driver's, an HTTP client's).
///
/// Conform the service type; the hook sees every error that escapes one of its handlers or a
/// `ctx.run` closure of its handlers, except ``TerminalError``s, errors that adopt
/// ``TerminalErrorConvertible`` (they are converted first) and the SDK's own control-flow errors.
/// Return `nil` to let Restate retry.
///
/// ```swift
/// extension AccountService: TerminalErrorMapping {
///     static func terminalError(for error: any Error) -> TerminalError? {
///         if let error = error as? ValidationError { return TerminalError(error.message, code: 400) }
///         return nil
///     }
/// }
/// ```
public protocol TerminalErrorMapping {
    /// The terminal error to record for `error`, or `nil` to treat it as retryable.
    static func terminalError(for error: any Error) -> TerminalError?
}

/// Turns user errors into terminal errors where they leave user code.
enum ErrorMapping {
    /// The mapping of the service whose handler is running, so that `ctx.run` closures, which run in
    /// child tasks of the handler, apply it too.
    @TaskLocal static var serviceMapping: (@Sendable (any Error) -> TerminalError?)?

    /// `error` as the terminal error it stands for, or `nil` when it is retryable (or a control-flow
    /// error of the SDK, which must pass unchanged).
    static func terminalError(
        for error: any Error,
        mapping: (@Sendable (any Error) -> TerminalError?)? = ErrorMapping.serviceMapping
    ) -> TerminalError? {
        switch error {
        case let error as TerminalError: return error
        case let error as any TerminalErrorConvertible: return error.terminalError
        case is Suspended, is InvocationAttemptError, is RetryableError, is CancellationError: return nil
        default: return mapping?(error)
        }
    }

    /// The mapping `Instance` declares by conforming to ``TerminalErrorMapping``, if it does.
    static func mapping<Instance>(of type: Instance.Type) -> (@Sendable (any Error) -> TerminalError?)? {
        guard let mapping = type as? any TerminalErrorMapping.Type else { return nil }
        let box = MappingType(type: mapping)
        return { box.type.terminalError(for: $0) }
    }

    /// A metatype is immutable, and the conformance is an ordinary (not actor-isolated) one, so
    /// calling the static requirement from any task is safe; Swift 6.1 has no `SendableMetatype`
    /// to say so.
    private struct MappingType: @unchecked Sendable {
        let type: any TerminalErrorMapping.Type
    }

    /// Runs a handler body with `mapping` in effect, and rethrows a convertible or mapped error as
    /// its ``TerminalError``.
    static func run<R>(
        mapping: (@Sendable (any Error) -> TerminalError?)?,
        _ body: () async throws -> R
    ) async throws -> R {
        do {
            // Without a mapping there is nothing for `ctx.run` closures to inherit.
            guard let mapping else { return try await body() }
            return try await $serviceMapping.withValue(mapping) { try await body() }
        } catch {
            if error is TerminalError { throw error }
            if let terminal = terminalError(for: error, mapping: mapping) { throw terminal }
            throw error
        }
    }
}
