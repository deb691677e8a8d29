import Foundation
import Restate
import RestateTesting
import Testing

@testable import CronKit

@Suite("Sample: Cron")
struct CronTests {
    let endpoint = makeEndpoint { $0.bind(CronJob.self) }

    func status(_ runtime: TestRuntime, _ job: String) async throws -> CronStatus {
        try await runtime.call("CronJob", key: job, "status", as: CronStatus.self)
    }

    @Test("ticks once per interval as the clock advances, and not after stop", arguments: Mode.allCases)
    func ticksAndStops(mode: Mode) async throws {
        try await withRuntime(endpoint, mode.configuration(autoAdvance: false)) { runtime async throws in
            let job = uniqueKey("nightly")
            let started = try await runtime.call("CronJob", key: job, "start", input: 60, as: CronStatus.self)
            #expect(started == CronStatus(running: true, intervalSeconds: 60, runs: 0))

            try await runtime.advance(by: .seconds(59))
            #expect(try await status(runtime, job).runs == 0)
            try await runtime.advance(by: .seconds(1))
            #expect(try await status(runtime, job).runs == 1)
            try await runtime.advance(by: .seconds(60 * 3))
            let running = try await status(runtime, job)
            #expect(running.runs == 4)
            #expect(running.running)
            #expect(running.lastRun != nil)

            let scheduled = try #require(
                try await runtime.state(of: "CronJob", key: job).get("nextTick", as: String.self)
            )
            #expect(await runtime.status(invocationID: scheduled) == "scheduled")
            let stopped = try await runtime.call("CronJob", key: job, "stop", as: CronStatus.self)
            #expect(!stopped.running)
            #expect(stopped.runs == 4)
            // The pending tick was cancelled, not merely ignored when it comes.
            #expect(try await runtime.output(invocationID: scheduled) == .failure(code: 409, message: "cancelled"))

            try await runtime.advance(by: .seconds(3600))
            #expect(try await status(runtime, job) == CronStatus(running: false, runs: 4, lastRun: running.lastRun))
        }
    }

    @Test("start on a running job changes the interval from the next tick on; a restart resumes counting")
    func restart() async throws {
        try await withRuntime(endpoint, Mode.inProcess.configuration(autoAdvance: false)) { runtime async throws in
            let job = uniqueKey("report")
            _ = try await runtime.call("CronJob", key: job, "start", input: 60, as: CronStatus.self)
            _ = try await runtime.call("CronJob", key: job, "start", input: 10, as: CronStatus.self)
            // The tick scheduled by the first start is still due at 60 s; only one is pending.
            try await runtime.advance(by: .seconds(59))
            #expect(try await status(runtime, job).runs == 0)
            try await runtime.advance(by: .seconds(1))
            #expect(try await status(runtime, job).runs == 1)
            try await runtime.advance(by: .seconds(30))
            #expect(try await status(runtime, job).runs == 4)

            _ = try await runtime.call("CronJob", key: job, "stop", as: CronStatus.self)
            _ = try await runtime.call("CronJob", key: job, "start", input: 5, as: CronStatus.self)
            try await runtime.advance(by: .seconds(10))
            #expect(try await status(runtime, job).runs == 6)
        }
    }

    @Test("a tick that reaches a stopped job does nothing; jobs are independent")
    func strayTick() async throws {
        try await withRuntime(endpoint, Mode.inProcess.configuration(autoAdvance: false)) { runtime async throws in
            let stopped = uniqueKey("stopped")
            let other = uniqueKey("other")
            try await runtime.call("CronJob", key: stopped, "tick")
            #expect(try await status(runtime, stopped) == CronStatus(running: false, runs: 0))
            _ = try await runtime.call("CronJob", key: other, "start", input: 1, as: CronStatus.self)
            try await runtime.advance(by: .seconds(3))
            #expect(try await status(runtime, other).runs == 3)
            #expect(try await status(runtime, stopped).runs == 0)
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.call("CronJob", key: stopped, "start", input: 0, as: CronStatus.self)
            }
            #expect(error?.code == 400)
        }
    }
}
