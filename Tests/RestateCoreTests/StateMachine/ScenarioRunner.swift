import Foundation
import NIOCore
import SwiftProtobuf
import Testing

@testable import RestateCore

/// A JSON value, as read from the scenario files (`Tests/Scenarios/README.md`).
enum ScenarioJSON: Hashable, Sendable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ScenarioJSON])
    case object([String: ScenarioJSON])

    init(from decoder: any Swift.Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ScenarioJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ScenarioJSON].self))
        }
    }

    func encode(to encoder: any Swift.Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let v): try container.encode(v)
        case .number(let v):
            if v == v.rounded(), abs(v) < 1e15 { try container.encode(Int64(v)) } else { try container.encode(v) }
        case .string(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }

    subscript(key: String) -> ScenarioJSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var array: [ScenarioJSON]? { if case .array(let a) = self { return a } else { return nil } }
    var object: [String: ScenarioJSON]? { if case .object(let o) = self { return o } else { return nil } }

    var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "?"
    }

    var description: String { jsonText }
}

/// One scenario file entry.
struct Scenario: Sendable {
    var name: String
    var source: String
    var versions: [ProtocolVersion]
    var json: ScenarioJSON

    static func load(_ url: URL) throws -> [Scenario] {
        let document = try JSONDecoder().decode(ScenarioJSON.self, from: Data(contentsOf: url))
        return (document["scenarios"]?.array ?? []).map { entry in
            Scenario(
                name: entry["name"]?.string ?? "?",
                source: entry["source"]?.string ?? "",
                versions: (entry["versions"]?.array ?? [.number(5), .number(6), .number(7)]).compactMap {
                    $0.number.flatMap { ProtocolVersion(rawValue: Int($0)) }
                },
                json: entry
            )
        }
    }
}

/// A decoded frame: its type, flags and message.
struct ScenarioFrame: CustomStringConvertible {
    var type: MessageType
    var flags: UInt16
    var message: any SwiftProtobuf.Message

    var description: String {
        let text = message.textFormatString().split(separator: "\n").joined(separator: " ")
        return "\(type.name) flags=\(flags) { \(text) }"
    }

    /// The README's normalisation: clock-dependent and free-text fields cleared.
    mutating func normalise() {
        if var m = message as? Proto.SleepCommandMessage {
            m.wakeUpTime = 0
            message = m
        } else if var m = message as? Proto.OneWayCallCommandMessage {
            m.invokeTime = 0
            message = m
        } else if var m = message as? Proto.ErrorMessage {
            m.message = ""
            m.stacktrace = ""
            message = m
        }
    }

    func sameAs(_ other: ScenarioFrame) -> Bool {
        type == other.type && flags == other.flags && message.isEqualTo(message: other.message)
    }
}

enum ScenarioCodec {
    static let typesByName: [String: MessageType] = Dictionary(
        uniqueKeysWithValues: MessageType.known.map { ($0.value, $0.key) }
    )

