import Foundation
import NIOCore
import SwiftProtobuf

/// The durable-execution state machine of one invocation attempt (service protocol V5–V7).
///
/// A synchronous, message-driven value: it never awaits and never does I/O. The transport feeds
/// it the request body (``notifyInput(_:)``, ``notifyInputClosed()``) and drains the response
/// body (``takeOutput()``); the user-facing context turns each operation into a call here that
/// returns a ``NotificationHandle``, and awaits with ``doProgress(_:)``. Its behaviour, ids and
/// errors follow `restatedev/sdk-shared-core`, the state machine of the other official SDKs.
///
/// ```swift
/// var machine = try InvocationStateMachine(contentType: "application/vnd.restate.invocation.v6")
/// machine.notifyInput(requestBody)
/// machine.notifyInputClosed()
/// let input = try machine.input()
/// let sleep = try machine.sleep(until: now + .seconds(1))
/// _ = try machine.doProgress(.single(sleep))   // throws a 599 error: suspended
/// ```
///
/// Phases: waiting for `StartMessage` → waiting for the replayed entries → replaying (commands
/// are matched against the journal, nothing is written) → processing (commands are written) →
/// closed (after `EndMessage`, `SuspensionMessage` or `ErrorMessage`).
public struct InvocationStateMachine: Sendable {
    /// Behaviour switches, defaulting to those of the reference state machine.
    public struct Options: Hashable, Sendable {
        /// What happens to child invocations when this one is cancelled.
        public enum ImplicitCancellation: Hashable, Sendable {
            /// Awaits do not watch the cancel signal.
            case disabled
            /// Every await also watches the cancel signal; on cancellation the state machine
            /// cancels the tracked children and reports ``Progress/cancelSignalReceived``.
            case enabled(cancelChildCalls: Bool, cancelChildOneWayCalls: Bool)
        }

        /// What a journal mismatch asks of the runtime on V7 (always retry on V5/V6).
        public enum JournalMismatchBehavior: Hashable, Sendable {
            /// Follow the runtime's retry policy.
            case retry
            /// Pause the invocation.
            case pause
            /// Fail the invocation terminally.
            case fail
        }

        /// When to send the V7 `AwaitingOnMessage` hint while waiting for input.
        public enum AwaitingOnPolicy: Hashable, Sendable {
            /// Every time user code waits for input.
            case always
            /// The default: not while a `ctx.run` closure is executing.
            case exceptWhileExecutingRun
            /// Never.
            case never
        }

        /// Default: enabled, cancelling child calls but not one-way sends (as the reference).
        public var implicitCancellation: ImplicitCancellation
        /// Compare payload bytes (state values, call parameters, outputs…) on replay.
        public var payloadChecks: Bool
        /// `ErrorMessage.behavior` of a journal mismatch on V7. Default: retry.
        public var journalMismatchBehavior: JournalMismatchBehavior
        /// When to send `AwaitingOnMessage` on V7. Default: not while a run executes.
        public var awaitingOnPolicy: AwaitingOnPolicy

        /// Options with the reference's defaults unless overridden.

        public init(
            implicitCancellation: ImplicitCancellation = .enabled(
                cancelChildCalls: true,
                cancelChildOneWayCalls: false
            ),
            payloadChecks: Bool = true,
            journalMismatchBehavior: JournalMismatchBehavior = .retry,
            awaitingOnPolicy: AwaitingOnPolicy = .exceptWhileExecutingRun
        ) {
            self.implicitCancellation = implicitCancellation
            self.payloadChecks = payloadChecks
            self.journalMismatchBehavior = journalMismatchBehavior
            self.awaitingOnPolicy = awaitingOnPolicy
        }
    }

    /// How an error passed to ``notifyError(_:relatedTo:)`` relates to the journal.
    public enum CommandRelationship: Hashable, Sendable {
        /// The last command issued.
        case last
        /// The command about to be issued.
        case next(type: MessageType, name: String?)
        /// A given command.
        case specific(index: UInt32, type: MessageType, name: String?)
    }

