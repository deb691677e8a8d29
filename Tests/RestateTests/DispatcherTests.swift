import Foundation
import NIOCore
import RestateCore
import RestateHTTP2
import Synchronization
import Testing

@testable import Restate

@Suite("Dispatcher: fencing and back-pressure", .timeLimit(.minutes(1)))
struct DispatcherTests {
    private func makeHandler(shards: Int, inFlight: Int) throws -> EndpointHandler {
        var endpoint = Endpoint(configuration: .init(shardCount: shards, maxInFlightPerShard: inFlight))
        endpoint.bind(Signup.self)
        endpoint.bind(Greeter.self)
        return try endpoint.makeHandler()
    }

    /// Starts a workflow attempt whose request body stays open, and returns once its handler waits
    /// on the promise (its first frames have been written).
    private func startBlockedAttempt(
        _ handler: EndpointHandler,
        invocationID: String,
        key: String = "k"
    ) async throws -> (task: Task<Void, Never>, sink: RecordingSink, body: AsyncStream<ByteBuffer>.Continuation) {
        let (body, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let (written, writtenContinuation) = AsyncStream<Void>.makeStream()
        let sink = RecordingSink { _ in writtenContinuation.yield() }
        continuation.yield(
            try Frames.encode([
                Frames.start(knownEntries: 1, key: key, state: [:], id: invocationID), Frames.input("\"x\""),
            ])
        )
        let head = RequestHead.invocation("/invoke/Signup/run", invocationID: invocationID)
        let task = Task { await handler.handle(head, body: body, response: sink) }
        var iterator = written.makeAsyncIterator()
        _ = await iterator.next()  // the run command and its proposal are out: the handler is parked
        return (task, sink, continuation)
    }

    @Test("a new attempt of the same invocation cancels the running one before it starts")
    func fencing() async throws {
        let handler = try makeHandler(shards: 2, inFlight: 10)
        let first = try await startBlockedAttempt(handler, invocationID: "inv_1")

        // The retry of the same invocation: its request is complete, so it suspends at once.
        let second = RecordingSink()
        let body = AsyncStream<ByteBuffer> { continuation in
            continuation.yield(
                try! Frames.encode([
                    Frames.start(knownEntries: 1, key: "k", state: [:], id: "inv_1"), Frames.input("\"x\""),
                ])
            )
            continuation.finish()
        }
        await handler.handle(
            RequestHead.invocation("/invoke/Signup/run", invocationID: "inv_1"),
            body: body,
            response: second
        )

        // The stale attempt was cancelled and has finished before the new one ran.
        await first.task.value
        #expect(first.task.isCancelled == false)  // cancelled through the dispatcher, not from outside
        let messages = try second.messages(version: .v6)
        guard case .suspensionV6 = messages.last else {
            Issue.record("the new attempt should have run to its suspension, got \(messages)")
            return
        }
        first.body.finish()
    }

    @Test("a full shard answers 503 instead of queueing")
    func backPressure() async throws {
        let handler = try makeHandler(shards: 1, inFlight: 1)
        let blocked = try await startBlockedAttempt(handler, invocationID: "inv_a")

        let refused = try await handler.invoke(
            "Greeter",
            "greet",
            messages: [Frames.start(knownEntries: 1), Frames.input("\"x\"")]
        )
        #expect(refused.recorded.status == 503)

        blocked.body.finish()
        await blocked.task.value
        let accepted = try await handler.invoke(
            "Greeter",
            "greet",
            messages: [Frames.start(knownEntries: 1), Frames.input("\"x\"")]
        )
        #expect(accepted.recorded.status == 200)
    }

    @Test("attempts of different invocations (of different workflow IDs) run side by side")
    func independentInvocations() async throws {
        let handler = try makeHandler(shards: 1, inFlight: 10)
        let a = try await startBlockedAttempt(handler, invocationID: "inv_a", key: "a")
        let b = try await startBlockedAttempt(handler, invocationID: "inv_b", key: "b")
        a.body.finish()
        b.body.finish()
        await a.task.value
        await b.task.value
        for sink in [a.sink, b.sink] {
            guard case .suspensionV6 = try sink.messages(version: .v6).last else {
                Issue.record("expected both attempts to suspend once their input closed")
                continue
            }
        }
    }
}
