/// The id a notification is addressed to.
enum NotificationID: Hashable, Sendable {
    case completion(UInt32)
    case signalIndex(UInt32)
    case signalName(String)

    static let cancelSignal = NotificationID.signalIndex(1)
}

typealias NotificationResult = Proto.NotificationTemplate.OneOf_Result

struct Notification: Sendable {
    var id: NotificationID
    var result: NotificationResult
}

extension NotificationResult {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }

    var value: NotificationValue {
        switch self {
        case .void: return .void
        case .value(let v): return .success(v.content)
        case .failure(let f): return .failure(Failure(f))
        case .invocationID(let id): return .invocationID(id)
        case .stateKeys(let keys): return .stateKeys(keys.keys.map { String(decoding: $0, as: UTF8.self) })
        }
    }
}

/// The notifications of one attempt and the handles that refer to them.
///
/// Notifications arrive into a FIFO (`toProcess`) and move to `ready` one at a time while a
/// future is being resolved, so that user code observes them in journal order, as the reference
/// does. Handles are dense integers from 17 (1 is the cancel signal), so the handle table is an
/// array, not a dictionary.
struct AsyncResults: Sendable {
    private var toProcess: [Notification] = []
    private var toProcessHead = 0
    /// How many entries of `toProcess` (not yet moved to `ready`) carry each id, so that
    /// ``contains(_:)`` does not scan the queue.
    private var queuedIDs: [NotificationID: Int] = [:]
    private var ready: [NotificationID: NotificationResult] = [:]
    /// V7: results proposed in this attempt, waiting for their `ProposeRunCompletionAck`.
    private var cachedRunCompletions: [UInt32: NotificationResult] = [:]

    static let firstHandle: UInt32 = 17
    private let cancelMapping: NotificationID? = .cancelSignal
    private var mapping: [NotificationID?] = []

    // MARK: Handles

    mutating func createHandle(for id: NotificationID) -> NotificationHandle {
        mapping.append(id)
        return NotificationHandle(rawValue: AsyncResults.firstHandle + UInt32(mapping.count - 1))
    }

    func id(of handle: NotificationHandle) -> NotificationID? {
        if handle == .cancel { return cancelMapping }
        guard handle.rawValue >= AsyncResults.firstHandle else { return nil }
        let index = Int(handle.rawValue - AsyncResults.firstHandle)
        return index < mapping.count ? mapping[index] : nil
    }

    private mutating func removeMapping(_ handle: NotificationHandle) {
        // The cancel handle keeps its mapping: once the cancellation was consumed, later awaits
        // still list signal 1 and are not cancelled again (what the reference wheel does; its
        // `sdk-shared-core` 7.0.0 source would drop the mapping).
        guard handle != .cancel else { return }
        guard handle.rawValue >= AsyncResults.firstHandle else { return }
        let index = Int(handle.rawValue - AsyncResults.firstHandle)
        if index < mapping.count { mapping[index] = nil }
    }

    // MARK: Notifications

    mutating func enqueue(_ notification: Notification) {
        queuedIDs[notification.id, default: 0] += 1
        toProcess.append(notification)
    }

    mutating func insertReady(_ notification: Notification) {
        ready[notification.id] = notification.result
    }

    mutating func cacheRunCompletion(_ completionID: UInt32, _ result: NotificationResult) {
        cachedRunCompletions[completionID] = result
    }

    /// Turns an ack into the notification it stands for; `false` when nothing was proposed for it.
    mutating func enqueueRunCompletionAck(_ completionID: UInt32) -> Bool {
        guard let result = cachedRunCompletions.removeValue(forKey: completionID) else { return false }
        enqueue(Notification(id: .completion(completionID), result: result))
        return true
    }

    /// Moves the oldest queued notification to `ready`; `false` when the queue is empty.
    private mutating func popQueue() -> Bool {
        guard toProcessHead < toProcess.count else { return false }
        let notification = toProcess[toProcessHead]
        toProcessHead += 1
        if toProcessHead == toProcess.count {
            toProcess.removeAll(keepingCapacity: true)
            toProcessHead = 0
        } else if toProcessHead >= 64 && toProcessHead * 2 >= toProcess.count {
            toProcess.removeFirst(toProcessHead)
            toProcessHead = 0
        }
        if let count = queuedIDs[notification.id] {
            if count <= 1 { queuedIDs[notification.id] = nil } else { queuedIDs[notification.id] = count - 1 }
        }
        ready[notification.id] = notification.result
        return true
    }

    /// Whether a notification with this id is known, ready or queued.
    func contains(_ id: NotificationID) -> Bool {
        ready[id] != nil || queuedIDs[id] != nil
    }

    func isCompleted(_ handle: NotificationHandle) -> Bool {
        // As the reference: a handle without a mapping (already taken, or unknown) counts as completed.
        guard let id = id(of: handle) else { return true }
        return ready[id] != nil
    }

    mutating func take(_ handle: NotificationHandle) -> NotificationResult? {
        guard let id = id(of: handle), let result = ready.removeValue(forKey: id) else { return nil }
        removeMapping(handle)
        return result
    }

    func copy(_ handle: NotificationHandle) -> NotificationResult? {
        guard let id = id(of: handle) else { return nil }
        return ready[id]
    }

