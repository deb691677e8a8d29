/// Makes an actor or a struct a Restate service: its handlers run concurrently and have no key.
///
/// Handlers are the `async` methods whose first parameter is a ``Context``; they take at most one
/// more parameter, the `Codable` input, and return a `Codable` output or nothing. The macro adds
/// the conformance to ``RestateService`` (the ``ServiceDescriptor`` the endpoint serves, with the
/// `///` comments as documentation), to ``DefaultInitializable`` when the type visibly has an
/// `init()`, and to ``ServiceClientProviding`` with a nested `Client` for calls from other handlers.
///
/// ```swift
/// /// Greets people.
/// @Service
/// actor Greeter {
///     /// Says hello.
///     func greet(_ ctx: Context, name: String) async throws -> String { "Hello \(name)!" }
/// }
///
/// // In another handler:
/// let greeting = try await ctx.serviceClient(Greeter.self).greet("Ada").value
/// ```
///
/// The options are sent to Restate at discovery; `nil` leaves Restate's default.
///
/// - Parameters:
///   - name: The name callers use; the type's name by default.
///   - metadata: Key-value pairs shown in Restate's admin API.
///   - inactivityTimeout: How long Restate waits for progress before suspending an attempt.
///   - abortTimeout: How long Restate waits, after the inactivity timeout, before aborting an attempt.
///   - journalRetention: How long the journal of a finished invocation is kept.
///   - idempotencyRetention: How long the result of an idempotent invocation is kept.
///   - enableLazyState: Ask Restate not to send state with each invocation.
///   - ingressPrivate: Only other handlers may call this service, not the ingress.
///   - retryPolicy: How Restate retries failed attempts.
@attached(
    extension,
    conformances: RestateService,
    DefaultInitializable,
    ServiceClientProviding,
    names: named(restateDescriptor),
    named(Client),
    named(client)
)
public macro Service(
    name: String? = nil,
    metadata: [String: String] = [:],
    inactivityTimeout: Duration? = nil,
    abortTimeout: Duration? = nil,
    journalRetention: Duration? = nil,
    idempotencyRetention: Duration? = nil,
    enableLazyState: Bool? = nil,
    ingressPrivate: Bool? = nil,
    retryPolicy: InvocationRetryPolicy? = nil
) = #externalMacro(module: "RestateMacros", type: "RestateServiceMacro")

/// Makes an actor a Restate virtual object: keyed, with durable K/V state.
///
/// Handlers taking ``ObjectContext`` are exclusive: those of one key run one at a time and may
/// write state. Handlers taking ``SharedObjectContext`` are shared: they run concurrently and only
/// read state. The generated `Client` is created for one key.
///
/// ```swift
/// @VirtualObject
/// actor Counter {
///     func add(_ ctx: ObjectContext, value: Int) async throws -> Int {
///         let total = (try await ctx.get("count", as: Int.self) ?? 0) + value
///         try ctx.set("count", total)
///         return total
///     }
///
///     @Shared func get(_ ctx: SharedObjectContext) async throws -> Int {
///         try await ctx.get("count", as: Int.self) ?? 0
///     }
/// }
///
/// let total = try await ctx.objectClient(Counter.self, key: "hits").add(1).value
/// ```
///
/// The parameters are those of ``Service(name:metadata:inactivityTimeout:abortTimeout:journalRetention:idempotencyRetention:enableLazyState:ingressPrivate:retryPolicy:)``.
@attached(
    extension,
    conformances: RestateService,
    DefaultInitializable,
    ObjectClientProviding,
    names: named(restateDescriptor),
    named(Client),
    named(client)
)
public macro VirtualObject(
    name: String? = nil,
    metadata: [String: String] = [:],
    inactivityTimeout: Duration? = nil,
    abortTimeout: Duration? = nil,
    journalRetention: Duration? = nil,
    idempotencyRetention: Duration? = nil,
    enableLazyState: Bool? = nil,
    ingressPrivate: Bool? = nil,
    retryPolicy: InvocationRetryPolicy? = nil
) = #externalMacro(module: "RestateMacros", type: "VirtualObjectMacro")

