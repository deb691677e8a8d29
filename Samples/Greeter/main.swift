import Foundation
import Restate

/// A stateless service.
@Service
struct Greeter {
    /// Greets someone by name.
    func greet(_ ctx: Context, name: String) async throws -> String {
        "Hello \(name)!"
    }
}

let port = ProcessInfo.processInfo.environment["PORT"].flatMap(Int.init) ?? 9080
try await Endpoint(Greeter.self).serve(port: port)
