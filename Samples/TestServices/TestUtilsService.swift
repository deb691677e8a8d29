import Foundation
import Restate
import Synchronization

/// `TestUtilsService` (service): echoes, headers, raw bytes, run flushing, and acting on other
/// invocations (cancel, signals) from inside Restate.
struct TestUtilsService: RestateService, DefaultInitializable {
    struct ResolveSignalRequest: Codable, Sendable, Hashable {
        var invocationId: String
        var signalName: String
        var value: String
    }

    struct RejectSignalRequest: Codable, Sendable, Hashable {
        var invocationId: String
        var signalName: String
        var reason: String
    }

    static var restateDescriptor: ServiceDescriptor<TestUtilsService> {
        ServiceDescriptor(
            name: "TestUtilsService",
            kind: .service,
            handlers: [
                .handler("echo") { (_: TestUtilsService, _: Context, input: String) in input },
                .handler("uppercaseEcho") { (_: TestUtilsService, _: Context, input: String) in input.uppercased() },
                // The headers of the request that started this invocation (ingress headers included).
                .handler("echoHeaders") { (_: TestUtilsService, ctx: Context) in ctx.request.headers },
                .rawHandler("rawEcho") { (_: TestUtilsService, _: Context, input: Data) in input },
                // The counter is local and not durable: a run replayed from the journal does not
                // execute again, so with a suspension after every run (RunFlush, always-suspending
                // suites) the final attempt counts 0.
                .handler("countExecutedSideEffects") { (_: TestUtilsService, ctx: Context, increments: Int) in
                    let executed = ExecutionCounter()
                    for _ in 0..<max(0, increments) {
                        try await ctx.run("count") { executed.increment() }
                    }
                    return executed.value
                },
                .handler("cancelInvocation") { (_: TestUtilsService, ctx: Context, invocationId: String) in
                    try ctx.cancel(invocationID: invocationId)
                },
                .handler("resolveSignal") { (_: TestUtilsService, ctx: Context, request: ResolveSignalRequest) in
                    try ctx.resolveSignal(request.signalName, of: request.invocationId, with: request.value)
                },
                .handler("rejectSignal") { (_: TestUtilsService, ctx: Context, request: RejectSignalRequest) in
                    try ctx.rejectSignal(request.signalName, of: request.invocationId, reason: request.reason)
                },
            ]
        )
    }
}

/// Counts executions of run closures (which may run on other tasks).
final class ExecutionCounter: Sendable {
    private let count = Atomic<Int>(0)

    func increment() {
        count.add(1, ordering: .relaxed)
    }

    var value: Int { count.load(ordering: .relaxed) }
}
