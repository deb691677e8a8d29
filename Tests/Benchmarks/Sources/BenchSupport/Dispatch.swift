import Foundation
import NIOCore
@_spi(Benchmarks) import Restate
import RestateCore
import RestateHTTP2
import Synchronization

// The dispatcher benchmarks (issue 7): what it costs to get from "an invocation reaches the
// endpoint" to "the handler's first line runs", and how invocations per second change with the
// shard count. Used by `RestateBenchTool dispatch` and the ordo-one suite.

/// The instant the last probe handler started; probes are timed one at a time.
public enum StartMark {
    private static let instant = Mutex<ContinuousClock.Instant?>(nil)

    /// Called on the first line of a probe handler.
    @inline(__always)
    public static func mark() {
        let now = ContinuousClock.now
        instant.withLock { $0 = now }
    }

    /// The last mark, cleared.
    public static func take() -> ContinuousClock.Instant? {
        instant.withLock { instant in
            defer { instant = nil }
            return instant
        }
    }
}

/// Counts handlers of `ProbeObject/serial` running at once; more than one is a mailbox bug.
public enum SerialCheck {
    static let inside = Atomic<Int>(0)
    static let violations = Atomic<Int>(0)

    public static var violationCount: Int { violations.load(ordering: .relaxed) }

    public static func reset() { violations.store(0, ordering: .relaxed) }
}

/// A service whose handler does nothing but note when it starts.
public struct Probe: RestateService, DefaultInitializable {
    public init() {}

    public static var restateDescriptor: ServiceDescriptor<Probe> {
        ServiceDescriptor(
            name: "Probe",
            kind: .service,
            handlers: [
                .rawHandler("start") { (_: Probe, _: Context, _: Data) in
                    StartMark.mark()
                    return Data()
                }
            ]
        )
    }
}

/// A virtual object with no-op handlers: `start` (exclusive), `shared` (shared), and `serial`
/// (exclusive, and it suspends in the middle, so two of them on one key would overlap if the
/// mailbox let them).
public actor ProbeObject: RestateService, DefaultInitializable {
    public init() {}

    public static var restateDescriptor: ServiceDescriptor<ProbeObject> {
        ServiceDescriptor(
            name: "ProbeObject",
            kind: .virtualObject,
            handlers: [
                .rawHandler("start") { (_: ProbeObject, _: ObjectContext, _: Data) in
                    StartMark.mark()
                    return Data()
                },
                .rawHandler("shared") { (_: ProbeObject, _: SharedObjectContext, _: Data) in
                    StartMark.mark()
                    return Data()
                },
                .rawHandler("serial") { (_: ProbeObject, _: ObjectContext, _: Data) in
                    if SerialCheck.inside.add(1, ordering: .acquiringAndReleasing).newValue > 1 {
                        SerialCheck.violations.add(1, ordering: .relaxed)
                    }
                    await Task.yield()
                    SerialCheck.inside.subtract(1, ordering: .acquiringAndReleasing)
                    return Data()
                },
            ]
        )
    }
}

extension Endpoint {
    /// The endpoint of the dispatcher benchmarks: Probe and ProbeObject, with `shardCount` shards.
    public static func probeEndpoint(shardCount: Int) -> Endpoint {
        var endpoint = Endpoint(configuration: .init(shardCount: shardCount))
        endpoint.bind(Probe.self)
        endpoint.bind(ProbeObject.self)
        return endpoint
    }
}

extension Bodies {
    /// A probe invocation on `key` ("" for the service): Start + an empty Input.
    public static func probe(key: String = "") -> ByteBuffer {
        encode([start(knownEntries: 1, key: key), input("")])
    }
}

/// One probe request, built before the clock starts.
public struct ProbeRequest: Sendable {
    public let head: RequestHead
    public let body: ByteBuffer

    public init(service: String, handler: String, key: String = "", invocationID: String? = nil) {
        var headers: [(String, String)] = [("content-type", ProtocolVersion.v5.contentType)]
        if let invocationID { headers.append(("x-restate-invocation-id", invocationID)) }
        head = RequestHead(
            method: "POST",
            path: "/invoke/\(service)/\(handler)",
            headers: HeaderFields(headers),
            transport: .http2
        )
        body = Bodies.probe(key: key)
    }

