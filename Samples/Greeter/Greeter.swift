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

/// How `swift run Greeter` serves this sample (see `main.swift`).
public enum GreeterSample {
    /// An endpoint with the sample's services.
    public static func endpoint() -> Endpoint {
        Endpoint(Greeter.self)
    }
}
