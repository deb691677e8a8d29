import Foundation
import NIOCore
import RestateCore
import RestateHTTP2

/// Serves services, virtual objects and workflows to Restate.
///
/// Bind the types, then serve: Restate discovers the endpoint (`GET /discover`) and invokes
/// handlers over HTTP/2 streams (`POST /invoke/{service}/{handler}`).
///
/// ```swift
/// var endpoint = Endpoint()
/// endpoint.bind(SignupWorkflow.self)
/// endpoint.bind(Greeter.self) { Greeter(mailer: SMTPMailer()) }
/// try await endpoint.serve(port: 9080)
/// ```
public struct Endpoint: Sendable {
    /// Endpoint settings.
    public struct Configuration: Sendable {
        /// Request-identity public keys (`publickeyv1_…`); requests not signed by one of them get
        /// 401. Empty: no check.
        public var identityKeys: [String]
        /// The largest protocol message accepted; Restate's default limit is 32 MiB.
        public var maximumMessageSize: Int
        /// Number of shards of the instance registry; defaults to the number of cores.
        public var shardCount: Int
        /// Instances kept per shard; past it, the least recently used idle one is dropped.
        public var instancesPerShard: Int
        /// How long an instance nobody uses is kept before it is dropped. Instances hold no
        /// durable state, so this trades memory for the cost of `init()`.
        public var instanceIdleTimeout: Duration
        /// Invocation attempts running at once per shard; more are refused with 503 (Restate
        /// retries them), so a burst never grows memory without bound.
        public var maxInFlightPerShard: Int
        /// Forces request/response mode in the manifest even on HTTP/2.
        public var requestResponseOnly: Bool
        /// Options of the invocation state machine.
        public var stateMachine: InvocationStateMachine.Options
        /// Limits of the HTTP server.
        public var http: HTTP2Server.Configuration

        public init(
            identityKeys: [String] = [],
            maximumMessageSize: Int = FrameDecoder.defaultMaximumMessageSize,
            shardCount: Int = ProcessInfo.processInfo.activeProcessorCount,
            instancesPerShard: Int = 10_000,
            instanceIdleTimeout: Duration = .seconds(600),
            maxInFlightPerShard: Int = 4_096,
            requestResponseOnly: Bool = false,
            stateMachine: InvocationStateMachine.Options = .init(),
            http: HTTP2Server.Configuration = .defaults
        ) {
            self.identityKeys = identityKeys
            self.maximumMessageSize = maximumMessageSize
            self.shardCount = shardCount
            self.instancesPerShard = instancesPerShard
            self.instanceIdleTimeout = instanceIdleTimeout
            self.maxInFlightPerShard = maxInFlightPerShard
            self.requestResponseOnly = requestResponseOnly
            self.stateMachine = stateMachine
            self.http = http
        }

        /// Reads settings from the environment: `RESTATE_IDENTITY_KEYS` (comma-separated; also
        /// read from `E2E_REQUEST_SIGNING`), `RESTATE_SHARDS`, `RESTATE_INSTANCES_PER_SHARD`,
        /// `RESTATE_INSTANCE_IDLE_TIMEOUT` (seconds), `RESTATE_MAX_IN_FLIGHT_PER_SHARD`,
        /// `RESTATE_HANDLER_EXECUTOR` (`event-loop` or `global`), `RESTATE_EVENT_LOOPS`.
        public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
            -> Configuration
        {
            var configuration = Configuration()
            if let keys = environment["RESTATE_IDENTITY_KEYS"] ?? environment["E2E_REQUEST_SIGNING"] {
                configuration.identityKeys = keys.split(separator: ",").map {
                    String($0.trimmingCharacters(in: .whitespaces))
                }.filter { !$0.isEmpty }
            }
            if let shards = environment["RESTATE_SHARDS"].flatMap(Int.init), shards > 0 {
                configuration.shardCount = shards
            }
            if let capacity = environment["RESTATE_INSTANCES_PER_SHARD"].flatMap(Int.init), capacity > 0 {
                configuration.instancesPerShard = capacity
            }
            if let seconds = environment["RESTATE_INSTANCE_IDLE_TIMEOUT"].flatMap(Double.init), seconds > 0 {
                configuration.instanceIdleTimeout = .milliseconds(Int64(seconds * 1000))
            }
            if let inFlight = environment["RESTATE_MAX_IN_FLIGHT_PER_SHARD"].flatMap(Int.init), inFlight > 0 {
                configuration.maxInFlightPerShard = inFlight
            }
            if let loops = environment["RESTATE_EVENT_LOOPS"].flatMap(Int.init), loops > 0 {
                configuration.http.eventLoopCount = loops
            }
            switch environment["RESTATE_HANDLER_EXECUTOR"] {
            case "event-loop": configuration.http.handlerExecutor = .eventLoop
            case "global": configuration.http.handlerExecutor = .globalConcurrentExecutor
            default: break
            }
            return configuration
        }
    }

    public var configuration: Configuration
    private(set) var services: [BoundService] = []
    private var errors: [EndpointError] = []

    public init(configuration: Configuration = .fromEnvironment()) {
        self.configuration = configuration
    }

    /// Creates an endpoint serving `types`, each created with `init()`.
    public init(
        _ types: any (RestateService & DefaultInitializable).Type...,
        configuration: Configuration = .fromEnvironment()
    ) {
        self.init(configuration: configuration)
        for type in types { bindOpened(type) }
    }

    private mutating func bindOpened<S: RestateService & DefaultInitializable>(_ type: S.Type) {
        bind(type)
    }

    /// Binds a type created with `init()` (once for a service, once per key for virtual objects
    /// and workflows).
    public mutating func bind<S: RestateService & DefaultInitializable>(_ type: S.Type) {
        bind(type) { S() }
    }

    /// Binds a type created by `factory`, e.g. to inject dependencies.
    public mutating func bind<S: RestateService>(_ type: S.Type, factory: @escaping @Sendable () -> S) {
        let descriptor = S.restateDescriptor
        do {
            try BoundService.validate(descriptor)
        } catch let error as EndpointError {
            errors.append(error)
            return
        } catch {
            errors.append(EndpointError(description: String(describing: error)))
            return
        }
        if services.contains(where: { $0.name == descriptor.name }) {
            errors.append(.invalidDefinition("two services are named \(descriptor.name)"))
            return
        }
        let registry = InstanceRegistry(
            service: descriptor.name,
            keyed: descriptor.kind.isKeyed,
            shardCount: configuration.shardCount,
            capacityPerShard: configuration.instancesPerShard,
            idleTimeout: configuration.instanceIdleTimeout,
            factory: factory
        )
        services.append(BoundService(type, registry: registry))
    }

    /// The request handler of this endpoint, for serving it from another HTTP server or testing
    /// it in-process.
    ///
    /// - Throws: ``EndpointError`` when a bound definition is invalid or a key is malformed.
    public func makeHandler() throws -> EndpointHandler {
        if let first = errors.first { throw first }
        return try EndpointHandler(services: services, configuration: configuration)
    }

    /// Starts serving and returns the running server (use `port` to find a port picked with 0).
    public func start(host: String = "127.0.0.1", port: Int = 9080) async throws -> HTTP2Server {
        let handler = try makeHandler()
        return try await HTTP2Server.bind(host: host, port: port, configuration: configuration.http) {
            head,
            body,
            writer in
            await handler.handle(head, body: body, response: writer)
        }
    }
}
