import RestateMacros
import SwiftSyntax
import SwiftSyntaxMacroExpansion
import SwiftSyntaxMacrosGenericTestSupport
import Testing

/// The macros under test, with the conformances the compiler would ask for.
let restateMacros: [String: MacroSpec] = [
    "Service": MacroSpec(
        type: RestateServiceMacro.self,
        conformances: ["RestateService", "DefaultInitializable", "ServiceClientProviding"]
    ),
    "VirtualObject": MacroSpec(
        type: VirtualObjectMacro.self,
        conformances: ["RestateService", "DefaultInitializable", "ObjectClientProviding"]
    ),
    "Workflow": MacroSpec(
        type: WorkflowMacro.self,
        conformances: ["RestateService", "DefaultInitializable", "WorkflowClientProviding"]
    ),
    "Handler": MacroSpec(type: HandlerMarkerMacro.self),
    "Shared": MacroSpec(type: HandlerMarkerMacro.self),
    "Exclusive": MacroSpec(type: HandlerMarkerMacro.self),
]

/// `assertMacroExpansion` reporting to swift-testing.
func assertExpansion(
    _ source: String,
    expandedSource: String,
    diagnostics: [DiagnosticSpec] = [],
    fixedSource: String? = nil,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    assertMacroExpansion(
        source,
        expandedSource: expandedSource,
        diagnostics: diagnostics,
        macroSpecs: restateMacros,
        fixedSource: fixedSource,
        failureHandler: { failure in
            Issue.record("\(failure.message)", sourceLocation: sourceLocation)
        }
    )
}
