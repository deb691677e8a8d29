import Foundation
import NIOCore
import Restate
import RestateCore

/// The runtime's brain: invocations, journals, state, promises, locks and timers.
///
/// An actor, so every decision is taken in one place, in order. Attempts run in their own tasks
/// and report back frame by frame; the engine answers on the attempt's request stream.
actor Engine {
    /// The services of all registered deployments.
    private(set) var registry = Registry()
    private var deployments: [String: DeploymentRecord] = [:]
    private var deploymentOrder: [String] = []
    /// Transports replaced by a forced re-registration: attempts pinned to them may still run.
    private var retiredTransports: [any EndpointTransport] = []
    let configuration: TestRuntime.Configuration

    private var records: [String: InvocationRecord] = [:]
    private var byRawID: [Data: String] = [:]
    private var attempts: [Int: Attempt] = [:]
    private var attemptSequence = 0
    private var invocationSequence: UInt64 = 0

    private var state: [ObjectKey: [String: Data]] = [:]
    private var promises: [ObjectKey: [String: InvocationOutcome]] = [:]
    private var promiseWaiters: [ObjectKey: [String: [(invocation: String, completionID: UInt32)]]] = [:]
    private var locks: [ObjectKey: String] = [:]
    private var inboxes: [ObjectKey: [String]] = [:]
    private var workflowRuns: [ObjectKey: String] = [:]
    private var idempotent: [IdempotencyKey: String] = [:]

    private var timers: [RuntimeTimer] = []
    private var timerSequence = 0
    private var virtualNow: Int64
    private var runningAttempts = 0
    private var clientWaiters = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var wallClockTasks: [Task<Void, Never>] = []
    private var isShutDown = false

    init(configuration: TestRuntime.Configuration) {
        self.configuration = configuration
        self.virtualNow = Self.wallClockMilliseconds()
    }

    static func wallClockMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    // MARK: Deployments

    enum RegistrationResult {
        /// A new deployment (Restate answers 201).
        case created
        /// The same address with the same manifest was registered before (200).
        case unchanged
        /// The same address, re-registered with `force` (200).
        case overwritten
    }

    /// Adds a deployment and its services, as Restate's schema registry does: a service that
    /// another deployment registered moves to the new one with the next revision; in-flight
    /// invocations stay on the deployment they started on.
    ///
    /// - Throws: ``TestRuntimeError`` 409 when the address is registered with other services (and
    ///   `force` is off) or a service would change its kind; 500 when the protocol versions do
    ///   not overlap.
    func register(
        _ discovered: Registry,
        manifest: Data,
        transport: any EndpointTransport,
        sdkVersion: String?,
        force: Bool
    ) throws(TestRuntimeError) -> (DeploymentRecord, RegistrationResult) {
        let version = configuration.protocolVersion.rawValue
        guard discovered.minProtocolVersion <= version, version <= discovered.maxProtocolVersion else {
            throw TestRuntimeError(
                status: 500,
                "[META0012] unsupported service protocol versions: [\(discovered.minProtocolVersion), "
                    + "\(discovered.maxProtocolVersion)]. Supported versions by this runtime are [\(version), \(version)]."
            )
        }
        let existingID = deploymentOrder.first { id in
            deployments[id].map { $0.address == transport.address && $0.address != "in-process" } ?? false
        }
        if let existingID, let existing = deployments[existingID] {
            if existing.manifest == manifest { return (existing, .unchanged) }
            guard force else {
                throw TestRuntimeError(
                    status: 409,
                    "[META0004] the deployment \(existing.address) is already registered with different services; "
                        + "register it with \"force\": true to overwrite it"
                )
            }
        }
        if !force {
            for name in discovered.serviceOrder {
                guard let old = registry.services[name], let new = discovered.services[name], old.kind != new.kind
                else { continue }
                throw TestRuntimeError(
                    status: 409,
                    "[META0006] the service \(name) cannot change its type from \(old.kind.rawValue) to \(new.kind.rawValue)"
                )
            }
        }
        let id = existingID ?? DeploymentIdentifier.make()
        if let existingID, let old = deployments[existingID] { retiredTransports.append(old.transport) }
        let record = DeploymentRecord(
            id: id,
            transport: transport,
            manifest: manifest,
            services: discovered.serviceOrder,
            minProtocolVersion: discovered.minProtocolVersion,
            maxProtocolVersion: discovered.maxProtocolVersion,
            sdkVersion: sdkVersion,
            createdAt: Date()
        )
        deployments[id] = record
        if existingID == nil { deploymentOrder.append(id) }
        registry.merge(discovered, deploymentID: id)
        return (record, existingID == nil ? .created : .overwritten)
    }

    /// Discovers the deployment behind `transport` and registers it; `dryRun` only discovers.
    /// The transport is shut down unless the runtime keeps it.
    ///
    /// - Returns: the deployment, what registration did, and the services as discovered (with
    ///   the deployment id set).
    nonisolated func discoverAndRegister(
        _ transport: any EndpointTransport,
        force: Bool,
        dryRun: Bool
    ) async throws -> (DeploymentRecord, RegistrationResult, Registry) {
        do {
            let (manifest, server) = try await transport.discover()
            let discovered: Registry
            do {
                discovered = try Registry(manifestJSON: manifest)
            } catch let error as TestRuntimeError {
                throw error
            } catch {
                throw TestRuntimeError(
                    status: 500,
                    "received a bad response from the SDK that cannot be decoded: \(error). Discovery response: "
                        + String(decoding: manifest.prefix(1024), as: UTF8.self)
                )
            }
            if dryRun {
                let record = DeploymentRecord(
                    id: DeploymentIdentifier.make(),
                    transport: transport,
                    manifest: manifest,
                    services: discovered.serviceOrder,
                    minProtocolVersion: discovered.minProtocolVersion,
                    maxProtocolVersion: discovered.maxProtocolVersion,
                    sdkVersion: server,
                    createdAt: Date()
                )
                await transport.shutdown()
                var shown = Registry()
                shown.merge(discovered, deploymentID: record.id)
                return (record, .created, shown)
            }
            let (record, result) = try await register(
                discovered,
                manifest: manifest,
                transport: transport,
                sdkVersion: server,
                force: force
            )
            if result == .unchanged { await transport.shutdown() }
            return (record, result, await registry)
        } catch {
            await transport.shutdown()
            throw error
        }
    }

    /// The registered deployments in registration order.
    var allDeployments: [DeploymentRecord] { deploymentOrder.compactMap { deployments[$0] } }

    func deployment(_ id: String) -> DeploymentRecord? { deployments[id] }

    func service(named name: String) -> Registry.Service? { registry.services[name] }

    // MARK: Time

    var now: Int64 {
        if case .wallClock = configuration.clock { return Self.wallClockMilliseconds() }
        return virtualNow
    }

    private var autoAdvance: Bool {
        if case .virtual(let auto) = configuration.clock { return auto }
        return false
    }

    /// Turns an absolute time the endpoint computed from its wall clock into runtime time.
    ///
    /// The endpoint does not know the virtual clock, so only the distance counts, and it can only
    /// be bracketed: the endpoint read its clock after the attempt started and before the
    /// command arrived. Within that bracket the roundest duration is taken (a whole day, hour,
    /// minute, second, …), so that `sleep(for: .seconds(60))` takes exactly 60 virtual seconds.
    ///
    /// The bracket is less than a second wide, measured back from the command's arrival: an endpoint
    /// sends a timer's command as soon as it has read its clock, while the attempt may have started
    /// long before (a loaded machine, a long replay), and a wider bracket let a 59-second sleep
    /// round up to a whole minute.
    private func runtimeTime(fromEndpointTime milliseconds: UInt64, attempt: Attempt) -> Int64 {
        guard milliseconds > 0 else { return now }
        let wake = Int64(clamping: milliseconds)
        let lower = max(0, wake - Self.wallClockMilliseconds())
        // `+ 999`, not `+ 1000`: the command often arrives within the millisecond the endpoint read
        // its clock, and the bracket must not then reach the next whole second.
        let upper = min(max(lower, wake - attempt.startedAtWallClock), lower + 999)
        var delay = upper
        for granularity: Int64 in [86_400_000, 3_600_000, 60_000, 1000, 100, 10, 1] {
            let candidate = (lower + granularity - 1) / granularity * granularity
            if candidate <= upper {
                delay = candidate
                break
            }
        }
        return max(now, attempt.startedAt + delay)
    }

    private func schedule(at fireAt: Int64, _ action: RuntimeTimer.Action) {
        timerSequence += 1
        timers.append(RuntimeTimer(fireAt: fireAt, sequence: timerSequence, action: action))
        if case .wallClock = configuration.clock {
            let delay = max(0, fireAt - now)
            wallClockTasks.append(
                Task { [weak self] in
                    try? await Task.sleep(for: .milliseconds(delay))
                    await self?.fireDueTimers()
                }
            )
        }
    }

    private func fireDueTimers() {
        while let index = nextTimerIndex(), timers[index].fireAt <= now {
            fire(timers.remove(at: index))
        }
    }

    private func nextTimerIndex() -> Int? {
        timers.indices.min { (timers[$0].fireAt, timers[$0].sequence) < (timers[$1].fireAt, timers[$1].sequence) }
    }

    private func fire(_ timer: RuntimeTimer) {
        switch timer.action {
        case .sleep(let invocation, let completionID):
            notify(invocation, .sleepCompletionNotification, completionID: completionID) { $0.void = .init() }
        case .start(let invocation):
            guard let record = records[invocation] else { return }
            switch record.status {
            case .scheduled: enqueue(record)
            case .backingOff: startAttempt(record)
            default: break
            }
        case .purgeWorkflow(let object, let invocation):
            state[object] = nil
            promises[object] = nil
            promiseWaiters[object] = nil
            if workflowRuns[object] == invocation { workflowRuns[object] = nil }
            forget(invocation)
        case .purgeIdempotency(let key, let invocation):
            if idempotent[key] == invocation { idempotent[key] = nil }
            forget(invocation)
        }
    }

    private func forget(_ invocation: String) {
        guard let record = records.removeValue(forKey: invocation) else { return }
        byRawID[record.id.raw] = nil
    }

    /// Moves the virtual clock forward, firing every timer that falls due on the way, each after
    /// the work the previous one caused has settled.
    func advance(by duration: Duration) async throws {
        guard case .virtual = configuration.clock else {
            throw TestRuntimeError(status: 400, "advance(by:) needs the virtual clock")
        }
        let target = virtualNow + duration.inMilliseconds
        await settle()
        while let index = nextTimerIndex(), timers[index].fireAt <= target {
            let timer = timers.remove(at: index)
            virtualNow = max(virtualNow, timer.fireAt)
            fire(timer)
            await settle()
        }
        virtualNow = max(virtualNow, target)
    }

    /// Returns when no attempt is running.
    func settle() async {
        if runningAttempts == 0 { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Called whenever an attempt ends: wakes `settle()`, and lets the auto-advancing clock jump
    /// to the next timer when nothing runs but someone waits for a result.
    private func checkIdle() {
        guard runningAttempts == 0 else { return }
        let waiters = idleWaiters
        idleWaiters = []
        for waiter in waiters { waiter.resume() }
        while autoAdvance, runningAttempts == 0, clientWaiters > 0, let index = nextTimerIndex() {
            let timer = timers.remove(at: index)
            virtualNow = max(virtualNow, timer.fireAt)
            fire(timer)
        }
    }

    // MARK: Submitting

    struct Submission {
        var id: String
        var previouslyAccepted: Bool
    }

    /// Validates a request and creates (or finds, for idempotency keys and workflow IDs) its
    /// invocation.
    func submit(_ request: InvocationRequest, fromIngress: Bool) throws(TestRuntimeError) -> Submission {
        guard let service = registry.services[request.service] else {
            throw TestRuntimeError(status: 404, "service \(request.service) not found")
        }
        guard let handler = service.handlers[request.handler] else {
            throw TestRuntimeError(status: 404, "service \(request.service) has no handler \(request.handler)")
        }
        if fromIngress && (service.ingressPrivate || handler.ingressPrivate == true) {
            throw TestRuntimeError(status: 400, "\(request.service)/\(request.handler) is private")
        }
        if service.kind.isKeyed && request.key.isEmpty {
            throw TestRuntimeError(status: 400, "\(request.service) needs a key")
        }
        if !service.kind.isKeyed && !request.key.isEmpty {
            throw TestRuntimeError(status: 400, "\(request.service) is a service and takes no key")
        }
        let object = ObjectKey(service: request.service, key: request.key)
        if handler.kind == .workflow {
            if request.idempotencyKey != nil {
                throw TestRuntimeError(status: 400, "the workflow run handler takes no idempotency key")
            }
            if let existing = workflowRuns[object] {
                return Submission(id: existing, previouslyAccepted: true)
            }
        }
        var idempotencyKey: IdempotencyKey?
        if let key = request.idempotencyKey {
            let address = IdempotencyKey(
                service: request.service,
                key: request.key,
                handler: request.handler,
                idempotencyKey: key
            )
            if let existing = idempotent[address] {
                return Submission(id: existing, previouslyAccepted: true)
            }
            idempotencyKey = address
        }
        invocationSequence += 1
        let id = InvocationIdentifier.make(sequence: invocationSequence)
        let record = InvocationRecord(
            id: id,
            request: request,
            kind: handler.kind,
            serviceKind: service.kind,
            now: now
        )
        records[id.printable] = record
        byRawID[id.raw] = id.printable
        if handler.kind == .workflow { workflowRuns[object] = id.printable }
        if let idempotencyKey { idempotent[idempotencyKey] = id.printable }
        if let notBefore = request.notBefore, notBefore > now {
            schedule(at: notBefore, .start(invocation: id.printable))
        } else {
            enqueue(record)
        }
        return Submission(id: id.printable, previouslyAccepted: false)
    }

    /// Waits for the result of an invocation.
    func attach(_ id: String) async throws(TestRuntimeError) -> InvocationOutcome {
        guard let record = records[id] else { throw TestRuntimeError(status: 404, "invocation \(id) not found") }
        if let outcome = record.outcome { return outcome }
        // Decremented where the continuation is resumed, so that the auto-advancing clock never
        // sees a waiter that has already been answered.
        clientWaiters += 1
        return await withCheckedContinuation { continuation in
            record.waiters.append(.client(continuation))
            checkIdle()
        }
    }

    /// The result if there is one; 470 while the invocation runs.
    func output(_ id: String) throws(TestRuntimeError) -> InvocationOutcome {
        guard let record = records[id] else { throw TestRuntimeError(status: 404, "invocation \(id) not found") }
        guard let outcome = record.outcome else { throw TestRuntimeError(status: 470, "not ready") }
        return outcome
    }

    func workflowRun(service: String, key: String) throws(TestRuntimeError) -> String {
        guard registry.services[service]?.kind == .workflow else {
            throw TestRuntimeError(status: 404, "workflow \(service) not found")
        }
        guard let id = workflowRuns[ObjectKey(service: service, key: key)] else {
            throw TestRuntimeError(status: 404, "workflow \(service)/\(key) not found")
        }
        return id
    }

    func status(of id: String) -> String? {
        guard let record = records[id] else { return nil }
        switch record.status {
        case .scheduled: return "scheduled"
        case .inboxed: return "inboxed"
        case .running: return "running"
        case .suspended: return "suspended"
        case .backingOff: return "backing-off"
        case .paused: return "paused"
        case .completed: return "completed"
        }
    }

    func attemptCount(of id: String) -> Int? { records[id]?.attemptCount }

    func journal(of id: String) -> [ProtocolMessage]? { records[id]?.journal }

    // MARK: State access from tests

    func stateValue(service: String, key: String, name: String) -> Data? {
        state[ObjectKey(service: service, key: key)]?[name]
    }

    func stateKeys(service: String, key: String) -> [String] {
        (state[ObjectKey(service: service, key: key)] ?? [:]).keys.sorted()
    }

    func setState(service: String, key: String, name: String, value: Data?) {
        state[ObjectKey(service: service, key: key), default: [:]][name] = value
    }

    // MARK: Signals from outside

    func completeAwakeable(_ id: String, with result: InvocationOutcome) throws(TestRuntimeError) {
        guard let awakeable = AwakeableIdentifier(id) else {
            throw TestRuntimeError(status: 400, "malformed awakeable id \(id)")
        }
        guard let invocation = byRawID[awakeable.invocation], let record = records[invocation],
            record.outcome == nil
        else { throw TestRuntimeError(status: 404, "awakeable \(id) not found") }
        deliverSignal(to: invocation, index: awakeable.signalIndex, name: nil, result: result)
    }

    func cancel(_ id: String) throws(TestRuntimeError) {
        guard let record = records[id] else { throw TestRuntimeError(status: 404, "invocation \(id) not found") }
        switch record.status {
        case .completed: return
        case .scheduled, .inboxed:
            complete(record, .failure(code: 409, message: "cancelled"))
        case .running, .suspended, .backingOff:
            deliverSignal(to: id, index: 1, name: nil, result: nil)
        case .paused:
            // Restate resumes a paused invocation to let it see the cancellation.
            deliverSignal(to: id, index: 1, name: nil, result: nil)
            record.failedAttemptsInSession = 0
            startAttempt(record)
        }
    }

    /// Resumes a paused or suspended invocation at once, or retries a backing-off one without
    /// waiting for its timer (Restate's `PATCH /invocations/{id}/resume`).
    func resume(_ id: String) throws(TestRuntimeError) {
        guard let record = records[id] else {
            throw TestRuntimeError(status: 404, "The requested invocation '\(id)' does not exist")
        }
        switch record.status {
        case .completed:
            throw TestRuntimeError(status: 409, "The invocation '\(id)' is completed, cannot be resumed.")
        case .scheduled, .inboxed:
            throw TestRuntimeError(
                status: 425,
                "The invocation '\(id)' is either inboxed or scheduled, cannot be resumed."
            )
        case .running:
            return
        case .paused, .suspended, .backingOff:
            timers.removeAll { timer in
                if case .start(let invocation) = timer.action { return invocation == id }
                return false
            }
            record.failedAttemptsInSession = 0
            startAttempt(record)
        }
    }

    /// The last failure of an invocation that is backing off or paused.
    func lastFailure(of id: String) -> InvocationOutcome? { records[id]?.lastFailure }

    /// Ends the invocation at once, without running compensations, and with it every invocation
    /// it called whose result it still waits for, recursively (Restate's
    /// `kill_child_invocations`). Each ends with 409 "killed", which its callers receive.
    func kill(_ id: String) throws(TestRuntimeError) {
        guard let record = records[id] else { throw TestRuntimeError(status: 404, "invocation \(id) not found") }
        var tree: [InvocationRecord] = []
        var seen: Set<String> = []
        var pending = [record]
        while let next = pending.popLast() {
            guard next.outcome == nil, seen.insert(next.id.printable).inserted else { continue }
            tree.append(next)
            pending += next.callees.compactMap { callee in
                next.completions[callee.completionID] == nil ? records[callee.invocation] : nil
            }
        }
        // Stopped before any of them completes: a caller's completion frees locks, and that must
        // not start an inboxed callee that is about to be killed too.
        for member in tree {
            member.attempt?.closeInput()
            member.attempt = nil
            if case .inboxed = member.status {
                inboxes[member.objectKey]?.removeAll { $0 == member.id.printable }
                if inboxes[member.objectKey]?.isEmpty == true { inboxes[member.objectKey] = nil }
            }
        }
        // Callers first, so that a callee's failure is not delivered to a caller being killed.
        for member in tree { complete(member, .failure(code: 409, message: "killed")) }
    }

    // MARK: Scheduling

    private func enqueue(_ record: InvocationRecord) {
        guard record.needsLock else {
            startAttempt(record)
            return
        }
        let object = record.objectKey
        if locks[object] == nil {
            locks[object] = record.id.printable
            record.holdsLock = true
            startAttempt(record)
        } else {
            record.status = .inboxed
            inboxes[object, default: []].append(record.id.printable)
        }
    }

    private func releaseLock(of record: InvocationRecord) {
        guard record.holdsLock else { return }
        record.holdsLock = false
        let object = record.objectKey
        locks[object] = nil
        while var queue = inboxes[object], !queue.isEmpty {
            let next = queue.removeFirst()
            inboxes[object] = queue.isEmpty ? nil : queue
            guard let nextRecord = records[next], case .inboxed = nextRecord.status else { continue }
            locks[object] = next
            nextRecord.holdsLock = true
            startAttempt(nextRecord)
            return
        }
    }

    private func mode(inactivityTimeout: Duration) -> TestRuntime.InvocationMode {
        // As Restate: an inactivity timeout of zero means request/response.
        if configuration.alwaysReplay || configuration.protocolVersion < .v7 || inactivityTimeout == .zero {
            return .requestResponse
        }
        return configuration.invocationMode
    }

    private func startAttempt(_ record: InvocationRecord) {
        guard !isShutDown else { return }
        attemptSequence += 1
        let number = attemptSequence
        let version = configuration.protocolVersion
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let attempt = Attempt(number: number, invocation: record.id.printable, version: version, input: continuation)
        attempt.startedAt = now
        attempt.startedAtWallClock = Self.wallClockMilliseconds()
        attempt.lastActivityWallClock = attempt.startedAtWallClock
        let service = registry.services[record.service]
        let handler = service?.handlers[record.handler]
        let inactivity = handler?.inactivityTimeout ?? service?.inactivityTimeout ?? configuration.inactivityTimeout
        attempt.inactivityTimeout = inactivity.inMilliseconds
        attempt.abortTimeout =
            (handler?.abortTimeout ?? service?.abortTimeout ?? configuration.abortTimeout).inMilliseconds
        attempts[number] = attempt
        record.attempt = attempt
        record.status = .running
        record.attemptCount += 1
        runningAttempts += 1
        attempt.counted = true

        // Restate pins an invocation to the deployment of its first attempt.
        if record.deploymentID == nil { record.deploymentID = service?.deploymentID }
        guard let deploymentID = record.deploymentID, let transport = deployments[deploymentID]?.transport else {
            attempt.closeInput()
            attemptFailed(number, code: 500, "no deployment serves \(record.service)/\(record.handler)")
            attemptFinished(number)
            return
        }

        var body = ByteBuffer()
        do {
            try ProtocolMessage.start(startMessage(for: record)).encode(into: &body)
            for entry in record.journal { try entry.encode(into: &body) }
        } catch {
            // Only a message over 4 GiB fails to encode; nothing a test produces.
            preconditionFailure("cannot encode the journal: \(error)")
        }
        continuation.yield(body)
        if mode(inactivityTimeout: inactivity) == .requestResponse { attempt.closeInput() }

        let (serviceName, handlerName) = (record.service, record.handler)
        let headers = [("x-restate-invocation-id", record.id.printable)]
        attempt.task = Task {
            do {
                let status = try await transport.invoke(
                    service: serviceName,
                    handler: handlerName,
                    contentType: version.contentType,
                    headers: headers,
                    body: stream
                ) { [weak self] chunk in
                    await self?.received(attempt: number, chunk)
                }
                if status != 200 {
                    self.attemptFailed(number, code: UInt16(clamping: status), "the endpoint answered \(status)")
                }
            } catch {
                self.attemptFailed(number, code: 500, "transport: \(error)")
            }
            // The task inherits the engine's isolation: these run on the actor.
            self.attemptFinished(number)
        }
        attempt.watchdog = Task { [weak self] in
            while let delay = await self?.checkTimeouts(of: number) {
                try? await Task.sleep(for: .milliseconds(delay))
                if Task.isCancelled { return }
            }
        }
    }

    /// Restate's invoker timers for one attempt, on real time in every clock mode because they
    /// guard the endpoint process, not the handler's durable time. While the request stream is
    /// open (bidirectional mode), `inactivityTimeout` without a frame either way closes it, so
    /// the handler suspends; once it is closed, `abortTimeout` without a frame from the endpoint
    /// aborts the attempt, which is then retried.
    ///
    /// - Returns: how long to wait before checking again, `nil` when the attempt is over.
    private func checkTimeouts(of number: Int) -> Int64? {
        guard let attempt = attempts[number], !attempt.terminated, !attempt.fenced else { return nil }
        let wallClock = Self.wallClockMilliseconds()
        if attempt.inputOpen {
            let deadline = attempt.lastActivityWallClock + attempt.inactivityTimeout
            if wallClock < deadline { return deadline - wallClock }
            attempt.closeInput()
        }
        let quietSince = max(attempt.inputClosedAtWallClock ?? wallClock, attempt.lastReceivedWallClock)
        let deadline = quietSince + attempt.abortTimeout
        if wallClock < deadline { return deadline - wallClock }
        abort(attempt)
        return nil
    }

    /// Drops an attempt that stopped answering: its stream is cancelled, whatever it still sends
    /// is ignored, and the invocation is retried like after a failure.
    private func abort(_ attempt: Attempt) {
        let timeout = friendlyDuration(.milliseconds(attempt.abortTimeout))
        attemptFailed(
            attempt.number,
            code: 500,
            "the invocation stream was closed after the 'abort timeout' (\(timeout)) fired."
        )
        attempt.task?.cancel()
        // The endpoint may take its time to notice; the runtime does not wait for it.
        attempts[attempt.number] = nil
        attempt.closeInput()
        release(attempt)
        checkIdle()
    }

    private func release(_ attempt: Attempt) {
        attempt.watchdog?.cancel()
        guard attempt.counted else { return }
        attempt.counted = false
        runningAttempts -= 1
    }

    private func startMessage(for record: InvocationRecord) -> Proto.StartMessage {
        let service = registry.services[record.service]
        let lazy =
            record.serviceKind == .service
            || (service?.handlers[record.handler]?.lazyState ?? service?.lazyState ?? false)
        let snapshot = state[record.objectKey] ?? [:]
        let version = configuration.protocolVersion
        return .with {
            $0.id = record.id.raw
            $0.debugID = record.id.printable
            $0.knownEntries = UInt32(record.journal.count)
            $0.key = record.key
            $0.partialState = lazy
            if !lazy {
                $0.stateMap = snapshot.keys.sorted().map { name in
                    .with {
                        $0.key = Data(name.utf8)
                        $0.value = snapshot[name] ?? Data()
                    }
                }
            }
            $0.retryCountSinceLastStoredEntry = record.retriesSinceLastStoredEntry
            $0.durationSinceLastStoredEntry =
                record.retriesSinceLastStoredEntry == 0 ? 0 : UInt64(max(0, now - record.lastStoredEntryAt))
            if version >= .v6 { $0.randomSeed = record.id.randomSeed }
            if version >= .v7, let key = record.idempotencyKey { $0.idempotencyKey = key }
        }
    }

    private func attemptFailed(_ number: Int, code: UInt16, _ message: String) {
        guard let attempt = attempts[number], !attempt.terminated, !attempt.fenced,
            let record = records[attempt.invocation], record.attempt === attempt
        else { return }
        attempt.terminated = true
        retryOrFail(
            record,
            error: .with {
                $0.code = UInt32(code)
                $0.message = message
            }
        )
    }

    private func attemptFinished(_ number: Int) {
        guard let attempt = attempts.removeValue(forKey: number) else { return }
        attempt.closeInput()
        release(attempt)
        if let record = records[attempt.invocation], record.attempt === attempt, record.outcome == nil {
            if attempt.fenced {
                // Always-replay: the next attempt replays everything, including the new entry.
                startAttempt(record)
            } else if !attempt.terminated {
                attempt.terminated = true
                retryOrFail(
                    record,
                    error: .with {
                        $0.code = 500
                        $0.message = "the attempt ended without End, Suspension or Error"
                    }
                )
            }
        }
        checkIdle()
    }

    // MARK: Frames from the endpoint

    private func received(attempt number: Int, _ chunk: ByteBuffer) {
        guard let attempt = attempts[number] else { return }
        attempt.lastReceivedWallClock = Self.wallClockMilliseconds()
        attempt.lastActivityWallClock = attempt.lastReceivedWallClock
        attempt.decoder.append(chunk)
        while !attempt.terminated, !attempt.fenced {
            let frame: Frame?
            do {
                frame = try attempt.decoder.next()
            } catch {
                attemptFailed(number, code: 571, "undecodable frame: \(error)")
                return
            }
            guard let frame else { return }
            guard let record = records[attempt.invocation], record.attempt === attempt else { return }
            let message: ProtocolMessage
            do {
                message = try ProtocolMessage(frame: frame, version: attempt.version)
            } catch {
                attemptFailed(number, code: 571, "undecodable message: \(error)")
                return
            }
            handle(message, requestsAck: frame.header.requestsAck, attempt: attempt, record: record)
        }
    }

    private func handle(
        _ message: ProtocolMessage,
        requestsAck: Bool,
        attempt: Attempt,
        record: InvocationRecord
    ) {
        let id = record.id.printable
        switch message {
        case .end:
            attempt.terminated = true
            attempt.closeInput()
            complete(record, record.pendingOutput ?? .success(Data()))
            return
        case .suspension(let suspension):
            suspend(record, attempt: attempt, on: .future(suspension.awaitingOn))
            return
        case .suspensionV6(let suspension):
            suspend(
                record,
                attempt: attempt,
                on: .any(
                    completions: suspension.waitingCompletions,
                    signals: suspension.waitingSignals,
                    names: suspension.waitingNamedSignals
                )
            )
            return
        case .error(let error):
            attempt.terminated = true
            attempt.closeInput()
            retryOrFail(record, error: error)
            return
        case .awaitingOn(let awaiting):
            // Bidi: the handler is blocked. Unless the runtime already sent what it waits for,
            // close the stream so it suspends instead of holding the attempt open.
            if !record.canResume(.future(awaiting.awaitingOn)) { attempt.closeInput() }
            return
        case .proposeRunCompletion(let proposal):
            store(record, attempt: attempt, message)
            let completionID = proposal.resultCompletionID
            var notification = Proto.NotificationTemplate()
            notification.completionID = completionID
            switch proposal.result {
            case .value(let bytes): notification.value = .with { $0.content = bytes }
            case .failure(let failure): notification.failure = failure
            case nil: notification.value = .init()
            }
            appendNotification(record, .runCompletionNotification, notification, deliver: false)
            if attempt.inputOpen {
                if requestsAck && attempt.version >= .v7 {
                    send(.proposeRunCompletionAck(.with { $0.completionID = completionID }), to: attempt)
                } else {
                    send(.notification(.runCompletionNotification, notification), to: attempt)
                }
            }
            return
        case .start, .commandAck, .proposeRunCompletionAck, .notification, .inputCommand:
            attemptFailed(attempt.number, code: 571, "unexpected \(message.type) from the endpoint")
            return
        default:
            break
        }

        // A new command: journal it, then act on it.
        store(record, attempt: attempt, message)
        if requestsAck {
            send(.commandAck(.with { $0.commandIndex = UInt32(record.commandCount - 1) }), to: attempt)
        }
        let object = record.objectKey
        switch message {
        case .outputCommand(let output):
            switch output.result {
            case .failure(let failure):
                record.pendingOutput = InvocationOutcome(failure)
            case .value(let value): record.pendingOutput = .success(value.content)
            case nil: record.pendingOutput = .success(Data())
            }
        case .getLazyStateCommand(let command):
            let value = state[object]?[String(decoding: command.key, as: UTF8.self)]
            notify(id, .getLazyStateCompletionNotification, completionID: command.resultCompletionID) {
                if let value { $0.value = .with { $0.content = value } } else { $0.void = .init() }
            }
        case .getLazyStateKeysCommand(let command):
            let keys = (state[object] ?? [:]).keys.sorted().map { Data($0.utf8) }
            notify(id, .getLazyStateKeysCompletionNotification, completionID: command.resultCompletionID) {
                $0.stateKeys = .with { $0.keys = keys }
            }
        case .setStateCommand(let command):
            state[object, default: [:]][String(decoding: command.key, as: UTF8.self)] = command.value.content
        case .clearStateCommand(let command):
            state[object]?[String(decoding: command.key, as: UTF8.self)] = nil
        case .clearAllStateCommand:
            state[object] = nil
        case .getPromiseCommand(let command):
            if let result = promises[object]?[command.key] {
                notify(id, .getPromiseCompletionNotification, completionID: command.resultCompletionID) {
                    $0.setResult(result)
                }
            } else {
                promiseWaiters[object, default: [:]][command.key, default: []].append((id, command.resultCompletionID))
            }
        case .peekPromiseCommand(let command):
            let result = promises[object]?[command.key]
            notify(id, .peekPromiseCompletionNotification, completionID: command.resultCompletionID) {
                if let result { $0.setResult(result) } else { $0.void = .init() }
            }
        case .completePromiseCommand(let command):
            completePromise(object, command, invocation: id)
        case .sleepCommand(let command):
            schedule(
                at: runtimeTime(fromEndpointTime: command.wakeUpTime, attempt: attempt),
                .sleep(invocation: id, completionID: command.resultCompletionID)
            )
        case .callCommand(let command):
            call(command, from: record)
        case .oneWayCallCommand(let command):
            let request = InvocationRequest(
                service: command.serviceName,
                handler: command.handlerName,
                key: command.key,
                input: command.parameter,
                headers: command.headers.map { ($0.key, $0.value) },
                idempotencyKey: command.hasIdempotencyKey ? command.idempotencyKey : nil,
                notBefore: command.invokeTime > 0
                    ? runtimeTime(fromEndpointTime: command.invokeTime, attempt: attempt) : nil
            )
            let target = (try? submit(request, fromIngress: false))?.id ?? ""
            notify(id, .callInvocationIdCompletionNotification, completionID: command.invocationIDNotificationIdx) {
                $0.invocationID = target
            }
        case .sendSignalCommand(let command):
            let result: InvocationOutcome?
            switch command.result {
            case .value(let value): result = .success(value.content)
            case .failure(let failure):
                result = InvocationOutcome(failure)
            case .void, nil: result = nil
            }
            switch command.signalID {
            case .idx(let index):
                if index == 1 {
                    try? cancel(command.targetInvocationID)
                } else {
                    deliverSignal(to: command.targetInvocationID, index: index, name: nil, result: result)
                }
            case .name(let name):
                deliverSignal(to: command.targetInvocationID, index: nil, name: name, result: result)
            case nil: break
            }
        case .attachInvocationCommand(let command):
            let target = resolveTarget(command.target.map(TargetRef.init))
            if let target, let outcome = target.outcome {
                notify(id, .attachInvocationCompletionNotification, completionID: command.resultCompletionID) {
                    $0.setResult(outcome)
                }
            } else if let target {
                target.waiters.append(.attach(invocation: id, completionID: command.resultCompletionID))
            } else {
                notify(id, .attachInvocationCompletionNotification, completionID: command.resultCompletionID) {
                    $0.setResult(.failure(code: 404, message: "invocation not found"))
                }
            }
        case .getInvocationOutputCommand(let command):
            let outcome = resolveTarget(command.target.map(TargetRef.init))?.outcome
            notify(id, .getInvocationOutputCompletionNotification, completionID: command.resultCompletionID) {
                if let outcome { $0.setResult(outcome) } else { $0.void = .init() }
            }
        case .completeAwakeableCommand(let command):
            let result: InvocationOutcome
            switch command.result {
            case .failure(let failure):
                result = InvocationOutcome(failure)
            case .value(let value): result = .success(value.content)
            case nil: result = .success(Data())
            }
            try? completeAwakeable(command.awakeableID, with: result)
        default:
            break
        }
    }

    /// Journals an entry the endpoint produced; in always-replay mode the attempt then stops
    /// counting, so the next one replays it.
    private func store(_ record: InvocationRecord, attempt: Attempt, _ message: ProtocolMessage) {
        if case .proposeRunCompletion = message {
            // Journaled as its notification by the caller.
        } else {
            record.journal.append(message)
        }
        record.retriesSinceLastStoredEntry = 0
        record.lastStoredEntryAt = now
        if configuration.alwaysReplay, message.type != .outputCommand {
            attempt.fenced = true
            attempt.closeInput()
        }
    }

    private func send(_ message: ProtocolMessage, to attempt: Attempt) {
        guard attempt.inputOpen, let frame = try? message.encodedFrame() else { return }
        attempt.lastActivityWallClock = Self.wallClockMilliseconds()
        attempt.input.yield(frame)
    }

    private func suspend(_ record: InvocationRecord, attempt: Attempt, on awaiting: InvocationRecord.Awaiting) {
        attempt.terminated = true
        attempt.closeInput()
        record.attempt = nil
        // The invoker forgets the retry state of a suspended invocation (a new session begins).
        record.failedAttemptsInSession = 0
        if record.canResume(awaiting) {
            startAttempt(record)
        } else {
            record.status = .suspended(awaiting)
        }
    }

    private func retryOrFail(_ record: InvocationRecord, error: Proto.ErrorMessage) {
        record.attempt = nil
        let failure = InvocationOutcome.failure(code: UInt16(clamping: error.code), message: error.message)
        record.lastFailure = failure
        // The handler's ErrorMessage may ask for a behaviour (V7); it wins over the policy.
        switch error.behavior {
        case .fail:
            complete(record, failure)
            return
        case .pause:
            pause(record)
            return
        default:
            break
        }
        let policy = retryPolicy(of: record)
        record.failedAttemptsInSession += 1
        if let maxAttempts = policy.maxAttempts, record.failedAttemptsInSession >= max(1, maxAttempts) {
            if policy.pause { pause(record) } else { complete(record, failure) }
            return
        }
        record.retriesSinceLastStoredEntry += 1
        record.status = .backingOff
        let delay =
            error.hasNextRetryDelay
            ? Int64(clamping: error.nextRetryDelay)
            : policy.delay(retry: record.failedAttemptsInSession).inMilliseconds
        schedule(at: now + delay, .start(invocation: record.id.printable))
    }

    private func retryPolicy(of record: InvocationRecord) -> EffectiveRetryPolicy {
        let service = registry.services[record.service]
        return EffectiveRetryPolicy(
            handler: service?.handlers[record.handler]?.retry ?? .init(),
            service: service?.retry ?? .init(),
            fallback: configuration.retryPolicy
        )
    }

    /// Parks the invocation until ``resume(_:)``, as Restate does when retries run out with
    /// `onMaxAttempts: .pause` (its default) or the handler asks for it. A paused invocation
    /// keeps its object's lock.
    private func pause(_ record: InvocationRecord) {
        record.status = .paused
    }

    // MARK: Completions

    /// Journals a notification for `invocation`, sends it to a live attempt or resumes a
    /// suspended one.
    private func notify(
        _ invocation: String,
        _ type: MessageType,
        completionID: UInt32,
        _ fill: (inout Proto.NotificationTemplate) -> Void
    ) {
        guard let record = records[invocation], record.outcome == nil, record.completions[completionID] == nil else {
            return
        }
        var notification = Proto.NotificationTemplate()
        notification.completionID = completionID
        fill(&notification)
        appendNotification(record, type, notification, deliver: true)
    }

    private func appendNotification(
        _ record: InvocationRecord,
        _ type: MessageType,
        _ notification: Proto.NotificationTemplate,
        deliver: Bool
    ) {
        let failed: Bool
        if case .failure = notification.result { failed = true } else { failed = false }
        switch notification.id {
        case .completionID(let id): record.completions[id] = failed
        case .signalID(let index): record.signals[index] = failed
        case .signalName(let name): record.namedSignals[name] = failed
        case nil: break
        }
        let message = ProtocolMessage.notification(type, notification)
        record.journal.append(message)
        guard deliver else { return }
        if let attempt = record.attempt, attempt.inputOpen {
            send(message, to: attempt)
        } else if case .suspended(let awaiting) = record.status, record.canResume(awaiting) {
            startAttempt(record)
        }
    }

    private func deliverSignal(to invocation: String, index: UInt32?, name: String?, result: InvocationOutcome?) {
        guard let record = records[invocation], record.outcome == nil else { return }
        var notification = Proto.NotificationTemplate()
        if let index {
            guard record.signals[index] == nil else { return }
            notification.signalID = index
        } else if let name {
            guard record.namedSignals[name] == nil else { return }
            notification.signalName = name
        }
        if let result { notification.setResult(result) } else { notification.void = .init() }
        appendNotification(record, .signalNotification, notification, deliver: true)
    }

    private func completePromise(
        _ object: ObjectKey,
        _ command: Proto.CompletePromiseCommandMessage,
        invocation: String
    ) {
        if promises[object]?[command.key] != nil {
            notify(invocation, .completePromiseCompletionNotification, completionID: command.resultCompletionID) {
                $0.failure = .with {
                    $0.code = 409
                    $0.message = "promise \(command.key) already completed"
                }
            }
            return
        }
        let result: InvocationOutcome
        switch command.completion {
        case .completionFailure(let failure):
            result = InvocationOutcome(failure)
        case .completionValue(let value): result = .success(value.content)
        case nil: result = .success(Data())
        }
        promises[object, default: [:]][command.key] = result
        notify(invocation, .completePromiseCompletionNotification, completionID: command.resultCompletionID) {
            $0.void = .init()
        }
        let waiters = promiseWaiters[object]?[command.key] ?? []
        promiseWaiters[object]?[command.key] = nil
        for waiter in waiters {
            notify(waiter.invocation, .getPromiseCompletionNotification, completionID: waiter.completionID) {
                $0.setResult(result)
            }
        }
    }

    private func call(_ command: Proto.CallCommandMessage, from record: InvocationRecord) {
        let caller = record.id.printable
        let request = InvocationRequest(
            service: command.serviceName,
            handler: command.handlerName,
            key: command.key,
            input: command.parameter,
            headers: command.headers.map { ($0.key, $0.value) },
            idempotencyKey: command.hasIdempotencyKey ? command.idempotencyKey : nil
        )
        let submission: Submission
        do {
            submission = try submit(request, fromIngress: false)
        } catch {
            notify(caller, .callInvocationIdCompletionNotification, completionID: command.invocationIDNotificationIdx) {
                $0.invocationID = ""
            }
            notify(caller, .callCompletionNotification, completionID: command.resultCompletionID) {
                $0.setResult(.failure(code: UInt16(clamping: error.status), message: error.message))
            }
            return
        }
        notify(caller, .callInvocationIdCompletionNotification, completionID: command.invocationIDNotificationIdx) {
            $0.invocationID = submission.id
        }
        guard let callee = records[submission.id] else { return }
        record.callees.append((command.resultCompletionID, submission.id))
        if let outcome = callee.outcome {
            notify(caller, .callCompletionNotification, completionID: command.resultCompletionID) {
                $0.setResult(outcome)
            }
        } else {
            callee.waiters.append(.call(invocation: caller, completionID: command.resultCompletionID))
        }
    }

    private enum TargetRef {
        case invocation(String)
        case workflow(ObjectKey)
        case idempotent(IdempotencyKey)

        init(_ target: Proto.AttachInvocationCommandMessage.OneOf_Target) {
            switch target {
            case .invocationID(let id): self = .invocation(id)
            case .workflowTarget(let w): self = .workflow(ObjectKey(service: w.workflowName, key: w.workflowKey))
            case .idempotentRequestTarget(let t):
                self = .idempotent(
                    IdempotencyKey(
                        service: t.serviceName,
                        key: t.serviceKey,
                        handler: t.handlerName,
                        idempotencyKey: t.idempotencyKey
                    )
                )
            }
        }

        init(_ target: Proto.GetInvocationOutputCommandMessage.OneOf_Target) {
            switch target {
            case .invocationID(let id): self = .invocation(id)
            case .workflowTarget(let w): self = .workflow(ObjectKey(service: w.workflowName, key: w.workflowKey))
            case .idempotentRequestTarget(let t):
                self = .idempotent(
                    IdempotencyKey(
                        service: t.serviceName,
                        key: t.serviceKey,
                        handler: t.handlerName,
                        idempotencyKey: t.idempotencyKey
                    )
                )
            }
        }
    }

    private func resolveTarget(_ target: TargetRef?) -> InvocationRecord? {
        switch target {
        case .invocation(let id): return records[id]
        case .workflow(let object): return workflowRuns[object].flatMap { records[$0] }
        case .idempotent(let key): return idempotent[key].flatMap { records[$0] }
        case nil: return nil
        }
    }

    /// Stores the result, frees the lock, answers everyone waiting and starts retention.
    private func complete(_ record: InvocationRecord, _ outcome: InvocationOutcome) {
        guard record.outcome == nil else { return }
        record.status = .completed(outcome)
        record.attempt = nil
        releaseLock(of: record)
        let waiters = record.waiters
        record.waiters = []
        for waiter in waiters {
            switch waiter {
            case .call(let caller, let completionID):
                notify(caller, .callCompletionNotification, completionID: completionID) { $0.setResult(outcome) }
            case .attach(let caller, let completionID):
                notify(caller, .attachInvocationCompletionNotification, completionID: completionID) {
                    $0.setResult(outcome)
                }
            case .client(let continuation):
                clientWaiters -= 1
                continuation.resume(returning: outcome)
            }
        }
        let service = registry.services[record.service]
        let handler = service?.handlers[record.handler]
        if record.kind == .workflow {
            let retention = handler?.workflowRetention ?? configuration.workflowRetention
            schedule(
                at: now + retention.inMilliseconds,
                .purgeWorkflow(record.objectKey, invocation: record.id.printable)
            )
        } else if let key = record.idempotencyKey {
            let retention =
                handler?.idempotencyRetention ?? service?.idempotencyRetention ?? configuration.idempotencyRetention
            let address = IdempotencyKey(
                service: record.service,
                key: record.key,
                handler: record.handler,
                idempotencyKey: key
            )
            schedule(at: now + retention.inMilliseconds, .purgeIdempotency(address, invocation: record.id.printable))
        }
    }

    func shutdown() async {
        isShutDown = true
        for task in wallClockTasks { task.cancel() }
        wallClockTasks = []
        for attempt in attempts.values {
            attempt.closeInput()
            attempt.watchdog?.cancel()
        }
        for record in records.values where record.outcome == nil {
            for case .client(let continuation) in record.waiters {
                clientWaiters -= 1
                continuation.resume(returning: .failure(code: 503, message: "the runtime shut down"))
            }
            record.waiters = []
        }
        let transports = deploymentOrder.compactMap { deployments[$0]?.transport } + retiredTransports
        retiredTransports = []
        for transport in transports { await transport.shutdown() }
    }
}

extension Proto.NotificationTemplate {
    mutating func setResult(_ outcome: InvocationOutcome) {
        switch outcome {
        case .success(let data): value = .with { $0.content = data }
        case .failure(let code, let message, let metadata):
            failure = .with {
                $0.code = UInt32(code)
                $0.message = message
                // Sorted, so that a journal is the same from one run to the next.
                $0.metadata = metadata.sorted { $0.key < $1.key }.map { entry in
                    .with {
                        $0.key = entry.key
                        $0.value = entry.value
                    }
                }
            }
        }
    }
}

extension InvocationOutcome {
    /// The outcome for a `Failure` of the service protocol, metadata included.
    init(_ failure: Proto.Failure) {
        var metadata: [String: String] = [:]
        for entry in failure.metadata { metadata[entry.key] = entry.value }
        self = .failure(code: UInt16(clamping: failure.code), message: failure.message, metadata: metadata)
    }
}
