import Testing

@testable import RestateCore

@Suite("ManifestVersion")
struct ManifestVersionTests {
    static let v1 = "application/vnd.restate.endpointmanifest.v1+json"
    static let v2 = "application/vnd.restate.endpointmanifest.v2+json"
    static let v3 = "application/vnd.restate.endpointmanifest.v3+json"
    static let v4 = "application/vnd.restate.endpointmanifest.v4+json"

    @Test("content types", arguments: ManifestVersion.allCases)
    func contentTypes(version: ManifestVersion) {
        #expect(version.contentType == "application/vnd.restate.endpointmanifest.v\(version.rawValue)+json")
        #expect(ManifestVersion(contentType: version.contentType) == version)
    }

    @Test(
        "negotiation picks the highest common version of v2…v4",
        arguments: [
            // What runtimes send (1.5+, 1.4, 1.2/1.3, 1.0/1.1).
            ("\(v1), \(v2), \(v3), \(v4)", ManifestVersion.v4),
            ("\(v1), \(v2), \(v3)", .v3),
            ("\(v1), \(v2)", .v2),
            (v1, nil),
            // Order, whitespace, case, parameters.
            ("\(v4),\(v2)", .v4),
            ("  \(v3)  ,\t\(v2)", .v3),
            ("APPLICATION/VND.RESTATE.ENDPOINTMANIFEST.V3+JSON", .v3),
            ("\(v2); charset=utf-8, \(v3) ;q=0.5", .v3),
            ("\(v4);q=0, \(v3)", .v3),
            ("\(v4); Q = 0.0 , \(v2)", .v2),
            ("\(v4);q=0.001", .v4),
            // Unknown or future versions and wildcards are not ours to pick.
            ("application/vnd.restate.endpointmanifest.v5+json, \(v3)", .v3),
            ("application/vnd.restate.endpointmanifest.v5+json", nil),
            ("*/*", nil),
            ("application/*", nil),
            ("application/json", nil),
            ("", nil),
            (",,,", nil),
            ("\(v3)x", nil),
            ("application/vnd.restate.endpointmanifest.v3", nil),
        ]
    )
    func negotiate(accept: String, expected: ManifestVersion?) {
        #expect(ManifestVersion.negotiate(accept: accept) == expected)
    }

    @Test("a missing Accept header negotiates nothing")
    func missingAccept() {
        #expect(ManifestVersion.negotiate(accept: nil) == nil)
    }
}
