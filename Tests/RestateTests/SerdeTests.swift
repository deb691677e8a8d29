import Foundation
import RestateCore
import Testing

@testable import Restate

// MARK: - A serde that is not JSON

/// A toy text serde: an integer as its decimal digits, with a content type of its own.
struct DecimalTextSerde: Serde {
    var contentType: String? { "text/plain" }
    var jsonSchema: JSONSchema? { nil }

    func encode(_ value: Int) throws -> Data { Data(String(value).utf8) }

    func decode(_ data: Data) throws -> Int {
        guard let value = Int(String(decoding: data, as: UTF8.self)) else {
            throw TerminalError("not a decimal number", code: 400)
        }
        return value
    }
}

struct SerdeService: RestateService, DefaultInitializable {
    static let counter = StateKey("counter", serde: DecimalTextSerde())
    static let blob = StateKey("blob", serde: RawSerde<[UInt8]>())

    static var restateDescriptor: ServiceDescriptor<SerdeService> {
        ServiceDescriptor(
            name: "SerdeService",
            kind: .virtualObject,
            handlers: [
                .handler("echoBytes", inputSerde: RawSerde<Data>(), outputSerde: RawSerde<Data>()) {
                    (_: SerdeService, _: ObjectContext, bytes: Data) in Data(bytes.reversed())
                },
                .handler("count", inputSerde: DecimalTextSerde(), outputSerde: DecimalTextSerde()) {
                    (_: SerdeService, ctx: ObjectContext, delta: Int) in
                    let value = (try await ctx.get(counter) ?? 0) + delta
                    try ctx.set(counter, value)
                    try ctx.set(blob, [1, 2, 3])
                    return value
                },
                .handler("runText") { (_: SerdeService, ctx: ObjectContext, _: String) in
                    let number = try await ctx.run("pick", serde: DecimalTextSerde()) { 42 }
                    return number
                },
                .handler("awakeText") { (_: SerdeService, ctx: ObjectContext, _: String) in
                    let (_, future) = try ctx.awakeable(serde: DecimalTextSerde())
                    return try await future.value
                },
            ]
        )
    }
}

private func run(_ handler: String, _ messages: [ProtocolMessage]) async throws -> [ProtocolMessage] {
    var endpoint = Endpoint(configuration: .init())
    endpoint.bind(SerdeService.self)
    let sink = try await endpoint.makeHandler().invoke("SerdeService", handler, version: .v6, messages: messages)
    return try sink.messages(version: .v6)
}

