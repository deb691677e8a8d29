import Foundation
import NIOCore
import RestateHTTP2

/// The part of Restate's admin API (port 9070) that registering and inspecting deployments
/// needs, with Restate's paths, status codes and JSON shapes (`crates/admin/src/rest_api`).
///
/// | request | answer |
/// |---|---|
/// | `GET /health` | 200 |
/// | `POST /deployments` `{"uri": "http://host:port", "force"?, "dry_run"?, "additional_headers"?}` | 201 (200 when unchanged or forced) + `{id, services, min_protocol_version, max_protocol_version, sdk_version}` |
/// | `GET /deployments`, `GET /deployments/{id}` | the deployments |
/// | `GET /services`, `GET /services/{name}` | `{"services": [ServiceMetadata]}`, one `ServiceMetadata` |
/// | `GET /services/{name}/handlers[/{handler}]` | the handlers |
/// | `PATCH /invocations/{id}/cancel` · `/kill` · `/resume` | 200 or 202; 404, 409, 425 as Restate |
///
/// Errors are `{"message", "restate_code"}` JSON, except the request-body rejections, which are
/// plain text as Restate's web framework writes them (415 without a JSON content type, 400 for
/// malformed JSON, 422 for JSON of the wrong shape).
struct AdminAPI: Sendable {
    let engine: Engine

    /// The largest request body accepted.
    static let maximumBody = 1024 * 1024

    typealias Reply = IngressAPI.Reply

    func handle(_ head: RequestHead, body: RequestBody, writer: ResponseWriter) async {
        let reply: Reply
        do {
            let bytes = try await body.collect(upTo: Self.maximumBody)
            reply = await route(head, body: Data(bytes.readableBytesView))
        } catch {
            reply = Self.error(413, "request body too large or broken: \(error)")
        }
        do {
            try await writer.writeHead(status: reply.status, headers: HeaderFields(reply.headers))
            if !reply.body.isEmpty { try await writer.write(ByteBuffer(bytes: reply.body)) }
            try await writer.finish()
        } catch {
            // The client went away.
        }
    }

    /// Restate's `ErrorDescriptionResponse`; a `[META0003] …` prefix becomes its `restate_code`.
    static func error(_ status: Int, _ message: String) -> Reply {
        var code: Any = NSNull()
        if message.hasPrefix("["), let end = message.firstIndex(of: "]") {
            code = String(message[message.index(after: message.startIndex)..<end])
        }
        return .json(status, ["message": message, "restate_code": code])
    }

    static func text(_ status: Int, _ message: String) -> Reply {
        Reply(status: status, headers: [("content-type", "text/plain; charset=utf-8")], body: Data(message.utf8))
    }

    func route(_ head: RequestHead, body: Data) async -> Reply {
        let path = head.path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let segments = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        let method = head.method
        do {
            switch (segments.first, segments.count) {
            case ("health", 1):
                guard method == "GET" else { return Self.methodNotAllowed("GET") }
                return Reply(status: 200)
            case ("deployments", 1):
                switch method {
                case "POST": return try await registerDeployment(head, body: body)
                case "GET": return try await listDeployments()
                default: return Self.methodNotAllowed("GET,POST")
                }
            case ("deployments", 2):
                guard method == "GET" else { return Self.methodNotAllowed("GET") }
                return try await deployment(segments[1])
            case ("services", 1):
                guard method == "GET" else { return Self.methodNotAllowed("GET") }
                let registry = await engine.registry
                let services = registry.serviceOrder.compactMap { registry.services[$0] }.map(serviceJSON)
                return .json(200, ["services": services])
            case ("services", 2):
                guard method == "GET" else { return Self.methodNotAllowed("GET") }
                return .json(200, serviceJSON(try await service(segments[1])))
            case ("services", 3) where segments[2] == "handlers":
                guard method == "GET" else { return Self.methodNotAllowed("GET") }
                let service = try await service(segments[1])
                return .json(
                    200,
                    ["handlers": service.handlerOrder.compactMap { service.handlers[$0] }.map(handlerJSON)]
                )
            case ("services", 4) where segments[2] == "handlers":
                guard method == "GET" else { return Self.methodNotAllowed("GET") }
                let service = try await service(segments[1])
                guard let handler = service.handlers[segments[3]] else {
                    return Self.error(
                        404,
                        "The requested handler '\(segments[3])' on service '\(service.name)' does not exist"
                    )
                }
                return .json(200, handlerJSON(handler))
            case ("invocations", 3):
                guard method == "PATCH" else { return Self.methodNotAllowed("PATCH") }
                return try await manage(invocation: segments[1], operation: segments[2])
            default:
                // What axum answers for an unknown route: 404 and no body.
                return Reply(status: 404)
            }
        } catch let error as TestRuntimeError {
            return Self.error(error.status, error.message)
        } catch {
            return Self.error(500, "Internal server error: \(error)")
        }
    }

