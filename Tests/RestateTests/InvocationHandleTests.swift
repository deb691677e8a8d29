import Foundation
import RestateCore
import Testing

@testable import Restate

struct Reports: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<Reports> {
        ServiceDescriptor(
            name: "Reports",
            kind: .service,
            handlers: [
                .handler("peek") { (_: Reports, ctx: Context, month: String) -> String in
                    let handle = try ctx.send(.service("Builder", handler: "build"), input: month)
                    guard let report = try await handle.output(returning: String.self) else { return "not yet" }
                    return "ready: \(report)"
                },
                .handler("wait") { (_: Reports, ctx: Context, month: String) -> String in
                    let handle = try ctx.send(.service("Builder", handler: "build"), input: month)
                    return try await handle.attach(returning: String.self)
                },
                .handler("cancel") { (_: Reports, ctx: Context, month: String) in
                    let call = try ctx.call(.service("Builder", handler: "build"), input: month, returning: String.self)
                    try await call.handle.cancel()
                },
                .handler("workflowOutput") { (_: Reports, ctx: Context, id: String) -> Bool? in
                    try await ctx.invocationOutput(.workflow("Signup", id: id), returning: Bool.self).value
                },
                .handler("attachIdempotent") { (_: Reports, ctx: Context, key: String) -> String in
                    let reference = InvocationReference.idempotentRequest(
                        .object("Counter", key: "a", handler: "add"),
                        idempotencyKey: key
                    )
                    return try await ctx.attach(reference, returning: String.self).value
                },
            ]
        )
    }
}

private func run(_ handler: String, _ messages: [ProtocolMessage]) async throws -> [ProtocolMessage] {
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(Reports.self)
    let sink = try await endpoint.makeHandler().invoke("Reports", handler, version: .v6, messages: messages)
    return try sink.messages(version: .v6)
}

/// The commands of `messages`: what a replay journal repeats.
private func commands(_ messages: [ProtocolMessage]) -> [ProtocolMessage] {
    messages.filter {
        switch $0 {
        case .suspension, .suspensionV6, .end, .error, .outputCommand, .proposeRunCompletion, .awaitingOn: false
        default: true
        }
    }
}

private func invocationID(_ id: UInt32, _ invocation: String) -> ProtocolMessage {
    .notification(
        .callInvocationIdCompletionNotification,
        .with {
            $0.completionID = id
            $0.invocationID = invocation
        }
    )
}

@Suite("Invocation handles")
struct InvocationHandleTests {
    /// Records the send of `handler` with the invocation id known, and returns the commands issued
    /// so far and what the attempt ended with.
    private func afterSend(_ handler: String) async throws -> (journal: [ProtocolMessage], messages: [ProtocolMessage])
    {
        let first = try await run(handler, Frames.journal(input: "\"2026-11\""))
        let send = try #require(commands(first).first)
        guard case .oneWayCallCommand(let command) = send else {
            Issue.record("expected a one-way call first, got \(first)")
            return ([], [])
        }
        #expect(command.serviceName == "Builder")
        #expect(command.parameter == Data("\"2026-11\"".utf8))
        let journal = [send, invocationID(command.invocationIDNotificationIdx, "inv_report")]
        return (journal, try await run(handler, Frames.journal(input: "\"2026-11\"", journal)))
    }

