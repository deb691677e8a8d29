import Foundation

extension InvocationStateMachine {
    // MARK: Input and output

    /// Reads the invocation's input: the first operation of every handler.
    ///
    /// - Throws: 571 when called twice or before ``isReadyToExecute()``; 570 when the journal
    ///   does not start with an `InputCommandMessage`.
    public mutating func input() throws(InvocationError) -> Input {
        try guarded { (machine: inout Self) throws(InvocationError) -> Input in
            machine.journalTransition(.inputCommand, name: "")
            let message: Proto.InputCommandMessage
            do throws(InvocationError) {
                message = try machine.popJournalEntry(Proto.InputCommandMessage(), ignoringPayload: false)
            } catch {
                var error = error
                error.relatedCommand = machine.lastCommandMetadata
                throw error
            }
            guard let start = machine.start else { throw machine.unexpectedState("SysInput") }
            return Input(
                invocationID: start.debugID,
                rawInvocationID: start.id,
                randomSeed: start.randomSeed ?? DeterministicRandom.seed(fromInvocationID: start.id),
                headers: message.headers.map { Header(key: $0.key, value: $0.value) },
                body: message.hasValue ? message.value.content : Data(),
                key: start.key,
                scope: start.scope,
                limitKey: start.limitKey,
                idempotencyKey: start.idempotencyKey,
                retryCountSinceLastStoredEntry: start.retryCountSinceLastStoredEntry,
                durationSinceLastStoredEntry: .milliseconds(Int64(clamping: start.durationSinceLastStoredEntry)),
                knownEntries: start.knownEntries
            )
        }
    }

    /// Writes the handler's result (`OutputCommandMessage`); follow with ``end()``.
    ///
    /// - Throws: 573 for failure metadata on V5.
    public mutating func writeOutput(_ value: CompletionValue) throws(InvocationError) {
        try guarded { (machine: inout Self) throws(InvocationError) in
            try machine.checkMetadataSupport(value)
            var message = Proto.OutputCommandMessage()
            switch value {
            case .success(let data): message.result = .value(.with { $0.content = data })
            case .failure(let failure): message.result = .failure(failure.proto)
            }
            try machine.nonCompletableEntry(message)
        }
    }

    /// Ends the invocation with `EndMessage` and closes the output. A no-op once closed.
    public mutating func end() throws(InvocationError) {
        try guarded { (machine: inout Self) throws(InvocationError) in
            switch machine.phase {
            case .processing:
                machine.send(Proto.EndMessage(), type: .end)
                machine.closeOutput()
                machine.phase = .closed
            case .closed:
                return
            default:
                throw machine.unexpectedState("end invocation")
            }
        }
    }

    /// Ends the attempt with a retryable error (`ErrorMessage`): the runtime retries it, or on V7
    /// pauses or fails it as ``InvocationError/behavior`` says.
    public mutating func notifyError(_ error: InvocationError, relatedTo relationship: CommandRelationship? = nil) {
        if error.behavior != .retry && version < .v7 {
            let version = self.version
            _ = try? guarded { (_: inout Self) throws(InvocationError) in
                throw InvocationError.unsupportedFeature("error behavior", version: version, minimum: .v7)
            }
            return
        }
        var error = error
        if let relationship { error.relatedCommand = resolve(relationship) }
        _ = try? guarded { (_: inout Self) throws(InvocationError) in throw error }
    }

    /// Ends the attempt with a retryable error with code 500.
    public mutating func notifyError(message: String, stacktrace: String = "", nextRetryDelay: Duration? = nil) {
        notifyError(
            InvocationError(
                code: InvocationError.Code.internalError,
                message: message,
                stacktrace: stacktrace,
                nextRetryDelay: nextRetryDelay
            )
        )
    }

    func checkMetadataSupport(_ value: CompletionValue) throws(InvocationError) {
        if case .failure(let failure) = value, !failure.metadata.isEmpty {
            try requireVersion(.v6, for: "terminal error metadata")
        }
    }

    // MARK: State

