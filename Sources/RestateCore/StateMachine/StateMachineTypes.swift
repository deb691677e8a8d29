import Foundation
import NIOCore

/// An opaque reference to a future result (a notification) of the invocation.
///
/// Handles are small integers handed out by the state machine; user code passes them back to
/// ``InvocationStateMachine/doProgress(_:)``, ``InvocationStateMachine/isCompleted(_:)`` and
/// ``InvocationStateMachine/takeNotification(_:)``.
public struct NotificationHandle: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The raw handle value.
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// The handle of the built-in cancel signal (signal index 1).
    public static let cancel = NotificationHandle(rawValue: 1)

    public static func < (lhs: NotificationHandle, rhs: NotificationHandle) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}

/// What user code awaits: one handle, or a combinator tree of handles.
///
/// The combinators follow the JavaScript promise combinators; on V7 the tree is sent to the
/// runtime as a `Future` when the invocation suspends.
public indirect enum UnresolvedFuture: Hashable, Sendable {
    /// One handle.
    case single(NotificationHandle)
    /// Completes when any child completes, with success or failure (`Promise.race`).
    case firstCompleted([UnresolvedFuture])
    /// Completes when every child completed (`Promise.allSettled`).
    case allCompleted([UnresolvedFuture])
    /// Completes on the first success, or when all children failed (`Promise.any`).
    case firstSucceededOrAllFailed([UnresolvedFuture])
    /// Completes when all children succeeded, or on the first failure (`Promise.all`).
    case allSucceededOrFirstFailed([UnresolvedFuture])
    /// A combinator only the SDK can evaluate (e.g. a mapped future); it completes, as far as the
    /// state machine is concerned, when any child completes.
    case unknown([UnresolvedFuture])

    /// Every handle in the tree, depth first.
    public var handles: [NotificationHandle] {
        var result: [NotificationHandle] = []
        collectHandles(into: &result)
        return result
    }

    private func collectHandles(into result: inout [NotificationHandle]) {
        switch self {
        case .single(let handle): result.append(handle)
        case .firstCompleted(let children), .allCompleted(let children), .firstSucceededOrAllFailed(let children),
            .allSucceededOrFirstFailed(let children), .unknown(let children):
            for child in children { child.collectHandles(into: &result) }
        }
    }
}

/// A terminal failure: the code and message a caller sees.
public struct Failure: Hashable, Sendable {
    /// One metadata entry (V6+).
    public struct Metadata: Hashable, Sendable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The HTTP-like failure code.
    public var code: UInt16
    /// The failure message.
    public var message: String
    /// Metadata entries, in order. Requires protocol V6.
    public var metadata: [Metadata]

    public init(code: UInt16, message: String, metadata: [Metadata] = []) {
        self.code = code
        self.message = message
        self.metadata = metadata
    }

    init(_ proto: Proto.Failure) {
        self.code = UInt16(truncatingIfNeeded: proto.code)
        self.message = proto.message
        self.metadata = proto.metadata.map { Metadata(key: $0.key, value: $0.value) }
    }

    var proto: Proto.Failure {
        var failure = Proto.Failure()
        failure.code = UInt32(code)
        failure.message = message
        failure.metadata = metadata.map { entry in
            var m = Proto.FailureMetadata()
            m.key = entry.key
            m.value = entry.value
            return m
        }
        return failure
    }
}

/// The value of a completed notification.
public enum NotificationValue: Hashable, Sendable {
    /// Completed without a value (e.g. a sleep, an absent state key, a not-yet-completed peek).
    case void
    /// Completed with a value.
    case success(Data)
    /// Completed with a terminal failure.
    case failure(Failure)
    /// The keys of the state (sorted when served eagerly).
    case stateKeys([String])
    /// The invocation id of a call or send.
    case invocationID(String)
}

/// A success or a terminal failure, as written by output, promises, awakeables and signals.
public enum CompletionValue: Hashable, Sendable {
    /// A successful value.
    case success(Data)
    /// A terminal failure.
    case failure(Failure)
}

extension InvocationStateMachine {
    /// A request header or a call header.
    public struct Header: Hashable, Sendable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The two handles of a call: the callee's invocation id, then its result.
    public struct CallHandles: Hashable, Sendable {
        /// Resolves to ``NotificationValue/invocationID(_:)``.
        public var invocationID: NotificationHandle
        /// Resolves to the call's result.
        public var result: NotificationHandle
    }

