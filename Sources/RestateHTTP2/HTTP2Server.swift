public import NIOCore
import NIOPosix
import Synchronization

/// An h2c (HTTP/2 with prior knowledge) and HTTP/1.1 server on one port, handing each request to
/// an async handler with a streaming body in and a streaming response out.
///
/// HTTP/2 is served by an nghttp2 server session per connection, driven from a SwiftNIO channel
/// handler (`nghttp2_session_mem_recv`/`mem_send`; nghttp2 owns no sockets and no threads). The
/// first bytes of a connection decide: the HTTP/2 client preface selects nghttp2, anything else
/// goes to NIOHTTP1, so the Restate runtime can use either (HTTP/1.1 is its request-response mode).
///
/// ```swift
/// let server = try await HTTP2Server.bind(host: "127.0.0.1", port: 9080) { head, body, writer in
///     try await writer.writeHead(status: 200, headers: [("content-type", "text/plain")])
///     for try await chunk in body { try await writer.write(chunk) }
///     try await writer.finish()
/// }
/// print("listening on", server.port)
/// await server.shutdown(gracePeriod: .seconds(5))
/// ```
public final class HTTP2Server: Sendable {
    /// Serves one request. Runs in its own task (on the connection's event loop unless
    /// ``Configuration/handlerExecutor`` says otherwise), which is cancelled if the peer resets the
    /// stream or the connection closes.
    public typealias Handler = @Sendable (RequestHead, RequestBody, ResponseWriter) async throws -> Void

    /// Limits and tuning; every field has a default.
    public struct Configuration: Sendable {
        /// `SETTINGS_MAX_CONCURRENT_STREAMS`: streams a client may have open on one connection.
        public var maxConcurrentStreams: Int
        /// `SETTINGS_MAX_HEADER_LIST_SIZE`, enforced: a larger request head gets `431`. Also the
        /// HTTP/1.1 head limit.
        public var maxHeaderListSize: Int
        /// `SETTINGS_MAX_FRAME_SIZE`: the largest frame payload the server accepts.
        public var maxFrameSize: Int
        /// `SETTINGS_INITIAL_WINDOW_SIZE`: request bytes a client may send on one stream before the
        /// handler reads them. On HTTP/1.1, the unread bytes after which the socket is not read.
        public var initialWindowSize: Int
        /// The connection-level receive window (all streams of one connection together).
        public var connectionWindowSize: Int
        /// Response bytes queued per stream beyond which ``ResponseWriter/write(_:)`` suspends.
        public var responseBufferSize: Int
        /// A connection with no open stream and no traffic for this long is closed; `nil` never.
        public var idleTimeout: Duration?
        /// Requests with a longer body are refused with `413` (or a reset once the response began).
        public var maxRequestBodySize: Int
        /// Connections beyond this many are closed on accept.
        public var maxConnections: Int
        /// Where handlers run; on their connection's event loop unless set otherwise.
        public var handlerExecutor: HandlerExecutor
        /// Event loops of the group the server runs on when ``HTTP2Server/bind(host:port:configuration:eventLoopGroup:handler:)``
        /// is given none: two per core by default, as Netty and Vert.x do. Handlers run on these
        /// loops, so a second loop per core keeps connections moving while a handler computes.
        /// On two cores shared with a load generator, an echo server answered ~13 % more
        /// requests per second with four loops than with two (the same CPU per request, fewer idle
        /// gaps); a whole Restate invocation, which spends more per request, the same.
        public var eventLoopCount: Int

        /// Creates a configuration.
        public init(
            maxConcurrentStreams: Int = 256,
            maxHeaderListSize: Int = 64 * 1024,
            maxFrameSize: Int = 16 * 1024,
            initialWindowSize: Int = 1024 * 1024,
            connectionWindowSize: Int = 8 * 1024 * 1024,
            responseBufferSize: Int = 64 * 1024,
            idleTimeout: Duration? = .seconds(300),
            maxRequestBodySize: Int = 32 * 1024 * 1024,
            maxConnections: Int = 10_000,
            handlerExecutor: HandlerExecutor = .eventLoop,
            eventLoopCount: Int = 2 * System.coreCount
        ) {
            self.maxConcurrentStreams = maxConcurrentStreams
            self.maxHeaderListSize = maxHeaderListSize
            self.maxFrameSize = maxFrameSize
            self.initialWindowSize = initialWindowSize
            self.connectionWindowSize = connectionWindowSize
            self.responseBufferSize = responseBufferSize
            self.idleTimeout = idleTimeout
            self.maxRequestBodySize = maxRequestBodySize
            self.maxConnections = maxConnections
            self.handlerExecutor = handlerExecutor
            self.eventLoopCount = eventLoopCount
        }

