import Foundation
import RestateCore
import Synchronization

/// A JSON Schema document, as a JSON value.
///
/// Write it with literals:
///
/// ```swift
/// let schema: JSONSchema = ["type": "string", "format": "email"]
/// ```
public typealias JSONSchema = RestateCore.JSONValue

/// A type that states the JSON Schema of its JSON form. Discovery announces the schemas of handler
/// inputs and outputs, and Restate's ingress validates requests and documents the service with
/// them (OpenAPI).
///
/// Adopt it when the derived schema is not what you want:
///
/// ```swift
/// struct Email: Codable, JSONSchemaProviding {
///     var address: String
///     init(from decoder: any Decoder) throws { address = try decoder.singleValueContainer().decode(String.self) }
///     func encode(to encoder: any Encoder) throws { … }
///     static var jsonSchema: JSONSchema { ["type": "string", "format": "email"] }
/// }
/// ```
///
/// Types that do not adopt it get a schema derived from their `Decodable` conformance: the SDK
/// decodes a stand-in value with a recording decoder and notes each key and the type read for it.
/// That covers structs and classes (keys read with `decode` are required, those read with
/// `decodeIfPresent` optional), `CaseIterable` enums with `String` or integer raw values (an
/// `enum` of their raw values), optionals, arrays, sets and `String`-keyed dictionaries, and the
/// standard types listed below, nested to any depth. What it cannot see becomes `{}` (any JSON):
/// enums with associated values, a type that refers to itself (at the recursive point), and a type
/// whose `init(from:)` rejects the stand-in values (an enum with raw values that is not
/// `CaseIterable`, a validating initializer) from the property that failed on.
///
/// Adopted by `String`, `Bool`, the integer and floating-point types, `Decimal`, `Data` (a base64
/// string), `Date` (a number: `JSONEncoder`'s default, seconds since 2001), `UUID`, `URL`, and by
/// `Optional`, `Array`, `Set` and `Dictionary` with `String` keys when their elements adopt it.
public protocol JSONSchemaProviding {
    /// The JSON Schema of this type's JSON form.
    static var jsonSchema: JSONSchema { get }
}

// MARK: - Standard types

/// A type with a schema and a stand-in value the recording decoder hands to `init(from:)`.
protocol SchemaLeaf: JSONSchemaProviding {
    static var schemaStandIn: Self { get }
}

extension String: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "string"] }
    static var schemaStandIn: String { "" }
}

extension Bool: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "boolean"] }
    static var schemaStandIn: Bool { false }
}

extension Int: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "integer"] }
    static var schemaStandIn: Int { 0 }
}

extension Int8: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "integer", "minimum": -128, "maximum": 127] }
    static var schemaStandIn: Int8 { 0 }
}

extension Int16: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "integer", "minimum": -32768, "maximum": 32767] }
    static var schemaStandIn: Int16 { 0 }
}

extension Int32: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema {
        ["type": "integer", "minimum": .integer(Int64(Int32.min)), "maximum": .integer(Int64(Int32.max))]
    }
    static var schemaStandIn: Int32 { 0 }
}

extension Int64: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "integer"] }
    static var schemaStandIn: Int64 { 0 }
}

extension UInt: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "integer", "minimum": 0] }
    static var schemaStandIn: UInt { 0 }
}

extension UInt8: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "integer", "minimum": 0, "maximum": 255] }
    static var schemaStandIn: UInt8 { 0 }
}

extension UInt16: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "integer", "minimum": 0, "maximum": 65535] }
    static var schemaStandIn: UInt16 { 0 }
}

extension UInt32: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema {
        ["type": "integer", "minimum": 0, "maximum": .integer(Int64(UInt32.max))]
    }
    static var schemaStandIn: UInt32 { 0 }
}

extension UInt64: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "integer", "minimum": 0] }
    static var schemaStandIn: UInt64 { 0 }
}

extension Double: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "number"] }
    static var schemaStandIn: Double { 0 }
}

