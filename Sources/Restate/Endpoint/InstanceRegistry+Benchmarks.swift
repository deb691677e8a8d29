// The dispatcher's parts, reachable from the benchmarks package (`Tests/Benchmarks`) only.
//
// `InstanceRegistry` and `Dispatcher` are internal: users never see them, and their shape may
// change at any time. The benchmarks live in a separate package (so that users of the library do
// not resolve ordo-one/benchmark), which cannot use `@testable import` in a release build. These
// thin wrappers give that package the registry's lease and the dispatcher's admission behind
// `@_spi(Benchmarks)`, which only a client that writes `@_spi(Benchmarks) import Restate` sees and
// which carries no source-stability promise. They forward to the real types and add nothing but a
// struct around each lease or ticket, so what the benchmarks time is the code invocations run.

/// The instance registry of one service, with an instance that holds nothing.
@_spi(Benchmarks)
public final class BenchmarkInstanceRegistry: Sendable {
    /// What a benchmark instance is: nothing; its creation costs one allocation.
    public final class Instance: Sendable {
        init() {}
    }

    /// A granted lease; give it back with ``release(_:)``.
    public struct Lease: Sendable {
        fileprivate let lease: InstanceRegistry<Instance>.Lease
    }

    private let registry: InstanceRegistry<Instance>

    /// - Parameters:
    ///   - keyed: per-key instances (virtual objects, workflows) or one instance (services).
    ///   - shardCount: shards of the instance table.
    ///   - capacityPerShard: instances kept per shard before the least recently used idle one goes.
    public init(keyed: Bool, shardCount: Int, capacityPerShard: Int = 10_000) {
        registry = InstanceRegistry(
            service: "Benchmark",
            keyed: keyed,
            shardCount: shardCount,
            capacityPerShard: capacityPerShard,
            idleTimeout: .seconds(600),
            factory: { Instance() }
        )
    }

    /// `InstanceRegistry.acquire(key:exclusive:)`.
    public func acquire(key: String, exclusive: Bool) async throws -> Lease {
        Lease(lease: try await registry.acquire(key: key, exclusive: exclusive))
    }

    /// `InstanceRegistry.release(_:)`.
    public func release(_ lease: Lease) {
        registry.release(lease.lease)
    }

    /// Instances in memory, over all shards.
    public var liveInstances: Int { registry.statistics().live }
}

/// The endpoint's admission of invocation attempts (in-flight bound per shard, fencing).
@_spi(Benchmarks)
public final class BenchmarkDispatcher: Sendable {
    /// An admitted attempt; give it back with ``release(_:)``.
    public struct Ticket: Sendable {
        fileprivate let ticket: Dispatcher.Ticket
    }

    private let dispatcher: Dispatcher

    public init(shardCount: Int, capacityPerShard: Int = 4_096) {
        dispatcher = Dispatcher(shardCount: shardCount, capacityPerShard: capacityPerShard)
    }

    /// `Dispatcher.admit(invocationID:cancel:)`; `nil` when the shard is full.
    public func admit(invocationID: String?, cancel: @escaping @Sendable () -> Void) async -> Ticket? {
        await dispatcher.admit(invocationID: invocationID, cancel: cancel).map(Ticket.init(ticket:))
    }

    /// `Dispatcher.release(_:)`.
    public func release(_ ticket: Ticket) {
        dispatcher.release(ticket.ticket)
    }
}
