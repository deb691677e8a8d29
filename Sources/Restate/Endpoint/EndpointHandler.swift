import Foundation
import Metrics
import NIOCore
import RestateCore
import RestateHTTP2
import Synchronization

/// Answers Restate's requests: discovery, health, and invocations.
///
/// Transport-independent: the HTTP/2 server calls ``handle(_:body:response:)`` for every request,
/// and tests call it with in-memory bodies and sinks.
public final class EndpointHandler: Sendable {
    let services: [String: BoundService]
    /// The handlers of each service, by name: what routing needs, without copying a service.
    private let routes: [String: [String: BoundService.Handler]]
    let serviceOrder: [String]
    let configuration: Endpoint.Configuration
    let identity: RequestIdentityVerifier
    let dispatcher: Dispatcher
    private let sweeper: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(services: [BoundService], configuration: Endpoint.Configuration) throws {
        var byName: [String: BoundService] = [:]
        for var service in services {
            for name in service.handlerOrder {
                service.handlers[name] = service.handlers[name]?.withMetrics(
                    HandlerMetrics(service: service.name, handler: name)
                )
            }
            byName[service.name] = service
        }
        self.services = byName
        self.routes = byName.mapValues(\.handlers)
        self.serviceOrder = services.map(\.name)
        self.configuration = configuration
        self.identity = try RequestIdentityVerifier(keys: configuration.identityKeys)
        self.dispatcher = Dispatcher(
            shardCount: configuration.shardCount,
            capacityPerShard: configuration.maxInFlightPerShard
        )
        startSweeping()
    }

    deinit {
        sweeper.withLock { $0?.cancel() }
    }

