import RestateTesting
import SagaKit

// `swift run Saga` serves Restate on $PORT (9080); `swift run Saga --dev` adds a local Restate.
// The services live in the SagaKit library next to this file, so that tests can import them.
try await SagaSample.endpoint().run()
