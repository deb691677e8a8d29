/// One service, virtual object or workflow in an ``EndpointManifest``.
///
/// ```swift
/// ServiceManifest(
///     name: "Signup",
///     kind: .workflow,
///     handlers: [
///         HandlerManifest(name: "run", kind: .workflow, workflowCompletionRetention: .seconds(86_400)),
///         HandlerManifest(name: "status", kind: .shared),
///     ],
///     documentation: "Signs up a user."
/// )
/// ```
///
/// Optional settings left `nil` keep the runtime's defaults and are not written. Durations are
/// written as whole milliseconds (anything below a millisecond is dropped).
public struct ServiceManifest: Hashable, Sendable {
    /// The service name, as used in `/invoke/{service}/{handler}`: a letter (or `_` and a letter or
    /// digit), then letters, digits, `.`, `_` and `-`.
    public var name: String
    /// Whether this is a stateless service, a virtual object or a workflow.
    public var kind: ServiceKind
    /// The handlers, in the order they are written.
    public var handlers: [HandlerManifest]
    /// Free text (usually Markdown) shown in the Restate UI (manifest v2).
    public var documentation: String?
    /// Key–value pairs shown by the admin API (manifest v2). Empty means none.
    public var metadata: [String: String]
    /// How long an invocation may go without progress before the runtime suspends it (v3).
    public var inactivityTimeout: Duration?
    /// How long after the inactivity timeout the runtime waits before aborting (v3).
    public var abortTimeout: Duration?
    /// How long the journal of a finished invocation is kept (v3).
    public var journalRetention: Duration?
    /// How long the result of an idempotent invocation is kept (v3). On a workflow it applies to
    /// the shared handlers.
    public var idempotencyRetention: Duration?
    /// Whether state is fetched on demand instead of sent with each invocation (v3).
    public var enableLazyState: Bool?
    /// Whether the service is hidden from the HTTP and Kafka ingress (v3).
    public var ingressPrivate: Bool?
    /// The retry policy for the service's invocations (v4).
    public var retryPolicy: RetryPolicyManifest?

    public init(
        name: String,
        kind: ServiceKind,
        handlers: [HandlerManifest],
        documentation: String? = nil,
        metadata: [String: String] = [:],
        inactivityTimeout: Duration? = nil,
        abortTimeout: Duration? = nil,
        journalRetention: Duration? = nil,
        idempotencyRetention: Duration? = nil,
        enableLazyState: Bool? = nil,
        ingressPrivate: Bool? = nil,
        retryPolicy: RetryPolicyManifest? = nil
    ) {
        self.name = name
        self.kind = kind
        self.handlers = handlers
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

    /// The three kinds of Restate service.
    public enum ServiceKind: String, Hashable, Sendable, CaseIterable {
        /// Stateless; handlers run concurrently.
        case service = "SERVICE"
        /// Keyed state; exclusive handlers run one at a time per key.
        case virtualObject = "VIRTUAL_OBJECT"
        /// A virtual object whose `run` handler executes once per workflow id.
        case workflow = "WORKFLOW"
    }
}
