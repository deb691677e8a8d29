import Foundation
import RestateCore
import Testing

@testable import Restate

/// Handlers that each exercise one combinator over awakeables (signals 17, 18, …) and timers
/// (completion ids from 1), so that journals are easy to write by hand.
struct Combinators: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<Combinators> {
        ServiceDescriptor(
            name: "Combinators",
            kind: .service,
            handlers: [
                .handler("firstSucceeded") { (_: Combinators, ctx: Context, _: String) -> String in
                    let a = try ctx.awakeable(of: String.self).future
                    let b = try ctx.awakeable(of: String.self).future
                    let (index, value) = try await DurableFuture.firstSucceeded([a, b])
                    return "\(index):\(value)"
                },
                .handler("select") { (_: Combinators, ctx: Context, _: String) -> String in
                    let clicked = try ctx.awakeable(of: String.self).future
                    let count = try ctx.awakeable(of: Int.self).future
                    let timer = try ctx.timer(for: .seconds(60))
                    let (text, number, fired): (String?, Int?, Void?) = try await ctx.select(clicked, count, timer)
                    if let text { return "text:\(text)" }
                    if let number { return "number:\(number)" }
                    return fired == nil ? "none" : "timer"
                },
                .handler("selectResult") { (_: Combinators, ctx: Context, _: String) -> String in
                    let clicked = try ctx.awakeable(of: String.self).future
                    let timer = try ctx.timer(for: .seconds(60))
                    let (outcome, _) = try await ctx.select(clicked.asResult(), timer)
                    switch outcome {
                    case .success(let text)?: return "ok:\(text)"
                    case .failure(let error)?: return "failed:\(error.code)"
                    case nil: return "timer"
                    }
                },
                .handler("timeout") { (_: Combinators, ctx: Context, catching: Bool) -> String in
                    let clicked = try ctx.awakeable(of: String.self).future
                    guard catching else { return try await clicked.timeout(after: .seconds(10)).value }
                    do {
                        return try await clicked.timeout(after: .seconds(10)).value
                    } catch let error as TimeoutError {
                        return "timed out after \(error.timeout)"
                    }
                },
                .handler("legacyTimeout") { (_: Combinators, ctx: Context, _: String) -> String in
                    try await ctx.awakeable(of: String.self).future.value(timeout: .seconds(10))
                },
                .handler("nested") { (_: Combinators, ctx: Context, _: String) -> String in
                    let a = try ctx.awakeable(of: String.self).future
                    let b = try ctx.awakeable(of: String.self).future
                    let both = try DurableFuture.whenAllSucceed([a, b]).timeout(after: .seconds(10))
                    return try await both.map { $0.joined(separator: "+") }.value
                },
                .handler("anyOfAll") { (_: Combinators, ctx: Context, _: String) -> String in
                    // first([all([a, b]), c]): nested combinators inside a combinator.
                    let a = try ctx.awakeable(of: String.self).future
                    let b = try ctx.awakeable(of: String.self).future
                    let c = try ctx.awakeable(of: String.self).future
                    let pair = DurableFuture.whenAllSucceed([a, b]).map { $0.joined(separator: "+") }
                    let (index, value) = try await DurableFuture.first([pair, c])
                    return "\(index):\(value)"
                },
                .handler("settled") { (_: Combinators, ctx: Context, _: String) -> String in
                    let a = try ctx.awakeable(of: String.self).future
                    let b = try ctx.awakeable(of: String.self).future.mapFailure {
                        TerminalError("b: \($0.message)", code: 422)
                    }
                    let results = try await DurableFuture.settled([a, b])
                    return results.map {
                        switch $0 {
                        case .success(let value): "ok \(value)"
                        case .failure(let error): "\(error.code) \(error.message)"
                        }
                    }.joined(separator: ", ")
                },
                .handler("awaitTwice") { (_: Combinators, ctx: Context, _: String) -> String in
                    let a = try ctx.awakeable(of: String.self).future
                    let first = try await a.value
                    let second = try await a.value
                    return "\(first)=\(second)"
                },
            ]
        )
    }
}

