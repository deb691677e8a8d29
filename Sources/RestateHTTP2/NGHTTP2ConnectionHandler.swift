import CNghttp2
import NIOCore

/// One HTTP/2 connection: an nghttp2 server session fed from and drained into a NIO channel.
///
/// nghttp2 does the framing, HPACK, stream states and flow-control accounting; this handler owns
/// the session, runs it only on the channel's event loop, and turns its callbacks into request
/// heads, body chunks and handler tasks. Three rules shape it:
///
/// - **Back-pressure in.** Automatic WINDOW_UPDATEs are off; a stream's window reopens only when
///   its handler takes a chunk from ``RequestBody`` (`nghttp2_session_consume`).
/// - **Back-pressure out.** Response chunks wait in a per-stream queue that nghttp2 pulls through a
///   deferred data provider; writers suspend above ``HTTP2Server/Configuration/responseBufferSize``.
///   Output is produced only while the channel is writable, and the socket is not read while it is
///   not, so a peer that stops reading stops the connection rather than growing buffers.
/// - **One write, one flush per tick.** Serialised frames collect in one buffer, written and flushed
///   on `channelReadComplete` or in one scheduled task per event-loop tick. DATA payloads are not
///   copied into nghttp2 (`NGHTTP2_DATA_FLAG_NO_COPY`): large ones go to the socket as the very
///   buffers the handler wrote.
final class NGHTTP2ConnectionHandler: ChannelDuplexHandler, StreamTransport {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// DATA payloads up to this size are copied into the coalesced output buffer; larger ones are
    /// written as separate buffers without a copy.
    private static let copyThreshold = 2048
    private static let emptyBodyHeaders: HeaderFields = [("content-length", "0")]

    private let configuration: HTTP2Server.Configuration
    private let tracker: ServerTracker
    private let handler: HTTP2Server.Handler
    /// Where this connection's handlers run; `nil` for the global concurrent executor.
    @exclusivity(unchecked) private var taskExecutor: (any TaskExecutor)?
    /// Whether handlers start on this thread when their request is dispatched (they run on this
    /// connection's event loop anyway), instead of as a job queued for it.
    private let startsHandlersImmediately: Bool
    /// Streams whose request head arrived during the current `mem_recv`, in order: their handlers
    /// start after it returns, because a handler that starts at once may call into the session,
    /// which nghttp2 forbids from inside its callbacks.
    @exclusivity(unchecked) private var dispatched: [H2Stream] = []

    @exclusivity(unchecked) private var session: OpaquePointer?
    @exclusivity(unchecked) private var context: ChannelHandlerContext?
    @exclusivity(unchecked) private var streams: [Int32: H2Stream] = [:]
    /// The stream of the last lookup: nghttp2 reports a request as a run of callbacks for one
    /// stream (begin headers, each field, the frame, its data), and the dictionary's hashing cost
    /// more than the rest of those callbacks together.
    @exclusivity(unchecked) private var lastStream: H2Stream?
    /// The strings of header fields this peer sent before (HPACK-indexed).
    @exclusivity(unchecked) private var headerStrings = HeaderStringCache()
    /// Scratch bytes for the names and values of each response head, reused (nghttp2 copies them).
    private let headScratch = NameValueScratch()
    @exclusivity(unchecked) private var output: ByteBuffer
    @exclusivity(unchecked) private var needsFlush = false
    @exclusivity(unchecked) private var flushScheduled = false
    /// Between a `channelRead` and the `channelReadComplete` that ends its read cycle, which
    /// flushes anyway: output requested in between (handlers started by the read answer at once)
    /// needs no task of its own.
    @exclusivity(unchecked) private var inReadCycle = false
    @exclusivity(unchecked) private var readPending = false
    @exclusivity(unchecked) private var draining = false
    @exclusivity(unchecked) private var closing = false

    /// The buffer `mem_recv` is reading, so DATA callbacks can hand out slices of it.
    @exclusivity(unchecked) private var input: ByteBuffer?
    @exclusivity(unchecked) private var inputBase: UnsafeRawPointer?

