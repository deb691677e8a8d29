public import NIOCore

/// A `TaskExecutor` that runs jobs on one NIO event loop.
///
/// A request handler started with this executor as its preference runs its nonisolated code, and
/// the code of default actors it calls, on the thread of its connection. The bytes it reads and
/// writes then never cross threads: no wake-up of a pool thread per request and none of the loop
/// per response. The price is the event loop's rule: handlers must not block, or every stream of
/// every connection on that loop waits.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: immutable; `EventLoop` is `Sendable`.
    /// The loop the jobs run on.
    public let eventLoop: any EventLoop

    /// Creates an executor for `eventLoop`.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Queues `job` on the loop; it runs after the loop's current work, never inline.
    public func enqueue(_ job: consuming ExecutorJob) {
        // Not `EventLoop.enqueue(_:)`: that runs the job as if isolated to the loop's serial
        // executor, and every nonisolated `await` of the task would then hop through the queue.
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

/// Where the server runs request handlers.
public enum HandlerExecutor: Sendable {
    /// On the event loop of the request's connection (``EventLoopTaskExecutor``): the fastest
    /// placement for handlers that do not block, and the default.
    case eventLoop
    /// On Swift's global concurrent executor: handlers and the loops run on different threads,
    /// at the cost of two thread hand-offs per request.
    case globalConcurrentExecutor
    /// On an executor of your own, for example a pool for handlers that must block.
    case taskExecutor(any TaskExecutor)
}