    /// The same request with another invocation id.
    public func with(invocationID: String) -> ProbeRequest {
        var headers = head.headers.filter { $0.name != "x-restate-invocation-id" }.map { ($0.name, $0.value) }
        headers.append(("x-restate-invocation-id", invocationID))
        return ProbeRequest(
            head: RequestHead(method: head.method, path: head.path, headers: HeaderFields(headers), transport: .http2),
            body: body
        )
    }

    private init(head: RequestHead, body: ByteBuffer) {
        self.head = head
        self.body = body
    }
}

/// A response sink that keeps only the status and whether the response ended.
public final class StatusSink: ResponseSink {
    private let state = Mutex<(status: Int?, finished: Bool)>((nil, false))

    public init() {}

    public var status: Int? { state.withLock { $0.status } }
    public var finished: Bool { state.withLock { $0.finished } }

    public func writeHead(status: Int, headers: HeaderFields) async throws {
        state.withLock { $0.status = status }
    }

    public func write(_ buffer: ByteBuffer) async throws {}

    public func finish() async throws {
        state.withLock { $0.finished = true }
    }
}

extension EndpointHandler {
    /// Runs `request` and returns how long it took from calling ``handle(_:body:response:)`` to
    /// the probe handler's first line, and to the end of the response. `nil` when the handler did
    /// not run or the response was not a finished 200.
    public func timedProbe(_ request: ProbeRequest) async -> (toStart: Duration, total: Duration)? {
        let sink = StatusSink()
        let body = SingleChunkBody(request.body)
        _ = StartMark.take()
        let begin = ContinuousClock.now
        await handle(request.head, body: body, response: sink)
        let end = ContinuousClock.now
        guard let started = StartMark.take(), sink.status == 200, sink.finished else { return nil }
        return (begin.duration(to: started), begin.duration(to: end))
    }

    /// Runs `request` and tells whether it answered a finished 200.
    public func probe(_ request: ProbeRequest) async -> Bool {
        let sink = StatusSink()
        await handle(request.head, body: SingleChunkBody(request.body), response: sink)
        return sink.status == 200 && sink.finished
    }
}

/// The dispatcher's own path, without HTTP routing, the protocol state machine or the body: admit
/// the attempt, start its task, take the instance's lease, run the handler. The same steps in the
/// same order as `EndpointHandler.dispatch` and `BoundService.Handler.run`, on the real
/// `Dispatcher` and `InstanceRegistry` (through their `@_spi(Benchmarks)` wrappers).
public struct DispatcherPath: Sendable {
    let dispatcher: BenchmarkDispatcher
    let registry: BenchmarkInstanceRegistry

    public init(shardCount: Int, keyed: Bool) {
        dispatcher = BenchmarkDispatcher(shardCount: shardCount)
        registry = BenchmarkInstanceRegistry(keyed: keyed, shardCount: shardCount)
    }

    /// One invocation whose handler only notes its start; returns the time from admission to it.
    public func run(invocationID: String, key: String, exclusive: Bool) async -> Duration? {
        let begin = ContinuousClock.now
        guard let ticket = await dispatcher.admit(invocationID: invocationID, cancel: {}) else { return nil }
        defer { dispatcher.release(ticket) }
        let registry = self.registry
        let task = Task { () -> ContinuousClock.Instant? in
            guard let lease = try? await registry.acquire(key: key, exclusive: exclusive) else { return nil }
            defer { registry.release(lease) }
            return ContinuousClock.now
        }
        guard let started = await task.value else { return nil }
        return begin.duration(to: started)
    }
}

/// Order statistics of a set of durations, in nanoseconds.
public struct LatencySummary: Sendable, CustomStringConvertible {
    public let count: Int
    public let median: Int
    public let p90: Int
    public let p99: Int
    public let mean: Int

    public init(_ samples: [Duration]) {
        let nanoseconds = samples.map { Int($0 / .nanoseconds(1)) }.sorted()
        count = nanoseconds.count
        func percentile(_ p: Double) -> Int {
            guard !nanoseconds.isEmpty else { return 0 }
            return nanoseconds[min(nanoseconds.count - 1, Int(Double(nanoseconds.count) * p))]
        }
        median = percentile(0.5)
        p90 = percentile(0.9)
        p99 = percentile(0.99)
        mean = nanoseconds.isEmpty ? 0 : nanoseconds.reduce(0, +) / nanoseconds.count
    }

