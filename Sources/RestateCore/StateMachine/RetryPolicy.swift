/// How a `ctx.run` closure that failed with a retryable error is retried.
///
/// The state machine does not loop: a retry ends the attempt with an `ErrorMessage` carrying the
/// next delay, and the runtime replays the invocation. Attempts are counted across attempts from
/// `StartMessage.retry_count_since_last_stored_entry` (see
/// ``InvocationStateMachine/proposeRunCompletion(_:_:)``).
///
/// ```swift
/// let policy = RetryPolicy.exponential(initialInterval: .milliseconds(50), factor: 2, maxAttempts: 5)
/// ```
public struct RetryPolicy: Hashable, Sendable {
    /// What to do when the attempts or the duration are exhausted.
    public enum OnExhausted: Hashable, Sendable {
        /// Fail the run with a terminal failure carrying the last error's code and message.
        case fail
        /// Pause the invocation (protocol V7 only).
        case pause
    }

    enum Kind: Hashable, Sendable {
        case infinite
        case none
        case fixedDelay(interval: Duration?)
        case exponential(initialInterval: Duration, factor: Float, maxInterval: Duration?)
    }

    var kind: Kind
    /// Gives up after this many attempts (counting the first).
    public var maxAttempts: UInt32?
    /// Gives up once the retry loop lasted this long.
    public var maxDuration: Duration?
    /// What happens when giving up.
    public var onExhausted: OnExhausted

    /// Retries forever, letting the runtime choose the delay.
    public static let infinite = RetryPolicy(kind: .infinite, maxAttempts: nil, maxDuration: nil, onExhausted: .fail)
    /// Never retries: the first retryable failure becomes terminal.
    public static let none = RetryPolicy(kind: .none, maxAttempts: nil, maxDuration: nil, onExhausted: .fail)

    /// Retries with a fixed delay (`nil`: the runtime's delay).
    public static func fixedDelay(
        _ interval: Duration?,
        maxAttempts: UInt32? = nil,
        maxDuration: Duration? = nil,
        onExhausted: OnExhausted = .fail
    ) -> RetryPolicy {
        RetryPolicy(
            kind: .fixedDelay(interval: interval),
            maxAttempts: maxAttempts,
            maxDuration: maxDuration,
            onExhausted: onExhausted
        )
    }

    /// Retries with `min(maxInterval, initialInterval × factor^(attempt−1))`.
    public static func exponential(
        initialInterval: Duration,
        factor: Double,
        maxInterval: Duration? = nil,
        maxAttempts: UInt32? = nil,
        maxDuration: Duration? = nil,
        onExhausted: OnExhausted = .fail
    ) -> RetryPolicy {
        RetryPolicy(
            kind: .exponential(initialInterval: initialInterval, factor: Float(factor), maxInterval: maxInterval),
            maxAttempts: maxAttempts,
            maxDuration: maxDuration,
            onExhausted: onExhausted
        )
    }

    /// The decision for a failed attempt.
    public enum Decision: Hashable, Sendable {
        /// Retry after this delay (`nil`: the runtime decides).
        case retry(after: Duration?)
        /// Give up and fail the run terminally.
        case failAsTerminal
        /// Give up and pause the invocation.
        case pause
    }

    /// Decides what to do after the `retryCount`-th failed attempt (1 = the first failure), the
    /// retry loop having lasted `retryLoopDuration`.
    public func decision(retryCount: UInt32, retryLoopDuration: Duration) -> Decision {
        func exhausted() -> Bool {
            if let maxAttempts, maxAttempts <= retryCount { return true }
            if let maxDuration, maxDuration <= retryLoopDuration { return true }
            return false
        }
        switch kind {
        case .infinite:
            return .retry(after: nil)
        case .none:
            return .failAsTerminal
        case .fixedDelay(let interval):
            if exhausted() { return onExhausted == .pause ? .pause : .failAsTerminal }
            return .retry(after: interval)
        case .exponential(let initialInterval, let factor, let maxInterval):
            if exhausted() { return onExhausted == .pause ? .pause : .failAsTerminal }
            let exponent = Int32(truncatingIfNeeded: Int64(retryCount) - 1)
            let interval = RetryPolicy.scaled(initialInterval, by: RetryPolicy.powi(factor, exponent))
            if let maxInterval, maxInterval < interval { return .retry(after: maxInterval) }
            return .retry(after: interval)
        }
    }

    var pausesWhenExhausted: Bool {
        switch kind {
        case .fixedDelay, .exponential: return onExhausted == .pause
        case .infinite, .none: return false
        }
    }

    /// `f32::powi` as LLVM lowers it (`__powisf2`): square-and-multiply in single precision, so
    /// that delays match the reference bit for bit.
    static func powi(_ base: Float, _ exponent: Int32) -> Float {
        var a = base
        var b = exponent
        let reciprocal = b < 0
        var result: Float = 1
        while true {
            if b & 1 != 0 { result *= a }
            b /= 2
            if b == 0 { break }
            a *= a
        }
        return reciprocal ? 1 / result : result
    }

    /// `Duration::mul_f32` of the reference: seconds as `f32`, multiplied in `f32`, converted back
    /// rounding to the nearest nanosecond.
    static func scaled(_ duration: Duration, by factor: Float) -> Duration {
        let (seconds, attoseconds) = duration.components
        let nanos = attoseconds / 1_000_000_000
        let secondsF32 = Float(seconds) + Float(nanos) / 1_000_000_000
        let product = secondsF32 * factor
        guard product.isFinite, product >= 0 else { return product < 0 ? .zero : Duration.seconds(Int64.max) }
        let totalNanos = (Double(product) * 1_000_000_000).rounded(.toNearestOrEven)
        guard totalNanos < 9.2e18 else { return Duration.seconds(Int64.max / 1_000_000_000) }
        return .nanoseconds(Int64(totalNanos))
    }
}

extension Duration {
    /// Whole milliseconds, truncated, as the protocol's `u64` fields carry them.
    var wholeMilliseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1000 &+ UInt64(attoseconds / 1_000_000_000_000_000)
    }
}
