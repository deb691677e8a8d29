import CounterKit
import RestateTesting

// `swift run Counter` serves Restate on $PORT (9080); `swift run Counter --dev` adds a local Restate.
// The services live in the CounterKit library next to this file, so that tests can import them.
try await CounterSample.endpoint().run()