    enum Phase: Equatable, Sendable {
        case waitingStart
        case waitingReplayEntries(received: UInt32)
        case replaying
        case processing
        case closed
    }

    struct StartInfo: Sendable {
        var id: Data
        var debugID: String
        var key: String
        var knownEntries: UInt32
        var retryCountSinceLastStoredEntry: UInt32
        var durationSinceLastStoredEntry: UInt64
        var randomSeed: UInt64?
        var scope: String?
        var limitKey: String?
        var idempotencyKey: String?
    }

    struct RunInfo: Sendable {
        var commandIndex: UInt32
        var name: String
        var executing: Bool
    }

    struct TrackedInvocationID: Sendable {
        var handle: NotificationHandle
        var invocationID: String?
    }

    /// The negotiated protocol version.
    public let version: ProtocolVersion
    /// The options this machine was created with.
    public let options: Options
    /// The `content-type` of the response: the request's, normalised.
    public var responseContentType: String { version.contentType }

    var phase: Phase = .waitingStart
    var failure: InvocationError?
    private var decoder = FrameDecoder()
    var inputClosed = false
    private var outputFrames: [ByteBuffer] = []
    private var outputClosed = false

    var start: StartInfo?
    var eagerState = EagerState()

    // The journal position, as the reference counts it.
    var commandIndex: Int64 = -1
    var currentEntryType: MessageType = .start
    var currentEntryName = ""
    var nextCompletionID: UInt32 = 1
    var nextSignalIndex: UInt32 = 17

    // Replay: commands are kept as undecoded frames and decoded when popped.
    var commands: [Frame] = []
    var commandCursor = 0
    var processingFirstEntry = false
    var results = AsyncResults()
    var runs: [NotificationHandle: RunInfo] = [:]
    var trackedInvocationIDs: [TrackedInvocationID] = []

    /// Creates the state machine for a request with this `content-type`.
    ///
    /// - Throws: an error with code 415 when the content type is missing or names a version
    ///   outside V5–V7; answer the request with HTTP 415.
    public init(contentType: String?, options: Options = .init()) throws(InvocationError) {
        guard let contentType else {
            throw InvocationError(
                code: InvocationError.Code.unsupportedMediaType,
                message: "Missing content type when invoking the service deployment"
            )
        }
        guard let version = ProtocolVersion(contentType: contentType) else {
            throw InvocationError(
                code: InvocationError.Code.unsupportedMediaType,
                message: "Unsupported protocol version '\(contentType)', not within [V5 to V7]"
            )
        }
        self.version = version
        self.options = options
    }

    // MARK: State

    /// Whether the machine is replaying the journal (nothing is written).
    public var isReplaying: Bool { failure == nil && phase == .replaying }
    /// Whether the machine is past the journal and writes new commands.
    public var isProcessing: Bool { failure == nil && phase == .processing }
    /// Whether the attempt is over (ended, suspended or failed).
    public var isClosed: Bool { failure != nil || phase == .closed }
    /// The index of the last command issued (−1 before the input was read).
    public var lastCommandIndex: Int64 { commandIndex }

    var implicitCancellationEnabled: Bool {
        if case .enabled = options.implicitCancellation { return true }
        return false
    }

    // MARK: Error handling

    /// Runs one transition; an error fails the machine: it is written as an `ErrorMessage` (unless
    /// the machine was already closed) and every later call throws it again.
    @inline(__always)
    mutating func guarded<T>(
        _ body: (inout InvocationStateMachine) throws(InvocationError) -> T
    ) throws(InvocationError) -> T {
        if let failure { throw failure }
        let wasClosed = phase == .closed
        do throws(InvocationError) {
            return try body(&self)
        } catch {
            throw record(error, wasClosed: wasClosed)
        }
    }

    private mutating func record(_ error: InvocationError, wasClosed: Bool) -> InvocationError {
        if let failure { return failure }
        var error = error
        if error.code == InvocationError.Code.journalMismatch && version >= .v7 {
            switch options.journalMismatchBehavior {
            case .retry: error.behavior = .retry
            case .pause: error.behavior = .pause
            case .fail: error.behavior = .fail
            }
        }
        failure = error
        if !wasClosed {
            send(error.errorMessage, type: .error)
            outputClosed = true
        }
        return error
    }

