import Foundation
import Restate
import RestateTesting
import Testing

@testable import SignupWorkflowKit

/// Keeps the emails instead of printing them, so that tests can read the secret.
final class Outbox: EmailSending {
    struct Email: Sendable, Hashable {
        var to: String
        var workflowID: String
        var secret: String
    }

    let sent = Recorder<Email>()

    func sendConfirmation(to email: String, workflowID: String, secret: String) async throws {
        sent.record(Email(to: email, workflowID: workflowID, secret: secret))
    }

    func emails(for workflowID: String) -> [Email] {
        sent.all.filter { $0.workflowID == workflowID }
    }
}

@Suite("Sample: SignupWorkflow")
struct SignupWorkflowTests {
    func endpoint(_ outbox: Outbox) -> Endpoint {
        makeEndpoint { $0.bind(SignupWorkflow.self) { SignupWorkflow(emailSender: outbox) } }
    }

    @Test(
        "run sends the email once, waits for the click, and returns true for the right secret",
        arguments: Mode.allCases
    )
    func happyPath(mode: Mode) async throws {
        let outbox = Outbox()
        // A manual clock: nothing here sleeps, and the retention timer must not fire on its own.
        try await withRuntime(endpoint(outbox), mode.configuration(autoAdvance: false)) { runtime async throws in
            let id = uniqueKey("signup")
            let signup = runtime.workflow("SignupWorkflow", id: id)
            let first = try await signup.submit(input: "ada@example.com")
            #expect(!first.previouslyAccepted)
            await runtime.settle()

            #expect(try await runtime.call("SignupWorkflow", key: id, "getStatus", as: String.self) == "Email sent")
            await #expect(throws: TestRuntimeError(status: 470, "not ready")) {
                let _: Bool = try await signup.output()
            }
            let email = try #require(outbox.emails(for: id).first)
            #expect(email.to == "ada@example.com")

            // The same workflow ID again: attached to the first run, which does not run twice.
            let second = try await signup.submit(input: "ada@example.com")
            #expect(second.previouslyAccepted)
            #expect(second.invocationID == first.invocationID)
            await runtime.settle()

            try await runtime.call("SignupWorkflow", key: id, "click", input: email.secret)
            #expect(try await signup.attach(as: Bool.self) == true)
            #expect(try await runtime.call("SignupWorkflow", key: id, "getStatus", as: String.self) == "Email clicked")
            let emails = outbox.emails(for: id)
            if mode.runsBodiesOnce {
                #expect(emails.count == 1)
            } else {
                // Sent again when the result was lost, but always with the same (durable) secret.
                #expect(Set(emails) == [email])
            }
        }
    }

    @Test("a click with the wrong secret makes run return false")
    func wrongSecret() async throws {
        let outbox = Outbox()
        try await withRuntime(endpoint(outbox), Mode.inProcess.configuration(autoAdvance: false)) {
            runtime async throws in
            let id = uniqueKey("signup")
            let signup = runtime.workflow("SignupWorkflow", id: id)
            try await signup.submit(input: "bob@example.com")
            await runtime.settle()
            let email = try #require(outbox.emails(for: id).first)
            try await runtime.call("SignupWorkflow", key: id, "click", input: email.secret + "-forged")
            #expect(try await signup.attach(as: Bool.self) == false)
        }
    }

    @Test("the finished workflow is kept for 24 hours (the default retention), then purged")
    func retention() async throws {
        let outbox = Outbox()
        try await withRuntime(endpoint(outbox), Mode.inProcess.configuration(autoAdvance: false)) {
            runtime async throws in
            let id = uniqueKey("signup")
            let signup = runtime.workflow("SignupWorkflow", id: id)
            try await signup.submit(input: "cy@example.com")
            await runtime.settle()
            let secret = try #require(outbox.emails(for: id).first?.secret)
            try await runtime.call("SignupWorkflow", key: id, "click", input: secret)
            #expect(try await signup.attach(as: Bool.self) == true)

            try await runtime.advance(by: .seconds(24 * 3600 - 1))
            #expect(try await signup.output(as: Bool.self) == true)
            #expect(try await runtime.call("SignupWorkflow", key: id, "getStatus", as: String.self) == "Email clicked")

            try await runtime.advance(by: .seconds(2))
            let error = await #expect(throws: TestRuntimeError.self) {
                let _: Bool = try await signup.output()
            }
            #expect(error?.status == 404)
            #expect(await runtime.state(of: "SignupWorkflow", key: id).keys() == [])
            // The ID is free again: a new run sends a new email.
            #expect(!(try await signup.submit(input: "cy@example.com")).previouslyAccepted)
            await runtime.settle()
            #expect(outbox.emails(for: id).count == 2)
        }
    }

    @Test("the sample's endpoint (console sender) serves the workflow")
    func defaultEndpoint() async throws {
        try await withRuntime(makeEndpoint { $0.bind(SignupWorkflow.self) }) { runtime async throws in
            let id = uniqueKey("signup")
            try await runtime.workflow("SignupWorkflow", id: id).submit(input: "dee@example.com")
            await runtime.settle()
            #expect(try await runtime.call("SignupWorkflow", key: id, "getStatus", as: String.self) == "Email sent")
        }
    }

    @Test("the printed click command goes to the configured ingress, else to Restate's default 8080")
    func clickCommand() {
        #expect(
            ConsoleEmailSender(ingress: "http://localhost:18080").clickCommand(workflowID: "someone", secret: "s3")
                == "curl -X POST http://localhost:18080/SignupWorkflow/someone/click --json '\"s3\"'"
        )
        if ProcessInfo.processInfo.environment["RESTATE_INGRESS_URL"] == nil {
            #expect(ConsoleEmailSender().ingress == "localhost:8080")
        }
    }
}
