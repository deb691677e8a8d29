import Foundation
import Restate

/// What the runtime learnt from the endpoint's discovery manifest (v4).
///
/// Read from the JSON the endpoint serves at `GET /discover`, as Restate does at registration,
/// rather than from the Swift definitions: the test then also covers discovery.
struct Registry: Sendable {
    struct RetrySettings: Sendable, Hashable {
        var initialInterval: Duration?
        var maxInterval: Duration?
        var maxAttempts: Int?
        var factor: Double?
        var onMaxAttempts: String?

        var isEmpty: Bool {
            initialInterval == nil && maxInterval == nil && maxAttempts == nil && factor == nil
                && onMaxAttempts == nil
        }
    }

    struct Handler: Sendable {
        var name: String
        /// The kind as the manifest declared it (`nil` when it left the default).
        /// Resolved: services have none; object handlers default to exclusive, workflow
        /// handlers to shared.
        var kind: HandlerKind?
        var lazyState: Bool?
        var ingressPrivate: Bool?
        var workflowRetention: Duration?
        var idempotencyRetention: Duration?
        var retry: RetrySettings
        var outputContentType: String?
        var inactivityTimeout: Duration?
        var abortTimeout: Duration?
        var journalRetention: Duration?
        var documentation: String?
        var metadata: [String: String]
        /// The manifest's `input` and `output` objects (content type, schema) as JSON, for the
        /// admin API.
        var input: Data?
        var output: Data?
    }

    struct Service: Sendable {
        var name: String
        var kind: ServiceKind
        var handlers: [String: Handler]
        var lazyState: Bool
        var ingressPrivate: Bool
        var idempotencyRetention: Duration?
        var retry: RetrySettings
        var inactivityTimeout: Duration?
        var abortTimeout: Duration?
        var journalRetention: Duration?
        var documentation: String?
        var metadata: [String: String]
        /// The handlers in manifest order (the dictionary has none).
        var handlerOrder: [String]
        /// The deployment that serves the service (set at registration).
        var deploymentID = ""
        /// Bumped each time a deployment registers the service again.
        var revision = 1
    }

    /// The services in manifest order.
    var serviceOrder: [String]
    var services: [String: Service]
    var protocolMode: String
    var minProtocolVersion: Int
    var maxProtocolVersion: Int

