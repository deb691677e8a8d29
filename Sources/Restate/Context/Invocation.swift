import Foundation
import NIOCore
import RestateCore
import Synchronization

/// Where an invocation writes the frames its state machine produces.
///
/// The endpoint adapts each transport's response stream to this; tests use an in-memory one.
public protocol InvocationOutputWriter: Sendable {
    /// Writes one chunk of the response body; suspends while the transport is not drained.
    func write(_ bytes: ByteBuffer) async throws
    /// Sends whatever the writer holds back (such as a response head it sends with the first
    /// frames), because the handler is about to wait for Restate.
    func commit() async throws
}

extension InvocationOutputWriter {
    public func commit() async throws {}
}

/// One attempt of one invocation, as seen by its handler: the state machine, the run closures
/// waiting to execute, and the deterministic random generator.
///
/// Contexts are thin views over an `Invocation`. Every operation takes the state machine's lock
/// briefly; the only other party is the task that feeds it request bytes, so the lock is
/// uncontended in the common case and never held across an `await`.
public final class Invocation: Sendable {
    struct State: ~Copyable {
        var machine: InvocationStateMachine
        var runs: [NotificationHandle: PendingRun] = [:]
        var runTasks: [NotificationHandle: Task<Void, Never>] = [:]
        var random: DeterministicRandom?
        /// Results taken from the state machine, kept so that futures can look at them before
        /// resolving and be awaited more than once.
        var results: [NotificationHandle: NotificationValue] = [:]
        var waiter: CheckedContinuation<Void, Never>?
        var pendingWakeup = false
        var inputEnded = false
        var request = Request(invocationID: "")
    }

    /// A `ctx.run` closure registered while the handler built its future, executed when the
    /// state machine asks for it.
    struct PendingRun: Sendable {
        var name: String
        var policy: RunRetryPolicy
        var body: @Sendable () async throws -> Data
    }

    private let state: Mutex<State>
    private let writer: any InvocationOutputWriter

    /// Metadata of the request that started this invocation.
    public var request: Request { state.withLock { $0.request } }

    init(machine: consuming InvocationStateMachine, writer: any InvocationOutputWriter) {
        self.state = Mutex(State(machine: machine))
        self.writer = writer
    }

    /// Waits until the state machine has the whole replay journal.
    ///
    /// - Throws: when the input ends before the journal is complete or is malformed; the state
    ///   machine has then written the error.
    func waitUntilReady() async throws {
        while true {
            if try machineCall({ try $0.isReadyToExecute() }) { return }
            if Task.isCancelled { throw CancellationError() }
            await waitForProgress()
        }
    }

    /// Reads the input command: the handler's payload and the request metadata.
    func start() throws -> InvocationStateMachine.Input {
        try state.withLock { state in
            let input: InvocationStateMachine.Input
            do {
                input = try state.machine.input()
            } catch let error as InvocationError {
                throw InvocationAttemptError(error)
            }
            var headers: [String: String] = [:]
            for header in input.headers { headers[header.key.lowercased()] = header.value }
            state.request = Request(
                invocationID: input.invocationID,
                headers: headers,
                key: input.key,
                idempotencyKey: input.idempotencyKey,
                scope: input.scope,
                limitKey: input.limitKey,
                body: input.body,
                randomSeed: input.randomSeed
            )
            return input
        }
    }

    /// Ends the attempt with a retryable error: Restate retries it, after `retryAfter` if given.
    func fail(code: UInt16, message: String, retryAfter: Duration?) {
        state.withLock { state in
            state.machine.notifyError(InvocationError(code: code, message: message, nextRetryDelay: retryAfter))
        }
    }

    // MARK: Driving the state machine

    /// Whether `handle` has completed (its value can be taken without waiting).
    func isCompleted(_ handle: NotificationHandle) -> Bool {
        state.withLock { $0.machine.isCompleted(handle) }
    }