    /// Reads a state key: served from the eager state when it is known locally
    /// (`GetEagerStateCommandMessage`), otherwise asked of the runtime (`GetLazyStateCommandMessage`).
    /// Takes one completion id either way.
    public mutating func getState(key: String) throws(InvocationError) -> NotificationHandle {
        try guarded { (machine: inout Self) throws(InvocationError) -> NotificationHandle in
            let completionID = machine.allocateCompletionID()
            switch machine.phase {
            case .processing:
                machine.processingFirstEntry = false
                let result: NotificationResult?
                switch machine.eagerState.get(key) {
                case .unknown: result = nil
                case .empty: result = .void(Proto.Void())
                case .value(let data): result = .value(.with { $0.content = data })
                }
                let handle = machine.results.createHandle(for: .completion(completionID))
                if let result {
                    var command = Proto.GetEagerStateCommandMessage()
                    command.key = Data(utf8: key)
                    switch result {
                    case .value(let v): command.result = .value(v)
                    default: command.result = .void(Proto.Void())
                    }
                    machine.results.insertReady(Notification(id: .completion(completionID), result: result))
                    machine.journalTransition(.getEagerStateCommand, name: "")
                    machine.send(command, type: .getEagerStateCommand)
                } else {
                    var command = Proto.GetLazyStateCommandMessage()
                    command.key = Data(utf8: key)
                    command.resultCompletionID = completionID
                    machine.journalTransition(.getLazyStateCommand, name: "")
                    machine.send(command, type: .getLazyStateCommand)
                }
                return handle
            case .replaying:
                machine.journalTransition(.getEagerStateCommand, name: "")
                do throws(InvocationError) {
                    return try machine.replayGetState(key: key, completionID: completionID)
                } catch {
                    var error = error
                    error.relatedCommand = machine.lastCommandMetadata
                    throw error
                }
            default:
                var error = machine.unexpectedState("GetState")
                error.relatedCommand = machine.resolve(.next(type: .getLazyStateCommand, name: nil))
                throw error
            }
        }
    }

    private mutating func replayGetState(key: String, completionID: UInt32) throws(InvocationError)
        -> NotificationHandle
    {
        let handle = results.createHandle(for: .completion(completionID))
        let frame = try popCommandFrame(expecting: .getLazyStateCommand)
        switch frame.type {
        case .getEagerStateCommand:
            currentEntryType = .getEagerStateCommand
            let actual = try decode(frame, as: Proto.GetEagerStateCommandMessage.self)
            var expected = Proto.GetEagerStateCommandMessage()
            expected.key = Data(utf8: key)
            expected.result = actual.result
            try checkMatch(actual, expected)
            switch actual.result {
            case .void(let v)?: results.insertReady(Notification(id: .completion(completionID), result: .void(v)))
            case .value(let v)?: results.insertReady(Notification(id: .completion(completionID), result: .value(v)))
            case nil: throw .protocolViolation("Unexpected empty value variant for get eager state.")
            }
        case .getLazyStateCommand:
            currentEntryType = .getLazyStateCommand
            let actual = try decode(frame, as: Proto.GetLazyStateCommandMessage.self)
            var expected = Proto.GetLazyStateCommandMessage()
            expected.key = Data(utf8: key)
            expected.resultCompletionID = completionID
            try checkMatch(actual, expected)
        default:
            throw .commandTypeMismatch(index: commandIndex, journal: frame.type, code: .getLazyStateCommand)
        }
        return handle
    }

    /// Lists the state keys: eagerly (`GetEagerStateKeysCommandMessage`, sorted) when the eager
    /// state is complete, otherwise lazily. Takes one completion id either way.
    public mutating func getStateKeys() throws(InvocationError) -> NotificationHandle {
        try guarded { (machine: inout Self) throws(InvocationError) -> NotificationHandle in
            let completionID = machine.allocateCompletionID()
            switch machine.phase {
            case .processing:
                machine.processingFirstEntry = false
                let handle = machine.results.createHandle(for: .completion(completionID))
                if let keys = machine.eagerState.keys() {
                    var stateKeys = Proto.StateKeys()
                    stateKeys.keys = keys.map { Data(utf8: $0) }
                    var command = Proto.GetEagerStateKeysCommandMessage()
                    command.value = stateKeys
                    machine.results.insertReady(
                        Notification(id: .completion(completionID), result: .stateKeys(stateKeys))
                    )
                    machine.journalTransition(.getEagerStateKeysCommand, name: "")
                    machine.send(command, type: .getEagerStateKeysCommand)
                } else {
                    var command = Proto.GetLazyStateKeysCommandMessage()
                    command.resultCompletionID = completionID
                    machine.journalTransition(.getLazyStateKeysCommand, name: "")
                    machine.send(command, type: .getLazyStateKeysCommand)
                }
                return handle
            case .replaying:
                machine.journalTransition(.getEagerStateKeysCommand, name: "")
                do throws(InvocationError) {
                    return try machine.replayGetStateKeys(completionID: completionID)
                } catch {
                    var error = error
                    error.relatedCommand = machine.lastCommandMetadata
                    throw error
                }
            default:
                var error = machine.unexpectedState("GetStateKeys")
                error.relatedCommand = machine.resolve(.next(type: .getLazyStateKeysCommand, name: nil))
                throw error
            }
        }
    }

