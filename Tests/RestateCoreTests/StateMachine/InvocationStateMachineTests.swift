import Foundation
import NIOCore
import SwiftProtobuf
import Testing

@testable import RestateCore

/// Builders for hand-written state-machine tests.
enum Journal {
    static func frame<M: SwiftProtobuf.Message>(_ message: M, _ type: MessageType, flags: UInt16 = 0) -> ByteBuffer {
        InvocationStateMachine.encodeFrame(message, type: type, flags: flags)
    }

    static func start(
        knownEntries: UInt32,
        retryCount: UInt32 = 0,
        duration: UInt64 = 0,
        state: [String: String]? = nil
    ) -> ByteBuffer {
        var start = Proto.StartMessage()
        start.id = Data("123".utf8)
        start.debugID = "123"
        start.knownEntries = knownEntries
        start.retryCountSinceLastStoredEntry = retryCount
        start.durationSinceLastStoredEntry = duration
        if let state {
            start.partialState = false
            start.stateMap = state.map { key, value in
                var entry = Proto.StartMessage.StateEntry()
                entry.key = Data(key.utf8)
                entry.value = Data(value.utf8)
                return entry
            }
        } else {
            start.partialState = true
        }
        return frame(start, .start)
    }

    static func input(_ body: String = "my-data") -> ByteBuffer {
        var input = Proto.InputCommandMessage()
        input.value.content = Data(body.utf8)
        return frame(input, .inputCommand)
    }

    static func run(_ name: String, completionID: UInt32) -> ByteBuffer {
        var run = Proto.RunCommandMessage()
        run.name = name
        run.resultCompletionID = completionID
        return frame(run, .runCommand)
    }

    /// A machine fed with `frames` (and closed input unless `bidi`), input already read.
    static func machine(
        _ version: ProtocolVersion,
        _ frames: [ByteBuffer],
        bidi: Bool = false,
        options: InvocationStateMachine.Options = .init()
    ) throws -> InvocationStateMachine {
        var machine = try InvocationStateMachine(contentType: version.contentType, options: options)
        for frame in frames { machine.notifyInput(frame) }
        if !bidi { machine.notifyInputClosed() }
        #expect(try machine.isReadyToExecute())
        _ = try machine.input()
        return machine
    }

    /// Every frame written so far, decoded.
    static func output(_ machine: inout InvocationStateMachine) throws -> [ScenarioFrame] {
        var bytes = ByteBufferAllocator().buffer(capacity: 64)
        while case .bytes(var chunk) = machine.takeOutput() { bytes.writeBuffer(&chunk) }
        return try ScenarioCodec.decodeAll(bytes, version: machine.version)
    }

    static func rawOutput(_ machine: inout InvocationStateMachine) -> [UInt8] {
        var bytes: [UInt8] = []
        while case .bytes(let chunk) = machine.takeOutput() { bytes += chunk.readableBytesView }
        return bytes
    }
}

@Suite("Invocation state machine")
struct InvocationStateMachineTests {
    @Test(
        "unsupported or missing content types are 415",
        arguments: [nil, "application/json", "application/vnd.restate.invocation.v4"]
    )
    func unsupportedContentType(_ contentType: String?) {
        #expect(throws: InvocationError.self) { try InvocationStateMachine(contentType: contentType) }
        do {
            _ = try InvocationStateMachine(contentType: contentType)
        } catch {
            #expect(error.code == 415)
        }
    }

    @Test("the response content type echoes the negotiated version", arguments: ProtocolVersion.allCases)
    func responseContentType(_ version: ProtocolVersion) throws {
        let machine = try InvocationStateMachine(contentType: version.contentType)
        #expect(machine.responseContentType == "application/vnd.restate.invocation.v\(version.rawValue)")
        #expect(machine.version == version)
    }

