import Foundation
import Testing

@testable import RestateCore

/// A manifest that sets every field, so each version's omissions show.
func fullManifest() -> EndpointManifest {
    let retry = RetryPolicyManifest(
        initialInterval: .milliseconds(100),
        maxInterval: .seconds(10),
        maxAttempts: 5,
        exponentiationFactor: 2.5,
        onMaxAttempts: .pause
    )
    return EndpointManifest(
        protocolMode: .requestResponse,
        lambdaCompression: .zstd,
        services: [
            ServiceManifest(
                name: "Counter",
                kind: .virtualObject,
                handlers: [
                    HandlerManifest(
                        name: "add",
                        kind: .exclusive,
                        input: .init(required: true, contentType: "application/json", jsonSchema: ["type": "integer"]),
                        output: .init(contentType: "application/json", setContentTypeIfEmpty: false),
                        documentation: "Adds.",
                        metadata: ["team": "core"],
                        inactivityTimeout: .seconds(60),
                        abortTimeout: .seconds(120),
                        journalRetention: .seconds(3600),
                        idempotencyRetention: .seconds(86_400),
                        enableLazyState: true,
                        ingressPrivate: true,
                        retryPolicy: retry
                    )
                ],
                documentation: "Counts.",
                metadata: ["owner": "me", "area": "demo"],
                inactivityTimeout: .seconds(30),
                abortTimeout: .seconds(90),
                journalRetention: .seconds(7200),
                idempotencyRetention: .seconds(600),
                enableLazyState: false,
                ingressPrivate: false,
                retryPolicy: retry
            ),
            ServiceManifest(
                name: "Signup",
                kind: .workflow,
                handlers: [
                    HandlerManifest(name: "run", kind: .workflow, workflowCompletionRetention: .seconds(86_400)),
                    HandlerManifest(name: "status", kind: .shared),
                ]
            ),
        ]
    )
}

/// A manifest with only v1 features (plus documentation, which v1 drops).
func plainManifest() -> EndpointManifest {
    EndpointManifest(
        protocolMode: .bidiStream,
        minProtocolVersion: 5,
        maxProtocolVersion: 6,
        services: [
            ServiceManifest(
                name: "Greeter",
                kind: .service,
                handlers: [
                    HandlerManifest(
                        name: "greet",
                        input: .init(required: true, contentType: "application/json"),
                        output: .init(contentType: "application/json", setContentTypeIfEmpty: false)
                    )
                ]
            ),
            ServiceManifest(
                name: "Signup",
                kind: .workflow,
                handlers: [
                    HandlerManifest(name: "run", kind: .workflow),
                    HandlerManifest(name: "status", kind: .shared, documentation: "Reports."),
                ],
                documentation: "Signs up.",
                metadata: ["k": "v"]
            ),
        ]
    )
}

/// Decodes manifest JSON into Foundation objects to look at keys.
func jsonObject(_ data: Data) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

extension [String: Any] {
    func objects(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
    var keySet: Set<String> { Set(keys) }
}
