import Foundation
import Restate
import RestateTesting

// `swift run SignupWorkflow` serves Restate on $PORT (9080); `swift run SignupWorkflow --dev` adds a local Restate.
try await Endpoint(SignupWorkflow.self).run()
