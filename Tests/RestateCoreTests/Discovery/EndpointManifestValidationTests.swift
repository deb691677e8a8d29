import Testing

@testable import RestateCore

@Suite("EndpointManifest validation")
struct EndpointManifestValidationTests {
    private func manifest(_ services: ServiceManifest...) -> EndpointManifest {
        EndpointManifest(protocolMode: .bidiStream, services: services)
    }

    private func code(of manifest: EndpointManifest) -> ManifestError.Code? {
        do {
            try manifest.validate()
            return nil
        } catch {
            return error.code
        }
    }

    @Test("the fixtures are valid")
    func valid() throws {
        try fullManifest().validate()
        try plainManifest().validate()
    }

    @Test(
        "service names",
        arguments: [
            ("Greeter", true), ("a", true), ("_1", true), ("_a.b-c_d", true), ("my.pkg.Service-2", true),
            ("", false), ("1abc", false), ("_", false), ("__a", false), ("-a", false), (".a", false),
            ("a b", false), ("a/b", false), ("Grüße", false), ("a:b", false),
        ]
    )
    func serviceNames(name: String, valid: Bool) {
        let result = code(of: manifest(ServiceManifest(name: name, kind: .service, handlers: [])))
        #expect(result == (valid ? nil : .invalidServiceName))
    }

    @Test(
        "reserved service names",
        arguments: ["restate", "Restate", "RESTATEService", "restate.internal", "openapi", "OpenAPI"]
    )
    func reserved(name: String) {
        #expect(code(of: manifest(ServiceManifest(name: name, kind: .service, handlers: []))) == .reservedServiceName)
    }

    @Test("names merely containing reserved words are fine", arguments: ["MyRestate", "openapi2", "OpenAPIGateway"])
    func notReserved(name: String) {
        #expect(code(of: manifest(ServiceManifest(name: name, kind: .service, handlers: []))) == nil)
    }

    @Test(
        "handler names",
        arguments: [
            ("greet", true), ("_x", true), ("get_2", true), ("A", true),
            ("", false), ("9a", false), ("_", false), ("a.b", false), ("a-b", false), ("a b", false),
        ]
    )
    func handlerNames(name: String, valid: Bool) {
        let result = code(
            of: manifest(ServiceManifest(name: "S", kind: .service, handlers: [HandlerManifest(name: name)]))
        )
        #expect(result == (valid ? nil : .invalidHandlerName))
    }

