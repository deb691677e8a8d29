import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import RestateHTTP2

/// Where handlers run: `HTTP2Server.Configuration.handlerExecutor`.
@Suite("Handler placement", .timeLimit(.minutes(1)))
struct HandlerExecutorTests {
    /// Answers where the handler ran, before and after suspending: `loop` (an event loop thread)
    /// or `pool`.
    private static let placement: HTTP2Server.Handler = { _, body, writer in
        let before = Self.place
        for try await _ in body {}
        try await Task.sleep(for: .milliseconds(1))
        writer.finish(head: (200, []), body: ByteBuffer(string: "\(before),\(Self.place)"))
    }

    private static var place: String { MultiThreadedEventLoopGroup.currentEventLoop == nil ? "pool" : "loop" }

    private func ask(_ configuration: HTTP2Server.Configuration) async throws -> (h2: String, h1: String) {
        try await withServer(configuration: configuration, handler: Self.placement) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            let h2 = try await client.get("/").body
            let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            let raw = String(
                decoding: try await rawExchange(port: server.port, send: Array(request.utf8)),
                as: UTF8.self
            )
            let h1 = raw.components(separatedBy: "\r\n\r\n").dropFirst().joined()
            return (h2, h1)
        }
    }

    @Test("by default on the connection's event loop, also after an await, on HTTP/2 and HTTP/1.1")
    func eventLoopByDefault() async throws {
        let answers = try await ask(.defaults)
        #expect(answers.h2 == "loop,loop")
        #expect(answers.h1.contains("loop,loop"), "\(answers.h1)")
    }

    @Test("without a group of its own, the server spreads connections over eventLoopCount loops")
    func eventLoopCount() async throws {
        let loops = NIOLockedValueBox<Set<ObjectIdentifier>>([])
        let configuration = HTTP2Server.Configuration(eventLoopCount: 3)
        try await withServer(
            configuration: configuration,
            handler: { _, _, writer in
                if let loop = MultiThreadedEventLoopGroup.currentEventLoop {
                    loops.withLockedValue { _ = $0.insert(ObjectIdentifier(loop)) }
                }
                writer.finish(head: (200, []), body: ByteBuffer())
            }
        ) { server in
            // Round robin: nine connections land on each of the three loops three times.
            for _ in 0..<9 {
                let client = try await H2TestClient.connect(port: server.port)
                _ = try await client.get("/")
                await client.close()
            }
        }
        #expect(loops.withLockedValue { $0.count } == 3)
    }

    @Test("a task the handler starts (as ctx.run does) runs on the global executor, not on the loop")
    func unstructuredTasksLeaveTheLoop() async throws {
        let answer = try await withServer(handler: { _, _, writer in
            let inner = await Task { Self.place }.value
            writer.finish(head: (200, []), body: ByteBuffer(string: "\(Self.place),\(inner)"))
        }) { server in
            let client = try await H2TestClient.connect(port: server.port)
            defer { Task { await client.close() } }
            return try await client.get("/").body
        }
        #expect(answer == "loop,pool")
    }

    @Test("on the global concurrent executor when configured")
    func globalExecutor() async throws {
        let answers = try await ask(HTTP2Server.Configuration(handlerExecutor: .globalConcurrentExecutor))
        #expect(answers.h2 == "pool,pool")
        #expect(answers.h1.contains("pool,pool"), "\(answers.h1)")
    }

    @Test("on a task executor of the application's own")
    func ownExecutor() async throws {
        let executor = CountingExecutor()
        let answers = try await ask(HTTP2Server.Configuration(handlerExecutor: .taskExecutor(executor)))
        #expect(answers.h2 == "pool,pool")
        // At least the first job of each of the two handlers (how many more depends on timing).
        #expect(executor.jobs.withLockedValue { $0 } >= 2)
    }
}

@Suite("EventLoopTaskExecutor", .timeLimit(.minutes(1)))
struct EventLoopTaskExecutorTests {
    @Test("jobs from another thread and from the loop itself all run once, on the loop, in the order queued")
    func batches() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let executor = EventLoopTaskExecutor(eventLoop: loop)
        let seen = NIOLockedValueBox<[Int]>([])
        let offLoop = NIOLockedValueBox(0)
        // From this (non-loop) thread: 500 tasks queued back to back, so batches form.
        var tasks: [Task<Void, Never>] = []
        for index in 0..<500 {
            tasks.append(
                Task(executorPreference: executor) {
                    if !loop.inEventLoop { offLoop.withLockedValue { $0 += 1 } }
                    seen.withLockedValue { $0.append(index) }
                }
            )
        }
        for task in tasks { await task.value }
        #expect(seen.withLockedValue { $0 } == Array(0..<500))
        // From the loop: tasks queued while a batch runs land in a later batch, and still run.
        let nested = try await loop.submit {
            (0..<100).map { index in
                Task(executorPreference: executor) {
                    if !loop.inEventLoop { offLoop.withLockedValue { $0 += 1 } }
                    seen.withLockedValue { $0.append(500 + index) }
                }
            }
        }.get()
        for task in nested { await task.value }
        #expect(seen.withLockedValue { $0 } == Array(0..<600))
        #expect(offLoop.withLockedValue { $0 } == 0)
    }
}

/// Runs jobs on the global executor and counts them.
private final class CountingExecutor: TaskExecutor {
    let jobs = NIOLockedValueBox(0)

    func enqueue(_ job: consuming ExecutorJob) {
        self.jobs.withLockedValue { $0 += 1 }
        let job = UnownedJob(job)
        let executor = self.asUnownedTaskExecutor()
        DispatchQueue.global().async { job.runSynchronously(on: executor) }
    }
}