    private mutating func replayGetStateKeys(completionID: UInt32) throws(InvocationError) -> NotificationHandle {
        let handle = results.createHandle(for: .completion(completionID))
        let frame = try popCommandFrame(expecting: .getLazyStateKeysCommand)
        switch frame.type {
        case .getEagerStateKeysCommand:
            currentEntryType = .getEagerStateKeysCommand
            let actual = try decode(frame, as: Proto.GetEagerStateKeysCommandMessage.self)
            var expected = Proto.GetEagerStateKeysCommandMessage()
            if actual.hasValue { expected.value = actual.value }
            try checkMatch(actual, expected)
            guard actual.hasValue else {
                throw .protocolViolation("Unexpected empty value variant for state keys.")
            }
            results.insertReady(Notification(id: .completion(completionID), result: .stateKeys(actual.value)))
        case .getLazyStateKeysCommand:
            currentEntryType = .getLazyStateKeysCommand
            let actual = try decode(frame, as: Proto.GetLazyStateKeysCommandMessage.self)
            var expected = Proto.GetLazyStateKeysCommandMessage()
            expected.resultCompletionID = completionID
            try checkMatch(actual, expected)
        default:
            throw .commandTypeMismatch(index: commandIndex, journal: frame.type, code: .getLazyStateKeysCommand)
        }
        return handle
    }

    private func checkMatch<M: JournalCommand>(_ actual: M, _ expected: M) throws(InvocationError) {
        guard actual.matches(expected, ignoringPayload: ignoresPayload) else {
            throw .commandMismatch(
                index: commandIndex,
                type: M.messageType,
                journal: actual.textFormatString(),
                code: expected.textFormatString()
            )
        }
    }

    /// Sets a state key (and the local eager view of it).
    public mutating func setState(key: String, value: Data) throws(InvocationError) {
        try guarded { (machine: inout Self) throws(InvocationError) in
            machine.eagerState.set(key, value)
            var command = Proto.SetStateCommandMessage()
            command.key = Data(utf8: key)
            command.value = .with { $0.content = value }
            try machine.nonCompletableEntry(command)
        }
    }

    /// Clears a state key (and the local eager view of it).
    public mutating func clearState(key: String) throws(InvocationError) {
        try guarded { (machine: inout Self) throws(InvocationError) in
            machine.eagerState.clear(key)
            var command = Proto.ClearStateCommandMessage()
            command.key = Data(utf8: key)
            try machine.nonCompletableEntry(command)
        }
    }

    /// Clears all state; the local eager view becomes complete and empty.
    public mutating func clearAllState() throws(InvocationError) {
        try guarded { (machine: inout Self) throws(InvocationError) in
            machine.eagerState.clearAll()
            try machine.nonCompletableEntry(Proto.ClearAllStateCommandMessage())
        }
    }

    // MARK: Timers

    /// A durable timer that fires at `wakeUpTime` (time since the UNIX epoch).
    public mutating func sleep(until wakeUpTime: Duration, name: String = "") throws(InvocationError)
        -> NotificationHandle
    {
        try guarded { (machine: inout Self) throws(InvocationError) -> NotificationHandle in
            let completionID = machine.allocateCompletionID()
            var command = Proto.SleepCommandMessage()
            command.wakeUpTime = wakeUpTime.wholeMilliseconds
            command.resultCompletionID = completionID
            command.name = name
            return try machine.completableEntry(command, completionIDs: [completionID])[0]
        }
    }

    /// A durable timer that fires `duration` after `now` (time since the UNIX epoch).
    public mutating func sleep(for duration: Duration, now: Duration, name: String = "") throws(InvocationError)
        -> NotificationHandle
    {
        try sleep(until: now + duration, name: name)
    }

    // MARK: Calls

    private func validate(_ target: CallTarget) throws(InvocationError) {
        if let key = target.idempotencyKey, key.isEmpty { throw InvocationError.emptyIdempotencyKey }
        if let scope = target.scope, scope.isEmpty { throw InvocationError.emptyScope }
        if let limitKey = target.limitKey, limitKey.isEmpty { throw InvocationError.emptyLimitKey }
        if target.scope != nil { try requireVersion(.v7, for: "scope") }
        if target.limitKey != nil { try requireVersion(.v7, for: "limit key") }
    }

