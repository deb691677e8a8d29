import Foundation
import NIOCore
import RestateCore
import RestateHTTP2

extension EndpointHandler {
    /// Answers `GET /discover` with the manifest in the highest version both sides know.
    func discover(_ head: RequestHead, response: some ResponseSink) async {
        guard let version = ManifestVersion.negotiate(accept: head.headers["accept"]) else {
            await respond(
                response,
                status: 415,
                text: "Unsupported manifest version; this endpoint serves "
                    + ManifestVersion.negotiable.map(\.contentType).joined(separator: ", ")
            )
            return
        }
        let mode: EndpointManifest.ProtocolMode =
            head.transport == .http1 || configuration.requestResponseOnly ? .requestResponse : .bidiStream
        let body: Data
        do {
            body = try manifest(mode: mode).jsonData(version: version)
        } catch {
            await respond(response, status: 500, text: "Cannot build the manifest: \(error)")
            return
        }
        do {
            try await response.finish(
                head: (200, [("content-type", version.contentType), ("x-restate-server", Version.serverHeader)]),
                body: ByteBuffer(bytes: body)
            )
        } catch {
            // The peer went away.
        }
    }

    /// The manifest of the bound services.
    func manifest(mode: EndpointManifest.ProtocolMode) -> EndpointManifest {
        EndpointManifest(
            protocolMode: mode,
            services: serviceOrder.compactMap { services[$0] }.map(Self.manifest(of:))
        )
    }

    static func manifest(of service: BoundService) -> ServiceManifest {
        let options = service.options
        return ServiceManifest(
            name: service.name,
            kind: ServiceManifest.ServiceKind(rawValue: service.kind.rawValue) ?? .service,
            handlers: service.handlerOrder.compactMap { service.handlers[$0] }.map(manifest(of:)),
            documentation: options.documentation,
            metadata: options.metadata,
            inactivityTimeout: options.inactivityTimeout,
            abortTimeout: options.abortTimeout,
            journalRetention: options.journalRetention,
            idempotencyRetention: options.idempotencyRetention,
            enableLazyState: options.enableLazyState,
            ingressPrivate: options.ingressPrivate,
            retryPolicy: options.retryPolicy.map(manifest(of:))
        )
    }

    static func manifest(of handler: BoundService.Handler) -> HandlerManifest {
        let options = handler.options
        return HandlerManifest(
            name: handler.name,
            kind: handler.kind.flatMap { HandlerManifest.HandlerKind(rawValue: $0.rawValue) },
            input: HandlerManifest.Input(
                required: handler.input.required,
                contentType: handler.input.contentType,
                jsonSchema: handler.input.jsonSchema.flatMap(jsonValue)
            ),
            output: HandlerManifest.Output(
                contentType: handler.output.contentType,
                setContentTypeIfEmpty: handler.output.contentType == nil ? nil : false,
                jsonSchema: handler.output.jsonSchema.flatMap(jsonValue)
            ),
            documentation: options.documentation,
            metadata: options.metadata,
            inactivityTimeout: options.inactivityTimeout,
            abortTimeout: options.abortTimeout,
            journalRetention: options.journalRetention,
            idempotencyRetention: options.idempotencyRetention,
            workflowCompletionRetention: options.workflowRetention,
            enableLazyState: options.enableLazyState,
            ingressPrivate: options.ingressPrivate,
            retryPolicy: options.retryPolicy.map(manifest(of:))
        )
    }

    static func manifest(of policy: InvocationRetryPolicy) -> RetryPolicyManifest {
        RetryPolicyManifest(
            initialInterval: policy.initialInterval,
            maxInterval: policy.maxInterval,
            maxAttempts: policy.maxAttempts,
            exponentiationFactor: policy.exponentiationFactor,
            onMaxAttempts: policy.onMaxAttempts.flatMap { RetryPolicyManifest.OnMaxAttempts(rawValue: $0.rawValue) }
        )
    }

    private static func jsonValue(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}