    static func messageClass(_ type: MessageType, version: ProtocolVersion) -> any SwiftProtobuf.Message.Type {
        switch type {
        case .start: return Proto.StartMessage.self
        case .suspension: return version >= .v7 ? Proto.SuspensionMessage.self : Proto.SuspensionMessageV6.self
        case .error: return Proto.ErrorMessage.self
        case .end: return Proto.EndMessage.self
        case .commandAck: return Proto.CommandAckMessage.self
        case .proposeRunCompletion: return Proto.ProposeRunCompletionMessage.self
        case .awaitingOn: return Proto.AwaitingOnMessage.self
        case .proposeRunCompletionAck: return Proto.ProposeRunCompletionAckMessage.self
        case .inputCommand: return Proto.InputCommandMessage.self
        case .outputCommand: return Proto.OutputCommandMessage.self
        case .getLazyStateCommand: return Proto.GetLazyStateCommandMessage.self
        case .setStateCommand: return Proto.SetStateCommandMessage.self
        case .clearStateCommand: return Proto.ClearStateCommandMessage.self
        case .clearAllStateCommand: return Proto.ClearAllStateCommandMessage.self
        case .getLazyStateKeysCommand: return Proto.GetLazyStateKeysCommandMessage.self
        case .getEagerStateCommand: return Proto.GetEagerStateCommandMessage.self
        case .getEagerStateKeysCommand: return Proto.GetEagerStateKeysCommandMessage.self
        case .getPromiseCommand: return Proto.GetPromiseCommandMessage.self
        case .peekPromiseCommand: return Proto.PeekPromiseCommandMessage.self
        case .completePromiseCommand: return Proto.CompletePromiseCommandMessage.self
        case .sleepCommand: return Proto.SleepCommandMessage.self
        case .callCommand: return Proto.CallCommandMessage.self
        case .oneWayCallCommand: return Proto.OneWayCallCommandMessage.self
        case .sendSignalCommand: return Proto.SendSignalCommandMessage.self
        case .runCommand: return Proto.RunCommandMessage.self
        case .attachInvocationCommand: return Proto.AttachInvocationCommandMessage.self
        case .getInvocationOutputCommand: return Proto.GetInvocationOutputCommandMessage.self
        case .completeAwakeableCommand: return Proto.CompleteAwakeableCommandMessage.self
        case .getLazyStateCompletionNotification: return Proto.GetLazyStateCompletionNotificationMessage.self
        case .getLazyStateKeysCompletionNotification: return Proto.GetLazyStateKeysCompletionNotificationMessage.self
        case .getPromiseCompletionNotification: return Proto.GetPromiseCompletionNotificationMessage.self
        case .peekPromiseCompletionNotification: return Proto.PeekPromiseCompletionNotificationMessage.self
        case .completePromiseCompletionNotification: return Proto.CompletePromiseCompletionNotificationMessage.self
        case .sleepCompletionNotification: return Proto.SleepCompletionNotificationMessage.self
        case .callCompletionNotification: return Proto.CallCompletionNotificationMessage.self
        case .callInvocationIdCompletionNotification: return Proto.CallInvocationIdCompletionNotificationMessage.self
        case .runCompletionNotification: return Proto.RunCompletionNotificationMessage.self
        case .attachInvocationCompletionNotification: return Proto.AttachInvocationCompletionNotificationMessage.self
        case .getInvocationOutputCompletionNotification:
            return Proto.GetInvocationOutputCompletionNotificationMessage.self
        case .signalNotification: return Proto.SignalNotificationMessage.self
        default: return Proto.NotificationTemplate.self
        }
    }

    struct CodecError: Error, CustomStringConvertible {
        var description: String
    }

    static func frame(_ json: ScenarioJSON, version: ProtocolVersion) throws -> ScenarioFrame {
        guard let name = json["type"]?.string else { throw CodecError(description: "frame without type: \(json)") }
        let type: MessageType
        if let known = typesByName[name] {
            type = known
        } else if name.hasPrefix("0x"), let raw = UInt16(name.dropFirst(2), radix: 16) {
            type = MessageType(rawValue: raw)
        } else {
            throw CodecError(description: "unknown message type \(name)")
        }
        let messageJSON = json["message"] ?? .object([:])
        let message: any SwiftProtobuf.Message
        do {
            message = try messageClass(type, version: version).init(jsonString: messageJSON.jsonText)
        } catch {
            throw CodecError(description: "cannot read \(name) from \(messageJSON.jsonText): \(error)")
        }
        return ScenarioFrame(type: type, flags: UInt16(json["flags"]?.number ?? 0), message: message)
    }

    static func encode(_ frame: ScenarioFrame) throws -> ByteBuffer {
        let payload: Data = try frame.message.serializedData()
        var buffer = ByteBufferAllocator().buffer(capacity: 8 + payload.count)
        buffer.writeFrameHeader(FrameHeader(type: frame.type, flags: frame.flags, length: UInt32(payload.count)))
        buffer.writeBytes(payload)
        return buffer
    }

