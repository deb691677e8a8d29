import Foundation
import Restate
import Testing

@testable import RestateTesting
@testable import TestServicesKit

// The e2e classes Cancellation, KillInvocation and WorkflowAPI. Blocked flows are driven with
// `settle()` and checked with `finished(_:)`, which never waits: a flow that stays blocked fails
// instead of hanging the test.

/// Where the cancellation comes from.
enum CancelSource: String, CaseIterable, Sendable {
    /// Restate's admin API (`TestRuntime.cancel`).
    case adminAPI
    /// Another handler (`TestUtilsService.cancelInvocation`), the id from `Proxy.oneWayCall`.
    case context
}

@Suite("Cancellation")
struct CancellationTests {
    @Test(
        "cancelling the runner reaches the blocked callee as 409 and frees its lock",
        arguments: BlockingOperation.allCases,
        CancelSource.allCases
    )
    func cancel(operation: BlockingOperation, source: CancelSource) async throws {
        // A manual clock: the SLEEP operation's 1024-day timer must not fire by itself.
        try await withTestServices(manualClock()) { runtime async throws in
            let key = newKey()
            let runner: String
            switch source {
            case .adminAPI: runner = try await runtime.start("CancelTestRunner", key: key, "startTest", operation)
            case .context: runner = try await runtime.proxySend("CancelTestRunner", key: key, "startTest", operation)
            }
            await runtime.settle()
            #expect(try await runtime.call("AwakeableHolder", key: key, "hasAwakeable", as: Bool.self))
            try await runtime.invoke("AwakeableHolder", key: key, "unlock", "cancel")
            await runtime.settle()
            #expect(try await runtime.finished(runner) == nil, "the blocking operation should still block")
            #expect(try await runtime.startAndSettle("CancelTestBlockingService", key: key, "isUnlocked") == nil)

            switch source {
            case .adminAPI: try await runtime.cancel(invocationID: runner)
            case .context: try await runtime.invoke("TestUtilsService", "cancelInvocation", runner)
            }
            await runtime.settle()
            #expect(try await runtime.finished(runner) == .success(Data()))
            #expect(
                try await runtime.startAndSettle("CancelTestRunner", key: key, "verifyTest")
                    == .success(Data("true".utf8))
            )
            #expect(
                try await runtime.startAndSettle("CancelTestBlockingService", key: key, "isUnlocked")
                    == .success(Data())
            )
        }
    }

    @Test("verifyTest is false before any cancellation")
    func notCancelled() async throws {
        try await withTestServices { runtime async throws in
            #expect(try await runtime.call("CancelTestRunner", key: newKey(), "verifyTest", as: Bool.self) == false)
        }
    }
}

@Suite("KillInvocation")
struct KillInvocationTests {
    @Test("killing the root of the call tree ends it with 409 and unlocks the singleton")
    func kill() async throws {
        try await withTestServices(manualClock()) { runtime async throws in
            let key = newKey()
            let root = try await runtime.start("KillTestRunner", key: key, "startCallTree")
            await runtime.settle()
            #expect(try await runtime.call("AwakeableHolder", key: key, "hasAwakeable", as: Bool.self))
            try await runtime.invoke("AwakeableHolder", key: key, "unlock", "cancel")
            await runtime.settle()
            // startCallTree → recursiveCall → recursiveCall (inboxed behind its caller's lock).
            #expect(try await runtime.finished(root) == nil)
            let probe = try await runtime.start("KillTestSingleton", key: key, "isUnlocked")
            await runtime.settle()
            #expect(try await runtime.finished(probe) == nil, "the singleton should be locked by the call tree")

            try await runtime.kill(invocationID: root)
            await runtime.settle()
            #expect(try await runtime.finished(root) == .failure(code: 409, message: "killed"))
            // Restate kills the whole call tree, which frees the singleton's lock.
            #expect(try await runtime.finished(probe) != nil)
        }
    }
}

@Suite("WorkflowAPI")
struct WorkflowAPITests {
    @Test("run blocks on the durable promise; unblock resolves it; run executes once per ID")
    func setAndResolve() async throws {
        try await withTestServices { runtime async throws in
            let workflow = runtime.workflow("BlockAndWaitWorkflow", id: newKey())
            let first = try await workflow.submit(input: "Francesco")
            #expect(!first.previouslyAccepted)
            await runtime.settle()
            let state = try await runtime.call(service: "BlockAndWaitWorkflow", handler: "getState", key: workflow.id)
            #expect(try decode(String?.self, state) == "Francesco")
            #expect(try await runtime.finished(first.invocationID) == nil)

            _ = try await runtime.call(
                service: "BlockAndWaitWorkflow",
                handler: "unblock",
                key: workflow.id,
                input: json("Till")
            )
            #expect(try await workflow.attach(as: String.self) == "Till")
            #expect(try await workflow.output(as: String.self) == "Till")

            let again = try await workflow.submit(input: "Francesco")
            #expect(again.previouslyAccepted)
            #expect(again.invocationID == first.invocationID)
            #expect(try await workflow.output(as: String.self) == "Till")
        }
    }

    @Test("getState is null before run")
    func stateBeforeRun() async throws {
        try await withTestServices { runtime async throws in
            let output = try await runtime.call(service: "BlockAndWaitWorkflow", handler: "getState", key: newKey())
            #expect(String(decoding: output, as: UTF8.self) == "null")
        }
    }
}