    /// Calls another handler: two completion ids, the callee's invocation id then the result.
    public mutating func call(
        _ target: CallTarget,
        parameter: Data,
        name: String = ""
    ) throws(InvocationError) -> CallHandles {
        try guarded { (machine: inout Self) throws(InvocationError) -> CallHandles in
            try machine.validate(target)
            let invocationIDCompletion = machine.allocateCompletionID()
            let resultCompletion = machine.allocateCompletionID()
            var command = Proto.CallCommandMessage()
            command.serviceName = target.service
            command.handlerName = target.handler
            command.key = target.key ?? ""
            if let key = target.idempotencyKey { command.idempotencyKey = key }
            if let scope = target.scope { command.scope = scope }
            if let limitKey = target.limitKey { command.limitKey = limitKey }
            command.headers = target.headers.map { header in
                .with {
                    $0.key = header.key; $0.value = header.value
                }
            }
            command.parameter = parameter
            command.invocationIDNotificationIdx = invocationIDCompletion
            command.resultCompletionID = resultCompletion
            command.name = name
            let handles = try machine.completableEntry(
                command,
                completionIDs: [invocationIDCompletion, resultCompletion]
            )
            if case .enabled(cancelChildCalls: true, _) = machine.options.implicitCancellation {
                machine.trackedInvocationIDs.append(TrackedInvocationID(handle: handles[0], invocationID: nil))
            }
            return CallHandles(invocationID: handles[0], result: handles[1])
        }
    }

    /// Sends a one-way call; the handle resolves to the callee's invocation id.
    ///
    /// - Parameter invokeTime: when to run it, as time since the UNIX epoch; `nil` means now.
    public mutating func send(
        _ target: CallTarget,
        parameter: Data,
        invokeTime: Duration? = nil,
        name: String = ""
    ) throws(InvocationError) -> NotificationHandle {
        try guarded { (machine: inout Self) throws(InvocationError) -> NotificationHandle in
            try machine.validate(target)
            let invocationIDCompletion = machine.allocateCompletionID()
            var command = Proto.OneWayCallCommandMessage()
            command.serviceName = target.service
            command.handlerName = target.handler
            command.key = target.key ?? ""
            if let key = target.idempotencyKey { command.idempotencyKey = key }
            if let scope = target.scope { command.scope = scope }
            if let limitKey = target.limitKey { command.limitKey = limitKey }
            command.headers = target.headers.map { header in
                .with {
                    $0.key = header.key; $0.value = header.value
                }
            }
            command.parameter = parameter
            command.invokeTime = invokeTime?.wholeMilliseconds ?? 0
            command.invocationIDNotificationIdx = invocationIDCompletion
            command.name = name
            let handle = try machine.completableEntry(command, completionIDs: [invocationIDCompletion])[0]
            if case .enabled(_, cancelChildOneWayCalls: true) = machine.options.implicitCancellation {
                machine.trackedInvocationIDs.append(TrackedInvocationID(handle: handle, invocationID: nil))
            }
            return handle
        }
    }

    /// Cancels another invocation: `SendSignalCommandMessage{idx 1, void}`.
    public mutating func cancelInvocation(target invocationID: String) throws(InvocationError) {
        try guarded { (machine: inout Self) throws(InvocationError) in
            var command = Proto.SendSignalCommandMessage()
            command.targetInvocationID = invocationID
            command.signalID = .idx(1)
            command.result = .void(Proto.Void())
            try machine.nonCompletableEntry(command)
        }
    }

    /// Waits for another invocation's result.
    public mutating func attachInvocation(target: InvocationTarget) throws(InvocationError) -> NotificationHandle {
        try guarded { (machine: inout Self) throws(InvocationError) -> NotificationHandle in
            try machine.validate(target)
            let completionID = machine.allocateCompletionID()
            var command = Proto.AttachInvocationCommandMessage()
            switch target {
            case .invocationID(let id): command.target = .invocationID(id)
            case .workflow: command.target = .workflowTarget(target.workflowTarget)
            case .idempotentRequest: command.target = .idempotentRequestTarget(target.idempotentRequestTarget)
            }
            command.resultCompletionID = completionID
            return try machine.completableEntry(command, completionIDs: [completionID])[0]
        }
    }

