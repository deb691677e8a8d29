import Foundation
import Restate
import RestateCore

extension TestRuntime {
    /// Settings of a ``TestRuntime``.
    ///
    /// The defaults suit unit tests: a virtual clock that skips idle waits, the endpoint driven
    /// in-process, request/response invocations, bounded retries.
    ///
    /// ```swift
    /// var configuration = TestRuntime.Configuration()
    /// configuration.alwaysReplay = true  // catch non-deterministic handlers
    /// let runtime = try await TestRuntime.start(endpoint, configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// The clock that timers (sleeps, delayed sends, retry backoff, retention) run on.
        public var clock: ClockMode
        /// How the runtime reaches the endpoint.
        public var transport: TransportMode
        /// The service protocol version the runtime speaks (the endpoint accepts V5–V7).
        public var protocolVersion: ProtocolVersion
        /// Whether an attempt keeps its request stream open (bidirectional streaming) or closes
        /// it right after the journal (request/response).
        public var invocationMode: InvocationMode
        /// Forces a suspension after every new command: the attempt is stopped and the next one
        /// replays the whole journal. A handler that does not take the same path on replay fails
        /// with a journal mismatch (570) and, when retries run out, the invocation fails with it.
        public var alwaysReplay: Bool
        /// The retry policy for failed attempts when the service or handler does not set one.
        ///
        /// Unlike Restate's default (70 attempts, then pause), the default here gives up after 10
        /// attempts and fails the invocation, so that a broken handler fails a test instead of
        /// hanging it. Services and handlers that set `onMaxAttempts: .pause` are paused (see
        /// ``TestRuntime/resume(invocationID:)``).
        public var retryPolicy: InvocationRetryPolicy
        /// How long a workflow's state, promises and output are kept after `run` ends, unless the
        /// `run` handler sets `workflowRetention`. Restate's default is 24 hours.
        public var workflowRetention: Duration
        /// How long the result of an invocation with an idempotency key is kept.
        public var idempotencyRetention: Duration
        /// How long an attempt whose request stream is open (bidirectional mode) may go without
        /// a frame either way before the runtime closes the stream so that the handler suspends,
        /// unless the service or handler sets `inactivityTimeout`. Restate's default is 1 minute;
        /// zero means request/response.
        ///
        /// Like the abort timeout, it runs on real time in every clock mode: it guards the
        /// endpoint process, not the handler's durable time.
        public var inactivityTimeout: Duration
        /// How long an attempt whose request stream is closed may go without a frame from the
        /// endpoint before the runtime aborts it and retries, unless the service or handler sets
        /// `abortTimeout`. Restate's default is 10 minutes.
        public var abortTimeout: Duration
        /// The port of the ingress HTTP API (`nil`: no ingress server; `0`: any free port).
        public var ingressPort: Int?
        /// The address the ingress and admin API bind to.
        public var ingressHost: String
        /// The port of the admin API (Restate's is 9070; `nil`: none; `0`: any free port).
        public var adminPort: Int?

        public init(
            clock: ClockMode = .virtual(autoAdvance: true),
            transport: TransportMode = .inProcess,
            protocolVersion: ProtocolVersion = .v6,
            invocationMode: InvocationMode = .requestResponse,
            alwaysReplay: Bool = false,
            retryPolicy: InvocationRetryPolicy = .init(
                initialInterval: .milliseconds(50),
                exponentiationFactor: 2,
                maxInterval: .seconds(10),
                maxAttempts: 10,
                onMaxAttempts: .kill
            ),
            workflowRetention: Duration = .seconds(24 * 3600),
            idempotencyRetention: Duration = .seconds(24 * 3600),
            inactivityTimeout: Duration = .seconds(60),
            abortTimeout: Duration = .seconds(600),
            ingressPort: Int? = nil,
            ingressHost: String = "127.0.0.1",
            adminPort: Int? = nil
        ) {
            self.clock = clock
            self.transport = transport
            self.protocolVersion = protocolVersion
            self.invocationMode = invocationMode
            self.alwaysReplay = alwaysReplay
            self.retryPolicy = retryPolicy
            self.workflowRetention = workflowRetention
            self.idempotencyRetention = idempotencyRetention
            self.inactivityTimeout = inactivityTimeout
            self.abortTimeout = abortTimeout
            self.ingressPort = ingressPort
            self.ingressHost = ingressHost
            self.adminPort = adminPort
        }