extension Float: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "number"] }
    static var schemaStandIn: Float { 0 }
}

extension Decimal: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "number"] }
    static var schemaStandIn: Decimal { 0 }
}

extension Data: JSONSchemaProviding, SchemaLeaf {
    /// A base64 string, as `JSONEncoder` writes `Data` by default.
    public static var jsonSchema: JSONSchema { ["type": "string", "contentEncoding": "base64"] }
    static var schemaStandIn: Data { Data() }
}

extension Date: JSONSchemaProviding, SchemaLeaf {
    /// A number, as `JSONEncoder` writes `Date` by default (seconds since 1 January 2001). A serde
    /// with another date strategy should state its own schema.
    public static var jsonSchema: JSONSchema { ["type": "number"] }
    static var schemaStandIn: Date { Date(timeIntervalSinceReferenceDate: 0) }
}

extension UUID: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "string", "format": "uuid"] }
    static var schemaStandIn: UUID { UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) }
}

extension URL: JSONSchemaProviding, SchemaLeaf {
    public static var jsonSchema: JSONSchema { ["type": "string", "format": "uri"] }
    static var schemaStandIn: URL { URL(string: "urn:restate")! }
}

extension Optional: JSONSchemaProviding where Wrapped: JSONSchemaProviding {
    public static var jsonSchema: JSONSchema { JSONSchemaGenerator.nullable(Wrapped.jsonSchema) }
}

extension Array: JSONSchemaProviding where Element: JSONSchemaProviding {
    public static var jsonSchema: JSONSchema { ["type": "array", "items": Element.jsonSchema] }
}

extension Set: JSONSchemaProviding where Element: JSONSchemaProviding {
    public static var jsonSchema: JSONSchema { ["type": "array", "items": Element.jsonSchema, "uniqueItems": true] }
}

extension Dictionary: JSONSchemaProviding where Key == String, Value: JSONSchemaProviding {
    public static var jsonSchema: JSONSchema { ["type": "object", "additionalProperties": Value.jsonSchema] }
}

// MARK: - Containers the derivation looks into

/// A container whose schema follows from its element type, with an empty stand-in, so that the
/// derivation neither decodes an element nor recurses forever into a type that contains itself.
protocol SchemaContainer {
    static func containerSchema(_ generator: inout JSONSchemaGenerator) -> JSONSchema
    static var emptyStandIn: Self { get }
}

extension Optional: SchemaContainer {
    static func containerSchema(_ generator: inout JSONSchemaGenerator) -> JSONSchema {
        JSONSchemaGenerator.nullable(generator.schema(Wrapped.self))
    }
    static var emptyStandIn: Optional { nil }
}

extension Array: SchemaContainer {
    static func containerSchema(_ generator: inout JSONSchemaGenerator) -> JSONSchema {
        ["type": "array", "items": generator.schema(Element.self)]
    }
    static var emptyStandIn: Array { [] }
}

extension Set: SchemaContainer {
    static func containerSchema(_ generator: inout JSONSchemaGenerator) -> JSONSchema {
        ["type": "array", "items": generator.schema(Element.self), "uniqueItems": true]
    }
    static var emptyStandIn: Set { [] }
}

extension Dictionary: SchemaContainer where Key == String {
    static func containerSchema(_ generator: inout JSONSchemaGenerator) -> JSONSchema {
        ["type": "object", "additionalProperties": generator.schema(Value.self)]
    }
    static var emptyStandIn: Dictionary { [:] }
}

// MARK: - Derivation

/// Derives JSON Schemas from Swift types: ``JSONSchemaProviding`` first, then the `Decodable`
/// conformance through a recording decoder, `{}` when neither says anything.
struct JSONSchemaGenerator {
    /// The types being derived, outermost first: meeting one again means the type contains itself.
    private var inProgress: [ObjectIdentifier] = []

    private static let cache = Mutex<[ObjectIdentifier: JSONSchema]>([:])