    /// Gets another invocation's result if it finished (void otherwise).
    public mutating func getInvocationOutput(target: InvocationTarget) throws(InvocationError) -> NotificationHandle {
        try guarded { (machine: inout Self) throws(InvocationError) -> NotificationHandle in
            try machine.validate(target)
            let completionID = machine.allocateCompletionID()
            var command = Proto.GetInvocationOutputCommandMessage()
            switch target {
            case .invocationID(let id): command.target = .invocationID(id)
            case .workflow: command.target = .workflowTarget(target.workflowTarget)
            case .idempotentRequest: command.target = .idempotentRequestTarget(target.idempotentRequestTarget)
            }
            command.resultCompletionID = completionID
            return try machine.completableEntry(command, completionIDs: [completionID])[0]
        }
    }

    private func validate(_ target: InvocationTarget) throws(InvocationError) {
        switch target {
        case .workflow(_, _, let scope?), .idempotentRequest(_, _, _, _, let scope?):
            if scope.isEmpty { throw InvocationError.emptyScope }
            try requireVersion(.v7, for: "scope")
        default:
            return
        }
    }

    // MARK: Awakeables, signals, promises

    /// Creates an awakeable: the next signal index (17, 18, …) and its `sign_1…` id. No command
    /// is written.
    public mutating func awakeable() throws(InvocationError) -> Awakeable {
        let signalIndex = nextSignalIndex
        nextSignalIndex &+= 1
        let handle = try createSignalHandle(.signalIndex(signalIndex), event: "awakeable")
        return Awakeable(id: awakeableID(invocationID: start?.id ?? Data(), signalIndex: signalIndex), handle: handle)
    }

    /// Waits for the named signal `name`. No command is written.
    public mutating func signal(name: String) throws(InvocationError) -> NotificationHandle {
        try createSignalHandle(.signalName(name), event: "named awakeable")
    }

    private mutating func createSignalHandle(_ id: NotificationID, event: String) throws(InvocationError)
        -> NotificationHandle
    {
        try guarded { (machine: inout Self) throws(InvocationError) -> NotificationHandle in
            guard machine.phase == .replaying || machine.phase == .processing else {
                throw machine.unexpectedState(event)
            }
            return machine.results.createHandle(for: id)
        }
    }

    /// Completes an awakeable (`sign_1…` or legacy `prom_1…`).
    public mutating func completeAwakeable(id: String, result: CompletionValue) throws(InvocationError) {
        try guarded { (machine: inout Self) throws(InvocationError) in
            try machine.checkMetadataSupport(result)
            var command = Proto.CompleteAwakeableCommandMessage()
            command.awakeableID = id
            switch result {
            case .success(let data): command.result = .value(.with { $0.content = data })
            case .failure(let failure): command.result = .failure(failure.proto)
            }
            try machine.nonCompletableEntry(command)
        }
    }

    /// Sends the named signal `name` to another invocation.
    public mutating func completeSignal(target invocationID: String, name: String, result: CompletionValue)
        throws(InvocationError)
    {
        try guarded { (machine: inout Self) throws(InvocationError) in
            try machine.checkMetadataSupport(result)
            var command = Proto.SendSignalCommandMessage()
            command.targetInvocationID = invocationID
            command.signalID = .name(name)
            switch result {
            case .success(let data): command.result = .value(.with { $0.content = data })
            case .failure(let failure): command.result = .failure(failure.proto)
            }
            try machine.nonCompletableEntry(command)
        }
    }

    /// Waits for a workflow's durable promise.
    public mutating func getPromise(key: String) throws(InvocationError) -> NotificationHandle {
        try guarded { (machine: inout Self) throws(InvocationError) -> NotificationHandle in
            let completionID = machine.allocateCompletionID()
            var command = Proto.GetPromiseCommandMessage()
            command.key = key
            command.resultCompletionID = completionID
            return try machine.completableEntry(command, completionIDs: [completionID])[0]
        }
    }

    /// Reads a workflow's durable promise without waiting (void when not completed).
    public mutating func peekPromise(key: String) throws(InvocationError) -> NotificationHandle {
        try guarded { (machine: inout Self) throws(InvocationError) -> NotificationHandle in
            let completionID = machine.allocateCompletionID()
            var command = Proto.PeekPromiseCommandMessage()
            command.key = key
            command.resultCompletionID = completionID
            return try machine.completableEntry(command, completionIDs: [completionID])[0]
        }
    }

