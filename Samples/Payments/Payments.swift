import Foundation
import Restate

/// Takes payments through an external provider that answers later, by webhook.
///
/// `pay` creates an awakeable, gives its id to the provider as the payment's reference, and waits
/// durably (the invocation suspends; no process has to stay up) until the provider's webhook
/// resolves or rejects it. Keyed by order ID, so one order is paid at most once at a time.
@VirtualObject
actor Payments {
    /// `pending`, `paid`, `declined: <reason>` or `cancelled`.
    static let status = StateKey<String>("status")
    /// The awakeable id the provider got as the payment's reference.
    static let reference = StateKey<String>("reference")
    static let receipt = StateKey<PaymentReceipt>("receipt")

    /// Asks the provider for the payment and waits for its verdict; a declined payment fails with
    /// a terminal error (402). An order that is already paid returns its receipt again.
    func pay(_ ctx: ObjectContext, payment: PaymentRequest) async throws -> PaymentReceipt {
        if let receipt = try await ctx.get(Self.receipt) { return receipt }
        guard payment.amountCents > 0 else { throw TerminalError("amountCents must be positive", code: 400) }
        let order = ctx.key
        let (reference, verdict) = try ctx.awakeable(of: String.self)
        try ctx.set(Self.status, "pending")
        try ctx.set(Self.reference, reference)
        try await ctx.run("request payment") {
            try await PaymentProvider.requestPayment(
                order: order,
                amountCents: payment.amountCents,
                reference: reference
            )
        }
        do {
            let transaction = try await verdict.value
            let receipt = PaymentReceipt(order: order, amountCents: payment.amountCents, transaction: transaction)
            try ctx.set(Self.status, "paid")
            try ctx.set(Self.receipt, receipt)
            return receipt
        } catch let error as TerminalError {
            if error.isCancellation {
                try ctx.set(Self.status, "cancelled")
                throw error
            }
            try ctx.set(Self.status, "declined: \(error.message)")
            throw TerminalError("Payment declined: \(error.message)", code: 402)
        }
    }

    /// Where the order's payment stands: `pending`, `paid`, `declined: <reason>`, `cancelled`, or
    /// `none`.
    @Shared
    func status(_ ctx: SharedObjectContext) async throws -> String {
        try await ctx.get(Self.status) ?? "none"
    }
}

/// Receives the provider's notifications and wakes the waiting `pay` invocation.
@Service
struct PaymentWebhook {
    /// Resolves the payment's awakeable with the transaction id, or rejects it with the reason.
    func notify(_ ctx: Context, event: ProviderEvent) async throws {
        if event.succeeded {
            guard let transaction = event.transaction else {
                throw TerminalError("a successful payment needs a transaction id", code: 400)
            }
            try ctx.resolveAwakeable(event.reference, with: transaction)
        } else {
            try ctx.rejectAwakeable(event.reference, reason: event.reason ?? "declined by the provider")
        }
    }
}

/// What `pay` takes.
struct PaymentRequest: Codable, Sendable {
    var amountCents: Int
}

/// What `pay` returns for a successful payment.
struct PaymentReceipt: Codable, Sendable, Hashable {
    var order: String
    var amountCents: Int
    /// The provider's transaction id.
    var transaction: String
}

/// The provider's webhook payload.
struct ProviderEvent: Codable, Sendable {
    /// The reference the payment was requested with (the awakeable id).
    var reference: String
    var succeeded: Bool
    var transaction: String?
    var reason: String?
}

/// Stands in for a payment provider's API: prints how to play the provider's part with curl.
enum PaymentProvider {
    static func requestPayment(order: String, amountCents: Int, reference: String) async throws {
        let resolve = "curl -X POST localhost:8080/restate/awakeables/\(reference)/resolve --json '\"tx-\(order)\"'"
        // Written straight to the file handle: print() is buffered when stdout is not a terminal.
        FileHandle.standardOutput.write(
            Data("[Payments \(order)] requested \(amountCents) cents; to confirm: \(resolve)\n".utf8)
        )
    }
}

/// How `swift run Payments` serves this sample (see `main.swift`).
public enum PaymentsSample {
    /// An endpoint with the sample's services.
    public static func endpoint() -> Endpoint {
        Endpoint(Payments.self, PaymentWebhook.self)
    }
}
