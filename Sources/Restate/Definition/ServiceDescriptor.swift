import Foundation

/// A type whose handlers Restate can invoke: what `@Service`, `@VirtualObject` and `@Workflow`
/// make of an actor or struct.
///
/// You rarely implement this by hand; the macros generate ``restateDescriptor`` from the type's
/// handler methods, their doc comments and options.
public protocol RestateService: Sendable {
    /// The service's name, kind, options and handlers.
    static var restateDescriptor: ServiceDescriptor<Self> { get }
}

/// A type the endpoint can create with `init()` for each virtual object or workflow key (or once,
/// for a service). Types with dependencies are bound with a factory instead.
public protocol DefaultInitializable {
    init()
}

/// The definition of a service, virtual object or workflow: everything discovery announces and
/// the handlers the endpoint dispatches to.
public struct ServiceDescriptor<Instance: Sendable>: Sendable {
    /// The name callers use; must match `^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$`.
    public var name: String
    public var kind: ServiceKind
    public var options: ServiceOptions
    public var handlers: [HandlerDescriptor<Instance>]

    public init(
        name: String,
        kind: ServiceKind,
        options: ServiceOptions = .init(),
        handlers: [HandlerDescriptor<Instance>]
    ) {
        self.name = name
        self.kind = kind
        self.options = options
        self.handlers = handlers
    }

    /// The handler with this name.
    public func handler(named name: String) -> HandlerDescriptor<Instance>? {
        handlers.first { $0.name == name }
    }
}

/// What a handler accepts or returns, for discovery.
public struct PayloadDescriptor: Sendable, Hashable {
    /// The content type, e.g. `application/json`; `nil` accepts anything.
    public var contentType: String?
    /// Whether a body is required.
    public var required: Bool
    /// The JSON Schema of the payload, as JSON text, if known.
    public var jsonSchema: String?

    public init(contentType: String? = "application/json", required: Bool = true, jsonSchema: String? = nil) {
        self.contentType = contentType
        self.required = required
        self.jsonSchema = jsonSchema
    }

    /// No payload: an empty body.
    public static let none = PayloadDescriptor(contentType: nil, required: false)
}

/// One handler of a service: its discovery metadata and a type-erased entry point.
///
/// Payloads are JSON through `Codable` unless a factory with serdes is used. The discovery entry
/// of a JSON payload carries its JSON Schema (see ``JSONSchemaProviding``); pass `input:` or
/// `output:` to announce something else.
///
/// Errors that leave the handler are turned into terminal errors when they adopt
/// ``TerminalErrorConvertible``, or when the service type adopts ``TerminalErrorMapping`` and maps
/// them.
public struct HandlerDescriptor<Instance: Sendable>: Sendable {
    public var name: String
    /// `nil` for service handlers, where Restate's default applies.
    public var kind: HandlerKind?
    /// The kind of service this handler's context belongs to.
    public var serviceKind: ServiceKind
    public var options: HandlerOptions
    public var input: PayloadDescriptor
    public var output: PayloadDescriptor
    /// Runs the handler on `instance` with the raw input and returns the raw output.
    let body: @Sendable (Instance, Invocation, Data) async throws -> Data

    init(
        name: String,
        context: any HandlerContext.Type,
        options: HandlerOptions,
        input: PayloadDescriptor,
        output: PayloadDescriptor,
        body: @escaping @Sendable (Instance, Invocation, Data) async throws -> Data
    ) {
        self.name = name
        self.kind = context.handlerKind
        self.serviceKind = context.serviceKind
        self.options = options
        self.input = input
        self.output = output
        let mapping = ErrorMapping.mapping(of: Instance.self)
        self.body = { instance, invocation, data in
            try await ErrorMapping.run(mapping: mapping) { try await body(instance, invocation, data) }
        }
    }

    /// What discovery announces for a JSON payload of `type`: its content type and JSON Schema.
    static func json<T>(_ type: T.Type) -> PayloadDescriptor {
        PayloadDescriptor(jsonSchema: JSONSchemaGenerator.schema(for: type).jsonText)
    }

    // MARK: JSON

    /// A handler with an input and an output.
    ///
    /// ```swift
    /// .handler("greet") { (service: Greeter, ctx: Context, name: String) in
    ///     try await service.greet(ctx, name: name)
    /// }
    /// ```
    public static func handler<C: HandlerContext, Input: Decodable & Sendable, Output: Encodable & Sendable>(
        _ name: String,
        options: HandlerOptions = .init(),
        input: PayloadDescriptor? = nil,
        output: PayloadDescriptor? = nil,
        _ body: @escaping @Sendable (Instance, C, Input) async throws -> Output
    ) -> Self {
        Self(
            name: name,
            context: C.self,
            options: options,
            input: input ?? json(Input.self),
            output: output ?? json(Output.self)
        ) { instance, invocation, data in
            let value = try JSONCoding.decodeInput(Input.self, from: data)
            return try JSONCoding.encode(try await body(instance, C(invocation: invocation), value))
        }
    }

