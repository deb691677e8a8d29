public import NIOCore

/// Writes the response of one request: a head, body chunks, then an end with optional trailers.
///
/// The writer may be used while the request body is still arriving, which is what Restate's
/// bidirectional mode needs on HTTP/2. ``write(_:)`` suspends while the stream has more than
/// ``HTTP2Server/Configuration/responseBufferSize`` bytes queued that the peer has not taken yet
/// (HTTP/2 flow control or a full socket), so a slow reader slows the handler down instead of
/// growing the server's memory.
///
/// If the handler returns without finishing, the server finishes for it (answering `200` with an
/// empty body if no head was written). If it throws before writing a head, the peer gets `500`;
/// if it throws later, the HTTP/2 stream is reset (`INTERNAL_ERROR`) or the HTTP/1.1 connection is
/// closed, so the peer never mistakes a truncated response for a complete one.
///
/// ```swift
/// try await writer.writeHead(status: 200, headers: [("content-type", "text/plain")])
/// try await writer.write(ByteBuffer(string: "hello"))
/// try await writer.finish()
/// ```
public struct ResponseWriter: Sendable {
    let stream: StreamHandle

    init(stream: StreamHandle) {
        self.stream = stream
    }

    /// Sends the response head.
    ///
    /// - Parameters:
    ///   - status: the HTTP status code.
    ///   - headers: header fields; names are sent lowercased on HTTP/2.
    /// - Throws: ``HTTPStreamError`` if the stream is closed or a head was already written.
    public func writeHead(status: Int, headers: HeaderFields = []) async throws {
        try await self.stream.onLoop { transport, id in
            try transport.writeHead(stream: id, status: status, headers: headers)
        }
    }

    /// Queues a body chunk, suspending while too much of this response is still queued.
    ///
    /// - Throws: ``HTTPStreamError`` if the stream was reset or closed, or no head was written.
    public func write(_ buffer: ByteBuffer) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            self.stream.onLoop((buffer, continuation)) { transport, id, argument in
                transport.writeBody(stream: id, argument.0, continuation: argument.1)
            }
        }
    }

    /// Ends the response, with trailers if given (sent as an HTTP/2 trailing HEADERS frame or
    /// HTTP/1.1 chunked trailers).
    ///
    /// Returns once the end is queued; it does not wait for the peer to receive it.
    public func finish(trailers: HeaderFields? = nil) async throws {
        try await self.stream.onLoop { transport, id in try transport.finish(stream: id, trailers: trailers) }
    }

    /// Sends the head (when given), a body chunk and, if `finish` is set, the end, in one trip to
    /// the event loop instead of one per step: what a small response needs.
    ///
    /// Suspends like ``write(_:)`` while too much of the response is queued.
    ///
    /// - Throws: ``HTTPStreamError`` as the individual steps do.
    public func write(head: (status: Int, headers: HeaderFields)?, body: ByteBuffer, finish: Bool) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            self.submit(head: head, body: body, finish: finish, continuation: continuation)
        }
    }

    /// Queues the head (when given), a last body chunk and the end, and returns without waiting
    /// for the event loop: what a handler does last, when it has nothing more to send.
    ///
    /// It spares the handler's task a trip back from the event loop. Nothing is reported: if the
    /// stream is already gone, the peer knows that better than the handler.
    public func finish(head: (status: Int, headers: HeaderFields)?, body: ByteBuffer) {
        self.submit(head: head, body: body, finish: true, continuation: nil)
    }

    /// One trip to the loop for head, body and end; `continuation`, if any, hears how it went.
    private func submit(
        head: (status: Int, headers: HeaderFields)?,
        body: ByteBuffer,
        finish: Bool,
        continuation: CheckedContinuation<Void, any Error>?
    ) {
        self.stream.onLoop((head, body, finish, continuation)) { transport, id, argument in
            let (head, body, finish, continuation) = argument
            if let head {
                do {
                    try transport.writeHead(stream: id, status: head.status, headers: head.headers)
                } catch {
                    continuation?.resume(throwing: error)
                    return
                }
            }
            transport.writeBody(stream: id, body, continuation: continuation)
            // After a failed body write the continuation already carries the error.
            if finish { try? transport.finish(stream: id, trailers: nil) }
        }
    }

    /// Cancels the task running this request's handler, as a reset stream would, for a handler
    /// that another request supersedes. Returns at once; the task is cancelled on the connection's
    /// event loop, and not at all if the handler has already returned.
    public func cancelHandler() {
        self.stream.onLoop(()) { transport, id, _ in transport.cancelHandler(stream: id) }
    }

    /// Called by the server's task wrapper when the user's handler returned or threw.
    func handlerReturned(error: (any Error)?) {
        self.stream.onLoop(error) { transport, id, error in transport.handlerFinished(stream: id, error: error) }
    }
}

