import Foundation
import Restate
import RestateCore
import Testing

@testable import RestateTesting
@testable import TestServicesKit

// The e2e classes State, UserErrors (state part), ServiceToServiceCommunication, CallOrdering
// and Ingress, as flows through the in-process runtime.

@Suite("State")
struct StateTests {
    @Test("Counter.add answers old and new value; state persists; reset clears it")
    func add() async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            let first: CounterObject.UpdateResponse = try await runtime.call(
                "Counter",
                key: key,
                "add",
                input: Int64(1)
            )
            #expect(first == .init(oldValue: 0, newValue: 1))
            let second: CounterObject.UpdateResponse = try await runtime.call(
                "Counter",
                key: key,
                "add",
                input: Int64(2)
            )
            #expect(second == .init(oldValue: 1, newValue: 3))
            #expect(try await runtime.counter(key) == 3)
            #expect(try await runtime.state(of: "Counter", key: key).get("counter", as: Int64.self) == 3)
            _ = try await runtime.call(service: "Counter", handler: "reset", key: key)
            #expect(try await runtime.counter(key) == 0)
            #expect(await runtime.state(of: "Counter", key: key).keys() == [])
        }
    }

    @Test("three one-way adds through Proxy reach the counter, each with its own invocation id")
    func proxyOneWayAdd() async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            var ids: [String] = []
            for _ in 0..<3 { ids.append(try await runtime.proxySend("Counter", key: key, "add", Int64(1))) }
            #expect(Set(ids).count == 3)
            #expect(ids.allSatisfy { $0.hasPrefix("inv_") })
            await runtime.settle()
            #expect(try await runtime.counter(key) == 3)
        }
    }

    @Test("MapObject.clearAll lists every entry's own state key and clears only its object")
    func listStateAndClearAll() async throws {
        try await withTestServices { runtime async throws in
            let map = newKey()
            let other = map + "1"
            try await runtime.invoke(
                "MapObject",
                key: map,
                "set",
                MapObject.Entry(key: "my-key-0", value: "my-value-0")
            )
            try await runtime.invoke(
                "MapObject",
                key: map,
                "set",
                MapObject.Entry(key: "my-key-1", value: "my-value-1")
            )
            try await runtime.invoke(
                "MapObject",
                key: other,
                "set",
                MapObject.Entry(key: "my-key-2", value: "my-value-2")
            )
            // Each entry in its own state key (the contract requires it).
            #expect(await runtime.state(of: "MapObject", key: map).keys() == ["my-key-0", "my-key-1"])

            let cleared: [MapObject.Entry] = try await runtime.call("MapObject", key: map, "clearAll")
            #expect(
                Set(cleared)
                    == [.init(key: "my-key-0", value: "my-value-0"), .init(key: "my-key-1", value: "my-value-1")]
            )
            #expect(try await runtime.call("MapObject", key: map, "get", input: "my-key-0", as: String.self) == "")
            #expect(try await runtime.call("MapObject", key: map, "get", input: "my-key-1", as: String.self) == "")
            #expect(
                try await runtime.call("MapObject", key: other, "get", input: "my-key-2", as: String.self)
                    == "my-value-2"
            )
            #expect(await runtime.state(of: "MapObject", key: map).keys() == [])
        }
    }

    @Test("MapObject.clearAll on protocol V7 sees state written from outside the object")
    func clearAllOnV7() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.protocolVersion = .v7
        try await withTestServices(configuration) { runtime async throws in
            let map = newKey()
            try await runtime.state(of: "MapObject", key: map).set("a", "1")
            try await runtime.state(of: "MapObject", key: map).set("b", "2")
            let cleared: [MapObject.Entry] = try await runtime.call("MapObject", key: map, "clearAll")
            #expect(Set(cleared) == [.init(key: "a", value: "1"), .init(key: "b", value: "2")])
        }
    }

    @Test("Counter.addThenFail: the terminal error carries the key, and the write persists")
    func setStateThenFailShouldPersistState() async throws {
        try await withTestServices { runtime async throws in
            let key = "my-failure-counter-\(newKey())"
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.invoke("Counter", key: key, "addThenFail", Int64(1))
            }
            #expect(error?.message.contains(key) == true)
            #expect(try await runtime.counter(key) == 1)
        }
    }

    @Test("ListObject: append, get, clear returns the old list")
    func listObject() async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            for value in ["a", "b"] { try await runtime.invoke("ListObject", key: key, "append", value) }
            #expect(try await runtime.call("ListObject", key: key, "get", as: [String].self) == ["a", "b"])
            #expect(try await runtime.call("ListObject", key: key, "clear", as: [String].self) == ["a", "b"])
            #expect(try await runtime.call("ListObject", key: key, "get", as: [String].self) == [])
        }
    }
}