    /// The schema of `type`, derived once per process.
    static func schema<T>(for type: T.Type) -> JSONSchema {
        let id = ObjectIdentifier(type)
        if let cached = cache.withLock({ $0[id] }) { return cached }
        var generator = JSONSchemaGenerator()
        let schema = generator.schema(type)
        cache.withLock { $0[id] = schema }
        return schema
    }

    /// `schema` or JSON `null`.
    static func nullable(_ schema: JSONSchema) -> JSONSchema {
        guard case .object(var members) = schema, !members.isEmpty else { return schema }
        // `"type": [t, "null"]` reads best, but an `enum` would still reject null.
        if members["enum"] == nil, case .string(let type)? = members["type"] {
            members["type"] = [.string(type), "null"]
            return .object(members)
        }
        return ["anyOf": [schema, ["type": "null"]]]
    }

    mutating func schema<T>(_ type: T.Type) -> JSONSchema {
        if let provider = type as? any JSONSchemaProviding.Type { return provider.jsonSchema }
        if let container = type as? any SchemaContainer.Type { return container.containerSchema(&self) }
        if let enumeration = type as? any (CaseIterable & RawRepresentable).Type,
            let (_, schema) = Self.enumCases(enumeration)
        {
            return schema
        }
        guard let decodable = type as? any Decodable.Type else { return [:] }
        return derive(decodable)
    }

    private mutating func derive<T: Decodable>(_ type: T.Type) -> JSONSchema {
        do {
            return try standIn(type).schema
        } catch let error as SchemaPropertyError {
            return error.schema
        } catch {
            return [:]
        }
    }

    /// A value of `type` for the recording decoder to return, and the schema of `type`. The value
    /// is `nil` when `type` contains itself at this point (its schema is then `{}`).
    ///
    /// - Throws: ``SchemaPropertyError`` with the schema recorded so far when `type`'s
    ///   `init(from:)` refuses the stand-ins.
    mutating func standIn<T: Decodable>(_ type: T.Type) throws -> (value: T?, schema: JSONSchema) {
        if let leaf = type as? any SchemaLeaf.Type {
            return (leaf.schemaStandIn as? T, leaf.jsonSchema)
        }
        if let container = type as? any SchemaContainer.Type {
            return (container.emptyStandIn as? T, container.containerSchema(&self))
        }
        if let enumeration = type as? any (CaseIterable & RawRepresentable).Type,
            let (first, schema) = Self.enumCases(enumeration)
        {
            return (first as? T, schema)
        }
        let id = ObjectIdentifier(type)
        guard !inProgress.contains(id) else { return (nil, [:]) }
        inProgress.append(id)
        let recorder = SchemaRecorder(generator: self)
        defer {
            self = recorder.generator
            inProgress.removeLast()
        }
        let provided = (type as? any JSONSchemaProviding.Type)?.jsonSchema
        do {
            let value = try T(from: SchemaDecoder(recorder: recorder, node: recorder.root, codingPath: []))
            return (value, provided ?? recorder.root.schema)
        } catch {
            throw SchemaPropertyError(schema: provided ?? recorder.root.partialSchema)
        }
    }

    /// The first case and the schema (`enum` of the raw values) of an enum with `String` or integer
    /// raw values.
    private static func enumCases<E: CaseIterable & RawRepresentable>(_ type: E.Type) -> (
        first: Any, schema: JSONSchema
    )? {
        var values: [JSONSchema] = []
        var kind = "string"
        for value in type.allCases {
            switch value.rawValue {
            case let raw as String:
                values.append(.string(raw))
            case let raw as any BinaryInteger:
                guard let integer = Int64(exactly: raw) else { return nil }
                values.append(.integer(integer))
                kind = "integer"
            default:
                return nil
            }
        }
        guard let first = type.allCases.first else { return nil }
        return (first, ["type": .string(kind), "enum": .array(values)])
    }
}

/// A value whose `init(from:)` refused the stand-ins, with the schema recorded until then: the
/// parent still records the property.
struct SchemaPropertyError: Error {
    var schema: JSONSchema
}

