import Foundation
import Restate

/// A recurring job, one per key (the job's name): every `intervalSeconds` it runs once.
///
/// There is no scheduler: each `tick` does the work and sends the next `tick` to itself with a
/// delay. Restate keeps the delayed message durably, so the schedule survives restarts of the
/// service, and the object's lock means ticks never overlap with each other or with `stop`.
@VirtualObject
actor CronJob {
    static let interval = StateKey<Int>("interval")
    static let runs = StateKey<Int>("runs")
    static let lastRun = StateKey<String>("lastRun")
    /// The invocation id of the tick that is scheduled next.
    static let nextTick = StateKey<String>("nextTick")

    /// Starts the job: the first run is `intervalSeconds` from now. On a running job only the
    /// interval changes, from the next tick on.
    func start(_ ctx: ObjectContext, intervalSeconds: Int) async throws -> CronStatus {
        guard intervalSeconds > 0 else { throw TerminalError("intervalSeconds must be positive", code: 400) }
        try ctx.set(Self.interval, intervalSeconds)
        if try await ctx.get(Self.nextTick) == nil {
            try await scheduleNextTick(ctx, after: intervalSeconds)
        }
        return try await Self.readStatus(ctx)
    }

    /// Runs the job once and schedules the next run. Sent by the job to itself.
    func tick(_ ctx: ObjectContext) async throws {
        // A tick that slipped through a stop (sent before it, not yet cancelled) does nothing.
        guard let interval = try await ctx.get(Self.interval) else { return }
        let name = ctx.key
        let runs = (try await ctx.get(Self.runs) ?? 0) + 1
        let time = try await ctx.run("run job") { try await Work.perform(job: name, run: runs) }
        try ctx.set(Self.runs, runs)
        try ctx.set(Self.lastRun, time)
        try await scheduleNextTick(ctx, after: interval)
    }

    /// Stops the job and cancels the scheduled tick; the run count stays.
    func stop(_ ctx: ObjectContext) async throws -> CronStatus {
        if let next = try await ctx.get(Self.nextTick) {
            try ctx.cancel(invocationID: next)
        }
        try ctx.clear(Self.nextTick)
        try ctx.clear(Self.interval)
        return try await Self.readStatus(ctx)
    }

    /// Whether the job runs, how often, and how many times it has run.
    @Shared
    func status(_ ctx: SharedObjectContext) async throws -> CronStatus {
        try await Self.readStatus(ctx)
    }
}

// Helpers live outside the type's body: the macro takes every method there whose first
// parameter is a context for a handler.
extension CronJob {
    private func scheduleNextTick(_ ctx: ObjectContext, after seconds: Int) async throws {
        let handle = try ctx.objectClient(CronJob.self, key: ctx.key).send.tick(delay: .seconds(seconds))
        try ctx.set(Self.nextTick, try await handle.id.value)
    }

    private static func readStatus(_ ctx: some StateReadingContext) async throws -> CronStatus {
        let interval = try await ctx.get(Self.interval)
        return CronStatus(
            running: interval != nil,
            intervalSeconds: interval,
            runs: try await ctx.get(Self.runs) ?? 0,
            lastRun: try await ctx.get(Self.lastRun)
        )
    }
}

/// What `status` reports.
struct CronStatus: Codable, Sendable, Hashable {
    var running: Bool
    var intervalSeconds: Int?
    var runs: Int
    /// When the last run happened (ISO 8601), as the job itself saw it.
    var lastRun: String?
}

/// Stands in for the job's real work.
enum Work {
    /// Prints a line and returns the time of the run.
    static func perform(job: String, run: Int) async throws -> String {
        let time = Date().formatted(.iso8601)
        // Written straight to the file handle: print() is buffered when stdout is not a terminal.
        FileHandle.standardOutput.write(Data("[CronJob \(job)] run #\(run) at \(time)\n".utf8))
        return time
    }
}

/// How `swift run Cron` serves this sample (see `main.swift`).
public enum CronSample {
    /// An endpoint with the sample's services.
    public static func endpoint() -> Endpoint {
        Endpoint(CronJob.self)
    }
}
