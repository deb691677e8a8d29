import Foundation
import Restate
import RestateTesting

// `swift run FanOut` serves Restate on $PORT (9080); `swift run FanOut --dev` adds a local Restate.
try await Endpoint(Coordinator.self, Worker.self).run()