    // MARK: Futures

    enum HandleState {
        case succeeded
        case failed
        case pending

        var isCompleted: Bool { self != .pending }
    }

    /// `nil`: some combinator completed and short-circuited the reduction.
    private func reduce(_ future: inout UnresolvedFuture) -> HandleState? {
        switch future {
        case .single(let handle):
            return state(of: handle)
        case .firstCompleted(var children), .unknown(var children):
            for index in children.indices {
                guard let state = reduce(&children[index]) else { return nil }
                if state.isCompleted { return nil }
            }
            future = future.replacingChildren(children)
            return .pending
        case .allCompleted(var children):
            var index = 0
            while index < children.count {
                guard let state = reduce(&children[index]) else { return nil }
                if state.isCompleted { children.swapRemove(at: index) } else { index += 1 }
            }
            future = .allCompleted(children)
            return children.isEmpty ? .succeeded : .pending
        case .firstSucceededOrAllFailed(var children):
            var index = 0
            while index < children.count {
                guard let state = reduce(&children[index]) else { return nil }
                switch state {
                case .succeeded: return nil
                case .failed: children.swapRemove(at: index)
                case .pending: index += 1
                }
            }
            future = .firstSucceededOrAllFailed(children)
            return children.isEmpty ? .failed : .pending
        case .allSucceededOrFirstFailed(var children):
            var index = 0
            while index < children.count {
                guard let state = reduce(&children[index]) else { return nil }
                switch state {
                case .failed: return nil
                case .succeeded: children.swapRemove(at: index)
                case .pending: index += 1
                }
            }
            future = .allSucceededOrFirstFailed(children)
            return children.isEmpty ? .succeeded : .pending
        }
    }

    private func state(of handle: NotificationHandle) -> HandleState {
        guard let id = id(of: handle), let result = ready[id] else { return .pending }
        return result.isFailure ? .failed : .succeeded
    }

    /// Resolves as much of `future` as the notifications allow, pulling queued notifications one
    /// at a time. Returns `nil` when the caller can resume user code, or the remaining (shaved)
    /// future that still waits for external input.
    mutating func tryResolve(_ future: UnresolvedFuture) -> UnresolvedFuture? {
        var future = future
        while true {
            guard let state = reduce(&future), !state.isCompleted else { return nil }
            if !popQueue() { return future }
        }
    }

    /// The wire `Future` for `future`: leaves flattened into the id lists, combinators nested.
    func wireFuture(_ future: UnresolvedFuture) -> Proto.Future {
        var wire = Proto.Future()
        let children: [UnresolvedFuture]
        switch future {
        case .single(let handle):
            wire.combinatorType = .firstCompleted
            push(handle, into: &wire)
            return wire
        case .unknown(let c):
            children = c
        case .firstCompleted(let c):
            wire.combinatorType = .firstCompleted
            children = c
        case .allCompleted(let c):
            wire.combinatorType = .allCompleted
            children = c
        case .firstSucceededOrAllFailed(let c):
            wire.combinatorType = .firstSucceededOrAllFailed
            children = c
        case .allSucceededOrFirstFailed(let c):
            wire.combinatorType = .allSucceededOrFirstFailed
            children = c
        }
        for child in children {
            if case .single(let handle) = child {
                push(handle, into: &wire)
            } else {
                wire.nestedFutures.append(wireFuture(child))
            }
        }
        return wire
    }

    private func push(_ handle: NotificationHandle, into wire: inout Proto.Future) {
        switch id(of: handle) {
        case .completion(let id): wire.waitingCompletions.append(id)
        case .signalIndex(let id): wire.waitingSignals.append(id)
        case .signalName(let name): wire.waitingNamedSignals.append(name)
        case nil: break
        }
    }
}

extension UnresolvedFuture {
    fileprivate func replacingChildren(_ children: [UnresolvedFuture]) -> UnresolvedFuture {
        switch self {
        case .single: return self
        case .firstCompleted: return .firstCompleted(children)
        case .allCompleted: return .allCompleted(children)
        case .firstSucceededOrAllFailed: return .firstSucceededOrAllFailed(children)
        case .allSucceededOrFirstFailed: return .allSucceededOrFirstFailed(children)
        case .unknown: return .unknown(children)
        }
    }
}

extension Array {
    /// Rust's `Vec::swap_remove`: O(1), moves the last element into the hole. The order matters,
    /// because the remaining tree is sent to the runtime.
    fileprivate mutating func swapRemove(at index: Int) {
        let last = count - 1
        if index != last { swapAt(index, last) }
        removeLast()
    }
}

extension Proto.Future {
    /// The V5/V6 flat lists: this node's ids first, then the nested futures', depth first.
    func flattened() -> Proto.SuspensionMessageV6 {
        var message = Proto.SuspensionMessageV6()
        func fill(_ future: Proto.Future) {
            message.waitingCompletions.append(contentsOf: future.waitingCompletions)
            message.waitingSignals.append(contentsOf: future.waitingSignals)
            message.waitingNamedSignals.append(contentsOf: future.waitingNamedSignals)
            for nested in future.nestedFutures { fill(nested) }
        }
        fill(self)
        return message
    }
}