    /// Completes a workflow's durable promise; the handle resolves to void or a failure (e.g.
    /// already completed).
    public mutating func completePromise(key: String, result: CompletionValue) throws(InvocationError)
        -> NotificationHandle
    {
        try guarded { (machine: inout Self) throws(InvocationError) -> NotificationHandle in
            try machine.checkMetadataSupport(result)
            let completionID = machine.allocateCompletionID()
            var command = Proto.CompletePromiseCommandMessage()
            command.key = key
            switch result {
            case .success(let data): command.completion = .completionValue(.with { $0.content = data })
            case .failure(let failure): command.completion = .completionFailure(failure.proto)
            }
            command.resultCompletionID = completionID
            return try machine.completableEntry(command, completionIDs: [completionID])[0]
        }
    }

    // MARK: Run

    /// Starts a `ctx.run`: writes `RunCommandMessage`. When the journal already holds its result
    /// the handle is ``RunHandle/replayed`` and the closure must not execute; otherwise the
    /// closure is executed when ``doProgress(_:)`` answers ``Progress/executeRun(_:)``.
    public mutating func run(name: String) throws(InvocationError) -> RunHandle {
        try guarded { (machine: inout Self) throws(InvocationError) -> RunHandle in
            let completionID = machine.allocateCompletionID()
            var command = Proto.RunCommandMessage()
            command.name = name
            command.resultCompletionID = completionID
            let handle = try machine.completableEntry(command, completionIDs: [completionID])[0]
            // The result is in the journal iff a notification for it is known; in processing it
            // can only have come with the replayed prefix, as run() precedes its own proposal.
            let replayed = machine.results.contains(.completion(completionID))
            if !replayed {
                machine.runs[handle] = RunInfo(
                    commandIndex: UInt32(clamping: machine.commandIndex),
                    name: name,
                    executing: false
                )
            }
            return RunHandle(handle: handle, replayed: replayed)
        }
    }

    /// Proposes the outcome of an executed run closure.
    ///
    /// Success and terminal failure are written as `ProposeRunCompletionMessage` (with
    /// REQUESTED_ACK on V7; the handle then completes on the runtime's ack). A retryable failure
    /// consults `policy`: retrying ends the attempt with an `ErrorMessage` (code, related run
    /// command, next retry delay); exhaustion proposes a terminal failure, or pauses (V7).
    /// The attempt count starts from `StartMessage.retry_count_since_last_stored_entry` only when
    /// no command was written since the replay ended (the run's command was the last stored one).
    public mutating func proposeRunCompletion(_ handle: NotificationHandle, _ outcome: RunOutcome)
        throws(InvocationError)
    {
        try guarded { (machine: inout Self) throws(InvocationError) in
            switch outcome {
            case .terminalFailure(let failure) where !failure.metadata.isEmpty:
                try machine.requireVersion(.v6, for: "terminal error metadata")
            case .retryableFailure(_, _, _, _, let policy) where policy.pausesWhenExhausted:
                try machine.requireVersion(.v7, for: "pause")
            default:
                break
            }
            // As the reference: a proposal outside processing (e.g. after suspension) is dropped.
            guard machine.phase == .processing else { return }
            guard case .completion(let completionID)? = machine.results.id(of: handle),
                let run = machine.runs.removeValue(forKey: handle)
            else {
                throw InvocationError.internalError("No run to complete for handle \(handle)")
            }
            let result: Proto.ProposeRunCompletionMessage.OneOf_Result
            switch outcome {
            case .success(let data):
                result = .value(data)
            case .terminalFailure(let failure):
                result = .failure(failure.proto)
            case .retryableFailure(let code, let message, let stacktrace, let attemptDuration, let policy):
                var retryCount: UInt32 = 0
                var retryLoopDuration = Duration.zero
                if machine.processingFirstEntry, let start = machine.start {
                    retryCount = start.retryCountSinceLastStoredEntry
                    if retryCount != 0 {
                        retryLoopDuration = .milliseconds(Int64(clamping: start.durationSinceLastStoredEntry))
                    }
                }
                retryCount &+= 1
                retryLoopDuration += attemptDuration
                let related = InvocationError.RelatedCommand(
                    index: run.commandIndex,
                    type: .runCommand,
                    name: run.name.isEmpty ? nil : run.name
                )
                switch policy.decision(retryCount: retryCount, retryLoopDuration: retryLoopDuration) {
                case .retry(let delay):
                    throw InvocationError(
                        code: code,
                        message: message,
                        stacktrace: stacktrace,
                        relatedCommand: related,
                        nextRetryDelay: delay
                    )
                case .pause:
                    throw InvocationError(
                        code: code,
                        message: message,
                        stacktrace: stacktrace,
                        relatedCommand: related,
                        behavior: .pause
                    )
                case .failAsTerminal:
                    result = .failure(Failure(code: code, message: message).proto)
                }
            }
            if machine.version >= .v7 {
                switch result {
                case .value(let data):
                    machine.results.cacheRunCompletion(completionID, .value(.with { $0.content = data }))
                case .failure(let failure):
                    machine.results.cacheRunCompletion(completionID, .failure(failure))
                }
            }
            var proposal = Proto.ProposeRunCompletionMessage()
            proposal.resultCompletionID = completionID
            proposal.result = result
            machine.send(
                proposal,
                type: .proposeRunCompletion,
                flags: machine.version >= .v7 ? FrameHeader.requestedAck : 0
            )
        }
    }

