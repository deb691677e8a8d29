import Foundation
import RestateCore
import Testing

@testable import Restate

// MARK: - Types to derive schemas from

struct Address: Codable {
    var street: String
    var zip: String?
}

enum Plan: String, Codable, CaseIterable {
    case free, pro, enterprise
}

enum Priority: Int, Codable, CaseIterable {
    case low = 1, high = 2
}

struct SignupRequest: Codable {
    var email: String
    var age: Int
    var score: Double
    var newsletter: Bool
    var plan: Plan
    var priority: Priority?
    var tags: [String]
    var labels: [String: Int]
    var address: Address
    var previous: [Address]?
    var id: UUID
    var createdAt: Date
    var avatar: Data
    var homepage: URL?
}

/// Refers to itself: the recursive point is `{}`.
struct TreeNode: Codable {
    var name: String
    var children: [TreeNode]
    var parent: Box?

    final class Box: Codable {
        var node: TreeNode?
    }
}

/// An enum with associated values: the derivation cannot list its cases.
enum Shape: Codable {
    case circle(radius: Double)
    case square(side: Double)
}

/// States its own schema.
struct Email: Codable, JSONSchemaProviding {
    var address: String

    init(from decoder: any Decoder) throws {
        address = try decoder.singleValueContainer().decode(String.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(address)
    }

    static var jsonSchema: JSONSchema { ["type": "string", "format": "email"] }
}

struct Contact: Codable {
    var email: Email
    var nested: Nested
    // Last: its failure ends the derivation of Contact's properties.
    var shape: Shape

    struct Nested: Codable {
        var value: Int

        enum CodingKeys: String, CodingKey { case outer }
        enum InnerKeys: String, CodingKey { case value }

        init(from decoder: any Decoder) throws {
            let outer = try decoder.container(keyedBy: CodingKeys.self)
            let inner = try outer.nestedContainer(keyedBy: InnerKeys.self, forKey: .outer)
            value = try inner.decode(Int.self, forKey: .value)
        }

        func encode(to encoder: any Encoder) throws {}
    }
}

/// Rejects the stand-ins: the properties read before the failure are kept.
struct Validated: Codable {
    var name: String
    var count: Int
    var after: String

    enum CodingKeys: String, CodingKey { case name, count, after }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        count = try container.decode(Int.self, forKey: .count)
        guard count > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .count, in: container, debugDescription: "must be positive")
        }
        after = try container.decode(String.self, forKey: .after)
    }
}

/// Only encodable: nothing to derive from.
struct Receipt: Encodable {
    var total: Int
}

private func schema<T>(_ type: T.Type) -> JSONSchema {
    var generator = JSONSchemaGenerator()
    return generator.schema(type)
}

@Suite("JSON Schema")
struct JSONSchemaTests {
    @Test("standard types")
    func standardTypes() {
        #expect(schema(String.self) == ["type": "string"])
        #expect(schema(Int.self) == ["type": "integer"])
        #expect(schema(UInt8.self) == ["type": "integer", "minimum": 0, "maximum": 255])
        #expect(schema(Double.self) == ["type": "number"])
        #expect(schema(Bool.self) == ["type": "boolean"])
        #expect(schema(Data.self) == ["type": "string", "contentEncoding": "base64"])
        #expect(schema(Date.self) == ["type": "number"])
        #expect(schema(UUID.self) == ["type": "string", "format": "uuid"])
        #expect(schema(URL.self) == ["type": "string", "format": "uri"])
        #expect(schema(String?.self) == ["type": ["string", "null"]])
        #expect(schema([Int].self) == ["type": "array", "items": ["type": "integer"]])
        #expect(schema(Set<String>.self) == ["type": "array", "items": ["type": "string"], "uniqueItems": true])
        #expect(schema([String: Bool].self) == ["type": "object", "additionalProperties": ["type": "boolean"]])
        #expect(schema(Plan.self) == ["type": "string", "enum": ["free", "pro", "enterprise"]])
        #expect(schema(Priority.self) == ["type": "integer", "enum": [1, 2]])
    }

    @Test("a struct: properties from its keys, required unless read with decodeIfPresent")
    func structure() {
        let address: JSONSchema = [
            "type": "object",
            "properties": ["street": ["type": "string"], "zip": ["type": ["string", "null"]]],
            "required": ["street"],
        ]
        let expected: JSONSchema = [
            "type": "object",
            "properties": [
                "email": ["type": "string"],
                "age": ["type": "integer"],
                "score": ["type": "number"],
                "newsletter": ["type": "boolean"],
                "plan": ["type": "string", "enum": ["free", "pro", "enterprise"]],
                "priority": ["anyOf": [["type": "integer", "enum": [1, 2]], ["type": "null"]]],
                "tags": ["type": "array", "items": ["type": "string"]],
                "labels": ["type": "object", "additionalProperties": ["type": "integer"]],
                "address": address,
                "previous": ["type": ["array", "null"], "items": address],
                "id": ["type": "string", "format": "uuid"],
                "createdAt": ["type": "number"],
                "avatar": ["type": "string", "contentEncoding": "base64"],
                "homepage": ["type": ["string", "null"], "format": "uri"],
            ],
            "required": [
                "email", "age", "score", "newsletter", "plan", "tags", "labels", "address", "id", "createdAt",
                "avatar",
            ],
        ]
        #expect(schema(SignupRequest.self) == expected)
    }

