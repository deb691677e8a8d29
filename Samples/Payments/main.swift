import Foundation
import Restate
import RestateTesting

// `swift run Payments` serves Restate on $PORT (9080); `swift run Payments --dev` adds a local Restate.
try await Endpoint(Payments.self, PaymentWebhook.self).run()
