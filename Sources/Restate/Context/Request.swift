import Foundation

/// What a handler knows about the request that invoked it.
public struct Request: Sendable {
    /// The invocation's id as Restate shows it (`inv_1…`).
    public let invocationID: String
    /// The headers of the original call (ingress or another handler), lowercase names.
    public let headers: [String: String]
    /// The object key or workflow ID; empty for services.
    public let key: String
    /// The idempotency key the invocation was made with (service protocol V7).
    public let idempotencyKey: String?
    /// The flow-control scope (service protocol V7).
    public let scope: String?
    /// The flow-control limit key (service protocol V7).
    public let limitKey: String?
    /// The raw input payload.
    public let body: Data

    let randomSeed: UInt64

    public init(
        invocationID: String,
        headers: [String: String] = [:],
        key: String = "",
        idempotencyKey: String? = nil,
        scope: String? = nil,
        limitKey: String? = nil,
        body: Data = Data(),
        randomSeed: UInt64 = 0
    ) {
        self.invocationID = invocationID
        self.headers = headers
        self.key = key
        self.idempotencyKey = idempotencyKey
        self.scope = scope
        self.limitKey = limitKey
        self.body = body
        self.randomSeed = randomSeed
    }
}