    @Test("a fresh machine has no output and is not ready")
    func freshMachine() throws {
        var machine = try InvocationStateMachine(contentType: ProtocolVersion.v5.contentType)
        guard case .none = machine.takeOutput() else {
            Issue.record("unexpected output")
            return
        }
        #expect(try machine.isReadyToExecute() == false)
    }

    @Test("awakeable id golden: id \"123\", signal index 17")
    func awakeableIDGolden() throws {
        var machine = try Journal.machine(.v6, [Journal.start(knownEntries: 1), Journal.input()])
        let first = try machine.awakeable()
        let second = try machine.awakeable()
        #expect(first.id == "sign_1MTIzAAAAEQ")
        #expect(second.id == awakeableID(invocationID: Data("123".utf8), signalIndex: 18))
        #expect(first.handle != second.handle)
        let longID = Data(0..<24)
        #expect(awakeableID(invocationID: longID, signalIndex: 17) == "sign_1AAECAwQFBgcICQoLDA0ODxAREhMUFRYXAAAAEQ")
    }

    @Test("V6 suspension bytes for a new sleep: 0a 01 01 12 01 01")
    func v6SuspensionBytes() throws {
        var machine = try Journal.machine(.v6, [Journal.start(knownEntries: 1), Journal.input()])
        let sleep = try machine.sleep(until: .seconds(1_700_000_000))
        let frames = try Journal.output(&machine)
        #expect(frames.count == 1)
        #expect(throws: InvocationError.suspended) { try machine.doProgress(.single(sleep)) }
        let bytes = Journal.rawOutput(&machine)
        #expect(bytes == [0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x0A, 0x01, 0x01, 0x12, 0x01, 0x01])
        guard case .closed = machine.takeOutput() else {
            Issue.record("output not closed after suspension")
            return
        }
        #expect(machine.isClosed)
    }

    @Test("completion ids: a call takes two, every state get takes one even when eager")
    func completionIDs() throws {
        var machine = try Journal.machine(.v7, [Journal.start(knownEntries: 1, state: ["a": "A"]), Journal.input()])
        _ = try machine.getState(key: "a")
        let call = try machine.call(.init(service: "S", handler: "h"), parameter: Data())
        _ = try machine.getState(key: "missing")
        let sleep = try machine.sleep(until: .seconds(1))
        let frames = try Journal.output(&machine)
        #expect(frames.map(\.type) == [.getEagerStateCommand, .callCommand, .getEagerStateCommand, .sleepCommand])
        let callMessage = try #require(frames[1].message as? Proto.CallCommandMessage)
        #expect(callMessage.invocationIDNotificationIdx == 2)
        #expect(callMessage.resultCompletionID == 3)
        #expect((frames[3].message as? Proto.SleepCommandMessage)?.resultCompletionID == 5)
        #expect(call.invocationID != call.result && sleep != call.result)
    }

    @Test("lazy state when the eager map is partial")
    func lazyState() throws {
        var machine = try Journal.machine(.v5, [Journal.start(knownEntries: 1), Journal.input()], bidi: true)
        let handle = try machine.getState(key: "k")
        #expect(!machine.isCompleted(handle))
        var completion = Proto.GetLazyStateCompletionNotificationMessage()
        completion.completionID = 1
        completion.value.content = Data("v".utf8)
        machine.notifyInput(Journal.frame(completion, .getLazyStateCompletionNotification))
        #expect(try machine.doProgress(.single(handle)) == .anyCompleted)
        #expect(try machine.takeNotification(handle) == .success(Data("v".utf8)))
        #expect(try Journal.output(&machine).map(\.type) == [.getLazyStateCommand])
    }

