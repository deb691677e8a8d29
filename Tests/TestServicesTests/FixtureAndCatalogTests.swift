import Foundation
import Restate
import RestateCore
import Testing

@testable import RestateTesting
@testable import TestServicesKit

@Suite("Protocol fixtures")
struct FixtureTests {
    @Test("Greeter.greet")
    func greet() async throws {
        try await withTestServices { runtime async throws in
            #expect(try await runtime.call("Greeter", "greet", input: "Till", as: String.self) == "Hello Till!")
        }
    }

    @Test(
        "VerificationWorkflow: the secret comes from run send-email; a click with it verifies, another rejects",
        arguments: [true, false]
    )
    func verification(rightSecret: Bool) async throws {
        try await withTestServices { runtime async throws in
            let workflow = runtime.workflow("VerificationWorkflow", id: newKey())
            let status = { () async throws -> String? in
                try decode(
                    String?.self,
                    try await runtime.call(service: "VerificationWorkflow", handler: "getStatus", key: workflow.id)
                )
            }
            #expect(try await status() == nil)
            let receipt = try await workflow.submit(input: "a@b.c")
            await runtime.settle()
            #expect(try await status() == "waiting-for-click")

            let journal = try #require(await runtime.journal(invocationID: receipt.invocationID))
            var runNames: [String] = []
            var promiseKeys: [String] = []
            var runValues: [Data] = []
            for message in journal {
                switch message {
                case .runCommand(let run): runNames.append(run.name)
                case .getPromiseCommand(let promise): promiseKeys.append(promise.key)
                case .notification(let type, let notification) where type == .runCompletionNotification:
                    runValues.append(notification.value.content)
                default: break
                }
            }
            #expect(runNames == ["send-email"])
            #expect(promiseKeys == ["email.clicked"])
            let secret = try decode(String.self, try #require(runValues.first))
            #expect(secret.hasPrefix("secret-"))
            let uid = String(secret.dropFirst("secret-".count))
            #expect(UUID(uuidString: uid) != nil && uid == uid.lowercased())

            _ = try await runtime.call(
                service: "VerificationWorkflow",
                handler: "click",
                key: workflow.id,
                input: json(rightSecret ? secret : "secret-wrong")
            )
            #expect(try await workflow.attach(as: Bool.self) == rightSecret)
            #expect(try await status() == (rightSecret ? "verified" : "rejected"))
        }
    }

    @Test("VerificationWorkflow under always-replay: every step replays deterministically")
    func verificationReplays() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.alwaysReplay = true
        try await withTestServices(configuration) { runtime async throws in
            let workflow = runtime.workflow("VerificationWorkflow", id: newKey())
            let receipt = try await workflow.submit(input: "a@b.c")
            await runtime.settle()
            let journal = try #require(await runtime.journal(invocationID: receipt.invocationID))
            let secrets = journal.compactMap { message -> Data? in
                guard case .notification(let type, let notification) = message, type == .runCompletionNotification
                else { return nil }
                return notification.value.content
            }
            #expect(secrets.count == 1)
            _ = try await runtime.call(
                service: "VerificationWorkflow",
                handler: "click",
                key: workflow.id,
                input: try #require(secrets.first)
            )
            #expect(try await workflow.attach(as: Bool.self) == true)
            #expect((await runtime.attempts(invocationID: receipt.invocationID) ?? 0) > 3)
        }
    }

    @Test("Sleeper.sleep sleeps durably for the given milliseconds")
    func sleeper() async throws {
        try await withTestServices(manualClock()) { runtime async throws in
            let id = try await runtime.start("Sleeper", "sleep", Int64(60_000))
            await runtime.settle()
            try await runtime.advance(by: .milliseconds(59_999))
            #expect(try await runtime.finished(id) == nil)
            try await runtime.advance(by: .milliseconds(1))
            #expect(try await runtime.finished(id)?.decoded(as: String.self) == "slept")
        }
    }

    @Test("AwakeableWaiter.wait hands its awakeable to AwakeableHolder and answers the payload")
    func awakeableWaiter() async throws {
        try await withTestServices { runtime async throws in
            let holder = newKey()
            #expect(try await runtime.call("AwakeableHolder", key: holder, "hasAwakeable", as: Bool.self) == false)
            let id = try await runtime.start("AwakeableWaiter", "wait", holder)
            await runtime.settle()
            #expect(try await runtime.call("AwakeableHolder", key: holder, "hasAwakeable", as: Bool.self))
            #expect(try await runtime.finished(id) == nil)
            try await runtime.invoke("AwakeableHolder", key: holder, "unlock", "the payload")
            #expect(try await runtime.attach(invocationID: id).decoded(as: String.self) == "the payload")
        }
    }

    @Test("AwakeableHolder.unlock without a held awakeable is a terminal error")
    func unlockWithoutAwakeable() async throws {
        try await withTestServices { runtime async throws in
            await #expect(throws: TerminalError.self) {
                _ = try await runtime.invoke("AwakeableHolder", key: newKey(), "unlock", "x")
            }
        }
    }
}

