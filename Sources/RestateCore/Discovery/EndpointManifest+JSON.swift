import Foundation

extension EndpointManifest {
    /// The manifest as the compact JSON body of a discovery response for `version`.
    ///
    /// Only fields that `version` defines are written, because the runtime rejects unknown fields.
    /// When the manifest uses something `version` lacks, the same choice as the Rust and TypeScript
    /// SDKs applies:
    /// - settings that change behaviour (v3 timeouts, retention, lazy state, `ingressPrivate`; v4
    ///   retry policy) throw ``ManifestError/Code/featureRequiresNewerVersion``: silently dropping
    ///   them would run the service with different semantics than its author asked for;
    /// - `lambdaCompression` below v4 is dropped (the runtime then just does not compress), and so
    ///   are `documentation` and `metadata` below v2 (they only describe).
    ///
    /// The output is deterministic: fields in schema order, map and JSON Schema keys sorted.
    ///
    /// - Throws: ``ManifestError`` if ``validate()`` fails or a feature needs a newer version.
    public func jsonData(version: ManifestVersion) throws(ManifestError) -> Data {
        try validate()
        for service in services {
            try service.checkFeatures(for: version)
        }
        var writer = JSONWriter()
        writer.object { endpoint in
            endpoint.member("protocolMode") { $0.string(protocolMode.rawValue) }
            endpoint.member("minProtocolVersion") { $0.integer(Int64(minProtocolVersion)) }
            endpoint.member("maxProtocolVersion") { $0.integer(Int64(maxProtocolVersion)) }
            if version >= .v4 {
                endpoint.member("lambdaCompression", ifPresent: lambdaCompression?.rawValue)
            }
            endpoint.member("services") { $0.array(services) { $0.service($1, version: version) } }
        }
        return Data(writer.bytes)
    }
}

extension ServiceManifest {
    fileprivate func checkFeatures(for version: ManifestVersion) throws(ManifestError) {
        try requireVersion(
            v3: [
                ("inactivityTimeout", inactivityTimeout != nil),
                ("abortTimeout", abortTimeout != nil),
                ("journalRetention", journalRetention != nil),
                ("idempotencyRetention", idempotencyRetention != nil),
                ("enableLazyState", enableLazyState != nil),
                ("ingressPrivate", ingressPrivate != nil),
            ],
            retryPolicy: retryPolicy,
            version: version,
            service: name,
            handler: nil
        )
        for handler in handlers {
            try requireVersion(
                v3: [
                    ("inactivityTimeout", handler.inactivityTimeout != nil),
                    ("abortTimeout", handler.abortTimeout != nil),
                    ("journalRetention", handler.journalRetention != nil),
                    ("idempotencyRetention", handler.idempotencyRetention != nil),
                    ("workflowCompletionRetention", handler.workflowCompletionRetention != nil),
                    ("enableLazyState", handler.enableLazyState != nil),
                    ("ingressPrivate", handler.ingressPrivate != nil),
                ],
                retryPolicy: handler.retryPolicy,
                version: version,
                service: name,
                handler: handler.name
            )
        }
    }
}

private func requireVersion(
    v3 fields: [(String, Bool)],
    retryPolicy: RetryPolicyManifest?,
    version: ManifestVersion,
    service: String,
    handler: String?
) throws(ManifestError) {
    var required: (field: String, version: ManifestVersion)?
    if version < .v3, let field = fields.first(where: \.1)?.0 {
        required = (field, .v3)
    } else if version < .v4, let retryPolicy, !retryPolicy.isEmpty {
        required = ("retryPolicy", .v4)
    }
    if let required {
        throw ManifestError(
            .featureRequiresNewerVersion,
            service: service,
            handler: handler,
            "\(required.field) needs endpoint manifest \(required.version) but the runtime asked for \(version); upgrade the Restate server or remove the setting"
        )
    }
}