private func run(_ handler: String, _ messages: [ProtocolMessage]) async throws -> [ProtocolMessage] {
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(Combinators.self)
    let sink = try await endpoint.makeHandler().invoke("Combinators", handler, version: .v7, messages: messages)
    return try sink.messages(version: .v7)
}

@Suite("Combinators through the endpoint")
struct CombinatorTests {
    // MARK: firstSucceeded

    @Test("firstSucceeded suspends on a first-succeeded combinator of both awakeables")
    func firstSucceededSuspends() async throws {
        let messages = try await run("firstSucceeded", Frames.journal(input: "\"\""))
        #expect(suspension(messages) == awaiting(wireFuture(.firstSucceededOrAllFailed, signals: [17, 18])))
    }

    @Test("firstSucceeded skips a failure and returns the first success")
    func firstSucceededSkipsFailure() async throws {
        let messages = try await run(
            "firstSucceeded",
            Frames.journal(
                input: "\"\"",
                [Frames.signal(17, failure: 500, "a broke"), Frames.signal(18, json: "\"b\"")]
            )
        )
        #expect(outputJSON(messages) == "\"1:b\"")
        #expect(messages.last == .end)
    }

    @Test("firstSucceeded keeps waiting on the rest after a failure")
    func firstSucceededWaitsAfterFailure() async throws {
        let messages = try await run(
            "firstSucceeded",
            Frames.journal(input: "\"\"", [Frames.signal(17, failure: 500, "a broke")])
        )
        #expect(suspension(messages) == awaiting(wireFuture(.firstSucceededOrAllFailed, signals: [18])))
    }

    @Test("firstSucceeded fails with every failure when all fail, as a terminal error")
    func firstSucceededAllFail() async throws {
        let messages = try await run(
            "firstSucceeded",
            Frames.journal(
                input: "\"\"",
                [Frames.signal(18, failure: 503, "b broke"), Frames.signal(17, failure: 503, "a broke")]
            )
        )
        let failure = try #require(outputFailure(messages))
        #expect(failure.code == 503)
        #expect(failure.message == "All 2 futures failed: 503 a broke; 503 b broke")
    }

    // MARK: select

