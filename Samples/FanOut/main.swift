import FanOutKit
import RestateTesting

// `swift run FanOut` serves Restate on $PORT (9080); `swift run FanOut --dev` adds a local Restate.
// The services live in the FanOutKit library next to this file, so that tests can import them.
try await FanOutSample.endpoint().run()