    init(configuration: HTTP2Server.Configuration, tracker: ServerTracker, handler: @escaping HTTP2Server.Handler) {
        self.configuration = configuration
        self.tracker = tracker
        self.handler = handler
        self.output = ByteBuffer()
        if case .eventLoop = configuration.handlerExecutor {
            self.startsHandlersImmediately = true
        } else {
            self.startsHandlersImmediately = false
        }
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.taskExecutor = self.configuration.handlerExecutor.taskExecutor(for: context.eventLoop)
        self.output = context.channel.allocator.buffer(capacity: 4096)
        guard self.createSession() else {
            context.close(promise: nil)
            return
        }
        self.flushOutput()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAllStreams(HTTPStreamError.connectionClosed)
        self.headerStrings.removeAll()
        if let session = self.session {
            nghttp2_session_del(session)
        }
        self.session = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAllStreams(HTTPStreamError.connectionClosed)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session = self.session, !self.closing else { return }
        self.inReadCycle = true
        let buffer = self.unwrapInboundIn(data)
        let result = buffer.withUnsafeReadableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            self.input = buffer
            self.inputBase = base
            defer {
                self.input = nil
                self.inputBase = nil
            }
            return nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), raw.count)
        }
        if !self.dispatched.isEmpty {
            self.startDispatchedHandlers()
        }
        if result < 0 {
            // A connection error (bad preface, flooding, protocol violation). nghttp2 has queued a
            // GOAWAY where the protocol wants one; send what is queued, then close.
            self.flushOutput()
            self.closeAfterFlush()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.inReadCycle = false
        self.flushOutput()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            self.readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.flushOutput()
            if self.readPending {
                self.readPending = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            self.startDraining()
        } else if event is IdleStateHandler.IdleStateEvent {
            if self.streams.isEmpty { self.startDraining() }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: - Session set-up

    private func createSession() -> Bool {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return false }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeadersCallback)
        nghttp2_session_callbacks_set_on_header_callback2(callbacks, onHeaderCallback)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameRecvCallback)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunkRecvCallback)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamCloseCallback)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSendCallback)
        nghttp2_session_callbacks_set_send_data_callback(callbacks, sendDataCallback)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return false }
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)
        // No RFC 7540 priority tree (see the SETTINGS below): closed streams need not be kept for it.
        nghttp2_option_set_no_closed_streams(option, 1)

        var session: OpaquePointer?
        let userData = Unmanaged.passUnretained(self).toOpaque()
        guard nghttp2_session_server_new2(&session, callbacks, userData, option) == 0, let session else {
            return false
        }
        self.session = session

        let config = self.configuration
        var settings = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: UInt32(config.maxConcurrentStreams)
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(config.initialWindowSize)
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue),
                value: UInt32(config.maxFrameSize)
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(config.maxHeaderListSize)
            ),
            // RFC 9218 §2.1: this server does not use RFC 7540's stream dependencies and weights,
            // so nghttp2 keeps no dependency tree (work on every stream's open and close) and
            // schedules by RFC 9218 urgency. Responses of one connection are not meant to be
            // prioritised against each other here.
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES.rawValue),
                value: 1
            ),
        ]
        let rv = settings.withUnsafeMutableBufferPointer { entries in
            nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries.baseAddress, entries.count)
        }
        guard rv == 0 else { return false }
        if config.connectionWindowSize > 65_535 {
            _ = nghttp2_session_set_local_window_size(
                session,
                UInt8(NGHTTP2_FLAG_NONE.rawValue),
                0,
                Int32(config.connectionWindowSize)
            )
        }
        return true
    }

    // MARK: - Output

    private func scheduleFlush() {
        guard !self.flushScheduled, !self.inReadCycle, let context = self.context else { return }
        self.flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flushOutput()
        }
    }

    /// Drains nghttp2's output into the channel while the channel is writable.
    private func flushOutput() {
        guard let session = self.session, let context = self.context else { return }
        while context.channel.isWritable {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 {
                self.commitOutput()
                self.closeAfterFlush()
                return
            }
            guard count > 0, let chunk else { break }
            self.output.writeBytes(UnsafeRawBufferPointer(start: chunk, count: count))
        }
        self.commitOutput()
        if self.needsFlush {
            self.needsFlush = false
            context.flush()
        }
        if self.draining && self.streams.isEmpty {
            self.closeAfterFlush()
        } else if nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0 {
            self.closeAfterFlush()
        }
    }

    private func commitOutput() {
        guard self.output.readableBytes > 0, let context = self.context else { return }
        context.write(self.wrapOutboundOut(self.output), promise: nil)
        self.output = context.channel.allocator.buffer(capacity: 4096)
        self.needsFlush = true
    }

    private func closeAfterFlush() {
        guard !self.closing, let context = self.context else { return }
        self.closing = true
        let channel = context.channel
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer()), promise: promise)
        promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    private func startDraining() {
        guard let session = self.session, !self.draining else { return }
        self.draining = true
        _ = nghttp2_submit_goaway(
            session,
            UInt8(NGHTTP2_FLAG_NONE.rawValue),
            nghttp2_session_get_last_proc_stream_id(session),
            NGHTTP2_NO_ERROR.rawValue,
            nil,
            0
        )
        self.flushOutput()
    }

    private func failAllStreams(_ error: HTTPStreamError) {
        let streams = self.streams
        self.streams.removeAll()
        self.lastStream = nil
        self.dispatched.removeAll()
        for stream in streams.values {
            stream.closed = true
            let task = stream.handlerDone ? nil : stream.task
            if let storage = stream.storage {
                _ = storage.discard()
                storage.fail(error, cancelling: task)
            } else {
                task?.cancel()
            }
            stream.failWriters(error)
        }
    }

    // MARK: - nghttp2 callbacks (called from mem_recv / mem_send)

    fileprivate func beginHeaders(_ frame: UnsafePointer<nghttp2_frame>) {
        guard frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
            frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
        else { return }
        let id = frame.pointee.hd.stream_id
        guard let context = self.context else { return }
        let stream = H2Stream(
            id: id,
            handle: StreamHandle(eventLoop: context.eventLoop, transport: self, streamID: Int64(id))
        )
        self.streams[id] = stream
        self.lastStream = stream
    }

    /// The open stream with this id, if any.
    private func stream(_ id: Int32) -> H2Stream? {
        if let last = self.lastStream, last.id == id { return last }
        let stream = self.streams[id]
        if stream != nil { self.lastStream = stream }
        return stream
    }

    fileprivate func header(_ frame: UnsafePointer<nghttp2_frame>, name: OpaquePointer, value: OpaquePointer) {
        guard let stream = self.stream(frame.pointee.hd.stream_id) else { return }
        stream.headerBytes += nghttp2_rcbuf_get_buf(name).len + nghttp2_rcbuf_get_buf(value).len + 32
        guard frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST else { return }  // trailers: ignored
        if stream.headerBytes > self.configuration.maxHeaderListSize {
            stream.headersTooLarge = true
            return
        }
        let (nameString, valueString) = self.headerStrings.strings(name: name, value: value)
        if nameString.utf8.first == UInt8(ascii: ":") {
            switch nameString {
            case ":method": stream.method = valueString
            case ":path": stream.path = valueString
            case ":scheme": stream.scheme = valueString
            case ":authority": stream.authority = valueString
            default: break
            }
        } else {
            // nghttp2 rejects uppercase names (RFC 9113 §8.2.1), so names are already lowercase.
            stream.headers.append(name: nameString, value: valueString)
        }
    }

    fileprivate func frameReceived(_ frame: UnsafePointer<nghttp2_frame>) {
        let type = frame.pointee.hd.type
        let id = frame.pointee.hd.stream_id
        let endStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        guard type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_DATA.rawValue),
            let stream = self.stream(id)
        else { return }
        if type == UInt8(NGHTTP2_HEADERS.rawValue) && frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
            self.dispatch(stream)
        }
        if endStream {
            stream.requestEnded = true
            stream.storage?.finish()
        }
    }

    private func dispatch(_ stream: H2Stream) {
        if stream.headersTooLarge {
            self.respondWithoutBody(stream, status: 431)
            return
        }
        // Taken, not copied, out of the stream: it needs none of them after this.
        guard let method = stream.method.take(), let path = stream.path.take() else {
            self.respondWithoutBody(stream, status: 400)
            return
        }
        if let length = stream.headers["content-length"].flatMap(Int.init),
            length > self.configuration.maxRequestBodySize
        {
            self.respondWithoutBody(stream, status: 413)
            return
        }
        var headers = HeaderFields()
        swap(&headers, &stream.headers)
        stream.head = RequestHead(
            method: method,
            path: path,
            scheme: stream.scheme.take(),
            authority: stream.authority.take(),
            headers: headers,
            transport: .http2
        )
        // The body now, so that DATA in this same `mem_recv` has somewhere to go; the handler
        // once it returns.
        stream.hasBody = true
        self.dispatched.append(stream)
    }

    /// Starts the handlers of the streams dispatched by the last `mem_recv`, unless their stream
    /// has already ended (reset, refused as too large) without them.
    private func startDispatchedHandlers() {
        // By index, not by iterating a copy (which would copy the array when it is cleared): a
        // handler that runs now cannot dispatch streams, only `mem_recv` does.
        var index = 0
        while index < self.dispatched.count {
            let stream = self.dispatched[index]
            index += 1
            guard !stream.closed, !stream.handlerDone, let head = stream.head.take() else { continue }
            let task = self.startHandler(
                head: head,
                storage: stream,
                executor: self.taskExecutor,
                immediately: self.startsHandlersImmediately,
                tracker: self.tracker,
                handler: self.handler
            )
            // A handler that already returned (it ran at once) has no task to cancel any more.
            if !stream.handlerDone { stream.task = task }
        }
        self.dispatched.removeAll(keepingCapacity: true)
    }

    /// Answers a stream the handler will never see (or no longer serves) with a bodyless status.
    private func respondWithoutBody(_ stream: H2Stream, status: Int) {
        guard let session = self.session, stream.response == .none else { return }
        stream.handlerDone = stream.task == nil
        stream.response = .finishing
        _ = self.headScratch.withNameValues(status: status, headers: Self.emptyBodyHeaders) { nva, count in
            nghttp2_submit_response(session, stream.id, nva, count, nil)
        }
        self.scheduleFlush()
    }

    fileprivate func dataChunkReceived(streamID: Int32, data: UnsafePointer<UInt8>, length: Int) {
        guard let session = self.session else { return }
        guard let stream = self.stream(streamID), let storage = stream.storage, !stream.handlerDone else {
            // Nobody will read it: give the window back now.
            nghttp2_session_consume(session, streamID, length)
            return
        }
        stream.receivedBytes += length
        if stream.receivedBytes > self.configuration.maxRequestBodySize {
            nghttp2_session_consume(session, streamID, length + storage.discard())
            storage.fail(HTTPStreamError.requestBodyTooLarge, cancelling: stream.task)
            stream.failWriters(HTTPStreamError.requestBodyTooLarge)
            if stream.response == .none {
                self.respondWithoutBody(stream, status: 413)
            } else {
                nghttp2_submit_rst_stream(
                    session,
                    UInt8(NGHTTP2_FLAG_NONE.rawValue),
                    streamID,
                    NGHTTP2_CANCEL.rawValue
                )
            }
            stream.handlerDone = true
            return
        }
        let chunk: ByteBuffer
        if let base = self.inputBase, let input = self.input,
            UnsafeRawPointer(data) >= base, UnsafeRawPointer(data) + length <= base + input.readableBytes,
            let slice = input.getSlice(at: input.readerIndex + (UnsafeRawPointer(data) - base), length: length)
        {
            chunk = slice
        } else {
            chunk = ByteBuffer(bytes: UnsafeRawBufferPointer(start: data, count: length))
        }
        if !storage.append(chunk) {
            nghttp2_session_consume(session, streamID, length)
        }
    }

    fileprivate func streamClosed(streamID: Int32, errorCode: UInt32) {
        guard let stream = self.streams.removeValue(forKey: streamID) else { return }
        if self.lastStream === stream { self.lastStream = nil }
        stream.closed = true
        let error: HTTPStreamError =
            errorCode == NGHTTP2_NO_ERROR.rawValue ? .streamClosed : .streamReset(errorCode: errorCode)
        let completed = errorCode == NGHTTP2_NO_ERROR.rawValue && stream.requestEnded && stream.endSent
        let task = stream.handlerDone || completed ? nil : stream.task
        if !stream.requestEnded, let storage = stream.storage {
            let unread = storage.discard()
            if unread > 0, let session = self.session {
                nghttp2_session_consume(session, streamID, unread)
            }
            storage.fail(error, cancelling: task)
        } else {
            task?.cancel()
        }
        stream.failWriters(error)
        if self.draining && self.streams.isEmpty {
            self.scheduleFlush()
        }
    }

    fileprivate func frameSent(_ frame: UnsafePointer<nghttp2_frame>) {
        let type = frame.pointee.hd.type
        guard type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_DATA.rawValue),
            frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0,
            let stream = self.stream(frame.pointee.hd.stream_id)
        else { return }
        stream.endSent = true
        if stream.handlerDone && !stream.requestEnded {
            self.resetAfterResponse(stream)
        }
    }

    /// RFC 9113 §8.1: a complete response to an incomplete request ends with RST_STREAM(NO_ERROR),
    /// so the client stops sending a body nobody reads.
    private func resetAfterResponse(_ stream: H2Stream) {
        guard let session = self.session else { return }
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, NGHTTP2_NO_ERROR.rawValue)
    }

    fileprivate func readData(streamID: Int32, maxLength: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        guard let stream = self.stream(streamID) else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        if stream.pendingBytes == 0 {
            guard stream.response == .finishing else {
                stream.deferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
            self.markEndOfData(stream, flags: flags)
            return 0
        }
        let length = min(maxLength, stream.pendingBytes)
        flags.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue
        if length == stream.pendingBytes && stream.response == .finishing {
            self.markEndOfData(stream, flags: flags)
        }
        return length
    }

    private func markEndOfData(_ stream: H2Stream, flags: UnsafeMutablePointer<UInt32>) {
        flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
        guard let trailers = stream.trailers, !trailers.isEmpty, let session = self.session else { return }
        let rv = self.headScratch.withNameValues(status: nil, headers: trailers) { nva, count in
            nghttp2_submit_trailer(session, stream.id, nva, count)
        }
        if rv == 0 {
            flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
        }
    }

    fileprivate func sendData(
        _ frame: UnsafeMutablePointer<nghttp2_frame>,
        frameHeader: UnsafePointer<UInt8>,
        length: Int
    ) -> Int32 {
        guard let stream = self.stream(frame.pointee.hd.stream_id), let context = self.context,
            stream.pendingBytes >= length
        else {
            return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue
        }
        self.output.writeBytes(UnsafeRawBufferPointer(start: frameHeader, count: 9))
        let padding = Int(frame.pointee.data.padlen)
        if padding > 0 {
            self.output.writeInteger(UInt8(truncatingIfNeeded: padding - 1))
        }
        if length <= Self.copyThreshold {
            stream.take(length) { chunk in self.output.writeImmutableBuffer(chunk) }
        } else {
            self.commitOutput()
            stream.take(length) { chunk in context.write(self.wrapOutboundOut(chunk), promise: nil) }
            self.needsFlush = true
        }
        if padding > 1 {
            self.output.writeRepeatingByte(0, count: padding - 1)
        }
        if stream.pendingBytes < self.configuration.responseBufferSize {
            stream.resumeWriters()
        }
        return context.channel.isWritable ? 0 : NGHTTP2_ERR_PAUSE.rawValue
    }

    // MARK: - StreamTransport (calls from handler tasks, hopped onto the event loop)

    func writeHead(stream id: Int64, status: Int, headers: HeaderFields) throws {
        guard let session = self.session, let stream = self.stream(Int32(truncatingIfNeeded: id)),
            !stream.handlerDone
        else {
            throw HTTPStreamError.streamClosed
        }
        guard stream.response == .none else { throw HTTPStreamError.headAlreadyWritten }
        var provider = nghttp2_data_provider(source: nghttp2_data_source(), read_callback: dataSourceReadCallback)
        let rv = self.headScratch.withNameValues(status: status, headers: headers) { nva, count in
            nghttp2_submit_response(session, stream.id, nva, count, &provider)
        }
        guard rv == 0 else { throw HTTPStreamError.streamClosed }
        stream.response = .streaming
        self.scheduleFlush()
    }

    func writeBody(stream id: Int64, _ buffer: ByteBuffer, continuation: CheckedContinuation<Void, any Error>?) {
        guard let session = self.session, let stream = self.stream(Int32(truncatingIfNeeded: id)),
            !stream.handlerDone
        else {
            continuation?.resume(throwing: HTTPStreamError.streamClosed)
            return
        }
        switch stream.response {
        case .none:
            continuation?.resume(throwing: HTTPStreamError.headNotWritten)
            return
        case .finishing:
            continuation?.resume(throwing: HTTPStreamError.alreadyFinished)
            return
        case .streaming:
            break
        }
        guard buffer.readableBytes > 0 else {
            continuation?.resume()
            return
        }
        stream.pending.append(buffer)
        stream.pendingBytes += buffer.readableBytes
        self.resumeData(session, stream)
        if stream.pendingBytes < self.configuration.responseBufferSize {
            continuation?.resume()
        } else {
            if let continuation { stream.writeWaiters.append(continuation) }
        }
    }

    func finish(stream id: Int64, trailers: HeaderFields?) throws {
        guard let session = self.session, let stream = self.stream(Int32(truncatingIfNeeded: id)),
            !stream.handlerDone
        else {
            throw HTTPStreamError.streamClosed
        }
        switch stream.response {
        case .none: throw HTTPStreamError.headNotWritten
        case .finishing: throw HTTPStreamError.alreadyFinished
        case .streaming: break
        }
        stream.response = .finishing
        stream.trailers = trailers
        self.resumeData(session, stream)
    }

    func handlerFinished(stream id: Int64, error: (any Error)?) {
        guard let session = self.session, let stream = self.stream(Int32(truncatingIfNeeded: id)),
            !stream.handlerDone
        else { return }
        stream.handlerDone = true
        stream.task = nil
        if let storage = stream.storage {
            let unread = storage.discard()
            if unread > 0 { nghttp2_session_consume(session, stream.id, unread) }
        }
        switch (stream.response, error) {
        case (.none, .some):
            self.respondWithoutBody(stream, status: 500)
        case (.none, .none):
            self.respondWithoutBody(stream, status: 200)
        case (.streaming, .some):
            stream.failWriters(HTTPStreamError.streamClosed)
            nghttp2_submit_rst_stream(
                session,
                UInt8(NGHTTP2_FLAG_NONE.rawValue),
                stream.id,
                NGHTTP2_INTERNAL_ERROR.rawValue
            )
        case (.streaming, .none):
            stream.response = .finishing
            self.resumeData(session, stream)
        case (.finishing, _):
            if stream.endSent && !stream.requestEnded { self.resetAfterResponse(stream) }
        }
        self.scheduleFlush()
    }

    func bodyConsumed(stream id: Int64, bytes: Int) {
        guard let session = self.session else { return }
        // Also right for closed streams: nghttp2 then only reopens the connection window.
        nghttp2_session_consume(session, Int32(truncatingIfNeeded: id), bytes)
        self.scheduleFlush()
    }

    func cancelHandler(stream id: Int64) {
        guard let stream = self.stream(Int32(truncatingIfNeeded: id)), !stream.handlerDone else { return }
        stream.task?.cancel()
    }

    private func resumeData(_ session: OpaquePointer, _ stream: H2Stream) {
        if stream.deferred {
            stream.deferred = false
            nghttp2_session_resume_data(session, stream.id)
        }
        self.scheduleFlush()
    }
}