    @Test("V7 run: REQUESTED_ACK, then the ack completes with the cached value")
    func runAckFlow() throws {
        var machine = try Journal.machine(.v7, [Journal.start(knownEntries: 1), Journal.input()], bidi: true)
        let run = try machine.run(name: "my-side-effect")
        #expect(!run.replayed)
        #expect(try machine.doProgress(.single(run.handle)) == .executeRun(run.handle))
        try machine.proposeRunCompletion(run.handle, .success(Data("123".utf8)))
        #expect(
            try machine.doProgress(.single(run.handle))
                == .waitingExternalProgress(waitingInput: true, waitingRunProposal: false)
        )
        let frames = try Journal.output(&machine)
        #expect(frames.map(\.type) == [.runCommand, .proposeRunCompletion, .awaitingOn])
        #expect(frames[1].flags == FrameHeader.requestedAck)

        var ack = Proto.ProposeRunCompletionAckMessage()
        ack.completionID = 1
        machine.notifyInput(Journal.frame(ack, .proposeRunCompletionAck))
        #expect(try machine.doProgress(.single(run.handle)) == .anyCompleted)
        #expect(try machine.takeNotification(run.handle) == .success(Data("123".utf8)))
    }

    @Test("an ack for a run that was not proposed is a protocol violation")
    func badAck() throws {
        var machine = try Journal.machine(.v7, [Journal.start(knownEntries: 1), Journal.input()], bidi: true)
        var ack = Proto.ProposeRunCompletionAckMessage()
        ack.completionID = 42
        machine.notifyInput(Journal.frame(ack, .proposeRunCompletionAck))
        #expect(machine.isClosed)
        let frames = try Journal.output(&machine)
        #expect((frames.last?.message as? Proto.ErrorMessage)?.code == 571)
        #expect(throws: InvocationError.self) { try machine.getState(key: "x") }
    }

    @Test("V5/V6 run proposals carry no flag and wait for the notification", arguments: [ProtocolVersion.v5, .v6])
    func runWithoutAck(_ version: ProtocolVersion) throws {
        var machine = try Journal.machine(version, [Journal.start(knownEntries: 1), Journal.input()], bidi: true)
        let run = try machine.run(name: "x")
        _ = try machine.doProgress(.single(run.handle))
        try machine.proposeRunCompletion(run.handle, .success(Data("1".utf8)))
        var completion = Proto.RunCompletionNotificationMessage()
        completion.completionID = 1
        completion.value.content = Data("1".utf8)
        machine.notifyInput(Journal.frame(completion, .runCompletionNotification))
        #expect(try machine.doProgress(.single(run.handle)) == .anyCompleted)
        let frames = try Journal.output(&machine)
        #expect(frames.map(\.flags) == [0, 0])
    }

    @Test("journal mismatch names the command and ends the stream with one ErrorMessage")
    func journalMismatch() throws {
        var set = Proto.SetStateCommandMessage()
        set.key = Data("STATE".utf8)
        set.value.content = Data("my-value".utf8)
        var machine = try Journal.machine(
            .v6,
            [Journal.start(knownEntries: 2), Journal.input(), Journal.frame(set, .setStateCommand)]
        )
        #expect(machine.isReplaying)
        do {
            try machine.setState(key: "STATE", value: Data("another-value".utf8))
            Issue.record("no mismatch")
        } catch {
            #expect(error.code == 570)
            #expect(error.relatedCommand == .init(index: 1, type: .setStateCommand, name: nil))
            #expect(error.message.contains("my-value") && error.message.contains("another-value"))
        }
        let frames = try Journal.output(&machine)
        #expect(frames.count == 1)
        #expect((frames[0].message as? Proto.ErrorMessage)?.relatedCommandType == 0x0403)
    }

    @Test(
        "journal mismatch behaviour on V7",
        arguments: [
            (InvocationStateMachine.Options.JournalMismatchBehavior.retry, Proto.ErrorBehavior.retry),
            (.pause, .pause), (.fail, .fail),
        ]
    )
    func mismatchBehaviour(
        _ behaviour: InvocationStateMachine.Options.JournalMismatchBehavior,
        _ wire: Proto.ErrorBehavior
    )
        throws
    {
        var sleep = Proto.SleepCommandMessage()
        sleep.resultCompletionID = 1
        var options = InvocationStateMachine.Options()
        options.journalMismatchBehavior = behaviour
        var machine = try Journal.machine(
            .v7,
            [Journal.start(knownEntries: 2), Journal.input(), Journal.frame(sleep, .sleepCommand)],
            options: options
        )
        #expect(throws: InvocationError.self) { try machine.getPromise(key: "p") }
        let error = try #require(try Journal.output(&machine).first?.message as? Proto.ErrorMessage)
        #expect(error.code == 570)
        #expect(error.behavior == wire)
    }

    /// test-suite.md §6.2: (retry count from Start, max attempts) → exhausted?
    @Test(
        "retry matrix",
        arguments: [
            (0, 0, true), (0, 1, true), (1, 2, true), (2, 2, true), (2, 1, true), (2, 0, true), (99, 100, true),
            (0, 2, false), (1, 3, false), (99, 101, false),
        ]
    )
    func retryMatrix(retryCount: UInt32, maxAttempts: UInt32, exhausted: Bool) throws {
        var machine = try Journal.machine(
            .v6,
            [
                Journal.start(knownEntries: 2, retryCount: retryCount, duration: 1000), Journal.input(),
                Journal.run("eff", completionID: 1),
            ]
        )
        let run = try machine.run(name: "eff")
        #expect(try machine.doProgress(.single(run.handle)) == .executeRun(run.handle))
        let policy = RetryPolicy.exponential(initialInterval: .milliseconds(10), factor: 2, maxAttempts: maxAttempts)
        let outcome = InvocationStateMachine.RunOutcome.retryableFailure(
            code: 500,
            message: "boom",
            stacktrace: "trace",
            attemptDuration: .milliseconds(5),
            policy: policy
        )
        if exhausted {
            try machine.proposeRunCompletion(run.handle, outcome)
            let frames = try Journal.output(&machine)
            let proposal = try #require(frames.first?.message as? Proto.ProposeRunCompletionMessage)
            #expect(proposal.failure.code == 500 && proposal.failure.message == "boom")
        } else {
            #expect(throws: InvocationError.self) { try machine.proposeRunCompletion(run.handle, outcome) }
            let frames = try Journal.output(&machine)
            let error = try #require(frames.first?.message as? Proto.ErrorMessage)
            #expect(error.code == 500)
            #expect(
                error.relatedCommandIndex == 1 && error.relatedCommandName == "eff"
                    && error.relatedCommandType == 0x0411
            )
            // exponential: 10 ms × 2^(retryCount)
            if retryCount <= 30 { #expect(error.nextRetryDelay == UInt64(10) << retryCount) }
        }
    }

    @Test("retry info restarts at 0 when the run is not the last stored entry")
    func retryInfoOnlyForLastEntry() throws {
        var machine = try Journal.machine(
            .v6,
            [Journal.start(knownEntries: 1, retryCount: 5), Journal.input()]
        )
        try machine.setState(key: "a", value: Data())
        let run = try machine.run(name: "eff")
        _ = try machine.doProgress(.single(run.handle))
        #expect(throws: InvocationError.self) {
            try machine.proposeRunCompletion(
                run.handle,
                .retryableFailure(
                    code: 500,
                    message: "boom",
                    stacktrace: "",
                    attemptDuration: .zero,
                    policy: .exponential(initialInterval: .milliseconds(10), factor: 2, maxAttempts: 2)
                )
            )
        }
    }

    @Test("pause on exhaustion: PAUSE on V7, 573 on V6")
    func pauseOnExhaustion() throws {
        let policy = RetryPolicy.fixedDelay(.milliseconds(10), maxAttempts: 1, onExhausted: .pause)
        let outcome = InvocationStateMachine.RunOutcome.retryableFailure(
            code: 500,
            message: "boom",
            stacktrace: "",
            attemptDuration: .zero,
            policy: policy
        )
        for (version, code, behavior) in [
            (ProtocolVersion.v7, 500 as UInt32, Proto.ErrorBehavior.pause), (.v6, 573, .retry),
        ] {
            var machine = try Journal.machine(version, [Journal.start(knownEntries: 1), Journal.input()])
            let run = try machine.run(name: "eff")
            _ = try machine.doProgress(.single(run.handle))
            #expect(throws: InvocationError.self) { try machine.proposeRunCompletion(run.handle, outcome) }
            let error = try #require(try Journal.output(&machine).last?.message as? Proto.ErrorMessage)
            #expect(error.code == code)
            #expect(error.behavior == behavior)
        }
    }

    @Test("exponential delays as the reference computes them")
    func exponentialDelays() {
        let policy = RetryPolicy.exponential(
            initialInterval: .milliseconds(100),
            factor: 2,
            maxInterval: .milliseconds(500),
            maxDuration: .seconds(10)
        )
        // The reference multiplies in f32 (`Duration::mul_f32`): 200 ms becomes 0.200000003 s;
        // the wire carries whole milliseconds.
        func millis(_ count: UInt32) -> UInt64? {
            guard case .retry(let delay?) = policy.decision(retryCount: count, retryLoopDuration: .seconds(1)) else {
                return nil
            }
            return delay.wholeMilliseconds
        }
        #expect([1, 2, 3, 4, 5].map(millis) == [100, 200, 400, 500, 500])
        #expect(
            policy.decision(retryCount: 2, retryLoopDuration: .seconds(1)) == .retry(after: .nanoseconds(200_000_003))
        )
        #expect(policy.decision(retryCount: 4, retryLoopDuration: .seconds(10)) == .failAsTerminal)
        #expect(RetryPolicy.none.decision(retryCount: 1, retryLoopDuration: .zero) == .failAsTerminal)
        #expect(RetryPolicy.infinite.decision(retryCount: 1000, retryLoopDuration: .seconds(100)) == .retry(after: nil))
    }

    @Test("notifyError: 500 with the delay; a non-retry behaviour needs V7")
    func notifyError() throws {
        var v6 = try Journal.machine(.v6, [Journal.start(knownEntries: 1), Journal.input()])
        v6.notifyError(message: "boom", nextRetryDelay: .milliseconds(250))
        let error = try #require(try Journal.output(&v6).first?.message as? Proto.ErrorMessage)
        #expect(error.code == 500 && error.nextRetryDelay == 250)

        var paused = try Journal.machine(.v6, [Journal.start(knownEntries: 1), Journal.input()])
        paused.notifyError(InvocationError(code: 500, message: "x", behavior: .pause))
        #expect((try Journal.output(&paused).first?.message as? Proto.ErrorMessage)?.code == 573)

        var v7 = try Journal.machine(.v7, [Journal.start(knownEntries: 1), Journal.input()])
        v7.notifyError(InvocationError(code: 500, message: "x", behavior: .pause))
        #expect((try Journal.output(&v7).first?.message as? Proto.ErrorMessage)?.behavior == .pause)
    }

    @Test(
        "unknown message types",
        arguments: [
            // (type id, during replay?, expected code)
            (UInt16(0x0BAD), true, UInt16(570)), (0x040F, true, 570), (0x0BAD, false, 571), (0x0042, false, 500),
            (0x03FF, false, 500), (0x0004, false, 500), (0x0003, false, 571), (0xFC01, false, 571),
        ]
    )
    func unknownMessageTypes(type: UInt16, duringReplay: Bool, code: UInt16) throws {
        var machine = try InvocationStateMachine(contentType: ProtocolVersion.v6.contentType)
        let odd = Journal.frame(Proto.Void(), MessageType(rawValue: type))
        if duringReplay {
            for frame in [Journal.start(knownEntries: 2), Journal.input(), odd] { machine.notifyInput(frame) }
            machine.notifyInputClosed()
            _ = try machine.input()
            #expect(throws: InvocationError.self) { try machine.setState(key: "a", value: Data()) }
        } else {
            for frame in [Journal.start(knownEntries: 1), Journal.input()] { machine.notifyInput(frame) }
            _ = try machine.input()
            machine.notifyInput(odd)
        }
        let error = try #require(try Journal.output(&machine).last?.message as? Proto.ErrorMessage)
        #expect(error.code == code)
    }

    @Test("journal errors: input closed early, first message not Start, zero known entries")
    func journalErrors() throws {
        var early = try InvocationStateMachine(contentType: ProtocolVersion.v5.contentType)
        early.notifyInput(Journal.start(knownEntries: 2))
        early.notifyInputClosed()
        #expect(throws: InvocationError.self) { try early.isReadyToExecute() }

        var notStart = try InvocationStateMachine(contentType: ProtocolVersion.v5.contentType)
        notStart.notifyInput(Journal.input())
        #expect((try Journal.output(&notStart).first?.message as? Proto.ErrorMessage)?.code == 571)

        var zero = try InvocationStateMachine(contentType: ProtocolVersion.v5.contentType)
        zero.notifyInput(Journal.start(knownEntries: 0))
        #expect((try Journal.output(&zero).first?.message as? Proto.ErrorMessage)?.code == 500)
    }

    @Test("garbage input never traps")
    func garbage() throws {
        var generator = DeterministicRandom(seed: 7)
        for round in 0..<300 {
            var machine = try InvocationStateMachine(contentType: ProtocolVersion.allCases[round % 3].contentType)
            machine.notifyInput(Journal.start(knownEntries: UInt32(round % 4)))
            var bytes = ByteBufferAllocator().buffer(capacity: 64)
            for _ in 0..<(round % 64) { bytes.writeInteger(UInt8(truncatingIfNeeded: generator.next())) }
            machine.notifyInput(bytes)
            machine.notifyInputClosed()
            if (try? machine.isReadyToExecute()) == true {
                _ = try? machine.input()
                if let handle = try? machine.getState(key: "k") { _ = try? machine.doProgress(.single(handle)) }
            }
            _ = Journal.rawOutput(&machine)
        }
    }

    @Test("a 10 000-command replay stays linear")
    func longReplay() throws {
        var frames = [Journal.start(knownEntries: 10_001), Journal.input()]
        for index in 0..<10_000 {
            var set = Proto.SetStateCommandMessage()
            set.key = Data("k\(index)".utf8)
            set.value.content = Data([UInt8(truncatingIfNeeded: index)])
            frames.append(Journal.frame(set, .setStateCommand))
        }
        var machine = try Journal.machine(.v6, frames)
        for index in 0..<10_000 {
            try machine.setState(key: "k\(index)", value: Data([UInt8(truncatingIfNeeded: index)]))
        }
        #expect(machine.isProcessing)
        try machine.end()
        #expect(try Journal.output(&machine).map(\.type) == [.end])
    }
}

