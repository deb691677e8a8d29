import Foundation
import Testing

@testable import RestateCore

@Suite("EndpointManifest JSON")
struct EndpointManifestJSONTests {
    static let v1Fields: Set<String> = ["name", "ty", "handlers"]
    static let v3ServiceFields: Set<String> = [
        "inactivityTimeout", "abortTimeout", "journalRetention", "idempotencyRetention", "enableLazyState",
        "ingressPrivate",
    ]
    static let v4RetryFields: Set<String> = [
        "retryPolicyInitialInterval", "retryPolicyMaxInterval", "retryPolicyMaxAttempts",
        "retryPolicyExponentiationFactor", "retryPolicyOnMaxAttempts",
    ]

    @Test("the protocol reference's v4 example, byte for byte")
    func example() throws {
        var manifest = plainManifest()
        manifest.services[1] = ServiceManifest(
            name: "Signup",
            kind: .workflow,
            handlers: [
                HandlerManifest(name: "run", kind: .workflow, workflowCompletionRetention: .seconds(86_400)),
                HandlerManifest(name: "status", kind: .shared),
            ]
        )
        let json = String(decoding: try manifest.jsonData(version: .v4), as: UTF8.self)
        #expect(
            json
                == #"{"protocolMode":"BIDI_STREAM","minProtocolVersion":5,"maxProtocolVersion":6,"services":[{"name":"Greeter","ty":"SERVICE","handlers":[{"name":"greet","input":{"required":true,"contentType":"application/json"},"output":{"contentType":"application/json","setContentTypeIfEmpty":false}}]},{"name":"Signup","ty":"WORKFLOW","handlers":[{"name":"run","ty":"WORKFLOW","workflowCompletionRetention":86400000},{"name":"status","ty":"SHARED"}]}]}"#
        )
    }

    @Test("v1 has no documentation or metadata; v2 has them")
    func descriptiveFields() throws {
        let manifest = plainManifest()
        let v1 = try jsonObject(try manifest.jsonData(version: .v1))
        let v1Signup = v1.objects("services")[1]
        #expect(v1Signup.keySet == Self.v1Fields)
        #expect(v1Signup.objects("handlers")[1].keySet == ["name", "ty"])

        let v2 = try jsonObject(try manifest.jsonData(version: .v2))
        let v2Signup = v2.objects("services")[1]
        #expect(v2Signup.keySet == Self.v1Fields.union(["documentation", "metadata"]))
        #expect(v2Signup["documentation"] as? String == "Signs up.")
        #expect(v2Signup["metadata"] as? [String: String] == ["k": "v"])
        #expect(v2Signup.objects("handlers")[1]["documentation"] as? String == "Reports.")
        #expect(v2.keySet == ["protocolMode", "minProtocolVersion", "maxProtocolVersion", "services"])
    }

    @Test("v3 adds the options but no retry policy or Lambda compression; v4 adds both")
    func optionsPerVersion() throws {
        var manifest = fullManifest()
        for index in manifest.services.indices {
            manifest.services[index].retryPolicy = nil
            for handler in manifest.services[index].handlers.indices {
                manifest.services[index].handlers[handler].retryPolicy = nil
            }
        }
        let v3 = try jsonObject(try manifest.jsonData(version: .v3))
        #expect(v3["lambdaCompression"] == nil)
        let counter = v3.objects("services")[0]
        #expect(counter.keySet == Self.v1Fields.union(["documentation", "metadata"]).union(Self.v3ServiceFields))
        #expect(counter["inactivityTimeout"] as? Int == 30_000)
        #expect(counter["ingressPrivate"] as? Bool == false)
        let add = counter.objects("handlers")[0]
        #expect(add["journalRetention"] as? Int == 3_600_000)
        #expect(add["workflowCompletionRetention"] == nil)
        let run = v3.objects("services")[1].objects("handlers")[0]
        #expect(run["workflowCompletionRetention"] as? Int == 86_400_000)

        let v4 = try jsonObject(try fullManifest().jsonData(version: .v4))
        #expect(v4["lambdaCompression"] as? String == "zstd")
        let v4Counter = v4.objects("services")[0]
        #expect(v4Counter.keySet.isSuperset(of: Self.v4RetryFields))
        #expect(v4Counter["retryPolicyInitialInterval"] as? Int == 100)
        #expect(v4Counter["retryPolicyMaxInterval"] as? Int == 10_000)
        #expect(v4Counter["retryPolicyMaxAttempts"] as? Int == 5)
        #expect(v4Counter["retryPolicyExponentiationFactor"] as? Double == 2.5)
        #expect(v4Counter["retryPolicyOnMaxAttempts"] as? String == "PAUSE")
        #expect(v4Counter.objects("handlers")[0].keySet.isSuperset(of: Self.v4RetryFields))
    }

    @Test(
        "behavioural settings a version lacks are an error, naming the field and version",
        arguments: [
            (ManifestVersion.v3, "retryPolicy", ManifestVersion.v4),
            (.v2, "inactivityTimeout", .v3),
            (.v1, "inactivityTimeout", .v3),
        ]
    )
    func featureGating(version: ManifestVersion, field: String, needed: ManifestVersion) {
        #expect {
            try fullManifest().jsonData(version: version)
        } throws: { error in
            guard let error = error as? ManifestError else { return false }
            return error.code == .featureRequiresNewerVersion && error.service == "Counter"
                && error.description.contains(field) && error.description.contains("\(needed)")
        }
    }

    @Test(
        "each v3 handler option alone needs v3",
        arguments: [
            HandlerManifest(name: "h", inactivityTimeout: .seconds(1)),
            HandlerManifest(name: "h", abortTimeout: .seconds(1)),
            HandlerManifest(name: "h", journalRetention: .seconds(1)),
            HandlerManifest(name: "h", idempotencyRetention: .seconds(1)),
            HandlerManifest(name: "h", enableLazyState: false),
            HandlerManifest(name: "h", ingressPrivate: false),
            HandlerManifest(name: "h", kind: .workflow, workflowCompletionRetention: .zero),
        ]
    )
    func handlerOptionNeedsV3(handler: HandlerManifest) throws {
        let kind: ServiceManifest.ServiceKind = handler.kind == .workflow ? .workflow : .virtualObject
        let manifest = EndpointManifest(
            protocolMode: .bidiStream,
            services: [ServiceManifest(name: "S", kind: kind, handlers: [handler])]
        )
        #expect(throws: ManifestError.self) { try manifest.jsonData(version: .v2) }
        let handlerJSON = try jsonObject(try manifest.jsonData(version: .v3)).objects("services")[0].objects(
            "handlers"
        )[0]
        #expect(handlerJSON.count == (handler.kind == nil ? 2 : 3))
    }

    @Test("an empty retry policy needs no v4 and writes nothing")
    func emptyRetryPolicy() throws {
        let manifest = EndpointManifest(
            protocolMode: .bidiStream,
            services: [ServiceManifest(name: "S", kind: .service, handlers: [], retryPolicy: RetryPolicyManifest())]
        )
        let service = try jsonObject(try manifest.jsonData(version: .v2)).objects("services")[0]
        #expect(service.keySet == Self.v1Fields)
    }

    @Test("output is compact, deterministic, with sorted map keys and escaped strings")
    func deterministic() throws {
        let manifest = EndpointManifest(
            protocolMode: .bidiStream,
            services: [
                ServiceManifest(
                    name: "S",
                    kind: .service,
                    handlers: [
                        HandlerManifest(
                            name: "h",
                            input: .init(jsonSchema: ["z": 1, "a": [true, nil, 1.5, "x\"\\\n\u{01}é"], "m": 2.0])
                        )
                    ],
                    metadata: ["b": "2", "a": "1", "c": "3"]
                )
            ]
        )
        let first = try manifest.jsonData(version: .v2)
        #expect(first == (try manifest.jsonData(version: .v2)))
        let json = String(decoding: first, as: UTF8.self)
        #expect(json.contains(#""metadata":{"a":"1","b":"2","c":"3"}"#))
        #expect(json.contains(#""jsonSchema":{"a":[true,null,1.5,"x\"\\\n\u0001é"],"m":2,"z":1}"#))
        #expect(!json.contains(" "))
        // And it is valid JSON that round-trips the schema.
        let parsed = try JSONDecoder().decode(JSONValue.self, from: first)
        guard case .object(let top) = parsed, case .array(let services)? = top["services"],
            case .object(let service) = services[0], case .array(let handlers)? = service["handlers"],
            case .object(let handler) = handlers[0], case .object(let input)? = handler["input"]
        else {
            Issue.record("unexpected shape: \(parsed)")
            return
        }
        #expect(input["jsonSchema"] == ["z": 1, "a": [true, nil, 1.5, "x\"\\\n\u{01}é"], "m": 2])
    }

    @Test(
        "durations are whole milliseconds",
        arguments: [
            (Duration.zero, Int64(0)), (.milliseconds(1), 1), (.microseconds(1999), 1), (.seconds(86_400), 86_400_000),
            (.nanoseconds(999_999), 0),
        ]
    )
    func durations(duration: Duration, milliseconds: Int64) throws {
        #expect(duration.manifestMilliseconds == milliseconds)
        let manifest = EndpointManifest(
            protocolMode: .bidiStream,
            services: [ServiceManifest(name: "S", kind: .service, handlers: [], journalRetention: duration)]
        )
        let service = try jsonObject(try manifest.jsonData(version: .v3)).objects("services")[0]
        #expect((service["journalRetention"] as? NSNumber)?.int64Value == milliseconds)
    }

    @Test("the protocol range defaults to the SDK's")
    func defaultRange() throws {
        let json = try jsonObject(try EndpointManifest(protocolMode: .bidiStream, services: []).jsonData(version: .v4))
        #expect(json["minProtocolVersion"] as? Int == ProtocolVersion.minimum.rawValue)
        #expect(json["maxProtocolVersion"] as? Int == ProtocolVersion.maximum.rawValue)
        #expect(json["protocolMode"] as? String == "BIDI_STREAM")
    }
}