    func unexpectedState(_ event: String) -> InvocationError {
        if phase == .closed {
            return InvocationError(
                code: InvocationError.Code.closed,
                message: "State machine was closed when invoking '\(event)'"
            )
        }
        return .protocolViolation("Unexpected state '\(phase)' when invoking '\(event)'")
    }

    func requireVersion(_ minimum: ProtocolVersion, for feature: String) throws(InvocationError) {
        if version < minimum { throw .unsupportedFeature(feature, version: version, minimum: minimum) }
    }

    var lastCommandMetadata: InvocationError.RelatedCommand {
        InvocationError.RelatedCommand(
            index: UInt32(clamping: max(commandIndex, 0)),
            type: currentEntryType,
            name: currentEntryName.isEmpty ? nil : currentEntryName
        )
    }

    func resolve(_ relationship: CommandRelationship) -> InvocationError.RelatedCommand {
        switch relationship {
        case .last:
            return lastCommandMetadata
        case .next(let type, let name):
            return .init(index: UInt32(clamping: max(commandIndex, 0)) &+ 1, type: type, name: name)
        case .specific(let index, let type, let name):
            return .init(index: index, type: type, name: name)
        }
    }

    // MARK: Output

    mutating func send<M: SwiftProtobuf.Message>(_ message: M, type: MessageType, flags: UInt16 = 0) {
        guard !outputClosed else { return }
        // End goes behind the frame before it (usually the Output, with room to spare), so that a
        // one-shot invocation's output is one buffer, not two joined into a third.
        if M.self == Proto.EndMessage.self, !outputFrames.isEmpty {
            outputFrames[outputFrames.count - 1].writeFrameHeader(FrameHeader(type: type, flags: flags, length: 0))
            return
        }
        outputFrames.append(InvocationStateMachine.encodeFrame(message, type: type, flags: flags))
    }

    mutating func closeOutput() {
        outputClosed = true
    }

    static func encodeFrame<M: SwiftProtobuf.Message>(_ message: M, type: MessageType, flags: UInt16) -> ByteBuffer {
        // End has no fields: its frame is a bare header (serializing it twice cost 2.4k instructions).
        if M.self == Proto.EndMessage.self {
            var buffer = ByteBufferAllocator().buffer(capacity: FrameHeader.size)
            buffer.writeFrameHeader(FrameHeader(type: type, flags: flags, length: 0))
            return buffer
        }
        if M.self == Proto.OutputCommandMessage.self,
            let frame = HotMessageEncoding.outputFrame(message as! Proto.OutputCommandMessage, type: type, flags: flags)
        {
            return frame
        }
        if let bytes: ProtobufBytes = try? message.serializedBytes(),
            bytes.buffer.readerIndex >= FrameHeader.size
        {
            // The payload was serialized behind a reserved header: write the header in place.
            var frame = bytes.buffer
            let length = frame.readableBytes
            frame.moveReaderIndex(to: frame.readerIndex - FrameHeader.size)
            frame.setInteger(
                FrameHeader(type: type, flags: flags, length: UInt32(length)).rawValue,
                at: frame.readerIndex,
                endianness: .big
            )
            return frame
        }
        // Empty payloads (and the impossible > 2 GiB case, which protobuf refuses to encode).
        let payload = (try? message.serializedData()) ?? Data()
        var buffer = ByteBufferAllocator().buffer(capacity: FrameHeader.size + payload.count)
        buffer.writeFrameHeader(FrameHeader(type: type, flags: flags, length: UInt32(payload.count)))
        buffer.writeBytes(payload)
        return buffer
    }

