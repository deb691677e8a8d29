import SwiftDiagnostics
import SwiftSyntax

/// Reads a type annotated with `@Service`, `@VirtualObject` or `@Workflow` into a ``ServiceModel``,
/// collecting a diagnostic for every rule the type breaks.
struct Parser {
    let kind: MacroKind
    private(set) var diagnostics: [Diagnostic] = []

    init(kind: MacroKind) {
        self.kind = kind
    }

    var hasErrors: Bool { diagnostics.contains { $0.diagMessage.severity == .error } }

    // MARK: The type

    /// The model of `declaration`, or `nil` when it cannot be a service at all. Check
    /// ``diagnostics`` either way.
    mutating func parse(
        attribute: AttributeSyntax,
        declaration: some DeclGroupSyntax,
        typeName: String
    ) -> ServiceModel? {
        guard let header = typeHeader(declaration) else {
            diagnose(Syntax(attribute), .unsupportedDeclaration(macro: kind))
            return nil
        }
        if !kind.allowedTypes.keywords.contains(header.keyword.text) {
            let fixIt = FixIt(
                message: RestateFixIt("Make '\(header.name.text)' an actor"),
                changes: [
                    .replace(
                        oldNode: Syntax(header.keyword),
                        newNode: Syntax(header.keyword.with(\.tokenKind, .keyword(.actor)))
                    )
                ]
            )
            if kind == .service {
                diagnose(Syntax(header.keyword), .unsupportedDeclaration(macro: kind), fixIts: [fixIt])
            } else {
                diagnose(Syntax(header.keyword), .mustBeActor(macro: kind, found: header.keyword.text), fixIts: [fixIt])
            }
        }
        if let generics = header.generics {
            diagnose(Syntax(generics), .genericType(macro: kind))
        }

        let arguments = attribute.arguments?.as(LabeledExprListSyntax.self) ?? []
        let (name, options) = nameAndOptions(arguments, default: header.name.text)
        let access = Self.accessLevel(declaration.modifiers)

        // Every method taking a context, including those that break a rule, so that one broken
        // handler does not also count as a missing one.
        var handlers: [(HandlerModel, FunctionDeclSyntax)] = []
        for member in declaration.memberBlock.members {
            guard let function = member.decl.as(FunctionDeclSyntax.self),
                let handler = parseHandler(function)
            else { continue }
            handlers.append((handler, function))
        }
        checkDuplicates(handlers)
        if kind == .workflow {
            checkWorkflow(handlers, typeName: header.name)
        } else if handlers.isEmpty, !hasErrors {
            diagnose(Syntax(header.name), .noHandlers(macro: kind))
        }

        return ServiceModel(
            kind: kind,
            typeName: typeName,
            name: name,
            access: access,
            documentation: documentation(declaration.leadingTrivia),
            options: options,
            handlers: handlers.map(\.0),
            isDefaultInitializable: Self.hasVisibleDefaultInit(declaration, access: access)
        )
    }

    private struct TypeHeader {
        var keyword: TokenSyntax
        var name: TokenSyntax
        var generics: GenericParameterClauseSyntax?
    }

    private func typeHeader(_ declaration: some DeclGroupSyntax) -> TypeHeader? {
        if let actor = declaration.as(ActorDeclSyntax.self) {
            return TypeHeader(keyword: actor.actorKeyword, name: actor.name, generics: actor.genericParameterClause)
        }
        if let type = declaration.as(StructDeclSyntax.self) {
            return TypeHeader(keyword: type.structKeyword, name: type.name, generics: type.genericParameterClause)
        }
        if let type = declaration.as(ClassDeclSyntax.self) {
            return TypeHeader(keyword: type.classKeyword, name: type.name, generics: type.genericParameterClause)
        }
        return nil
    }

    /// The `name:` argument (a string literal) and the option arguments passed through verbatim.
    private mutating func nameAndOptions(
        _ arguments: LabeledExprListSyntax,
        default defaultName: String
    ) -> (String, [OptionArgument]) {
        var name = defaultName
        var options: [OptionArgument] = []
        for argument in arguments {
            guard let label = argument.label?.text else { continue }
            if label == "name" {
                if let literal = argument.expression.as(StringLiteralExprSyntax.self)?.representedLiteralValue {
                    name = literal
                    if !Self.isValidName(literal) {
                        diagnose(Syntax(argument.expression), .invalidName(literal))
                    }
                } else {
                    diagnose(Syntax(argument.expression), .nameNotLiteral(argument: label))
                }
            } else {
                options.append(OptionArgument(label: label, expression: argument.expression.trimmedDescription))
            }
        }
        return (name, options)
    }