/// One stream of a connection, as its writer and its body reach it: the transport, the stream's id
/// and the event loop every call to the transport must run on.
///
/// Unlike `NIOLoopBound`, it does not check the thread on each access to the transport: every use
/// is behind `onLoop`'s own `inEventLoop` check or inside `EventLoop.execute`/`submit`, and the
/// second check cost a thread-local lookup per call.
struct StreamHandle: @unchecked Sendable {
    // @unchecked: the transport is only touched on its event loop; see above.
    let eventLoop: any EventLoop
    private let transport: any StreamTransport
    let streamID: Int64

    init(eventLoop: any EventLoop, transport: any StreamTransport, streamID: Int64) {
        self.eventLoop = eventLoop
        self.transport = transport
        self.streamID = streamID
    }

    /// Runs `body` with the transport on the connection's event loop: at once when the caller is
    /// already there (a handler on ``EventLoopTaskExecutor``, a body consumed in a loop callback),
    /// else queued. `body` gets its inputs as `argument` instead of capturing them, so that the
    /// call made on the loop, the common one, allocates no closure context.
    func onLoop<Argument: Sendable>(
        _ argument: Argument,
        _ body: @escaping @Sendable (any StreamTransport, Int64, Argument) -> Void
    ) {
        if self.eventLoop.inEventLoop {
            body(self.transport, self.streamID, argument)
        } else {
            self.eventLoop.execute { body(self.transport, self.streamID, argument) }
        }
    }

    /// Runs `body` with the transport on the connection's event loop and returns its outcome,
    /// waiting for the loop when the caller is elsewhere.
    func onLoop(
        _ body: @escaping @Sendable (any StreamTransport, Int64) throws -> Void
    ) async throws {
        if self.eventLoop.inEventLoop {
            return try body(self.transport, self.streamID)
        }
        try await self.eventLoop.submit { try body(self.transport, self.streamID) }.get()
    }
}

/// What a connection handler offers the writers and bodies of its streams. Every method runs on
/// the connection's event loop.
protocol StreamTransport: AnyObject {
    func writeHead(stream: Int64, status: Int, headers: HeaderFields) throws
    /// Queues `buffer`; `continuation` (if any) resumes when the handler may write again.
    func writeBody(stream: Int64, _ buffer: ByteBuffer, continuation: CheckedContinuation<Void, any Error>?)
    func finish(stream: Int64, trailers: HeaderFields?) throws
    func handlerFinished(stream: Int64, error: (any Error)?)
    func bodyConsumed(stream: Int64, bytes: Int)
    func cancelHandler(stream: Int64)
}

extension StreamTransport {
    /// Starts the user's handler for a request whose body goes to `storage`.
    ///
    /// The task is unstructured on purpose: a stream reset must cancel exactly one handler, which a
    /// task group child cannot be. The ``ServerTracker`` keeps count so that shutdown can wait.
    ///
    /// With `immediately`, the handler runs at once on the calling thread (the connection's event
    /// loop) until it first suspends, instead of being queued as a job for the loop: a handler
    /// whose request is already complete often answers without ever suspending. Only for
    /// ``HandlerExecutor/eventLoop``, where the handler would run on this thread anyway, and only
    /// where the connection may be called back synchronously (not from inside nghttp2).
    func startHandler(
        head: RequestHead,
        storage: BodyStorage,
        executor: (any TaskExecutor)?,
        immediately: Bool,
        tracker: ServerTracker,
        handler: @escaping HTTP2Server.Handler
    ) -> Task<Void, Never> {
        let body = RequestBody(storage: storage)
        let writer = ResponseWriter(stream: storage.stream)
        tracker.taskStarted()
        #if compiler(>=6.2)
        // `Task.immediate` is new in Swift 6.2; older compilers always queue the first job.
        if immediately, #available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *) {
            return Task.immediate(executorPreference: executor) {
                await runHandler(handler, head, body, writer, tracker)
            }
        }
        #endif
        // A `nil` preference is the global concurrent executor.
        return Task(executorPreference: executor) {
            await runHandler(handler, head, body, writer, tracker)
        }
    }
}

/// The body of every handler task: the user's handler, then the transport and the tracker told.
private func runHandler(
    _ handler: HTTP2Server.Handler,
    _ head: RequestHead,
    _ body: RequestBody,
    _ writer: ResponseWriter,
    _ tracker: ServerTracker
) async {
    do {
        try await handler(head, body, writer)
        writer.handlerReturned(error: nil)
    } catch {
        writer.handlerReturned(error: error)
    }
    tracker.taskEnded()
}

extension HandlerExecutor {
    /// The task executor for handlers of connections on `eventLoop`; `nil` for the global one.
    func taskExecutor(for eventLoop: any EventLoop) -> (any TaskExecutor)? {
        switch self {
        case .eventLoop: EventLoopTaskExecutor(eventLoop: eventLoop)
        case .globalConcurrentExecutor: nil
        case .taskExecutor(let executor): executor
        }
    }
}