    @Test("select suspends on a first-completed combinator of all three")
    func selectSuspends() async throws {
        let messages = try await run("select", Frames.journal(input: "\"\""))
        #expect(messages.first == Frames.sleep(1).withWakeUpTime(of: messages.first))
        #expect(
            suspension(messages) == awaiting(wireFuture(.firstCompleted, completions: [1], signals: [17, 18]))
        )
    }

    @Test(
        "select returns the value of the future that completed, nil for the others",
        arguments: [
            (Frames.signal(18, json: "7"), "number:7"),
            (Frames.signal(17, json: "\"hi\""), "text:hi"),
            (Frames.completion(.sleepCompletionNotification, 1, json: nil), "timer"),
        ]
    )
    func selectPicks(notification: ProtocolMessage, expected: String) async throws {
        let messages = try await run("select", Frames.journal(input: "\"\"", [Frames.sleep(1), notification]))
        #expect(outputJSON(messages) == "\"\(expected)\"")
    }

    @Test("select throws the failure of the future that completed first")
    func selectThrows() async throws {
        let messages = try await run(
            "select",
            Frames.journal(input: "\"\"", [Frames.sleep(1), Frames.signal(18, failure: 409, "gone")])
        )
        let failure = try #require(outputFailure(messages))
        #expect(failure.code == 409)
        #expect(failure.message == "gone")
    }

    @Test("select over asResult() hands the failure back instead of throwing it")
    func selectResult() async throws {
        let failed = try await run(
            "selectResult",
            Frames.journal(input: "\"\"", [Frames.sleep(1), Frames.signal(17, failure: 402, "declined")])
        )
        #expect(outputJSON(failed) == "\"failed:402\"")
        let fired = try await run(
            "selectResult",
            Frames.journal(
                input: "\"\"",
                [Frames.sleep(1), Frames.completion(.sleepCompletionNotification, 1, json: nil)]
            )
        )
        #expect(outputJSON(fired) == "\"timer\"")
    }

    // MARK: Timeouts

    @Test("timeout(after:) journals a timer and suspends on the race of the value and the timer")
    func timeoutSuspends() async throws {
        let messages = try await run("timeout", Frames.journal(input: "false"))
        guard case .sleepCommand(let sleep)? = messages.first else {
            Issue.record("expected a sleep command first, got \(messages)")
            return
        }
        #expect(sleep.resultCompletionID == 1)
        #expect(suspension(messages) == awaiting(wireFuture(.firstCompleted, completions: [1], signals: [17])))
    }

    @Test("a fired timeout throws TimeoutError: caught, the handler falls back")
    func timeoutCaught() async throws {
        let messages = try await run(
            "timeout",
            Frames.journal(
                input: "true",
                [Frames.sleep(1), Frames.completion(.sleepCompletionNotification, 1, json: nil)]
            )
        )
        #expect(outputJSON(messages) == "\"timed out after 10.0 seconds\"")
    }

    @Test("an uncaught TimeoutError fails the invocation for good with 408")
    func timeoutUncaught() async throws {
        let messages = try await run(
            "timeout",
            Frames.journal(
                input: "false",
                [Frames.sleep(1), Frames.completion(.sleepCompletionNotification, 1, json: nil)]
            )
        )
        let failure = try #require(outputFailure(messages))
        #expect(failure.code == 408)
        #expect(failure.message == "Timed out after 10.0 seconds")
        #expect(messages.last == .end)
    }

    @Test("a value before the timer wins the race")
    func timeoutValueFirst() async throws {
        let messages = try await run(
            "timeout",
            Frames.journal(input: "false", [Frames.sleep(1), Frames.signal(17, json: "\"clicked\"")])
        )
        #expect(outputJSON(messages) == "\"clicked\"")
    }

    @Test("value(timeout:) still throws a TerminalError with code 408")
    func legacyTimeout() async throws {
        let messages = try await run(
            "legacyTimeout",
            Frames.journal(
                input: "\"\"",
                [Frames.sleep(1), Frames.completion(.sleepCompletionNotification, 1, json: nil)]
            )
        )
        #expect(outputFailure(messages)?.code == 408)
    }

    // MARK: Nesting

    @Test("all(…).timeout(after:) suspends on the timer raced with the nested all-succeeded combinator")
    func nestedSuspends() async throws {
        let messages = try await run("nested", Frames.journal(input: "\"\""))
        #expect(
            suspension(messages)
                == awaiting(
                    wireFuture(
                        .firstCompleted,
                        completions: [1],
                        nested: [wireFuture(.allSucceededOrFirstFailed, signals: [17, 18])]
                    )
                )
        )
    }

    @Test("a nested combinator that completes partly is awaited again with what is left")
    func nestedPartly() async throws {
        let messages = try await run(
            "nested",
            Frames.journal(input: "\"\"", [Frames.sleep(1), Frames.signal(18, json: "\"b\"")])
        )
        #expect(
            suspension(messages)
                == awaiting(
                    wireFuture(
                        .firstCompleted,
                        completions: [1],
                        nested: [wireFuture(.allSucceededOrFirstFailed, signals: [17])]
                    )
                )
        )
    }

    @Test("the nested combinator completes before the timer")
    func nestedCompletes() async throws {
        let messages = try await run(
            "nested",
            Frames.journal(
                input: "\"\"",
                [Frames.sleep(1), Frames.signal(18, json: "\"b\""), Frames.signal(17, json: "\"a\"")]
            )
        )
        #expect(outputJSON(messages) == "\"a+b\"")
    }

    @Test("the timer fires while the nested combinator waits: 408")
    func nestedTimesOut() async throws {
        let messages = try await run(
            "nested",
            Frames.journal(
                input: "\"\"",
                [
                    Frames.sleep(1), Frames.signal(17, json: "\"a\""),
                    Frames.completion(.sleepCompletionNotification, 1, json: nil),
                ]
            )
        )
        #expect(outputFailure(messages)?.code == 408)
    }

    @Test("the first failure of the nested all fails the timeout future at once")
    func nestedFailsFast() async throws {
        let messages = try await run(
            "nested",
            Frames.journal(input: "\"\"", [Frames.sleep(1), Frames.signal(18, failure: 400, "bad b")])
        )
        let failure = try #require(outputFailure(messages))
        #expect(failure.code == 400)
        #expect(failure.message == "bad b")
    }

    @Test("first over [all(a, b), c]: the pair wins once both are in, c wins alone")
    func firstOfAll() async throws {
        let suspended = try await run("anyOfAll", Frames.journal(input: "\"\""))
        #expect(
            suspension(suspended)
                == awaiting(
                    wireFuture(
                        .firstCompleted,
                        signals: [19],
                        nested: [wireFuture(.allSucceededOrFirstFailed, signals: [17, 18])]
                    )
                )
        )
        let pair = try await run(
            "anyOfAll",
            Frames.journal(input: "\"\"", [Frames.signal(17, json: "\"a\""), Frames.signal(18, json: "\"b\"")])
        )
        #expect(outputJSON(pair) == "\"0:a+b\"")
        let alone = try await run(
            "anyOfAll",
            Frames.journal(input: "\"\"", [Frames.signal(17, json: "\"a\""), Frames.signal(19, json: "\"c\"")])
        )
        #expect(outputJSON(alone) == "\"1:c\"")
    }

    // MARK: settled, mapFailure, awaiting twice

    @Test("settled collects the outcomes in order; mapFailure rewrites the failure")
    func settled() async throws {
        let pending = try await run("settled", Frames.journal(input: "\"\"", [Frames.signal(18, failure: 500, "x")]))
        #expect(suspension(pending) == awaiting(wireFuture(.allCompleted, signals: [17])))
        let messages = try await run(
            "settled",
            Frames.journal(input: "\"\"", [Frames.signal(18, failure: 500, "x"), Frames.signal(17, json: "\"a\"")])
        )
        #expect(outputJSON(messages) == "\"ok a, 422 b: x\"")
    }

    @Test("a future can be awaited twice")
    func awaitTwice() async throws {
        let messages = try await run("awaitTwice", Frames.journal(input: "\"\"", [Frames.signal(17, json: "\"a\"")]))
        #expect(outputJSON(messages) == "\"a=a\"")
    }

    @Test("combinators of no futures: all is empty, firstSucceeded and first fail")
    func emptyCombinators() async throws {
        #expect(try await DurableFuture<Int>.all([]).isEmpty)
        #expect(try await DurableFuture<Int>.settled([]).isEmpty)
        await #expect(throws: AllFailedError(errors: [])) { try await DurableFuture<Int>.firstSucceeded([]) }
        await #expect(throws: TerminalError.self) { try await DurableFuture<Int>.first([]) }
    }
}

extension ProtocolMessage {
    /// This sleep command with the wake-up time of `other` (a sleep command), which depends on
    /// the clock.
    fileprivate func withWakeUpTime(of other: ProtocolMessage?) -> ProtocolMessage {
        guard case .sleepCommand(var sleep) = self, case .sleepCommand(let actual)? = other else { return self }
        sleep.wakeUpTime = actual.wakeUpTime
        return .sleepCommand(sleep)
    }
}
