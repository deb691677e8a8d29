import BenchSupport
import Foundation
import NIOCore
import Restate
import RestateCore
import RestateHTTP2

// The e2e endpoint and the callgrind driver of the benchmarks:
//
//   RestateBenchTool serve [PORT] [MAX_SECONDS]   serve Greeter + Counter on 127.0.0.1, print the port
//   RestateBenchTool serve-echo [PORT] [MAX_SECONDS]  the HTTP/2 server alone, echoing each body
//   RestateBenchTool body greet|counter|run|replayN FILE   write a pre-encoded V5 request body
//   RestateBenchTool invoke SCENARIO N            run a scenario N times in process (for callgrind)
//   RestateBenchTool instances N                  memory of N idle workflow instances (suspended runs)
//   RestateBenchTool dispatch latency [SAMPLES]   dispatcher overhead: lease, admission → handler start
//   RestateBenchTool dispatch throughput [SECONDS] [CALLERS] [ROUNDS]
//                                                 invocations/s by shard count (1, 2, 4)
//
// Scenarios: state-machine, endpoint-greet, endpoint-counter, replay-ENTRIES, encode-output,
// decode-start, json-order.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

/// Queues the whole echo response without waiting for the loop. A synchronous function so that the
/// transport's own `finish(head:body:)` is called, not `ResponseSink`'s awaiting default.
func answer(_ writer: ResponseWriter, _ bytes: ByteBuffer) {
    writer.finish(head: (status: 200, headers: echoHeaders), body: bytes)
}

/// Built once, as a handler with a fixed head would: a literal here is an array per request.
let echoHeaders: HeaderFields = [("content-type", "application/octet-stream")]

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "serve":
    let port = arguments.dropFirst().first.flatMap(Int.init) ?? 9080
    // Bounded: the server exits by itself after MAX_SECONDS even if the script that started it died.
    let maxSeconds = arguments.dropFirst(2).first.flatMap(Int.init) ?? 1800
    let server = try await Endpoint.benchmarkEndpoint().start(host: "127.0.0.1", port: port)
    FileHandle.standardOutput.write(Data("listening on \(server.port)\n".utf8))
    try await Task.sleep(for: .seconds(maxSeconds))
    await server.shutdown(gracePeriod: .seconds(1))

case "serve-echo":
    // The HTTP/2 server alone, without Restate: answers every request with its own body, for
    // comparing the transport with nghttpd.
    let port = arguments.dropFirst().first.flatMap(Int.init) ?? 9081
    let maxSeconds = arguments.dropFirst(2).first.flatMap(Int.init) ?? 1800
    // The endpoint's HTTP settings, so that RESTATE_EVENT_LOOPS and RESTATE_HANDLER_EXECUTOR apply.
    let http = Endpoint.Configuration.fromEnvironment().http
    let server = try await HTTP2Server.bind(host: "127.0.0.1", port: port, configuration: http) { head, body, writer in
        let bytes = try await body.collect(upTo: 1 << 20)
        answer(writer, bytes)
    }
    FileHandle.standardOutput.write(Data("listening on \(server.port)\n".utf8))
    try await Task.sleep(for: .seconds(maxSeconds))
    await server.shutdown(gracePeriod: .seconds(1))

case "body":
    let rest = Array(arguments.dropFirst())
    guard rest.count == 2 else { fail("usage: body greet|counter|run|replayN FILE") }
    let body: ByteBuffer
    switch rest[0] {
    case "greet": body = Bodies.greet()
    case "counter": body = Bodies.counterAdd()
    case "run": body = Bodies.runStep()
    case let name where name.hasPrefix("replay"):
        guard let entries = Int(name.dropFirst("replay".count)) else { fail("usage: body replayN FILE") }
        body = Bodies.replayJournal(entries: entries)
    default: fail("unknown body \(rest[0])")
    }
    try Data(body.readableBytesView).write(to: URL(fileURLWithPath: rest[1]))

