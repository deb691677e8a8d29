import Logging
import RestateHTTP2
import ServiceLifecycle

/// Runs an ``Endpoint`` as a swift-service-lifecycle `Service`.
///
/// On graceful shutdown (SIGTERM in a ``Endpoint/serve(host:port:gracePeriod:logger:)`` group, or
/// whatever your own `ServiceGroup` is configured with) the server stops accepting connections,
/// sends GOAWAY, gives in-flight invocations `gracePeriod` to finish or suspend, then closes. An
/// invocation cut off by the deadline is simply retried by Restate: nothing is lost.
///
/// ```swift
/// let group = ServiceGroup(
///     services: [EndpointService(endpoint, port: 9080), otherService],
///     gracefulShutdownSignals: [.sigterm],
///     logger: logger
/// )
/// try await group.run()
/// ```
public struct EndpointService: Service {
    public let endpoint: Endpoint
    public let host: String
    public let port: Int
    public let gracePeriod: Duration
    let logger: Logger

    public init(
        _ endpoint: Endpoint,
        host: String = "0.0.0.0",
        port: Int = 9080,
        gracePeriod: Duration = .seconds(10),
        logger: Logger = Logger(label: "restate.endpoint")
    ) {
        self.endpoint = endpoint
        self.host = host
        self.port = port
        self.gracePeriod = gracePeriod
        self.logger = logger
    }

    public func run() async throws {
        let server = try await endpoint.start(host: host, port: port)
        logger.info(
            "Restate endpoint listening",
            metadata: ["restate.endpoint.address": "\(host):\(server.port)", "restate.services": "\(endpoint.serviceNames)"]
        )
        // Returns on graceful shutdown; throws when the task is cancelled instead.
        try? await gracefulShutdown()
        logger.info("Restate endpoint shutting down", metadata: ["restate.endpoint.grace_period": "\(gracePeriod)"])
        await server.shutdown(gracePeriod: gracePeriod)
    }
}

extension Endpoint {
    /// Names of the bound services.
    public var serviceNames: [String] { services.map(\.name) }

    /// Serves the endpoint on `host:port` over HTTP/2 (h2c) and HTTP/1.1 until SIGTERM or SIGINT,
    /// then shuts down gracefully: in-flight invocations get `gracePeriod` to finish or suspend.
    public func serve(
        host: String = "0.0.0.0",
        port: Int = 9080,
        gracePeriod: Duration = .seconds(10),
        logger: Logger = Logger(label: "restate.endpoint")
    ) async throws {
        let service = EndpointService(self, host: host, port: port, gracePeriod: gracePeriod, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
