import Foundation
import NIOCore
import RestateCore
import RestateHTTP2

/// Answers Restate's requests: discovery, health, and invocations.
///
/// Transport-independent: the HTTP/2 server calls ``handle(_:body:response:)`` for every request,
/// and tests call it with in-memory bodies and sinks.
public final class EndpointHandler: Sendable {
    let services: [String: BoundService]
    let serviceOrder: [String]
    let configuration: Endpoint.Configuration
    let identity: RequestIdentityVerifier

    init(services: [BoundService], configuration: Endpoint.Configuration) throws {
        var byName: [String: BoundService] = [:]
        for service in services { byName[service.name] = service }
        self.services = byName
        self.serviceOrder = services.map(\.name)
        self.configuration = configuration
        self.identity = try RequestIdentityVerifier(keys: configuration.identityKeys)
    }

    /// Serves one request.
    public func handle<Body: AsyncSequence & Sendable>(
        _ head: RequestHead,
        body: Body,
        response: some ResponseSink
    ) async where Body.Element == ByteBuffer {
        let path = head.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.path
        if path == "/health" || path.hasSuffix("/health") {
            await respond(response, status: 200, text: "OK")
            return
        }
        do {
            try identity.verify(path: path) { head.headers[$0] }
        } catch {
            await respond(response, status: 401, text: "Unauthorized: \(error)")
            return
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        if segments.last == "discover" {
            await discover(head, response: response)
            return
        }
        guard segments.count >= 3, segments[segments.count - 3] == "invoke" else {
            await respond(response, status: 404, text: "Not found: \(path)")
            return
        }
        let serviceName = String(segments[segments.count - 2])
        let handlerName = String(segments[segments.count - 1])
        guard let service = services[serviceName] else {
            await respond(response, status: 404, text: "No service named \(serviceName)")
            return
        }
        guard let handler = service.handlers[handlerName] else {
            await respond(response, status: 404, text: "Service \(serviceName) has no handler named \(handlerName)")
            return
        }
        guard head.method == "POST" else {
            await respond(response, status: 405, text: "Invocations use POST")
            return
        }
        let machine: InvocationStateMachine
        do {
            machine = try InvocationStateMachine(contentType: head.headers["content-type"], options: configuration.stateMachine)
        } catch {
            await respond(response, status: 415, text: error.message)
            return
        }
        await invoke(handler, machine: machine, body: body, response: response)
    }

    // MARK: Invocations

    private func invoke<Body: AsyncSequence & Sendable>(
        _ handler: BoundService.Handler,
        machine: consuming InvocationStateMachine,
        body: Body,
        response: some ResponseSink
    ) async where Body.Element == ByteBuffer {
        let contentType = machine.responseContentType
        let invocation = Invocation(machine: machine, writer: SinkOutputWriter(sink: response))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await chunk in body { invocation.receivedInput(chunk) }
                    invocation.receivedEndOfInput()
                } catch {
                    invocation.receivedEndOfInput(error: error)
                }
            }
            do {
                try await response.writeHead(
                    status: 200,
                    headers: [("content-type", contentType), ("x-restate-server", Version.serverHeader)]
                )
            } catch {
                group.cancelAll()
                return
            }
            await run(handler, invocation: invocation)
            do {
                try await invocation.flush()
                try await response.finish()
            } catch {
                // The transport is gone; Restate retries the attempt.
            }
            // Restate closes its side after our terminal message; reading to the end keeps
            // proxies that expect a fully read request body happy.
            await group.waitForAll()
        }
    }

    private func run(_ handler: BoundService.Handler, invocation: Invocation) async {
        defer { invocation.cancelRuns() }
        do {
            try await invocation.waitUntilReady()
        } catch {
            return  // the state machine wrote the error
        }
        let input: InvocationStateMachine.Input
        do {
            input = try invocation.start()
        } catch {
            return
        }
        do {
            let output = try await handler.run(input.key, invocation, input.body)
            try invocation.machineCall { machine in
                try machine.writeOutput(.success(output))
                try machine.end()
            }
        } catch let error as TerminalError {
            try? invocation.machineCall { machine in
                try machine.writeOutput(.failure(Failure(error)))
                try machine.end()
            }
        } catch is Suspended {
        } catch is InvocationAttemptError {
        } catch let error as RetryableError {
            invocation.fail(code: error.code, message: error.message, retryAfter: error.retryAfter)
        } catch {
            invocation.fail(code: 500, message: String(describing: error), retryAfter: nil)
        }
    }

    // MARK: Plain responses

    func respond(_ response: some ResponseSink, status: Int, text: String) async {
        do {
            try await response.writeHead(
                status: status,
                headers: [("content-type", "text/plain; charset=utf-8"), ("x-restate-server", Version.serverHeader)]
            )
            try await response.write(ByteBuffer(string: text))
            try await response.finish()
        } catch {
            // The peer went away; nothing to tell it.
        }
    }
}

/// The SDK's version, as announced in `x-restate-server`.
enum Version {
    static let sdk = "0.1.0"
    static let serverHeader = "restate-sdk-swift/\(sdk)"
}