    /// An awakeable: the id to hand out and the handle to await.
    public struct Awakeable: Hashable, Sendable {
        /// `sign_1…`, to be completed from elsewhere.
        public var id: String
        /// Resolves when the awakeable is completed.
        public var handle: NotificationHandle
    }

    /// A `ctx.run` handle.
    public struct RunHandle: Hashable, Sendable {
        /// Resolves to the run's durable result.
        public var handle: NotificationHandle
        /// `true` when the result is already in the journal: the closure must not execute.
        public var replayed: Bool
    }

    /// The service, handler and routing of a call or send.
    public struct CallTarget: Hashable, Sendable {
        public var service: String
        public var handler: String
        /// The virtual-object or workflow key.
        public var key: String?
        /// Must be non-empty when set.
        public var idempotencyKey: String?
        public var headers: [Header]
        /// V7 only; must be non-empty when set.
        public var scope: String?
        /// V7 only; must be non-empty when set.
        public var limitKey: String?

        public init(
            service: String,
            handler: String,
            key: String? = nil,
            idempotencyKey: String? = nil,
            headers: [Header] = [],
            scope: String? = nil,
            limitKey: String? = nil
        ) {
            self.service = service
            self.handler = handler
            self.key = key
            self.idempotencyKey = idempotencyKey
            self.headers = headers
            self.scope = scope
            self.limitKey = limitKey
        }
    }

    /// The invocation to attach to, or whose output to get.
    public enum InvocationTarget: Hashable, Sendable {
        /// By invocation id (`inv_1…`).
        case invocationID(String)
        /// A workflow run by name and key.
        case workflow(name: String, key: String, scope: String? = nil)
        /// An idempotent request.
        case idempotentRequest(
            service: String,
            key: String?,
            handler: String,
            idempotencyKey: String,
            scope: String? = nil
        )
    }

    /// The outcome of a `ctx.run` closure, proposed with ``InvocationStateMachine/proposeRunCompletion(_:_:)``.
    public enum RunOutcome: Hashable, Sendable {
        /// The closure returned a value.
        case success(Data)
        /// The closure threw a terminal error.
        case terminalFailure(Failure)
        /// The closure threw a retryable error; the policy decides between retrying the attempt,
        /// failing the run terminally, or pausing.
        case retryableFailure(
            code: UInt16,
            message: String,
            stacktrace: String,
            attemptDuration: Duration,
            policy: RetryPolicy
        )
    }

    /// What ``InvocationStateMachine/doProgress(_:)`` asks the caller to do next.
    public enum Progress: Hashable, Sendable {
        /// The future (or some part of it) completed: take the notifications.
        case anyCompleted
        /// Nothing can progress without more input or a run proposal.
        case waitingExternalProgress(waitingInput: Bool, waitingRunProposal: Bool)
        /// Execute the closure of this run, then propose its outcome.
        case executeRun(NotificationHandle)
        /// The invocation was cancelled; user code should raise 409 "cancelled".
        case cancelSignalReceived
    }

    /// Output bytes for the response stream.
    public enum Output: Sendable {
        /// Frames to write.
        case bytes(ByteBuffer)
        /// Nothing to write now.
        case none
        /// The stream is finished; close the response.
        case closed
    }

    /// The invocation's input and metadata, returned by ``InvocationStateMachine/input()``.
    public struct Input: Hashable, Sendable {
        /// The printable invocation id (`inv_1…`).
        public var invocationID: String
        /// The raw invocation id bytes from `StartMessage.id`.
        public var rawInvocationID: Data
        /// The deterministic random seed (`StartMessage.random_seed` on V6+, derived from the id on V5).
        public var randomSeed: UInt64
        /// The request headers.
        public var headers: [Header]
        /// The request body.
        public var body: Data
        /// The virtual-object or workflow key; empty for services.
        public var key: String
        /// V7 only.
        public var scope: String?
        /// V7 only.
        public var limitKey: String?
        /// V7 only.
        public var idempotencyKey: String?
        /// `StartMessage.retry_count_since_last_stored_entry`.
        public var retryCountSinceLastStoredEntry: UInt32
        /// `StartMessage.duration_since_last_stored_entry`.
        public var durationSinceLastStoredEntry: Duration
        /// The journal entries Restate sent with the start, the input among them: more than one
        /// means this attempt replays.
        public var knownEntries: UInt32
    }
}