@Suite("Deterministic random")
struct DeterministicRandomTests {
    @Test("xoshiro256++ from state [1, 2, 3, 4] (reference vectors)")
    func rawState() {
        var random = DeterministicRandom(state: (1, 2, 3, 4))
        let expected: [UInt64] = [
            41_943_041, 58_720_359, 3_588_806_011_781_223, 3_591_011_842_654_386, 9_228_616_714_210_784_205,
            9_973_669_472_204_895_162, 14_011_001_112_246_962_877, 12_406_186_145_184_390_807,
            15_849_039_046_786_891_736, 10_450_023_813_501_588_000,
        ]
        #expect((0..<10).map { _ in random.next() } == expected)
    }

    @Test("SplitMix64 seeding matches the TypeScript SDK")
    func seeded() {
        var random = DeterministicRandom(seed: 11_111_111_111_111_111)
        let expected: [UInt64] = [
            14_993_938_765_686_767_826, 8_187_951_856_952_496_553, 10_221_716_037_851_679_518,
            5_009_267_449_921_186_858, 2_939_623_319_151_797_546, 6_400_458_020_329_377_757,
            10_216_112_085_426_431_330, 17_690_642_664_638_642_265, 13_201_164_171_824_029_981,
            18_315_010_504_635_656_422,
        ]
        #expect((0..<10).map { _ in random.next() } == expected)
    }

