/// A JSON value: a JSON Schema in a handler manifest, or any other free-form JSON.
///
/// Objects keep no key order; ``EndpointManifest/jsonData(version:)`` writes their keys sorted,
/// so the same value always gives the same bytes.
///
/// ```swift
/// let schema: JSONValue = ["type": "object", "properties": ["name": ["type": "string"]], "required": ["name"]]
/// ```
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// A whole number, written without a fraction.
    case integer(Int64)
    /// Any other number. NaN and infinities have no JSON form: validation rejects them.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// Whether every number inside is finite, i.e. the value has a JSON form.
    var isRepresentable: Bool {
        switch self {
        case .null, .bool, .integer, .string: true
        case .number(let value): value.isFinite
        case .array(let values): values.allSatisfy(\.isRepresentable)
        case .object(let members): members.values.allSatisfy(\.isRepresentable)
        }
    }
}
