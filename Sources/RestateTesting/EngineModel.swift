import Foundation
import NIOCore
import Restate
import RestateCore

/// A virtual object or workflow instance: the unit of state, locking and promises.
struct ObjectKey: Hashable, Sendable {
    var service: String
    var key: String
}

/// The address of an idempotent request.
struct IdempotencyKey: Hashable, Sendable {
    var service: String
    var key: String
    var handler: String
    var idempotencyKey: String
}

/// Who waits for an invocation's result inside the runtime.
enum ResultWaiter {
    /// A `CallCommand` of another invocation: answer with a call completion.
    case call(invocation: String, completionID: UInt32)
    /// An `AttachInvocationCommand`: answer with an attach completion.
    case attach(invocation: String, completionID: UInt32)
    /// A client (test API or ingress).
    case client(CheckedContinuation<InvocationOutcome, Never>)
}

/// A request to run a handler.
struct InvocationRequest: Sendable {
    var service: String
    var handler: String
    var key: String
    var input: Data
    var headers: [(String, String)] = []
    var idempotencyKey: String?
    /// Start no earlier than this (virtual milliseconds since the epoch).
    var notBefore: Int64?
}

/// One invocation and its journal. Owned by the engine actor, never shared.
final class InvocationRecord {
    enum Status {
        /// Waiting for a delayed send's time.
        case scheduled
        /// Waiting for its object's lock.
        case inboxed
        /// An attempt is running.
        case running
        /// The last attempt suspended on this; resumed when it can make progress.
        case suspended(Awaiting)
        /// The last attempt failed; the next one is scheduled.
        case backingOff
        /// Retries ran out with the pause policy (or the handler asked to pause); waits for
        /// `resume`.
        case paused
        case completed(InvocationOutcome)
    }

    /// What a suspended attempt waits for: `any` of the V5/V6 lists, or the V7 future tree.
    enum Awaiting {
        case any(completions: [UInt32], signals: [UInt32], names: [String])
        case future(Proto.Future)
    }

    let id: InvocationIdentifier
    let service: String
    let handler: String
    let key: String
    let kind: HandlerKind?
    let serviceKind: ServiceKind
    let idempotencyKey: String?
    var status: Status = .scheduled
    /// Commands and notifications in storage order; entry 0 is the input.
    var journal: [ProtocolMessage]
    /// Completion ids with a stored result, and whether that result is a failure.
    var completions: [UInt32: Bool] = [:]
    var signals: [UInt32: Bool] = [:]
    var namedSignals: [String: Bool] = [:]
    var attempt: Attempt?
    /// Attempts started, for logs and tests.
    var attemptCount = 0
    /// Retries since the journal last grew (Restate's `retry_count_since_last_stored_entry`).
    var retriesSinceLastStoredEntry: UInt32 = 0
    var lastStoredEntryAt: Int64
    var pendingOutput: InvocationOutcome?
    var waiters: [ResultWaiter] = []
    /// The invocations this one called (not one-way sends), by the completion id of the call's
    /// result; a kill reaches those whose result has not arrived.
    var callees: [(completionID: UInt32, invocation: String)] = []
    var holdsLock = false
    var createdAt: Int64
    /// The deployment of the first attempt; later attempts go there too.
    var deploymentID: String?
    /// Failed attempts since the invocation was (re)started; the retry policy counts these.
    /// Reset when it suspends or is resumed, like the invoker's retry state.
    var failedAttemptsInSession = 0
    /// The last failure, while backing off or paused.
    var lastFailure: InvocationOutcome?

    init(
        id: InvocationIdentifier,
        request: InvocationRequest,
        kind: HandlerKind?,
        serviceKind: ServiceKind,
        now: Int64
    ) {
        self.id = id
        self.service = request.service
        self.handler = request.handler
        self.key = request.key
        self.kind = kind
        self.serviceKind = serviceKind
        self.idempotencyKey = request.idempotencyKey
        self.journal = [
            .inputCommand(
                .with {
                    $0.headers = request.headers.map { header in
                        .with {
                            $0.key = header.0
                            $0.value = header.1
                        }
                    }
                    $0.value = .with { $0.content = request.input }
                }
            )
        ]
        self.lastStoredEntryAt = now
        self.createdAt = now
    }

    var objectKey: ObjectKey { ObjectKey(service: service, key: key) }

