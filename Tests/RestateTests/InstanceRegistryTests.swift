import Foundation
import NIOCore
import RestateCore
import RestateHTTP2
import Synchronization
import Testing

@testable import Restate

/// An instance with an identity, so tests can tell a kept instance from a re-created one.
private final class Box: Sendable {
    let serial: Int
    init(serial: Int) { self.serial = serial }
}

/// What happened, in order, across tasks.
private final class Log: Sendable {
    private let items = Mutex<[String]>([])
    func append(_ item: String) { items.withLock { $0.append(item) } }
    var all: [String] { items.withLock { $0 } }
}

private func makeRegistry(
    shards: Int = 1,
    capacity: Int = 100,
    idleTimeout: Duration = .seconds(60)
) -> InstanceRegistry<Box> {
    let created = Atomic<Int>(0)
    return InstanceRegistry(
        service: "Test",
        keyed: true,
        shardCount: shards,
        capacityPerShard: capacity,
        idleTimeout: idleTimeout
    ) {
        Box(serial: created.add(1, ordering: .relaxed).newValue)
    }
}

/// Waits (without a clock) until `condition` holds.
private func eventually(_ condition: () -> Bool) async {
    while !condition() { await Task.yield() }
}

@Suite("Instance registry: mailbox, eviction, shards", .timeLimit(.minutes(1)))
struct InstanceRegistryTests {
    @Test("exclusive leases of one key are granted one at a time, in arrival order")
    func exclusiveOrder() async throws {
        let registry = makeRegistry()
        let order = Log()
        let first = try await registry.acquire(key: "k", exclusive: true)

        var waiters: [Task<Void, any Error>] = []
        for name in ["b", "c", "d"] {
            let queuedBefore = registry.statistics().queued
            waiters.append(
                Task {
                    let lease = try await registry.acquire(key: "k", exclusive: true)
                    order.append(name)
                    registry.release(lease)
                }
            )
            // The next one arrives only once this one is in the queue.
            await eventually { registry.statistics().queued == queuedBefore + 1 }
        }
        #expect(order.all.isEmpty)
        registry.release(first)
        for waiter in waiters { try await waiter.value }
        #expect(order.all == ["b", "c", "d"])
        #expect(registry.statistics().queued == 0)
    }

    @Test("shared leases are granted while an exclusive one is held; other keys are independent")
    func sharedOverlap() async throws {
        let registry = makeRegistry()
        let exclusive = try await registry.acquire(key: "k", exclusive: true)
        let shared = try await registry.acquire(key: "k", exclusive: false)
        let other = try await registry.acquire(key: "other", exclusive: true)
        #expect(shared.instance === exclusive.instance)
        #expect(other.instance !== exclusive.instance)
        registry.release(shared)
        registry.release(other)
        registry.release(exclusive)
        #expect(registry.statistics() == InstanceStatistics(live: 2, idle: 2))
    }

    @Test("a waiter cancelled in the queue leaves it, and the lease skips it")
    func cancelledWaiter() async throws {
        let registry = makeRegistry()
        let held = try await registry.acquire(key: "k", exclusive: true)
        let cancelled = Task { try await registry.acquire(key: "k", exclusive: true) }
        await eventually { registry.statistics().queued == 1 }
        let next = Task {
            let lease = try await registry.acquire(key: "k", exclusive: true)
            registry.release(lease)
        }
        await eventually { registry.statistics().queued == 2 }

        cancelled.cancel()
        await #expect(throws: CancellationError.self) { _ = try await cancelled.value }
        #expect(registry.statistics().queued == 1)
        registry.release(held)
        try await next.value
        #expect(registry.statistics() == InstanceStatistics(live: 1, idle: 1))
    }

