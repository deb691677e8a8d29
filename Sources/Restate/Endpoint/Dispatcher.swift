import Foundation
import Metrics
import Synchronization

/// Admits invocation attempts: bounds how many run at once per shard, and fences stale attempts.
///
/// An attempt goes to shard `hash(invocation id) % shardCount`, so every attempt of one invocation
/// meets the same shard. When Restate starts a new attempt of an invocation whose previous attempt
/// still runs here (the runtime lost the old connection and retried), the old attempt is
/// cancelled and awaited before the new one starts: two attempts never write interleaved journals.
/// A full shard refuses new attempts instead of queueing them without bound; the endpoint answers
/// 503 and Restate retries later.
final class Dispatcher: Sendable {
    struct Attempt: Sendable {
        let token: UInt64
        let cancel: @Sendable () -> Void
    }

    private struct Shard: ~Copyable {
        var running: [String: Attempt] = [:]
        var waiting: [UInt64: [CheckedContinuation<Void, Never>]] = [:]
        var inFlight = 0
        var nextToken: UInt64 = 0
    }

    private final class ShardBox: Sendable {
        let state = Mutex(Shard())
        let inFlightGauge: Gauge

        init(index: Int) {
            inFlightGauge = Gauge(label: "restate.shard.in_flight", dimensions: [("shard", String(index))])
        }
    }

    private let shards: [ShardBox]
    private let capacityPerShard: Int
    private let rejected = Counter(label: "restate.invocations.rejected")
    private let fenced = Counter(label: "restate.invocations.fenced")
    private let nextAnonymous = Atomic<Int>(0)

    init(shardCount: Int, capacityPerShard: Int) {
        shards = (0..<max(1, shardCount)).map(ShardBox.init(index:))
        self.capacityPerShard = max(1, capacityPerShard)
    }

    /// A ticket for a running attempt; release it when the attempt ends.
    struct Ticket: Sendable {
        fileprivate let shard: Int
        fileprivate let invocationID: String?
        fileprivate let token: UInt64
    }

    /// Admits an attempt, first cancelling and awaiting a still-running attempt of the same
    /// invocation. Returns `nil` when the shard is full.
    func admit(invocationID: String?, cancel: @escaping @Sendable () -> Void) async -> Ticket? {
        // Without an id there is nothing to fence: any shard will do, in turn (a counter rather
        // than `Int.random`, which reads the system's entropy source on every call).
        let index =
            invocationID.map { Int(StableHash.fnv1a($0) % UInt64(shards.count)) }
            ?? Int(UInt(bitPattern: nextAnonymous.wrappingAdd(1, ordering: .relaxed).oldValue) % UInt(shards.count))
        let box = shards[index]
        while true {
            enum Step {
                case admitted(Ticket, inFlight: Int)
                case full
                case fence(Attempt)
            }
            let step: Step = box.state.withLock { shard in
                if let invocationID, let stale = shard.running[invocationID] { return .fence(stale) }
                guard shard.inFlight < capacityPerShard else { return .full }
                shard.inFlight += 1
                shard.nextToken += 1
                let token = shard.nextToken
                if let invocationID { shard.running[invocationID] = Attempt(token: token, cancel: cancel) }
                return .admitted(
                    Ticket(shard: index, invocationID: invocationID, token: token),
                    inFlight: shard.inFlight
                )
            }
            switch step {
            case .admitted(let ticket, let inFlight):
                box.inFlightGauge.record(inFlight)
                return ticket
            case .full:
                rejected.increment()
                return nil
            case .fence(let stale):
                fenced.increment()
                stale.cancel()
                await withCheckedContinuation { continuation in
                    let stillRunning = box.state.withLock { shard in
                        guard let invocationID, shard.running[invocationID]?.token == stale.token else { return false }
                        shard.waiting[stale.token, default: []].append(continuation)
                        return true
                    }
                    if !stillRunning { continuation.resume() }
                }
            }
        }
    }

    /// Ends an attempt and lets a fenced successor start.
    func release(_ ticket: Ticket) {
        let box = shards[ticket.shard]
        let (waiters, inFlight) = box.state.withLock { shard in
            shard.inFlight -= 1
            if let id = ticket.invocationID, shard.running[id]?.token == ticket.token {
                shard.running[id] = nil
            }
            return (shard.waiting.removeValue(forKey: ticket.token) ?? [], shard.inFlight)
        }
        box.inFlightGauge.record(inFlight)
        for waiter in waiters { waiter.resume() }
    }
}