        /// For local development: wall-clock time, the endpoint over real HTTP/2, the ingress on
        /// `port` (Restate's default is 8080) so that `curl` works, the admin API on `adminPort`
        /// (Restate's 9070), and Restate's own default retry policy: 500 ms doubling up to 60 s,
        /// 70 attempts, then the invocation is paused (resume it with
        /// `PATCH /invocations/{id}/resume` on the admin API).
        public static func development(ingressPort port: Int = 8080, adminPort: Int? = 9070) -> Configuration {
            Configuration(
                clock: .wallClock,
                transport: .http2,
                retryPolicy: .init(
                    initialInterval: .milliseconds(500),
                    exponentiationFactor: 2,
                    maxInterval: .seconds(60),
                    maxAttempts: 70,
                    onMaxAttempts: .pause
                ),
                ingressPort: port,
                adminPort: adminPort
            )
        }
    }

    /// Where time comes from.
    public enum ClockMode: Sendable, Hashable {
        /// A virtual clock that starts at the current wall-clock time and moves only with
        /// ``TestRuntime/advance(by:)``, or, with `autoAdvance`, by itself: when no attempt is
        /// running and someone is waiting for a result, it jumps to the next timer. A one-day
        /// sleep then takes milliseconds.
        case virtual(autoAdvance: Bool)
        /// Real time: timers fire when they are due.
        case wallClock
    }

    /// How the runtime reaches the endpoint.
    public enum TransportMode: Sendable, Hashable {
        /// Calls the endpoint's request handler in this process, without sockets.
        case inProcess
        /// Serves the endpoint on a loopback port and talks to it over HTTP/2 (h2c), as Restate
        /// does.
        case http2
    }

    /// How invocation streams are used.
    public enum InvocationMode: Sendable, Hashable {
        /// The request body ends after the journal; an await that is not yet complete suspends
        /// the attempt and the runtime resumes it with a new one. Like Restate over HTTP/1.1.
        case requestResponse
        /// The request stays open: completions and run acks are pushed while the handler runs.
        /// The runtime closes it (so the handler suspends) when the handler reports that it is
        /// blocked (`AwaitingOnMessage`, protocol V7); on V5/V6 this falls back to
        /// request/response, because the runtime cannot tell when the handler is blocked.
        case bidiStream
    }
}

/// An error of the test runtime itself (not of a handler): unknown targets, results not ready,
/// malformed requests. `status` is the HTTP status Restate's ingress would answer.
public struct TestRuntimeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status code, e.g. 404 for an unknown service, 470 for a result not ready yet.
    public var status: Int
    public var message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "TestRuntimeError(\(status)): \(message)" }
}

/// The result of an invocation: the handler's output bytes, or its terminal failure.
public enum InvocationOutcome: Sendable, Hashable {
    case success(Data)
    /// A terminal failure. `metadata` is what the handler attached to its `TerminalError`
    /// (service protocol V6 and later); callers and attachers receive it unchanged.
    case failure(code: UInt16, message: String, metadata: [String: String] = [:])

    /// The output, or the failure as a `TerminalError`.
    public func get() throws -> Data {
        switch self {
        case .success(let data): return data
        case .failure(let code, let message, let metadata): throw TerminalError(message, code: code, metadata: metadata)
        }
    }
}

/// The answer to a one-way send or a workflow submission.
public struct SendReceipt: Sendable, Hashable {
    /// The invocation id (`inv_…`).
    public var invocationID: String
    /// `true` when an idempotency key or the workflow ID matched an earlier invocation, which
    /// was attached to instead of starting a new one.
    public var previouslyAccepted: Bool
}