    public var description: String { "median \(median) ns, p90 \(p90) ns, p99 \(p99) ns (n=\(count))" }
}

/// The dispatcher measurements, as `RestateBenchTool dispatch` runs them.
public enum DispatchBench {
    /// What one `ContinuousClock.now` pair costs; part of every per-operation sample.
    public static func clockOverhead(samples: Int) -> LatencySummary {
        var durations: [Duration] = []
        durations.reserveCapacity(samples)
        for _ in 0..<samples {
            let begin = ContinuousClock.now
            durations.append(begin.duration(to: .now))
        }
        return LatencySummary(durations)
    }

    /// Acquire + release of one uncontended lease, timed one at a time, and the mean over all of
    /// them from one clock pair around the loop (free of the clock's own cost).
    @_spi(Benchmarks)
    public static func lease(
        registry: BenchmarkInstanceRegistry,
        key: String,
        exclusive: Bool,
        samples: Int
    ) async throws -> (perOperation: LatencySummary, meanNanoseconds: Double) {
        for _ in 0..<1_000 { registry.release(try await registry.acquire(key: key, exclusive: exclusive)) }
        var durations: [Duration] = []
        durations.reserveCapacity(samples)
        for _ in 0..<samples {
            let begin = ContinuousClock.now
            let lease = try await registry.acquire(key: key, exclusive: exclusive)
            registry.release(lease)
            durations.append(begin.duration(to: .now))
        }
        let loopBegin = ContinuousClock.now
        for _ in 0..<samples {
            registry.release(try await registry.acquire(key: key, exclusive: exclusive))
        }
        let mean = Double(loopBegin.duration(to: .now) / .nanoseconds(1)) / Double(samples)
        return (LatencySummary(durations), mean)
    }

    /// The dispatcher's own path (``DispatcherPath``), admission to handler start.
    public static func dispatcherPath(
        shardCount: Int,
        keyed: Bool,
        exclusive: Bool,
        samples: Int
    ) async -> LatencySummary {
        let path = DispatcherPath(shardCount: shardCount, keyed: keyed)
        let key = keyed ? "key-1" : ""
        for number in 0..<1_000 { _ = await path.run(invocationID: "w\(number)", key: key, exclusive: exclusive) }
        var durations: [Duration] = []
        durations.reserveCapacity(samples)
        for number in 0..<samples {
            if let duration = await path.run(invocationID: "i\(number)", key: key, exclusive: exclusive) {
                durations.append(duration)
            }
        }
        return LatencySummary(durations)
    }

    /// What the Swift runtime charges for the hops the endpoint makes before the handler: a new
    /// unstructured task (the attempt), and a child task in a task group (the body reader), each
    /// from creation to its first line.
    public static func taskHops(samples: Int) async -> (task: LatencySummary, child: LatencySummary) {
        var tasks: [Duration] = []
        var children: [Duration] = []
        tasks.reserveCapacity(samples)
        children.reserveCapacity(samples)
        for number in 0..<(samples + 1_000) {
            let begin = ContinuousClock.now
            let started = await Task { ContinuousClock.now }.value
            let childStarted = await withTaskGroup(of: ContinuousClock.Instant.self) { group in
                let begin = ContinuousClock.now
                group.addTask { ContinuousClock.now }
                let started = await group.next()!
                return (begin, started)
            }
            if number >= 1_000 {
                tasks.append(begin.duration(to: started))
                children.append(childStarted.0.duration(to: childStarted.1))
            }
        }
        return (LatencySummary(tasks), LatencySummary(children))
    }

    /// The protocol work on the way to the handler, without the dispatcher: a state machine for
    /// the content type, the request body (Start + Input) decoded, and the input read.
    public static func protocolDecode(body: ByteBuffer, samples: Int) throws -> LatencySummary {
        func once() throws -> Duration {
            let begin = ContinuousClock.now
            var machine = try InvocationStateMachine(contentType: ProtocolVersion.v5.contentType)
            machine.notifyInput(body)
            machine.notifyInputClosed()
            let input = try machine.input()
            let end = ContinuousClock.now
            precondition(input.knownEntries == 1)
            return begin.duration(to: end)
        }
        for _ in 0..<1_000 { _ = try once() }
        var durations: [Duration] = []
        durations.reserveCapacity(samples)
        for _ in 0..<samples { durations.append(try once()) }
        return LatencySummary(durations)
    }