    static func decodeAll(_ bytes: ByteBuffer, version: ProtocolVersion) throws -> [ScenarioFrame] {
        var decoder = FrameDecoder()
        decoder.append(bytes)
        var frames: [ScenarioFrame] = []
        while let frame = try decoder.next() {
            let message = try messageClass(frame.type, version: version).init(
                serializedBytes: Data(frame.payload.readableBytesView)
            )
            frames.append(ScenarioFrame(type: frame.type, flags: frame.header.flags, message: message))
        }
        try decoder.finish()
        return frames
    }
}

/// What one scenario produced.
struct ScenarioOutcome {
    var output: [ScenarioFrame]
    var results: [String: ScenarioJSON]
    var error: UInt16?
}

/// Runs one scenario on one version through ``InvocationStateMachine``, following the README's
/// await loop.
struct ScenarioRunner {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    private struct Stop: Error {}

    let scenario: Scenario
    let version: ProtocolVersion
    private var machine: InvocationStateMachine
    private var handles: [String: NotificationHandle] = [:]
    private var runOutcomes: [NotificationHandle: ScenarioJSON] = [:]
    private var results: [String: ScenarioJSON] = [:]
    private var inputClosed = false
    private var output = ByteBufferAllocator().buffer(capacity: 256)
    private let now = Duration.milliseconds(Int64(Date().timeIntervalSince1970 * 1000))

    init(scenario: Scenario, version: ProtocolVersion) throws {
        self.scenario = scenario
        self.version = version
        let vmOptions = scenario.json["vmOptions"]
        var options = InvocationStateMachine.Options()
        let implicit = vmOptions?["implicitCancellation"]?.bool ?? true
        let children = vmOptions?["cancelChildrenCalls"]?.bool ?? true
        let oneWay = vmOptions?["cancelChildrenOneWayCalls"]?.bool ?? false
        options.implicitCancellation =
            implicit ? .enabled(cancelChildCalls: children, cancelChildOneWayCalls: oneWay) : .disabled
        options.payloadChecks = vmOptions?["payloadChecks"]?.bool ?? true
        switch vmOptions?["journalMismatchRetryBehavior"]?.string {
        case "pause": options.journalMismatchBehavior = .pause
        case "fail": options.journalMismatchBehavior = .fail
        default: break
        }
        self.machine = try InvocationStateMachine(contentType: version.contentType, options: options)
    }

    mutating func run() throws -> ScenarioOutcome {
        var error: UInt16?
        do {
            try feed(scenario.json["input"]?.array ?? [])
            if scenario.json["closeInput"]?.bool ?? true { closeInput() }
            guard try machine.isReadyToExecute() else {
                throw Malformed(description: "the state machine is not ready to execute after the input frames")
            }
            for op in scenario.json["code"]?.array ?? [] {
                try perform(op)
                drain()
            }
        } catch let e as InvocationError {
            error = e.code
        } catch is Stop {
        }
        drain()
        var frames = try ScenarioCodec.decodeAll(output, version: version)
        let compareAwaitingOn = scenario.json["compareAwaitingOn"]?.bool ?? false
        frames.removeAll { $0.type == .awaitingOn && !compareAwaitingOn }
        for index in frames.indices { frames[index].normalise() }
        return ScenarioOutcome(output: frames, results: results, error: error)
    }

    private mutating func feed(_ frames: [ScenarioJSON]) throws {
        for json in frames {
            machine.notifyInput(try ScenarioCodec.encode(ScenarioCodec.frame(json, version: version)))
        }
    }

    private mutating func closeInput() {
        machine.notifyInputClosed()
        inputClosed = true
    }

    private mutating func drain() {
        while case .bytes(var bytes) = machine.takeOutput() {
            output.writeBuffer(&bytes)
        }
    }

    private func handle(_ name: ScenarioJSON?) throws -> NotificationHandle {
        guard let name = name?.string, let handle = handles[name] else {
            throw Malformed(description: "unknown handle \(name?.description ?? "nil")")
        }
        return handle
    }

