import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection behind NIOHTTP1's server pipeline, serving one request at a time
/// through the same handler interface as HTTP/2.
///
/// NIOHTTP1's pipelining handler queues a pipelined request until the previous response ended,
/// and answers malformed input with `400`. Request body back-pressure works on the socket: once
/// more than ``HTTP2Server/Configuration/initialWindowSize`` bytes are buffered unread, the handler
/// withholds `read()` until the handler task catches up. Response back-pressure follows the
/// channel's writability.
final class HTTP1ConnectionHandler: ChannelDuplexHandler, StreamTransport {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Response {
        case none
        case streaming
        case finished
    }

    /// The request being served.
    private final class Exchange {
        let id: Int64
        let keepAlive: Bool
        let version: HTTPVersion
        var storage: BodyStorage?
        var task: Task<Void, Never>?
        var requestEnded = false
        var handlerDone = false
        var response = Response.none
        var receivedBytes = 0

        init(id: Int64, keepAlive: Bool, version: HTTPVersion) {
            self.id = id
            self.keepAlive = keepAlive
            self.version = version
        }
    }

    private let configuration: HTTP2Server.Configuration
    private let tracker: ServerTracker
    private let handler: HTTP2Server.Handler
    /// Where this connection's handlers run; `nil` for the global concurrent executor.
    private var taskExecutor: (any TaskExecutor)?
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var nextID: Int64 = 1
    private var unconsumed = 0
    private var readPending = false
    private var flushScheduled = false
    private var writeWaiters: [CheckedContinuation<Void, any Error>] = []

    init(configuration: HTTP2Server.Configuration, tracker: ServerTracker, handler: @escaping HTTP2Server.Handler) {
        self.configuration = configuration
        self.tracker = tracker
        self.handler = handler
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.taskExecutor = self.configuration.handlerExecutor.taskExecutor(for: context.eventLoop)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.abort(HTTPStreamError.connectionClosed)
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.abort(HTTPStreamError.connectionClosed)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.received(head: head, context: context)
        case .body(let chunk):
            guard let exchange = self.exchange, !exchange.handlerDone, let storage = exchange.storage else { return }
            exchange.receivedBytes += chunk.readableBytes
            if exchange.receivedBytes > self.configuration.maxRequestBodySize {
                self.refuseOversizedBody(exchange)
                return
            }
            if storage.append(chunk) {
                self.unconsumed += chunk.readableBytes
            }
        case .end:
            guard let exchange = self.exchange else { return }
            exchange.requestEnded = true
            exchange.storage?.finish()
            if exchange.handlerDone && exchange.response == .finished {
                self.exchange = nil
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        if self.unconsumed > self.configuration.initialWindowSize || !context.channel.isWritable {
            self.readPending = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            let waiters = self.writeWaiters
            self.writeWaiters = []
            for waiter in waiters { waiter.resume() }
            self.resumeReadingIfPossible()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if self.exchange == nil { context.close(promise: nil) }
            return
        }
        // ChannelShouldQuiesceEvent is handled by HTTPServerPipelineHandler further up: it closes
        // the connection now if idle, or after the in-flight response.
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Parse errors reach here after HTTPServerProtocolErrorHandler queued its 400; either way
        // the connection is unusable.
        self.abort(HTTPStreamError.connectionClosed)
        context.close(promise: nil)
    }

    // MARK: - Requests

    private func received(head: HTTPRequestHead, context: ChannelHandlerContext) {
        let id = self.nextID
        self.nextID += 1
        let exchange = Exchange(id: id, keepAlive: head.isKeepAlive, version: head.version)
        self.exchange = exchange

        var headers = HeaderFields()
        headers.reserveCapacity(head.headers.count)
        var headerBytes = 0
        for (name, value) in head.headers {
            headers.append(name: name.lowercased(), value: value)
            headerBytes += name.utf8.count + value.utf8.count + 32
        }
        if headerBytes > self.configuration.maxHeaderListSize {
            self.respondWithoutBody(exchange, status: .requestHeaderFieldsTooLarge, close: true)
            return
        }
        if let length = head.headers.first(name: "content-length").flatMap(Int.init),
            length > self.configuration.maxRequestBodySize
        {
            self.respondWithoutBody(exchange, status: .payloadTooLarge, close: true)
            return
        }
        let requestHead = RequestHead(
            method: head.method.rawValue,
            path: head.uri,
            scheme: "http",
            authority: head.headers.first(name: "host"),
            headers: headers,
            transport: .http1
        )
        let storage = BodyStorage(stream: StreamHandle(eventLoop: context.eventLoop, transport: self, streamID: id))
        exchange.storage = storage
        // Queued, not started at once: the body has not arrived yet, and NIOHTTP1 is delivering.
        exchange.task = self.startHandler(
            head: requestHead,
            storage: storage,
            executor: self.taskExecutor,
            immediately: false,
            tracker: self.tracker,
            handler: self.handler
        )
    }

    private func refuseOversizedBody(_ exchange: Exchange) {
        if let storage = exchange.storage {
            self.unconsumed -= storage.discard()
            storage.fail(HTTPStreamError.requestBodyTooLarge, cancelling: exchange.task)
        } else {
            exchange.task?.cancel()
        }
        exchange.handlerDone = true
        if exchange.response == .none {
            self.respondWithoutBody(exchange, status: .payloadTooLarge, close: true)
        } else {
            self.context?.close(promise: nil)
        }
    }

    private func respondWithoutBody(_ exchange: Exchange, status: HTTPResponseStatus, close: Bool) {
        guard let context = self.context, exchange.response == .none else { return }
        exchange.handlerDone = exchange.task == nil || exchange.handlerDone
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: "0")
        if close { headers.add(name: "connection", value: "close") }
        context.write(
            self.wrapOutboundOut(.head(HTTPResponseHead(version: exchange.version, status: status, headers: headers))),
            promise: nil
        )
        self.writeEnd(exchange, trailers: nil, close: close || !exchange.keepAlive)
    }