    /// Feeds request bytes and wakes the handler if it is waiting for them.
    func receivedInput(_ bytes: ByteBuffer) {
        state.withLock { $0.machine.notifyInput(bytes) }
        wakeUp()
    }

    /// Marks the end of the request body, whether it ended cleanly or the stream failed: either
    /// way no more notifications come, so awaits suspend.
    func receivedEndOfInput() {
        state.withLock { state in
            state.machine.notifyInputClosed()
            state.inputEnded = true
        }
        wakeUp()
    }

    /// Returns once the request body has ended (or the task is cancelled).
    func waitForEndOfInput() async {
        while !state.withLock({ $0.inputEnded }), !Task.isCancelled {
            await waitForProgress()
        }
    }

    /// Resumes the handler's pending wait, or remembers the wakeup if it is not waiting yet.
    func wakeUp() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pendingWakeup = true
            return nil
        }
        waiter?.resume()
    }

    /// Waits until input arrives, the input closes or a run finishes. Returns at once when the
    /// task is cancelled, so a reset stream never leaves the handler hanging.
    func waitForProgress() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.pendingWakeup || Task.isCancelled {
                        state.pendingWakeup = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            wakeUp()
        }
    }

    /// Everything the state machine has produced and nobody has written yet, as one buffer.
    func takeOutput() -> ByteBuffer {
        state.withLock { state in
            guard case .bytes(var all) = state.machine.takeOutput() else { return ByteBuffer() }
            while case .bytes(var more) = state.machine.takeOutput() { all.writeBuffer(&more) }
            return all
        }
    }

    /// Writes everything the state machine has produced so far.
    func flush() async throws {
        while true {
            let output = state.withLock { $0.machine.takeOutput() }
            guard case .bytes(let bytes) = output else { return }
            try await writer.write(bytes)
        }
    }

    /// Blocks the handler until `future` can make progress, executing `ctx.run` closures the state
    /// machine asks for.
    ///
    /// - Throws: ``TerminalError/cancelled`` when the invocation is cancelled, ``Suspended`` when
    ///   it must suspend, and the state machine's error when the attempt cannot continue.
    func awaitFuture(_ future: UnresolvedFuture) async throws {
        while true {
            let progress = try machineCall { try $0.doProgress(future) }
            try await flush()
            switch progress {
            case .anyCompleted:
                return
            case .cancelSignalReceived:
                throw TerminalError.cancelled
            case .executeRun(let handle):
                startRun(handle)
            case .waitingExternalProgress:
                if Task.isCancelled { throw CancellationError() }
                try await writer.commit()
                await waitForProgress()
            }
        }
    }

    /// Runs a state-machine operation, translating its errors for user code: a suspension becomes
    /// ``Suspended``, anything else an ``InvocationAttemptError`` that ends the attempt.
    func machineCall<R>(_ body: (inout InvocationStateMachine) throws -> R) throws -> R {
        try state.withLock { state throws in
            do {
                return try body(&state.machine)
            } catch let error as InvocationError {
                throw Self.userError(error)
            }
        }
    }

    private static func userError(_ error: InvocationError) -> any Error {
        error.isSuspended ? Suspended() : InvocationAttemptError(error)
    }

    /// The wall-clock time as the state machine wants it: time since the UNIX epoch.
    static func now() -> Duration {
        .milliseconds(Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// The value of `handle` if it has completed, `nil` if not yet. The first look takes the value
    /// from the state machine (which forgets it) and keeps it here.
    func peekValue(_ handle: NotificationHandle) throws -> NotificationValue? {
        try state.withLock { (state: inout State) throws -> NotificationValue? in
            if let value = state.results[handle] { return value }
            guard state.machine.isCompleted(handle) else { return nil }
            let taken: NotificationValue?
            do {
                taken = try state.machine.takeNotification(handle)
            } catch let error as InvocationError {
                throw Self.userError(error)
            }
            guard let value = taken else { return nil }
            state.results[handle] = value
            return value
        }
    }

    /// The value of a handle that has completed.
    func completedValue(_ handle: NotificationHandle) throws -> NotificationValue {
        guard let value = try peekValue(handle) else {
            throw InvocationFailure.internal("notification \(handle) read before it completed")
        }
        return value
    }

    // MARK: Runs

    func registerRun(_ handle: NotificationHandle, _ run: PendingRun) {
        state.withLock { $0.runs[handle] = run }
    }

    private func startRun(_ handle: NotificationHandle) {
        state.withLock { state in
            guard state.runTasks[handle] == nil, let run = state.runs.removeValue(forKey: handle) else { return }
            state.runTasks[handle] = Task { [self] in
                let started = ContinuousClock.now
                let result: InvocationStateMachine.RunOutcome
                do {
                    result = .success(try await RunContext.$isInsideRun.withValue(true) { try await run.body() })
                } catch {
                    // A TerminalError, a TerminalErrorConvertible or what the service maps is the
                    // run's journaled failure; anything else is retried per the policy.
                    if let terminal = ErrorMapping.terminalError(for: error) {
                        result = .terminalFailure(Failure(terminal))
                    } else {
                        result = .retryableFailure(
                            code: (error as? RetryableError)?.code ?? 500,
                            message: String(describing: error),
                            stacktrace: "",
                            attemptDuration: ContinuousClock.now - started,
                            policy: run.policy.machinePolicy
                        )
                    }
                }
                self.state.withLock { state in
                    state.runTasks[handle] = nil
                    // A closed machine (suspended, failed) has nothing to propose to; ignore.
                    _ = try? state.machine.proposeRunCompletion(handle, result)
                }
                self.wakeUp()
            }
        }
    }

    /// Cancels run closures still executing; called when the attempt ends.
    func cancelRuns() {
        let tasks = state.withLock { state in
            defer { state.runTasks.removeAll() }
            return Array(state.runTasks.values)
        }
        for task in tasks { task.cancel() }
    }

    // MARK: Random

    func withRandom<R>(_ body: (inout DeterministicRandom) -> R) -> R {
        state.withLock { state in
            if state.random == nil { state.random = DeterministicRandom(seed: state.request.randomSeed) }
            return body(&state.random!)
        }
    }
}

/// Marks code running inside a `ctx.run` closure, where using the context is a bug: the closure's
/// effects are journaled as one result, so context calls inside it would not be replayed.
enum RunContext {
    @TaskLocal static var isInsideRun = false

    /// What using the context inside a `ctx.run` closure throws.
    static var misuse: TerminalError {
        TerminalError(
            "The context cannot be used inside ctx.run: the closure's effects are journaled as one result",
            code: 500
        )
    }
}

/// Thrown through user code when the invocation suspends: the state machine has already written
/// the suspension, and the attempt ends without output. Do not catch it.
public struct Suspended: Error, Sendable, CustomStringConvertible {
    public var description: String {
        "The invocation suspended; Restate resumes it when what it awaits completes. Do not catch this error."
    }
}

/// The state machine refused an operation (journal mismatch, protocol violation, …). It has
/// already written the `ErrorMessage` that ends the attempt; Restate retries it.
public struct InvocationAttemptError: Error, Sendable, CustomStringConvertible {
    /// The underlying state-machine error.
    public let underlying: InvocationError

    init(_ underlying: InvocationError) {
        self.underlying = underlying
    }

    public var description: String { String(describing: underlying) }
}

/// An error of the invocation machinery itself, not of user code.
enum InvocationFailure: Error, CustomStringConvertible {
    case `internal`(String)

    var description: String {
        switch self {
        case .internal(let message): return "Internal SDK error: \(message)"
        }
    }
}

extension Failure {
    init(_ error: TerminalError) {
        self.init(
            code: error.code,
            message: error.message,
            metadata: error.metadata.sorted { $0.key < $1.key }.map { Metadata(key: $0.key, value: $0.value) }
        )
    }
}
