import Foundation
import RestateCore
import Testing

@testable import Restate

/// A domain error that knows its terminal form.
enum PaymentError: Error, TerminalErrorConvertible {
    case declined(reason: String)

    var terminalError: TerminalError {
        switch self {
        case .declined(let reason): TerminalError("declined: \(reason)", code: 402, metadata: ["reason": reason])
        }
    }
}

/// An error from a library the service does not own.
struct DriverError: Error {
    var constraintViolated: Bool
}

/// Maps the driver's constraint violations to 409; other driver errors stay retryable.
struct Payments: RestateService, DefaultInitializable, TerminalErrorMapping {
    static func terminalError(for error: any Error) -> TerminalError? {
        if let error = error as? DriverError, error.constraintViolated {
            return TerminalError("already exists", code: 409)
        }
        return nil
    }

    static var restateDescriptor: ServiceDescriptor<Payments> {
        ServiceDescriptor(
            name: "Payments",
            kind: .service,
            handlers: [
                .handler("pay") { (_: Payments, _: Context, reason: String) -> String in
                    throw PaymentError.declined(reason: reason)
                },
                .handler("insert") { (_: Payments, _: Context, violated: Bool) -> String in
                    throw DriverError(constraintViolated: violated)
                },
                .handler("catchDomain") { (_: Payments, _: Context, reason: String) -> String in
                    // Inside the handler the domain error is still itself.
                    do {
                        throw PaymentError.declined(reason: reason)
                    } catch PaymentError.declined(let caught) {
                        return "caught \(caught)"
                    }
                },
                .handler("runDomain") { (_: Payments, ctx: Context, reason: String) -> String in
                    try await ctx.run("charge") { () throws -> String in throw PaymentError.declined(reason: reason) }
                },
                .handler("runMapped") { (_: Payments, ctx: Context, _: String) -> String in
                    try await ctx.run("insert") { () throws -> String in throw DriverError(constraintViolated: true) }
                },
            ]
        )
    }
}

private func run(_ handler: String, _ messages: [ProtocolMessage]) async throws -> [ProtocolMessage] {
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(Payments.self)
    let sink = try await endpoint.makeHandler().invoke("Payments", handler, version: .v6, messages: messages)
    return try sink.messages(version: .v6)
}

/// The failure the messages propose for a run, if any.
private func proposedFailure(_ messages: [ProtocolMessage]) -> Proto.Failure? {
    for message in messages {
        if case .proposeRunCompletion(let proposal) = message, case .failure(let failure)? = proposal.result {
            return failure
        }
    }
    return nil
}

@Suite("Mapping domain errors to terminal errors")
struct ErrorMappingTests {
    @Test("a TerminalErrorConvertible error escaping a handler fails the invocation with its terminal form")
    func convertible() async throws {
        let messages = try await run("pay", Frames.journal(input: "\"insufficient funds\""))
        #expect(
            messages == [
                .outputCommand(
                    .with {
                        $0.failure = .with {
                            $0.code = 402
                            $0.message = "declined: insufficient funds"
                            $0.metadata = [
                                .with {
                                    $0.key = "reason"; $0.value = "insufficient funds"
                                }
                            ]
                        }
                    }
                ),
                .end,
            ]
        )
    }

    @Test("the service's TerminalErrorMapping turns the errors it recognises into terminal errors")
    func mapped() async throws {
        let messages = try await run("insert", Frames.journal(input: "true"))
        let failure = try #require(outputFailure(messages))
        #expect(failure.code == 409)
        #expect(failure.message == "already exists")
    }

    @Test("an error the mapping leaves alone is retried")
    func unmapped() async throws {
        let messages = try await run("insert", Frames.journal(input: "false"))
        guard messages.count == 1, case .error(let error) = messages[0] else {
            Issue.record("expected one ErrorMessage, got \(messages)")
            return
        }
        #expect(error.code == 500)
        #expect(error.message.contains("DriverError"))
    }

    @Test("inside the handler, a convertible error is caught as itself")
    func caughtAsItself() async throws {
        let messages = try await run("catchDomain", Frames.journal(input: "\"x\""))
        #expect(outputJSON(messages) == "\"caught x\"")
    }

    @Test("a convertible error thrown in ctx.run is journaled as the run's terminal failure")
    func inRun() async throws {
        let messages = try await run("runDomain", Frames.journal(input: "\"expired card\""))
        let failure = try #require(proposedFailure(messages))
        #expect(failure.code == 402)
        #expect(failure.message == "declined: expired card")
    }

    @Test("the service's mapping applies inside ctx.run too")
    func mappedInRun() async throws {
        let messages = try await run("runMapped", Frames.journal(input: "\"\""))
        let failure = try #require(proposedFailure(messages))
        #expect(failure.code == 409)
    }

    @Test("the SDK's own errors are never mapped")
    func controlFlow() {
        let everything: @Sendable (any Error) -> TerminalError? = { _ in TerminalError("mapped") }
        #expect(ErrorMapping.terminalError(for: Suspended(), mapping: everything) == nil)
        #expect(ErrorMapping.terminalError(for: CancellationError(), mapping: everything) == nil)
        #expect(ErrorMapping.terminalError(for: RetryableError("again"), mapping: everything) == nil)
        #expect(
            ErrorMapping.terminalError(for: DriverError(constraintViolated: false), mapping: everything)?.message
                == "mapped"
        )
        #expect(ErrorMapping.terminalError(for: TimeoutError(timeout: .seconds(1)), mapping: nil)?.code == 408)
    }
}
