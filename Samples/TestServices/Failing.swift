import Restate
import Synchronization

/// `Failing` (virtual object): terminal and retryable failures of handlers and runs (UserErrors,
/// RunRetry tests), plus the `failRetryably` protocol fixture.
struct Failing: RestateService, DefaultInitializable {
    /// The terminal error to throw.
    struct FailureToPropagate: Codable, Sendable, Hashable {
        var errorMessage: String
        var metadata: [String: String]?

        var error: TerminalError { TerminalError(errorMessage, metadata: metadata ?? [:]) }
    }

    /// Attempt counters that outlive invocations: in process memory, per counter and object key.
    ///
    /// The contract only asks for process-wide counters; keying them by object also keeps
    /// concurrent tests (which use distinct keys) from inflating each other's counts.
    enum Attempts {
        private static let counts = Mutex<[String: Int]>([:])

        /// Adds one and returns the new count.
        static func increment(_ counter: String, key: String) -> Int {
            counts.withLock { counts in
                counts["\(counter)/\(key)", default: 0] += 1
                return counts["\(counter)/\(key)"]!
            }
        }

        static func count(_ counter: String, key: String) -> Int {
            counts.withLock { $0["\(counter)/\(key)"] ?? 0 }
        }

        static func reset(_ counter: String, key: String) {
            counts.withLock { $0["\(counter)/\(key)"] = nil }
        }
    }

    /// The retry policy of the failing runs: a short fixed interval, so retries are quick.
    static func runRetryPolicy(maxAttempts: Int?) -> RunRetryPolicy {
        RunRetryPolicy(initialInterval: .milliseconds(10), factor: 1, maxAttempts: maxAttempts)
    }

    static var restateDescriptor: ServiceDescriptor<Failing> {
        ServiceDescriptor(
            name: "Failing",
            kind: .virtualObject,
            handlers: [
                .handler("terminallyFailingCall") { (_: Failing, _: ObjectContext, failure: FailureToPropagate) in
                    throw failure.error
                },
                // The callee's terminal error (message and metadata) surfaces from the call and
                // escapes this handler unchanged.
                .handler("callTerminallyFailingCall") {
                    (_: Failing, ctx: ObjectContext, failure: FailureToPropagate) -> String in
                    try await ctx.call(
                        .object(
                            "Failing",
                            key: ctx.random.uuid().uuidString.lowercased(),
                            handler: "terminallyFailingCall"
                        ),
                        input: failure,
                        returning: Void.self
                    ).value
                    throw TerminalError("This should be unreachable: the call should have failed")
                },
                // Retried by Restate until the fourth attempt (the test expects exactly 4).
                .handler("failingCallWithEventualSuccess") { (_: Failing, ctx: ObjectContext) -> Int in
                    let attempt = Attempts.increment("eventual-success", key: ctx.key)
                    guard attempt >= 4 else { throw RetryableError("Failed at attempt: \(attempt)") }
                    Attempts.reset("eventual-success", key: ctx.key)
                    return attempt
                },
                // The run's terminal error is journaled as its result and becomes the handler's.
                .handler("terminallyFailingSideEffect") {
                    (_: Failing, ctx: ObjectContext, failure: FailureToPropagate) in
                    try await ctx.run("terminally-failing-side-effect") { () async throws -> Void in
                        throw failure.error
                    }
                    throw TerminalError("This should be unreachable: the run should have failed")
                },
                .handler("sideEffectSucceedsAfterGivenAttempts") {
                    (_: Failing, ctx: ObjectContext, minimumAttempts: Int) -> Int in
                    let key = ctx.key
                    return try await ctx.run("failing_side_effect", retryPolicy: runRetryPolicy(maxAttempts: nil)) {
                        let attempt = Attempts.increment("side-effect-success", key: key)
                        guard attempt >= minimumAttempts else {
                            throw RetryableError("Failed at attempt: \(attempt)")
                        }
                        return attempt
                    }
                },
                // Exhausting the run's retry policy turns its last error into a terminal failure
                // of the run, which the handler catches.
                .handler("sideEffectFailsAfterGivenAttempts") {
                    (_: Failing, ctx: ObjectContext, retryPolicyMaxRetryCount: Int) -> Int in
                    let key = ctx.key
                    do {
                        try await ctx.run(
                            "failing_side_effect",
                            retryPolicy: runRetryPolicy(maxAttempts: retryPolicyMaxRetryCount)
                        ) { () async throws -> Void in
                            let attempt = Attempts.increment("side-effect-failure", key: key)
                            throw RetryableError("Failed at attempt: \(attempt)")
                        }
                    } catch is TerminalError {
                        return Attempts.count("side-effect-failure", key: key)
                    }
                    throw TerminalError("Expecting the side effect to fail!")
                },
                // Protocol fixture: a retryable (non-terminal) failure with the given message.
                .handler("failRetryably") { (_: Failing, _: ObjectContext, message: String) in
                    throw RetryableError(message)
                },
            ]
        )
    }
}