    private static func methodNotAllowed(_ allowed: String) -> Reply {
        Reply(status: 405, headers: [("allow", allowed)])
    }

    private func service(_ name: String) async throws(TestRuntimeError) -> Registry.Service {
        guard let service = await engine.service(named: name) else {
            throw TestRuntimeError(status: 404, "The requested service '\(name)' does not exist")
        }
        return service
    }

    // MARK: Deployments

    /// `POST /deployments`, with the request-body checks of axum's `Json` extractor first.
    private func registerDeployment(_ head: RequestHead, body: Data) async throws -> Reply {
        let contentType = head.headers["content-type"]?.lowercased() ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
        else {
            return Self.text(415, "Expected request with `Content-Type: application/json`")
        }
        do {
            _ = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        } catch {
            return Self.text(400, "Failed to parse the request body as JSON: \(error.localizedDescription)")
        }
        let request: RegisterDeploymentRequest
        do {
            request = try JSONDecoder().decode(RegisterDeploymentRequest.self, from: body)
        } catch {
            return Self.text(
                422,
                "Failed to deserialize the JSON body into the target type: data did not match any variant of untagged enum RegisterDeploymentRequest"
            )
        }
        guard let uri = request.uri else {
            if request.arn != nil {
                throw TestRuntimeError(
                    status: 400,
                    "The request field 'arn' is invalid. Reason: the test runtime cannot invoke Lambda deployments; "
                        + "it supports only h2c deployments, registered with an http:// uri"
                )
            }
            return Self.text(
                422,
                "Failed to deserialize the JSON body into the target type: data did not match any variant of untagged enum RegisterDeploymentRequest"
            )
        }
        let (force, dryRun, http11) = (request.force ?? false, request.dryRun ?? false, request.useHTTP11 ?? false)
        let headers = (request.additionalHeaders ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let address = try DeploymentAddress(uri)
        if http11 {
            throw TestRuntimeError(
                status: 400,
                "The request field 'use_http_11' is invalid. Reason: this runtime discovers and invokes over HTTP/2 (h2c) only"
            )
        }
        let transport = HTTP2Transport(
            host: address.host,
            port: address.port,
            basePath: address.path,
            extraHeaders: headers,
            server: nil
        )
        let (record, result, registry) = try await engine.discoverAndRegister(transport, force: force, dryRun: dryRun)
        let status = result == .created ? 201 : 200
        var response: [String: Any] = [
            "id": record.id,
            "services": record.services.compactMap { registry.services[$0] }.map(serviceJSON),
            "min_protocol_version": record.minProtocolVersion,
            "max_protocol_version": record.maxProtocolVersion,
        ]
        if let sdk = record.sdkVersion { response["sdk_version"] = sdk }
        return .json(status, response, headers: [("location", "deployments/\(record.id)")])
    }

    private func listDeployments() async throws -> Reply {
        let registry = await engine.registry
        let deployments = await engine.allDeployments.map { deploymentJSON($0, registry: registry, detailed: false) }
        return .json(200, ["deployments": deployments])
    }

    private func deployment(_ id: String) async throws -> Reply {
        guard let record = await engine.deployment(id) else {
            throw TestRuntimeError(status: 404, "The requested deployment '\(id)' does not exist")
        }
        return .json(200, deploymentJSON(record, registry: await engine.registry, detailed: true))
    }

    private func deploymentJSON(_ record: DeploymentRecord, registry: Registry, detailed: Bool) -> [String: Any] {
        var json: [String: Any] = [
            "id": record.id,
            "uri": record.address,
            "protocol_type": registry.protocolMode == "REQUEST_RESPONSE" ? "RequestResponse" : "BidiStream",
            "http_version": "HTTP/2.0",
            "created_at": ISO8601DateFormatter().string(from: record.createdAt),
            "min_protocol_version": record.minProtocolVersion,
            "max_protocol_version": record.maxProtocolVersion,
        ]
        if let sdk = record.sdkVersion { json["sdk_version"] = sdk }
        // Services another deployment registered since have moved there.
        let current = record.services.compactMap { registry.services[$0] }.filter { $0.deploymentID == record.id }
        if detailed {
            json["services"] = current.map(serviceJSON)
        } else {
            json["services"] = current.map { ["name": $0.name, "revision": $0.revision] as [String: Any] }
        }
        return json
    }

    // MARK: Invocations

    private func manage(invocation id: String, operation: String) async throws -> Reply {
        guard id.hasPrefix("inv_") else {
            throw TestRuntimeError(
                status: 400,
                "The request field 'invocation_id' is invalid. Reason: bad invocation id \(id)"
            )
        }
        let status = await engine.status(of: id)
        guard let status else { throw TestRuntimeError(status: 404, "The requested invocation '\(id)' does not exist") }
        switch operation {
        case "resume":
            try await engine.resume(id)
            return Reply(status: 200)
        case "cancel", "kill":
            if status == "completed" {
                throw TestRuntimeError(status: 409, "The invocation '\(id)' was already completed.")
            }
            if operation == "kill" {
                try await engine.kill(id)
                return Reply(status: 200)
            }
            try await engine.cancel(id)
            // Not started yet: cancelled at once (200); otherwise the signal was appended (202).
            return Reply(status: status == "scheduled" || status == "inboxed" ? 200 : 202)
        default:
            return Reply(status: 404)
        }
    }

    // MARK: JSON shapes

    private func serviceJSON(_ service: Registry.Service) -> [String: Any] {
        let configuration = engine.configuration
        var json: [String: Any] = [
            "name": service.name,
            "ty": Self.serviceType(service.kind.rawValue),
            "handlers": service.handlerOrder.compactMap { service.handlers[$0] }.map(handlerJSON),
            "deployment_id": service.deploymentID,
            "revision": service.revision,
            "public": !service.ingressPrivate,
            "idempotency_retention": friendlyDuration(
                service.idempotencyRetention ?? configuration.idempotencyRetention
            ),
            "inactivity_timeout": friendlyDuration(service.inactivityTimeout ?? configuration.inactivityTimeout),
            "abort_timeout": friendlyDuration(service.abortTimeout ?? configuration.abortTimeout),
            "enable_lazy_state": service.lazyState,
        ]
        if let documentation = service.documentation { json["documentation"] = documentation }
        if !service.metadata.isEmpty { json["metadata"] = service.metadata }
        if let retention = service.journalRetention { json["journal_retention"] = friendlyDuration(retention) }
        if service.kind == .workflow {
            let run = service.handlers.values.first { $0.kind == .workflow }
            json["workflow_completion_retention"] = friendlyDuration(
                run?.workflowRetention ?? configuration.workflowRetention
            )
        }
        let fallback = configuration.retryPolicy
        var retry: [String: Any] = [
            "initial_interval": friendlyDuration(
                service.retry.initialInterval ?? fallback.initialInterval ?? .milliseconds(50)
            ),
            "exponentiation_factor": service.retry.factor ?? fallback.exponentiationFactor ?? 2,
            "on_max_attempts": (service.retry.onMaxAttempts ?? fallback.onMaxAttempts?.rawValue) == "PAUSE"
                ? "Pause" : "Kill",
        ]
        if let maxAttempts = service.retry.maxAttempts ?? fallback.maxAttempts { retry["max_attempts"] = maxAttempts }
        if let maxInterval = service.retry.maxInterval ?? fallback.maxInterval {
            retry["max_interval"] = friendlyDuration(maxInterval)
        }
        json["retry_policy"] = retry
        return json
    }

    private func handlerJSON(_ handler: Registry.Handler) -> [String: Any] {
        var json: [String: Any] = [
            "name": handler.name,
            "public": handler.ingressPrivate != true,
            "input_description": Self.describeInput(handler.input),
            "output_description": Self.describeOutput(handler.output),
        ]
        if let kind = handler.kind { json["ty"] = Self.handlerType(kind.rawValue) }
        if let documentation = handler.documentation { json["documentation"] = documentation }
        if !handler.metadata.isEmpty { json["metadata"] = handler.metadata }
        if let value = handler.idempotencyRetention { json["idempotency_retention"] = friendlyDuration(value) }
        if let value = handler.journalRetention { json["journal_retention"] = friendlyDuration(value) }
        if let value = handler.inactivityTimeout { json["inactivity_timeout"] = friendlyDuration(value) }
        if let value = handler.abortTimeout { json["abort_timeout"] = friendlyDuration(value) }
        if let value = handler.lazyState { json["enable_lazy_state"] = value }
        if let schema = Self.object(handler.input)?["jsonSchema"] { json["input_json_schema"] = schema }
        if let schema = Self.object(handler.output)?["jsonSchema"] { json["output_json_schema"] = schema }
        return json
    }

    private static func object(_ data: Data?) -> [String: Any]? {
        data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    /// Restate's `InputValidationRule` display.
    private static func describeInput(_ data: Data?) -> String {
        guard let input = object(data), let contentType = input["contentType"] as? String else { return "none" }
        var shown = contentType
        if let title = (input["jsonSchema"] as? [String: Any])?["title"] as? String { shown = "JSON '\(title)'" }
        if input["required"] as? Bool == false { return "one of [\"none\", \"\(shown)\"]" }
        return shown
    }

    /// Restate's `OutputContentTypeRule` display.
    private static func describeOutput(_ data: Data?) -> String {
        guard let output = object(data), let contentType = output["contentType"] as? String else { return "none" }
        return (output["setContentTypeIfEmpty"] as? Bool == true ? "optional " : "") + contentType
    }

    /// The admin API spells kinds as Rust enum variants, the manifest in upper snake case.
    private static func serviceType(_ manifest: String) -> String {
        switch manifest {
        case "VIRTUAL_OBJECT": return "VirtualObject"
        case "WORKFLOW": return "Workflow"
        default: return "Service"
        }
    }

    private static func handlerType(_ manifest: String) -> String {
        switch manifest {
        case "EXCLUSIVE": return "Exclusive"
        case "WORKFLOW": return "Workflow"
        default: return "Shared"
        }
    }
}

/// The body of `POST /deployments` (Restate's `RegisterDeploymentRequest`, HTTP or Lambda).
private struct RegisterDeploymentRequest: Decodable {
    var uri: String?
    var arn: String?
    var force: Bool?
    var dryRun: Bool?
    var breaking: Bool?
    var useHTTP11: Bool?
    var additionalHeaders: [String: String]?

    enum CodingKeys: String, CodingKey {
        case uri, arn, force, breaking
        case dryRun = "dry_run"
        case useHTTP11 = "use_http_11"
        case additionalHeaders = "additional_headers"
    }
}
