import Restate

// Protocol fixtures: small services whose journals other tools compare across SDKs, so their
// names, state keys, run names and promise names are part of the contract too.

/// `Greeter` (service): `greet` answers `"Hello {name}!"`.
struct Greeter: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<Greeter> {
        ServiceDescriptor(
            name: "Greeter",
            kind: .service,
            handlers: [
                .handler("greet") { (_: Greeter, _: Context, name: String) in "Hello \(name)!" }
            ]
        )
    }
}

/// `VerificationWorkflow` (workflow): e-mail verification with a secret made in a run, a durable
/// promise for the click, and a status in state.
struct VerificationWorkflow: RestateService, DefaultInitializable {
    static let status = StateKey<String>("status")
    static let clickedPromise = "email.clicked"
    static let sendEmailRun = "send-email"

    static var restateDescriptor: ServiceDescriptor<VerificationWorkflow> {
        ServiceDescriptor(
            name: "VerificationWorkflow",
            kind: .workflow,
            handlers: [
                // Returns whether the click carried the secret.
                .handler("run") { (_: VerificationWorkflow, ctx: WorkflowContext, email: String) -> Bool in
                    // Lowercase, the textual UUID form of the other SDKs.
                    let uid = ctx.random.uuid().uuidString.lowercased()
                    let secret = try await ctx.run(sendEmailRun) { "secret-" + uid }
                    try ctx.set(status, "waiting-for-click")
                    let clicked = try await ctx.promise(clickedPromise, of: String.self).value
                    try ctx.set(status, clicked == secret ? "verified" : "rejected")
                    return clicked == secret
                },
                .handler("click") { (_: VerificationWorkflow, ctx: SharedWorkflowContext, secret: String) in
                    try await ctx.promise(clickedPromise, of: String.self).resolve(secret)
                },
                .handler("getStatus") { (_: VerificationWorkflow, ctx: SharedWorkflowContext) -> String? in
                    try await ctx.get(status)
                },
            ]
        )
    }
}

/// `Sleeper` (service): `sleep(millis)` sleeps durably, then answers `"slept"`.
struct Sleeper: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<Sleeper> {
        ServiceDescriptor(
            name: "Sleeper",
            kind: .service,
            handlers: [
                .handler("sleep") { (_: Sleeper, ctx: Context, millis: Int64) in
                    try await ctx.sleep(for: .milliseconds(millis))
                    return "slept"
                }
            ]
        )
    }
}

/// `AwakeableWaiter` (service): `wait(holderKey)` creates an awakeable, hands its id to
/// `AwakeableHolder(holderKey).hold` with a one-way send, and answers the awakeable's payload.
struct AwakeableWaiter: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<AwakeableWaiter> {
        ServiceDescriptor(
            name: "AwakeableWaiter",
            kind: .service,
            handlers: [
                .handler("wait") { (_: AwakeableWaiter, ctx: Context, holderKey: String) in
                    let (id, payload) = try ctx.awakeable(of: String.self)
                    try ctx.send(.object("AwakeableHolder", key: holderKey, handler: "hold"), input: id)
                    return try await payload.value
                }
            ]
        )
    }
}