    @Test("doubles and UUIDs match the TypeScript SDK")
    func doublesAndUUIDs() {
        var doubles = DeterministicRandom(state: (1, 2, 3, 4))
        let expectedDoubles: [Double] = [
            4.656612984099695e-9, 6.519269457605503e-9, 0.39843750651926946, 0.3986824029416509,
            0.5822761557370711, 0.2997488042907357, 0.5336032865255543, 0.36335061693258097,
            0.5968067925950846, 0.18570456306457928,
        ]
        #expect((0..<10).map { _ in doubles.nextDouble() } == expectedDoubles)

        var uuids = DeterministicRandom(state: (1, 2, 3, 4))
        let expectedUUIDs = [
            "01008002-0000-4000-a700-800300000000", "67008003-00c0-4c00-b200-449901c20c00",
            "cd33c49a-01a2-4280-ba33-eecd8a97698a", "bd4a1533-4713-41c2-979e-167991a02bac",
            "d83f078f-0a19-43db-a092-22b24af10591", "677c91f7-146e-4769-a4fd-df3793e717e8",
            "f15179b2-f220-4427-8d90-7b5437d9828d", "9e97720f-42b8-4d09-a449-914cf221df26",
            "09d0a109-6f11-4ef9-93fa-f013d0ad3808", "41eb0e0c-41c9-4828-85d0-59fb901b4df4",
        ]
        #expect((0..<10).map { _ in uuids.uuid().uuidString.lowercased() } == expectedUUIDs)
    }