    // MARK: Awaiting

    /// Whether the notification behind `handle` is ready to be taken.
    public func isCompleted(_ handle: NotificationHandle) -> Bool {
        guard failure == nil, phase == .replaying || phase == .processing else { return false }
        return results.isCompleted(handle)
    }

    /// Takes the value of a completed handle (`nil` when it is not completed yet).
    public mutating func takeNotification(_ handle: NotificationHandle) throws(InvocationError) -> NotificationValue? {
        let result = try guarded { (machine: inout Self) throws(InvocationError) -> NotificationResult? in
            guard machine.phase == .replaying || machine.phase == .processing else {
                throw machine.unexpectedState("TakeNotification")
            }
            return machine.results.take(handle)
        }
        guard let result else { return nil }
        let value = result.value
        if implicitCancellationEnabled, case .invocationID(let id) = value,
            let index = trackedIndex(of: handle)
        {
            trackedInvocationIDs[index].invocationID = id
        }
        return value
    }

    private func trackedIndex(of handle: NotificationHandle) -> Int? {
        // Tracked handles are appended in creation order, so they are sorted.
        var low = 0
        var high = trackedInvocationIDs.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let current = trackedInvocationIDs[mid].handle
            if current == handle { return mid }
            if current < handle { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }

    /// Tries to make progress on `future`.
    ///
    /// With implicit cancellation (the default) the cancel signal is awaited too; when it arrives,
    /// the tracked child calls are cancelled (`SendSignalCommandMessage`) and the answer is
    /// ``Progress/cancelSignalReceived``.
    ///
    /// - Throws: an error with code 599 (``InvocationError/isSuspended``) when the invocation
    ///   suspended: the `SuspensionMessage` is buffered and the output closed; user code must stop.
    ///   570 when an await cannot complete during replay.
    public mutating func doProgress(_ future: UnresolvedFuture) throws(InvocationError) -> Progress {
        guard implicitCancellationEnabled else { return try progressOrSuspend(future) }
        let progress = try progressOrSuspend(.firstCompleted([future, .single(.cancel)]))
        guard progress == .anyCompleted else { return progress }
        guard isCompleted(.cancel) else { return .anyCompleted }

        // Cancelled: first learn the invocation ids of the tracked children.
        for index in trackedInvocationIDs.indices where trackedInvocationIDs[index].invocationID == nil {
            let handle = trackedInvocationIDs[index].handle
            let idProgress = try progressOrSuspend(.single(handle))
            guard idProgress == .anyCompleted else { return idProgress }
            let value = try guarded { (machine: inout Self) throws(InvocationError) -> NotificationResult? in
                guard machine.phase == .replaying || machine.phase == .processing else {
                    throw machine.unexpectedState("CopyNotification")
                }
                return machine.results.copy(handle)
            }
            guard case .invocationID(let id)? = value else {
                return try guarded { (_: inout Self) throws(InvocationError) -> Progress in
                    throw InvocationError.protocolViolation("Expected an invocation id for handle \(handle)")
                }
            }
            trackedInvocationIDs[index].invocationID = id
        }
        let children = trackedInvocationIDs
        trackedInvocationIDs = []
        for child in children {
            try cancelInvocation(target: child.invocationID ?? "")
        }
        _ = try? takeNotification(.cancel)
        return .cancelSignalReceived
    }

    private enum ProgressOutcome {
        case progress(Progress)
        case suspended
    }

    private mutating func progressOrSuspend(_ future: UnresolvedFuture) throws(InvocationError) -> Progress {
        // Suspension is not a failure: the machine is closed, not failed, so it bypasses `guarded`'s
        // error path and is thrown only here.
        switch try guarded({ (machine: inout Self) throws(InvocationError) in try machine.progressTransition(future) })
        {
        case .progress(let progress): return progress
        case .suspended: throw InvocationError.suspended
        }
    }

    private mutating func progressTransition(_ future: UnresolvedFuture) throws(InvocationError) -> ProgressOutcome {
        switch phase {
        case .replaying:
            guard let remaining = results.tryResolve(future) else { return .progress(.anyCompleted) }
            // Awaiting something the journal cannot complete while commands are still queued
            // proves the code changed: a journal mismatch.
            let handles = remaining.handles
            var related: InvocationError.RelatedCommand?
            for handle in handles {
                if let run = runs[handle] {
                    related = .init(index: run.commandIndex, type: .runCommand, name: run.name)
                }
            }
            let awaited = handles.compactMap { results.id(of: $0) }.map { "\($0)" }.joined(separator: ", ")
            throw InvocationError(
                code: InvocationError.Code.journalMismatch,
                message: "Found a mismatch between the code paths taken during the previous execution and the "
                    + "paths taken during this execution. 'await' could not be replayed. This usually means the "
                    + "code was mutated adding an 'await' without registering a new service revision. "
                    + "Notifications awaited on this await point: \(awaited)",
                relatedCommand: related
            )
        case .processing:
            guard let remaining = results.tryResolve(future) else { return .progress(.anyCompleted) }
            let handles = remaining.handles
            // The reference picks any pending run of the set (hash-map order); the oldest one is
            // the deterministic choice.
            if let handle = handles.filter({ runs[$0]?.executing == false }).min() {
                runs[handle]?.executing = true
                return .progress(.executeRun(handle))
            }
            let waitingRunProposal = handles.contains { runs[$0]?.executing == true }
            if inputClosed {
                // A run still executing may yet produce the result: not the time to suspend.
                if waitingRunProposal {
                    return .progress(.waitingExternalProgress(waitingInput: false, waitingRunProposal: true))
                }
                suspend(on: remaining)
                return .suspended
            }
            if version >= .v7 {
                let sendHint: Bool
                switch options.awaitingOnPolicy {
                case .always: sendHint = true
                case .exceptWhileExecutingRun: sendHint = !runs.values.contains { $0.executing }
                case .never: sendHint = false
                }
                if sendHint {
                    var hint = Proto.AwaitingOnMessage()
                    hint.awaitingOn = results.wireFuture(remaining)
                    send(hint, type: .awaitingOn)
                }
            }
            return .progress(.waitingExternalProgress(waitingInput: true, waitingRunProposal: waitingRunProposal))
        default:
            throw unexpectedState("await")
        }
    }

    private mutating func suspend(on future: UnresolvedFuture) {
        let wire = results.wireFuture(future)
        if version >= .v7 {
            var message = Proto.SuspensionMessage()
            message.awaitingOn = wire
            send(message, type: .suspension)
        } else {
            send(wire.flattened(), type: .suspension)
        }
        closeOutput()
        phase = .closed
    }
}

extension InvocationStateMachine.InvocationTarget {
    fileprivate var workflowTarget: Proto.WorkflowTarget {
        var target = Proto.WorkflowTarget()
        if case .workflow(let name, let key, let scope) = self {
            target.workflowName = name
            target.workflowKey = key
            if let scope { target.scope = scope }
        }
        return target
    }

    fileprivate var idempotentRequestTarget: Proto.IdempotentRequestTarget {
        var target = Proto.IdempotentRequestTarget()
        if case .idempotentRequest(let service, let key, let handler, let idempotencyKey, let scope) = self {
            target.serviceName = service
            if let key { target.serviceKey = key }
            target.handlerName = handler
            target.idempotencyKey = idempotencyKey
            if let scope { target.scope = scope }
        }
        return target
    }
}

/// The awakeable id: `sign_1` + base64url-no-pad(invocation id ‖ u32 big-endian signal index).
func awakeableID(invocationID: Data, signalIndex: UInt32) -> String {
    var bytes = invocationID
    withUnsafeBytes(of: signalIndex.bigEndian) { bytes.append(contentsOf: $0) }
    var encoded = bytes.base64EncodedString()
    encoded = encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    while encoded.hasSuffix("=") { encoded.removeLast() }
    return "sign_1" + encoded
}
