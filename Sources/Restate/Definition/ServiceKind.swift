/// The three kinds of Restate services.
public enum ServiceKind: String, Sendable, Hashable, CaseIterable {
    /// Stateless handlers; invocations run concurrently.
    case service = "SERVICE"
    /// Keyed handlers with K/V state. Exclusive handlers of one key run one at a time.
    case virtualObject = "VIRTUAL_OBJECT"
    /// A `run` handler that executes exactly once per workflow ID, plus shared handlers that
    /// query its state and resolve its durable promises.
    case workflow = "WORKFLOW"

    /// Whether invocations of this kind are addressed by a key.
    public var isKeyed: Bool { self != .service }
}

/// How a handler may run relative to other handlers of the same key.
public enum HandlerKind: String, Sendable, Hashable, CaseIterable {
    /// Runs alone among the exclusive handlers of its key and may write state.
    case exclusive = "EXCLUSIVE"
    /// Runs concurrently with any other handler of its key; may read state but not write it.
    case shared = "SHARED"
    /// The workflow's `run` handler: exclusive, once per workflow ID.
    case workflow = "WORKFLOW"
}
