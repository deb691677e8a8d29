public import NIOCore
import Synchronization

/// The body of a request, as an asynchronous sequence of chunks that ends with the request.
///
/// Chunks are slices of the buffers the connection read from the socket, not copies. Taking a
/// chunk is what opens the peer's flow-control window again (HTTP/2 WINDOW_UPDATE) or re-enables
/// reading the socket (HTTP/1.1), so a handler that does not read its body pushes back on the peer
/// instead of making the server buffer.
///
/// The sequence throws ``HTTPStreamError`` when the peer resets the stream, the connection closes,
/// or the body exceeds the configured limit; it throws `CancellationError` when the waiting task is
/// cancelled. Iterate it once, from one task.
///
/// ```swift
/// for try await chunk in body {
///     try await writer.write(chunk)  // echo
/// }
/// ```
public struct RequestBody: AsyncSequence, Sendable {
    /// A chunk of the body.
    public typealias Element = ByteBuffer
    /// Errors are ``HTTPStreamError`` or `CancellationError`.
    public typealias Failure = any Error

    let storage: BodyStorage

    init(storage: BodyStorage) {
        self.storage = storage
    }

    /// Creates an iterator; iterate once.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(storage: self.storage)
    }

    /// Iterates a ``RequestBody``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let storage: BodyStorage

        /// The next chunk, or `nil` at the end of the request.
        public mutating func next() async throws -> ByteBuffer? {
            try await self.storage.next()
        }
    }

    /// Hands the body to callbacks instead of to an iterator.
    ///
    /// `chunk` is called with every chunk, in order: first with the chunks already received, on
    /// the calling thread, then with each one as it arrives, on the connection's event loop. `end`
    /// is called once after the last chunk, with `nil` when the request ended or with the error
    /// that ended it (``HTTPStreamError``). A chunk counts as read (for flow control) once
    /// `chunk` returns.
    ///
    /// It spares a task whose only job would be to wait for chunks, when the handler can take
    /// each chunk without waiting (feeding a parser or a state machine, say). The callbacks must
    /// not block. Use either this or iteration, once.
    ///
    /// ```swift
    /// body.deliver { chunk in parser.feed(chunk) } end: { error in parser.close(error) }
    /// ```
    public func deliver(
        chunk: @escaping @Sendable (ByteBuffer) -> Void,
        end: @escaping @Sendable ((any Error)?) -> Void
    ) {
        self.storage.deliver(to: BodyStorage.Consumer(chunk: chunk, end: end))
    }

    /// Collects the whole body into one buffer.
    ///
    /// - Parameter maxBytes: the most bytes to accept.
    /// - Throws: ``HTTPStreamError/requestBodyTooLarge`` when the body is longer than `maxBytes`,
    ///   and whatever the sequence throws.
    public func collect(upTo maxBytes: Int) async throws -> ByteBuffer {
        var iterator = self.makeAsyncIterator()
        guard var result = try await iterator.next() else { return ByteBuffer() }
        while let chunk = try await iterator.next() {
            guard result.readableBytes + chunk.readableBytes <= maxBytes else {
                throw HTTPStreamError.requestBodyTooLarge
            }
            var chunk = chunk
            result.writeBuffer(&chunk)
        }
        guard result.readableBytes <= maxBytes else { throw HTTPStreamError.requestBodyTooLarge }
        return result
    }
}

/// The hand-over point between a connection's event loop (producer) and a handler task (consumer).
///
/// A mutex rather than an event-loop hop per chunk: the consumer takes buffered chunks without
/// touching the loop, and the loop only hears about consumption (to open the flow-control window).
///
/// Not final: the HTTP/2 connection's per-stream state is a subclass, so that a stream is one
/// object instead of two. `@unchecked` because of that subclass, whose own fields are confined to
/// the connection's event loop; everything declared here is immutable or behind the mutex.
class BodyStorage: @unchecked Sendable {
    private enum End {
        case finished
        case failed(any Error)
    }

    /// Callbacks that take chunks as they come, instead of an iterating task.
    struct Consumer {
        var chunk: @Sendable (ByteBuffer) -> Void
        var end: @Sendable ((any Error)?) -> Void
    }

    private struct State {
        var chunks = ChunkQueue()
        var end: End?
        var waiter: CheckedContinuation<ByteBuffer?, any Error>?
        var consumer: Consumer?
        /// A thread is calling the consumer; others buffer, so that chunks and the end reach it
        /// in order and never concurrently.
        var delivering = false
        /// Set when the transport stopped caring (handler returned): later appends are dropped and
        /// reported as consumed straight away.
        var discarding = false
    }

    /// Inline in the object, unlike `NIOLockedValueBox`, which allocates a box per stream.
    private let state = Mutex(State())
    /// Told the size of each chunk the consumer took, to reopen flow control. Stored rather than
    /// captured in a closure, which would be another allocation per stream.
    let stream: StreamHandle

    init(stream: StreamHandle) {
        self.stream = stream
    }

    /// Called from any thread with the size of a chunk the consumer took.
    private func onConsume(_ bytes: Int) {
        self.stream.onLoop(bytes) { transport, id, bytes in transport.bodyConsumed(stream: id, bytes: bytes) }
    }