extension JSONWriter {
    fileprivate mutating func service(_ service: ServiceManifest, version: ManifestVersion) {
        object { object in
            object.member("name") { $0.string(service.name) }
            object.member("ty") { $0.string(service.kind.rawValue) }
            object.descriptive(documentation: service.documentation, metadata: service.metadata, version: version)
            object.member("handlers") { $0.array(service.handlers) { $0.handler($1, version: version) } }
            // checkFeatures has already refused v3/v4 settings the version lacks.
            object.member("inactivityTimeout", ifPresent: service.inactivityTimeout?.manifestMilliseconds)
            object.member("abortTimeout", ifPresent: service.abortTimeout?.manifestMilliseconds)
            object.member("journalRetention", ifPresent: service.journalRetention?.manifestMilliseconds)
            object.member("idempotencyRetention", ifPresent: service.idempotencyRetention?.manifestMilliseconds)
            object.member("enableLazyState", ifPresent: service.enableLazyState)
            object.member("ingressPrivate", ifPresent: service.ingressPrivate)
            object.retryPolicy(service.retryPolicy)
        }
    }

    fileprivate mutating func handler(_ handler: HandlerManifest, version: ManifestVersion) {
        object { object in
            object.member("name") { $0.string(handler.name) }
            object.member("ty", ifPresent: handler.kind?.rawValue)
            object.descriptive(documentation: handler.documentation, metadata: handler.metadata, version: version)
            if let input = handler.input {
                object.member("input") { writer in
                    writer.object { object in
                        object.member("required", ifPresent: input.required)
                        object.member("contentType", ifPresent: input.contentType)
                        object.member("jsonSchema", ifPresent: input.jsonSchema)
                    }
                }
            }
            if let output = handler.output {
                object.member("output") { writer in
                    writer.object { object in
                        object.member("contentType", ifPresent: output.contentType)
                        object.member("setContentTypeIfEmpty", ifPresent: output.setContentTypeIfEmpty)
                        object.member("jsonSchema", ifPresent: output.jsonSchema)
                    }
                }
            }
            object.member("inactivityTimeout", ifPresent: handler.inactivityTimeout?.manifestMilliseconds)
            object.member("abortTimeout", ifPresent: handler.abortTimeout?.manifestMilliseconds)
            object.member("journalRetention", ifPresent: handler.journalRetention?.manifestMilliseconds)
            object.member("idempotencyRetention", ifPresent: handler.idempotencyRetention?.manifestMilliseconds)
            object.member(
                "workflowCompletionRetention",
                ifPresent: handler.workflowCompletionRetention?.manifestMilliseconds
            )
            object.member("enableLazyState", ifPresent: handler.enableLazyState)
            object.member("ingressPrivate", ifPresent: handler.ingressPrivate)
            object.retryPolicy(handler.retryPolicy)
        }
    }
}

extension JSONWriter.ObjectWriter {
    fileprivate mutating func descriptive(documentation: String?, metadata: [String: String], version: ManifestVersion)
    {
        guard version >= .v2 else { return }
        member("documentation", ifPresent: documentation)
        if !metadata.isEmpty {
            member("metadata") { writer in
                writer.object { object in
                    for key in metadata.keys.sorted() {
                        object.member(key) { $0.string(metadata[key]!) }
                    }
                }
            }
        }
    }

    fileprivate mutating func retryPolicy(_ policy: RetryPolicyManifest?) {
        guard let policy else { return }
        member("retryPolicyInitialInterval", ifPresent: policy.initialInterval?.manifestMilliseconds)
        member("retryPolicyMaxInterval", ifPresent: policy.maxInterval?.manifestMilliseconds)
        member("retryPolicyMaxAttempts", ifPresent: policy.maxAttempts.map(Int64.init))
        member("retryPolicyExponentiationFactor", ifPresent: policy.exponentiationFactor)
        member("retryPolicyOnMaxAttempts", ifPresent: policy.onMaxAttempts?.rawValue)
    }
}