@Suite("Serdes")
struct SerdeTests {
    @Test("JSONSerde sorts keys, so equal dictionaries give equal bytes")
    func jsonDeterministic() throws {
        let serde = JSONSerde<[String: Int]>()
        var a: [String: Int] = [:]
        for (index, key) in ["zeta", "alpha", "mu", "beta", "omega"].enumerated() { a[key] = index }
        var b: [String: Int] = [:]
        for (index, key) in ["zeta", "alpha", "mu", "beta", "omega"].enumerated().reversed() { b[key] = index }
        let encoded = try serde.encode(a)
        #expect(encoded == (try serde.encode(b)))
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"alpha":1,"beta":3,"mu":2,"omega":4,"zeta":0}"#)
        #expect(try serde.decode(encoded) == a)
        #expect(serde.contentType == "application/json")
    }

    @Test("JSONSerde with its own coders uses them")
    func jsonCustomCoders() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .secondsSince1970
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let serde = JSONSerde<Date>(encoder: encoder, decoder: decoder)
        let date = Date(timeIntervalSince1970: 1_000)
        #expect(try serde.encode(date) == Data("1000".utf8))
        #expect(try serde.decode(Data("1000".utf8)) == date)
    }

    @Test("RawSerde passes Data and [UInt8] through as octet-stream")
    func raw() throws {
        let data = Data([0, 255, 7])
        #expect(try RawSerde<Data>().encode(data) == data)
        #expect(try RawSerde<Data>().decode(data) == data)
        #expect(try RawSerde<[UInt8]>().decode(data) == [0, 255, 7])
        #expect(try RawSerde<[UInt8]>().encode([0, 255, 7]) == data)
        #expect(RawSerde<Data>().contentType == "application/octet-stream")
        #expect(RawSerde<Data>(contentType: "image/png").contentType == "image/png")
        #expect(RawSerde<Data>().jsonSchema == nil)
    }

    @Test("a handler with raw serdes gets the bytes as they are and answers bytes")
    func rawHandler() async throws {
        let messages = try await run(
            "echoBytes",
            [
                Frames.start(knownEntries: 1, key: "k"),
                .inputCommand(.with { $0.value = .with { $0.content = Data([1, 2, 3]) } }),
            ]
        )
        #expect(
            messages == [.outputCommand(.with { $0.value = .with { $0.content = Data([3, 2, 1]) } }), .end]
        )
    }

    @Test("state keys with serdes: read and written in the serde's encoding")
    func stateWithSerde() async throws {
        let messages = try await run(
            "count",
            [Frames.start(knownEntries: 1, key: "k", state: ["counter": "41"]), Frames.input("1")]
        )
        #expect(
            messages == [
                .getEagerStateCommand(
                    .with {
                        $0.key = Data("counter".utf8)
                        $0.value = .with { $0.content = Data("41".utf8) }
                    }
                ),
                .setStateCommand(
                    .with {
                        $0.key = Data("counter".utf8)
                        $0.value = .with { $0.content = Data("42".utf8) }
                    }
                ),
                .setStateCommand(
                    .with {
                        $0.key = Data("blob".utf8)
                        $0.value = .with { $0.content = Data([1, 2, 3]) }
                    }
                ),
                .outputCommand(.with { $0.value = .with { $0.content = Data("42".utf8) } }),
                .end,
            ]
        )
    }

    @Test("malformed input for a custom serde is a terminal 400")
    func badInput() async throws {
        let messages = try await run("count", [Frames.start(knownEntries: 1, key: "k"), Frames.input("x")])
        #expect(outputFailure(messages)?.code == 400)
    }

    @Test("a run result is proposed in the serde's encoding and decoded on replay")
    func runWithSerde() async throws {
        let first = try await run("runText", Frames.journal(input: "\"\"", key: "k"))
        let proposal = first.lazy.compactMap { message -> Proto.ProposeRunCompletionMessage? in
            if case .proposeRunCompletion(let proposal) = message { return proposal }
            return nil
        }.first
        #expect(proposal?.value == Data("42".utf8))
        let replayed = try await run(
            "runText",
            Frames.journal(
                input: "\"\"",
                [
                    .runCommand(
                        .with {
                            $0.resultCompletionID = 1; $0.name = "pick"
                        }
                    ),
                    Frames.completion(.runCompletionNotification, 1, json: "7"),
                ],
                key: "k"
            )
        )
        #expect(outputJSON(replayed) == "7")
    }

    @Test("an awakeable decodes its payload with the serde")
    func awakeableWithSerde() async throws {
        let messages = try await run(
            "awakeText",
            Frames.journal(input: "\"\"", [Frames.signal(17, json: "99")], key: "k")
        )
        #expect(outputJSON(messages) == "99")
    }
}

/// The scalar fast path of the shared JSON coder must give Foundation's bytes and values, and
/// leave everything else to Foundation.
@Suite("JSON scalars without Foundation's coder")
struct ScalarJSONTests {
    private let foundation: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    @Test(
        "strings encode to Foundation's bytes and decode back",
        arguments: ["", "Till", "a/b", "Grüße 👋", "quote \" inside", "back\\slash", "tab\tand\nnewline", "\u{7f}"]
    )
    func strings(_ value: String) throws {
        let data = try JSONCoding.encode(value)
        #expect(data == (try foundation.encode(value)))
        #expect(try JSONCoding.decode(String.self, from: data) == value)
    }

    @Test("integers encode to Foundation's bytes and decode back", arguments: [0, 1, -1, 42, Int.max, Int.min])
    func integers(_ value: Int) throws {
        let data = try JSONCoding.encode(value)
        #expect(data == (try foundation.encode(value)))
        #expect(try JSONCoding.decode(Int.self, from: data) == value)
    }

    @Test("what the fast path does not take still decodes (or fails) as Foundation does")
    func fallbacks() throws {
        #expect(try JSONCoding.decode(String.self, from: Data(#"  "x"  "#.utf8)) == "x")
        #expect(try JSONCoding.decode(String.self, from: Data(#""\u00e9\n""#.utf8)) == "é\n")
        #expect(try JSONCoding.decode(Int.self, from: Data(" 7 ".utf8)) == 7)
        #expect(try JSONCoding.decode(Int.self, from: Data("1e2".utf8)) == 100)
        #expect(ScalarJSON.decodeInt(Data("01".utf8)) == nil)
        #expect(ScalarJSON.decodeInt(Data("-".utf8)) == nil)
        #expect(ScalarJSON.decodeInt(Data("9223372036854775808".utf8)) == nil)
        #expect(ScalarJSON.decodeString(Data([0x22, 0xff, 0x22])) == nil)
        #expect(throws: (any Error).self) { try JSONCoding.decode(String.self, from: Data([0x22, 0xff, 0x22])) }
        #expect(throws: (any Error).self) { try JSONCoding.decode(Int.self, from: Data("9223372036854775808".utf8)) }
        #expect(throws: (any Error).self) { try JSONCoding.decode(Int.self, from: Data("\"7\"".utf8)) }
    }
}
