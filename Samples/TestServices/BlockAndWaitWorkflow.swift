import Restate

/// `BlockAndWaitWorkflow` (workflow): `run` stores its input, waits for `unblock`, returns
/// `unblock`'s value (WorkflowAPI test).
struct BlockAndWaitWorkflow: RestateService, DefaultInitializable {
    static let myState = StateKey<String>("my-state")
    static let promiseName = "durable-promise"

    static var restateDescriptor: ServiceDescriptor<BlockAndWaitWorkflow> {
        ServiceDescriptor(
            name: "BlockAndWaitWorkflow",
            kind: .workflow,
            handlers: [
                .handler("run") { (_: BlockAndWaitWorkflow, ctx: WorkflowContext, input: String) in
                    try ctx.set(myState, input)
                    let promise = ctx.promise(promiseName, of: String.self)
                    let output = try await promise.value
                    // Once awaited, a peek must see the promise completed too.
                    guard try await promise.peek() != nil else {
                        throw TerminalError("Durable promise should be completed")
                    }
                    return output
                },
                .handler("unblock") { (_: BlockAndWaitWorkflow, ctx: SharedWorkflowContext, output: String) in
                    try await ctx.promise(promiseName, of: String.self).resolve(output)
                },
                .handler("getState") { (_: BlockAndWaitWorkflow, ctx: SharedWorkflowContext) -> String? in
                    try await ctx.get(myState)
                },
            ]
        )
    }
}
