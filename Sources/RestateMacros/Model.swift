/// Which of the three service macros is expanding.
enum MacroKind: String {
    case service = "Service"
    case virtualObject = "VirtualObject"
    case workflow = "Workflow"

    var attributeName: String { rawValue }

    /// The `ServiceKind` case the descriptor names.
    var serviceKind: String {
        switch self {
        case .service: "service"
        case .virtualObject: "virtualObject"
        case .workflow: "workflow"
        }
    }

    var noun: String {
        switch self {
        case .service: "service"
        case .virtualObject: "virtual object"
        case .workflow: "workflow"
        }
    }

    var nounWithArticle: String { self == .service ? "a service" : "a \(noun)" }

    /// The contexts handlers of this kind take.
    var contexts: [ContextType] { ContextType.allCases.filter { $0.owner == self } }

    var contextList: String {
        contexts.map { "'\($0.rawValue)'" }.joined(separator: " or ")
    }

    var allowedTypes: (text: String, keywords: Set<String>) {
        self == .service ? ("an actor or a struct", ["actor", "struct"]) : ("an actor", ["actor"])
    }

    /// The client-providing protocol of this kind, and the name of the key in the client's `init`.
    var clientProtocol: String {
        switch self {
        case .service: "ServiceClientProviding"
        case .virtualObject: "ObjectClientProviding"
        case .workflow: "WorkflowClientProviding"
        }
    }

    /// The `Target` factory: `.service("S", handler:)`, `.object("O", key:, handler:)`,
    /// `.workflow("W", id:, handler:)`.
    var targetFactory: String {
        switch self {
        case .service: "service"
        case .virtualObject: "object"
        case .workflow: "workflow"
        }
    }

    var keyLabel: String? {
        switch self {
        case .service: nil
        case .virtualObject: "key"
        case .workflow: "id"
        }
    }
}

/// The five context types; a handler's first parameter is one of them.
enum ContextType: String, CaseIterable {
    case context = "Context"
    case object = "ObjectContext"
    case sharedObject = "SharedObjectContext"
    case workflow = "WorkflowContext"
    case sharedWorkflow = "SharedWorkflowContext"

    /// Parses a type as written, with or without the module name.
    init?(typeName: String) {
        let name = typeName.hasPrefix("Restate.") ? String(typeName.dropFirst("Restate.".count)) : typeName
        self.init(rawValue: name)
    }

    var owner: MacroKind {
        switch self {
        case .context: .service
        case .object, .sharedObject: .virtualObject
        case .workflow, .sharedWorkflow: .workflow
        }
    }

    var isShared: Bool { self == .sharedObject || self == .sharedWorkflow }

    /// The read-only counterpart of a writable context.
    var shared: ContextType {
        switch self {
        case .object: .sharedObject
        case .workflow: .sharedWorkflow
        default: self
        }
    }

    /// The context of `kind` that comes closest to this one, for fix-its.
    func counterpart(in kind: MacroKind) -> ContextType {
        switch (kind, self) {
        case (.service, _): .context
        case (.virtualObject, .sharedWorkflow): .sharedObject
        case (.virtualObject, _): .object
        case (.workflow, .sharedObject), (.workflow, .context): .sharedWorkflow
        case (.workflow, _): .workflow
        }
    }
}

/// A labelled argument passed through verbatim, as source text.
struct OptionArgument: Equatable {
    var label: String
    var expression: String
}

/// One handler, as parsed from a method.
struct HandlerModel {
    /// The Swift method name (client methods use it too).
    var methodName: String
    /// The name Restate knows the handler by.
    var name: String
    var context: ContextType
    /// The context type as written, so that the descriptor closure names the same type.
    var contextTypeText: String
    /// The argument label of the context parameter, `nil` when it has none.
    var contextLabel: String?
    var input: Input?
    /// The output type as written; `nil` for `Void`.
    var output: String?
    var isThrowing: Bool
    /// `"public"`, `"package"` or `nil`, as declared on the method.
    var access: String?
    var documentation: String?
    var options: [OptionArgument]
    /// `@Handler(inputSerde:)` and `@Handler(outputSerde:)`, as source text.
    var inputSerde: String?
    var outputSerde: String?

    /// Whether the payloads go through serdes instead of the JSON factories.
    var usesSerdes: Bool { inputSerde != nil || outputSerde != nil }

    /// The input's serde expression: the given one, or JSON.
    var inputSerdeExpression: String? {
        input.map { inputSerde ?? "Restate.JSONSerde<\($0.type)>()" }
    }

    /// The output's serde expression: the given one, or JSON.
    var outputSerdeExpression: String? {
        output.map { outputSerde ?? "Restate.JSONSerde<\($0)>()" }
    }

    struct Input {
        var label: String?
        var type: String
    }
}

/// One service, virtual object or workflow, as parsed from a type.
struct ServiceModel {
    var kind: MacroKind
    /// The type as the extension names it (`Greeter`, `Outer.Greeter`).
    var typeName: String
    /// The name Restate knows the service by.
    var name: String
    /// `"public"`, `"package"` or `nil`: the access level of the generated members.
    var access: String?
    var documentation: String?
    var options: [OptionArgument]
    var handlers: [HandlerModel]
    /// Whether the type visibly has an `init()` the endpoint can call.
    var isDefaultInitializable: Bool
}

/// The labels of `ServiceOptions.init` and `HandlerOptions.init`, in their declaration order.
enum OptionOrder {
    static let service = [
        "documentation", "metadata", "inactivityTimeout", "abortTimeout", "journalRetention", "idempotencyRetention",
        "enableLazyState", "ingressPrivate", "retryPolicy",
    ]
    static let handler = [
        "documentation", "metadata", "inactivityTimeout", "abortTimeout", "journalRetention", "idempotencyRetention",
        "workflowRetention", "enableLazyState", "ingressPrivate", "retryPolicy",
    ]
}
