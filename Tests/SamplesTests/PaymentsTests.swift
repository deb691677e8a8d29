import Foundation
import NIOCore
import Restate
import Testing

@testable import PaymentsKit
@testable import RestateTesting

@Suite("Sample: Payments")
struct PaymentsTests {
    let endpoint = makeEndpoint {
        $0.bind(Payments.self)
        $0.bind(PaymentWebhook.self)
    }

    /// Starts `pay` for a new order and returns the order and the awakeable id the provider got.
    func startPayment(_ runtime: TestRuntime, amountCents: Int) async throws -> (
        order: String, receipt: SendReceipt, reference: String
    ) {
        let order = uniqueKey("order")
        let receipt = try await runtime.send(
            "Payments",
            key: order,
            "pay",
            input: PaymentRequest(amountCents: amountCents)
        )
        await runtime.settle()
        #expect(try await runtime.call("Payments", key: order, "status", as: String.self) == "pending")
        let reference = try #require(
            try await runtime.state(of: "Payments", key: order).get("reference", as: String.self)
        )
        return (order, receipt, reference)
    }

    @Test("the webhook confirms the payment: pay returns the receipt", arguments: Mode.allCases)
    func paid(mode: Mode) async throws {
        try await withRuntime(endpoint, mode.configuration()) { runtime async throws in
            let (order, receipt, reference) = try await startPayment(runtime, amountCents: 1250)
            #expect(await runtime.status(invocationID: receipt.invocationID) == "suspended")

            try await runtime.call(
                "PaymentWebhook",
                "notify",
                input: ProviderEvent(reference: reference, succeeded: true, transaction: "tx-42")
            )
            let paid = try await runtime.attach(invocationID: receipt.invocationID).decoded(as: PaymentReceipt.self)
            #expect(paid == PaymentReceipt(order: order, amountCents: 1250, transaction: "tx-42"))
            #expect(try await runtime.call("Payments", key: order, "status", as: String.self) == "paid")

            // Paying the order again returns the same receipt without asking the provider.
            let again = try await runtime.call(
                "Payments",
                key: order,
                "pay",
                input: PaymentRequest(amountCents: 1250),
                as: PaymentReceipt.self
            )
            #expect(again == paid)
        }
    }

    @Test("the webhook reports a decline: pay fails with 402 and records why", arguments: Mode.allCases)
    func declined(mode: Mode) async throws {
        try await withRuntime(endpoint, mode.configuration()) { runtime async throws in
            let (order, receipt, reference) = try await startPayment(runtime, amountCents: 999)
            try await runtime.call(
                "PaymentWebhook",
                "notify",
                input: ProviderEvent(reference: reference, succeeded: false, reason: "card declined")
            )
            #expect(
                try await runtime.attach(invocationID: receipt.invocationID)
                    == .failure(code: 402, message: "Payment declined: card declined")
            )
            #expect(
                try await runtime.call("Payments", key: order, "status", as: String.self) == "declined: card declined"
            )
        }
    }

    @Test("a payment cancelled while it waits records the cancellation")
    func cancelled() async throws {
        try await withRuntime(endpoint) { runtime async throws in
            let (order, receipt, _) = try await startPayment(runtime, amountCents: 300)
            try await runtime.cancel(invocationID: receipt.invocationID)
            #expect(
                try await runtime.attach(invocationID: receipt.invocationID)
                    == .failure(code: 409, message: "cancelled")
            )
            #expect(try await runtime.call("Payments", key: order, "status", as: String.self) == "cancelled")
        }
    }

    @Test("invalid amounts and webhook events are refused")
    func invalid() async throws {
        try await withRuntime(endpoint) { runtime async throws in
            let error = await #expect(throws: TerminalError.self) {
                _ = try await runtime.call(
                    "Payments",
                    key: "o",
                    "pay",
                    input: PaymentRequest(amountCents: 0),
                    as: PaymentReceipt.self
                )
            }
            #expect(error?.code == 400)
            let (_, receipt, reference) = try await startPayment(runtime, amountCents: 5)
            let webhookError = await #expect(throws: TerminalError.self) {
                try await runtime.call(
                    "PaymentWebhook",
                    "notify",
                    input: ProviderEvent(reference: reference, succeeded: true)
                )
            }
            #expect(webhookError?.code == 400)
            #expect(await runtime.status(invocationID: receipt.invocationID) == "suspended")
        }
    }

    @Test("the provider's curl line works: resolve and reject through the ingress over HTTP/2")
    func ingress() async throws {
        var configuration = Mode.http2.configuration()
        configuration.ingressPort = 0
        try await withRuntime(endpoint, configuration) { runtime async throws in
            let client = try await HTTP2Client.connect(host: "127.0.0.1", port: try #require(runtime.ingressPort))
            defer { Task { await client.close() } }

            let pay = try await Self.post(client, "/Payments/ingress-order/pay/send", body: #"{"amountCents": 700}"#)
            #expect(pay.status == 202)
            await runtime.settle()
            let reference = try #require(
                try await runtime.state(of: "Payments", key: "ingress-order").get("reference", as: String.self)
            )
            let resolve = try await Self.post(
                client,
                "/restate/awakeables/\(reference)/resolve",
                body: #""tx-ingress""#
            )
            #expect(resolve.status == 202)
            let output = try await Self.post(client, "/Payments/ingress-order/pay", body: #"{"amountCents": 700}"#)
            #expect(output.status == 200)
            let paid = try JSONDecoder().decode(PaymentReceipt.self, from: output.body)
            #expect(paid == PaymentReceipt(order: "ingress-order", amountCents: 700, transaction: "tx-ingress"))

            let declined = try await Self.post(
                client,
                "/Payments/ingress-declined/pay/send",
                body: #"{"amountCents": 5}"#
            )
            #expect(declined.status == 202)
            await runtime.settle()
            let other = try #require(
                try await runtime.state(of: "Payments", key: "ingress-declined").get("reference", as: String.self)
            )
            #expect(try await Self.post(client, "/restate/awakeables/\(other)/reject", body: "no funds").status == 202)
            await runtime.settle()
            let status = try await Self.post(client, "/Payments/ingress-declined/status", body: "")
            #expect(String(decoding: status.body, as: UTF8.self) == #""declined: no funds""#)
        }
    }

    static func post(_ client: HTTP2Client, _ path: String, body: String) async throws -> (status: Int, body: Data) {
        let stream = AsyncStream<ByteBuffer> {
            if !body.isEmpty { $0.yield(ByteBuffer(string: body)) }
            $0.finish()
        }
        let response = try await client.request(
            method: "POST",
            path: path,
            headers: [("content-type", "application/json")],
            body: stream,
            onChunk: nil
        )
        return (response.status, response.body)
    }
}