    /// Drops idle instances on a timer, so that memory comes back when traffic stops, not only
    /// when the next invocation of the same shard comes by.
    private func startSweeping() {
        guard services.values.contains(where: \.kind.isKeyed) else { return }
        let period = max(configuration.instanceIdleTimeout / 4, .milliseconds(100))
        let task = Task { [weak self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: period) } catch { return }
                guard let self else { return }
                self.evictIdleInstances()
            }
        }
        sweeper.withLock { $0 = task }
    }

    /// Drops the instances that have been idle for longer than the idle timeout.
    func evictIdleInstances() {
        for service in services.values { service.evictIdleInstances() }
    }

    /// Serves one request.
    public func handle<Body: AsyncSequence & Sendable>(
        _ head: RequestHead,
        body: Body,
        response: some ResponseSink
    ) async where Body.Element == ByteBuffer {
        let route = Route(head.path)
        if route.last == "health" {
            await respond(response, status: 200, text: "OK")
            return
        }
        if identity.isEnabled {
            do {
                try identity.verify(path: String(route.path)) { head.headers[$0] }
            } catch {
                await respond(response, status: 401, text: "Unauthorized: \(error)")
                return
            }
        }
        if route.last == "discover" {
            await discover(head, response: response)
            return
        }
        guard route.third == "invoke", let serviceName = route.second, let handlerName = route.last else {
            await respond(response, status: 404, text: "Not found: \(route.path)")
            return
        }
        guard let handlers = routes[String(serviceName)] else {
            await respond(response, status: 404, text: "No service named \(serviceName)")
            return
        }
        guard let handler = handlers[String(handlerName)] else {
            await respond(response, status: 404, text: "Service \(serviceName) has no handler named \(handlerName)")
            return
        }
        guard head.method == "POST" else {
            await respond(response, status: 405, text: "Invocations use POST")
            return
        }
        let machine: InvocationStateMachine
        do {
            machine = try InvocationStateMachine(
                contentType: head.headers["content-type"],
                options: configuration.stateMachine
            )
        } catch {
            await respond(response, status: 415, text: error.message)
            return
        }
        let invocationID = head.headers["x-restate-invocation-id"]
        if let canceller = response.handlerCanceller {
            // The transport already runs this request in a task it can cancel: run the attempt
            // right here, with no task of its own.
            guard let ticket = await dispatcher.admit(invocationID: invocationID, cancel: canceller) else {
                await respond(response, status: 503, text: Self.busy)
                return
            }
            defer { dispatcher.release(ticket) }
            await invoke(handler, machine: machine, body: body, response: response)
        } else {
            await dispatchInTask(machine: machine, invocationID: invocationID) { [self] machine in
                await invoke(handler, machine: machine, body: body, response: response)
            } rejected: {
                await respond(response, status: 503, text: Self.busy)
            }
        }
    }

    private static let busy = "Endpoint busy: too many invocations in flight; retry later"

    /// Runs an attempt in its own task once the dispatcher admits it, so that a newer attempt of
    /// the same invocation can cancel it, and so that cancelling the caller cancels it too: for
    /// transports that cannot cancel the task serving a request.
    private func dispatchInTask(
        machine: InvocationStateMachine,
        invocationID: String?,
        run: @escaping @Sendable (InvocationStateMachine) async -> Void,
        rejected: () async -> Void
    ) async {
        let slot = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))
        let cancel: @Sendable () -> Void = {
            let task = slot.withLock { slot in
                slot.cancelled = true
                return slot.task
            }
            task?.cancel()
        }
        guard let ticket = await dispatcher.admit(invocationID: invocationID, cancel: cancel) else {
            await rejected()
            return
        }
        defer { dispatcher.release(ticket) }
        let task = Task { await run(machine) }
        let cancelledEarly = slot.withLock { slot in
            slot.task = task
            return slot.cancelled
        }
        if cancelledEarly { task.cancel() }
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            cancel()
        }
    }

    // MARK: Invocations

    private func invoke<Body: AsyncSequence & Sendable>(
        _ handler: BoundService.Handler,
        machine: consuming InvocationStateMachine,
        body: Body,
        response: some ResponseSink
    ) async where Body.Element == ByteBuffer {
        let writer = SinkOutputWriter(
            sink: response,
            head: (200, [("content-type", machine.responseContentType), ("x-restate-server", Version.serverHeader)])
        )
        let invocation = Invocation(machine: machine, writer: writer)
        if let body = body as? RequestBody {
            // The connection feeds the state machine from its event loop: no task waits for the
            // body, and a one-shot request's bytes are already there when the handler starts.
            body.deliver { chunk in
                invocation.receivedInput(chunk)
            } end: { _ in
                // A reset or closed stream ends the input like a clean end does.
                invocation.receivedEndOfInput()
            }
            await finish(handler, invocation: invocation, writer: writer)
            // Restate closes its side after our terminal message; reading to the end keeps
            // proxies that expect a fully read request body happy.
            await invocation.waitForEndOfInput()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await chunk in body { invocation.receivedInput(chunk) }
                } catch {
                    // A reset or closed stream ends the input like a clean end does.
                }
                invocation.receivedEndOfInput()
            }
            await finish(handler, invocation: invocation, writer: writer)
            await group.waitForAll()
        }
    }

    /// Runs the handler, then writes the last frames, the end (and the head, for a one-shot
    /// invocation) in one write.
    private func finish(
        _ handler: BoundService.Handler,
        invocation: Invocation,
        writer: SinkOutputWriter<some ResponseSink>
    ) async {
        await run(handler, invocation: invocation)
        do {
            try await writer.finish(invocation.takeOutput())
        } catch {
            // The transport is gone; Restate retries the attempt.
        }
    }

    /// How an attempt ended, for metrics.
    enum Outcome: String, CaseIterable, Sendable {
        case succeeded, failed, suspended, retrying, aborted
    }

    private func run(_ handler: BoundService.Handler, invocation: Invocation) async {
        let started = ContinuousClock.now
        let outcome = await execute(handler, invocation: invocation)
        invocation.cancelRuns()
        handler.metrics?.record(outcome, duration: ContinuousClock.now - started)
    }

    private func execute(_ handler: BoundService.Handler, invocation: Invocation) async -> Outcome {
        do {
            try await invocation.waitUntilReady()
        } catch {
            return .aborted  // the state machine wrote the error, or the stream went away
        }
        let input: InvocationStateMachine.Input
        do {
            input = try invocation.start()
        } catch {
            return .aborted
        }
        handler.metrics?.replayedEntries.record(Int64(input.knownEntries) - 1)
        do {
            let output = try await handler.run(input.key, invocation, input.body)
            try invocation.machineCall { machine in
                try machine.writeOutput(.success(output))
                try machine.end()
            }
            return .succeeded
        } catch let error as TerminalError {
            do {
                try invocation.machineCall { machine in
                    try machine.writeOutput(.failure(Failure(error)))
                    try machine.end()
                }
                return .failed
            } catch {
                return .aborted
            }
        } catch is Suspended {
            return .suspended
        } catch is InvocationAttemptError {
            return .retrying
        } catch let error as RetryableError {
            invocation.fail(code: error.code, message: error.message, retryAfter: error.retryAfter)
            return .retrying
        } catch is CancellationError {
            return .aborted
        } catch {
            invocation.fail(code: 500, message: String(describing: error), retryAfter: nil)
            return .retrying
        }
    }

    // MARK: Plain responses

    func respond(_ response: some ResponseSink, status: Int, text: String) async {
        do {
            try await response.finish(
                head: (
                    status,
                    [("content-type", "text/plain; charset=utf-8"), ("x-restate-server", Version.serverHeader)]
                ),
                body: ByteBuffer(string: text)
            )
        } catch {
            // The peer went away; nothing to tell it.
        }
    }
}