    /// Exclusive object handlers and the workflow `run` take the instance's lock.
    var needsLock: Bool { kind == .exclusive || kind == .workflow }

    var outcome: InvocationOutcome? {
        if case .completed(let outcome) = status { return outcome }
        return nil
    }

    var commandCount: Int {
        journal.reduce(0) { count, message in
            message.type.rawValue >= 0x0400 && message.type.rawValue < 0x8000 ? count + 1 : count
        }
    }

    /// Whether a suspension on `awaiting` can make progress now.
    func canResume(_ awaiting: Awaiting) -> Bool {
        switch awaiting {
        case .any(let completions, let signals, let names):
            return completions.contains { self.completions[$0] != nil }
                || signals.contains { self.signals[$0] != nil }
                || names.contains { self.namedSignals[$0] != nil }
        case .future(let future):
            return evaluate(future) != nil
        }
    }

    /// `nil` while the future is pending, else whether it failed.
    private func evaluate(_ future: Proto.Future) -> Bool? {
        var children: [Bool?] = []
        children += future.waitingCompletions.map { completions[$0] }
        children += future.waitingSignals.map { signals[$0] }
        children += future.waitingNamedSignals.map { namedSignals[$0] }
        children += future.nestedFutures.map { evaluate($0) }
        let done = children.compactMap { $0 }
        let all = done.count == children.count
        switch future.combinatorType {
        case .allCompleted:
            return all ? done.contains(true) : nil
        case .allSucceededOrFirstFailed:
            return done.contains(true) ? true : (all ? false : nil)
        case .firstSucceededOrAllFailed:
            return done.contains(false) ? false : (all ? true : nil)
        default:
            return done.first
        }
    }
}

/// One attempt: a request stream to the endpoint and the frames it answered with.
final class Attempt {
    let number: Int
    let invocation: String
    let version: ProtocolVersion
    var decoder = FrameDecoder()
    var input: AsyncStream<ByteBuffer>.Continuation
    var inputOpen = true
    /// End, Suspension or Error arrived.
    var terminated = false
    /// Always-replay: the attempt wrote its one new entry; the rest of what it says is ignored
    /// and the next attempt replays from scratch.
    var fenced = false
    /// Runtime time and wall-clock time (ms since the epoch) when the attempt started.
    var startedAt: Int64 = 0
    var startedAtWallClock: Int64 = 0
    /// The attempt's stream; cancelled when the attempt is aborted.
    var task: Task<Void, Never>?
    /// Checks the inactivity and abort timeouts.
    var watchdog: Task<Void, Never>?
    /// Whether the attempt counts as running (for `settle()` and the auto-advancing clock).
    var counted = false
    /// Wall-clock milliseconds of the last frame in either direction, of the last frame from the
    /// endpoint, and of the end of the request stream.
    var lastActivityWallClock: Int64 = 0
    var lastReceivedWallClock: Int64 = 0
    var inputClosedAtWallClock: Int64?
    /// The effective timeouts, in milliseconds.
    var inactivityTimeout: Int64 = 60_000
    var abortTimeout: Int64 = 600_000

    init(number: Int, invocation: String, version: ProtocolVersion, input: AsyncStream<ByteBuffer>.Continuation) {
        self.number = number
        self.invocation = invocation
        self.version = version
        self.input = input
    }

    func closeInput() {
        guard inputOpen else { return }
        inputOpen = false
        inputClosedAtWallClock = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        input.finish()
    }
}

/// Something due at a virtual time.
struct RuntimeTimer {
    enum Action {
        case sleep(invocation: String, completionID: UInt32)
        /// A delayed send, or the retry of a failed attempt.
        case start(invocation: String)
        case purgeWorkflow(ObjectKey, invocation: String)
        case purgeIdempotency(IdempotencyKey, invocation: String)
    }

    var fireAt: Int64
    var sequence: Int
    var action: Action
}

/// A registered deployment: where it is, and what it declared at discovery.
struct DeploymentRecord: Sendable {
    var id: String
    var transport: any EndpointTransport
    /// The manifest as discovered, to tell a re-registration with the same services.
    var manifest: Data
    var services: [String]
    var minProtocolVersion: Int
    var maxProtocolVersion: Int
    var sdkVersion: String?
    var createdAt: Date

    var address: String { transport.address }
}
