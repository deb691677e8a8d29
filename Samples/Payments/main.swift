import PaymentsKit
import RestateTesting

// `swift run Payments` serves Restate on $PORT (9080); `swift run Payments --dev` adds a local Restate.
// The services live in the PaymentsKit library next to this file, so that tests can import them.
try await PaymentsSample.endpoint().run()
