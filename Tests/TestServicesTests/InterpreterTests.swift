import Foundation
import Restate
import Testing

@testable import RestateTesting
@testable import TestServicesKit

// The e2e classes Combinators, Signals and Sleep, all written in
// VirtualObjectCommandInterpreter commands.

private typealias Command = VirtualObjectCommandInterpreter.Command

extension TestRuntime {
    fileprivate func resolveSignal(_ invocation: String, _ name: String, _ value: String) async throws {
        try await invoke(
            "TestUtilsService",
            "resolveSignal",
            TestUtilsService.ResolveSignalRequest(invocationId: invocation, signalName: name, value: value)
        )
    }

    fileprivate func rejectSignal(_ invocation: String, _ name: String, _ reason: String) async throws {
        try await invoke(
            "TestUtilsService",
            "rejectSignal",
            TestUtilsService.RejectSignalRequest(invocationId: invocation, signalName: name, reason: reason)
        )
    }

    fileprivate func results(_ key: String) async throws -> [String] {
        try await call("VirtualObjectCommandInterpreter", key: key, "getResults", as: [String].self)
    }
}

@Suite("Combinators")
struct CombinatorsTests {
    @Test("awaitAny: a 100 ms timer beats an awakeable nobody resolves")
    func awakeableOrTimeoutUsingAwaitAny() async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            let result = try await runtime.interpret(
                key,
                [.awaitAny([.createAwakeable(awakeableKey: "awk1"), .sleep(timeoutMillis: 100)])]
            )
            #expect(result == "sleep")
            #expect(try await runtime.results(key) == ["sleep"])
        }
    }

    @Test("awaitAwakeableOrTimeout: the timeout is a terminal error mentioning await-timeout")
    func awakeableOrTimeoutUsingAwakeableTimeoutCommand() async throws {
        try await withTestServices { runtime async throws in
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.interpret(
                    newKey(),
                    [.awaitAwakeableOrTimeout(awakeableKey: "should-timeout-awk", timeoutMillis: 100)]
                )
            }
            #expect(error?.message.contains("await-timeout") == true)
        }
    }

    @Test("awaitAwakeableOrTimeout: an awakeable resolved in time wins")
    func awakeableBeforeTimeout() async throws {
        try await withTestServices(manualClock()) { runtime async throws in
            let key = newKey()
            let id = try await runtime.startInterpreting(
                key,
                [.awaitAwakeableOrTimeout(awakeableKey: "a", timeoutMillis: 60_000)]
            )
            await runtime.settle()
            try await runtime.invoke(
                "VirtualObjectCommandInterpreter",
                key: key,
                "resolveAwakeable",
                VirtualObjectCommandInterpreter.ResolveAwakeable(awakeableKey: "a", value: "in time")
            )
            await runtime.settle()
            #expect(try await runtime.finished(id)?.decoded(as: String.self) == "in time")
        }
    }

    @Test("awaitAnySuccessful: failed runs and a rejected awakeable are skipped; the resolved awakeable wins")
    func firstSuccessfulCompletedAwakeable() async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            let id = try await runtime.startInterpreting(
                key,
                [
                    .awaitAnySuccessful([
                        .createAwakeable(awakeableKey: "awk0"), .runThrowTerminalException(reason: "run0"),
                        .createAwakeable(awakeableKey: "awk1"), .runThrowTerminalException(reason: "run1"),
                        .createAwakeable(awakeableKey: "awk2"), .runThrowTerminalException(reason: "run2"),
                    ])
                ]
            )
            await runtime.settle()
            for awakeable in ["awk0", "awk1", "awk2"] {
                #expect(
                    try await runtime.call(
                        "VirtualObjectCommandInterpreter",
                        key: key,
                        "hasAwakeable",
                        input: awakeable,
                        as: Bool.self
                    )
                )
            }
            #expect(
                try await runtime.call(
                    "VirtualObjectCommandInterpreter",
                    key: key,
                    "hasAwakeable",
                    input: "awk9",
                    as: Bool.self
                ) == false
            )
            try await runtime.invoke(
                "VirtualObjectCommandInterpreter",
                key: key,
                "rejectAwakeable",
                VirtualObjectCommandInterpreter.RejectAwakeable(awakeableKey: "awk2", reason: "fail")
            )
            await runtime.settle()
            #expect(try await runtime.finished(id) == nil, "a rejection must not complete awaitAnySuccessful")
            try await runtime.invoke(
                "VirtualObjectCommandInterpreter",
                key: key,
                "resolveAwakeable",
                VirtualObjectCommandInterpreter.ResolveAwakeable(awakeableKey: "awk1", value: "awk1-result")
            )
            #expect(try await runtime.attach(invocationID: id).decoded(as: String.self) == "awk1-result")
        }
    }

    @Test("awaitAnySuccessful: when everything fails, the last failure")
    func allFail() async throws {
        try await withTestServices { runtime async throws in
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.interpret(
                    newKey(),
                    [
                        .awaitAnySuccessful([
                            .runThrowTerminalException(reason: "a"), .runThrowTerminalException(reason: "b"),
                        ])
                    ]
                )
            }
            #expect(["a", "b"].contains(error?.message))
        }
    }

    @Test("resolving or rejecting an awakeable that was never created is a terminal error")
    func unknownAwakeable() async throws {
        try await withTestServices { runtime async throws in
            await #expect(throws: TerminalError.self) {
                _ = try await runtime.invoke(
                    "VirtualObjectCommandInterpreter",
                    key: newKey(),
                    "resolveAwakeable",
                    VirtualObjectCommandInterpreter.ResolveAwakeable(awakeableKey: "nope", value: "x")
                )
            }
            await #expect(throws: TerminalError.self) {
                _ = try await runtime.interpret(newKey(), [.rejectAwakeable(awakeableKey: "nope", reason: "x")])
            }
        }
    }

    @Test("signals: awaitFirstSucceededOrAllFailed skips rejected signals")
    func signalFirstSuccessfulOrAllFailed() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.startInterpreting(
                newKey(),
                [
                    .awaitAnySuccessful([
                        .createSignal(signalName: "sig0"), .createSignal(signalName: "sig1"),
                        .createSignal(signalName: "sig2"),
                    ])
                ]
            )
            try await runtime.rejectSignal(id, "sig0", "fail0")
            try await runtime.rejectSignal(id, "sig2", "fail2")
            try await runtime.resolveSignal(id, "sig1", "success1")
            #expect(try await runtime.attach(invocationID: id).decoded(as: String.self) == "success1")
        }
    }

    @Test("signals: awaitAllSucceededOrFirstFailed joins values in input order")
    func signalAllSuccessfulOrFirstFailed() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.startInterpreting(
                newKey(),
                [
                    .awaitAllSucceededOrFirstFailed([
                        .createSignal(signalName: "sig0"), .createSignal(signalName: "sig1"),
                        .createSignal(signalName: "sig2"),
                    ])
                ]
            )
            // Resolved out of order: the result still follows the input order.
            try await runtime.resolveSignal(id, "sig2", "val2")
            try await runtime.resolveSignal(id, "sig0", "val0")
            try await runtime.resolveSignal(id, "sig1", "val1")
            #expect(try await runtime.attach(invocationID: id).decoded(as: String.self) == "val0|val1|val2")
        }
    }

    @Test("signals: awaitAllSucceededOrFirstFailed fails with the first failure")
    func signalAllSucceededFirstFailure() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.startInterpreting(
                newKey(),
                [
                    .awaitAllSucceededOrFirstFailed([
                        .createSignal(signalName: "sig0"), .createSignal(signalName: "sig1"),
                    ])
                ]
            )
            try await runtime.rejectSignal(id, "sig1", "boom")
            #expect(try await runtime.attach(invocationID: id) == .failure(code: 500, message: "boom"))
        }
    }

    @Test("signals: awaitAllCompleted reports every outcome in input order")
    func signalAllCompleted() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.startInterpreting(
                newKey(),
                [
                    .awaitAllCompleted([
                        .createSignal(signalName: "sig0"), .createSignal(signalName: "sig1"),
                        .createSignal(signalName: "sig2"),
                    ])
                ]
            )
            try await runtime.resolveSignal(id, "sig0", "val0")
            try await runtime.rejectSignal(id, "sig1", "err1")
            try await runtime.resolveSignal(id, "sig2", "val2")
            #expect(try await runtime.attach(invocationID: id).decoded(as: String.self) == "ok:val0|err:err1|ok:val2")
        }
    }

    @Test("signals: awaitAny settles with the first signal")
    func signalFirstCompleted() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.startInterpreting(
                newKey(),
                [
                    .awaitAny([
                        .createSignal(signalName: "sig0"), .createSignal(signalName: "sig1"),
                        .createSignal(signalName: "sig2"),
                    ])
                ]
            )
            try await runtime.resolveSignal(id, "sig1", "first")
            #expect(try await runtime.attach(invocationID: id).decoded(as: String.self) == "first")
        }
    }

    @Test("mixed: a run wins the race against an unresolved signal")
    func mixedRunWinsRaceAgainstSignal() async throws {
        try await withTestServices { runtime async throws in
            let result = try await runtime.interpret(
                newKey(),
                [.awaitFirstCompleted([.createSignal(signalName: "sig"), .runReturns(value: "runval")])]
            )
            #expect(result == "runval")
        }
    }

    @Test("mixed: a failed run is skipped and the signal wins awaitFirstSucceededOrAllFailed")
    func mixedSignalWinsAfterRunFails() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.startInterpreting(
                newKey(),
                [
                    .awaitFirstSucceededOrAllFailed([
                        .runThrowTerminalException(reason: "fail"), .createSignal(signalName: "sig"),
                    ])
                ]
            )
            try await runtime.resolveSignal(id, "sig", "sigval")
            #expect(try await runtime.attach(invocationID: id).decoded(as: String.self) == "sigval")
        }
    }

    @Test("mixed: a run and a signal both succeed in awaitAllSucceededOrFirstFailed")
    func mixedAllSucceededRunAndSignal() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.startInterpreting(
                newKey(),
                [.awaitAllSucceededOrFirstFailed([.runReturns(value: "runval"), .createSignal(signalName: "sig")])]
            )
            try await runtime.resolveSignal(id, "sig", "sigval")
            #expect(try await runtime.attach(invocationID: id).decoded(as: String.self) == "runval|sigval")
        }
    }

    @Test("mixed: awaitAllCompleted with a run, a signal and a failed run")
    func mixedAllCompletedRunSignalAndFailedRun() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.startInterpreting(
                newKey(),
                [
                    .awaitAllCompleted([
                        .runReturns(value: "runval"), .createSignal(signalName: "sig"),
                        .runThrowTerminalException(reason: "fail"),
                    ])
                ]
            )
            try await runtime.resolveSignal(id, "sig", "sigval")
            #expect(
                try await runtime.attach(invocationID: id).decoded(as: String.self) == "ok:runval|ok:sigval|err:fail"
            )
        }
    }

    @Test("several commands: each result is appended to state results; the last is returned")
    func resultsAndEnvironment() async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
            let last = try await runtime.interpret(
                key,
                [
                    .awaitOne(.runReturns(value: "one")),
                    .getEnvVariable(envName: "PATH"),
                    .getEnvVariable(envName: "TEST_SERVICES_SURELY_UNSET_\(UUID().uuidString.prefix(8))"),
                    .awaitOne(.sleep(timeoutMillis: 5)),
                ]
            )
            #expect(last == "sleep")
            #expect(try await runtime.results(key) == ["one", path, "", "sleep"])
            // A second invocation appends to the same list.
            #expect(try await runtime.interpret(key, []) == "")
            #expect(try await runtime.interpret(key, [.awaitOne(.runReturns(value: "two"))]) == "two")
            #expect(try await runtime.results(key) == ["one", path, "", "sleep", "two"])
        }
    }

    @Test("commands round-trip through the contract's JSON shape")
    func commandJSON() throws {
        let text = #"""
            {"commands":[
              {"type":"awaitOne","command":{"type":"createAwakeable","awakeableKey":"a"}},
              {"type":"awaitAny","commands":[{"type":"sleep","timeoutMillis":100},{"type":"createSignal","signalName":"s"}]},
              {"type":"awaitAnySuccessful","commands":[{"type":"runReturns","value":"v"},{"type":"runThrowTerminalException","reason":"r"}]},
              {"type":"awaitFirstCompleted","commands":[]},
              {"type":"awaitFirstSucceededOrAllFailed","commands":[]},
              {"type":"awaitAllSucceededOrFirstFailed","commands":[]},
              {"type":"awaitAllCompleted","commands":[]},
              {"type":"awaitAwakeableOrTimeout","awakeableKey":"k","timeoutMillis":7},
              {"type":"resolveAwakeable","awakeableKey":"k","value":"v"},
              {"type":"rejectAwakeable","awakeableKey":"k","reason":"r"},
              {"type":"getEnvVariable","envName":"E"}
            ]}
            """#
        let request = try decode(VirtualObjectCommandInterpreter.InterpretRequest.self, Data(text.utf8))
        #expect(
            request.commands == [
                .awaitOne(.createAwakeable(awakeableKey: "a")),
                .awaitAny([.sleep(timeoutMillis: 100), .createSignal(signalName: "s")]),
                .awaitAnySuccessful([.runReturns(value: "v"), .runThrowTerminalException(reason: "r")]),
                .awaitFirstCompleted([]), .awaitFirstSucceededOrAllFailed([]), .awaitAllSucceededOrFirstFailed([]),
                .awaitAllCompleted([]), .awaitAwakeableOrTimeout(awakeableKey: "k", timeoutMillis: 7),
                .resolveAwakeable(awakeableKey: "k", value: "v"), .rejectAwakeable(awakeableKey: "k", reason: "r"),
                .getEnvVariable(envName: "E"),
            ]
        )
        #expect(try decode(VirtualObjectCommandInterpreter.InterpretRequest.self, json(request)) == request)
        #expect(throws: DecodingError.self) {
            _ = try decode(Command.self, Data(#"{"type":"awaitNothing"}"#.utf8))
        }
    }
}

@Suite("Signals")
struct SignalsTests {
    @Test("awaitOne(createSignal) resolved from another handler")
    func resolve() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.startInterpreting(newKey(), [.awaitOne(.createSignal(signalName: "mysignal"))])
            try await runtime.resolveSignal(id, "mysignal", "hello")
            #expect(try await runtime.attach(invocationID: id).decoded(as: String.self) == "hello")
        }
    }

    @Test("awaitOne(createSignal) rejected: a terminal error with the reason")
    func reject() async throws {
        try await withTestServices { runtime async throws in
            let id = try await runtime.startInterpreting(newKey(), [.awaitOne(.createSignal(signalName: "mysignal"))])
            try await runtime.rejectSignal(id, "mysignal", "boom")
            guard case .failure(_, let message, _) = try await runtime.attach(invocationID: id) else {
                Issue.record("a rejected signal should fail the invocation")
                return
            }
            #expect(message.contains("boom"))
        }
    }
}

@Suite("Sleep")
struct SleepTests {
    /// The e2e test sleeps 10 ms. Here the timer is 10 s on a manual clock: the runtime infers a
    /// timer's duration from the endpoint's wall clock, which is too coarse for 10 ms on a loaded
    /// machine, and the manual clock shows the timer does not fire a moment early.
    @Test("a sleep completes when its duration has passed, not before")
    func sleep() async throws {
        try await withTestServices(manualClock()) { runtime async throws in
            let id = try await runtime.startInterpreting(newKey(), [.awaitOne(.sleep(timeoutMillis: 10_000))])
            await runtime.settle()
            try await runtime.advance(by: .milliseconds(9_990))
            #expect(try await runtime.finished(id) == nil)
            try await runtime.advance(by: .milliseconds(10))
            #expect(try await runtime.finished(id)?.decoded(as: String.self) == "sleep")
        }
    }

    @Test("many concurrent invocations with many timers each all complete")
    func manySleeps() async throws {
        // The e2e test runs 50 invocations × 20 timers; 10 × 20 keeps this machine's load low and
        // still interleaves suspensions of many invocations.
        try await withTestServices { runtime async throws in
            let keys = (0..<10).map { _ in newKey() }
            var ids: [String] = []
            for key in keys {
                let sleeps = (0..<20).map { _ in AwaitableSleep.random() }
                ids.append(try await runtime.startInterpreting(key, [.awaitAllCompleted(sleeps)]))
            }
            let expected = Array(repeating: "ok:sleep", count: 20).joined(separator: "|")
            for id in ids {
                #expect(try await runtime.attach(invocationID: id).decoded(as: String.self) == expected)
            }
        }
    }
}

private enum AwaitableSleep {
    static func random() -> VirtualObjectCommandInterpreter.AwaitableCommand {
        .sleep(timeoutMillis: Int64.random(in: 10...50))
    }
}
