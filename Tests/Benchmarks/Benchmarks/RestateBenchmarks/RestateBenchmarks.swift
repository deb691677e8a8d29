import BenchSupport
import Benchmark
import Foundation
import NIOCore
@_spi(Benchmarks) import Restate
import RestateCore

// Run with `swift package --package-path Tests/Benchmarks benchmark` from the repository root.
//
// Metrics: wall clock, mallocs and CPU time. Instruction counts need hardware performance
// counters, which virtual machines often lack (`perf stat -e instructions true` says "not
// supported"): set RESTATE_BENCH_INSTRUCTIONS=1 to add them where they exist; otherwise
// `e2e/callgrind.sh` counts instructions of the same scenarios with valgrind.

let benchmarks: @Sendable () -> Void = {
    var metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .mallocCountTotal, .throughput]
    if ProcessInfo.processInfo.environment["RESTATE_BENCH_INSTRUCTIONS"] == "1" {
        metrics.append(.instructions)
    }
    Benchmark.defaultConfiguration = .init(
        metrics: metrics,
        warmupIterations: 10,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )

    // MARK: Frame codec, per message kind

    for (name, message) in Scenarios.messageKinds {
        Benchmark("Frame encode \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try message.encodedFrame())
            }
        }
        let frame = try! message.encodedFrame()
        Benchmark("Frame decode \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try Scenarios.decodeAll(frame))
            }
        }
    }

    // MARK: State machine

    let greetBody = Bodies.greet()
    Benchmark("StateMachine one-shot (Start+Input -> Output+End)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Scenarios.stateMachineOneShot(greetBody))
        }
    }

    for entries in [10, 100, 1_000, 10_000] {
        let body = Bodies.replayJournal(entries: entries)
        let keys = Bodies.replayJournalKeys(entries)
        Benchmark(
            "StateMachine replay \(entries) entries",
            configuration: .init(maxDuration: .seconds(3), maxIterations: entries >= 10_000 ? 200 : 20_000)
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try Scenarios.replay(body, keys: keys))
            }
        }
    }

    // MARK: Endpoint in process (router + state machine + handler task, no socket)

    let handler = try! Endpoint.benchmarkEndpoint().makeHandler()
    Benchmark("Endpoint in-process Greeter/greet") { benchmark in
        for _ in benchmark.scaledIterations {
            let response = await handler.invokeInProcess("Greeter", "greet", body: greetBody)
            blackHole(response)
        }
    }
    let counterBody = Bodies.counterAdd()
    Benchmark("Endpoint in-process Counter/add (eager state)") { benchmark in
        for _ in benchmark.scaledIterations {
            let response = await handler.invokeInProcess("Counter", "add", body: counterBody)
            blackHole(response)
        }
    }

    // MARK: Dispatcher (issue 7): registry leases, admission, and the hop to the handler

    let shards = ProcessInfo.processInfo.activeProcessorCount
    let keyedRegistry = BenchmarkInstanceRegistry(keyed: true, shardCount: shards)
    let keylessRegistry = BenchmarkInstanceRegistry(keyed: false, shardCount: shards)
    for (name, registry, key, exclusive) in [
        ("exclusive, object key", keyedRegistry, "key-1", true),
        ("shared, object key", keyedRegistry, "key-1", false),
        ("service, no key", keylessRegistry, "", false),
    ] {
        Benchmark("Dispatcher lease acquire+release (\(name))") { benchmark in
            for _ in benchmark.scaledIterations {
                let lease = try await registry.acquire(key: key, exclusive: exclusive)
                registry.release(lease)
            }
        }
    }
    let admission = BenchmarkDispatcher(shardCount: shards)
    Benchmark("Dispatcher admit+release") { benchmark in
        for _ in benchmark.scaledIterations {
            if let ticket = await admission.admit(invocationID: "inv-1", cancel: {}) { admission.release(ticket) }
        }
    }
    let dispatcherPath = DispatcherPath(shardCount: shards, keyed: true)
    Benchmark("Dispatcher path admit -> task -> lease -> start (object, exclusive)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(await dispatcherPath.run(invocationID: "inv-1", key: "key-1", exclusive: true))
        }
    }
    let probeHandler = try! Endpoint.probeEndpoint(shardCount: shards).makeHandler()
    for (name, request) in [
        ("Probe/start (service)", ProbeRequest(service: "Probe", handler: "start", invocationID: "inv-1")),
        (
            "ProbeObject/start (exclusive)",
            ProbeRequest(service: "ProbeObject", handler: "start", key: "key-1", invocationID: "inv-1")
        ),
    ] {
        Benchmark("Dispatcher endpoint in-process no-op \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(await probeHandler.probe(request))
            }
        }
    }

    // MARK: JSON serde (as `JSONCoding` does it: a new coder per call, sorted keys)

    let order = Order.sample
    let orderJSON = try! Order.makeEncoder().encode(order)
    Benchmark("JSON encode Order (\(orderJSON.count) B)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Order.makeEncoder().encode(order))
        }
    }
    Benchmark("JSON decode Order (\(orderJSON.count) B)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONDecoder().decode(Order.self, from: orderJSON))
        }
    }
    Benchmark("JSON encode String (greet output)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Order.makeEncoder().encode("Hello Till!"))
        }
    }
}
