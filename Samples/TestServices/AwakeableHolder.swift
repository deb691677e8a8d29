import Restate

/// `AwakeableHolder` (virtual object): keeps one awakeable id so that the test driver can
/// complete an awakeable created deep inside a call tree.
///
/// All handlers are exclusive, as in the contract.
struct AwakeableHolder: RestateService, DefaultInitializable {
    static let id = StateKey<String>("id")

    static var restateDescriptor: ServiceDescriptor<AwakeableHolder> {
        ServiceDescriptor(
            name: "AwakeableHolder",
            kind: .virtualObject,
            handlers: [
                .handler("hold") { (_: AwakeableHolder, ctx: ObjectContext, awakeableID: String) in
                    try ctx.set(id, awakeableID)
                },
                .handler("hasAwakeable") { (_: AwakeableHolder, ctx: ObjectContext) in
                    try await ctx.get(id) != nil
                },
                .handler("unlock") { (_: AwakeableHolder, ctx: ObjectContext, payload: String) in
                    guard let awakeableID = try await ctx.get(id) else {
                        throw TerminalError("No awakeable registered")
                    }
                    try ctx.resolveAwakeable(awakeableID, with: payload)
                },
            ]
        )
    }
}