/// Per-stream state, confined to the connection's event loop, and the request's body storage.
///
/// One object serves as both, so a stream costs one allocation instead of two; the handler's
/// task sees only the ``BodyStorage`` part, whose state is behind its mutex. The fields declared
/// here, like the connection's, skip the runtime's exclusivity checks: only the loop's thread
/// touches them and no access overlaps another, and the checks (a call and a thread-local
/// lookup per access) were 4 % of the server's CPU.
private final class H2Stream: BodyStorage, @unchecked Sendable {
    enum Response {
        /// No head submitted yet.
        case none
        /// Head submitted; DATA flows from `pending`.
        case streaming
        /// The end was requested; END_STREAM goes out once `pending` drains.
        case finishing
    }

    let id: Int32
    @exclusivity(unchecked) var method: String?
    @exclusivity(unchecked) var path: String?
    @exclusivity(unchecked) var scheme: String?
    @exclusivity(unchecked) var authority: String?
    @exclusivity(unchecked) var headers = HeaderFields(reservingCapacity: 8)
    @exclusivity(unchecked) var headerBytes = 0
    @exclusivity(unchecked) var headersTooLarge = false
    /// The request head between its dispatch and the start of its handler.
    @exclusivity(unchecked) var head: RequestHead?
    /// Closed by nghttp2 (or with the connection): the stream is no longer in the table.
    @exclusivity(unchecked) var closed = false