    /// Takes the bytes written since the last call.
    ///
    /// Returns ``Output/closed`` once the stream is finished and everything was taken.
    public mutating func takeOutput() -> Output {
        if outputFrames.isEmpty { return outputClosed ? .closed : .none }
        if outputFrames.count == 1 {
            let frame = outputFrames[0]
            outputFrames.removeAll(keepingCapacity: true)
            return .bytes(frame)
        }
        var buffer = ByteBufferAllocator().buffer(capacity: outputFrames.reduce(0) { $0 + $1.readableBytes })
        for var frame in outputFrames { buffer.writeBuffer(&frame) }
        outputFrames.removeAll(keepingCapacity: true)
        return .bytes(buffer)
    }

    // MARK: Input

    /// Feeds the next chunk of the request body.
    ///
    /// Malformed input fails the machine (the error is then written to the output); it never traps.
    public mutating func notifyInput(_ bytes: ByteBuffer) {
        decoder.append(bytes)
        while failure == nil {
            let frame: Frame?
            do throws(WireError) {
                frame = try decoder.next()
            } catch {
                _ = try? guarded { (_: inout Self) throws(InvocationError) in
                    throw InvocationError.protocolViolation(error.description)
                }
                return
            }
            guard let frame else { return }
            do throws(InvocationError) {
                try guarded { (machine: inout Self) throws(InvocationError) in try machine.receive(frame) }
            } catch {
                return
            }
        }
    }

    /// Declares the end of the request body.
    public mutating func notifyInputClosed() {
        inputClosed = true
        _ = try? guarded { (machine: inout Self) throws(InvocationError) in
            switch machine.phase {
            case .waitingStart, .waitingReplayEntries: throw InvocationError.inputClosedWhileWaitingEntries
            case .replaying, .processing, .closed: return
            }
        }
    }

    /// Whether the journal to replay has arrived, so user code can start.
    ///
    /// - Throws: the machine's error, or 598 when it is closed.
    public func isReadyToExecute() throws(InvocationError) -> Bool {
        if let failure { throw failure }
        switch phase {
        case .waitingStart, .waitingReplayEntries: return false
        case .replaying, .processing: return true
        case .closed: throw unexpectedState("IsReadyToExecute")
        }
    }

    private mutating func receive(_ frame: Frame) throws(InvocationError) {
        let raw = frame.type.rawValue
        switch raw {
        case MessageType.start.rawValue:
            try receiveStart(try decode(frame, as: Proto.StartMessage.self))
        case 0x0400..<0x8000:
            // Unknown ids in the command range are custom entries: queued during replay, where
            // popping them fails with a journal mismatch; a protocol violation afterwards.
            guard case .waitingReplayEntries = phase else { throw InvocationError.unexpectedEntryMessage }
            commands.append(frame)
            postReceiveEntry()
        case 0x8000..<0xFC00:
            switch phase {
            case .waitingReplayEntries, .replaying, .processing:
                results.enqueue(try decodeNotification(frame))
            case .closed:
                return
            case .waitingStart:
                throw unexpectedState("NewNotificationMessage")
            }
            postReceiveEntry()
        case MessageType.proposeRunCompletionAck.rawValue:
            switch phase {
            case .processing:
                let ack = try decode(frame, as: Proto.ProposeRunCompletionAckMessage.self)
                guard results.enqueueRunCompletionAck(ack.completionID) else {
                    throw InvocationError.protocolViolation(
                        "Received a run completion ack for completion id \(ack.completionID), "
                            + "but the related run was not proposed during this attempt."
                    )
                }
            case .closed:
                return
            default:
                throw unexpectedState("NewProposeRunCompletionAckMessage")
            }
        case MessageType.suspension.rawValue, MessageType.error.rawValue, MessageType.end.rawValue,
            MessageType.proposeRunCompletion.rawValue, MessageType.awaitingOn.rawValue, 0xFC00...0xFFFF:
            throw InvocationError.unexpectedInputMessage
        default:
            throw InvocationError.internalError(
                "unknown protocol.message code 0x\(String(raw, radix: 16))"
            )
        }
    }

