import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// Server-wide bookkeeping shared by all event loops: open connections (for the connection limit
/// and for shutdown) and running handler tasks (so that shutdown can wait for them).
final class ServerTracker: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())
    /// Running handler tasks. An atomic rather than a field of `state`: it changes twice per
    /// request, and only its fall to zero needs the lock (to wake `waitUntilIdle`). A waiter reads
    /// it under the lock, so a task that ends after that read finds the waiter when it takes the
    /// lock in turn.
    private let tasks = Atomic<Int>(0)
    private let maxConnections: Int

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    /// Registers a new connection; `false` means it must be closed (limit reached or shutting down).
    func admit(_ channel: any Channel) -> Bool {
        let admitted = self.state.withLockedValue { state in
            guard !state.shuttingDown, state.connections.count < self.maxConnections else { return false }
            state.connections[ObjectIdentifier(channel)] = channel
            return true
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { _ in
            let waiters = self.state.withLockedValue { state in
                state.connections[ObjectIdentifier(channel)] = nil
                return self.takeWaitersIfIdle(&state)
            }
            for waiter in waiters { waiter.resume() }
        }
        return true
    }

    private func takeWaitersIfIdle(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard state.connections.isEmpty, self.tasks.load(ordering: .sequentiallyConsistent) == 0,
            !state.idleWaiters.isEmpty
        else { return [] }
        defer { state.idleWaiters = [] }
        return state.idleWaiters
    }

    var connectionCount: Int { self.state.withLockedValue { $0.connections.count } }

    /// A handler task is about to start.
    func taskStarted() {
        self.tasks.add(1, ordering: .sequentiallyConsistent)
    }

    /// A handler task has ended.
    func taskEnded() {
        guard self.tasks.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 else { return }
        let waiters = self.state.withLockedValue { self.takeWaitersIfIdle(&$0) }
        for waiter in waiters { waiter.resume() }
    }

    /// Refuses new connections from now on and returns the open ones.
    func beginShutdown() -> [any Channel] {
        self.state.withLockedValue { state in
            state.shuttingDown = true
            return Array(state.connections.values)
        }
    }

    var openConnections: [any Channel] { self.state.withLockedValue { Array($0.connections.values) } }

    /// Returns once no connection is open and no handler task runs.
    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = self.state.withLockedValue { state in
                if state.connections.isEmpty && self.tasks.load(ordering: .sequentiallyConsistent) == 0 {
                    return true
                }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}
