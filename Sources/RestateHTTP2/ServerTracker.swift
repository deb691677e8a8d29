import NIOConcurrencyHelpers
import NIOCore

/// Server-wide bookkeeping shared by all event loops: open connections (for the connection limit
/// and for shutdown) and running handler tasks (so that shutdown can wait for them).
final class ServerTracker: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: any Channel] = [:]
        var tasks = 0
        var shuttingDown = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []

        var isIdle: Bool { self.connections.isEmpty && self.tasks == 0 }

        mutating func takeWaitersIfIdle() -> [CheckedContinuation<Void, Never>] {
            guard self.isIdle, !self.idleWaiters.isEmpty else { return [] }
            defer { self.idleWaiters = [] }
            return self.idleWaiters
        }
    }

    private let state = NIOLockedValueBox(State())
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
                return state.takeWaitersIfIdle()
            }
            for waiter in waiters { waiter.resume() }
        }
        return true
    }

    var connectionCount: Int { self.state.withLockedValue { $0.connections.count } }

    func spawn(
        on executor: (any TaskExecutor)?,
        _ operation: @escaping @Sendable () async -> Void
    ) -> Task<Void, Never> {
        self.state.withLockedValue { $0.tasks += 1 }
        // A `nil` preference is the global concurrent executor.
        return Task(executorPreference: executor) {
            await operation()
            let waiters = self.state.withLockedValue { state in
                state.tasks -= 1
                return state.takeWaitersIfIdle()
            }
            for waiter in waiters { waiter.resume() }
        }
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
                if state.isIdle { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}
