/// Why an ``EndpointManifest`` cannot be served: it breaks a rule the runtime enforces at
/// registration, or it uses a feature the negotiated ``ManifestVersion`` lacks.
///
/// ``description`` names the service and handler and says how to fix it; the endpoint logs it and
/// answers discovery with 500, so the registration fails with that text instead of a confusing
/// schema error from the runtime.
public struct ManifestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The rule that was broken.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String {
            case invalidProtocolVersionRange = "invalid protocol version range"
            case invalidServiceName = "invalid service name"
            case reservedServiceName = "reserved service name"
            case duplicateServiceName = "duplicate service name"
            case invalidHandlerName = "invalid handler name"
            case duplicateHandlerName = "duplicate handler name"
            case handlerKindNotAllowed = "handler kind not allowed"
            case workflowHandlerCount = "workflow handler count"
            case misplacedRetention = "misplaced retention"
            case publicHandlerOnPrivateService = "public handler on private service"
            case invalidOption = "invalid option"
            case featureRequiresNewerVersion = "feature requires newer manifest version"
        }

        let value: Value

        /// `minProtocolVersion` is below 1 or above `maxProtocolVersion`, or a bound exceeds 2³¹−1.
        public static let invalidProtocolVersionRange = Self(value: .invalidProtocolVersionRange)
        /// A service name does not match `^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$`.
        public static let invalidServiceName = Self(value: .invalidServiceName)
        /// A service name starts with `restate` or is `openapi` (any case); the runtime reserves them.
        public static let reservedServiceName = Self(value: .reservedServiceName)
        /// Two services have the same name.
        public static let duplicateServiceName = Self(value: .duplicateServiceName)
        /// A handler name does not match `^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9_]*$`.
        public static let invalidHandlerName = Self(value: .invalidHandlerName)
        /// Two handlers of one service have the same name.
        public static let duplicateHandlerName = Self(value: .duplicateHandlerName)
        /// The handler kind does not fit the service kind (e.g. EXCLUSIVE on a service).
        public static let handlerKindNotAllowed = Self(value: .handlerKindNotAllowed)
        /// A workflow does not have exactly one WORKFLOW handler.
        public static let workflowHandlerCount = Self(value: .workflowHandlerCount)
        /// `workflowCompletionRetention` on a non-WORKFLOW handler, or `idempotencyRetention` on a
        /// WORKFLOW handler.
        public static let misplacedRetention = Self(value: .misplacedRetention)
        /// A handler says `ingressPrivate: false` in a private service.
        public static let publicHandlerOnPrivateService = Self(value: .publicHandlerOnPrivateService)
        /// A duration is negative or too long, a retry setting is out of range, or a JSON Schema
        /// holds a number JSON cannot express.
        public static let invalidOption = Self(value: .invalidOption)
        /// A setting needs a newer manifest version than the runtime asked for.
        public static let featureRequiresNewerVersion = Self(value: .featureRequiresNewerVersion)

        public var description: String { value.rawValue }
    }

    /// The rule that was broken.
    public var code: Code
    /// The service concerned, if any.
    public var service: String?
    /// The handler concerned, if any.
    public var handler: String?
    /// What is wrong and how to fix it.
    public var message: String

    init(_ code: Code, service: String? = nil, handler: String? = nil, _ message: String) {
        self.code = code
        self.service = service
        self.handler = handler
        self.message = message
    }

    public var description: String {
        switch (service, handler) {
        case (let service?, let handler?): "invalid endpoint manifest, handler \(service)/\(handler): \(message)"
        case (let service?, nil): "invalid endpoint manifest, service \(service): \(message)"
        default: "invalid endpoint manifest: \(message)"
        }
    }
}
