import Metrics
import Synchronization

/// Hosts the instances handlers run on, one per object key or workflow ID (a single one for a
/// service), and orders the handlers of each instance through its mailbox.
///
/// **Shards.** Keys map to `shardCount` shards by a stable hash; each shard owns its instance
/// table behind its own lock, so invocations of different keys rarely meet and no lock spans the
/// endpoint.
///
/// **Mailbox.** Actors are re-entrant at `await`, so actor isolation alone would let two
/// exclusive handlers of one key interleave. A lease orders them instead: exclusive leases of an
/// instance are granted one at a time, in arrival order; shared leases are granted at once, next
/// to each other and to the exclusive one. Restate already runs one exclusive invocation per key at
/// a time; the mailbox keeps that guarantee inside the process too (a retried attempt, a second
/// Restate cluster, a test runtime), at the cost of an uncontended lock.
///
/// **Eviction.** An instance no lease holds or waits for is idle. Idle instances sit in an LRU
/// list; one idle longer than `idleTimeout` is dropped, and when a shard holds `capacityPerShard`
/// instances the least recently used idle one makes room. Durable state lives in Restate, never
/// in the instance, so re-creating an evicted instance loses nothing. Instances in use are never
/// evicted, so a shard can exceed its capacity while all of them are busy; the dispatcher's
/// in-flight bound keeps that finite.
final class InstanceRegistry<Instance: Sendable>: Sendable {
    /// The right to run one handler on `instance`. Give it back with ``release(_:)``.
    struct Lease: Sendable {
        let instance: Instance
        fileprivate let shard: Int
        fileprivate let slot: Int
        fileprivate let exclusive: Bool
    }