    /// A handler with an input and no output.
    public static func handler<C: HandlerContext, Input: Decodable & Sendable>(
        _ name: String,
        options: HandlerOptions = .init(),
        input: PayloadDescriptor? = nil,
        _ body: @escaping @Sendable (Instance, C, Input) async throws -> Void
    ) -> Self {
        Self(name: name, context: C.self, options: options, input: input ?? json(Input.self), output: .none) {
            instance,
            invocation,
            data in
            let value = try JSONCoding.decodeInput(Input.self, from: data)
            try await body(instance, C(invocation: invocation), value)
            return Data()
        }
    }

    /// A handler without input and with an output.
    public static func handler<C: HandlerContext, Output: Encodable & Sendable>(
        _ name: String,
        options: HandlerOptions = .init(),
        output: PayloadDescriptor? = nil,
        _ body: @escaping @Sendable (Instance, C) async throws -> Output
    ) -> Self {
        Self(name: name, context: C.self, options: options, input: .none, output: output ?? json(Output.self)) {
            instance,
            invocation,
            _ in
            try JSONCoding.encode(try await body(instance, C(invocation: invocation)))
        }
    }

    /// A handler that takes and returns raw bytes, without JSON: the request body as is, and the
    /// response body as is.
    ///
    /// By default it accepts any content type (or none) and answers `application/octet-stream`.
    ///
    /// ```swift
    /// .rawHandler("echo") { (_: Echo, _: Context, body: Data) in body }
    /// ```
    public static func rawHandler<C: HandlerContext>(
        _ name: String,
        options: HandlerOptions = .init(),
        input: PayloadDescriptor = PayloadDescriptor(contentType: "*/*", required: false),
        output: PayloadDescriptor = PayloadDescriptor(contentType: "application/octet-stream"),
        _ body: @escaping @Sendable (Instance, C, Data) async throws -> Data
    ) -> Self {
        Self(name: name, context: C.self, options: options, input: input, output: output) {
            instance,
            invocation,
            data in
            try await body(instance, C(invocation: invocation), data)
        }
    }

    /// A handler without input or output.
    public static func handler<C: HandlerContext>(
        _ name: String,
        options: HandlerOptions = .init(),
        _ body: @escaping @Sendable (Instance, C) async throws -> Void
    ) -> Self {
        Self(name: name, context: C.self, options: options, input: .none, output: .none) { instance, invocation, _ in
            try await body(instance, C(invocation: invocation))
            return Data()
        }
    }

    // MARK: Custom serdes

    /// A handler with an input and an output encoded by the given serdes; what `@Handler(inputSerde:
    /// outputSerde:)` generates. Discovery announces the serdes' content types and schemas.
    ///
    /// ```swift
    /// .handler("resize", inputSerde: RawSerde<Data>(), outputSerde: RawSerde<Data>()) {
    ///     (service: Images, ctx: Context, image: Data) in try await service.resize(ctx, image)
    /// }
    /// ```
    public static func handler<C: HandlerContext, InputSerde: Serde, OutputSerde: Serde>(
        _ name: String,
        options: HandlerOptions = .init(),
        inputSerde: InputSerde,
        outputSerde: OutputSerde,
        _ body: @escaping @Sendable (Instance, C, InputSerde.Value) async throws -> OutputSerde.Value
    ) -> Self {
        Self(
            name: name,
            context: C.self,
            options: options,
            input: inputSerde.payloadDescriptor,
            output: outputSerde.payloadDescriptor
        ) { instance, invocation, data in
            let value = try inputSerde.decodeInput(data)
            return try outputSerde.encode(try await body(instance, C(invocation: invocation), value))
        }
    }

    /// A handler with an input encoded by `inputSerde` and no output.
    public static func handler<C: HandlerContext, InputSerde: Serde>(
        _ name: String,
        options: HandlerOptions = .init(),
        inputSerde: InputSerde,
        _ body: @escaping @Sendable (Instance, C, InputSerde.Value) async throws -> Void
    ) -> Self {
        Self(name: name, context: C.self, options: options, input: inputSerde.payloadDescriptor, output: .none) {
            instance,
            invocation,
            data in
            let value = try inputSerde.decodeInput(data)
            try await body(instance, C(invocation: invocation), value)
            return Data()
        }
    }

    /// A handler without input and with an output encoded by `outputSerde`.
    public static func handler<C: HandlerContext, OutputSerde: Serde>(
        _ name: String,
        options: HandlerOptions = .init(),
        outputSerde: OutputSerde,
        _ body: @escaping @Sendable (Instance, C) async throws -> OutputSerde.Value
    ) -> Self {
        Self(name: name, context: C.self, options: options, input: .none, output: outputSerde.payloadDescriptor) {
            instance,
            invocation,
            _ in
            try outputSerde.encode(try await body(instance, C(invocation: invocation)))
        }
    }
}
