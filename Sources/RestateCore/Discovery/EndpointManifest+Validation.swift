extension EndpointManifest {
    /// Checks the rules the runtime applies when it registers the endpoint, so that a mistake shows
    /// at startup with a clear message instead of as a failed registration.
    ///
    /// - Service and handler names match the schema's patterns; service names are unique, handler
    ///   names are unique per service, and no service name starts with `restate` or is `openapi`
    ///   (any case).
    /// - Handler kinds fit the service kind: SERVICE allows SHARED; VIRTUAL_OBJECT allows EXCLUSIVE
    ///   and SHARED; WORKFLOW allows SHARED and WORKFLOW (unset is always allowed).
    /// - A workflow has exactly one WORKFLOW handler. The runtime itself would accept none, but a
    ///   workflow without a run handler cannot be started, so the SDK refuses it.
    /// - `workflowCompletionRetention` only on the WORKFLOW handler; `idempotencyRetention` never on
    ///   it; no `ingressPrivate: false` handler in a private service.
    /// - Durations are non-negative and fit in 64-bit milliseconds; `retryPolicy.maxAttempts` is not
    ///   negative; `retryPolicy.exponentiationFactor` is finite and positive; JSON Schemas hold only
    ///   finite numbers; the protocol range lies in 1…2³¹−1 with min ≤ max.
    ///
    /// - Throws: ``ManifestError`` for the first broken rule.
    public func validate() throws(ManifestError) {
        let range = 1...Int(Int32.max)
        guard range.contains(minProtocolVersion), range.contains(maxProtocolVersion),
            minProtocolVersion <= maxProtocolVersion
        else {
            throw ManifestError(
                .invalidProtocolVersionRange,
                "protocol versions \(minProtocolVersion)...\(maxProtocolVersion) must satisfy 1 ≤ min ≤ max ≤ \(Int32.max)"
            )
        }
        var seen: Set<String> = []
        for service in services {
            try service.validate()
            guard seen.insert(service.name).inserted else {
                throw ManifestError(
                    .duplicateServiceName,
                    service: service.name,
                    "more than one service has this name"
                )
            }
        }
    }
}

extension ServiceManifest {
    func validate() throws(ManifestError) {
        guard Self.isValidName(name) else {
            throw ManifestError(
                .invalidServiceName,
                service: name,
                "a service name starts with a letter, or '_' and a letter or digit, followed by letters, digits, '.', '_' or '-'"
            )
        }
        let lowercased = name.lowercased()
        if lowercased.hasPrefix("restate") || lowercased == "openapi" {
            throw ManifestError(
                .reservedServiceName,
                service: name,
                "the runtime reserves service names starting with 'restate' and the name 'openapi' (in any case)"
            )
        }
        try validateOptions(
            inactivityTimeout: inactivityTimeout,
            abortTimeout: abortTimeout,
            journalRetention: journalRetention,
            idempotencyRetention: idempotencyRetention,
            workflowCompletionRetention: nil,
            retryPolicy: retryPolicy,
            service: name,
            handler: nil
        )

        var handlerNames: Set<String> = []
        var workflowHandlers = 0
        for handler in handlers {
            try handler.validate(in: self)
            guard handlerNames.insert(handler.name).inserted else {
                throw ManifestError(
                    .duplicateHandlerName,
                    service: name,
                    handler: handler.name,
                    "more than one handler of the service has this name"
                )
            }
            if handler.kind == .workflow { workflowHandlers += 1 }
        }
        if kind == .workflow, workflowHandlers != 1 {
            throw ManifestError(
                .workflowHandlerCount,
                service: name,
                "a workflow needs exactly one handler of kind WORKFLOW (its run handler), found \(workflowHandlers)"
            )
        }
    }