case "invoke":
    let rest = Array(arguments.dropFirst())
    guard rest.count == 2, let count = Int(rest[1]) else { fail("usage: invoke SCENARIO N") }
    let scenario = rest[0]
    var sink = 0
    switch scenario {
    case "state-machine":
        let body = Bodies.greet()
        for _ in 0..<count { sink &+= try Scenarios.stateMachineOneShot(body).readableBytes }
    case "endpoint-greet", "endpoint-counter":
        let handler = try Endpoint.benchmarkEndpoint().makeHandler()
        let greet = scenario == "endpoint-greet"
        let body = greet ? Bodies.greet() : Bodies.counterAdd()
        for _ in 0..<count {
            let response =
                greet
                ? await handler.invokeInProcess("Greeter", "greet", body: body)
                : await handler.invokeInProcess("Counter", "add", body: body)
            guard response.status == 200, response.finished else { fail("bad response \(response)") }
            sink &+= response.body.readableBytes
        }
    case let name where name.hasPrefix("replay-"):
        guard let entries = Int(name.dropFirst("replay-".count)) else { fail("bad scenario \(name)") }
        let body = Bodies.replayJournal(entries: entries)
        let keys = Bodies.replayJournalKeys(entries)
        for _ in 0..<count { sink &+= try Scenarios.replay(body, keys: keys).readableBytes }
    case "encode-output":
        let message = Scenarios.messageKinds.first { $0.name == "Output" }!.message
        for _ in 0..<count { sink &+= try message.encodedFrame().readableBytes }
    case "decode-start":
        let frame = try Scenarios.messageKinds.first { $0.name == "Start" }!.message.encodedFrame()
        for _ in 0..<count { sink &+= try Scenarios.decodeAll(frame) }
    case "json-order":
        for _ in 0..<count {
            let data = try Order.makeEncoder().encode(Order.sample)
            sink &+= try JSONDecoder().decode(Order.self, from: data).items.count
        }
    default:
        fail("unknown scenario \(scenario)")
    }
    print("\(scenario) x\(count): \(sink)")

case "instances":
    guard let count = arguments.dropFirst().first.flatMap(Int.init), count > 0 else { fail("usage: instances N") }
    var endpoint = Endpoint(configuration: .init(instancesPerShard: count))
    endpoint.bind(Waiter.self)
    let handler = try endpoint.makeHandler()
    func suspendRuns(_ keys: Range<Int>) async {
        for number in keys {
            let response = await handler.invokeInProcess("Waiter", "run", body: Bodies.waiterRun(key: "wf-\(number)"))
            guard response.status == 200, response.finished else { fail("bad response \(response)") }
        }
    }
    // Warm up allocator pools, metric objects and the dictionaries' first growth.
    await suspendRuns(0..<1_000)
    let before = MemoryUsage.current()
    await suspendRuns(1_000..<(1_000 + count))
    let after = MemoryUsage.current()
    let rssPerInstance = Double(after.residentBytes - before.residentBytes) / Double(count)
    print(
        "instances \(count): RSS +\(after.residentBytes - before.residentBytes) B "
            + "(\(Int(rssPerInstance)) B/instance), RSS total \(after.residentBytes / 1_048_576) MiB"
    )

case "dispatch":
    let rest = Array(arguments.dropFirst())
    switch rest.first {
    case "latency":
        let samples = rest.dropFirst().first.flatMap(Int.init) ?? 100_000
        try await DispatchReport.latency(samples: samples)
    case "throughput":
        let seconds = rest.dropFirst().first.flatMap(Double.init) ?? 2
        let callers = rest.dropFirst(2).first.flatMap(Int.init) ?? 64
        let rounds = rest.dropFirst(3).first.flatMap(Int.init) ?? 3
        await DispatchReport.throughput(seconds: seconds, callers: callers, rounds: rounds)
    default:
        fail("usage: dispatch latency [SAMPLES] | dispatch throughput [SECONDS] [CALLERS] [ROUNDS]")
    }

default:
    fail(
        "usage: RestateBenchTool serve [PORT] [MAX_SECONDS] | body greet|counter|run|replayN FILE | invoke SCENARIO N | instances N"
            + " | dispatch latency|throughput …"
    )
}