/// A non-optional value of a type that contains itself: there is no stand-in to return.
struct SchemaRecursionError: Error {}

// MARK: - The recording decoder

/// What the recording decoder learned about one value.
final class SchemaNode {
    enum Shape {
        case unknown
        case value(JSONSchema)
        case object(properties: [(name: String, schema: JSONSchema)], required: [String])
        case array
    }

    var shape: Shape = .unknown

    var schema: JSONSchema {
        switch shape {
        case .unknown:
            return [:]
        case .value(let schema):
            return schema
        case .array:
            return ["type": "array"]
        case .object(let properties, let required):
            var members: [String: JSONSchema] = [:]
            for property in properties { members[property.name] = property.schema }
            var schema: [String: JSONSchema] = ["type": "object", "properties": .object(members)]
            var seen = Set<String>()
            let required = required.filter { seen.insert($0).inserted }
            if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
            return .object(schema)
        }
    }

    /// The schema of a value whose `init(from:)` failed: what was read, or `{}` when that was
    /// nothing (an enum with associated values opens a keyed container, then refuses it).
    var partialSchema: JSONSchema {
        if case .object(let properties, _) = shape, properties.isEmpty { return [:] }
        return schema
    }

    /// Records (or, for a key read again, replaces) a property.
    func setProperty(_ name: String, _ schema: JSONSchema, required: Bool) {
        var properties: [(name: String, schema: JSONSchema)] = []
        var requiredKeys: [String] = []
        if case .object(let existing, let existingRequired) = shape {
            (properties, requiredKeys) = (existing, existingRequired)
        }
        if let index = properties.firstIndex(where: { $0.name == name }) {
            properties[index].schema = schema
        } else {
            properties.append((name, schema))
        }
        if required { requiredKeys.append(name) }
        shape = .object(properties: properties, required: requiredKeys)
    }

    func becomeObject() {
        if case .object = shape { return }
        shape = .object(properties: [], required: [])
    }
}

/// Shared by the decoder and containers of one type's derivation.
final class SchemaRecorder {
    var generator: JSONSchemaGenerator
    let root = SchemaNode()

    init(generator: JSONSchemaGenerator) {
        self.generator = generator
    }

    func standIn<T: Decodable>(_ type: T.Type) throws -> (value: T?, schema: JSONSchema) {
        try generator.standIn(type)
    }
}

struct SchemaDecoder: Decoder {
    let recorder: SchemaRecorder
    let node: SchemaNode
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        node.becomeObject()
        return KeyedDecodingContainer(
            KeyedSchemaContainer<Key>(recorder: recorder, node: node, codingPath: codingPath, parent: nil)
        )
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        node.shape = .array
        return UnkeyedSchemaContainer(codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueSchemaContainer(recorder: recorder, node: node, codingPath: codingPath)
    }
}