        /// The default configuration.
        public static var defaults: Configuration { Configuration() }

        /// The values clamped to what HTTP/2 allows, so that a bad configuration cannot make
        /// nghttp2 reject our own SETTINGS.
        var sanitized: Configuration {
            var copy = self
            copy.maxConcurrentStreams = max(1, min(copy.maxConcurrentStreams, Int(Int32.max)))
            copy.maxHeaderListSize = max(1024, min(copy.maxHeaderListSize, Int(Int32.max)))
            copy.maxFrameSize = max(16_384, min(copy.maxFrameSize, 16_777_215))
            copy.initialWindowSize = max(1, min(copy.initialWindowSize, Int(Int32.max)))
            copy.connectionWindowSize = max(65_535, min(copy.connectionWindowSize, Int(Int32.max)))
            copy.responseBufferSize = max(1, copy.responseBufferSize)
            copy.maxRequestBodySize = max(0, copy.maxRequestBodySize)
            copy.maxConnections = max(1, copy.maxConnections)
            copy.eventLoopCount = max(1, copy.eventLoopCount)
            return copy
        }
    }

    /// The configuration the server runs with.
    public let configuration: Configuration
    /// The address the server is bound to.
    public let localAddress: SocketAddress
    /// The bound port (useful after binding port 0).
    public var port: Int { self.localAddress.port ?? 0 }

    private let serverChannel: any Channel
    private let tracker: ServerTracker

    private init(
        configuration: Configuration,
        localAddress: SocketAddress,
        serverChannel: any Channel,
        tracker: ServerTracker
    ) {
        self.configuration = configuration
        self.localAddress = localAddress
        self.serverChannel = serverChannel
        self.tracker = tracker
    }

    /// Binds a server and starts accepting connections.
    ///
    /// - Parameters:
    ///   - host: the address to bind, for example `0.0.0.0` or `127.0.0.1`.
    ///   - port: the port; `0` picks a free one (see ``port``).
    ///   - configuration: limits and tuning.
    ///   - eventLoopGroup: where connections run; by default a group of
    ///     ``Configuration/eventLoopCount`` loops that lives as long as the process and is shared by
    ///     every server bound without a group of its own and with the same count.
    ///   - handler: serves each request.
    /// - Returns: the running server.
    public static func bind(
        host: String,
        port: Int,
        configuration: Configuration = .defaults,
        eventLoopGroup: (any EventLoopGroup)? = nil,
        handler: @escaping Handler
    ) async throws -> HTTP2Server {
        let configuration = configuration.sanitized
        let tracker = ServerTracker(maxConnections: configuration.maxConnections)
        let group = eventLoopGroup ?? SharedEventLoopGroups.group(loops: configuration.eventLoopCount)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                guard tracker.admit(channel) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let idle = configuration.idleTimeout {
                        try sync.addHandler(IdleStateHandler(allTimeout: TimeAmount(idle)))
                    }
                    try sync.addHandler(
                        ProtocolDetector(configuration: configuration, tracker: tracker, handler: handler)
                    )
                }
            }
            .bind(host: host, port: port)
            .get()
        guard let address = channel.localAddress else {
            try? await channel.close()
            throw IOError(errnoCode: 22, reason: "bound channel has no local address")
        }
        return HTTP2Server(
            configuration: configuration,
            localAddress: address,
            serverChannel: channel,
            tracker: tracker
        )
    }

    /// The number of open client connections.
    public var connectionCount: Int { self.tracker.connectionCount }

    /// Stops accepting, asks every connection to finish (HTTP/2 GOAWAY; HTTP/1.1 closes after the
    /// current response), waits up to `gracePeriod` for in-flight requests, then closes whatever is
    /// left (which cancels the remaining handlers) and waits for the handler tasks to return.
    ///
    /// Handlers that ignore task cancellation delay the return of this method.
    public func shutdown(gracePeriod: Duration) async {
        try? await self.serverChannel.close()
        for channel in self.tracker.beginShutdown() {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let tracker = self.tracker
        let forceClose = self.serverChannel.eventLoop.scheduleTask(in: TimeAmount(gracePeriod)) {
            for channel in tracker.openConnections {
                channel.close(promise: nil)
            }
        }
        await tracker.waitUntilIdle()
        forceClose.cancel()
    }
}

/// The event-loop groups of servers bound without one: one per loop count, created on first use
/// and never shut down, like NIO's own singleton group.
enum SharedEventLoopGroups {
    private static let groups = Mutex<[Int: MultiThreadedEventLoopGroup]>([:])

    static func group(loops: Int) -> MultiThreadedEventLoopGroup {
        groups.withLock { groups in
            if let group = groups[loops] { return group }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
            groups[loops] = group
            return group
        }
    }
}