    /// `^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$`
    static func isValidName(_ name: String) -> Bool {
        isValidIdentifier(name, extraCharacters: [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-")])
    }
}

extension HandlerManifest {
    func validate(in service: ServiceManifest) throws(ManifestError) {
        guard Self.isValidName(name) else {
            throw ManifestError(
                .invalidHandlerName,
                service: service.name,
                handler: name,
                "a handler name starts with a letter, or '_' and a letter or digit, followed by letters, digits or '_'"
            )
        }
        if let kind, !Self.allowedKinds(in: service.kind).contains(kind) {
            let allowed = Self.allowedKinds(in: service.kind).map(\.rawValue).joined(separator: " or ")
            throw ManifestError(
                .handlerKindNotAllowed,
                service: service.name,
                handler: name,
                "a handler of a \(service.kind.rawValue) cannot be \(kind.rawValue); use \(allowed) or leave the kind unset"
            )
        }
        if workflowCompletionRetention != nil, kind != .workflow {
            throw ManifestError(
                .misplacedRetention,
                service: service.name,
                handler: name,
                "workflowCompletionRetention is only allowed on the WORKFLOW handler"
            )
        }
        if idempotencyRetention != nil, kind == .workflow {
            throw ManifestError(
                .misplacedRetention,
                service: service.name,
                handler: name,
                "idempotencyRetention is not allowed on the WORKFLOW handler; use workflowCompletionRetention"
            )
        }
        if service.ingressPrivate == true, ingressPrivate == false {
            throw ManifestError(
                .publicHandlerOnPrivateService,
                service: service.name,
                handler: name,
                "the service is private, so a handler cannot be made public; make the service public and set ingressPrivate on the handlers to hide"
            )
        }
        try validateOptions(
            inactivityTimeout: inactivityTimeout,
            abortTimeout: abortTimeout,
            journalRetention: journalRetention,
            idempotencyRetention: idempotencyRetention,
            workflowCompletionRetention: workflowCompletionRetention,
            retryPolicy: retryPolicy,
            service: service.name,
            handler: name
        )
        for (position, schema) in [("input", input?.jsonSchema), ("output", output?.jsonSchema)] {
            if let schema, !schema.isRepresentable {
                throw ManifestError(
                    .invalidOption,
                    service: service.name,
                    handler: name,
                    "the \(position) JSON Schema holds NaN or an infinity, which JSON cannot express"
                )
            }
        }
    }

    /// `^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9_]*$`
    static func isValidName(_ name: String) -> Bool {
        isValidIdentifier(name, extraCharacters: [UInt8(ascii: "_")])
    }

    /// The explicit kinds the runtime accepts per service kind (`Handler::from_schema`).
    static func allowedKinds(in serviceKind: ServiceManifest.ServiceKind) -> [HandlerKind] {
        switch serviceKind {
        case .service: [.shared]
        case .virtualObject: [.exclusive, .shared]
        case .workflow: [.shared, .workflow]
        }
    }
}

/// `([a-zA-Z]|_[a-zA-Z0-9])` followed by letters, digits and `extraCharacters`, all ASCII.
private func isValidIdentifier(_ name: String, extraCharacters: Set<UInt8>) -> Bool {
    func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    let bytes = Array(name.utf8)
    guard let first = bytes.first else { return false }
    var rest = bytes.dropFirst()
    if first == UInt8(ascii: "_") {
        guard let second = rest.first, isLetter(second) || isDigit(second) else { return false }
        rest = rest.dropFirst()
    } else if !isLetter(first) {
        return false
    }
    return rest.allSatisfy { isLetter($0) || isDigit($0) || extraCharacters.contains($0) }
}

private func validateOptions(
    inactivityTimeout: Duration?,
    abortTimeout: Duration?,
    journalRetention: Duration?,
    idempotencyRetention: Duration?,
    workflowCompletionRetention: Duration?,
    retryPolicy: RetryPolicyManifest?,
    service: String,
    handler: String?
) throws(ManifestError) {
    let durations: [(String, Duration?)] = [
        ("inactivityTimeout", inactivityTimeout),
        ("abortTimeout", abortTimeout),
        ("journalRetention", journalRetention),
        ("idempotencyRetention", idempotencyRetention),
        ("workflowCompletionRetention", workflowCompletionRetention),
        ("retryPolicy.initialInterval", retryPolicy?.initialInterval),
        ("retryPolicy.maxInterval", retryPolicy?.maxInterval),
    ]
    for case (let field, let duration?) in durations where duration.manifestMilliseconds == nil {
        throw ManifestError(
            .invalidOption,
            service: service,
            handler: handler,
            "\(field) must be a non-negative duration of at most \(Int64.max) milliseconds, got \(duration)"
        )
    }
    if let attempts = retryPolicy?.maxAttempts, attempts < 0 {
        throw ManifestError(
            .invalidOption,
            service: service,
            handler: handler,
            "retryPolicy.maxAttempts must not be negative, got \(attempts)"
        )
    }
    if let factor = retryPolicy?.exponentiationFactor, !(factor.isFinite && factor > 0) {
        throw ManifestError(
            .invalidOption,
            service: service,
            handler: handler,
            "retryPolicy.exponentiationFactor must be a finite positive number, got \(factor)"
        )
    }
}

extension Duration {
    /// The duration in whole milliseconds (sub-millisecond parts dropped), or `nil` if it is
    /// negative or does not fit in `Int64` milliseconds.
    var manifestMilliseconds: Int64? {
        guard self >= .zero else { return nil }
        let (seconds, attoseconds) = components
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return nil }
        let (total, overflowAdding) = milliseconds.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflowAdding ? nil : total
    }
}
