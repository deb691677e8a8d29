import Foundation
import Restate
import RestateCore
import Testing

@testable import RestateTesting
@testable import TestServicesKit

// The e2e classes UserErrors, RunRetry, RunFlush and NonDeterminismErrors.

private let testMetadata = ["key1": "value1", "key2": "value2"]

@Suite("UserErrors")
struct UserErrorsTests {
    @Test("a terminal error's message reaches the caller, every time")
    func invokeTerminallyFailingCall() async throws {
        try await withTestServices { runtime async throws in
            for _ in 0..<3 {
                let error = await #expect(throws: TerminalError.self) {
                    _ = try await runtime.invoke(
                        "Failing",
                        key: newKey(),
                        "terminallyFailingCall",
                        Failing.FailureToPropagate(errorMessage: "my error")
                    )
                }
                #expect(error?.message.contains("my error") == true)
                #expect(error?.code == 500)
            }
        }
    }

    @Test("a callee's terminal error propagates through the caller")
    func internalCallFailurePropagation() async throws {
        try await withTestServices { runtime async throws in
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.invoke(
                    "Failing",
                    key: newKey(),
                    "callTerminallyFailingCall",
                    Failing.FailureToPropagate(errorMessage: "propagated error")
                )
            }
            #expect(error?.message.contains("propagated error") == true)
        }
    }

    @Test("a run's terminal error becomes the handler's")
    func sideEffectWithTerminalError() async throws {
        try await withTestServices { runtime async throws in
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.invoke(
                    "Failing",
                    key: newKey(),
                    "terminallyFailingSideEffect",
                    Failing.FailureToPropagate(errorMessage: "failed side effect")
                )
            }
            #expect(error?.message.contains("failed side effect") == true)
        }
    }

    /// The runtime's outcome has no metadata, so the checks read the failure the endpoint
    /// journaled (protocol V6 and later carry metadata).
    @Test(
        "terminal errors carry their metadata (handler and run)",
        arguments: ["terminallyFailingCall", "terminallyFailingSideEffect"]
    )
    func failureWithMetadata(handler: String) async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.start(
                "Failing",
                key: newKey(),
                handler,
                Failing.FailureToPropagate(errorMessage: "my error with metadata", metadata: testMetadata)
            )
            guard case .failure(_, let message, _) = try await runtime.attach(invocationID: id) else {
                Issue.record("\(handler) should fail")
                return
            }
            #expect(message.contains("my error with metadata"))
            let journal = try #require(await runtime.journal(invocationID: id))
            #expect(journal.outputFailureMetadata == testMetadata)
        }
    }

    @Test("a callee's terminal error keeps its metadata through the caller")
    func internalCallFailurePropagationWithMetadata() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.start(
                "Failing",
                key: newKey(),
                "callTerminallyFailingCall",
                Failing.FailureToPropagate(errorMessage: "propagated error with metadata", metadata: testMetadata)
            )
            guard case .failure(_, let message, _) = try await runtime.attach(invocationID: id) else {
                Issue.record("callTerminallyFailingCall should fail")
                return
            }
            #expect(message.contains("propagated error with metadata"))
            let journal = try #require(await runtime.journal(invocationID: id))
            // The caller rethrows what its call completion carries.
            #expect(journal.outputFailureMetadata == testMetadata)
        }
    }

    @Test("retryable failures are retried until the fourth attempt succeeds")
    func invocationWithEventualSuccess() async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            let receipt = try await runtime.send(
                service: "Failing",
                handler: "failingCallWithEventualSuccess",
                key: key
            )
            #expect(try await runtime.attach(invocationID: receipt.invocationID).decoded(as: Int.self) == 4)
            #expect(await runtime.attempts(invocationID: receipt.invocationID) == 4)
        }
    }
}

@Suite("RunRetry")
struct RunRetryTests {
    @Test("a run is retried until it succeeds", arguments: [1, 3])
    func withSuccess(attempts: Int) async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            let id = try await runtime.start("Failing", key: key, "sideEffectSucceedsAfterGivenAttempts", attempts)
            #expect(try await runtime.attach(invocationID: id).decoded(as: Int.self) == attempts)
            let journal = try #require(await runtime.journal(invocationID: id))
            let runs = journal.compactMap { message -> String? in
                if case .runCommand(let run) = message { return run.name }
                return nil
            }
            #expect(runs == ["failing_side_effect"])
        }
    }

    @Test("a run is retried until its policy's attempts are exhausted, then fails terminally", arguments: [1, 3])
    func withExhaustedAttempts(maxAttempts: Int) async throws {
        try await withTestServices { runtime async throws in
            let output = try await runtime.call(
                "Failing",
                key: newKey(),
                "sideEffectFailsAfterGivenAttempts",
                input: maxAttempts,
                as: Int.self
            )
            #expect(output == maxAttempts)
        }
    }

    @Test("Failing.failRetryably: a retryable error with the given message, retried by Restate")
    func failRetryably() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.retryPolicy.maxAttempts = 3
        try await withTestServices(configuration) { runtime async throws in
            let id = try await runtime.start("Failing", key: newKey(), "failRetryably", "try again later")
            guard case .failure(let code, let message, _) = try await runtime.attach(invocationID: id) else {
                Issue.record("failRetryably should fail once retries are exhausted")
                return
            }
            #expect(code == 500)
            #expect(message.hasSuffix("try again later"))
            #expect(await runtime.attempts(invocationID: id) == 3)
        }
    }
}

@Suite("RunFlush")
struct RunFlushTests {
    @Test("with a suspension after every run, the final attempt replays all runs and executes none")
    func flush() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.alwaysReplay = true
        try await withTestServices(configuration) { runtime async throws in
            let id = try await runtime.start("TestUtilsService", "countExecutedSideEffects", 3)
            #expect(try await runtime.attach(invocationID: id).decoded(as: Int.self) == 0)
            let journal = try #require(await runtime.journal(invocationID: id))
            #expect(journal.filter { if case .runCommand = $0 { true } else { false } }.count == 3)
        }
    }
}

@Suite("NonDeterminismErrors")
struct NonDeterminismTests {
    @Test(
        "a handler that takes another path on replay fails with a journal mismatch; its final send never happens",
        arguments: [
            "eitherSleepOrCall", "callDifferentMethod", "backgroundInvokeWithDifferentTargets", "setDifferentKey",
        ]
    )
    func method(handler: String) async throws {
        // As the alwaysSuspending suites with the test's retry policy: replay after every new
        // entry, one attempt, then kill.
        var configuration = TestRuntime.Configuration()
        configuration.alwaysReplay = true
        configuration.retryPolicy = InvocationRetryPolicy(
            initialInterval: .milliseconds(1),
            maxAttempts: 1,
            onMaxAttempts: .kill
        )
        try await withTestServices(configuration) { runtime async throws in
            let key = "\(handler)-\(newKey())"
            try await runtime.invoke("Counter", key: key, "add", Int64(1))
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.call(service: "NonDeterministic", handler: handler, key: key)
            }
            #expect(error?.code == 570)
            await runtime.settle()
            #expect(try await runtime.counter(key) == 1)
        }
    }
}
