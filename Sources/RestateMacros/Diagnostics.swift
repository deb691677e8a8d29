import SwiftDiagnostics
import SwiftSyntax

/// Every diagnostic the Restate macros emit. Each message states the rule and the reason for it.
struct RestateDiagnostic: DiagnosticMessage, Error {
    let message: String
    let id: String
    let severity: DiagnosticSeverity

    var diagnosticID: MessageID { MessageID(domain: "RestateMacros", id: id) }

    private init(_ id: String, _ message: String, severity: DiagnosticSeverity = .error) {
        self.id = id
        self.message = message
        self.severity = severity
    }

    // MARK: The type

    static func unsupportedDeclaration(macro: MacroKind) -> Self {
        Self(
            "unsupportedDeclaration",
            "'@\(macro.attributeName)' applies to \(macro.allowedTypes.text), because the endpoint creates an instance "
                + "and calls its handler methods"
        )
    }

    static func mustBeActor(macro: MacroKind, found: String) -> Self {
        Self(
            "mustBeActor",
            "'@\(macro.attributeName)' requires an actor, not a \(found), because the endpoint keeps one instance "
                + "per \(macro == .workflow ? "workflow ID" : "key") and concurrent handlers must not race on it"
        )
    }

    static func genericType(macro: MacroKind) -> Self {
        Self(
            "genericType",
            "'@\(macro.attributeName)' cannot be applied to a generic type, because Restate registers one "
                + "\(macro.noun) per concrete type under one name"
        )
    }

    static func nameNotLiteral(argument: String) -> Self {
        Self(
            "nameNotLiteral",
            "'\(argument):' must be a plain string literal, because the macro needs the name at compile time "
                + "to build the discovery entry and the typed client"
        )
    }

    static func invalidName(_ name: String) -> Self {
        Self(
            "invalidName",
            "'\(name)' is not a valid Restate name: names start with a letter (or '_' and a letter or digit) "
                + "and contain only letters, digits, '.', '_' and '-', because Restate uses them in URLs"
        )
    }

    static func noHandlers(macro: MacroKind) -> Self {
        Self(
            "noHandlers",
            "'@\(macro.attributeName)' found no handlers: a handler is an async method whose first parameter is "
                + "\(macro.contextList), because the context is what lets Restate journal the handler's work",
            severity: .warning
        )
    }

    // MARK: Workflows

    static var workflowWithoutRun: Self {
        Self(
            "workflowWithoutRun",
            "a '@Workflow' needs exactly one handler taking 'WorkflowContext' (its 'run' handler), because Restate "
                + "runs that handler once per workflow ID; the other handlers take 'SharedWorkflowContext'"
        )
    }

    static func workflowWithSeveralRuns(_ name: String) -> Self {
        Self(
            "workflowWithSeveralRuns",
            "handler '\(name)' is a second handler taking 'WorkflowContext'; a '@Workflow' has exactly one, because "
                + "Restate runs it once per workflow ID and the others only interact with it"
        )
    }

    static func workflowRunName(_ name: String) -> Self {
        Self(
            "workflowRunName",
            "the workflow's main handler is named '\(name)'; by convention it is named 'run', which is what "
                + "clients and the other SDKs expect",
            severity: .warning
        )
    }

    static var idempotencyRetentionOnRun: Self {
        Self(
            "idempotencyRetentionOnRun",
            "'idempotencyRetention' does not apply to a workflow's run handler, because a workflow ID runs only "
                + "once; use 'workflowRetention'"
        )
    }

    static var workflowRetentionOffRun: Self {
        Self(
            "workflowRetentionOffRun",
            "'workflowRetention' applies only to the handler taking 'WorkflowContext', because it says how long "
                + "Restate keeps a finished workflow"
        )
    }

    // MARK: Handlers

    static func markerWithoutContext(_ marker: String) -> Self {
        Self(
            "markerWithoutContext",
            "'@\(marker)' marks a handler, but this method's first parameter is not a context type; a handler's "
                + "first parameter is its context ('Context', 'ObjectContext', 'SharedObjectContext', "
                + "'WorkflowContext' or 'SharedWorkflowContext'), because that is how it talks to Restate"
        )
    }

    static func contextMismatch(found: ContextType, macro: MacroKind) -> Self {
        Self(
            "contextMismatch",
            "'\(found.rawValue)' is the context of \(found.owner.nounWithArticle) handler, but this is "
                + "\(macro.nounWithArticle); its handlers take \(macro.contextList), because the context type "
                + "decides what the handler may do"
        )
    }

    static func sharedOnWritableContext(_ context: ContextType) -> Self {
        Self(
            "sharedOnWritableContext",
            "'@Shared' handlers cannot take '\(context.rawValue)', which may write state, because shared "
                + "handlers run concurrently with the others; take '\(context.shared.rawValue)'"
        )
    }

    static func exclusiveOnSharedContext(_ context: ContextType) -> Self {
        Self(
            "exclusiveOnSharedContext",
            "'@Exclusive' handlers take 'ObjectContext', not '\(context.rawValue)', because the context type is what "
                + "makes a handler exclusive"
        )
    }

    static func markerInWrongKind(_ marker: String, macro: MacroKind) -> Self {
        Self(
            "markerInWrongKind",
            "'@\(marker)' does not apply in \(macro.nounWithArticle), because "
                + (macro == .service
                    ? "service handlers have no key and always run concurrently"
                    : "workflow handlers are either the run handler or shared")
        )
    }

    static func notAsync(_ name: String) -> Self {
        Self(
            "notAsync",
            "handler '\(name)' must be 'async', because every context operation may wait for Restate and the "
                + "invocation may suspend"
        )
    }

    static func tooManyInputs(_ name: String, count: Int) -> Self {
        Self(
            "tooManyInputs",
            "handler '\(name)' takes \(count) inputs after its context; a handler takes at most one, because an "
                + "invocation carries a single payload. Combine them in one 'Codable' struct"
        )
    }

    static func inoutInput(_ name: String) -> Self {
        Self(
            "inoutInput",
            "the input of handler '\(name)' cannot be 'inout', because it is decoded from the request and "
                + "changes to it cannot reach the caller"
        )
    }

    static func variadicInput(_ name: String) -> Self {
        Self(
            "variadicInput",
            "the input of handler '\(name)' cannot be variadic, because an invocation carries a single payload; "
                + "take an array"
        )
    }

    static func staticHandler(_ name: String) -> Self {
        Self(
            "staticHandler",
            "handler '\(name)' cannot be static, because handlers run on the instance the endpoint creates for the "
                + "invocation"
        )
    }

    static func genericHandler(_ name: String) -> Self {
        Self(
            "genericHandler",
            "handler '\(name)' cannot be generic, because Restate decodes its input and encodes its output with "
                + "one concrete type"
        )
    }

    static func serdeWithoutPayload(_ name: String, side: String) -> Self {
        Self(
            "serdeWithoutPayload",
            "'\(side)Serde:' is set, but handler '\(name)' has no \(side), because "
                + (side == "input" ? "it takes no parameter after its context" : "it returns nothing")
                + "; remove the serde or add the \(side)"
        )
    }

    static func duplicateHandler(_ name: String) -> Self {
        Self(
            "duplicateHandler",
            "a second handler is named '\(name)'; handler names must be unique within a service, because "
                + "callers address handlers by name"
        )
    }
}

/// The fix-its of ``RestateDiagnostic``.
struct RestateFixIt: FixItMessage {
    let message: String
    var fixItID: MessageID { MessageID(domain: "RestateMacros", id: message) }

    init(_ message: String) { self.message = message }
}
