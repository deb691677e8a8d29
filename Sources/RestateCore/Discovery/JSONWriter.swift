/// Writes compact JSON with members in the order they are added.
///
/// The manifest is written by hand rather than with `JSONEncoder` so that the field order is the
/// schema's, the bytes are the same on every platform, and integers stay integers.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    /// Writes an object whose members `body` adds with the `member` methods.
    mutating func object(_ body: (inout ObjectWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        var writer = ObjectWriter(writer: self)
        self = JSONWriter()
        body(&writer)
        self = writer.writer
        bytes.append(UInt8(ascii: "}"))
    }

    /// Writes an array with one element per item, each written by `element`.
    mutating func array<Items: Sequence>(_ items: Items, _ element: (inout JSONWriter, Items.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for item in items {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            element(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": bytes.append(contentsOf: Array(#"\""#.utf8))
            case "\\": bytes.append(contentsOf: Array(#"\\"#.utf8))
            case "\n": bytes.append(contentsOf: Array(#"\n"#.utf8))
            case "\r": bytes.append(contentsOf: Array(#"\r"#.utf8))
            case "\t": bytes.append(contentsOf: Array(#"\t"#.utf8))
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                bytes.append(contentsOf: Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8))
            default:
                bytes.append(contentsOf: Array(String(scalar).utf8))
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func integer(_ value: Int64) {
        bytes.append(contentsOf: Array(String(value).utf8))
    }

    /// Writes a finite number; the caller has rejected NaN and infinities.
    mutating func number(_ value: Double) {
        if value == value.rounded(), abs(value) < 1e15 {
            // Keep whole numbers readable and exact: 2.0 becomes 2.
            bytes.append(contentsOf: Array(String(Int64(value)).utf8))
        } else {
            // Swift's shortest round-tripping form is valid JSON (e.g. 1.5, 1e-07, 1e+20).
            bytes.append(contentsOf: Array("\(value)".utf8))
        }
    }

    mutating func bool(_ value: Bool) {
        bytes.append(contentsOf: Array((value ? "true" : "false").utf8))
    }

    mutating func value(_ value: JSONValue) {
        switch value {
        case .null: bytes.append(contentsOf: Array("null".utf8))
        case .bool(let value): bool(value)
        case .integer(let value): integer(value)
        case .number(let value): number(value)
        case .string(let value): string(value)
        case .array(let values): array(values) { $0.value($1) }
        case .object(let members):
            object { object in
                for key in members.keys.sorted() {
                    object.member(key) { $0.value(members[key]!) }
                }
            }
        }
    }

    /// Adds members to an object being written.
    struct ObjectWriter {
        fileprivate var writer: JSONWriter
        private var first = true

        fileprivate init(writer: JSONWriter) {
            self.writer = writer
        }

        mutating func member(_ key: String, _ body: (inout JSONWriter) -> Void) {
            if !first { writer.bytes.append(UInt8(ascii: ",")) }
            first = false
            writer.string(key)
            writer.bytes.append(UInt8(ascii: ":"))
            body(&writer)
        }

        mutating func member(_ key: String, ifPresent value: String?) {
            if let value { member(key) { $0.string(value) } }
        }

        mutating func member(_ key: String, ifPresent value: Bool?) {
            if let value { member(key) { $0.bool(value) } }
        }

        mutating func member(_ key: String, ifPresent value: Int64?) {
            if let value { member(key) { $0.integer(value) } }
        }

        mutating func member(_ key: String, ifPresent value: Double?) {
            if let value { member(key) { $0.number(value) } }
        }

        mutating func member(_ key: String, ifPresent value: JSONValue?) {
            if let value { member(key) { $0.value(value) } }
        }
    }
}