    @Test("a full shard drops its least recently used idle instance, never one in use")
    func capacityEviction() async throws {
        let registry = makeRegistry(capacity: 2)
        func use(_ key: String) async throws -> Box {
            let lease = try await registry.acquire(key: key, exclusive: true)
            registry.release(lease)
            return lease.instance
        }
        let a = try await use("a")
        _ = try await use("b")
        #expect(try await use("a") === a)  // a is now the most recently used
        _ = try await use("c")  // evicts b
        #expect(try await use("a") === a)
        #expect(registry.statistics().evictedForCapacity == 1)

        // With every instance busy, a new key goes over capacity instead of evicting one in use.
        let busyA = try await registry.acquire(key: "a", exclusive: false)
        let busyC = try await registry.acquire(key: "c", exclusive: false)
        let busyD = try await registry.acquire(key: "d", exclusive: false)
        #expect(registry.statistics().live == 3)
        #expect(busyA.instance === a)
        for lease in [busyA, busyC, busyD] { registry.release(lease) }
        _ = try await use("e")
        #expect(registry.statistics().live == 3)
        #expect(try await use("a") !== a)  // a was the least recently used once all were idle
    }

    @Test("instances idle past the timeout are dropped; busy ones stay")
    func idleEviction() async throws {
        let registry = makeRegistry(shards: 4, idleTimeout: .seconds(30))
        var instances: [String: Box] = [:]
        for key in ["a", "b", "c"] {
            let lease = try await registry.acquire(key: key, exclusive: true)
            instances[key] = lease.instance
            registry.release(lease)
        }
        let busy = try await registry.acquire(key: "busy", exclusive: true)

        registry.evictIdle(now: .now + .seconds(10))
        #expect(registry.statistics().live == 4)
        registry.evictIdle(now: .now + .seconds(31))
        #expect(registry.statistics() == InstanceStatistics(live: 1, idle: 0, evictedIdle: 3))

        registry.release(busy)
        let again = try await registry.acquire(key: "a", exclusive: false)
        #expect(again.instance !== instances["a"])
        registry.release(again)
    }

