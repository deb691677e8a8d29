import SwiftCompilerPlugin
import SwiftSyntaxMacros

@main
struct RestateMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [
        RestateServiceMacro.self,
        VirtualObjectMacro.self,
        WorkflowMacro.self,
        HandlerMarkerMacro.self,
    ]
}
