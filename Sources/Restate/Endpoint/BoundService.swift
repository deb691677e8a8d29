import Foundation
import Metrics
import RestateCore

/// A service bound to an endpoint, with its type erased: name, kind, handlers, and how to get the
/// instance a handler runs on.
struct BoundService: Sendable {
    /// A class, so that finding the handler of a request costs one retain instead of one per field.
    final class Handler: Sendable {
        let service: String
        let name: String
        let kind: HandlerKind?
        let options: HandlerOptions
        let input: PayloadDescriptor
        let output: PayloadDescriptor
        /// Runs the handler for `key` with the raw input.
        let run: @Sendable (_ key: String, _ invocation: Invocation, _ input: Data) async throws -> Data
        /// Given by the endpoint handler (``withMetrics(_:)``), once the metrics system is bootstrapped.
        let metrics: HandlerMetrics?

        init(
            service: String,
            name: String,
            kind: HandlerKind?,
            options: HandlerOptions,
            input: PayloadDescriptor,
            output: PayloadDescriptor,
            run: @escaping @Sendable (_ key: String, _ invocation: Invocation, _ input: Data) async throws -> Data,
            metrics: HandlerMetrics? = nil
        ) {
            self.service = service
            self.name = name
            self.kind = kind
            self.options = options
            self.input = input
            self.output = output
            self.run = run
            self.metrics = metrics
        }

        /// The same handler, recording into `metrics`.
        func withMetrics(_ metrics: HandlerMetrics) -> Handler {
            Handler(
                service: service,
                name: name,
                kind: kind,
                options: options,
                input: input,
                output: output,
                run: run,
                metrics: metrics
            )
        }
    }

    var name: String
    var kind: ServiceKind
    var options: ServiceOptions
    var handlers: [String: Handler]
    /// Handler names in declaration order, for a stable manifest.
    var handlerOrder: [String]
    /// Drops the instances idle for longer than the endpoint's idle timeout.
    var evictIdleInstances: @Sendable () -> Void
    /// What the instance registry holds.
    var instanceStatistics: @Sendable () -> InstanceStatistics

    init<S: RestateService>(_ type: S.Type, registry: InstanceRegistry<S>) {
        let descriptor = S.restateDescriptor
        self.name = descriptor.name
        self.kind = descriptor.kind
        self.options = descriptor.options
        var handlers: [String: Handler] = [:]
        for handler in descriptor.handlers {
            let body = handler.body
            // A workflow's `run` and an object's handlers without a kind are exclusive.
            let exclusive = descriptor.kind.isKeyed && handler.kind != .shared
            let run: @Sendable (String, Invocation, Data) async throws -> Data
            if let instance = registry.singleInstance {
                // A service's one instance needs no lease: calling the registry anyway cost two
                // calls into generic code (metadata lookups) per invocation.
                run = { _, invocation, input in try await body(instance, invocation, input) }
            } else {
                run = { key, invocation, input in
                    let lease = try await registry.acquire(key: key, exclusive: exclusive)
                    defer { registry.release(lease) }
                    return try await body(lease.instance, invocation, input)
                }
            }
            handlers[handler.name] = Handler(
                service: descriptor.name,
                name: handler.name,
                kind: handler.kind,
                options: handler.options,
                input: handler.input,
                output: handler.output,
                run: run
            )
        }
        self.handlers = handlers
        self.handlerOrder = descriptor.handlers.map(\.name)
        self.evictIdleInstances = { registry.evictIdle() }
        self.instanceStatistics = { registry.statistics() }
    }

    /// Checks what Restate would reject at registration, so that a bad definition fails at
    /// startup with a clear message instead of at discovery.
    static func validate<S>(_ descriptor: ServiceDescriptor<S>) throws {
        var seen = Set<String>()
        for handler in descriptor.handlers {
            guard seen.insert(handler.name).inserted else {
                throw EndpointError.invalidDefinition("\(descriptor.name) has two handlers named \(handler.name)")
            }
            guard handler.serviceKind == descriptor.kind else {
                throw EndpointError.invalidDefinition(
                    "\(descriptor.name).\(handler.name) takes a context of a \(handler.serviceKind.rawValue) handler, "
                        + "but \(descriptor.name) is a \(descriptor.kind.rawValue)"
                )
            }
        }
        if descriptor.kind == .workflow {
            let runs = descriptor.handlers.filter { $0.kind == .workflow }
            guard runs.count == 1 else {
                throw EndpointError.invalidDefinition(
                    "workflow \(descriptor.name) needs exactly one handler taking a WorkflowContext, found \(runs.count)"
                )
            }
        }
    }
}

/// A handler's metrics, made once instead of per invocation: creating a metric goes through the
/// metrics factory's lock and allocates.
final class HandlerMetrics: Sendable {
    private let invocations: [EndpointHandler.Outcome: Counter]
    private let durations: [EndpointHandler.Outcome: Metrics.Timer]
    let replayedEntries: Recorder

    init(service: String, handler: String) {
        var invocations: [EndpointHandler.Outcome: Counter] = [:]
        var durations: [EndpointHandler.Outcome: Metrics.Timer] = [:]
        for outcome in EndpointHandler.Outcome.allCases {
            let dimensions = [("service", service), ("handler", handler), ("outcome", outcome.rawValue)]
            invocations[outcome] = Counter(label: "restate.invocations", dimensions: dimensions)
            durations[outcome] = Metrics.Timer(label: "restate.invocation.duration", dimensions: dimensions)
        }
        self.invocations = invocations
        self.durations = durations
        replayedEntries = Recorder(
            label: "restate.invocation.replayed_entries",
            dimensions: [("service", service), ("handler", handler)]
        )
    }

    func record(_ outcome: EndpointHandler.Outcome, duration: Duration) {
        invocations[outcome]?.increment()
        durations[outcome]?.recordNanoseconds(Int64(duration / .nanoseconds(1)))
    }
}

/// A problem with the endpoint's configuration or service definitions.
public struct EndpointError: Error, Sendable, CustomStringConvertible {
    public let description: String

    static func invalidDefinition(_ message: String) -> EndpointError {
        EndpointError(description: "Invalid service definition: \(message)")
    }
}