    /// `^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$`, Restate's rule for service and handler names.
    static func isValidName(_ name: String) -> Bool {
        func isLetter(_ c: Character) -> Bool { c.isASCII && c.isLetter }
        func isLetterOrDigit(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }
        let characters = Array(name)
        guard let first = characters.first else { return false }
        var rest = characters.dropFirst()
        if first == "_" {
            guard let second = rest.first, isLetterOrDigit(second) else { return false }
            rest = rest.dropFirst()
        } else if !isLetter(first) {
            return false
        }
        return rest.allSatisfy { isLetterOrDigit($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    static func accessLevel(_ modifiers: DeclModifierListSyntax) -> String? {
        for modifier in modifiers {
            switch modifier.name.tokenKind {
            case .keyword(.public), .keyword(.open): return "public"
            case .keyword(.package): return "package"
            default: continue
            }
        }
        return nil
    }

    // MARK: Handlers

    /// The handler `function` defines, or `nil` when it is not a handler (its first parameter is not
    /// a context). A handler that breaks a rule is returned too, after its diagnostics.
    private mutating func parseHandler(_ function: FunctionDeclSyntax) -> HandlerModel? {
        let markers = function.attributes.compactMap { $0.as(AttributeSyntax.self) }.filter {
            ["Handler", "Shared", "Exclusive"].contains(Self.markerName($0))
        }
        let parameters = Array(function.signature.parameterClause.parameters)
        guard let contextParameter = parameters.first,
            let context = ContextType(typeName: contextParameter.type.trimmedDescription)
        else {
            for marker in markers {
                diagnose(Syntax(marker), .markerWithoutContext(Self.markerName(marker)))
            }
            return nil
        }

        let methodName = function.name.text

        // Name and options.
        var name = methodName
        var options: [OptionArgument] = []
        var optionNodes: [String: LabeledExprSyntax] = [:]
        for marker in markers where Self.markerName(marker) == "Handler" {
            let arguments = marker.arguments?.as(LabeledExprListSyntax.self) ?? []
            (name, options) = nameAndOptions(arguments, default: methodName)
            for argument in arguments {
                if let label = argument.label?.text { optionNodes[label] = argument }
            }
        }
        // The serdes are arguments of the descriptor's factory, not handler options.
        let serdeLabels: Set<String> = ["inputSerde", "outputSerde"]
        let inputSerde = options.first { $0.label == "inputSerde" }?.expression
        let outputSerde = options.first { $0.label == "outputSerde" }?.expression
        options.removeAll { serdeLabels.contains($0.label) }

        // Modifiers and effects.
        if let staticModifier = function.modifiers.first(where: {
            $0.name.tokenKind == .keyword(.static) || $0.name.tokenKind == .keyword(.class)
        }) {
            let modifiers = function.modifiers.filter { $0.id != staticModifier.id }
            var fixed = function.with(\.modifiers, modifiers)
            if modifiers.isEmpty {
                fixed = fixed.with(\.funcKeyword.leadingTrivia, staticModifier.leadingTrivia)
            }
            diagnose(
                Syntax(staticModifier),
                .staticHandler(methodName),
                fixIts: [
                    FixIt(
                        message: RestateFixIt("Remove '\(staticModifier.name.text)'"),
                        changes: [.replace(oldNode: Syntax(function), newNode: Syntax(fixed))]
                    )
                ]
            )
        }
        if let generics = function.genericParameterClause {
            diagnose(Syntax(generics), .genericHandler(methodName))
        }
        let effects = function.signature.effectSpecifiers
        if effects?.asyncSpecifier == nil {
            let asyncKeyword = TokenSyntax.keyword(.async, trailingTrivia: .space)
            let fixedEffects =
                effects?.with(\.asyncSpecifier, asyncKeyword)
                ?? FunctionEffectSpecifiersSyntax(asyncSpecifier: asyncKeyword)
            let fixedSignature = function.signature.with(\.effectSpecifiers, fixedEffects)
            diagnose(
                Syntax(function.name),
                .notAsync(methodName),
                fixIts: [
                    FixIt(
                        message: RestateFixIt("Add 'async'"),
                        changes: [.replace(oldNode: Syntax(function.signature), newNode: Syntax(fixedSignature))]
                    )
                ]
            )
        }

        // The input.
        let inputs = parameters.dropFirst()
        var input: HandlerModel.Input?
        if inputs.count > 1 {
            diagnose(Syntax(inputs[inputs.startIndex + 1]), .tooManyInputs(methodName, count: inputs.count))
        } else if let parameter = inputs.first {
            if let attributed = parameter.type.as(AttributedTypeSyntax.self),
                attributed.specifiers.contains(where: { $0.trimmedDescription == "inout" })
            {
                diagnose(Syntax(parameter.type), .inoutInput(methodName))
            }
            if let ellipsis = parameter.ellipsis {
                diagnose(Syntax(ellipsis), .variadicInput(methodName))
            }
            let label = parameter.firstName.text
            input = HandlerModel.Input(label: label == "_" ? nil : label, type: parameter.type.trimmedDescription)
        }

        // The context against the macro and the markers.
        if context.owner != kind {
            diagnose(
                Syntax(contextParameter.type),
                .contextMismatch(found: context, macro: kind),
                fixIts: [replaceContext(contextParameter.type, with: context.counterpart(in: kind))]
            )
        } else {
            for marker in markers {
                switch Self.markerName(marker) {
                case "Shared" where kind == .service, "Exclusive" where kind != .virtualObject:
                    diagnose(Syntax(marker), .markerInWrongKind(Self.markerName(marker), macro: kind))
                case "Shared" where !context.isShared:
                    diagnose(
                        Syntax(marker),
                        .sharedOnWritableContext(context),
                        fixIts: [replaceContext(contextParameter.type, with: context.shared)]
                    )
                case "Exclusive" where context.isShared:
                    diagnose(
                        Syntax(marker),
                        .exclusiveOnSharedContext(context),
                        fixIts: [replaceContext(contextParameter.type, with: .object)]
                    )
                default:
                    break
                }
            }
        }
        if context == .workflow, let argument = optionNodes["idempotencyRetention"] {
            diagnose(Syntax(argument), .idempotencyRetentionOnRun)
        }
        if context != .workflow, let argument = optionNodes["workflowRetention"] {
            diagnose(Syntax(argument), .workflowRetentionOffRun)
        }

        let contextLabel = contextParameter.firstName.text
        var output = function.signature.returnClause?.type.trimmedDescription
        if output == "Void" || output == "()" { output = nil }
        if input == nil, inputs.isEmpty, let argument = optionNodes["inputSerde"] {
            diagnose(Syntax(argument), .serdeWithoutPayload(methodName, side: "input"))
        }
        if output == nil, let argument = optionNodes["outputSerde"] {
            diagnose(Syntax(argument), .serdeWithoutPayload(methodName, side: "output"))
        }
        return HandlerModel(
            methodName: methodName,
            name: name,
            context: context,
            contextTypeText: contextParameter.type.trimmedDescription,
            contextLabel: contextLabel == "_" ? nil : contextLabel,
            input: input,
            output: output,
            isThrowing: effects?.throwsClause != nil,
            access: Self.accessLevel(function.modifiers),
            documentation: documentation(function.leadingTrivia),
            options: options,
            inputSerde: inputSerde,
            outputSerde: outputSerde
        )
    }

    private static func markerName(_ attribute: AttributeSyntax) -> String {
        let name = attribute.attributeName.trimmedDescription
        return name.hasPrefix("Restate.") ? String(name.dropFirst("Restate.".count)) : name
    }

    private func replaceContext(_ type: TypeSyntax, with context: ContextType) -> FixIt {
        let replacement = IdentifierTypeSyntax(name: .identifier(context.rawValue))
            .with(\.leadingTrivia, type.leadingTrivia)
            .with(\.trailingTrivia, type.trailingTrivia)
        return FixIt(
            message: RestateFixIt("Take '\(context.rawValue)'"),
            changes: [.replace(oldNode: Syntax(type), newNode: Syntax(replacement))]
        )
    }

    private mutating func checkDuplicates(_ handlers: [(HandlerModel, FunctionDeclSyntax)]) {
        var seen: Set<String> = []
        for (handler, function) in handlers where !seen.insert(handler.name).inserted {
            diagnose(Syntax(function.name), .duplicateHandler(handler.name))
        }
    }

    private mutating func checkWorkflow(_ handlers: [(HandlerModel, FunctionDeclSyntax)], typeName: TokenSyntax) {
        let runs = handlers.filter { $0.0.context == .workflow }
        guard let (run, function) = runs.first else {
            diagnose(Syntax(typeName), .workflowWithoutRun)
            return
        }
        for (extra, extraFunction) in runs.dropFirst() {
            diagnose(Syntax(extraFunction.name), .workflowWithSeveralRuns(extra.name))
        }
        if run.name != "run" {
            diagnose(Syntax(function.name), .workflowRunName(run.name))
        }
    }

    // MARK: Documentation and initializers

    /// The text of the `///` (or `/** */`) comment in `trivia`, without the comment markers.
    func documentation(_ trivia: Trivia) -> String? {
        var lines: [String] = []
        for piece in trivia {
            switch piece {
            case .docLineComment(let text):
                var line = text.dropFirst(3)
                if line.first == " " { line = line.dropFirst() }
                lines.append(String(line))
            case .docBlockComment(let text):
                lines = text.dropFirst(3).dropLast(2).split(separator: "\n", omittingEmptySubsequences: false).map {
                    var line = $0.drop { $0 == " " || $0 == "\t" }
                    if line.first == "*" { line = line.dropFirst() }
                    if line.first == " " { line = line.dropFirst() }
                    return String(line)
                }
            case .lineComment, .blockComment:
                lines = []
            default:
                continue
            }
        }
        let trimmed = lines.map { String($0.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) }
        let text = trimmed.drop { $0.isEmpty }.reversed().drop { $0.isEmpty }.reversed().joined(separator: "\n")
        return text.isEmpty ? nil : text
    }

    /// Whether the type visibly has an `init()` at least as visible as the generated conformance
    /// needs: an explicit one, or (for an internal type) the implicit one, which exists when there
    /// are no explicit initializers and every stored property has a default value.
    static func hasVisibleDefaultInit(_ declaration: some DeclGroupSyntax, access: String?) -> Bool {
        let members = declaration.memberBlock.members.map(\.decl)
        let initializers = members.compactMap { $0.as(InitializerDeclSyntax.self) }
        if !initializers.isEmpty {
            return initializers.contains { initializer in
                initializer.signature.parameterClause.parameters.isEmpty && initializer.optionalMark == nil
                    && initializer.signature.effectSpecifiers == nil && initializer.genericParameterClause == nil
                    && Self.isVisible(initializer.modifiers, required: access)
            }
        }
        guard access == nil else { return false }
        for variable in members.compactMap({ $0.as(VariableDeclSyntax.self) }) {
            if variable.modifiers.contains(where: {
                $0.name.tokenKind == .keyword(.static) || $0.name.tokenKind == .keyword(.class)
            }) {
                continue
            }
            for binding in variable.bindings
            where !Self.hasDefault(binding, isVar: variable.bindingSpecifier.text == "var") {
                return false
            }
        }
        return true
    }

    private static func isVisible(_ modifiers: DeclModifierListSyntax, required: String?) -> Bool {
        let levels = Set(modifiers.map(\.name.text))
        switch required {
        case "public": return !levels.isDisjoint(with: ["public", "open"])
        case "package": return !levels.isDisjoint(with: ["public", "open", "package"])
        default: return levels.isDisjoint(with: ["private", "fileprivate"])
        }
    }

    /// Whether a stored property has a default value, or is computed and needs none.
    private static func hasDefault(_ binding: PatternBindingSyntax, isVar: Bool) -> Bool {
        if binding.initializer != nil { return true }
        if let accessors = binding.accessorBlock?.accessors {
            switch accessors {
            case .getter: return true
            case .accessors(let list):
                let observers: Set<String> = ["willSet", "didSet"]
                if !list.allSatisfy({ observers.contains($0.accessorSpecifier.text) }) { return true }
            }
        }
        guard isVar, let type = binding.typeAnnotation?.type else { return false }
        return type.is(OptionalTypeSyntax.self) || type.is(ImplicitlyUnwrappedOptionalTypeSyntax.self)
    }

    // MARK: Diagnostics

    private mutating func diagnose(_ node: Syntax, _ message: RestateDiagnostic, fixIts: [FixIt] = []) {
        diagnostics.append(Diagnostic(node: node, message: message, fixIts: fixIts))
    }
}
