/// One handler of a ``ServiceManifest``.
///
/// Set ``kind`` explicitly: an unset kind means EXCLUSIVE on a virtual object and SHARED on a
/// workflow, so a workflow's run handler needs `.workflow`.
///
/// ```swift
/// HandlerManifest(
///     name: "greet",
///     input: .init(required: true, contentType: "application/json", jsonSchema: ["type": "string"]),
///     output: .init(contentType: "application/json", setContentTypeIfEmpty: false)
/// )
/// ```
public struct HandlerManifest: Hashable, Sendable {
    /// The handler name: a letter (or `_` and a letter or digit), then letters, digits and `_`.
    public var name: String
    /// Exclusive, shared or workflow; `nil` leaves the runtime's default for the service kind.
    public var kind: HandlerKind?
    /// What the ingress accepts as request body; `nil` accepts anything.
    public var input: Input?
    /// How the ingress labels the response body.
    public var output: Output?
    /// Free text (usually Markdown) shown in the Restate UI (manifest v2).
    public var documentation: String?
    /// Key–value pairs shown by the admin API (manifest v2). Empty means none.
    public var metadata: [String: String]
    /// See ``ServiceManifest/inactivityTimeout`` (v3).
    public var inactivityTimeout: Duration?
    /// See ``ServiceManifest/abortTimeout`` (v3).
    public var abortTimeout: Duration?
    /// See ``ServiceManifest/journalRetention`` (v3).
    public var journalRetention: Duration?
    /// See ``ServiceManifest/idempotencyRetention`` (v3). Not allowed on a WORKFLOW handler.
    public var idempotencyRetention: Duration?
    /// How long a finished workflow's result and state are kept (v3). Only on a WORKFLOW handler.
    public var workflowCompletionRetention: Duration?
    /// See ``ServiceManifest/enableLazyState`` (v3).
    public var enableLazyState: Bool?
    /// Whether this handler is hidden from the ingress (v3). `false` on a private service is an
    /// error: make the service public and hide handlers one by one instead.
    public var ingressPrivate: Bool?
    /// The retry policy for this handler's invocations (v4).
    public var retryPolicy: RetryPolicyManifest?

    public init(
        name: String,
        kind: HandlerKind? = nil,
        input: Input? = nil,
        output: Output? = nil,
        documentation: String? = nil,
        metadata: [String: String] = [:],
        inactivityTimeout: Duration? = nil,
        abortTimeout: Duration? = nil,
        journalRetention: Duration? = nil,
        idempotencyRetention: Duration? = nil,
        workflowCompletionRetention: Duration? = nil,
        enableLazyState: Bool? = nil,
        ingressPrivate: Bool? = nil,
        retryPolicy: RetryPolicyManifest? = nil
    ) {
        self.name = name
        self.kind = kind
        self.input = input
        self.output = output
        self.documentation = documentation
        self.metadata = metadata
        self.inactivityTimeout = inactivityTimeout
        self.abortTimeout = abortTimeout
        self.journalRetention = journalRetention
        self.idempotencyRetention = idempotencyRetention
        self.workflowCompletionRetention = workflowCompletionRetention
        self.enableLazyState = enableLazyState
        self.ingressPrivate = ingressPrivate
        self.retryPolicy = retryPolicy
    }

    /// How a handler runs relative to others on the same key.
    public enum HandlerKind: String, Hashable, Sendable, CaseIterable {
        /// One at a time per key, with write access to state (virtual objects).
        case exclusive = "EXCLUSIVE"
        /// Concurrently, with read-only state.
        case shared = "SHARED"
        /// A workflow's run handler: once per workflow id.
        case workflow = "WORKFLOW"
    }

    /// The request body the ingress accepts.
    public struct Input: Hashable, Sendable {
        /// Whether a body (with a content type) must be sent; `false` also allows an empty body.
        public var required: Bool?
        /// The accepted content type, `Accept`-style wildcards allowed.
        public var contentType: String?
        /// A JSON Schema the ingress validates JSON bodies against.
        public var jsonSchema: JSONValue?

        public init(required: Bool? = nil, contentType: String? = nil, jsonSchema: JSONValue? = nil) {
            self.required = required
            self.contentType = contentType
            self.jsonSchema = jsonSchema
        }
    }

    /// The response body the handler produces.
    public struct Output: Hashable, Sendable {
        /// The content type the ingress sets on the response.
        public var contentType: String?
        /// Whether the content type is set even when the body is empty.
        public var setContentTypeIfEmpty: Bool?
        /// A JSON Schema describing the output, for documentation and clients.
        public var jsonSchema: JSONValue?

        public init(contentType: String? = nil, setContentTypeIfEmpty: Bool? = nil, jsonSchema: JSONValue? = nil) {
            self.contentType = contentType
            self.setContentTypeIfEmpty = setContentTypeIfEmpty
            self.jsonSchema = jsonSchema
        }
    }
}