    @Test("a type that contains itself: {} at the recursive point")
    func recursive() {
        let expected: JSONSchema = [
            "type": "object",
            "properties": [
                "name": ["type": "string"],
                "children": ["type": "array", "items": [:]],
                "parent": ["type": ["object", "null"], "properties": ["node": [:]]],
            ],
            "required": ["name", "children"],
        ]
        #expect(schema(TreeNode.self) == expected)
    }

    @Test("JSONSchemaProviding wins; enums with associated values are {}; nested containers are objects")
    func providedAndUnknown() {
        let expected: JSONSchema = [
            "type": "object",
            "properties": [
                "email": ["type": "string", "format": "email"],
                "shape": [:],
                "nested": [
                    "type": "object",
                    "properties": [
                        "outer": [
                            "type": "object",
                            "properties": ["value": ["type": "integer"]],
                            "required": ["value"],
                        ]
                    ],
                    "required": ["outer"],
                ],
            ],
            "required": ["email", "nested", "shape"],
        ]
        #expect(schema(Contact.self) == expected)
    }

    @Test("an initializer that rejects the stand-ins keeps what it read before failing")
    func validating() {
        let expected: JSONSchema = [
            "type": "object",
            "properties": ["name": ["type": "string"], "count": ["type": "integer"]],
            "required": ["name", "count"],
        ]
        #expect(schema(Validated.self) == expected)
    }

    @Test("a type that is only Encodable, or not Codable at all, is {}")
    func underivable() {
        #expect(schema(Receipt.self) == [:])
        #expect(schema(NSObject.self) == [:])
    }
}

// MARK: - Discovery

struct SchemaService: RestateService, DefaultInitializable {
    static var restateDescriptor: ServiceDescriptor<SchemaService> {
        ServiceDescriptor(
            name: "SchemaService",
            kind: .service,
            handlers: [
                .handler("signup") { (_: SchemaService, _: Context, request: Address) in Plan.pro },
                .handler("bytes", inputSerde: RawSerde<Data>(), outputSerde: RawSerde<Data>()) {
                    (_: SchemaService, _: Context, data: Data) in data
                },
                .handler("ping") { (_: SchemaService, _: Context) in },
            ]
        )
    }
}

@Suite("JSON Schema in discovery")
struct DiscoverySchemaTests {
    @Test("the manifest carries input and output schemas and the serdes' content types", arguments: [2, 3, 4])
    func manifest(version: Int) async throws {
        var endpoint = Endpoint(configuration: .init())
        endpoint.bind(SchemaService.self)
        let response = try await endpoint.makeHandler().get(
            "/discover",
            headers: [("accept", "application/vnd.restate.endpointmanifest.v\(version)+json")]
        )
        #expect(response.recorded.status == 200)
        let manifest = try JSONDecoder().decode(JSONValue.self, from: Data(response.text.utf8))
        guard case .object(let root) = manifest, case .array(let services)? = root["services"],
            case .object(let service)? = services.first, case .array(let handlers)? = service["handlers"]
        else {
            Issue.record("unexpected manifest \(response.text)")
            return
        }
        let byName = Dictionary(
            uniqueKeysWithValues: handlers.compactMap { handler -> (String, [String: JSONValue])? in
                guard case .object(let fields) = handler, case .string(let name)? = fields["name"] else { return nil }
                return (name, fields)
            }
        )
        #expect(
            byName["signup"]?["input"]
                == [
                    "required": true,
                    "contentType": "application/json",
                    "jsonSchema": [
                        "type": "object",
                        "properties": ["street": ["type": "string"], "zip": ["type": ["string", "null"]]],
                        "required": ["street"],
                    ],
                ]
        )
        #expect(
            byName["signup"]?["output"]
                == [
                    "contentType": "application/json",
                    "setContentTypeIfEmpty": false,
                    "jsonSchema": ["type": "string", "enum": ["free", "pro", "enterprise"]],
                ]
        )
        #expect(byName["bytes"]?["input"] == ["required": true, "contentType": "application/octet-stream"])
        #expect(
            byName["bytes"]?["output"] == ["contentType": "application/octet-stream", "setContentTypeIfEmpty": false]
        )
        #expect(byName["ping"]?["input"] == ["required": false])
        // The manifest's JSON text has sorted keys, schemas included, whatever the version.
        #expect(response.text.contains(#""jsonSchema":{"properties":{"street":{"type":"string"}"#))
    }
}
