import Foundation
import Restate
import RestateCore
import Testing

@testable import RestateTesting
@testable import TestServicesKit

/// Starts a runtime on the test-services endpoint (every service, no request signing), runs
/// `body`, shuts the runtime down.
func withTestServices(
    _ configuration: TestRuntime.Configuration = .init(),
    services: String? = nil,
    _ body: (TestRuntime) async throws -> Void
) async throws {
    let endpoint = try TestServicesCatalog.endpoint(services: services, configuration: Endpoint.Configuration())
    let runtime = try await TestRuntime.start(endpoint, configuration: configuration)
    do {
        try await body(runtime)
        await runtime.shutdown()
    } catch {
        await runtime.shutdown()
        throw error
    }
}

/// A runtime configuration whose clock moves only with `advance(by:)`, for flows that block on
/// long timers (the auto-advancing clock would fire them as soon as nothing else runs).
func manualClock(_ version: ProtocolVersion = .v6) -> TestRuntime.Configuration {
    var configuration = TestRuntime.Configuration()
    configuration.clock = .virtual(autoAdvance: false)
    configuration.protocolVersion = version
    return configuration
}

func json<T: Encodable>(_ value: T) throws -> Data { try JSONEncoder().encode(value) }

func decode<T: Decodable>(_ type: T.Type = T.self, _ data: Data) throws -> T {
    try JSONDecoder().decode(T.self, from: data)
}

func newKey() -> String { UUID().uuidString }

extension TestRuntime {
    /// Calls a handler with a JSON input and returns its raw output (empty for `Void`).
    @discardableResult
    func invoke<Input: Encodable>(_ service: String, key: String? = nil, _ handler: String, _ input: Input)
        async throws -> Data
    {
        try await call(service: service, handler: handler, key: key, input: json(input))
    }

    /// Starts a handler with a JSON input without waiting for it; returns the invocation id.
    func start<Input: Encodable>(_ service: String, key: String? = nil, _ handler: String, _ input: Input)
        async throws -> String
    {
        try await send(service: service, handler: handler, key: key, input: json(input)).invocationID
    }

    /// Starts a handler without input without waiting for it; returns the invocation id.
    func start(_ service: String, key: String? = nil, _ handler: String) async throws -> String {
        try await send(service: service, handler: handler, key: key).invocationID
    }

    /// The invocation's result once it has finished, `nil` while it is still pending. Never
    /// waits, so a flow that wrongly stays blocked fails the test instead of hanging it.
    func finished(_ invocationID: String) async throws -> InvocationOutcome? {
        do {
            return try await output(invocationID: invocationID)
        } catch let error as TestRuntimeError where error.status == 470 {
            return nil
        }
    }

    /// Starts a handler, lets the runtime settle and returns its result if it finished.
    func startAndSettle(_ service: String, key: String? = nil, _ handler: String) async throws -> InvocationOutcome? {
        let id = try await start(service, key: key, handler)
        await settle()
        return try await finished(id)
    }

    /// `Proxy.oneWayCall` to a handler with a JSON input: the callee's invocation id.
    func proxySend<Input: Encodable>(
        _ service: String,
        key: String? = nil,
        _ handler: String,
        _ input: Input,
        delayMillis: Int? = nil,
        idempotencyKey: String? = nil
    ) async throws -> String {
        let request = ProxyService.ProxyRequest(
            serviceName: service,
            virtualObjectKey: key,
            handlerName: handler,
            message: try json(input),
            delayMillis: delayMillis,
            idempotencyKey: idempotencyKey
        )
        return try await call("Proxy", "oneWayCall", input: request, as: String.self)
    }

    /// The output of the `VirtualObjectCommandInterpreter` commands on object `key`.
    func interpret(_ key: String, _ commands: [VirtualObjectCommandInterpreter.Command]) async throws -> String {
        try await call(
            "VirtualObjectCommandInterpreter",
            key: key,
            "interpretCommands",
            input: VirtualObjectCommandInterpreter.InterpretRequest(commands: commands),
            as: String.self
        )
    }

    /// Starts the commands on object `key` without waiting; returns the invocation id.
    func startInterpreting(_ key: String, _ commands: [VirtualObjectCommandInterpreter.Command]) async throws
        -> String
    {
        try await start(
            "VirtualObjectCommandInterpreter",
            key: key,
            "interpretCommands",
            VirtualObjectCommandInterpreter.InterpretRequest(commands: commands)
        )
    }

    /// `Counter(key).get`.
    func counter(_ key: String) async throws -> Int64 {
        try await call("Counter", key: key, "get", as: Int64.self)
    }
}

extension InvocationOutcome {
    /// The success payload decoded as JSON.
    func decoded<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try decode(T.self, try get())
    }
}

extension [ProtocolMessage] {
    /// The failure metadata of the journaled output, as a dictionary.
    var outputFailureMetadata: [String: String]? {
        for case .outputCommand(let output) in self {
            guard case .failure(let failure) = output.result else { return nil }
            return Dictionary(failure.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        }
        return nil
    }
}
