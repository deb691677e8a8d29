/// What an endpoint tells the Restate runtime at `GET /discover`: how to talk to it and which
/// services it serves.
///
/// Build one, check it with ``validate()`` at startup, and answer each discovery request with
/// ``jsonData(version:)`` for the version ``ManifestVersion/negotiate(accept:)`` picked.
///
/// ```swift
/// let manifest = EndpointManifest(
///     protocolMode: .bidiStream,
///     services: [
///         ServiceManifest(name: "Greeter", kind: .service, handlers: [HandlerManifest(name: "greet")])
///     ]
/// )
/// try manifest.validate()
/// let body = try manifest.jsonData(version: .v4)
/// ```
public struct EndpointManifest: Hashable, Sendable {
    /// Whether the endpoint streams both ways (HTTP/2) or answers each request once.
    public var protocolMode: ProtocolMode
    /// The lowest service protocol version the endpoint speaks.
    public var minProtocolVersion: Int
    /// The highest service protocol version the endpoint speaks.
    public var maxProtocolVersion: Int
    /// Compression for Lambda payloads (manifest v4; dropped from older versions, as the other
    /// SDKs do, because the runtime then simply does not compress).
    public var lambdaCompression: LambdaCompression?
    /// The services served, in the order they are written.
    public var services: [ServiceManifest]

    /// Creates a manifest; the protocol range defaults to what this SDK speaks
    /// (``ProtocolVersion/minimum`` through ``ProtocolVersion/maximum``).
    public init(
        protocolMode: ProtocolMode,
        minProtocolVersion: Int = ProtocolVersion.minimum.rawValue,
        maxProtocolVersion: Int = ProtocolVersion.maximum.rawValue,
        lambdaCompression: LambdaCompression? = nil,
        services: [ServiceManifest]
    ) {
        self.protocolMode = protocolMode
        self.minProtocolVersion = minProtocolVersion
        self.maxProtocolVersion = maxProtocolVersion
        self.lambdaCompression = lambdaCompression
        self.services = services
    }

    /// How the runtime and the endpoint exchange frames.
    public enum ProtocolMode: String, Hashable, Sendable, CaseIterable {
        /// Frames flow both ways on one HTTP/2 stream for the whole invocation.
        case bidiStream = "BIDI_STREAM"
        /// One request carries the journal, one response carries the commands (HTTP/1.1, Lambda).
        case requestResponse = "REQUEST_RESPONSE"
    }

    /// Payload compression for Lambda deployments.
    public enum LambdaCompression: String, Hashable, Sendable, CaseIterable {
        case zstd
    }
}

/// A retry policy the runtime applies to a service's or handler's invocations (manifest v4).
///
/// Unset fields keep the runtime's defaults.
public struct RetryPolicyManifest: Hashable, Sendable {
    /// The delay before the first retry.
    public var initialInterval: Duration?
    /// The longest delay between retries.
    public var maxInterval: Duration?
    /// How many attempts in total; the runtime treats 0 as 1.
    public var maxAttempts: Int?
    /// The factor by which the delay grows after each attempt.
    public var exponentiationFactor: Double?
    /// What happens when attempts run out.
    public var onMaxAttempts: OnMaxAttempts?

    public init(
        initialInterval: Duration? = nil,
        maxInterval: Duration? = nil,
        maxAttempts: Int? = nil,
        exponentiationFactor: Double? = nil,
        onMaxAttempts: OnMaxAttempts? = nil
    ) {
        self.initialInterval = initialInterval
        self.maxInterval = maxInterval
        self.maxAttempts = maxAttempts
        self.exponentiationFactor = exponentiationFactor
        self.onMaxAttempts = onMaxAttempts
    }

    /// What the runtime does with an invocation whose attempts are exhausted.
    public enum OnMaxAttempts: String, Hashable, Sendable, CaseIterable {
        /// Keep it, paused, until an operator resumes or cancels it.
        case pause = "PAUSE"
        /// Fail it.
        case kill = "KILL"
    }

    var isEmpty: Bool {
        initialInterval == nil && maxInterval == nil && maxAttempts == nil && exponentiationFactor == nil
            && onMaxAttempts == nil
    }
}