    typealias Statistics = InstanceStatistics

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Lease, any Error>
    }

    private struct Entry {
        var key: String
        var instance: Instance?
        /// Leases granted and not yet released, shared and exclusive.
        var leases = 0
        var exclusiveHeld = false
        /// Exclusive requests in arrival order.
        var waiters: [Waiter] = []
        var lastUsed: ContinuousClock.Instant
        /// Links of the idle list, from `newest` to `oldest`; `-1` ends it.
        var older = -1
        var newer = -1

        var isIdle: Bool { leases == 0 && waiters.isEmpty }
    }

    private struct Shard: ~Copyable {
        var slots: [Entry] = []
        var freeSlots: [Int] = []
        var index: [String: Int] = [:]
        var newest = -1
        var oldest = -1
        var nextWaiterID: UInt64 = 0
        var statistics = Statistics()
    }

    private final class ShardBox: Sendable {
        let state = Mutex(Shard())
        let liveGauge: Gauge
        let queuedGauge: Gauge

        init(service: String, index: Int) {
            let dimensions = [("service", service), ("shard", String(index))]
            liveGauge = Gauge(label: "restate.instances.live", dimensions: dimensions)
            queuedGauge = Gauge(label: "restate.mailbox.queued", dimensions: dimensions)
        }
    }

    private let factory: @Sendable () -> Instance
    private let shards: [ShardBox]
    private let capacityPerShard: Int
    private let idleTimeout: Duration
    /// The one instance of an unkeyed service, which every handler shares; `nil` for keyed ones.
    let singleInstance: Instance?
    private let evictedIdle: Counter
    private let evictedForCapacity: Counter

    /// - Parameters:
    ///   - keyed: whether instances are per key (virtual objects, workflows) or one (services).
    ///   - idleTimeout: how long an unused instance is kept.
    init(
        service: String,
        keyed: Bool,
        shardCount: Int,
        capacityPerShard: Int,
        idleTimeout: Duration,
        factory: @escaping @Sendable () -> Instance
    ) {
        self.factory = factory
        self.capacityPerShard = max(1, capacityPerShard)
        self.idleTimeout = idleTimeout
        self.singleInstance = keyed ? nil : factory()
        self.shards = keyed ? (0..<max(1, shardCount)).map { ShardBox(service: service, index: $0) } : []
        evictedIdle = Counter(
            label: "restate.instances.evicted",
            dimensions: [("service", service), ("reason", "idle")]
        )
        evictedForCapacity = Counter(
            label: "restate.instances.evicted",
            dimensions: [("service", service), ("reason", "capacity")]
        )
    }

    /// The shard `key` lives in.
    func shardIndex(of key: String) -> Int {
        Int(StableHash.fnv1a(key) % UInt64(shards.count))
    }

    /// Waits for the instance of `key` to admit a handler: at once for a shared one, after the
    /// exclusive handlers that arrived earlier for an exclusive one.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    func acquire(key: String, exclusive: Bool) async throws -> Lease {
        if let single = self.singleInstance { return Lease(instance: single, shard: -1, slot: -1, exclusive: false) }
        let shardIndex = shardIndex(of: key)
        let box = shards[shardIndex]
        let now = ContinuousClock.now
        let fastPath: (lease: Lease?, waiterID: UInt64, evicted: Bool) = box.state.withLock { shard in
            let evicted = evictExpired(&shard, now: now, limit: 4)
            if let lease = grant(&shard, shardIndex: shardIndex, key: key, exclusive: exclusive, now: now) {
                return (lease, 0, evicted)
            }
            shard.nextWaiterID += 1
            return (nil, shard.nextWaiterID, evicted)
        }
        if fastPath.evicted { publish(box) }
        if let lease = fastPath.lease { return lease }

        let waiterID = fastPath.waiterID
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                let immediate: Result<Lease, any Error>? = box.state.withLock { shard in
                    // Checked under the lock that the cancellation handler takes, so a
                    // cancellation either sees the waiter or is seen here.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let lease = grant(&shard, shardIndex: shardIndex, key: key, exclusive: exclusive, now: now) {
                        return .success(lease)
                    }
                    // `grant` left the entry in the table, and an entry with a waiter is never evicted.
                    let slot = shard.index[key]!
                    shard.slots[slot].waiters.append(Waiter(id: waiterID, continuation: continuation))
                    shard.statistics.queued += 1
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                } else {
                    publish(box)
                }
            }
        } onCancel: {
            let waiter: Waiter? = box.state.withLock { shard in
                guard let slot = shard.index[key],
                    let position = shard.slots[slot].waiters.firstIndex(where: { $0.id == waiterID })
                else { return nil }
                let waiter = shard.slots[slot].waiters.remove(at: position)
                shard.statistics.queued -= 1
                if shard.slots[slot].isIdle { makeIdle(&shard, slot: slot, now: .now) }
                return waiter
            }
            if let waiter {
                publish(box)
                waiter.continuation.resume(throwing: CancellationError())
            }
        }
    }

    /// Gives a lease back, handing the instance to the next exclusive handler waiting for it.
    func release(_ lease: Lease) {
        guard lease.shard >= 0 else { return }
        let box = shards[lease.shard]
        let next: Waiter? = box.state.withLock { shard in
            let slot = lease.slot
            if lease.exclusive {
                if !shard.slots[slot].waiters.isEmpty {
                    // The exclusive lease passes straight to the next in line.
                    shard.statistics.queued -= 1
                    return shard.slots[slot].waiters.removeFirst()
                }
                shard.slots[slot].exclusiveHeld = false
            }
            shard.slots[slot].leases -= 1
            if shard.slots[slot].isIdle { makeIdle(&shard, slot: slot, now: .now) }
            return nil
        }
        if let next {
            publish(box)
            next.continuation.resume(
                returning: Lease(instance: lease.instance, shard: lease.shard, slot: lease.slot, exclusive: true)
            )
        }
    }

    /// Drops every instance idle since before `now - idleTimeout`.
    func evictIdle(now: ContinuousClock.Instant = .now) {
        for box in shards {
            let evicted = box.state.withLock { evictExpired(&$0, now: now, limit: .max) }
            if evicted { publish(box) }
        }
    }

    /// Totals over all shards.
    func statistics() -> Statistics {
        var total = Statistics()
        for box in shards {
            let statistics = box.state.withLock { $0.statistics }
            total.live += statistics.live
            total.idle += statistics.idle
            total.queued += statistics.queued
            total.evictedIdle += statistics.evictedIdle
            total.evictedForCapacity += statistics.evictedForCapacity
        }
        return total
    }

    // MARK: Shard operations (called with the shard locked)

    /// Finds or creates the entry of `key` and grants a lease if the mailbox allows it now.
    private func grant(
        _ shard: inout Shard,
        shardIndex: Int,
        key: String,
        exclusive: Bool,
        now: ContinuousClock.Instant
    ) -> Lease? {
        let slot: Int
        if let existing = shard.index[key] {
            slot = existing
            if exclusive, shard.slots[slot].exclusiveHeld || !shard.slots[slot].waiters.isEmpty { return nil }
            if shard.slots[slot].isIdle { unlinkIdle(&shard, slot: slot) }
        } else {
            if shard.index.count >= capacityPerShard, shard.oldest >= 0 {
                evict(&shard, slot: shard.oldest)
                shard.statistics.evictedForCapacity += 1
                evictedForCapacity.increment()
            }
            slot = insert(&shard, key: key, now: now)
        }
        shard.slots[slot].leases += 1
        if exclusive { shard.slots[slot].exclusiveHeld = true }
        return Lease(instance: shard.slots[slot].instance!, shard: shardIndex, slot: slot, exclusive: exclusive)
    }

    /// Adds a new entry, not in the idle list: the caller is about to use it.
    private func insert(_ shard: inout Shard, key: String, now: ContinuousClock.Instant) -> Int {
        let entry = Entry(key: key, instance: factory(), lastUsed: now)
        let slot: Int
        if let free = shard.freeSlots.popLast() {
            slot = free
            shard.slots[slot] = entry
        } else {
            slot = shard.slots.count
            shard.slots.append(entry)
        }
        shard.index[key] = slot
        shard.statistics.live += 1
        return slot
    }

    /// Puts an entry at the newest end of the idle list.
    private func linkAsNewest(_ shard: inout Shard, slot: Int) {
        shard.slots[slot].older = shard.newest
        shard.slots[slot].newer = -1
        if shard.newest >= 0 { shard.slots[shard.newest].newer = slot }
        shard.newest = slot
        if shard.oldest < 0 { shard.oldest = slot }
    }

    private func makeIdle(_ shard: inout Shard, slot: Int, now: ContinuousClock.Instant) {
        shard.slots[slot].lastUsed = now
        shard.statistics.idle += 1
        linkAsNewest(&shard, slot: slot)
    }

    private func unlinkIdle(_ shard: inout Shard, slot: Int) {
        let older = shard.slots[slot].older
        let newer = shard.slots[slot].newer
        if older >= 0 { shard.slots[older].newer = newer } else { shard.oldest = newer }
        if newer >= 0 { shard.slots[newer].older = older } else { shard.newest = older }
        shard.slots[slot].older = -1
        shard.slots[slot].newer = -1
        shard.statistics.idle -= 1
    }

    private func evict(_ shard: inout Shard, slot: Int) {
        unlinkIdle(&shard, slot: slot)
        shard.index[shard.slots[slot].key] = nil
        shard.slots[slot].instance = nil
        shard.slots[slot].key = ""
        shard.freeSlots.append(slot)
        shard.statistics.live -= 1
    }

    /// Evicts up to `limit` instances idle for longer than the timeout, oldest first. Returns
    /// whether any went.
    private func evictExpired(_ shard: inout Shard, now: ContinuousClock.Instant, limit: Int) -> Bool {
        var evicted = 0
        while evicted < limit, shard.oldest >= 0, shard.slots[shard.oldest].lastUsed + idleTimeout <= now {
            evict(&shard, slot: shard.oldest)
            evicted += 1
        }
        guard evicted > 0 else { return false }
        shard.statistics.evictedIdle += evicted
        evictedIdle.increment(by: evicted)
        return true
    }

    private func publish(_ box: ShardBox) {
        let statistics = box.state.withLock { $0.statistics }
        box.liveGauge.record(statistics.live)
        box.queuedGauge.record(statistics.queued)
    }
}

/// What an instance registry holds, for tests and metrics.
struct InstanceStatistics: Equatable, Sendable {
    /// Instances in memory.
    var live = 0
    /// Instances no handler uses or waits for.
    var idle = 0
    /// Exclusive handlers waiting for their instance.
    var queued = 0
    /// Instances dropped after the idle timeout.
    var evictedIdle = 0
    /// Idle instances dropped to make room in a full shard.
    var evictedForCapacity = 0
}

/// A hash that is the same in every process, unlike `Hasher`, so a key maps to the same shard.
enum StableHash {
    static func fnv1a(_ string: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in string.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