@Suite("ServiceToServiceCommunication")
struct ServiceToServiceTests {
    @Test("Proxy.call passes the body through and answers the callee's bytes as numbers")
    func regularCall() async throws {
        try await withTestServices { runtime async throws in
            let request = ProxyService.ProxyRequest(
                serviceName: "TestUtilsService",
                handlerName: "uppercaseEcho",
                message: try json("ping")
            )
            let raw = try await runtime.call(service: "Proxy", handler: "call", input: json(request))
            #expect(try decode(JSONBytes.self, raw).data == Data("\"PING\"".utf8))
            #expect(try decode([Int].self, raw) == Data("\"PING\"".utf8).map(Int.init))
        }
    }

    @Test("bytes that are not JSON survive the proxy both ways; numbers are Kotlin's signed bytes")
    func rawBytesThroughProxy() async throws {
        try await withTestServices { runtime async throws in
            let bytes = Data([0x00, 0x7F, 0x80, 0xC3, 0x28, 0xFF])
            // The request as the Kotlin client writes it: signed numbers.
            let body = Data(
                #"{"serviceName":"TestUtilsService","handlerName":"rawEcho","message":[0,127,-128,-61,40,-1]}"#.utf8
            )
            let raw = try await runtime.call(service: "Proxy", handler: "call", input: body)
            #expect(try decode([Int].self, raw) == [0, 127, -128, -61, 40, -1])
            #expect(try decode(JSONBytes.self, raw).data == bytes)
            // Unsigned numbers (TypeScript, Python) are accepted too.
            let unsigned = Data(
                #"{"serviceName":"TestUtilsService","handlerName":"rawEcho","message":[0,127,128,195,40,255]}"#.utf8
            )
            let again = try await runtime.call(service: "Proxy", handler: "call", input: unsigned)
            #expect(try decode(JSONBytes.self, again).data == bytes)
        }
    }

    @Test("Proxy.oneWayCall increments the counter")
    func oneWayCall() async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            let id = try await runtime.proxySend("Counter", key: key, "add", Int64(1))
            await runtime.settle()
            #expect(
                try await runtime.finished(id)?.decoded(as: CounterObject.UpdateResponse.self)
                    == .init(oldValue: 0, newValue: 1)
            )
            #expect(try await runtime.counter(key) == 1)
        }
    }

    @Test("a one-way call with an idempotency key runs once; its output is fetchable by that key")
    func oneWayCallWithIdempotencyKey() async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            let idempotencyKey = newKey()
            let first = try await runtime.proxySend(
                "Counter",
                key: key,
                "add",
                Int64(1),
                idempotencyKey: idempotencyKey
            )
            let second = try await runtime.proxySend(
                "Counter",
                key: key,
                "add",
                Int64(1),
                idempotencyKey: idempotencyKey
            )
            #expect(first == second)
            await runtime.settle()
            #expect(try await runtime.counter(key) == 1)
            let handle = try await runtime.send(
                service: "Counter",
                handler: "add",
                key: key,
                input: json(Int64(1)),
                idempotencyKey: idempotencyKey
            )
            #expect(handle.previouslyAccepted && handle.invocationID == first)
            #expect(
                try await runtime.output(invocationID: first).decoded(as: CounterObject.UpdateResponse.self)
                    == .init(oldValue: 0, newValue: 1)
            )
        }
    }

    @Test("a call with an idempotency key runs once; both callers get the same response")
    func callWithIdempotencyKey() async throws {
        try await withTestServices { runtime async throws in
            let key = newKey()
            let request = ProxyService.ProxyRequest(
                serviceName: "Counter",
                virtualObjectKey: key,
                handlerName: "add",
                message: try json(Int64(1)),
                idempotencyKey: newKey()
            )
            for _ in 0..<2 {
                let raw: JSONBytes = try await runtime.call("Proxy", "call", input: request)
                #expect(try decode(CounterObject.UpdateResponse.self, raw.data) == .init(oldValue: 0, newValue: 1))
            }
            #expect(try await runtime.counter(key) == 1)
        }
    }

    @Test("delayed one-way calls start when their delay has passed, not before")
    func oneWayCallWithDelay() async throws {
        try await withTestServices(manualClock()) { runtime async throws in
            let key = newKey()
            var ids: [String] = []
            for _ in 0..<10 {
                ids.append(try await runtime.proxySend("Counter", key: key, "add", Int64(1), delayMillis: 5000))
            }
            await runtime.settle()
            #expect(try await runtime.counter(key) == 0)
            #expect(await runtime.status(invocationID: ids[0]) == "scheduled")
            try await runtime.advance(by: .milliseconds(4900))
            #expect(try await runtime.counter(key) == 0)
            try await runtime.advance(by: .milliseconds(200))
            await runtime.settle()
            #expect(try await runtime.counter(key) == 10)
        }
    }

    @Test("scope and limit key are forwarded on the outgoing call (protocol V7)")
    func scopeAndLimitKeyForwarded() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.protocolVersion = .v7
        try await withTestServices(configuration) { runtime async throws in
            let request = ProxyService.ProxyRequest(
                serviceName: "TestUtilsService",
                handlerName: "echo",
                message: try json("x"),
                scope: "my-scope",
                limitKey: "my-limit"
            )
            let receipt = try await runtime.send(service: "Proxy", handler: "call", input: json(request))
            let raw = try await runtime.attach(invocationID: receipt.invocationID).decoded(as: JSONBytes.self)
            #expect(raw.data == Data("\"x\"".utf8))
            let journal = try #require(await runtime.journal(invocationID: receipt.invocationID))
            let calls = journal.compactMap { message -> Proto.CallCommandMessage? in
                if case .callCommand(let call) = message { return call }
                return nil
            }
            #expect(calls.count == 1)
            #expect(calls.first?.scope == "my-scope")
            #expect(calls.first?.limitKey == "my-limit")
        }
    }

    @Test("over real HTTP/2 (h2c), as Restate reaches the endpoint")
    func overHTTP2() async throws {
        var configuration = TestRuntime.Configuration()
        configuration.transport = .http2
        try await withTestServices(configuration) { runtime async throws in
            let key = newKey()
            _ = try await runtime.proxySend("Counter", key: key, "add", Int64(2))
            await runtime.settle()
            #expect(try await runtime.counter(key) == 2)
            let bytes = Data((0..<64).map { UInt8($0 * 4) })
            #expect(try await runtime.call(service: "TestUtilsService", handler: "rawEcho", input: bytes) == bytes)
        }
    }
}