    /// The full hop through the endpoint: `handle` called → handler's first line, and → response
    /// finished. Fails (returns `nil`) if any response is not a finished 200.
    public static func endpoint(
        handler: EndpointHandler,
        request: ProbeRequest,
        samples: Int
    ) async -> (toStart: LatencySummary, total: LatencySummary)? {
        for number in 0..<1_000 {
            guard await handler.timedProbe(request.with(invocationID: "warm-\(number)")) != nil else { return nil }
        }
        // Distinct invocation ids, built before timing, as Restate sends them.
        let requests = (0..<samples).map { request.with(invocationID: "inv-\($0)") }
        var toStart: [Duration] = []
        var total: [Duration] = []
        toStart.reserveCapacity(samples)
        total.reserveCapacity(samples)
        for request in requests {
            guard let timing = await handler.timedProbe(request) else { return nil }
            toStart.append(timing.toStart)
            total.append(timing.total)
        }
        return (LatencySummary(toStart), LatencySummary(total))
    }

    /// The requests of `concurrency` callers: caller `c` owns the keys at `c`, `c + concurrency`,
    /// … (all of them when there are fewer keys than callers, e.g. one hot key), and its own
    /// invocation id, reused because a caller has one invocation in flight at a time. Everything
    /// is built before the clock starts.
    public static func callerRequests(
        service: String,
        handler: String,
        keys: [String],
        concurrency: Int
    ) -> [[ProbeRequest]] {
        (0..<concurrency).map { caller in
            let mine =
                keys.count >= concurrency
                ? Array(stride(from: caller, to: keys.count, by: concurrency).map { keys[$0] }) : keys
            return mine.map {
                ProbeRequest(service: service, handler: handler, key: $0, invocationID: "caller-\(caller)")
            }
        }
    }

    /// Invocations per second of one task per element of `callers`, each running its requests
    /// round robin, one at a time, until `duration` has passed. Returns the rate and the number of
    /// failed invocations.
    public static func throughput(
        handler: EndpointHandler,
        callers: [[ProbeRequest]],
        duration: Duration
    ) async -> (perSecond: Double, failures: Int) {
        let begin = ContinuousClock.now
        let deadline = begin + duration
        let (completed, failed) = await withTaskGroup(of: (Int, Int).self) { group in
            for requests in callers {
                group.addTask {
                    var completed = 0
                    var failed = 0
                    var index = 0
                    while ContinuousClock.now < deadline {
                        if await handler.probe(requests[index]) { completed += 1 } else { failed += 1 }
                        index += 1
                        if index == requests.count { index = 0 }
                    }
                    return (completed, failed)
                }
            }
            var totals = (0, 0)
            for await (completed, failed) in group {
                totals.0 += completed
                totals.1 += failed
            }
            return totals
        }
        let elapsed = begin.duration(to: .now)
        return (Double(completed) / (Double(elapsed / .nanoseconds(1)) / 1e9), failed)
    }

    /// Lease acquire + release per second on the registry alone, `concurrency` callers over
    /// `keys` keys (exclusive leases), until `duration` has passed.
    public static func registryThroughput(
        shardCount: Int,
        keys: Int,
        concurrency: Int,
        duration: Duration
    ) async -> Double {
        let registry = BenchmarkInstanceRegistry(keyed: true, shardCount: shardCount)
        let names = (0..<keys).map { "key-\($0)" }
        let begin = ContinuousClock.now
        let deadline = begin + duration
        let completed = await withTaskGroup(of: Int.self) { group in
            for caller in 0..<concurrency {
                group.addTask {
                    var completed = 0
                    // Callers walk disjoint keys (caller c takes keys ≡ c mod concurrency), so
                    // what they meet is the shard's lock, not each other's mailboxes.
                    var index = caller % keys
                    while true {
                        for _ in 0..<256 {
                            guard let lease = try? await registry.acquire(key: names[index], exclusive: true) else {
                                continue
                            }
                            registry.release(lease)
                            index = (index + concurrency) % keys
                        }
                        completed += 256
                        if ContinuousClock.now >= deadline { return completed }
                    }
                }
            }
            return await group.reduce(0, +)
        }
        return Double(completed) / (Double(begin.duration(to: .now) / .nanoseconds(1)) / 1e9)
    }
}