/// Makes an actor a Restate workflow: a `run` handler that executes once per workflow ID, and
/// shared handlers that read its state and resolve its durable promises.
///
/// Exactly one handler takes ``WorkflowContext`` (named `run` by convention); the others take
/// ``SharedWorkflowContext``. The generated `Client` is created for one workflow ID.
///
/// ```swift
/// @Workflow
/// actor SignupWorkflow {
///     func run(_ ctx: WorkflowContext, email: String) async throws -> Bool { … }
///     @Shared func click(_ ctx: SharedWorkflowContext, secret: String) async throws { … }
/// }
/// ```
///
/// The parameters are those of ``Service(name:metadata:inactivityTimeout:abortTimeout:journalRetention:idempotencyRetention:enableLazyState:ingressPrivate:retryPolicy:)``.
@attached(
    extension,
    conformances: RestateService,
    DefaultInitializable,
    WorkflowClientProviding,
    names: named(restateDescriptor),
    named(Client),
    named(client)
)
public macro Workflow(
    name: String? = nil,
    metadata: [String: String] = [:],
    inactivityTimeout: Duration? = nil,
    abortTimeout: Duration? = nil,
    journalRetention: Duration? = nil,
    idempotencyRetention: Duration? = nil,
    enableLazyState: Bool? = nil,
    ingressPrivate: Bool? = nil,
    retryPolicy: InvocationRetryPolicy? = nil
) = #externalMacro(module: "RestateMacros", type: "WorkflowMacro")

/// Names a handler and sets its options; read by `@Service`, `@VirtualObject` and `@Workflow`.
///
/// ```swift
/// @Handler(name: "get-status", inactivityTimeout: .seconds(30))
/// func status(_ ctx: SharedObjectContext) async throws -> String { … }
/// ```
///
/// `nil` inherits the service's option.
///
/// - Parameters:
///   - name: The name callers use; the method's name by default.
///   - metadata: Key-value pairs shown in Restate's admin API.
///   - inactivityTimeout: How long Restate waits for progress before suspending an attempt.
///   - abortTimeout: How long Restate waits, after the inactivity timeout, before aborting an attempt.
///   - journalRetention: How long the journal of a finished invocation is kept.
///   - idempotencyRetention: How long the result of an idempotent invocation is kept; not on a
///     workflow's `run` handler.
///   - workflowRetention: How long a finished workflow's state, promises and output are kept; only
///     on a workflow's `run` handler.
///   - enableLazyState: Ask Restate not to send state with each invocation.
///   - ingressPrivate: Only other handlers may call this handler, not the ingress.
///   - retryPolicy: How Restate retries failed attempts.
///   - inputSerde: How the input is decoded (and encoded by the typed client), instead of JSON;
///     e.g. `RawSerde<Data>()`. Its content type and schema are announced at discovery.
///   - outputSerde: How the output is encoded (and decoded by the typed client), instead of JSON.
///
/// When only one side has a serde, the other stays JSON (``JSONSerde``) and its type must then be
/// `Codable`.
@attached(peer)
public macro Handler(
    name: String? = nil,
    metadata: [String: String] = [:],
    inactivityTimeout: Duration? = nil,
    abortTimeout: Duration? = nil,
    journalRetention: Duration? = nil,
    idempotencyRetention: Duration? = nil,
    workflowRetention: Duration? = nil,
    enableLazyState: Bool? = nil,
    ingressPrivate: Bool? = nil,
    retryPolicy: InvocationRetryPolicy? = nil,
    inputSerde: (any Serde)? = nil,
    outputSerde: (any Serde)? = nil
) = #externalMacro(module: "RestateMacros", type: "HandlerMarkerMacro")

/// Marks a shared handler of a virtual object or workflow, one that runs concurrently with the
/// others and only reads state.
///
/// The context type already decides the kind (``SharedObjectContext``, ``SharedWorkflowContext``);
/// the marker documents it and makes the macros reject a writable context.
@attached(peer)
public macro Shared() = #externalMacro(module: "RestateMacros", type: "HandlerMarkerMacro")

/// Marks an exclusive handler of a virtual object, one that runs alone among the handlers of its
/// key and may write state.
///
/// The context type already decides the kind (``ObjectContext``); the marker documents it and
/// makes the macros reject a shared context.
@attached(peer)
public macro Exclusive() = #externalMacro(module: "RestateMacros", type: "HandlerMarkerMacro")