    private mutating func receiveStart(_ message: Proto.StartMessage) throws(InvocationError) {
        let isV7 = version >= .v7
        start = StartInfo(
            id: message.id,
            debugID: message.debugID,
            key: message.key,
            knownEntries: message.knownEntries,
            retryCountSinceLastStoredEntry: message.retryCountSinceLastStoredEntry,
            durationSinceLastStoredEntry: message.durationSinceLastStoredEntry,
            randomSeed: version >= .v6 ? message.randomSeed : nil,
            scope: isV7 && message.hasScope ? message.scope : nil,
            limitKey: isV7 && message.hasLimitKey ? message.limitKey : nil,
            idempotencyKey: isV7 && message.hasIdempotencyKey ? message.idempotencyKey : nil
        )
        var values: [String: Data?] = [:]
        values.reserveCapacity(message.stateMap.count)
        for entry in message.stateMap {
            guard let key = String(bytes: entry.key, encoding: .utf8) else {
                throw InvocationError.internalError("Cannot convert a eager state key into UTF-8 String")
            }
            values[key] = .some(entry.value)
        }
        eagerState = EagerState(isPartial: message.partialState, values: values)
        if message.knownEntries == 0 { throw InvocationError.knownEntriesIsZero }
        phase = .waitingReplayEntries(received: 0)
        commands = []
        commandCursor = 0
        results = AsyncResults()
    }

    private mutating func postReceiveEntry() {
        guard case .waitingReplayEntries(let received) = phase, let start else { return }
        let count = received + 1
        if count == start.knownEntries {
            phase = .replaying
            runs = [:]
        } else {
            phase = .waitingReplayEntries(received: count)
        }
    }

    func decode<M: SwiftProtobuf.Message>(_ frame: Frame, as: M.Type) throws(InvocationError) -> M {
        // The two messages of every invocation first go through the hand-written readers; the type
        // checks fold away where `M` is known.
        if M.self == Proto.StartMessage.self,
            let message = frame.payload.withUnsafeReadableBytes(HotMessageDecoding.startMessage)
        {
            return message as! M
        }
        if M.self == Proto.InputCommandMessage.self,
            let message = frame.payload.withUnsafeReadableBytes(HotMessageDecoding.inputCommand)
        {
            return message as! M
        }
        do {
            return try M(serializedBytes: ProtobufBytes(frame.payload), options: ProtocolMessage.decodingOptions)
        } catch {
            throw InvocationError.internalError("cannot decode protocol message type \(frame.type): \(error)")
        }
    }

    private func decodeNotification(_ frame: Frame) throws(InvocationError) -> Notification {
        let template = try decode(frame, as: Proto.NotificationTemplate.self)
        guard let id = template.id else {
            throw InvocationError.internalError("expected message type \(frame.type) to have field id")
        }
        guard let result = template.result else {
            throw InvocationError.internalError("expected message type \(frame.type) to have field result")
        }
        let notificationID: NotificationID
        switch id {
        case .completionID(let v): notificationID = .completion(v)
        case .signalID(let v): notificationID = .signalIndex(v)
        case .signalName(let v): notificationID = .signalName(v)
        }
        return Notification(id: notificationID, result: result)
    }

    // MARK: Journal

    mutating func journalTransition(_ type: MessageType, name: String) {
        commandIndex += 1
        currentEntryType = type
        currentEntryName = name
    }

    mutating func allocateCompletionID() -> UInt32 {
        defer { nextCompletionID &+= 1 }
        return nextCompletionID
    }

    /// Pops the next journaled command, which must be a `M` matching `expected`.
    mutating func popJournalEntry<M: JournalCommand>(_ expected: M, ignoringPayload: Bool) throws(InvocationError) -> M
    {
        guard phase == .replaying else { throw unexpectedState(M.messageType.name) }
        let frame = try popCommandFrame(expecting: M.messageType)
        guard frame.type == M.messageType else {
            throw .commandTypeMismatch(index: commandIndex, journal: frame.type, code: M.messageType)
        }
        let actual = try decode(frame, as: M.self)
        guard actual.matches(expected, ignoringPayload: ignoringPayload) else {
            throw .commandMismatch(
                index: commandIndex,
                type: M.messageType,
                journal: actual.textFormatString(),
                code: expected.textFormatString()
            )
        }
        return actual
    }