    @Test("output() journals a get-invocation-output of the sent invocation and suspends on it")
    func outputCommand() async throws {
        let (_, messages) = try await afterSend("peek")
        #expect(
            messages.first
                == .getInvocationOutputCommand(
                    .with {
                        $0.invocationID = "inv_report"
                        $0.resultCompletionID = 2
                    }
                )
        )
        guard case .suspensionV6(let suspension)? = messages.last else {
            Issue.record("expected a suspension, got \(messages)")
            return
        }
        #expect(suspension.waitingCompletions == [2])
    }

    @Test(
        "output() is nil while the invocation runs, its output once it has finished",
        arguments: [
            (nil as String?, "\"not yet\""),
            ("\"March\"", "\"ready: March\""),
        ]
    )
    func output(json: String?, expected: String) async throws {
        let (journal, messages) = try await afterSend("peek")
        let replay =
            journal + commands(messages) + [
                Frames.completion(.getInvocationOutputCompletionNotification, 2, json: json)
            ]
        #expect(outputJSON(try await run("peek", Frames.journal(input: "\"2026-11\"", replay))) == expected)
    }

    @Test("output() throws the invocation's failure")
    func outputFailure() async throws {
        let (journal, messages) = try await afterSend("peek")
        let replay =
            journal + commands(messages) + [
                Frames.completion(.getInvocationOutputCompletionNotification, 2, failure: 404, "no such month")
            ]
        let failure = try #require(
            RestateTests.outputFailure(try await run("peek", Frames.journal(input: "\"2026-11\"", replay)))
        )
        #expect(failure.code == 404)
    }

    @Test("attach() journals an attach and returns the output")
    func attach() async throws {
        let (journal, messages) = try await afterSend("wait")
        #expect(
            messages.first
                == .attachInvocationCommand(
                    .with {
                        $0.invocationID = "inv_report"
                        $0.resultCompletionID = 2
                    }
                )
        )
        let replay =
            journal + commands(messages) + [
                Frames.completion(.attachInvocationCompletionNotification, 2, json: "\"March\"")
            ]
        #expect(outputJSON(try await run("wait", Frames.journal(input: "\"2026-11\"", replay))) == "\"March\"")
    }

    @Test("a call's handle cancels the callee with the cancel signal")
    func cancel() async throws {
        let first = try await run("cancel", Frames.journal(input: "\"2026-11\""))
        guard case .callCommand(let call)? = first.first else {
            Issue.record("expected a call first, got \(first)")
            return
        }
        let journal = [first[0], invocationID(call.invocationIDNotificationIdx, "inv_child")]
        let messages = try await run("cancel", Frames.journal(input: "\"2026-11\"", journal))
        #expect(
            messages.first
                == .sendSignalCommand(
                    .with {
                        $0.targetInvocationID = "inv_child"
                        $0.idx = 1
                        $0.void = .init()
                    }
                )
        )
        #expect(messages.last == .end)
    }

    @Test("invocationOutput of a workflow run targets the workflow")
    func workflowOutput() async throws {
        let first = try await run("workflowOutput", Frames.journal(input: "\"w1\""))
        guard case .getInvocationOutputCommand(let command)? = first.first else {
            Issue.record("expected a get-invocation-output, got \(first)")
            return
        }
        #expect(command.workflowTarget.workflowName == "Signup")
        #expect(command.workflowTarget.workflowKey == "w1")
        let replay = [first[0], Frames.completion(.getInvocationOutputCompletionNotification, 1, json: "true")]
        #expect(outputJSON(try await run("workflowOutput", Frames.journal(input: "\"w1\"", replay))) == "true")
        let running = [first[0], Frames.completion(.getInvocationOutputCompletionNotification, 1, json: nil)]
        #expect(outputJSON(try await run("workflowOutput", Frames.journal(input: "\"w1\"", running))) == "null")
    }

    @Test("attach to an idempotent request targets service, key, handler and idempotency key")
    func attachIdempotent() async throws {
        let first = try await run("attachIdempotent", Frames.journal(input: "\"k-1\""))
        guard case .attachInvocationCommand(let command)? = first.first else {
            Issue.record("expected an attach, got \(first)")
            return
        }
        #expect(command.idempotentRequestTarget.serviceName == "Counter")
        #expect(command.idempotentRequestTarget.serviceKey == "a")
        #expect(command.idempotentRequestTarget.handlerName == "add")
        #expect(command.idempotentRequestTarget.idempotencyKey == "k-1")
    }
}
