import Foundation
import NIOCore
import Testing

@testable import RestateTesting

/// `swift run SignupWorkflow --dev`, for real: the built sample runs as a child process, serves
/// its endpoint over HTTP/2, starts the local runtime, registers the endpoint by URL, and the
/// seed's `curl` flow is played against its ingress.
@Suite("Dev mode")
struct DevModeTests {
    /// A product built next to the test bundle (`.build/<triple>/debug`).
    static func builtProduct(named name: String) -> URL? {
        var directories: [URL] = []
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in directories {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    static func port(after label: String, in text: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains(label) }),
            let colon = line.lastIndex(of: ":")
        else { return nil }
        return Int(line[line.index(after: colon)...].prefix { $0.isNumber })
    }

    @Test("SignupWorkflow --dev: endpoint over HTTP/2, runtime registered by URL, the seed's curl flow works")
    func signupWorkflow() async throws {
        let binary = try #require(
            Self.builtProduct(named: "SignupWorkflow"),
            "the SignupWorkflow sample is not built next to the tests; run `swift build --build-tests` first"
        )
        // Free ports everywhere, one through an argument and two through the environment.
        let process = try Subprocess.launch(
            binary,
            arguments: ["--dev", "--ingress-port", "0"],
            environment: ["PORT": "0", "RESTATE_ADMIN_PORT": "0"]
        )
        do {
            try await play(process)
        } catch {
            await process.terminate()
            throw error
        }
        // `nil`: it ended, but Foundation lost its status (see Subprocess.exitStatus()).
        let status = await process.terminate()
        #expect(status == 0 || status == nil, "exit status after SIGTERM; output:\n\(process.output)")
    }

    private func play(_ process: Subprocess) async throws {
        let ready = await process.line { $0.contains("Ctrl-C to stop") }
        try #require(ready != nil, "no banner; output:\n\(process.output)")
        let banner = process.output
        let ingressPort = try #require(Self.port(after: "ingress", in: banner))
        let adminPort = try #require(Self.port(after: "admin", in: banner))
        let endpointPort = try #require(Self.port(after: "endpoint", in: banner))
        // The README's commands, with the port that was picked.
        let host = "localhost:\(ingressPort)"
        #expect(
            banner.contains(
                "curl \(host)/SignupWorkflow/someone/run -H 'content-type: application/json' -d '\"someone@restate.dev\"'"
            )
        )
        #expect(banner.contains("curl \(host)/restate/workflow/SignupWorkflow/someone/attach"))
        #expect(banner.contains("curl \(host)/restate/workflow/SignupWorkflow/someone/output"))

        let admin = try await HTTP2Client.connect(host: "127.0.0.1", port: adminPort)
        let ingress = try await HTTP2Client.connect(host: "127.0.0.1", port: ingressPort)
        defer {
            Task {
                await admin.close()
                await ingress.close()
            }
        }
        // Registered by URL, as `restate deployments register` would.
        let deployments = try await IngressTests.request(admin, "GET", "/deployments")
        let listed = try #require(deployments.json?["deployments"] as? [[String: Any]])
        #expect(listed.first?["uri"] as? String == "http://127.0.0.1:\(endpointPort)/")
        let service = try await IngressTests.request(admin, "GET", "/services/SignupWorkflow")
        #expect(service.json?["ty"] as? String == "Workflow")

        // curl localhost:8080/SignupWorkflow/someone/run ... blocks until the workflow ends.
        let run = Task {
            try await IngressTests.request(
                ingress,
                "POST",
                "/SignupWorkflow/someone/run",
                body: "\"someone@restate.dev\""
            )
        }
        let email = await process.line { $0.contains("[SignupWorkflow someone] email to someone@restate.dev") }
        let line = try #require(email, "the workflow sent no email; output:\n\(process.output)")
        // The printed click command goes to the ingress that was picked, not to 8080.
        #expect(line.contains("to click: curl -X POST http://localhost:\(ingressPort)/SignupWorkflow/someone/click"))
        let secret = try #require(
            line.components(separatedBy: "with secret ").last?.split(separator: ";").first.map(String.init)
        )
        let early = try await IngressTests.request(ingress, "GET", "/restate/workflow/SignupWorkflow/someone/output")
        #expect(early.status == 470)
        // The status is written right after the email step; poll a bounded number of times.
        var status = ""
        for _ in 0..<400 where status != "\"Email sent\"" {
            status = try await IngressTests.request(ingress, "POST", "/SignupWorkflow/someone/getStatus").text
            if status != "\"Email sent\"" { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(status == "\"Email sent\"")

        let click = try await IngressTests.request(
            ingress,
            "POST",
            "/SignupWorkflow/someone/click",
            body: "\"\(secret)\""
        )
        #expect(click.status == 200)
        let result = try await run.value
        #expect(result.status == 200 && result.text == "true")
        let attach = try await IngressTests.request(ingress, "GET", "/restate/workflow/SignupWorkflow/someone/attach")
        #expect(attach.status == 200 && attach.text == "true")
        let output = try await IngressTests.request(ingress, "GET", "/restate/workflow/SignupWorkflow/someone/output")
        #expect(output.status == 200 && output.text == "true")
        let final = try await IngressTests.request(ingress, "POST", "/SignupWorkflow/someone/getStatus")
        #expect(final.text == "\"Email clicked\"")
    }

    @Test("ports come from arguments over the environment over the defaults; bad ones are refused")
    func options() throws {
        let defaults = try DevelopmentOptions(arguments: ["x"], environment: [:])
        #expect(
            defaults == DevelopmentOptions(development: false, endpointPort: 9080, ingressPort: 8080, adminPort: 9070)
        )
        let mixed = try DevelopmentOptions(
            arguments: ["x", "--dev", "--ingress-port", "18080", "--port=19080"],
            environment: ["PORT": "1", "RESTATE_INGRESS_PORT": "2", "RESTATE_ADMIN_PORT": "19070"]
        )
        #expect(
            mixed == DevelopmentOptions(development: true, endpointPort: 19080, ingressPort: 18080, adminPort: 19070)
        )
        #expect(throws: TestRuntimeError.self) { try DevelopmentOptions(arguments: ["x", "--port"], environment: [:]) }
        #expect(throws: TestRuntimeError.self) {
            try DevelopmentOptions(arguments: ["x"], environment: ["RESTATE_INGRESS_PORT": "eighty"])
        }
        #expect(throws: TestRuntimeError.self) {
            try DevelopmentOptions(arguments: ["x", "--admin-port", "70000"], environment: [:])
        }
    }
}
