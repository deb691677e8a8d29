import Foundation
import Restate
import RestateTesting

/// A stateless service.
@Service
struct Greeter {
    /// Greets someone by name.
    func greet(_ ctx: Context, name: String) async throws -> String {
        "Hello \(name)!"
    }
}

// `swift run Greeter` serves Restate on $PORT (9080); `swift run Greeter --dev` adds a local Restate.
try await Endpoint(Greeter.self).run()