@Suite("CallOrdering")
struct CallOrderingTests {
    /// For each of three calls appending "0", "1", "2": a one-way send (`true`) or a call awaited
    /// at the end (`false`). The last one is a call, so it finishes after the others.
    @Test(
        "sends and calls from one handler are enqueued in program order",
        arguments: [[true, false, false], [false, true, false], [true, true, false]]
    )
    func ordering(_ oneWay: [Bool]) async throws {
        try await withTestServices { runtime async throws in
            let list = newKey()
            let requests = try oneWay.enumerated().map { index, oneWay in
                ProxyService.ManyCallRequest(
                    proxyRequest: .init(
                        serviceName: "ListObject",
                        virtualObjectKey: list,
                        handlerName: "append",
                        message: try json(String(index))
                    ),
                    oneWayCall: oneWay,
                    awaitAtTheEnd: !oneWay
                )
            }
            try await runtime.invoke("Proxy", "manyCalls", requests)
            #expect(try await runtime.call("ListObject", key: list, "clear", as: [String].self) == ["0", "1", "2"])
        }
    }

    @Test("a call that is not awaited at the end is still made")
    func unawaitedCall() async throws {
        try await withTestServices { runtime async throws in
            let list = newKey()
            let request = ProxyService.ManyCallRequest(
                proxyRequest: .init(
                    serviceName: "ListObject",
                    virtualObjectKey: list,
                    handlerName: "append",
                    message: try json("x")
                ),
                oneWayCall: false,
                awaitAtTheEnd: false
            )
            try await runtime.invoke("Proxy", "manyCalls", [request])
            await runtime.settle()
            #expect(try await runtime.call("ListObject", key: list, "get", as: [String].self) == ["x"])
        }
    }
}

@Suite("Ingress")
struct IngressTests {
    @Test("request headers reach the handler")
    func headersPassThrough() async throws {
        try await withTestServices { runtime async throws in
            let output = try await runtime.call(
                service: "TestUtilsService",
                handler: "echoHeaders",
                headers: [("x-my-custom-header", "x-my-custom-value")]
            )
            let headers = try decode([String: String].self, output)
            #expect(headers["x-my-custom-header"] == "x-my-custom-value")
        }
    }

    @Test("rawEcho: raw input and raw output, any bytes, declared as octet-stream")
    func rawHandler() async throws {
        try await withTestServices { runtime async throws in
            var generator = SystemRandomNumberGenerator()
            let bytes = Data((0..<100).map { _ in UInt8.random(in: 0...255, using: &generator) } + [0xFF, 0xFE])
            #expect(try await runtime.call(service: "TestUtilsService", handler: "rawEcho", input: bytes) == bytes)
            #expect(try await runtime.call(service: "TestUtilsService", handler: "rawEcho") == Data())
            let handler = await runtime.engine.registry.services["TestUtilsService"]?.handlers["rawEcho"]
            #expect(handler?.outputContentType == "application/octet-stream")
        }
    }

    @Test("echo and uppercaseEcho")
    func echoes() async throws {
        try await withTestServices { runtime async throws in
            #expect(try await runtime.call("TestUtilsService", "echo", input: "Till", as: String.self) == "Till")
            #expect(
                try await runtime.call("TestUtilsService", "uppercaseEcho", input: "Till", as: String.self) == "TILL"
            )
        }
    }
}
