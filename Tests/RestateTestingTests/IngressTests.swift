import Foundation
import NIOCore
import Restate
import Testing

@testable import RestateTesting

/// Real sockets: the endpoint is reached over loopback HTTP/2, and the test talks to the
/// ingress over another HTTP/2 connection.
@Suite("Ingress HTTP API")
struct IngressTests {
    struct Exchange {
        var status: Int
        var headers: [(String, String)]
        var body: Data

        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
    }

    static func request(
        _ client: HTTP2Client,
        _ method: String,
        _ path: String,
        body: String = "",
        headers: [(String, String)] = []
    ) async throws -> Exchange {
        let stream = AsyncStream<ByteBuffer> {
            if !body.isEmpty { $0.yield(ByteBuffer(string: body)) }
            $0.finish()
        }
        let response = try await client.request(
            method: method,
            path: path,
            headers: [("content-type", "application/json")] + headers,
            body: stream,
            onChunk: nil
        )
        return Exchange(status: response.status, headers: response.headers, body: response.body)
    }

    @Test("calls, sends, workflows and awakeables over a real port, endpoint over HTTP/2")
    func smoke() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.transport = .http2
        configuration.ingressPort = 0
        try await withRuntime(configuration) { runtime in
            let port = try #require(runtime.ingressPort)
            let client = try await HTTP2Client.connect(host: "127.0.0.1", port: port)
            defer { Task { await client.close() } }

            #expect(try await Self.request(client, "GET", "/restate/health").status == 200)

            let greet = try await Self.request(client, "POST", "/Greeter/greet", body: "\"Till\"")
            #expect(greet.status == 200)
            #expect(greet.text == "\"Hello Till!\"")
            #expect(greet.header("x-restate-id")?.hasPrefix("inv_1") == true)

            let failed = try await Self.request(client, "POST", "/Greeter/greet", body: "\"\"")
            #expect(failed.status == 400)
            #expect(failed.json?["code"] as? Int == 400)
            #expect(failed.json?["message"] as? String == "name must not be empty")

            #expect(try await Self.request(client, "POST", "/Nope/greet").status == 404)
            #expect(try await Self.request(client, "POST", "/Greeter/greet?delay=1s", body: "\"x\"").status == 400)

            let added = try await Self.request(client, "POST", "/Counter/http/add", body: "2")
            #expect(added.status == 200 && added.text == "2")
            let sent = try await Self.request(
                client,
                "POST",
                "/Counter/http/add/send",
                body: "3",
                headers: [("idempotency-key", "k1")]
            )
            #expect(sent.status == 202)
            #expect(sent.json?["status"] as? String == "Accepted")
            let invocation = try #require(sent.json?["invocationId"] as? String)
            let resent = try await Self.request(
                client,
                "POST",
                "/Counter/http/add/send",
                body: "3",
                headers: [("idempotency-key", "k1")]
            )
            #expect(resent.json?["status"] as? String == "PreviouslyAccepted")
            #expect(resent.json?["invocationId"] as? String == invocation)
            let attached = try await Self.request(client, "GET", "/restate/invocation/\(invocation)/attach")
            #expect(attached.status == 200 && attached.text == "5")

            // Workflow: submit, output not ready (470), click, attach.
            let submit = try await Self.request(client, "POST", "/Signup/web/run/send", body: "\"w@b.c\"")
            #expect(submit.status == 202)
            await runtime.settle()
            #expect(try await Self.request(client, "GET", "/restate/workflow/Signup/web/output").status == 470)
            let secret = try #require(try await runtime.state(of: "Signup", key: "web").get("secret", as: String.self))
            let click = try await Self.request(client, "POST", "/Signup/web/click", body: "\"\(secret)\"")
            #expect(click.status == 200)
            let result = try await Self.request(client, "GET", "/restate/workflow/Signup/web/attach")
            #expect(result.status == 200 && result.text == "true")

            // Awakeable resolved through the ingress.
            let waiting = try await Self.request(client, "POST", "/Counter/aw/waitForApproval/send")
            let waitingID = try #require(waiting.json?["invocationId"] as? String)
            await runtime.settle()
            let awakeable = try #require(
                try await runtime.state(of: "Counter", key: "aw").get("awakeable", as: String.self)
            )
            let resolve = try await Self.request(
                client,
                "POST",
                "/restate/awakeables/\(awakeable)/resolve",
                body: "\"ok\""
            )
            #expect(resolve.status == 202)
            await runtime.settle()
            let approved = try await Self.request(client, "GET", "/restate/invocation/\(waitingID)/output")
            #expect(approved.status == 200 && approved.text == "\"ok\"")
        }
    }

    @Test("a failed invocation answers with its code as the status and code, message and metadata as JSON")
    func failureBody() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.ingressPort = 0
        try await withRuntime(configuration) { runtime in
            let client = try await HTTP2Client.connect(host: "127.0.0.1", port: try #require(runtime.ingressPort))
            defer { Task { await client.close() } }
            // Directly, through a call, and by attaching afterwards: the same answer.
            let direct = try await Self.request(client, "POST", "/Proxy/fail")
            let called = try await Self.request(client, "POST", "/Proxy/callFail")
            let id = try #require(called.header("x-restate-id"))
            let attached = try await Self.request(client, "GET", "/restate/invocation/\(id)/attach")
            let output = try await Self.request(client, "GET", "/restate/invocation/\(id)/output")
            for exchange in [direct, called, attached, output] {
                #expect(exchange.status == 418)
                #expect(exchange.json?["code"] as? Int == 418)
                #expect(exchange.json?["message"] as? String == "no luck")
                #expect(exchange.json?["metadata"] as? [String: String] == ["reason": "teapot", "retry": "never"])
            }
            // Without metadata there is no metadata field.
            let plain = try await Self.request(client, "POST", "/Greeter/greet", body: "\"\"")
            #expect(plain.json?.keys.sorted() == ["code", "message"])
        }
    }
}