    /// Set once the request is dispatched: from then on the stream is also its handler's body.
    @exclusivity(unchecked) var hasBody = false
    /// The request body, once dispatched. The stream is its own body storage (one object per
    /// stream instead of two).
    var storage: BodyStorage? { self.hasBody ? self : nil }
    @exclusivity(unchecked) var task: Task<Void, Never>?
    @exclusivity(unchecked) var requestEnded = false
    @exclusivity(unchecked) var receivedBytes = 0
    @exclusivity(unchecked) var handlerDone = false

    @exclusivity(unchecked) var response = Response.none
    @exclusivity(unchecked) var endSent = false
    @exclusivity(unchecked) var trailers: HeaderFields?
    @exclusivity(unchecked) var pending = ChunkQueue()
    @exclusivity(unchecked) var pendingBytes = 0
    @exclusivity(unchecked) var deferred = false
    @exclusivity(unchecked) var writeWaiters: [CheckedContinuation<Void, any Error>] = []

    init(id: Int32, handle: StreamHandle) {
        self.id = id
        super.init(stream: handle)
    }

    /// Removes `length` bytes from the front of `pending`, as slices.
    func take(_ length: Int, _ emit: (ByteBuffer) -> Void) {
        var remaining = length
        while remaining > 0, var first = self.pending.popFirst() {
            if first.readableBytes <= remaining {
                remaining -= first.readableBytes
                emit(first)
            } else if let slice = first.readSlice(length: remaining) {
                remaining = 0
                emit(slice)
                self.pending.prepend(first)
            }
        }
        self.pendingBytes -= length - remaining
    }

