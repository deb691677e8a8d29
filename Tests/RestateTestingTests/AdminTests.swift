import Foundation
import NIOCore
import Restate
import RestateHTTP2
import Testing

@testable import RestateTesting

/// A runtime started with no endpoint, its admin API and ingress on free ports, and a Swift
/// endpoint served on its own port, to be registered by URL as with Restate.
struct AdminFixture {
    let runtime: TestRuntime
    let endpoint: HTTP2Server
    let admin: HTTP2Client
    let ingress: HTTP2Client

    var endpointURI: String { "http://127.0.0.1:\(endpoint.port)" }

    static func with<T>(
        _ configuration: TestRuntime.Configuration = .init(),
        _ body: (AdminFixture) async throws -> T
    ) async throws -> T {
        var configuration = configuration
        configuration.adminPort = 0
        configuration.ingressPort = 0
        let runtime = try await TestRuntime.start(configuration: configuration)
        let endpoint = try await makeEndpoint().start(host: "127.0.0.1", port: 0)
        let admin = try await HTTP2Client.connect(host: "127.0.0.1", port: try #require(runtime.adminPort))
        let ingress = try await HTTP2Client.connect(host: "127.0.0.1", port: try #require(runtime.ingressPort))
        let fixture = AdminFixture(runtime: runtime, endpoint: endpoint, admin: admin, ingress: ingress)
        func close() async {
            await admin.close()
            await ingress.close()
            await runtime.shutdown()
            await endpoint.shutdown(gracePeriod: .zero)
        }
        do {
            let result = try await body(fixture)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }

    func admin(
        _ method: String,
        _ path: String,
        body: String = "",
        contentType: String? = "application/json"
    ) async throws -> IngressTests.Exchange {
        let stream = AsyncStream<ByteBuffer> {
            if !body.isEmpty { $0.yield(ByteBuffer(string: body)) }
            $0.finish()
        }
        let response = try await admin.request(
            method: method,
            path: path,
            headers: contentType.map { [("content-type", $0)] } ?? [],
            body: stream,
            onChunk: nil
        )
        return IngressTests.Exchange(status: response.status, headers: response.headers, body: response.body)
    }
}

@Suite("Admin API")
struct AdminTests {
    @Test("POST /deployments discovers an endpoint by URL over HTTP/2 and its services become callable")
    func registerByURL() async throws {
        try await AdminFixture.with { fixture in
            #expect(try await fixture.admin("GET", "/health").status == 200)
            let empty = try await fixture.admin("GET", "/services")
            #expect(empty.status == 200)
            #expect((empty.json?["services"] as? [Any])?.isEmpty == true)
            // Nothing registered: the ingress does not know the service yet.
            #expect(
                try await IngressTests.request(fixture.ingress, "POST", "/Greeter/greet", body: "\"A\"").status == 404
            )

            let created = try await fixture.admin("POST", "/deployments", body: #"{"uri": "\#(fixture.endpointURI)"}"#)
            #expect(created.status == 201)
            let id = try #require(created.json?["id"] as? String)
            #expect(id.hasPrefix("dp_"))
            #expect(created.header("location") == "deployments/\(id)")
            let services = try #require(created.json?["services"] as? [[String: Any]])
            #expect(services.compactMap { $0["name"] as? String }.sorted() == makeEndpoint().serviceNames.sorted())
            #expect(created.json?["min_protocol_version"] as? Int == 5)
            #expect((created.json?["sdk_version"] as? String)?.isEmpty == false)

            // The same URL with the same services: unchanged, 200, same id.
            let again = try await fixture.admin("POST", "/deployments", body: #"{"uri": "\#(fixture.endpointURI)/"}"#)
            #expect(again.status == 200)
            #expect(again.json?["id"] as? String == id)

            let greet = try await IngressTests.request(fixture.ingress, "POST", "/Greeter/greet", body: "\"Ada\"")
            #expect(greet.status == 200 && greet.text == "\"Hello Ada!\"")
            let added = try await IngressTests.request(fixture.ingress, "POST", "/Counter/k/add", body: "4")
            #expect(added.status == 200 && added.text == "4")

            let deployments = try await fixture.admin("GET", "/deployments")
            let listed = try #require(deployments.json?["deployments"] as? [[String: Any]])
            #expect(listed.count == 1)
            #expect(listed.first?["uri"] as? String == fixture.endpointURI + "/")
            let one = try await fixture.admin("GET", "/deployments/\(id)")
            #expect(one.status == 200 && one.json?["id"] as? String == id)
            let missing = try await fixture.admin("GET", "/deployments/dp_1nope")
            #expect(missing.status == 404)
            #expect(missing.json?["message"] as? String == "The requested deployment 'dp_1nope' does not exist")
        }
    }

    @Test("GET /services and /services/{name} describe kinds, handlers and options like Restate")
    func services() async throws {
        try await AdminFixture.with { fixture in
            try await fixture.runtime.register(uri: fixture.endpointURI)
            let list = try await fixture.admin("GET", "/services")
            let services = try #require(list.json?["services"] as? [[String: Any]])
            let byName = Dictionary(uniqueKeysWithValues: services.map { ($0["name"] as? String ?? "", $0) })
            #expect(byName["Greeter"]?["ty"] as? String == "Service")
            #expect(byName["Counter"]?["ty"] as? String == "VirtualObject")
            #expect(byName["Signup"]?["ty"] as? String == "Workflow")

            let counter = try await fixture.admin("GET", "/services/Counter")
            #expect(counter.status == 200)
            let handlers = try #require(counter.json?["handlers"] as? [[String: Any]])
            let kinds = Dictionary(
                uniqueKeysWithValues: handlers.map { ($0["name"] as? String ?? "", $0["ty"] as? String) }
            )
            #expect(kinds["add"] == "Exclusive")
            #expect(kinds["get"] == "Shared")
            #expect(counter.json?["revision"] as? Int == 1)
            #expect(counter.json?["public"] as? Bool == true)
            #expect(counter.json?["inactivity_timeout"] as? String == "1m")
            #expect(counter.json?["abort_timeout"] as? String == "10m")
            #expect(counter.json?["idempotency_retention"] as? String == "1d")
            #expect((counter.json?["deployment_id"] as? String)?.hasPrefix("dp_") == true)

            let retained = try await fixture.admin("GET", "/services/Retained")
            #expect(retained.json?["workflow_completion_retention"] as? String == "1h")
            let greeterHandlers = try await fixture.admin("GET", "/services/Greeter/handlers")
            let greet = (greeterHandlers.json?["handlers"] as? [[String: Any]])?.first
            #expect(greet?["name"] as? String == "greet")
            #expect(greet?["ty"] == nil)
            #expect(try await fixture.admin("GET", "/services/Greeter/handlers/greet").status == 200)

            let unknown = try await fixture.admin("GET", "/services/Nope")
            #expect(unknown.status == 404)
            #expect(unknown.json?["message"] as? String == "The requested service 'Nope' does not exist")
            let unknownHandler = try await fixture.admin("GET", "/services/Greeter/handlers/nope")
            #expect(unknownHandler.status == 404)
            #expect(try await fixture.admin("DELETE", "/services").status == 405)
            #expect(try await fixture.admin("GET", "/nothing/here").status == 404)
        }
    }

    @Test("POST /deployments rejects bad requests with Restate's status codes")
    func badRegistrations() async throws {
        try await AdminFixture.with { fixture in
            let noContentType = try await fixture.admin(
                "POST",
                "/deployments",
                body: #"{"uri": "\#(fixture.endpointURI)"}"#,
                contentType: nil
            )
            #expect(noContentType.status == 415)

            let malformed = try await fixture.admin("POST", "/deployments", body: #"{"uri": "#)
            #expect(malformed.status == 400)
            #expect(malformed.text.hasPrefix("Failed to parse the request body as JSON"))

            for body in [
                #"{"url": "http://x"}"#, #"["http://x"]"#, #"{"uri": 7}"#, #"{"uri": "http://x", "force": 1}"#,
            ] {
                let wrongShape = try await fixture.admin("POST", "/deployments", body: body)
                #expect(wrongShape.status == 422, "\(body)")
            }

            let relative = try await fixture.admin("POST", "/deployments", body: #"{"uri": "/just/a/path"}"#)
            #expect(relative.status == 400)
            #expect(
                relative.json?["message"] as? String
                    == "The request field 'uri' is invalid. Reason: The provided uri /just/a/path is not absolute, only absolute URIs can be used."
            )
            // TLS and Lambda deployments: refused with a reason, before anything is contacted.
            let tls = try await fixture.admin("POST", "/deployments", body: #"{"uri": "https://127.0.0.1:9080"}"#)
            #expect(tls.status == 400)
            #expect(
                tls.json?["message"] as? String
                    == "The request field 'uri' is invalid. Reason: the test runtime supports only h2c deployments, "
                    + "so the uri must start with http:// (got https://)"
            )
            let lambda = try await fixture.admin("POST", "/deployments", body: #"{"arn": "arn:aws:lambda:x"}"#)
            #expect(lambda.status == 400)
            let lambdaMessage = try #require(lambda.json?["message"] as? String)
            #expect(lambdaMessage.contains("Lambda") && lambdaMessage.contains("only h2c"))
            #expect(lambdaMessage.contains("http://"))
            let http11 = try await fixture.admin(
                "POST",
                "/deployments",
                body: #"{"uri": "\#(fixture.endpointURI)", "use_http_11": true}"#
            )
            #expect(http11.status == 400)

            // Nothing listens there (port 1 is privileged and unused here): discovery fails.
            let unreachable = try await fixture.admin("POST", "/deployments", body: #"{"uri": "http://127.0.0.1:1"}"#)
            #expect(unreachable.status == 500)
            #expect(unreachable.json?["restate_code"] as? String == "META0003")
            // A server is there, but it is not a Restate endpoint (the admin API itself): 404.
            let adminPort = try #require(fixture.runtime.adminPort)
            let wrongPath = try await fixture.admin(
                "POST",
                "/deployments",
                body: #"{"uri": "http://127.0.0.1:\#(adminPort)"}"#
            )
            #expect(wrongPath.status == 500)
            #expect((wrongPath.json?["message"] as? String)?.contains("got status code '404'") == true)

            // None of that registered anything.
            #expect((try await fixture.admin("GET", "/deployments").json?["deployments"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("dry_run discovers without registering")
    func dryRun() async throws {
        try await AdminFixture.with { fixture in
            let dry = try await fixture.admin(
                "POST",
                "/deployments",
                body: #"{"uri": "\#(fixture.endpointURI)", "dry_run": true}"#
            )
            #expect(dry.status == 201)
            #expect((dry.json?["services"] as? [Any])?.count == makeEndpoint().serviceNames.count)
            #expect((try await fixture.admin("GET", "/services").json?["services"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("register(uri:) through the test API; a bad URL or an absent endpoint throws")
    func registerFromTests() async throws {
        try await AdminFixture.with { fixture in
            await #expect(throws: TestRuntimeError.self) { try await fixture.runtime.register(uri: "not a url") }
            let unreachable = await #expect(throws: TestRuntimeError.self) {
                try await fixture.runtime.register(uri: "http://127.0.0.1:1")
            }
            #expect(unreachable?.status == 500)
            #expect(unreachable?.message.hasPrefix("[META0003]") == true)
            let deployment = try await fixture.runtime.register(uri: fixture.endpointURI)
            #expect(deployment.services.contains("Greeter"))
            #expect(await fixture.runtime.deployments == [deployment])
            let greeting: String = try await fixture.runtime.call("Greeter", "greet", input: "Bo")
            #expect(greeting == "Hello Bo!")
        }
    }

    @Test("PATCH /invocations/{id}/cancel, /kill and /resume answer as Restate")
    func invocations() async throws {
        try await AdminFixture.with { fixture in
            try await fixture.runtime.register(uri: fixture.endpointURI)
            let receipt = try await fixture.runtime.send(service: "Counter", handler: "waitForApproval", key: "adm")
            await fixture.runtime.settle()
            let id = receipt.invocationID
            #expect(try await fixture.admin("PATCH", "/invocations/\(id)/resume").status == 200)
            await fixture.runtime.settle()
            #expect(await fixture.runtime.status(invocationID: id) == "suspended")
            #expect(try await fixture.admin("PATCH", "/invocations/\(id)/cancel").status == 202)
            #expect(
                try await fixture.runtime.attach(invocationID: id) == .failure(code: 409, message: "cancelled")
            )
            let done = try await fixture.admin("PATCH", "/invocations/\(id)/kill")
            #expect(done.status == 409)
            #expect(done.json?["message"] as? String == "The invocation '\(id)' was already completed.")
            #expect(try await fixture.admin("PATCH", "/invocations/\(id)/resume").status == 409)
            #expect(try await fixture.admin("PATCH", "/invocations/inv_1missing/resume").status == 404)
            #expect(try await fixture.admin("PATCH", "/invocations/garbage/kill").status == 400)

            let other = try await fixture.runtime.send(service: "Counter", handler: "waitForApproval", key: "adm2")
            await fixture.runtime.settle()
            #expect(try await fixture.admin("PATCH", "/invocations/\(other.invocationID)/kill").status == 200)
            #expect(
                try await fixture.runtime.output(invocationID: other.invocationID)
                    == .failure(code: 409, message: "killed")
            )
        }
    }
}