    init(manifestJSON data: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestRuntimeError(status: 500, "discovery: the manifest is not a JSON object")
        }
        protocolMode = root["protocolMode"] as? String ?? "BIDI_STREAM"
        minProtocolVersion = (root["minProtocolVersion"] as? NSNumber)?.intValue ?? 5
        maxProtocolVersion = (root["maxProtocolVersion"] as? NSNumber)?.intValue ?? 5
        var services: [String: Service] = [:]
        var serviceOrder: [String] = []
        for object in root["services"] as? [[String: Any]] ?? [] {
            guard let name = object["name"] as? String, let ty = object["ty"] as? String,
                let kind = ServiceKind(rawValue: ty)
            else { throw TestRuntimeError(status: 500, "discovery: a service lacks name or ty") }
            var handlers: [String: Handler] = [:]
            var handlerOrder: [String] = []
            for h in object["handlers"] as? [[String: Any]] ?? [] {
                guard let handlerName = h["name"] as? String else {
                    throw TestRuntimeError(status: 500, "discovery: a handler of \(name) has no name")
                }
                var handlerKind = (h["ty"] as? String).flatMap(HandlerKind.init(rawValue:))
                if handlerKind == nil {
                    // The runtime's defaults: exclusive in objects; shared in workflows.
                    switch kind {
                    case .service: handlerKind = nil
                    case .virtualObject: handlerKind = .exclusive
                    case .workflow: handlerKind = .shared
                    }
                }
                handlers[handlerName] = Handler(
                    name: handlerName,
                    kind: handlerKind,
                    lazyState: h["enableLazyState"] as? Bool,
                    ingressPrivate: h["ingressPrivate"] as? Bool,
                    workflowRetention: Self.milliseconds(h["workflowCompletionRetention"]),
                    idempotencyRetention: Self.milliseconds(h["idempotencyRetention"]),
                    retry: Self.retry(h),
                    outputContentType: (h["output"] as? [String: Any])?["contentType"] as? String,
                    inactivityTimeout: Self.milliseconds(h["inactivityTimeout"]),
                    abortTimeout: Self.milliseconds(h["abortTimeout"]),
                    journalRetention: Self.milliseconds(h["journalRetention"]),
                    documentation: h["documentation"] as? String,
                    metadata: h["metadata"] as? [String: String] ?? [:],
                    input: Self.json(h["input"]),
                    output: Self.json(h["output"])
                )
                handlerOrder.append(handlerName)
            }
            services[name] = Service(
                name: name,
                kind: kind,
                handlers: handlers,
                lazyState: object["enableLazyState"] as? Bool ?? false,
                ingressPrivate: object["ingressPrivate"] as? Bool ?? false,
                idempotencyRetention: Self.milliseconds(object["idempotencyRetention"]),
                retry: Self.retry(object),
                inactivityTimeout: Self.milliseconds(object["inactivityTimeout"]),
                abortTimeout: Self.milliseconds(object["abortTimeout"]),
                journalRetention: Self.milliseconds(object["journalRetention"]),
                documentation: object["documentation"] as? String,
                metadata: object["metadata"] as? [String: String] ?? [:],
                handlerOrder: handlerOrder
            )
            serviceOrder.append(name)
        }
        self.services = services
        self.serviceOrder = serviceOrder
    }

    /// No services; the runtime starts with this and deployments add theirs.
    init() {
        services = [:]
        serviceOrder = []
        protocolMode = "BIDI_STREAM"
        minProtocolVersion = 5
        maxProtocolVersion = 7
    }

    /// Adds (or replaces, with the next revision) the services of a deployment.
    mutating func merge(_ discovered: Registry, deploymentID: String) {
        for name in discovered.serviceOrder {
            guard var service = discovered.services[name] else { continue }
            service.deploymentID = deploymentID
            if let existing = services[name] {
                service.revision = existing.revision + 1
            } else {
                serviceOrder.append(name)
            }
            services[name] = service
        }
    }

    private static func json(_ value: Any?) -> Data? {
        guard let value, JSONSerialization.isValidJSONObject(value) else { return nil }
        return try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
    }

    private static func milliseconds(_ value: Any?) -> Duration? {
        (value as? NSNumber).map { .milliseconds($0.int64Value) }
    }

    private static func retry(_ object: [String: Any]) -> RetrySettings {
        RetrySettings(
            initialInterval: milliseconds(object["retryPolicyInitialInterval"]),
            maxInterval: milliseconds(object["retryPolicyMaxInterval"]),
            maxAttempts: (object["retryPolicyMaxAttempts"] as? NSNumber)?.intValue,
            factor: (object["retryPolicyExponentiationFactor"] as? NSNumber)?.doubleValue,
            onMaxAttempts: object["retryPolicyOnMaxAttempts"] as? String
        )
    }
}

/// The retry policy in force for one handler: handler settings over service settings over the
/// runtime's default.
struct EffectiveRetryPolicy: Sendable {
    var initialInterval: Duration
    var factor: Double
    var maxInterval: Duration
    var maxAttempts: Int?
    var pause: Bool

    init(handler: Registry.RetrySettings, service: Registry.RetrySettings, fallback: InvocationRetryPolicy) {
        initialInterval =
            handler.initialInterval ?? service.initialInterval ?? fallback.initialInterval ?? .milliseconds(50)
        factor = handler.factor ?? service.factor ?? fallback.exponentiationFactor ?? 2
        maxInterval = handler.maxInterval ?? service.maxInterval ?? fallback.maxInterval ?? .seconds(10)
        maxAttempts = handler.maxAttempts ?? service.maxAttempts ?? fallback.maxAttempts
        let onMax = handler.onMaxAttempts ?? service.onMaxAttempts ?? fallback.onMaxAttempts?.rawValue
        pause = onMax == "PAUSE"
    }

    /// The delay before retry number `retry` (1 for the first retry).
    func delay(retry: Int) -> Duration {
        let initial = Double(initialInterval.inMilliseconds)
        let value = initial * pow(factor, Double(max(0, retry - 1)))
        return .milliseconds(Int64(min(value, Double(maxInterval.inMilliseconds))))
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var inMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// A duration the way Restate's admin API and error messages print it (jiff's compact
/// "friendly" format): `10m`, `1d`, `1h 30m`, `250ms`, `0s`.
func friendlyDuration(_ duration: Duration) -> String {
    var remaining = duration.inMilliseconds
    guard remaining > 0 else { return "0s" }
    var parts: [String] = []
    for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        let count = remaining / size
        if count > 0 { parts.append("\(count)\(unit)") }
        remaining %= size
    }
    return parts.joined(separator: " ")
}