@Suite("Test-services catalog and discovery")
struct CatalogTests {
    /// The contract: service → kind, handler → kind (`nil` for service handlers).
    static let contract: [String: (ServiceKind, [String: HandlerKind?])] = [
        "Counter": (
            .virtualObject, ["add": .exclusive, "addThenFail": .exclusive, "get": .shared, "reset": .exclusive]
        ),
        "Proxy": (.service, ["call": nil, "oneWayCall": nil, "manyCalls": nil]),
        "TestUtilsService": (
            .service,
            [
                "echo": nil, "uppercaseEcho": nil, "echoHeaders": nil, "rawEcho": nil, "countExecutedSideEffects": nil,
                "cancelInvocation": nil, "resolveSignal": nil, "rejectSignal": nil,
            ]
        ),
        "AwakeableHolder": (.virtualObject, ["hold": .exclusive, "hasAwakeable": .exclusive, "unlock": .exclusive]),
        "BlockAndWaitWorkflow": (.workflow, ["run": .workflow, "unblock": .shared, "getState": .shared]),
        "CancelTestRunner": (.virtualObject, ["startTest": .exclusive, "verifyTest": .exclusive]),
        "CancelTestBlockingService": (.virtualObject, ["block": .exclusive, "isUnlocked": .exclusive]),
        "KillTestRunner": (.virtualObject, ["startCallTree": .exclusive]),
        "KillTestSingleton": (.virtualObject, ["recursiveCall": .exclusive, "isUnlocked": .exclusive]),
        "Failing": (
            .virtualObject,
            [
                "terminallyFailingCall": .exclusive, "callTerminallyFailingCall": .exclusive,
                "failingCallWithEventualSuccess": .exclusive, "terminallyFailingSideEffect": .exclusive,
                "sideEffectSucceedsAfterGivenAttempts": .exclusive, "sideEffectFailsAfterGivenAttempts": .exclusive,
                "failRetryably": .exclusive,
            ]
        ),
        "ListObject": (.virtualObject, ["append": .exclusive, "get": .exclusive, "clear": .exclusive]),
        "MapObject": (.virtualObject, ["set": .exclusive, "get": .exclusive, "clearAll": .exclusive]),
        "NonDeterministic": (
            .virtualObject,
            [
                "eitherSleepOrCall": .exclusive, "callDifferentMethod": .exclusive,
                "backgroundInvokeWithDifferentTargets": .exclusive, "setDifferentKey": .exclusive,
            ]
        ),
        "VirtualObjectCommandInterpreter": (
            .virtualObject,
            [
                "interpretCommands": .exclusive, "resolveAwakeable": .shared, "rejectAwakeable": .shared,
                "hasAwakeable": .shared, "getResults": .shared,
            ]
        ),
        "Greeter": (.service, ["greet": nil]),
        "VerificationWorkflow": (.workflow, ["run": .workflow, "click": .shared, "getStatus": .shared]),
        "Sleeper": (.service, ["sleep": nil]),
        "AwakeableWaiter": (.service, ["wait": nil]),
    ]

    @Test("discovery announces every contract service and handler with its kind")
    func discovery() async throws {
        try await withTestServices { runtime async throws in
            let services = await runtime.engine.registry.services
            #expect(Set(services.keys) == Set(Self.contract.keys))
            for (name, (kind, handlers)) in Self.contract {
                let service = try #require(services[name], "\(name) is missing")
                #expect(service.kind == kind, "\(name)")
                #expect(Set(service.handlers.keys) == Set(handlers.keys), "\(name)")
                for (handler, handlerKind) in handlers {
                    #expect(service.handlers[handler]?.kind == handlerKind, "\(name).\(handler)")
                }
            }
        }
    }

    @Test("SERVICES: unset, empty or * selects everything", arguments: [nil, "", " ", "*"] as [String?])
    func allServices(services: String?) throws {
        #expect(try TestServicesCatalog.selection(services) == TestServicesCatalog.names)
        #expect(TestServicesCatalog.names.count == 18)
    }

    @Test("SERVICES: a comma-separated list selects those services only")
    func someServices() async throws {
        #expect(try TestServicesCatalog.selection("Proxy, ListObject,,Proxy") == ["Proxy", "ListObject"])
        try await withTestServices(services: "ListObject,Proxy") { runtime async throws in
            let names = Set(await runtime.engine.registry.services.keys)
            #expect(names == ["Proxy", "ListObject"])
        }
    }

    @Test("SERVICES: an unknown name is an error naming it")
    func unknownService() {
        let error = #expect(throws: TestServicesCatalog.UnknownService.self) {
            _ = try TestServicesCatalog.selection("Proxy,Nope")
        }
        #expect(error?.name == "Nope")
        #expect(error?.description.contains("Counter") == true)
    }

    @Test("E2E_REQUEST_SIGNING configures request identity keys")
    func requestSigning() {
        let key = "publickeyv1_ChjENKeMvCtRnqG2mrBK1HmPKufgFUc98K8B3ZdDq2Bh"
        let configuration = Endpoint.Configuration.fromEnvironment(["E2E_REQUEST_SIGNING": key])
        #expect(configuration.identityKeys == [key])
        #expect(Endpoint.Configuration.fromEnvironment([:]).identityKeys.isEmpty)
    }
}
