import Foundation
import Restate
import Synchronization
import Testing

@testable import RestateTesting

/// How a test reaches the sample: the runtime's configurations the suites run under.
enum Mode: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// The endpoint's request handler called in-process.
    case inProcess
    /// The endpoint served on a loopback port, reached over HTTP/2 as Restate does.
    case http2
    /// In-process, with a suspension after every new command, so that every step is replayed:
    /// catches handlers that do not take the same path on replay.
    case alwaysReplay

    var testDescription: String { rawValue }

    /// Whether each `ctx.run` body executes exactly once. With `alwaysReplay` an attempt is cut
    /// off after its first new command while the handler may already run the next body, whose
    /// result is then lost and the body runs again on the next attempt: at least once, as Restate
    /// promises.
    var runsBodiesOnce: Bool { self != .alwaysReplay }

    /// A configuration for this mode; `autoAdvance: false` for tests that move the clock
    /// themselves.
    func configuration(autoAdvance: Bool = true) -> TestRuntime.Configuration {
        var configuration = TestRuntime.Configuration()
        configuration.clock = .virtual(autoAdvance: autoAdvance)
        switch self {
        case .inProcess: break
        case .http2: configuration.transport = .http2
        case .alwaysReplay: configuration.alwaysReplay = true
        }
        return configuration
    }
}

/// Starts a runtime on `endpoint`, runs `body`, shuts the runtime down.
func withRuntime<T>(
    _ endpoint: Endpoint,
    _ configuration: TestRuntime.Configuration = .init(),
    _ body: (TestRuntime) async throws -> T
) async throws -> T {
    let runtime = try await TestRuntime.start(endpoint, configuration: configuration)
    do {
        let result = try await body(runtime)
        await runtime.shutdown()
        return result
    } catch {
        await runtime.shutdown()
        throw error
    }
}

/// An endpoint that does not read the environment (identity keys, shards), so that tests are
/// hermetic.
func makeEndpoint(_ bind: (inout Endpoint) -> Void) -> Endpoint {
    var endpoint = Endpoint(configuration: .init())
    bind(&endpoint)
    return endpoint
}

/// A unique key per test, so that parallel tests never share objects or workflows.
func uniqueKey(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8))"
}

/// A thread-safe list of things that happened, in order.
final class Recorder<Event: Sendable>: Sendable {
    private let events = Mutex<[Event]>([])

    func record(_ event: Event) {
        events.withLock { $0.append(event) }
    }

    var all: [Event] { events.withLock { $0 } }
}

extension Recorder where Event: Equatable {
    /// The events with repetitions in a row collapsed into one: what happened, in order, when
    /// side effects may repeat (at-least-once).
    var collapsed: [Event] {
        all.reduce(into: []) { result, event in
            if result.last != event { result.append(event) }
        }
    }

    /// The events, exactly (`exactly`), or with repetitions collapsed.
    func events(exactly: Bool) -> [Event] {
        exactly ? all : collapsed
    }
}

extension TestRuntime {
    /// Calls a handler that takes no input and returns nothing.
    func call(_ service: String, key: String? = nil, _ handler: String) async throws {
        _ = try await call(service: service, handler: handler, key: key)
    }

    /// Calls a handler that returns nothing with a JSON input.
    func call<Input: Encodable>(_ service: String, key: String? = nil, _ handler: String, input: Input) async throws {
        _ = try await call(service: service, handler: handler, key: key, input: JSONEncoder().encode(input))
    }

    /// Sends a JSON input to a handler without waiting for it.
    func send<Input: Encodable>(_ service: String, key: String? = nil, _ handler: String, input: Input) async throws
        -> SendReceipt
    {
        try await send(service: service, handler: handler, key: key, input: JSONEncoder().encode(input))
    }
}

extension InvocationOutcome {
    /// The output decoded as JSON, or the failure thrown as a `TerminalError`.
    func decoded<Output: Decodable>(as type: Output.Type = Output.self) throws -> Output {
        try JSONDecoder().decode(Output.self, from: try get())
    }
}