    private func future(_ json: ScenarioJSON) throws -> UnresolvedFuture {
        if json.string != nil { return .single(try handle(json)) }
        guard let object = json.object, object.count == 1, let (kind, children) = object.first,
            let list = children.array
        else { throw Malformed(description: "bad future \(json)") }
        let futures = try list.map { try future($0) }
        switch kind {
        case "firstCompleted": return .firstCompleted(futures)
        case "allCompleted": return .allCompleted(futures)
        case "firstSucceededOrAllFailed": return .firstSucceededOrAllFailed(futures)
        case "allSucceededOrFirstFailed": return .allSucceededOrFirstFailed(futures)
        case "unknown": return .unknown(futures)
        default: throw Malformed(description: "unknown combinator \(kind)")
        }
    }

    private static func bytes(_ json: ScenarioJSON?) throws -> Data {
        guard let text = json?.string, let data = Data(base64Encoded: text) else {
            throw Malformed(description: "bad base64 \(json?.description ?? "nil")")
        }
        return data
    }

    private static func failure(_ json: ScenarioJSON) -> Failure {
        Failure(
            code: UInt16(json["code"]?.number ?? 500),
            message: json["message"]?.string ?? "",
            metadata: (json["metadata"]?.array ?? []).map {
                Failure.Metadata(key: $0["key"]?.string ?? "", value: $0["value"]?.string ?? "")
            }
        )
    }

    private static func completion(_ op: ScenarioJSON) throws -> CompletionValue {
        if let failure = op["failure"] { return .failure(Self.failure(failure)) }
        return .success(try bytes(op["value"]))
    }

    private static func target(_ op: ScenarioJSON) throws -> InvocationStateMachine.CallTarget {
        InvocationStateMachine.CallTarget(
            service: op["service"]?.string ?? "",
            handler: op["handler"]?.string ?? "",
            key: op["key"]?.string,
            idempotencyKey: op["idempotencyKey"]?.string,
            headers: (op["headers"]?.array ?? []).map {
                .init(key: $0["key"]?.string ?? "", value: $0["value"]?.string ?? "")
            },
            scope: op["scope"]?.string,
            limitKey: op["limitKey"]?.string
        )
    }

    private static func invocationTarget(_ json: ScenarioJSON?) throws -> InvocationStateMachine.InvocationTarget {
        if let id = json?.string ?? json?["invocationId"]?.string { return .invocationID(id) }
        if let workflow = json?["workflow"] {
            return .workflow(
                name: workflow["name"]?.string ?? "",
                key: workflow["key"]?.string ?? "",
                scope: workflow["scope"]?.string
            )
        }
        throw Malformed(description: "bad target \(json?.description ?? "nil")")
    }

    static func resultJSON(_ value: NotificationValue?) -> ScenarioJSON {
        guard let value else { return .null }
        switch value {
        case .void: return .object(["void": .bool(true)])
        case .success(let data): return .object(["value": .string(data.base64EncodedString())])
        case .failure(let failure): return .object(["failure": failureJSON(failure)])
        case .stateKeys(let keys):
            return .object(["stateKeys": .array(keys.map { .string(Data($0.utf8).base64EncodedString()) })])
        case .invocationID(let id): return .object(["invocationId": .string(id)])
        }
    }

    static func failureJSON(_ failure: Failure) -> ScenarioJSON {
        var object: [String: ScenarioJSON] = ["code": .number(Double(failure.code)), "message": .string(failure.message)]
        if !failure.metadata.isEmpty {
            object["metadata"] = .array(
                failure.metadata.map { .object(["key": .string($0.key), "value": .string($0.value)]) }
            )
        }
        return .object(object)
    }

    private mutating func record(_ op: ScenarioJSON, _ value: ScenarioJSON) {
        if let name = op["as"]?.string { results[name] = value }
    }

