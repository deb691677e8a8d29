import Foundation
import Restate
import RestateTesting
import Testing

@testable import CounterKit

@Suite("Sample: Counter")
struct CounterTests {
    @Test("add, get and reset, per key", arguments: Mode.allCases)
    func addGetReset(mode: Mode) async throws {
        try await withRuntime(makeEndpoint { $0.bind(Counter.self) }, mode.configuration()) { runtime async throws in
            let key = uniqueKey("counter")
            let other = uniqueKey("counter")
            #expect(try await runtime.call("Counter", key: key, "get", as: Int.self) == 0)
            #expect(try await runtime.call("Counter", key: key, "add", input: 2, as: Int.self) == 2)
            #expect(try await runtime.call("Counter", key: key, "add", input: 40, as: Int.self) == 42)
            #expect(try await runtime.call("Counter", key: other, "add", input: -1, as: Int.self) == -1)
            #expect(try await runtime.call("Counter", key: key, "get", as: Int.self) == 42)
            #expect(try await runtime.state(of: "Counter", key: key).get("count", as: Int.self) == 42)

            try await runtime.call("Counter", key: key, "reset")
            #expect(try await runtime.call("Counter", key: key, "get", as: Int.self) == 0)
            #expect(await runtime.state(of: "Counter", key: key).keys() == [])
            #expect(try await runtime.call("Counter", key: other, "get", as: Int.self) == -1)
        }
    }

    @Test("concurrent adds to one key are serialized: none is lost")
    func concurrentAdds() async throws {
        try await withRuntime(makeEndpoint { $0.bind(Counter.self) }) { runtime async throws in
            let key = uniqueKey("counter")
            var receipts: [SendReceipt] = []
            for _ in 0..<10 {
                receipts.append(try await runtime.send("Counter", key: key, "add", input: 1))
            }
            var results: [Int] = []
            for receipt in receipts {
                results.append(try await runtime.attach(invocationID: receipt.invocationID).decoded(as: Int.self))
            }
            #expect(results == Array(1...10))
            #expect(try await runtime.call("Counter", key: key, "get", as: Int.self) == 10)
        }
    }
}
