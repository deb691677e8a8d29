import Foundation
import NIOCore
import RestateCore
import RestateHTTP2
import Synchronization
import Testing

@testable import Restate

// The seed's SignupWorkflow, written with the API, driven through the endpoint over two attempts.

/// The emails `SignupFlow` has "sent", per workflow ID: the side effect that must run once.
private let outbox = Mutex<[String: [String]]>([:])

@Workflow
actor SignupFlow {
    static let status = StateKey<String>("status")

    /// Emails a secret and waits for it to come back.
    func run(_ ctx: WorkflowContext, email: String) async throws -> Bool {
        let secret = ctx.random.uuid().uuidString
        let workflowID = ctx.key
        try await ctx.run("send email") {
            outbox.withLock { $0[workflowID, default: []].append(secret) }
        }
        try ctx.set(Self.status, "Email sent")
        let clicked: String = try await ctx.promise("email.clicked").value
        try ctx.set(Self.status, "Email clicked")
        return clicked == secret
    }

    @Shared
    func click(_ ctx: SharedWorkflowContext, secret: String) async throws {
        try await ctx.promise("email.clicked", of: String.self).resolve(secret)
    }
}

/// Answers a `ProposeRunCompletion` with its completion, as Restate does on a bidirectional stream,
/// then ends the input; records every message the endpoint writes.
private final class RestateStandIn: ResponseSink {
    private let state = Mutex<(decoder: FrameDecoder, messages: [ProtocolMessage])>((FrameDecoder(), []))
    private let version: ProtocolVersion
    private let input: AsyncStream<ByteBuffer>.Continuation

    init(version: ProtocolVersion, input: AsyncStream<ByteBuffer>.Continuation) {
        self.version = version
        self.input = input
    }

    var messages: [ProtocolMessage] { state.withLock { $0.messages } }

    func writeHead(status: Int, headers: HeaderFields) async throws {}

    func write(_ buffer: ByteBuffer) async throws {
        let decoded = try state.withLock { state in
            state.decoder.append(buffer)
            var decoded: [ProtocolMessage] = []
            while let frame = try state.decoder.next() {
                decoded.append(try ProtocolMessage(frame: frame, version: version))
            }
            state.messages += decoded
            return decoded
        }
        for case .proposeRunCompletion(let proposal) in decoded {
            // V7 acknowledges the proposal; earlier versions send the completion.
            let answer: ProtocolMessage =
                version >= .v7
                ? .proposeRunCompletionAck(.with { $0.completionID = proposal.resultCompletionID })
                : .notification(
                    .runCompletionNotification,
                    .with {
                        $0.completionID = proposal.resultCompletionID
                        $0.value = .with { $0.content = proposal.value }
                    }
                )
            var reply = ByteBuffer()
            try answer.encode(into: &reply)
            input.yield(reply)
            input.finish()
        }
    }

    func finish() async throws {}
}

private func handler() throws -> EndpointHandler {
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(SignupFlow.self)
    return try endpoint.makeHandler()
}

private func head(_ version: ProtocolVersion) -> RequestHead {
    RequestHead(
        method: "POST",
        path: "/invoke/SignupFlow/run",
        headers: HeaderFields([("content-type", version.contentType)]),
        transport: .http2
    )
}

private func start(_ key: String, knownEntries: UInt32) -> ProtocolMessage {
    .start(
        .with {
            $0.id = Data("inv-\(key)".utf8)
            $0.debugID = "inv_\(key)"
            $0.knownEntries = knownEntries
            $0.key = key
            $0.randomSeed = 0x5EED
            $0.partialState = false
        }
    )
}

private let input = ProtocolMessage.inputCommand(
    .with { $0.value = .with { $0.content = Data("\"ada@example.com\"".utf8) } }
)

@Suite("SignupWorkflow over two attempts")
struct SignupWorkflowTests {
    @Test(
        "attempt 1 suspends on the promise; attempt 2 replays it with the click and answers",
        arguments: [(ProtocolVersion.v6, true), (.v6, false), (.v7, true), (.v7, false)]
    )
    func twoAttempts(version: ProtocolVersion, rightSecret: Bool) async throws {
        let key = "signup-\(version)-\(rightSecret)"

        // Attempt 1: a bidirectional stream. The run executes, Restate acknowledges its result,
        // the input ends, and the workflow suspends on the promise.
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        var request = ByteBuffer()
        try start(key, knownEntries: 1).encode(into: &request)
        try input.encode(into: &request)
        continuation.yield(request)
        let restate = RestateStandIn(version: version, input: continuation)
        try await handler().handle(head(version), body: stream, response: restate)
        // Hints of what the handler waits for (V7) are not part of the journal.
        let first = restate.messages.filter {
            if case .awaitingOn = $0 { return false }
            return true
        }

        let sent = outbox.withLock { $0[key] ?? [] }
        #expect(sent.count == 1)
        let secret = try #require(sent.first)
        #expect(UUID(uuidString: secret) != nil)

        guard first.count == 5,
            case .runCommand(let run) = first[0],
            case .proposeRunCompletion(let proposal) = first[1],
            case .setStateCommand(let status) = first[2],
            case .getPromiseCommand(let promise) = first[3]
        else {
            Issue.record("unexpected first attempt: \(first)")
            return
        }
        #expect(run.name == "send email")
        #expect(proposal.resultCompletionID == run.resultCompletionID)
        #expect(status.key == Data("status".utf8))
        #expect(status.value.content == Data("\"Email sent\"".utf8))
        #expect(promise.key == "email.clicked")
        switch first[4] {
        case .suspensionV6(let suspension):
            #expect(suspension.waitingCompletions == [promise.resultCompletionID])
        case .suspension(let suspension):
            #expect(suspension.awaitingOn.waitingCompletions == [promise.resultCompletionID])
        default:
            Issue.record("expected a suspension, got \(first[4])")
        }

        // Attempt 2: Restate replays the journal with the promise completed by the click.
        let clicked = rightSecret ? secret : "not-the-secret"
        let journal: [ProtocolMessage] = [
            first[0],
            .notification(
                .runCompletionNotification,
                .with {
                    $0.completionID = run.resultCompletionID
                    $0.value = .with { $0.content = proposal.value }
                }
            ),
            first[2],
            first[3],
            .notification(
                .getPromiseCompletionNotification,
                .with {
                    $0.completionID = promise.resultCompletionID
                    $0.value = .with { $0.content = Data("\"\(clicked)\"".utf8) }
                }
            ),
        ]
        var replay = ByteBuffer()
        for message in [start(key, knownEntries: UInt32(1 + journal.count)), input] + journal {
            try message.encode(into: &replay)
        }
        let (replayStream, replayContinuation) = AsyncStream<ByteBuffer>.makeStream()
        replayContinuation.yield(replay)
        replayContinuation.finish()
        let second = RestateStandIn(version: version, input: replayContinuation)
        try await handler().handle(head(version), body: replayStream, response: second)

        #expect(
            second.messages == [
                .setStateCommand(
                    .with {
                        $0.key = Data("status".utf8)
                        $0.value = .with { $0.content = Data("\"Email clicked\"".utf8) }
                    }
                ),
                .outputCommand(.with { $0.value = .with { $0.content = Data((rightSecret ? "true" : "false").utf8) } }),
                .end,
            ]
        )
        // Replaying the run returned the journaled result without sending the email again.
        #expect(outbox.withLock { $0[key]?.count } == 1)
    }
}