    private mutating func perform(_ op: ScenarioJSON) throws {
        guard let kind = op["op"]?.string else { throw Malformed(description: "op without a name: \(op)") }
        let name = op["as"]?.string ?? ""
        switch kind {
        case "input":
            let input = try machine.input()
            record(op, .object(["input": .string(input.body.base64EncodedString())]))
        case "getState":
            handles[name] = try machine.getState(key: op["key"]?.string ?? "")
        case "getStateKeys":
            handles[name] = try machine.getStateKeys()
        case "setState":
            try machine.setState(key: op["key"]?.string ?? "", value: Self.bytes(op["value"]))
        case "clearState":
            try machine.clearState(key: op["key"]?.string ?? "")
        case "clearAllState":
            try machine.clearAllState()
        case "sleep":
            let millis = Int64(op["millis"]?.number ?? 0)
            handles[name] = try machine.sleep(for: .milliseconds(millis), now: now, name: op["name"]?.string ?? "")
        case "call":
            let call = try machine.call(Self.target(op), parameter: Self.bytes(op["parameter"]))
            handles[name + ".id"] = call.invocationID
            handles[name] = call.result
        case "send":
            let delay = op["delayMillis"]?.number.map { now + .milliseconds(Int64($0)) }
            handles[name] = try machine.send(Self.target(op), parameter: Self.bytes(op["parameter"]), invokeTime: delay)
        case "awakeable":
            let awakeable = try machine.awakeable()
            handles[name] = awakeable.handle
            results[name + ".awakeableId"] = .object(["awakeableId": .string(awakeable.id)])
        case "completeAwakeable":
            try machine.completeAwakeable(id: op["id"]?.string ?? "", result: Self.completion(op))
        case "signal":
            handles[name] = try machine.signal(name: op["name"]?.string ?? "")
        case "completeSignal":
            guard case .invocationID(let target) = try Self.invocationTarget(op["target"]) else {
                throw Malformed(description: "completeSignal needs an invocation id")
            }
            try machine.completeSignal(target: target, name: op["name"]?.string ?? "", result: Self.completion(op))
        case "getPromise":
            handles[name] = try machine.getPromise(key: op["key"]?.string ?? "")
        case "peekPromise":
            handles[name] = try machine.peekPromise(key: op["key"]?.string ?? "")
        case "completePromise":
            handles[name] = try machine.completePromise(key: op["key"]?.string ?? "", result: Self.completion(op))
        case "run":
            let run = try machine.run(name: op["name"]?.string ?? "")
            handles[name] = run.handle
            runOutcomes[run.handle] = op["outcome"]
            results[name + ".replayed"] = .object(["replayed": .bool(run.replayed)])
        case "cancelInvocation":
            guard case .invocationID(let target) = try Self.invocationTarget(op["target"]) else {
                throw Malformed(description: "cancelInvocation needs an invocation id")
            }
            try machine.cancelInvocation(target: target)
        case "attachInvocation":
            handles[name] = try machine.attachInvocation(target: Self.invocationTarget(op["target"]))
        case "getInvocationOutput":
            handles[name] = try machine.getInvocationOutput(target: Self.invocationTarget(op["target"]))
        case "await":
            try awaitOp(op)
        case "take":
            record(op, Self.resultJSON(try machine.takeNotification(handle(op["handle"]))))
        case "output":
            try machine.writeOutput(.success(Self.bytes(op["value"])))
        case "outputFailure":
            try machine.writeOutput(.failure(Self.failure(op)))
        case "end":
            try machine.end()
        case "notifyError":
            machine.notifyError(
                message: op["message"]?.string ?? "",
                stacktrace: op["stacktrace"]?.string ?? "",
                nextRetryDelay: op["delayMillis"]?.number.map { .milliseconds(Int64($0)) }
            )
        case "feed":
            try feed(op["frames"]?.array ?? [])
        case "closeInput":
            closeInput()
        default:
            throw Malformed(description: "unknown op \(kind)")
        }
    }