    /// Pops the next command frame; the phase moves to processing when it was the last one.
    mutating func popCommandFrame(expecting type: MessageType) throws(InvocationError) -> Frame {
        guard commandCursor < commands.count else {
            throw .protocolViolation(
                "The execution replay ended unexpectedly. Expecting to read '\(type.name)' from the recorded "
                    + "journal, but the buffered messages were already drained."
            )
        }
        let frame = commands[commandCursor]
        commandCursor += 1
        if commandCursor == commands.count {
            commands = []
            commandCursor = 0
            phase = .processing
            processingFirstEntry = true
        }
        return frame
    }

    /// In processing, writes `expected`; in replay, pops and checks the journaled command.
    mutating func popOrWrite<M: JournalCommand>(_ expected: M, ignoringPayload: Bool) throws(InvocationError) {
        if phase == .processing {
            processingFirstEntry = false
            send(expected, type: M.messageType)
            return
        }
        _ = try popJournalEntry(expected, ignoringPayload: ignoringPayload)
    }

    var ignoresPayload: Bool { !options.payloadChecks }

    /// A command without completion (set/clear state, output, complete awakeable, send signal).
    mutating func nonCompletableEntry<M: JournalCommand>(_ message: M) throws(InvocationError) {
        journalTransition(M.messageType, name: message.entryName)
        do throws(InvocationError) {
            try popOrWrite(message, ignoringPayload: ignoresPayload)
        } catch {
            var error = error
            error.relatedCommand = lastCommandMetadata
            throw error
        }
    }

    /// A command whose results arrive as completions with these ids.
    mutating func completableEntry<M: JournalCommand>(
        _ message: M,
        completionIDs: [UInt32]
    ) throws(InvocationError) -> [NotificationHandle] {
        journalTransition(M.messageType, name: message.entryName)
        do throws(InvocationError) {
            try popOrWrite(message, ignoringPayload: ignoresPayload)
        } catch {
            var error = error
            error.relatedCommand = lastCommandMetadata
            throw error
        }
        return completionIDs.map { results.createHandle(for: .completion($0)) }
    }
}

extension InvocationError {
    var errorMessage: Proto.ErrorMessage {
        var message = Proto.ErrorMessage()
        message.code = UInt32(code)
        message.message = self.message
        message.stacktrace = stacktrace
        if let relatedCommand {
            message.relatedCommandIndex = relatedCommand.index
            if let name = relatedCommand.name, !name.isEmpty { message.relatedCommandName = name }
            message.relatedCommandType = UInt32(relatedCommand.type.rawValue)
        }
        if let nextRetryDelay { message.nextRetryDelay = nextRetryDelay.wholeMilliseconds }
        switch behavior {
        case .retry: message.behavior = .retry
        case .pause: message.behavior = .pause
        case .fail: message.behavior = .fail
        }
        return message
    }
}

/// The state the runtime sent eagerly in `StartMessage`, kept up to date by set/clear.
struct EagerState: Sendable {
    enum Lookup {
        /// Not known locally: ask the runtime.
        case unknown
        case empty
        case value(Data)
    }

    var isPartial = true
    /// `nil` value: known to be absent (cleared).
    var values: [String: Data?] = [:]

    func get(_ key: String) -> Lookup {
        if let entry = values[key] {
            if let value = entry { return .value(value) }
            return .empty
        }
        return isPartial ? .unknown : .empty
    }

    /// The keys, sorted bytewise as the reference sorts them; `nil` when the map is partial.
    func keys() -> [String]? {
        guard !isPartial else { return nil }
        // As the reference: cleared keys stay in the map (as absent) and are listed.
        return values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    mutating func set(_ key: String, _ value: Data) { values[key] = .some(value) }
    mutating func clear(_ key: String) { values[key] = .some(nil) }
    mutating func clearAll() {
        values.removeAll()
        isPartial = false
    }
}