    @Test("duplicate service and handler names")
    func duplicates() {
        #expect(
            code(
                of: manifest(
                    ServiceManifest(name: "S", kind: .service, handlers: []),
                    ServiceManifest(name: "S", kind: .virtualObject, handlers: [])
                )
            ) == .duplicateServiceName
        )
        #expect(
            code(
                of: manifest(
                    ServiceManifest(
                        name: "S",
                        kind: .service,
                        handlers: [HandlerManifest(name: "h"), HandlerManifest(name: "h")]
                    )
                )
            ) == .duplicateHandlerName
        )
        // Same handler name in two services is fine.
        #expect(
            code(
                of: manifest(
                    ServiceManifest(name: "A", kind: .service, handlers: [HandlerManifest(name: "h")]),
                    ServiceManifest(name: "B", kind: .service, handlers: [HandlerManifest(name: "h")])
                )
            ) == nil
        )
    }

    @Test(
        "handler kinds per service kind",
        arguments: [
            (ServiceManifest.ServiceKind.service, HandlerManifest.HandlerKind?.none, true),
            (.service, .shared, true), (.service, .exclusive, false), (.service, .workflow, false),
            (.virtualObject, nil, true), (.virtualObject, .exclusive, true), (.virtualObject, .shared, true),
            (.virtualObject, .workflow, false),
            (.workflow, .shared, true), (.workflow, .exclusive, false),
        ]
    )
    func handlerKinds(
        serviceKind: ServiceManifest.ServiceKind,
        handlerKind: HandlerManifest.HandlerKind?,
        allowed: Bool
    ) {
        var handlers = [HandlerManifest(name: "h", kind: handlerKind)]
        if serviceKind == .workflow { handlers.append(HandlerManifest(name: "run", kind: .workflow)) }
        let result = code(of: manifest(ServiceManifest(name: "S", kind: serviceKind, handlers: handlers)))
        #expect(result == (allowed ? nil : .handlerKindNotAllowed))
    }

    @Test("a workflow has exactly one WORKFLOW handler", arguments: [0, 1, 2])
    func workflowHandlerCount(count: Int) {
        let handlers =
            (0..<count).map { HandlerManifest(name: "run\($0)", kind: .workflow) } + [
                HandlerManifest(name: "get", kind: .shared)
            ]
        let result = code(of: manifest(ServiceManifest(name: "W", kind: .workflow, handlers: handlers)))
        #expect(result == (count == 1 ? nil : .workflowHandlerCount))
    }

    @Test("retention settings sit on the right handlers")
    func retention() {
        let onShared = ServiceManifest(
            name: "W",
            kind: .workflow,
            handlers: [
                HandlerManifest(name: "run", kind: .workflow),
                HandlerManifest(name: "get", kind: .shared, workflowCompletionRetention: .seconds(1)),
            ]
        )
        #expect(code(of: manifest(onShared)) == .misplacedRetention)
        let onObject = ServiceManifest(
            name: "O",
            kind: .virtualObject,
            handlers: [HandlerManifest(name: "h", workflowCompletionRetention: .seconds(1))]
        )
        #expect(code(of: manifest(onObject)) == .misplacedRetention)
        let idempotencyOnRun = ServiceManifest(
            name: "W",
            kind: .workflow,
            handlers: [HandlerManifest(name: "run", kind: .workflow, idempotencyRetention: .seconds(1))]
        )
        #expect(code(of: manifest(idempotencyOnRun)) == .misplacedRetention)
        let idempotencyOnShared = ServiceManifest(
            name: "W",
            kind: .workflow,
            handlers: [
                HandlerManifest(name: "run", kind: .workflow, workflowCompletionRetention: .seconds(1)),
                HandlerManifest(name: "get", kind: .shared, idempotencyRetention: .seconds(1)),
            ],
            idempotencyRetention: .seconds(5)
        )
        #expect(code(of: manifest(idempotencyOnShared)) == nil)
    }

    @Test("a private service cannot have a public handler")
    func visibility() {
        func service(_ serviceFlag: Bool?, _ handlerFlag: Bool?) -> EndpointManifest {
            manifest(
                ServiceManifest(
                    name: "S",
                    kind: .service,
                    handlers: [HandlerManifest(name: "h", ingressPrivate: handlerFlag)],
                    ingressPrivate: serviceFlag
                )
            )
        }
        #expect(code(of: service(true, false)) == .publicHandlerOnPrivateService)
        #expect(code(of: service(true, true)) == nil)
        #expect(code(of: service(true, nil)) == nil)
        #expect(code(of: service(false, true)) == nil)
        #expect(code(of: service(nil, false)) == nil)
    }

    @Test(
        "option ranges",
        arguments: [
            ServiceManifest(name: "S", kind: .service, handlers: [], inactivityTimeout: .seconds(-1)),
            ServiceManifest(name: "S", kind: .service, handlers: [], journalRetention: .seconds(Int64.max)),
            ServiceManifest(
                name: "S",
                kind: .service,
                handlers: [HandlerManifest(name: "h", abortTimeout: .milliseconds(-5))]
            ),
            ServiceManifest(name: "S", kind: .service, handlers: [], retryPolicy: .init(maxAttempts: -1)),
            ServiceManifest(name: "S", kind: .service, handlers: [], retryPolicy: .init(initialInterval: .seconds(-1))),
            ServiceManifest(name: "S", kind: .service, handlers: [], retryPolicy: .init(exponentiationFactor: .nan)),
            ServiceManifest(name: "S", kind: .service, handlers: [], retryPolicy: .init(exponentiationFactor: 0)),
            ServiceManifest(
                name: "S",
                kind: .service,
                handlers: [HandlerManifest(name: "h", input: .init(jsonSchema: ["maximum": .number(.infinity)]))]
            ),
        ]
    )
    func options(service: ServiceManifest) {
        #expect(code(of: manifest(service)) == .invalidOption)
    }

    @Test(
        "protocol version range",
        arguments: [(5, 7, true), (7, 7, true), (0, 7, false), (7, 5, false), (5, Int(Int32.max) + 1, false)]
    )
    func protocolRange(min: Int, max: Int, valid: Bool) {
        let manifest = EndpointManifest(
            protocolMode: .bidiStream,
            minProtocolVersion: min,
            maxProtocolVersion: max,
            services: []
        )
        #expect(code(of: manifest) == (valid ? nil : .invalidProtocolVersionRange))
    }

    @Test("messages name the service, the handler and the rule")
    func messages() {
        let bad = manifest(
            ServiceManifest(name: "S", kind: .service, handlers: [HandlerManifest(name: "h", kind: .exclusive)])
        )
        #expect {
            try bad.validate()
        } throws: { error in
            let description = (error as? ManifestError)?.description ?? ""
            return description.contains("S/h") && description.contains("EXCLUSIVE") && description.contains("SHARED")
        }
        #expect(throws: ManifestError.self) { try bad.jsonData(version: .v4) }
    }
}
