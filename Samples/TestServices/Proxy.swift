import Foundation
import Restate

/// `Proxy` (service): generic calls and sends by name, with the payload passed through as bytes.
///
/// The e2e suite uses it to reach handlers from inside Restate (CallOrdering, Cancellation,
/// State, ServiceToServiceCommunication, ServiceToServiceScopeConcurrency).
struct ProxyService: RestateService, DefaultInitializable {
    /// A call to make. A target is a virtual object when `virtualObjectKey` is set, otherwise a
    /// service.
    struct ProxyRequest: Codable, Sendable, Hashable {
        var serviceName: String
        var virtualObjectKey: String?
        var handlerName: String
        /// The request body; a JSON array of numbers, as Kotlin serializes a `ByteArray`.
        var message: JSONBytes
        var delayMillis: Int?
        var idempotencyKey: String?
        var scope: String?
        var limitKey: String?

        init(
            serviceName: String,
            virtualObjectKey: String? = nil,
            handlerName: String,
            message: Data,
            delayMillis: Int? = nil,
            idempotencyKey: String? = nil,
            scope: String? = nil,
            limitKey: String? = nil
        ) {
            self.serviceName = serviceName
            self.virtualObjectKey = virtualObjectKey
            self.handlerName = handlerName
            self.message = JSONBytes(message)
            self.delayMillis = delayMillis
            self.idempotencyKey = idempotencyKey
            self.scope = scope
            self.limitKey = limitKey
        }

        var target: Target {
            Target(service: serviceName, handler: handlerName, key: virtualObjectKey)
        }

        var options: CallOptions {
            CallOptions(idempotencyKey: idempotencyKey, scope: scope, limitKey: limitKey)
        }

        var delay: Duration? {
            delayMillis.flatMap { $0 > 0 ? .milliseconds($0) : nil }
        }
    }

    /// One entry of `manyCalls`.
    struct ManyCallRequest: Codable, Sendable, Hashable {
        var proxyRequest: ProxyRequest
        /// A one-way send instead of a call.
        var oneWayCall: Bool
        /// For a call: await it after all entries were issued, instead of never.
        var awaitAtTheEnd: Bool
    }

    static var restateDescriptor: ServiceDescriptor<ProxyService> {
        ServiceDescriptor(
            name: "Proxy",
            kind: .service,
            handlers: [
                .handler("call") { (_: ProxyService, ctx: Context, request: ProxyRequest) in
                    let response = try await ctx.call(
                        request.target,
                        rawInput: request.message.data,
                        options: request.options
                    ).value
                    return JSONBytes(response)
                },
                .handler("oneWayCall") { (_: ProxyService, ctx: Context, request: ProxyRequest) in
                    try await ctx.send(
                        request.target,
                        rawInput: request.message.data,
                        delay: request.delay,
                        options: request.options
                    ).id.value
                },
                // Issued in order; Restate must enqueue sends and calls to one object in that
                // order (CallOrdering).
                .handler("manyCalls") { (_: ProxyService, ctx: Context, requests: [ManyCallRequest]) in
                    var awaitAtTheEnd: [CallFuture<Data>] = []
                    for request in requests {
                        let proxy = request.proxyRequest
                        if request.oneWayCall {
                            try ctx.send(
                                proxy.target,
                                rawInput: proxy.message.data,
                                delay: proxy.delay,
                                options: proxy.options
                            )
                        } else {
                            let call = try ctx.call(proxy.target, rawInput: proxy.message.data, options: proxy.options)
                            if request.awaitAtTheEnd { awaitAtTheEnd.append(call) }
                        }
                    }
                    _ = try await DurableFuture.all(awaitAtTheEnd.map(\.response))
                },
            ]
        )
    }
}

/// Bytes in JSON as an array of numbers, the way kotlinx.serialization writes a `ByteArray`.
///
/// Kotlin bytes are signed, so values are written in `-128...127`, which the suite's Kotlin client
/// can decode back into a `ByteArray`; both signed and unsigned (`0...255`, what the TypeScript and
/// Python services write) are accepted when reading.
struct JSONBytes: Codable, Sendable, Hashable {
    var data: Data

    init(_ data: Data) {
        self.data = data
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let numbers = try container.decode([Int].self)
        if let bad = numbers.first(where: { !(-128...255).contains($0) }) {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(bad) is not a byte")
        }
        data = Data(numbers.map { UInt8(truncatingIfNeeded: $0) })
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(data.map { Int(Int8(bitPattern: $0)) })
    }
}
