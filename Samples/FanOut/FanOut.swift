import Foundation
import Restate

/// Splits a job into chunks, fans them out to ``Worker``, and aggregates the answers.
///
/// The calls all start before the first is awaited, so the workers run in parallel; the
/// combinators of `DurableFuture` join them deterministically, so a replay after a crash waits
/// for the same results in the same order.
@Service
struct Coordinator {
    /// Squares every number and sums the squares; waits for every chunk (`DurableFuture.all`).
    func process(_ ctx: Context, job: Job) async throws -> JobReport {
        let chunks = job.chunks()
        let calls = try chunks.map { try ctx.serviceClient(Worker.self).square($0) }
        let results = try await DurableFuture.all(calls.map(\.response))
        return JobReport(results: results.map { Optional($0) })
    }

    /// Like ``process(_:job:)``, but returns what has arrived after `deadlineSeconds`: the calls
    /// still pending race one durable timer (`DurableFuture.first`), and the workers that miss it
    /// are cancelled.
    func processWithin(_ ctx: Context, job: Job) async throws -> JobReport {
        let chunks = job.chunks()
        let calls = try chunks.map { try ctx.serviceClient(Worker.self).square($0) }
        // One timer for the whole job; it goes last, so that a result and the deadline arriving
        // together count as the result.
        let deadline = try ctx.timer(for: .seconds(job.deadlineSeconds ?? 10)).map { [Int]?.none }
        var results: [[Int]?] = Array(repeating: nil, count: chunks.count)
        var pending = Array(chunks.indices)
        while !pending.isEmpty {
            let racers = pending.map { calls[$0].response.map { Optional($0) } } + [deadline]
            let (index, value) = try await DurableFuture.first(racers)
            guard index < pending.count else { break }
            results[pending[index]] = value
            pending.remove(at: index)
        }
        // Nobody waits for them any more: stop the slow workers instead of letting them finish.
        var cancelled: [String] = []
        for index in pending {
            let worker = try await calls[index].invocationID.value
            try ctx.cancel(invocationID: worker)
            cancelled.append(worker)
        }
        return JobReport(results: results, cancelledWorkers: cancelled)
    }

    /// Squares one chunk, but fails with a 408 terminal error when the worker takes longer than
    /// `deadlineSeconds` (`value(timeout:)`).
    func squareWithin(_ ctx: Context, request: DeadlineRequest) async throws -> [Int] {
        try await ctx.serviceClient(Worker.self).square(request.chunk)
            .response.value(timeout: .seconds(request.deadlineSeconds))
    }
}

/// Does the work of one chunk.
@Service
struct Worker {
    /// Squares each number of the chunk in its own `ctx.run` (stand-ins for, say, HTTP calls),
    /// all in flight at once; sleeps durably first if the chunk asks for it, to act as a slow
    /// worker.
    func square(_ ctx: Context, chunk: Chunk) async throws -> [Int] {
        if let delay = chunk.delaySeconds, delay > 0 {
            try await ctx.sleep(for: .seconds(delay))
        }
        let runs = try chunk.numbers.map { number in
            try ctx.runAsync("square \(number)") { number * number }
        }
        return try await DurableFuture.all(runs)
    }
}

/// Numbers to square, split into chunks of `chunkSize`.
struct Job: Codable, Sendable {
    var numbers: [Int]
    /// Numbers per chunk; 2 if not given.
    var chunkSize: Int?
    /// How long the worker of chunk `i` sleeps first (seconds); missing entries mean no delay.
    var delays: [Int]?
    /// For `processWithin`: how long to wait for the workers; 10 seconds if not given.
    var deadlineSeconds: Int?

    func chunks() -> [Chunk] {
        let size = max(1, chunkSize ?? 2)
        return stride(from: 0, to: numbers.count, by: size).enumerated().map { index, start in
            let delay = delays.flatMap { index < $0.count ? $0[index] : nil }
            return Chunk(numbers: Array(numbers[start..<min(start + size, numbers.count)]), delaySeconds: delay)
        }
    }
}

/// One worker's share of a job.
struct Chunk: Codable, Sendable {
    var numbers: [Int]
    /// How long the worker sleeps before it starts (seconds); none if not given.
    var delaySeconds: Int?
}

/// A chunk with a deadline, for `squareWithin`.
struct DeadlineRequest: Codable, Sendable {
    var chunk: Chunk
    var deadlineSeconds: Int
}

/// The squares per chunk (`null` for a chunk that missed the deadline) and the sum of those that
/// arrived.
struct JobReport: Codable, Sendable, Hashable {
    var results: [[Int]?]
    var sum: Int
    /// Whether every chunk arrived.
    var complete: Bool
    /// The invocation ids of the workers that missed the deadline and were cancelled.
    var cancelledWorkers: [String]

    init(results: [[Int]?], cancelledWorkers: [String] = []) {
        self.results = results
        self.sum = results.compactMap { $0 }.joined().reduce(0, +)
        self.complete = results.allSatisfy { $0 != nil }
        self.cancelledWorkers = cancelledWorkers
    }
}

/// How `swift run FanOut` serves this sample (see `main.swift`).
public enum FanOutSample {
    /// An endpoint with the sample's services.
    public static func endpoint() -> Endpoint {
        Endpoint(Coordinator.self, Worker.self)
    }
}