/// The parts of a request path the endpoint routes on: the path without its query and its last
/// three non-empty segments (`…/invoke/{service}/{handler}`, `…/discover`, `…/health`).
///
/// Found by scanning UTF-8 bytes from the end: `split` walks grapheme clusters and cost 4 % of a
/// one-shot invocation's CPU. A prefix before the three segments (a path-routing proxy's) is
/// allowed, as Restate's deployments behind gateways need it.
struct Route {
    let path: Substring
    let last: Substring?
    let second: Substring?
    let third: Substring?

    init(_ raw: String) {
        // Offsets from one pass over the contiguous bytes (last segment first); native strings
        // turn offsets into indices in constant time.
        var copy = raw
        var found: (count: Int, ranges: ((Int, Int), (Int, Int), (Int, Int))) = (0, ((0, 0), (0, 0), (0, 0)))
        func record(_ range: (Int, Int)) {
            switch found.count {
            case 0: found.ranges.0 = range
            case 1: found.ranges.1 = range
            default: found.ranges.2 = range
            }
            found.count += 1
        }
        let end = copy.withUTF8 { bytes -> Int in
            let end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count
            var segmentEnd = end
            var index = end
            while index > 0, found.count < 3 {
                let previous = index - 1
                if bytes[previous] == UInt8(ascii: "/") {
                    if index < segmentEnd { record((index, segmentEnd)) }
                    segmentEnd = previous
                } else if previous == 0 {
                    record((0, segmentEnd))
                }
                index = previous
            }
            return end
        }
        let utf8 = raw.utf8
        func slice(_ from: Int, _ to: Int) -> Substring {
            raw[utf8.index(utf8.startIndex, offsetBy: from)..<utf8.index(utf8.startIndex, offsetBy: to)]
        }
        path = slice(0, end)
        last = found.count > 0 ? slice(found.ranges.0.0, found.ranges.0.1) : nil
        second = found.count > 1 ? slice(found.ranges.1.0, found.ranges.1.1) : nil
        third = found.count > 2 ? slice(found.ranges.2.0, found.ranges.2.1) : nil
    }
}

/// The SDK's version, as announced in `x-restate-server`.
enum Version {
    static let sdk = "0.1.0"
    static let serverHeader = "restate-sdk-swift/\(sdk)"
}
