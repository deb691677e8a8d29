import NIOCore
import RestateHTTP2
import Testing

@testable import Restate

@Suite("Endpoint.Configuration from the environment")
struct EndpointConfigurationTests {
    private func executor(_ value: String?) -> String {
        let environment = value.map { ["RESTATE_HANDLER_EXECUTOR": $0] } ?? [:]
        switch Endpoint.Configuration.fromEnvironment(environment).http.handlerExecutor {
        case .eventLoop: return "event-loop"
        case .globalConcurrentExecutor: return "global"
        case .taskExecutor: return "task-executor"
        }
    }

    @Test("RESTATE_HANDLER_EXECUTOR picks where handlers run; unknown values keep the event loop")
    func handlerExecutor() {
        #expect(executor(nil) == "event-loop")
        #expect(executor("global") == "global")
        #expect(executor("event-loop") == "event-loop")
        #expect(executor("threads") == "event-loop")
    }

    @Test("RESTATE_EVENT_LOOPS sets the server's event loops; two per core otherwise")
    func eventLoops() {
        let twoPerCore = 2 * System.coreCount
        #expect(Endpoint.Configuration.fromEnvironment([:]).http.eventLoopCount == twoPerCore)
        #expect(Endpoint.Configuration.fromEnvironment(["RESTATE_EVENT_LOOPS": "3"]).http.eventLoopCount == 3)
        #expect(Endpoint.Configuration.fromEnvironment(["RESTATE_EVENT_LOOPS": "0"]).http.eventLoopCount == twoPerCore)
        #expect(Endpoint.Configuration.fromEnvironment(["RESTATE_EVENT_LOOPS": "x"]).http.eventLoopCount == twoPerCore)
    }

    @Test("numeric settings are read, and ignored when not positive numbers")
    func numbers() {
        let configuration = Endpoint.Configuration.fromEnvironment([
            "RESTATE_SHARDS": "3", "RESTATE_INSTANCES_PER_SHARD": "0", "RESTATE_INSTANCE_IDLE_TIMEOUT": "1.5",
            "RESTATE_MAX_IN_FLIGHT_PER_SHARD": "x",
        ])
        let defaults = Endpoint.Configuration()
        #expect(configuration.shardCount == 3)
        #expect(configuration.instancesPerShard == defaults.instancesPerShard)
        #expect(configuration.instanceIdleTimeout == .milliseconds(1500))
        #expect(configuration.maxInFlightPerShard == defaults.maxInFlightPerShard)
    }
}
