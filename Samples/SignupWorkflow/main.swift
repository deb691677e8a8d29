import RestateTesting
import SignupWorkflowKit

// `swift run SignupWorkflow` serves Restate on $PORT (9080); `swift run SignupWorkflow --dev` adds a local Restate.
// The services live in the SignupWorkflowKit library next to this file, so that tests can import them.
try await SignupWorkflowSample.endpoint().run()
