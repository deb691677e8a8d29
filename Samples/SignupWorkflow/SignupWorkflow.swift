import Foundation
import Restate

/// Signs a user up: emails them a secret link and waits, durably, until they click it.
///
/// `run` executes exactly once per workflow ID. `click` and `getStatus` are shared handlers that
/// can be called any number of times while (and after) `run` executes.
@Workflow
actor SignupWorkflow {
    static let status = StateKey<String>("status")

    let emailSender: any EmailSending

    /// Prints the emails instead of sending them (``ConsoleEmailSender``).
    init() {
        self.init(emailSender: ConsoleEmailSender())
    }

    /// Sends the emails with `emailSender`, e.g. a recording one in tests.
    init(emailSender: any EmailSending) {
        self.emailSender = emailSender
    }

    /// Sends the confirmation email and waits for the click; returns whether the link was right.
    func run(_ ctx: WorkflowContext, email: String) async throws -> Bool {
        let secret = ctx.random.uuid().uuidString
        let workflowID = ctx.key
        let sender = emailSender
        try await ctx.run("send email") {
            try await sender.sendConfirmation(to: email, workflowID: workflowID, secret: secret)
        }
        try ctx.set(Self.status, "Email sent")
        let clicked: String = try await ctx.promise("email.clicked").value
        try ctx.set(Self.status, "Email clicked")
        return clicked == secret
    }

    /// Called when the user clicks the link in the email.
    @Shared
    func click(_ ctx: SharedWorkflowContext, secret: String) async throws {
        try await ctx.promise("email.clicked", of: String.self).resolve(secret)
    }

    /// Where the sign-up stands.
    @Shared
    func getStatus(_ ctx: SharedWorkflowContext) async throws -> String {
        try await ctx.get(Self.status) ?? "unknown"
    }
}

/// Sends the confirmation email.
protocol EmailSending: Sendable {
    func sendConfirmation(to email: String, workflowID: String, secret: String) async throws
}

/// Stands in for a real email service: prints the link it would send.
struct ConsoleEmailSender: EmailSending {
    /// Restate's ingress, where the printed click command goes: `RESTATE_INGRESS_URL` when set
    /// (`--dev` sets it to its ingress, whose port is configurable), else Restate's default.
    var ingress = ProcessInfo.processInfo.environment["RESTATE_INGRESS_URL"] ?? "localhost:8080"

    /// The `curl` command that clicks the link.
    func clickCommand(workflowID: String, secret: String) -> String {
        "curl -X POST \(ingress)/SignupWorkflow/\(workflowID)/click --json '\"\(secret)\"'"
    }

    func sendConfirmation(to email: String, workflowID: String, secret: String) async throws {
        let command = clickCommand(workflowID: workflowID, secret: secret)
        // Written straight to the file handle: print() is buffered when stdout is not a terminal.
        FileHandle.standardOutput.write(
            Data("[SignupWorkflow \(workflowID)] email to \(email) with secret \(secret); to click: \(command)\n".utf8)
        )
    }
}

/// How `swift run SignupWorkflow` serves this sample (see `main.swift`).
public enum SignupWorkflowSample {
    /// An endpoint with the sample's services.
    public static func endpoint() -> Endpoint {
        Endpoint(SignupWorkflow.self)
    }
}