    private func writeEnd(_ exchange: Exchange, trailers: HTTPHeaders?, close: Bool) {
        guard let context = self.context else { return }
        exchange.response = .finished
        if close {
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(.end(trailers))).whenComplete { _ in
                channel.close(promise: nil)
            }
        } else {
            // Flushed now, not batched: once `.end` passes HTTPServerPipelineHandler the connection
            // counts as idle, and a quiesce event queued before a batched flush would close it with
            // the whole response still unflushed (and lost).
            context.writeAndFlush(self.wrapOutboundOut(.end(trailers)), promise: nil)
        }
        if exchange.requestEnded && exchange.handlerDone {
            self.exchange = nil
        }
    }

    private func abort(_ error: HTTPStreamError) {
        if let exchange = self.exchange {
            self.exchange = nil
            let task = exchange.handlerDone ? nil : exchange.task
            if let storage = exchange.storage {
                _ = storage.discard()
                storage.fail(error, cancelling: task)
            } else {
                task?.cancel()
            }
        }
        let waiters = self.writeWaiters
        self.writeWaiters = []
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    private func scheduleFlush() {
        guard !self.flushScheduled, let context = self.context else { return }
        self.flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.context?.flush()
        }
    }

    private func resumeReadingIfPossible() {
        guard self.readPending, let context = self.context,
            self.unconsumed <= self.configuration.initialWindowSize, context.channel.isWritable
        else { return }
        self.readPending = false
        context.read()
    }

    private func current(_ id: Int64) throws -> Exchange {
        guard let exchange = self.exchange, exchange.id == id, !exchange.handlerDone, self.context != nil else {
            throw HTTPStreamError.streamClosed
        }
        return exchange
    }

    // MARK: - StreamTransport

    func writeHead(stream id: Int64, status: Int, headers: HeaderFields) throws {
        let exchange = try self.current(id)
        guard exchange.response == .none, let context = self.context else {
            throw HTTPStreamError.headAlreadyWritten
        }
        var httpHeaders = HTTPHeaders()
        httpHeaders.reserveCapacity(headers.count)
        for field in headers { httpHeaders.add(name: field.name, value: field.value) }
        if !exchange.keepAlive && !httpHeaders.contains(name: "connection") {
            httpHeaders.add(name: "connection", value: "close")
        }
        let head = HTTPResponseHead(
            version: exchange.version,
            status: HTTPResponseStatus(statusCode: status),
            headers: httpHeaders
        )
        exchange.response = .streaming
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        self.scheduleFlush()
    }

    func writeBody(stream id: Int64, _ buffer: ByteBuffer, continuation: CheckedContinuation<Void, any Error>?) {
        let exchange: Exchange
        do {
            exchange = try self.current(id)
        } catch {
            continuation?.resume(throwing: error)
            return
        }
        guard let context = self.context else {
            continuation?.resume(throwing: HTTPStreamError.streamClosed)
            return
        }
        switch exchange.response {
        case .none:
            continuation?.resume(throwing: HTTPStreamError.headNotWritten)
        case .finished:
            continuation?.resume(throwing: HTTPStreamError.alreadyFinished)
        case .streaming:
            // An empty chunk would read as the end of a chunked body.
            guard buffer.readableBytes > 0 else {
                continuation?.resume()
                return
            }
            context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            self.scheduleFlush()
            if context.channel.isWritable {
                continuation?.resume()
            } else {
                if let continuation { self.writeWaiters.append(continuation) }
            }
        }
    }

    func finish(stream id: Int64, trailers: HeaderFields?) throws {
        let exchange = try self.current(id)
        switch exchange.response {
        case .none: throw HTTPStreamError.headNotWritten
        case .finished: throw HTTPStreamError.alreadyFinished
        case .streaming: break
        }
        var httpTrailers: HTTPHeaders?
        if let trailers, !trailers.isEmpty {
            var converted = HTTPHeaders()
            for field in trailers { converted.add(name: field.name, value: field.value) }
            httpTrailers = converted
        }
        self.writeEnd(exchange, trailers: httpTrailers, close: !exchange.keepAlive)
    }

    func handlerFinished(stream id: Int64, error: (any Error)?) {
        guard let exchange = self.exchange, exchange.id == id, !exchange.handlerDone else { return }
        exchange.handlerDone = true
        exchange.task = nil
        if let storage = exchange.storage {
            self.unconsumed -= storage.discard()
            self.resumeReadingIfPossible()
        }
        switch (exchange.response, error) {
        case (.none, .some):
            self.respondWithoutBody(exchange, status: .internalServerError, close: !exchange.requestEnded)
        case (.none, .none):
            self.respondWithoutBody(exchange, status: .ok, close: !exchange.requestEnded)
        case (.streaming, .some):
            // A truncated body must not look complete: drop the connection.
            self.context?.close(promise: nil)
        case (.streaming, .none):
            self.writeEnd(exchange, trailers: nil, close: !exchange.keepAlive || !exchange.requestEnded)
        case (.finished, _):
            if exchange.requestEnded { self.exchange = nil }
        }
    }

    func cancelHandler(stream id: Int64) {
        guard let exchange = self.exchange, exchange.id == id, !exchange.handlerDone else { return }
        exchange.task?.cancel()
    }

    func bodyConsumed(stream id: Int64, bytes: Int) {
        // Unconditional: every byte counted in `unconsumed` is either taken by a handler (and
        // reported here, possibly after its exchange ended) or given back by `discard()`.
        self.unconsumed -= bytes
        self.resumeReadingIfPossible()
    }
}
