import Foundation
import Restate
import RestateTesting
import Testing

@testable import GreeterKit

@Suite("Sample: Greeter")
struct GreeterTests {
    @Test("greet says hello", arguments: Mode.allCases)
    func greet(mode: Mode) async throws {
        try await withRuntime(makeEndpoint { $0.bind(Greeter.self) }, mode.configuration()) { runtime async throws in
            #expect(try await runtime.call("Greeter", "greet", input: "Ada", as: String.self) == "Hello Ada!")
            #expect(try await runtime.call("Greeter", "greet", input: "", as: String.self) == "Hello !")
        }
    }
}
