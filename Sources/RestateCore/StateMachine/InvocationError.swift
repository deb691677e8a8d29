/// An error of the invocation state machine.
///
/// Every error except ``suspended`` ends the attempt: the state machine writes it as an
/// `ErrorMessage` (unless the stream was already closed), closes its output, and answers every
/// later call with the same error. The codes are those of `sdk-shared-core`, so that the runtime
/// and the other SDKs classify them the same way.
public struct InvocationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What the runtime should do with the invocation after this error (V7 `ErrorMessage.behavior`).
    public enum Behavior: Hashable, Sendable {
        /// Retry according to the retry policy (the only behaviour on V5/V6).
        case retry
        /// Pause the invocation until someone resumes it.
        case pause
        /// Fail the invocation at once, without retrying.
        case fail
    }

    /// The command an error relates to, reported as `ErrorMessage.related_command_*`.
    public struct RelatedCommand: Hashable, Sendable {
        /// The command index (Input is 0; notifications are not counted).
        public var index: UInt32
        /// The command's message type.
        public var type: MessageType
        /// The command's name, when it has one.
        public var name: String?

        public init(index: UInt32, type: MessageType, name: String?) {
            self.index = index
            self.type = type
            self.name = name
        }
    }

    /// The error code (HTTP-like, or one of the protocol codes 570–573, 598, 599).
    public var code: UInt16
    /// A human-readable message.
    public var message: String
    /// A stack trace or longer description, possibly empty.
    public var stacktrace: String
    /// The command this error relates to.
    public var relatedCommand: RelatedCommand?
    /// Overrides the delay before the next retry.
    public var nextRetryDelay: Duration?
    /// What the runtime should do (V7 only; always ``Behavior/retry`` on V5/V6).
    public var behavior: Behavior

    public init(
        code: UInt16,
        message: String,
        stacktrace: String = "",
        relatedCommand: RelatedCommand? = nil,
        nextRetryDelay: Duration? = nil,
        behavior: Behavior = .retry
    ) {
        self.code = code
        self.message = message
        self.stacktrace = stacktrace
        self.relatedCommand = relatedCommand
        self.nextRetryDelay = nextRetryDelay
        self.behavior = behavior
    }

    /// Whether this is the suspension signal rather than a failure: the state machine wrote a
    /// `SuspensionMessage` and closed the stream; user code must stop.
    public var isSuspended: Bool { code == InvocationError.Code.suspended }

    public var description: String {
        var text = "(\(code)) \(message)"
        if !stacktrace.isEmpty { text += "\nStacktrace: \(stacktrace)" }
        if let relatedCommand {
            text +=
                "\nRelated command: \(relatedCommand.type.name) [\(relatedCommand.name ?? String(relatedCommand.index))]"
        }
        return text
    }

    /// The codes used by the state machine.
    public enum Code {
        /// A malformed request (400).
        public static let badRequest: UInt16 = 400
        /// A generic internal error (500).
        public static let internalError: UInt16 = 500
        /// The invocation content type is missing or not supported (415).
        public static let unsupportedMediaType: UInt16 = 415
        /// The handler took a different path than the recorded journal (570).
        public static let journalMismatch: UInt16 = 570
        /// The runtime sent something the protocol does not allow here (571).
        public static let protocolViolation: UInt16 = 571
        /// A feature the negotiated protocol version does not have (573).
        public static let unsupportedFeature: UInt16 = 573
        /// The state machine was already closed (598). Internal, never sent.
        public static let closed: UInt16 = 598
        /// The invocation suspended (599). Internal, never sent.
        public static let suspended: UInt16 = 599
    }

    /// The error thrown by ``InvocationStateMachine/doProgress(_:)`` after it buffered a
    /// `SuspensionMessage`.
    public static let suspended = InvocationError(code: Code.suspended, message: "Suspended invocation")
}

extension InvocationError {
    static func protocolViolation(_ message: String) -> InvocationError {
        InvocationError(code: Code.protocolViolation, message: message)
    }

    static func internalError(_ message: String) -> InvocationError {
        InvocationError(code: Code.internalError, message: message)
    }

    static func unsupportedFeature(_ feature: String, version: ProtocolVersion, minimum: ProtocolVersion)
        -> InvocationError
    {
        InvocationError(
            code: Code.unsupportedFeature,
            message: "Feature '\(feature)' is not supported by the negotiated protocol version "
                + "'V\(version.rawValue)', the minimum required version is 'V\(minimum.rawValue)'"
        )
    }

    static func commandTypeMismatch(index: Int64, journal: MessageType, code: MessageType) -> InvocationError {
        InvocationError(
            code: Code.journalMismatch,
            message: """
                Found a mismatch between the code paths taken during the previous execution and the paths \
                taken during this execution. This typically happens when some parts of the code are \
                non-deterministic.
                 - The previous execution ran and recorded the following: '\(journal.name)' (index '\(index)')
                 - The current execution attempts to perform the following: '\(code.name)'
                """
        )
    }

    static func commandMismatch(index: Int64, type: MessageType, journal: String, code: String) -> InvocationError {
        InvocationError(
            code: Code.journalMismatch,
            message: """
                Found a mismatch between the code paths taken during the previous execution and the paths \
                taken during this execution. This typically happens when some parts of the code are \
                non-deterministic.
                 - The mismatch happened while executing '\(type.name)' (index '\(index)')
                 - Recorded in the journal: \(journal)
                 - Attempted by this execution: \(code)
                """
        )
    }

    static let inputClosedWhileWaitingEntries = InvocationError.protocolViolation(
        "The input was closed while still waiting to receive all journal to replay"
    )
    static let unexpectedInputMessage = InvocationError.protocolViolation("Expected incoming message to be an entry")
    static let unexpectedEntryMessage = InvocationError.protocolViolation(
        "Expected entry messages only when waiting replay entries"
    )
    static let knownEntriesIsZero = InvocationError.internalError("Known entries is zero, expected >= 1")
    static let emptyIdempotencyKey = InvocationError.internalError(
        "Trying to execute an idempotent request with an empty idempotency key. The idempotency key must be non-empty."
    )
    static let emptyScope = InvocationError.internalError(
        "Trying to execute a request with an empty scope. The scope must be non-empty."
    )
    static let emptyLimitKey = InvocationError.internalError(
        "Trying to execute a request with an empty limit key. The limit key must be non-empty."
    )
}