    @Test("10,000 keys spread over every shard, bounded by the capacity")
    func manyKeys() async throws {
        let shards = 8
        let registry = makeRegistry(shards: shards, capacity: 1_000)
        var perShard = [Int](repeating: 0, count: shards)
        for number in 0..<10_000 {
            let key = "user-\(number)"
            perShard[registry.shardIndex(of: key)] += 1
            let lease = try await registry.acquire(key: key, exclusive: number.isMultiple(of: 2))
            registry.release(lease)
        }
        // FNV-1a spreads these keys within ±20% of the mean.
        for count in perShard { #expect(abs(count - 1_250) < 250) }
        let statistics = registry.statistics()
        #expect(statistics.live == 8_000)
        #expect(statistics.idle == 8_000)
        #expect(statistics.evictedForCapacity == 2_000)
        #expect(registry.shardIndex(of: "user-42") == registry.shardIndex(of: "user-42"))
    }

    @Test("a service has one instance and no mailbox")
    func keyless() async throws {
        let registry = InstanceRegistry<Box>(
            service: "S",
            keyed: false,
            shardCount: 4,
            capacityPerShard: 1,
            idleTimeout: .seconds(1)
        ) { Box(serial: 0) }
        let first = try await registry.acquire(key: "", exclusive: true)
        let second = try await registry.acquire(key: "", exclusive: true)
        #expect(first.instance === second.instance)
        registry.release(first)
        registry.release(second)
    }
}

// MARK: Through the endpoint

/// Records when its handlers start, and parks its exclusive handler on a `ctx.run` whose
/// completion only Restate could send.
actor Ledger: RestateService, DefaultInitializable {
    static let events = Mutex<[String]>([])

    func append(_ ctx: ObjectContext, entry: String) async throws -> String {
        Self.events.withLock { $0.append("\(ctx.key):\(entry)") }
        let stored: Int = try await ctx.run("store") { entry.count }
        return "\(entry):\(stored)"
    }

    func peek(_ ctx: SharedObjectContext) async throws -> String {
        Self.events.withLock { $0.append("\(ctx.key):peek") }
        return "peeked"
    }

    static var restateDescriptor: ServiceDescriptor<Ledger> {
        ServiceDescriptor(
            name: "Ledger",
            kind: .virtualObject,
            handlers: [
                .handler("append") { (ledger: Ledger, ctx: ObjectContext, entry: String) in
                    try await ledger.append(ctx, entry: entry)
                },
                .handler("peek") { (ledger: Ledger, ctx: SharedObjectContext) in try await ledger.peek(ctx) },
            ]
        )
    }
}

@Suite("Mailbox through the endpoint", .serialized, .timeLimit(.minutes(1)))
struct MailboxEndpointTests {
    @Test("an exclusive handler waits for the running one of its key; shared handlers do not")
    func exclusiveWaitsSharedOverlaps() async throws {
        Ledger.events.withLock { $0 = [] }
        var endpoint = Endpoint(configuration: .init(shardCount: 4))
        endpoint.bind(Ledger.self)
        let handler = try endpoint.makeHandler()
        let statistics = { handler.services["Ledger"]!.instanceStatistics() }

        // The first append parks on its run, its request still open.
        let (body, input) = AsyncStream<ByteBuffer>.makeStream()
        input.yield(
            try Frames.encode([Frames.start(knownEntries: 1, key: "k", state: [:], id: "one"), Frames.input("\"1\"")])
        )
        let firstSink = RecordingSink()
        let first = Task {
            await handler.handle(
                RequestHead.invocation("/invoke/Ledger/append", invocationID: "one"),
                body: body,
                response: firstSink
            )
        }
        await eventually { Ledger.events.withLock { $0 } == ["k:1"] }

        // A second append on the same key queues; one on another key and a shared one run.
        let second = Task {
            try await handler.invoke(
                "Ledger",
                "append",
                messages: [Frames.start(knownEntries: 1, key: "k", state: [:], id: "two"), Frames.input("\"2\"")]
            )
        }
        await eventually { statistics().queued == 1 }
        _ = try await handler.invoke(
            "Ledger",
            "peek",
            messages: [Frames.start(knownEntries: 1, key: "k", state: [:], id: "three"), Frames.input("")]
        )
        _ = try await handler.invoke(
            "Ledger",
            "append",
            messages: [Frames.start(knownEntries: 1, key: "other", state: [:], id: "four"), Frames.input("\"4\"")]
        )
        #expect(Ledger.events.withLock { $0 } == ["k:1", "k:peek", "other:4"])

        // The first attempt suspends when its input ends; then the second runs.
        input.finish()
        await first.value
        let secondSink = try await second.value
        #expect(Ledger.events.withLock { $0 } == ["k:1", "k:peek", "other:4", "k:2"])
        guard case .suspensionV6 = try secondSink.messages(version: .v6).last else {
            Issue.record("the queued append should have run to its suspension")
            return
        }
        #expect(statistics().queued == 0)
    }

    @Test("the same workload gives the same answers with 1 shard and with 8")
    func shardCountInvariance() async throws {
        func run(shards: Int) async throws -> [String] {
            var endpoint = Endpoint(configuration: .init(shardCount: shards, instancesPerShard: 3))
            endpoint.bind(Counter.self)
            let handler = try endpoint.makeHandler()
            var outputs: [String] = []
            for step in 0..<40 {
                let key = "key-\(step % 7)"
                // Restate sends the state the previous invocations left; here: the step count so far.
                let previous = (0..<step).filter { $0 % 7 == step % 7 }.count
                let sink = try await handler.invoke(
                    "Counter",
                    "add",
                    messages: [
                        Frames.start(knownEntries: 1, key: key, state: ["count": "\(previous)"], id: "i\(step)"),
                        Frames.input("1"),
                    ]
                )
                outputs.append(String(describing: try sink.messages(version: .v6)))
            }
            let statistics = handler.services["Counter"]!.instanceStatistics()
            #expect(statistics.live <= shards * 3)
            return outputs
        }
        let one = try await run(shards: 1)
        let eight = try await run(shards: 8)
        #expect(one == eight)
        #expect(one.count == 40)
    }
}