struct KeyedSchemaContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: SchemaRecorder
    let node: SchemaNode
    var codingPath: [any CodingKey]
    /// For a nested container: the node and key it is the value of, refreshed after every read.
    let parent: (node: SchemaNode, key: String)?

    // No keys are listed (enums with associated values refuse that, and become `{}`), but every key
    // is "there", so that `init(from:)` takes its non-optional paths.
    var allKeys: [Key] { [] }
    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    private func record(_ key: Key, _ schema: JSONSchema, required: Bool) {
        node.setProperty(key.stringValue, schema, required: required)
        parent?.node.setProperty(parent!.key, node.schema, required: false)
    }

    func decodeValue<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let standIn: (value: T?, schema: JSONSchema)
        do {
            standIn = try recorder.standIn(type)
        } catch let error as SchemaPropertyError {
            record(key, error.schema, required: true)
            throw error
        }
        record(key, standIn.schema, required: true)
        guard let value = standIn.value else { throw SchemaRecursionError() }
        return value
    }

    func decodeOptional<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        do {
            let standIn = try recorder.standIn(type)
            record(key, JSONSchemaGenerator.nullable(standIn.schema), required: false)
            return standIn.value
        } catch let error as SchemaPropertyError {
            record(key, JSONSchemaGenerator.nullable(error.schema), required: false)
            return nil
        }
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decodeValue(type, forKey: key) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try decodeOptional(type, forKey: key)
    }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decodeOptional(type, forKey: key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try decodeOptional(type, forKey: key)
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        try decodeOptional(type, forKey: key)
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try decodeOptional(type, forKey: key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decodeOptional(type, forKey: key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try decodeOptional(type, forKey: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try decodeOptional(type, forKey: key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try decodeOptional(type, forKey: key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try decodeOptional(type, forKey: key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try decodeOptional(type, forKey: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try decodeOptional(type, forKey: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? {
        try decodeOptional(type, forKey: key)
    }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? {
        try decodeOptional(type, forKey: key)
    }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decodeValue(type, forKey: key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? {
        try decodeOptional(type, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let child = SchemaNode()
        child.becomeObject()
        record(key, child.schema, required: true)
        return KeyedDecodingContainer(
            KeyedSchemaContainer<NestedKey>(
                recorder: recorder,
                node: child,
                codingPath: codingPath + [key],
                parent: (node, key.stringValue)
            )
        )
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        record(key, ["type": "array"], required: true)
        return UnkeyedSchemaContainer(codingPath: codingPath + [key])
    }

    func superDecoder() throws -> any Decoder {
        SchemaDecoder(recorder: recorder, node: node, codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        let child = SchemaNode()
        record(key, [:], required: true)
        return SchemaDecoder(recorder: recorder, node: child, codingPath: codingPath + [key])
    }
}

/// Arrays decoded by hand: recorded as arrays of anything, with no elements.
struct UnkeyedSchemaContainer: UnkeyedDecodingContainer {
    var codingPath: [any CodingKey]
    var count: Int? { 0 }
    var isAtEnd: Bool { true }
    var currentIndex: Int { 0 }

    private func noElements(_ type: Any.Type) -> DecodingError {
        .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "deriving a JSON Schema"))
    }

    mutating func decodeNil() throws -> Bool { false }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { throw noElements(type) }
    mutating func decode(_ type: Bool.Type) throws -> Bool { throw noElements(type) }
    mutating func decode(_ type: String.Type) throws -> String { throw noElements(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { throw noElements(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { throw noElements(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { throw noElements(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { throw noElements(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { throw noElements(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { throw noElements(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { throw noElements(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { throw noElements(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { throw noElements(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { throw noElements(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { throw noElements(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { throw noElements(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        throw noElements(type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw noElements([Int].self)
    }

    mutating func superDecoder() throws -> any Decoder { throw noElements(Int.self) }
}

struct SingleValueSchemaContainer: SingleValueDecodingContainer {
    let recorder: SchemaRecorder
    let node: SchemaNode
    var codingPath: [any CodingKey]

    func decodeNil() -> Bool { false }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        let standIn: (value: T?, schema: JSONSchema)
        do {
            standIn = try recorder.standIn(type)
        } catch let error as SchemaPropertyError {
            node.shape = .value(error.schema)
            throw error
        }
        node.shape = .value(standIn.schema)
        guard let value = standIn.value else { throw SchemaRecursionError() }
        return value
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
    func decode(_ type: Bool.Type) throws -> Bool { try decodeValue(type) }
    func decode(_ type: String.Type) throws -> String { try decodeValue(type) }
    func decode(_ type: Double.Type) throws -> Double { try decodeValue(type) }
    func decode(_ type: Float.Type) throws -> Float { try decodeValue(type) }
    func decode(_ type: Int.Type) throws -> Int { try decodeValue(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeValue(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeValue(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeValue(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeValue(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeValue(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeValue(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeValue(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeValue(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeValue(type) }
}

extension JSONSchema {
    /// Compact JSON text with sorted keys, for ``PayloadDescriptor/jsonSchema``.
    var jsonText: String {
        (try? JSONCoding.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
