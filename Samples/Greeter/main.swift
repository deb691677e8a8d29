import GreeterKit
import RestateTesting

// `swift run Greeter` serves Restate on $PORT (9080); `swift run Greeter --dev` adds a local Restate.
// The services live in the GreeterKit library next to this file, so that tests can import them.
try await GreeterSample.endpoint().run()
