import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

/// The shared expansion of `@Service`, `@VirtualObject` and `@Workflow`: parse → model → render.
enum ServiceExpansion {
    static func expand(
        _ kind: MacroKind,
        attribute: AttributeSyntax,
        declaration: some DeclGroupSyntax,
        type: some TypeSyntaxProtocol,
        protocols: [TypeSyntax],
        context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        var parser = Parser(kind: kind)
        let model = parser.parse(attribute: attribute, declaration: declaration, typeName: type.trimmedDescription)
        for diagnostic in parser.diagnostics {
            context.diagnose(diagnostic)
        }
        guard let model, !parser.hasErrors else { return [] }

        // The compiler lists only the protocols the type does not conform to yet.
        let missing = Set(protocols.map { $0.trimmedDescription.split(separator: ".").last.map(String.init) ?? "" })
        var conformances = ["RestateService", kind.clientProtocol]
        if model.isDefaultInitializable {
            conformances.insert("DefaultInitializable", at: 1)
        }
        let source = Renderer(model: model).extensionSource(
            conformances: conformances.filter(missing.contains).map { "Restate.\($0)" }
        )
        return [try ExtensionDeclSyntax("\(raw: source)")]
    }
}

/// `@Service`: a stateless Restate service.
public struct RestateServiceMacro: ExtensionMacro {
    public static func expansion(
        of node: AttributeSyntax,
        attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        try ServiceExpansion.expand(
            .service,
            attribute: node,
            declaration: declaration,
            type: type,
            protocols: protocols,
            context: context
        )
    }
}

/// `@VirtualObject`: a keyed Restate virtual object.
public struct VirtualObjectMacro: ExtensionMacro {
    public static func expansion(
        of node: AttributeSyntax,
        attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        try ServiceExpansion.expand(
            .virtualObject,
            attribute: node,
            declaration: declaration,
            type: type,
            protocols: protocols,
            context: context
        )
    }
}

/// `@Workflow`: a Restate workflow.
public struct WorkflowMacro: ExtensionMacro {
    public static func expansion(
        of node: AttributeSyntax,
        attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        try ServiceExpansion.expand(
            .workflow,
            attribute: node,
            declaration: declaration,
            type: type,
            protocols: protocols,
            context: context
        )
    }
}

/// `@Handler`, `@Shared` and `@Exclusive` generate nothing: the service macros read them.
public struct HandlerMarkerMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax,
        providingPeersOf declaration: some DeclSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        []
    }
}
