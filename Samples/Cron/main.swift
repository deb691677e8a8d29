import Foundation
import Restate
import RestateTesting

// `swift run Cron` serves Restate on $PORT (9080); `swift run Cron --dev` adds a local Restate.
try await Endpoint(CronJob.self).run()