    private mutating func awaitOp(_ op: ScenarioJSON) throws {
        let awaited = try future(op["future"] ?? .null)
        var batches = op["feed"]?.array ?? []
        while true {
            drain()
            let progress: InvocationStateMachine.Progress
            switch progressResult(awaited) {
            case .success(let value):
                progress = value
            case .failure(let error) where error.isSuspended:
                record(op, .string("suspended"))
                throw Stop()
            case .failure(let error):
                throw error
            }
            switch progress {
            case .anyCompleted:
                record(op, .string("completed"))
                return
            case .cancelSignalReceived:
                record(op, .string("cancelled"))
                return
            case .executeRun(let handle):
                try propose(handle)
            case .waitingExternalProgress:
                if !batches.isEmpty {
                    try feed(batches.removeFirst().array ?? [])
                } else if !inputClosed {
                    closeInput()
                } else {
                    throw Malformed(description: "WaitingExternalProgress after the input was closed")
                }
            }
        }
    }

    private mutating func progressResult(_ future: UnresolvedFuture) -> Result<
        InvocationStateMachine.Progress, InvocationError
    > {
        do {
            return .success(try machine.doProgress(future))
        } catch {
            return .failure(error)
        }
    }

    private mutating func propose(_ handle: NotificationHandle) throws {
        guard let outcome = runOutcomes[handle], outcome != .null else {
            throw Malformed(description: "ExecuteRun(\(handle)) for a run without an outcome")
        }
        if outcome["value"] != nil {
            try machine.proposeRunCompletion(handle, .success(Self.bytes(outcome["value"])))
        } else if let failure = outcome["failure"] {
            try machine.proposeRunCompletion(handle, .terminalFailure(Self.failure(failure)))
        } else if let retryable = outcome["retryable"] {
            let policy = retryable["policy"]?.object ?? [:]
            let initial = policy["initialIntervalMillis"]?.number
            let factor = policy["factor"]?.number
            let maxInterval = policy["maxIntervalMillis"]?.number
            let maxAttempts = policy["maxAttempts"]?.number
            let maxDuration = policy["maxDurationMillis"]?.number
            // As the Python binding: an empty policy means infinite retries; otherwise exponential
            // with initial interval 50 ms, factor 2 and max interval 10 s by default.
            let retryPolicy: RetryPolicy =
                policy.isEmpty
                ? .infinite
                : .exponential(
                    initialInterval: .milliseconds(Int64(initial ?? 50)),
                    factor: factor ?? 2,
                    maxInterval: .milliseconds(Int64(maxInterval ?? 10_000)),
                    maxAttempts: maxAttempts.map { UInt32($0) },
                    maxDuration: maxDuration.map { .milliseconds(Int64($0)) },
                    onExhausted: policy["onMaxAttempts"]?.string == "pause" ? .pause : .fail
                )
            try machine.proposeRunCompletion(
                handle,
                .retryableFailure(
                    code: UInt16(retryable["code"]?.number ?? 500),
                    message: retryable["message"]?.string ?? "",
                    stacktrace: retryable["stacktrace"]?.string ?? "",
                    attemptDuration: .milliseconds(Int64(retryable["attemptDurationMillis"]?.number ?? 0)),
                    policy: retryPolicy
                )
            )
        } else {
            throw Malformed(description: "bad run outcome \(outcome)")
        }
    }
}

