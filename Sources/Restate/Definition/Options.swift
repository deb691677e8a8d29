/// What Restate does when an invocation exhausts its retry policy.
public enum OnMaxAttempts: String, Sendable, Hashable {
    /// Park the invocation as paused until an operator resumes it.
    case pause = "PAUSE"
    /// Fail the invocation.
    case kill = "KILL"
}

/// The retry policy Restate applies to failed invocation attempts (manifest v4).
public struct InvocationRetryPolicy: Sendable, Hashable {
    public var initialInterval: Duration?
    public var exponentiationFactor: Double?
    public var maxInterval: Duration?
    /// Maximum number of attempts, including the first one.
    public var maxAttempts: Int?
    public var onMaxAttempts: OnMaxAttempts?

    public init(
        initialInterval: Duration? = nil,
        exponentiationFactor: Double? = nil,
        maxInterval: Duration? = nil,
        maxAttempts: Int? = nil,
        onMaxAttempts: OnMaxAttempts? = nil
    ) {
        self.initialInterval = initialInterval
        self.exponentiationFactor = exponentiationFactor
        self.maxInterval = maxInterval
        self.maxAttempts = maxAttempts
        self.onMaxAttempts = onMaxAttempts
    }
}

/// Options of a service, sent to Restate at discovery. `nil` leaves Restate's default.
public struct ServiceOptions: Sendable, Hashable {
    /// Human-readable description shown in Restate's UI and OpenAPI.
    public var documentation: String?
    public var metadata: [String: String]
    /// How long Restate waits for the endpoint to make progress before suspending an attempt.
    public var inactivityTimeout: Duration?
    /// How long Restate waits, after the inactivity timeout, before aborting an attempt.
    public var abortTimeout: Duration?
    public var journalRetention: Duration?
    public var idempotencyRetention: Duration?
    /// Ask Restate not to send state with each invocation; reads fetch it one key at a time.
    public var enableLazyState: Bool?
    /// Only other handlers may call this service, not the ingress.
    public var ingressPrivate: Bool?
    public var retryPolicy: InvocationRetryPolicy?

    public init(
        documentation: String? = nil,
        metadata: [String: String] = [:],
        inactivityTimeout: Duration? = nil,
        abortTimeout: Duration? = nil,
        journalRetention: Duration? = nil,
        idempotencyRetention: Duration? = nil,
        enableLazyState: Bool? = nil,
        ingressPrivate: Bool? = nil,
        retryPolicy: InvocationRetryPolicy? = nil
    ) {
        self.documentation = documentation
        self.metadata = metadata
        self.inactivityTimeout = inactivityTimeout
        self.abortTimeout = abortTimeout
        self.journalRetention = journalRetention
        self.idempotencyRetention = idempotencyRetention
        self.enableLazyState = enableLazyState
        self.ingressPrivate = ingressPrivate
        self.retryPolicy = retryPolicy
    }
}

/// Options of one handler, sent to Restate at discovery. `nil` inherits the service's option.
public struct HandlerOptions: Sendable, Hashable {
    public var documentation: String?
    public var metadata: [String: String]
    public var inactivityTimeout: Duration?
    public var abortTimeout: Duration?
    public var journalRetention: Duration?
    /// Not allowed on a workflow's `run` handler.
    public var idempotencyRetention: Duration?
    /// How long a workflow's state, promises and output are kept after `run` finishes; only on
    /// the `run` handler. Restate's default is 24 hours.
    public var workflowRetention: Duration?
    public var enableLazyState: Bool?
    public var ingressPrivate: Bool?
    public var retryPolicy: InvocationRetryPolicy?

    public init(
        documentation: String? = nil,
        metadata: [String: String] = [:],
        inactivityTimeout: Duration? = nil,
        abortTimeout: Duration? = nil,
        journalRetention: Duration? = nil,
        idempotencyRetention: Duration? = nil,
        workflowRetention: Duration? = nil,
        enableLazyState: Bool? = nil,
        ingressPrivate: Bool? = nil,
        retryPolicy: InvocationRetryPolicy? = nil
    ) {
        self.documentation = documentation
        self.metadata = metadata
        self.inactivityTimeout = inactivityTimeout
        self.abortTimeout = abortTimeout
        self.journalRetention = journalRetention
        self.idempotencyRetention = idempotencyRetention
        self.workflowRetention = workflowRetention
        self.enableLazyState = enableLazyState
        self.ingressPrivate = ingressPrivate
        self.retryPolicy = retryPolicy
    }
}
