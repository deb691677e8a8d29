import Testing

@testable import RestateCore

@Suite("ProtocolVersion")
struct ProtocolVersionTests {
    @Test(
        "parses supported invocation content types",
        arguments: [
            ("application/vnd.restate.invocation.v5", ProtocolVersion.v5),
            ("application/vnd.restate.invocation.v6", .v6),
            ("application/vnd.restate.invocation.v7", .v7),
            ("Application/Vnd.Restate.Invocation.V7", .v7),
            ("  application/vnd.restate.invocation.v6 ; charset=utf-8", .v6),
        ]
    )
    func parses(contentType: String, expected: ProtocolVersion) {
        #expect(ProtocolVersion(contentType: contentType) == expected)
    }

    @Test(
        "rejects missing, unsupported and malformed content types",
        arguments: [
            nil,
            "",
            "application/json",
            "application/vnd.restate.invocation.v4",
            "application/vnd.restate.invocation.v8",
            "application/vnd.restate.invocation.v",
            "application/vnd.restate.invocation.v6x",
            "application/vnd.restate.invocation.v-6",
            "application/vnd.restate.invocation.v0006",
            "application/vnd.restate.endpointmanifest.v3+json",
        ] as [String?]
    )
    func rejects(contentType: String?) {
        #expect(ProtocolVersion(contentType: contentType) == nil)
    }

    @Test("content type round-trips for every version")
    func contentTypeRoundTrip() {
        for version in ProtocolVersion.allCases {
            #expect(ProtocolVersion(contentType: version.contentType) == version)
            #expect(version.contentType == "application/vnd.restate.invocation.v\(version.rawValue)")
        }
        #expect(ProtocolVersion.v6.contentType == "application/vnd.restate.invocation.v6")
        #expect(ProtocolVersion.minimum == .v5)
        #expect(ProtocolVersion.maximum == .v7)
    }
}
