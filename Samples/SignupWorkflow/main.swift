import Foundation
import Restate

let port = ProcessInfo.processInfo.environment["PORT"].flatMap(Int.init) ?? 9080
try await Endpoint(SignupWorkflow.self).serve(port: port)
