import Foundation
import NIOCore
import Restate
import RestateCore
import RestateHTTP2
import Testing

@testable import RestateTesting

/// The Swift twins of Tests/Fidelity/services.py, declared in Services.swift: same service and
/// handler names, kinds, inputs, outputs, state keys and errors.
func fidelityEndpoint() -> Endpoint {
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(Greeter.self)
    endpoint.bind(Counter.self)
    endpoint.bind(Signup.self)
    endpoint.bind(Sleeper.self)
    endpoint.bind(Flaky.self)
    return endpoint
}

/// Tests/Fidelity/serve.py (hypercorn, h2c) in a child process.
struct PythonEndpoint {
    let process: Subprocess
    let port: Int

    var uri: String { "http://127.0.0.1:\(port)" }

    static func start(python: String) async throws -> PythonEndpoint {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fidelity/serve.py")
        let process = try Subprocess.launch(URL(fileURLWithPath: python), arguments: [script.path])
        do {
            let line = await process.line { $0.hasPrefix("PORT ") }
            let portLine = try #require(line, "serve.py printed no port:\n\(process.output)")
            let port = try #require(Int(portLine.dropFirst("PORT ".count)))
            // The socket listens before hypercorn serves: poll discovery a bounded number of times.
            var served = false
            for _ in 0..<300 where !served {
                if let client = try? await HTTP2Client.connect(host: "127.0.0.1", port: port) {
                    let response = try? await client.request(
                        method: "GET",
                        path: "/discover",
                        headers: [("accept", manifestAccept)],
                        body: AsyncStream { $0.finish() },
                        onChunk: nil
                    )
                    await client.close()
                    served = response?.status == 200
                }
                if !served { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(served, "hypercorn never answered /discover:\n\(process.output)")
            return PythonEndpoint(process: process, port: port)
        } catch {
            await process.terminate()
            throw error
        }
    }
}

@Suite("Fidelity with the official Python SDK")
struct FidelityTests {
    static let python = ProcessInfo.processInfo.environment["RESTATE_FIDELITY_PYTHON"]

    struct Mode: Sendable, CustomStringConvertible {
        var version: ProtocolVersion
        var invocationMode: TestRuntime.InvocationMode
        var description: String { "V\(version.rawValue) \(invocationMode)" }
    }

    static let modes = [
        Mode(version: .v6, invocationMode: .requestResponse), Mode(version: .v7, invocationMode: .bidiStream),
    ]

    @Test(
        "the same scenarios give the same outputs, status codes and state against the Swift and the Python endpoint",
        .enabled(
            if: python != nil,
            "set RESTATE_FIDELITY_PYTHON to a python with Tests/Fidelity/requirements.txt installed (.ci/run does)"
        )
    )
    func sameResults() async throws {
        let python = try await PythonEndpoint.start(python: try #require(Self.python))
        let swiftServer = try await fidelityEndpoint().start(host: "127.0.0.1", port: 0)
        do {
            for mode in Self.modes {
                let swift = try await Self.transcript(of: "http://127.0.0.1:\(swiftServer.port)", mode: mode)
                let fromPython = try await Self.transcript(of: python.uri, mode: mode)
                // Not vacuous: the Swift side shows the expected results.
                #expect(swift.contains("greet \"Till\" -> 200 \"Hello Till!\""))
                #expect(swift.contains("workflow attach -> 200 true"))
                #expect(swift.count == fromPython.count, "\(mode): \(swift) vs \(fromPython)")
                for (swiftLine, pythonLine) in zip(swift, fromPython) {
                    #expect(swiftLine == pythonLine, "\(mode)")
                }
            }
        } catch {
            await swiftServer.shutdown(gracePeriod: .zero)
            await python.process.terminate()
            throw error
        }
        await swiftServer.shutdown(gracePeriod: .zero)
        let status = await python.process.terminate()
        #expect(status == 0 || status == nil, "\(python.process.output)")
    }

    /// With `RESTATE_FIDELITY_TRACE` set, every step is written to stderr as it happens.
    static func trace(_ text: String) {
        guard ProcessInfo.processInfo.environment["RESTATE_FIDELITY_TRACE"] != nil else { return }
        FileHandle.standardError.write(Data("[fidelity] \(Date().timeIntervalSince1970) \(text)\n".utf8))
    }

    /// JSON re-encoded with sorted keys and no spacing, so that `[1, 2]` (Python) and `[1,2]`
    /// (Swift) compare equal; anything else as text.
    static func canonical(_ data: Data) -> String {
        guard !data.isEmpty else { return "" }
        guard let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let encoded = try? JSONSerialization.data(
                withJSONObject: value,
                options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]
            )
        else { return String(decoding: data, as: UTF8.self) }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// Registers the deployment at `uri` with a fresh runtime and plays every scenario through
    /// the ingress, noting what a client can observe.
    static func transcript(of uri: String, mode: Mode) async throws -> [String] {
        trace("\(uri) in \(mode)")
        var configuration = TestRuntime.Configuration()
        configuration.protocolVersion = mode.version
        configuration.invocationMode = mode.invocationMode
        configuration.ingressPort = 0
        // The Python SDK does not say when it is blocked (no AwaitingOnMessage), so in
        // bidirectional mode an attempt waiting on a promise or awakeable stays open until the
        // inactivity timeout closes it, as with Restate; a minute per wait would make this slow.
        configuration.inactivityTimeout = .milliseconds(500)
        let runtime = try await TestRuntime.start(configuration: configuration)
        let ingress: HTTP2Client
        do {
            try await runtime.register(uri: uri)
            ingress = try await HTTP2Client.connect(host: "127.0.0.1", port: try #require(runtime.ingressPort))
        } catch {
            await runtime.shutdown()
            throw error
        }
        do {
            let lines = try await play(runtime, ingress)
            await ingress.close()
            await runtime.shutdown()
            return lines
        } catch {
            await ingress.close()
            await runtime.shutdown()
            throw error
        }
    }

    private static func play(_ runtime: TestRuntime, _ ingress: HTTP2Client) async throws -> [String] {
        var lines: [String] = []
        func call(
            _ label: String,
            _ method: String,
            _ path: String,
            body: String = "",
            headers: [(String, String)] = []
        ) async throws -> IngressTests.Exchange {
            trace("→ \(label)")
            let exchange = try await IngressTests.request(ingress, method, path, body: body, headers: headers)
            lines.append("\(label) -> \(exchange.status) \(canonical(exchange.body))")
            trace(lines.last ?? "")
            return exchange
        }
        // A send's answer without the invocation id, which differs between runs.
        func send(_ label: String, _ path: String, body: String = "") async throws -> IngressTests.Exchange {
            trace("→ \(label)")
            let exchange = try await IngressTests.request(ingress, "POST", path, body: body)
            lines.append(
                "\(label) -> \(exchange.status) \(exchange.json?["status"] ?? "") \(exchange.header("x-restate-id") != nil)"
            )
            trace(lines.last ?? "")
            return exchange
        }
        func state(_ service: String, _ key: String) async -> String {
            var entries: [String] = []
            for name in await runtime.state(of: service, key: key).keys() {
                entries.append("\(name)=\(canonical(await runtime.state(of: service, key: key).raw(name) ?? Data()))")
            }
            return entries.joined(separator: " ")
        }

        // Greeter: output and a terminal error with its code.
        _ = try await call("greet \"Till\"", "POST", "/Greeter/greet", body: "\"Till\"")
        _ = try await call("greet \"\"", "POST", "/Greeter/greet", body: "\"\"")

        // Counter: state across calls, a shared handler, idempotent sends.
        _ = try await call("add 1", "POST", "/Counter/a/add", body: "1")
        _ = try await call("add 2", "POST", "/Counter/a/add", body: "2")
        _ = try await call("get a", "POST", "/Counter/a/get")
        _ = try await call("get b", "POST", "/Counter/b/get")
        lines.append("state Counter/a: \(await state("Counter", "a"))")
        let first = try await IngressTests.request(
            ingress,
            "POST",
            "/Counter/i/add/send",
            body: "5",
            headers: [("idempotency-key", "once")]
        )
        let second = try await IngressTests.request(
            ingress,
            "POST",
            "/Counter/i/add/send",
            body: "5",
            headers: [("idempotency-key", "once")]
        )
        lines.append(
            "idempotent sends -> \(first.status) \(first.json?["status"] ?? "") \(second.json?["status"] ?? "")"
        )
        lines.append(
            "same invocation: \(first.json?["invocationId"] as? String == second.json?["invocationId"] as? String)"
        )
        let idempotent = try #require(first.json?["invocationId"] as? String)
        _ = try await call("attach idempotent", "GET", "/restate/invocation/\(idempotent)/attach")
        lines.append("state Counter/i: \(await state("Counter", "i"))")

        // Workflow: run once per ID, a durable promise, output before the end.
        _ = try await send("workflow submit", "/Signup/w1/run/send", body: "\"a@b.c\"")
        await runtime.settle()
        _ = try await call("workflow output early", "GET", "/restate/workflow/Signup/w1/output")
        _ = try await call("workflow status", "POST", "/Signup/w1/getStatus")
        _ = try await send("workflow resubmit", "/Signup/w1/run/send", body: "\"a@b.c\"")
        let secret = try #require(try await runtime.state(of: "Signup", key: "w1").get("secret", as: String.self))
        _ = try await call("workflow click", "POST", "/Signup/w1/click", body: "\"\(secret)\"")
        _ = try await call("workflow attach", "GET", "/restate/workflow/Signup/w1/attach")
        _ = try await call("workflow output", "GET", "/restate/workflow/Signup/w1/output")
        _ = try await call("workflow status after", "POST", "/Signup/w1/getStatus")
        _ = try await call("workflow run again", "POST", "/Signup/w1/run", body: "\"a@b.c\"")
        lines.append("state Signup/w1 keys: \(await runtime.state(of: "Signup", key: "w1").keys())")
        _ = try await send("wrong secret submit", "/Signup/w2/run/send", body: "\"c@d.e\"")
        await runtime.settle()
        _ = try await call("wrong secret click", "POST", "/Signup/w2/click", body: "\"nope\"")
        _ = try await call("wrong secret attach", "GET", "/restate/workflow/Signup/w2/attach")

        // A durable sleep of a day on the virtual clock.
        let before = await runtime.now
        _ = try await call("sleep a day", "POST", "/Sleeper/sleep", body: "86400")
        lines.append("a day passed: \(await runtime.now.timeIntervalSince(before) >= 86_400)")

        // ctx.run with retries: fails twice, then succeeds; and one that gives up.
        let flaky = "flaky-\(UUID().uuidString)"
        _ = try await call("run with retries", "POST", "/Flaky/succeedAfter", body: "[\"\(flaky)\", \"2\"]")
        let hopeless = try await IngressTests.request(
            ingress,
            "POST",
            "/Flaky/giveUp",
            body: "\"hopeless-\(UUID().uuidString)\""
        )
        let message = hopeless.json?["message"] as? String ?? ""
        lines.append(
            "run gives up -> \(hopeless.status) \(hopeless.json?["code"] ?? "") mentions boom 2: \(message.contains("boom 2"))"
        )

        // Awakeables resolved and rejected from outside.
        let waiting = try await send("approval submit", "/Counter/aw/waitForApproval/send")
        let rejected = try await send("rejection submit", "/Counter/aw2/waitForApproval/send")
        await runtime.settle()
        let approve = try #require(try await runtime.state(of: "Counter", key: "aw").get("awakeable", as: String.self))
        let refuse = try #require(try await runtime.state(of: "Counter", key: "aw2").get("awakeable", as: String.self))
        lines.append("awakeable id shape: \(approve.hasPrefix("sign_1") && approve.count == 44)")
        _ = try await call("resolve", "POST", "/restate/awakeables/\(approve)/resolve", body: "\"ok\"")
        _ = try await call("reject", "POST", "/restate/awakeables/\(refuse)/reject", body: "no")
        await runtime.settle()
        let waitingID = try #require(waiting.json?["invocationId"] as? String)
        let rejectedID = try #require(rejected.json?["invocationId"] as? String)
        _ = try await call("resolved output", "GET", "/restate/invocation/\(waitingID)/attach")
        _ = try await call("rejected output", "GET", "/restate/invocation/\(rejectedID)/attach")

        // Workflow retention (24 h by default on both sides): then the output is gone.
        try await runtime.advance(by: .seconds(24 * 3600 + 1))
        let purged = try await IngressTests.request(ingress, "GET", "/restate/workflow/Signup/w1/output")
        lines.append("after retention -> \(purged.status)")
        lines.append("state Signup/w1 after retention: \(await runtime.state(of: "Signup", key: "w1").keys())")
        return lines
    }
}
