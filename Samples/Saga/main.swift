import Foundation
import Restate
import RestateTesting

// `swift run Saga` serves Restate on $PORT (9080); `swift run Saga --dev` adds a local Restate.
try await Endpoint(TripBooking.self).run()
