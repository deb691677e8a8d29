import Foundation

/// Turns values into the bytes Restate stores and sends, and back: handler inputs and outputs,
/// state values, `ctx.run` results, awakeable, signal and promise payloads.
///
/// JSON through `Codable` (``JSONSerde``) is the default everywhere and needs no configuration.
/// Pass another serde where the API takes one: `@Handler(inputSerde:outputSerde:)`,
/// `StateKey(_:serde:)`, `ctx.run(_:serde:retryPolicy:_:)`, `ctx.promise(_:serde:)`,
/// `ctx.awakeable(serde:)`.
///
/// ```swift
/// /// Protocol Buffers through swift-protobuf.
/// struct ProtobufSerde<Value: SwiftProtobuf.Message>: Serde {
///     var contentType: String? { "application/x-protobuf" }
///     func encode(_ value: Value) throws -> Data { try value.serializedData() }
///     func decode(_ data: Data) throws -> Value { try Value(serializedBytes: data) }
/// }
/// ```
///
/// Encoding must be deterministic: Restate compares a replayed command's payload with the journaled
/// one, so the same value must always give the same bytes.
public protocol Serde<Value>: Sendable {
    /// The type of the values this serde encodes and decodes.
    associatedtype Value

    /// The content type of the encoded bytes, announced at discovery for handler inputs and
    /// outputs; `nil` for none.
    var contentType: String? { get }

    /// The JSON Schema of the encoded form, announced at discovery for handler inputs and outputs;
    /// `nil` when there is none (the default).
    var jsonSchema: JSONSchema? { get }

    /// The bytes of `value`.
    func encode(_ value: Value) throws -> Data

    /// The value `data` encodes.
    func decode(_ data: Data) throws -> Value
}

extension Serde {
    public var jsonSchema: JSONSchema? { nil }
}

/// The default serde: JSON through `Codable`, with sorted keys so that equal values give equal
/// bytes.
///
/// The JSON Schema announced at discovery comes from ``JSONSchemaProviding`` when `Value` adopts
/// it, and is otherwise derived from `Value`'s `Decodable` conformance (see ``JSONSchemaProviding``).
public struct JSONSerde<Value: Codable>: Serde {
    let encoder: JSONEncoder?
    let decoder: JSONDecoder?

    /// JSON with the SDK's shared encoder (sorted keys, unescaped slashes) and decoder.
    public init() {
        self.encoder = nil
        self.decoder = nil
    }

    /// JSON with your own encoder and decoder, e.g. for date or key strategies.
    ///
    /// Keep `.sortedKeys` in the encoder's output formatting, so that replays encode the same bytes,
    /// and do not change either coder afterwards: they are used concurrently.
    public init(encoder: JSONEncoder, decoder: JSONDecoder) {
        self.encoder = encoder
        self.decoder = decoder
    }

    public var contentType: String? { "application/json" }

    public var jsonSchema: JSONSchema? { JSONSchemaGenerator.schema(for: Value.self) }

    public func encode(_ value: Value) throws -> Data {
        guard let encoder else { return try JSONCoding.encode(value) }
        return try encoder.encode(value)
    }

    public func decode(_ data: Data) throws -> Value {
        guard let decoder else { return try JSONCoding.decode(Value.self, from: data) }
        return try decoder.decode(Value.self, from: data)
    }
}

/// A value that is a sequence of bytes as it is: `Data` and `[UInt8]`.
public protocol RawBytesConvertible: Sendable {
    /// The value of these bytes.
    init(rawBytes: Data)
    /// The bytes of this value.
    var rawBytes: Data { get }
}

extension Data: RawBytesConvertible {
    public init(rawBytes: Data) { self = rawBytes }
    public var rawBytes: Data { self }
}

extension Array: RawBytesConvertible where Element == UInt8 {
    public init(rawBytes: Data) { self = Array(rawBytes) }
    public var rawBytes: Data { Data(self) }
}

/// Bytes in, bytes out: the payload is passed through unchanged, with the content type
/// `application/octet-stream` (or another one you give).
///
/// ```swift
/// @Handler(inputSerde: RawSerde<Data>(), outputSerde: RawSerde<Data>())
/// func thumbnail(_ ctx: Context, image: Data) async throws -> Data { … }
/// ```
public struct RawSerde<Value: RawBytesConvertible>: Serde {
    public let contentType: String?

    public init(contentType: String = "application/octet-stream") {
        self.contentType = contentType
    }

    public func encode(_ value: Value) throws -> Data { value.rawBytes }

    public func decode(_ data: Data) throws -> Value { Value(rawBytes: data) }
}

extension Serde {
    /// Decodes a handler input: a malformed input is the caller's fault, so it is terminal (400).
    func decodeInput(_ data: Data) throws -> Value {
        do {
            return try decode(data)
        } catch let error as TerminalError {
            throw error
        } catch {
            throw TerminalError("Cannot decode the input as \(Value.self): \(JSONCoding.describe(error))", code: 400)
        }
    }

    /// What discovery announces for a payload this serde encodes.
    var payloadDescriptor: PayloadDescriptor {
        PayloadDescriptor(contentType: contentType, required: true, jsonSchema: jsonSchema?.jsonText)
    }
}