/// Compares an outcome with a scenario's `expect`; returns the differences, readable.
func scenarioDifferences(
    _ outcome: ScenarioOutcome,
    expect: ScenarioJSON,
    version: ProtocolVersion,
    orderingPendingRunProposals: Bool = false
) throws -> [String] {
    var differences: [String] = []
    var expected = try (expect["output"]?.array ?? []).map { try ScenarioCodec.frame($0, version: version) }
    for index in expected.indices { expected[index].normalise() }
    var actual = outcome.output
    if orderingPendingRunProposals {
        sortAdjacentRunProposals(&expected)
        sortAdjacentRunProposals(&actual)
    }
    for index in 0..<max(expected.count, actual.count) {
        let e = index < expected.count ? expected[index] : nil
        let a = index < actual.count ? actual[index] : nil
        switch (e, a) {
        case (let e?, let a?) where e.sameAs(a):
            continue
        default:
            differences.append(
                "output[\(index)]:\n    expected \(e?.description ?? "<nothing>")\n    actual   \(a?.description ?? "<nothing>")"
            )
        }
    }
    let expectedResults = expect["results"]?.object ?? [:]
    for key in Set(expectedResults.keys).union(outcome.results.keys).sorted() {
        let e = expectedResults[key]
        let a = outcome.results[key]
        if e != a {
            differences.append(
                "results[\(key)]: expected \(e?.description ?? "<missing>"), actual \(a?.description ?? "<missing>")"
            )
        }
    }
    let expectedError = expect["error"]?.number.map { UInt16($0) }
    if expectedError != outcome.error {
        differences.append(
            "error: expected \(expectedError.map(String.init) ?? "none"), actual \(outcome.error.map(String.init) ?? "none")"
        )
    }
    return differences
}

/// When one await has several runs to execute, the reference picks them in hash-map order, which
/// varies from process to process; the Swift machine takes the oldest first. Consecutive
/// proposals are therefore compared as a set (ordered by completion id).
func sortAdjacentRunProposals(_ frames: inout [ScenarioFrame]) {
    var start = 0
    while start < frames.count {
        var end = start
        while end < frames.count, frames[end].type == .proposeRunCompletion { end += 1 }
        if end - start > 1 {
            frames[start..<end].sort {
                ($0.message as? Proto.ProposeRunCompletionMessage)?.resultCompletionID ?? 0
                    < ($1.message as? Proto.ProposeRunCompletionMessage)?.resultCompletionID ?? 0
            }
        }
        start = max(end, start + 1)
    }
}

/// Runs a scenario on one version and returns the differences from its `expect` (empty: pass).
func checkScenario(
    _ scenario: Scenario,
    version: ProtocolVersion,
    orderingPendingRunProposals: Bool = false
) -> [String] {
    do {
        var runner = try ScenarioRunner(scenario: scenario, version: version)
        let outcome = try runner.run()
        return try scenarioDifferences(
            outcome,
            expect: scenario.json["expect"] ?? .object([:]),
            version: version,
            orderingPendingRunProposals: orderingPendingRunProposals
        )
    } catch {
        return ["runner error: \(error)"]
    }
}

/// A scenario × version, as a test argument.
struct ScenarioCase: Sendable, CustomTestStringConvertible {
    var file: String
    var scenario: Scenario
    var version: ProtocolVersion

    var testDescription: String { "\(scenario.name) V\(version.rawValue)" }

    static func load(directory: URL) -> [ScenarioCase] {
        let files =
            ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        var cases: [ScenarioCase] = []
        for file in files {
            let scenarios: [Scenario]
            do {
                scenarios = try Scenario.load(file)
            } catch {
                // A broken file must fail loudly, not vanish: keep it as a case that reports it.
                let broken = Scenario(
                    name: "\(file.lastPathComponent): unreadable (\(error))",
                    source: "",
                    versions: [.v5],
                    json: .null
                )
                cases.append(ScenarioCase(file: file.lastPathComponent, scenario: broken, version: .v5))
                continue
            }
            for scenario in scenarios {
                for version in scenario.versions {
                    cases.append(ScenarioCase(file: file.lastPathComponent, scenario: scenario, version: version))
                }
            }
        }
        return cases
    }
}

enum TestPaths {
    /// `Tests/` of this package.
    static let testsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
    static let repositoryRoot = testsDirectory.deletingLastPathComponent()
    static let scenarios = testsDirectory.appendingPathComponent("Scenarios")
    static let fixtures = testsDirectory.appendingPathComponent("RestateCoreTests/StateMachine/Fixtures")
}