    func resumeWriters() {
        guard !self.writeWaiters.isEmpty else { return }
        let waiters = self.writeWaiters
        self.writeWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    func failWriters(_ error: HTTPStreamError) {
        self.pending.removeAll()
        self.pendingBytes = 0
        guard !self.writeWaiters.isEmpty else { return }
        let waiters = self.writeWaiters
        self.writeWaiters = []
        for waiter in waiters { waiter.resume(throwing: error) }
    }
}

// MARK: - C callbacks: recover the handler from user_data and forward.

/// Calls `body` with the connection that `userData` points to, without retaining it: the session
/// belongs to the connection, so the connection outlives every callback (a retain and a release per
/// callback were a visible share of the profile).
@inline(__always)
private func withConnection<Result>(
    _ userData: UnsafeMutableRawPointer?,
    orElse failure: Result,
    _ body: (NGHTTP2ConnectionHandler) -> Result
) -> Result {
    guard let userData else { return failure }
    return Unmanaged<NGHTTP2ConnectionHandler>.fromOpaque(userData)._withUnsafeGuaranteedRef(body)
}

private let onBeginHeadersCallback: nghttp2_on_begin_headers_callback = { _, frame, userData in
    guard let frame else { return 0 }
    return withConnection(userData, orElse: 0) { handler in
        handler.beginHeaders(frame)
        return 0
    }
}

private let onHeaderCallback: nghttp2_on_header_callback2 = { _, frame, name, value, _, userData in
    guard let frame, let name, let value else { return 0 }
    return withConnection(userData, orElse: 0) { handler in
        handler.header(frame, name: name, value: value)
        return 0
    }
}

private let onFrameRecvCallback: nghttp2_on_frame_recv_callback = { _, frame, userData in
    guard let frame else { return 0 }
    return withConnection(userData, orElse: 0) { handler in
        handler.frameReceived(frame)
        return 0
    }
}

private let onDataChunkRecvCallback: nghttp2_on_data_chunk_recv_callback = {
    _,
    _,
    streamID,
    data,
    length,
    userData in
    guard let data else { return 0 }
    return withConnection(userData, orElse: 0) { handler in
        handler.dataChunkReceived(streamID: streamID, data: data, length: length)
        return 0
    }
}

private let onStreamCloseCallback: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
    withConnection(userData, orElse: 0) { handler in
        handler.streamClosed(streamID: streamID, errorCode: errorCode)
        return 0
    }
}

private let onFrameSendCallback: nghttp2_on_frame_send_callback = { _, frame, userData in
    guard let frame else { return 0 }
    return withConnection(userData, orElse: 0) { handler in
        handler.frameSent(frame)
        return 0
    }
}

private let sendDataCallback: nghttp2_send_data_callback = { _, frame, frameHeader, length, _, userData in
    guard let frame, let frameHeader else { return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }
    return withConnection(userData, orElse: NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) { handler in
        handler.sendData(frame, frameHeader: frameHeader, length: length)
    }
}

private let dataSourceReadCallback: nghttp2_data_source_read_callback = {
    _,
    streamID,
    _,
    maxLength,
    flags,
    _,
    userData in
    guard let flags else { return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
    return withConnection(userData, orElse: Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue)) { handler in
        handler.readData(streamID: streamID, maxLength: maxLength, flags: flags)
    }
}
