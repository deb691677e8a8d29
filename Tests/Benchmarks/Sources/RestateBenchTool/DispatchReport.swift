@_spi(Benchmarks) import BenchSupport
import Foundation
@_spi(Benchmarks) import Restate

/// `RestateBenchTool dispatch …`: the dispatcher measurements, printed as Markdown tables.
enum DispatchReport {
    static func latency(samples: Int) async throws {
        let shards = ProcessInfo.processInfo.activeProcessorCount
        print("samples per row: \(samples); shards: \(shards); times in ns\n")
        print("| measurement | median | p90 | p99 | mean of a tight loop |")
        print("|---|---|---|---|---|")
        func row(_ name: String, _ summary: LatencySummary, loopMean: Double? = nil) {
            let loop = loopMean.map { String(format: "%.0f", $0) } ?? ""
            print("| \(name) | \(summary.median) | \(summary.p90) | \(summary.p99) | \(loop) |")
        }
        row(
            "clock pair (`ContinuousClock.now` twice), in every timed row",
            DispatchBench.clockOverhead(samples: samples)
        )

        let keyed = BenchmarkInstanceRegistry(keyed: true, shardCount: shards)
        let keyless = BenchmarkInstanceRegistry(keyed: false, shardCount: shards)
        for (name, registry, key, exclusive) in [
            ("lease acquire+release, object key, exclusive", keyed, "key-1", true),
            ("lease acquire+release, object key, shared", keyed, "key-1", false),
            ("lease acquire+release, service (no key)", keyless, "", false),
        ] {
            let result = try await DispatchBench.lease(
                registry: registry,
                key: key,
                exclusive: exclusive,
                samples: samples
            )
            row(name, result.perOperation, loopMean: result.meanNanoseconds)
        }

        for (name, keyed, exclusive) in [
            ("dispatcher path admit → task → lease → start, object exclusive", true, true),
            ("dispatcher path admit → task → lease → start, service", false, false),
        ] {
            row(
                name,
                await DispatchBench.dispatcherPath(
                    shardCount: shards,
                    keyed: keyed,
                    exclusive: exclusive,
                    samples: samples
                )
            )
        }

        let hops = await DispatchBench.taskHops(samples: samples)
        row("Swift runtime: `Task {}` created → its first line", hops.task)
        row("Swift runtime: task-group child added → its first line", hops.child)
        row(
            "protocol only: state machine + decode Start/Input + `input()`, object key",
            try DispatchBench.protocolDecode(body: Bodies.probe(key: "key-1"), samples: samples)
        )

        let handler = try Endpoint.probeEndpoint(shardCount: shards).makeHandler()
        for (name, request) in [
            ("service Probe/start", ProbeRequest(service: "Probe", handler: "start")),
            (
                "object ProbeObject/start (exclusive)",
                ProbeRequest(service: "ProbeObject", handler: "start", key: "key-1")
            ),
            ("object ProbeObject/shared", ProbeRequest(service: "ProbeObject", handler: "shared", key: "key-1")),
        ] {
            guard let result = await DispatchBench.endpoint(handler: handler, request: request, samples: samples) else {
                fail("\(name): a response was not a finished 200")
            }
            row("endpoint `handle` → handler start, \(name)", result.toStart)
            row("endpoint `handle` → response finished, \(name)", result.total)
        }
    }

    static func throughput(seconds: Double, callers: Int, rounds: Int) async {
        let duration = Duration.milliseconds(Int64(seconds * 1_000))
        let shardCounts = [1, 2, 4]
        let handlers = shardCounts.map { try! Endpoint.probeEndpoint(shardCount: $0).makeHandler() }
        let manyKeys = (0..<1_024).map { "key-\($0)" }
        let workloads: [(name: String, callers: [[ProbeRequest]])] = [
            (
                "service Probe/start (no key)",
                DispatchBench.callerRequests(service: "Probe", handler: "start", keys: [""], concurrency: callers)
            ),
            (
                "object ProbeObject/start, 1,024 keys",
                DispatchBench.callerRequests(
                    service: "ProbeObject",
                    handler: "start",
                    keys: manyKeys,
                    concurrency: callers
                )
            ),
            (
                "object ProbeObject/serial, ONE key (exclusive, suspends inside)",
                DispatchBench.callerRequests(
                    service: "ProbeObject",
                    handler: "serial",
                    keys: ["hot"],
                    concurrency: callers
                )
            ),
        ]
        print(
            "callers: \(callers) concurrent tasks, one invocation in flight each; \(seconds) s per run; "
                + "\(rounds) rounds, configurations interleaved; cores: \(ProcessInfo.processInfo.activeProcessorCount)\n"
        )
        // Warm-up: allocator, metric objects, instance tables.
        for handler in handlers {
            for workload in workloads {
                _ = await DispatchBench.throughput(
                    handler: handler,
                    callers: workload.callers,
                    duration: .milliseconds(200)
                )
            }
        }
        SerialCheck.reset()
        var results = [[[Double]]](
            repeating: [[Double]](repeating: [], count: shardCounts.count),
            count: workloads.count
        )
        var failures = 0
        var registryResults = [[Double]](repeating: [], count: shardCounts.count)
        let registryCallers = ProcessInfo.processInfo.activeProcessorCount
        for _ in 0..<rounds {
            for (w, workload) in workloads.enumerated() {
                for (s, handler) in handlers.enumerated() {
                    let result = await DispatchBench.throughput(
                        handler: handler,
                        callers: workload.callers,
                        duration: duration
                    )
                    results[w][s].append(result.perSecond)
                    failures += result.failures
                }
            }
            for (s, shardCount) in shardCounts.enumerated() {
                registryResults[s].append(
                    await DispatchBench.registryThroughput(
                        shardCount: shardCount,
                        keys: 1_024,
                        concurrency: registryCallers,
                        duration: duration
                    )
                )
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        func format(_ value: Double) -> String { String(format: "%.0f", value) }
        print("| workload | shards | invocations/s (median of rounds) | ratio to 1 shard | all rounds |")
        print("|---|---|---|---|---|")
        for (w, workload) in workloads.enumerated() {
            let base = median(results[w][0])
            for (s, shardCount) in shardCounts.enumerated() {
                let value = median(results[w][s])
                print(
                    "| \(workload.name) | \(shardCount) | \(format(value)) | \(String(format: "%.2f", value / base)) | "
                        + results[w][s].map(format).joined(separator: ", ") + " |"
                )
            }
        }
        let base = median(registryResults[0])
        for (s, shardCount) in shardCounts.enumerated() {
            let value = median(registryResults[s])
            print(
                "| registry alone: exclusive lease acquire+release, 1,024 keys, \(registryCallers) callers | \(shardCount) | "
                    + "\(format(value)) | \(String(format: "%.2f", value / base)) | "
                    + registryResults[s].map(format).joined(separator: ", ") + " |"
            )
        }
        print(
            "\nfailed invocations: \(failures); overlapping exclusive handlers on the hot key: \(SerialCheck.violationCount)"
        )
        if failures > 0 || SerialCheck.violationCount > 0 { exit(1) }
    }
}
