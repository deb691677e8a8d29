public import NIOCore
import Synchronization

/// A `TaskExecutor` that runs jobs on one NIO event loop.
///
/// A request handler started with this executor as its preference runs its nonisolated code, and
/// the code of default actors it calls, on the thread of its connection. The bytes it reads and
/// writes then never cross threads: no wake-up of a pool thread per request and none of the loop
/// per response. The price is the event loop's rule: handlers must not block, or every stream of
/// every connection on that loop waits.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    /// The loop the jobs run on.
    public let eventLoop: any EventLoop

    /// Jobs waiting for the loop. Jobs are batched: the first job of a batch schedules one loop
    /// task that runs all that arrived by then, instead of one closure allocated and queued per job.
    private let queue = Mutex(Queue())

    private struct Queue {
        var jobs: [UnownedJob] = []
        /// An emptied array with capacity, swapped in for `jobs` when a batch is taken.
        var spare: [UnownedJob] = []
        var scheduled = false
    }

    /// Creates an executor for `eventLoop`.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Queues `job` on the loop; it runs after the loop's current work, never inline.
    public func enqueue(_ job: consuming ExecutorJob) {
        // Not `EventLoop.enqueue(_:)`: that runs the job as if isolated to the loop's serial
        // executor, and every nonisolated `await` of the task would then hop through the queue.
        let job = UnownedJob(job)
        let schedule = self.queue.withLock { queue in
            queue.jobs.append(job)
            defer { queue.scheduled = true }
            return !queue.scheduled
        }
        if schedule {
            self.eventLoop.execute { self.runBatch() }
        }
    }

    /// Runs the jobs queued so far; jobs they enqueue form the next batch, behind whatever else the
    /// loop has queued meanwhile.
    private func runBatch() {
        var batch = self.queue.withLock { queue in
            queue.scheduled = false
            var batch = queue.spare
            swap(&batch, &queue.jobs)
            queue.spare = []
            return batch
        }
        let executor = self.asUnownedTaskExecutor()
        for job in batch {
            job.runSynchronously(on: executor)
        }
        batch.removeAll(keepingCapacity: true)
        self.queue.withLock { queue in
            if queue.spare.capacity < batch.capacity { queue.spare = batch }
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
