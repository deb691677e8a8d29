import Foundation

/// JSON encoding of handler inputs, outputs, state values and journaled results.
///
/// Keys are sorted so that encoding the same value twice gives the same bytes: Restate compares
/// journaled payloads on replay, and a `Dictionary` iterates in a different order in every process.
///
/// One encoder and one decoder serve every call. Both are `Sendable` (macOS 13+, and
/// swift-foundation on Linux): their options sit behind a lock, and each `encode`/`decode` works on
/// a snapshot of them, so concurrent use is safe as long as nobody changes the options, which
/// nothing here does after creating them. Reusing them saves the allocation and set-up of a coder
/// per payload: on Linux (Swift 6.3.1, best of 30 interleaved rounds on a loaded 2-core machine)
/// encoding an `Int` went from 1.43 to 1.08 µs and decoding a four-field struct from 30.8 to
/// 27.8 µs; encoding that struct (about 23 µs) did not change measurably.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder = JSONDecoder()

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decoder.decode(type, from: data)
    }

    /// Decodes a handler's input; malformed input is the caller's fault, so it is terminal (400).
    static func decodeInput<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try decode(type, from: data)
        } catch {
            throw TerminalError("Cannot decode the input as \(T.self): \(describe(error))", code: 400)
        }
    }

    /// A short, payload-free description of a decoding error.
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return "data corrupted at \(path(context.codingPath)): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, let context):
            return "missing key '\(key.stringValue)' at \(path(context.codingPath))"
        case DecodingError.typeMismatch(let type, let context):
            return "expected \(type) at \(path(context.codingPath))"
        case DecodingError.valueNotFound(let type, let context):
            return "expected \(type) but found null at \(path(context.codingPath))"
        default:
            return String(describing: error)
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "the top level" : codingPath.map(\.stringValue).joined(separator: ".")
    }
}
