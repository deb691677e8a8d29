import CronKit
import RestateTesting

// `swift run Cron` serves Restate on $PORT (9080); `swift run Cron --dev` adds a local Restate.
// The services live in the CronKit library next to this file, so that tests can import them.
try await CronSample.endpoint().run()
