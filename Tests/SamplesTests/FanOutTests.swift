import Foundation
import Restate
import RestateTesting
import Testing

@testable import FanOutKit

@Suite("Sample: FanOut")
struct FanOutTests {
    let endpoint = makeEndpoint {
        $0.bind(Coordinator.self)
        $0.bind(Worker.self)
    }

    @Test("process fans out one worker per chunk and sums all results", arguments: Mode.allCases)
    func all(mode: Mode) async throws {
        try await withRuntime(endpoint, mode.configuration()) { runtime async throws in
            let job = Job(numbers: [1, 2, 3, 4, 5], chunkSize: 2)
            let report = try await runtime.call("Coordinator", "process", input: job, as: JobReport.self)
            #expect(report.results == [[1, 4], [9, 16], [25]])
            #expect(report.sum == 55)
            #expect(report.complete)
            #expect(report.cancelledWorkers.isEmpty)
        }
    }

    @Test("process waits for slow workers; their durable sleeps pass on the virtual clock")
    func slowWorkers() async throws {
        try await withRuntime(endpoint) { runtime async throws in
            let before = await runtime.now
            let job = Job(numbers: [1, 2, 3], chunkSize: 1, delays: [3600, 0, 60])
            let report = try await runtime.call("Coordinator", "process", input: job, as: JobReport.self)
            #expect(report.results == [[1], [4], [9]])
            // The workers slept in parallel: one hour, not one hour and a minute.
            let elapsed = await runtime.now.timeIntervalSince(before)
            #expect(elapsed >= 3600 && elapsed < 3660)
        }
    }

    @Test("processWithin returns the chunks that beat the deadline and cancels the others", arguments: Mode.allCases)
    func deadline(mode: Mode) async throws {
        try await withRuntime(endpoint, mode.configuration()) { runtime async throws in
            let before = await runtime.now
            let job = Job(numbers: [1, 2, 3, 4, 5, 6], chunkSize: 2, delays: [0, 600, 5], deadlineSeconds: 60)
            let report = try await runtime.call("Coordinator", "processWithin", input: job, as: JobReport.self)
            #expect(report.results == [[1, 4], nil, [25, 36]])
            #expect(report.sum == 66)
            #expect(!report.complete)
            #expect(await runtime.now.timeIntervalSince(before) < 600)
            let worker = try #require(report.cancelledWorkers.first)
            #expect(report.cancelledWorkers.count == 1)
            #expect(try await runtime.attach(invocationID: worker) == .failure(code: 409, message: "cancelled"))
        }
    }

    @Test("processWithin returns everything when every worker is in time")
    func deadlineMet() async throws {
        try await withRuntime(endpoint) { runtime async throws in
            let job = Job(numbers: [1, 2, 3], chunkSize: 2, delays: [30, 59], deadlineSeconds: 60)
            let report = try await runtime.call("Coordinator", "processWithin", input: job, as: JobReport.self)
            #expect(report.results == [[1, 4], [9]])
            #expect(report.complete)
            #expect(report.cancelledWorkers.isEmpty)
        }
    }

    @Test(
        "squareWithin: the answer in time, a 408 terminal error when the worker is too slow",
        arguments: Mode.allCases
    )
    func timeout(mode: Mode) async throws {
        try await withRuntime(endpoint, mode.configuration()) { runtime async throws in
            let fast = DeadlineRequest(chunk: Chunk(numbers: [7, 8], delaySeconds: 10), deadlineSeconds: 30)
            #expect(try await runtime.call("Coordinator", "squareWithin", input: fast, as: [Int].self) == [49, 64])

            let slow = DeadlineRequest(chunk: Chunk(numbers: [7], delaySeconds: 120), deadlineSeconds: 30)
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.call("Coordinator", "squareWithin", input: slow, as: [Int].self)
            }
            #expect(error?.code == 408)
        }
    }
}