    @Test("SipHash-2-4 reference vectors (the V5 seed uses the 1-3 variant of the same code)")
    func sipHash() {
        let key0: UInt64 = 0x0706_0504_0302_0100
        let key1: UInt64 = 0x0F0E_0D0C_0B0A_0908
        #expect(
            [UInt8]().withUnsafeBytes {
                SipHash.hash($0, key0: key0, key1: key1, compressionRounds: 2, finalizationRounds: 4)
            }
                == 0x726F_DB47_DD0E_0E31
        )
        #expect(
            [UInt8](0..<15).withUnsafeBytes {
                SipHash.hash($0, key0: key0, key1: key1, compressionRounds: 2, finalizationRounds: 4)
            }
                == 0xA129_CA61_49BE_45E5
        )
    }

    @Test("the V5 seed is derived from the raw id; V6 uses StartMessage.random_seed")
    func seeds() throws {
        var machine = try InvocationStateMachine(contentType: ProtocolVersion.v5.contentType)
        machine.notifyInput(Journal.start(knownEntries: 1))
        machine.notifyInput(Journal.input())
        let input = try machine.input()
        #expect(input.randomSeed == DeterministicRandom.seed(fromInvocationID: Data("123".utf8)))
        #expect(input.randomSeed != DeterministicRandom.seed(fromInvocationID: Data("124".utf8)))
        // SipHash-1-3 over the little-endian 32-bit length and the id (values from an independent
        // implementation), across the tail-only and full-block paths.
        #expect(DeterministicRandom.seed(fromInvocationID: Data("123".utf8)) == 0x7419_003E_E12B_2732)
        #expect(DeterministicRandom.seed(fromInvocationID: Data(0..<20)) == 0x4B01_9E59_B54C_25CC)

        var start = Proto.StartMessage()
        start.id = Data("123".utf8)
        start.knownEntries = 1
        start.randomSeed = 42
        var v6 = try InvocationStateMachine(contentType: ProtocolVersion.v6.contentType)
        v6.notifyInput(Journal.frame(start, .start))
        v6.notifyInput(Journal.input())
        #expect(try v6.input().randomSeed == 42)
    }
}