    /// Producer: a chunk arrived. Returns `false` if it was dropped (discarding), in which case the
    /// caller must count it as consumed itself.
    final func append(_ chunk: ByteBuffer) -> Bool {
        enum Outcome {
            case dropped
            case buffered
            case handOver(CheckedContinuation<ByteBuffer?, any Error>)
            case deliver(Consumer)
        }
        let outcome: Outcome = self.state.withLock { state in
            if state.discarding || state.end != nil { return .dropped }
            if let waiter = state.waiter {
                state.waiter = nil
                return .handOver(waiter)
            }
            if let consumer = state.consumer, !state.delivering {
                state.delivering = true
                return .deliver(consumer)
            }
            state.chunks.append(chunk)
            return .buffered
        }
        switch outcome {
        case .dropped:
            return false
        case .buffered:
            return true
        case .handOver(let waiter):
            self.onConsume(chunk.readableBytes)
            waiter.resume(returning: chunk)
            return true
        case .deliver(let consumer):
            consumer.chunk(chunk)
            self.onConsume(chunk.readableBytes)
            self.drainToConsumer()
            return true
        }
    }

    /// Consumer side: from now on chunks go to `consumer` as they arrive.
    final func deliver(to consumer: Consumer) {
        let drain = self.state.withLock { state in
            precondition(state.consumer == nil && state.waiter == nil, "a request body is read once")
            guard !state.discarding else { return false }
            state.consumer = consumer
            guard !state.chunks.isEmpty || state.end != nil else { return false }
            state.delivering = true
            return true
        }
        if drain { self.drainToConsumer() }
    }

    /// Hands the consumer what is buffered, then the end if it came; the caller set `delivering`.
    private func drainToConsumer() {
        enum Step {
            case chunk(ByteBuffer, Consumer)
            case end(End, Consumer)
            case done
        }
        while true {
            let step: Step = self.state.withLock { state in
                guard let consumer = state.consumer else {
                    state.delivering = false
                    return .done
                }
                if let chunk = state.chunks.popFirst() { return .chunk(chunk, consumer) }
                if let end = state.end {
                    // Nothing comes after the end: let go of the callbacks and what they hold.
                    state.consumer = nil
                    state.delivering = false
                    return .end(end, consumer)
                }
                state.delivering = false
                return .done
            }
            switch step {
            case .chunk(let chunk, let consumer):
                consumer.chunk(chunk)
                self.onConsume(chunk.readableBytes)
            case .end(.finished, let consumer):
                consumer.end(nil)
                return
            case .end(.failed(let error), let consumer):
                consumer.end(error)
                return
            case .done:
                return
            }
        }
    }

    /// Producer: the request ended normally. Buffered chunks are still delivered.
    final func finish() {
        self.end(.finished)
    }

    /// Producer: the request failed; buffered chunks are dropped and the consumer sees `error`.
    ///
    /// `task`, if given, is cancelled after the failure is recorded and before the waiting consumer
    /// resumes, so the handler sees both the transport error (not a bare `CancellationError` from
    /// the cancellation handler) and `Task.isCancelled`.
    final func fail(_ error: any Error, cancelling task: Task<Void, Never>? = nil) {
        self.end(.failed(error), cancelling: task)
    }

    private func end(_ end: End, cancelling task: Task<Void, Never>? = nil) {
        let (waiter, drain): (CheckedContinuation<ByteBuffer?, any Error>?, Bool) = self.state.withLock {
            state in
            guard state.end == nil else { return (nil, false) }
            state.end = end
            if case .failed = end { state.chunks.removeAll() }
            defer { state.waiter = nil }
            let drain = state.consumer != nil && !state.delivering
            if drain { state.delivering = true }
            return (state.waiter, drain)
        }
        task?.cancel()
        switch end {
        case .finished: waiter?.resume(returning: nil)
        case .failed(let error): waiter?.resume(throwing: error)
        }
        if drain { self.drainToConsumer() }
    }

    /// Transport: the handler is gone. Returns the bytes buffered but never consumed, which the
    /// caller must give back to flow control.
    final func discard() -> Int {
        self.state.withLock { state in
            state.discarding = true
            var bytes = 0
            while let chunk = state.chunks.popFirst() { bytes += chunk.readableBytes }
            return bytes
        }
    }

    final func next() async throws -> ByteBuffer? {
        enum Immediate {
            case chunk(ByteBuffer)
            case end
            case error(any Error)
            case wait
        }
        let immediate: Immediate = self.state.withLock { state in
            if let chunk = state.chunks.popFirst() { return .chunk(chunk) }
            switch state.end {
            case .finished: return .end
            case .failed(let error): return .error(error)
            case nil: return .wait
            }
        }
        switch immediate {
        case .chunk(let chunk):
            self.onConsume(chunk.readableBytes)
            return chunk
        case .end:
            return nil
        case .error(let error):
            throw error
        case .wait:
            break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                enum Action {
                    case none
                    case chunk(ByteBuffer)
                    case end
                    case error(any Error)
                }
                let action: Action = self.state.withLock { state in
                    if let chunk = state.chunks.popFirst() { return .chunk(chunk) }
                    switch state.end {
                    case .finished: return .end
                    case .failed(let error): return .error(error)
                    case nil:
                        if Task.isCancelled { return .error(CancellationError()) }
                        state.waiter = continuation
                        return .none
                    }
                }
                switch action {
                case .none: break
                case .chunk(let chunk):
                    self.onConsume(chunk.readableBytes)
                    continuation.resume(returning: chunk)
                case .end: continuation.resume(returning: nil)
                case .error(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let waiter = self.state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
