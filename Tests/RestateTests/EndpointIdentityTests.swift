import Foundation
import NIOCore
import RestateCore
import RestateHTTP2
import Testing

@testable import Restate

@Suite("Endpoint request identity")
struct EndpointIdentityTests {
    let signer = TestSigner()

    private func makeHandler() throws -> EndpointHandler {
        var endpoint = Endpoint(configuration: .init(identityKeys: [signer.identityKey]))
        endpoint.bind(Greeter.self)
        return try endpoint.makeHandler()
    }

    private var now: Int64 { Int64(Date().timeIntervalSince1970) }

    @Test("a request signed for its path is served")
    func accepted() async throws {
        let token = try signer.token(audience: "/invoke/Greeter/greet", now: now)
        let headers =
            [("content-type", ProtocolVersion.v6.contentType)] + signedHeaders(token).map { ($0.name, $0.value) }
        let sink = try await makeHandler().invoke(
            "Greeter",
            "greet",
            messages: [Frames.start(knownEntries: 1), Frames.input("\"x\"")],
            headers: headers
        )
        #expect(sink.recorded.status == 200)
        #expect(try sink.messages(version: .v6).last == .end)
    }

    @Test("unsigned, wrongly signed, expired and wrong-audience requests get 401")
    func rejected() async throws {
        let handler = try makeHandler()
        let other = TestSigner()
        let cases: [(String, [(String, String)])] = [
            ("unsigned", []),
            (
                "other key",
                signedHeaders(try other.token(audience: "/invoke/Greeter/greet", now: now)).map { ($0.name, $0.value) }
            ),
            (
                "expired",
                signedHeaders(try signer.token(audience: "/invoke/Greeter/greet", now: now - 3_600)).map {
                    ($0.name, $0.value)
                }
            ),
            (
                "wrong audience",
                signedHeaders(try signer.token(audience: "/discover", now: now)).map { ($0.name, $0.value) }
            ),
        ]
        for (name, identity) in cases {
            let sink = try await handler.invoke(
                "Greeter",
                "greet",
                messages: [Frames.start(knownEntries: 1), Frames.input("\"x\"")],
                headers: [("content-type", ProtocolVersion.v6.contentType)] + identity
            )
            #expect(sink.recorded.status == 401, "\(name)")
            #expect(sink.text.hasPrefix("Unauthorized"), "\(name)")
        }
    }

    @Test("discovery needs a signature too; health does not")
    func discoveryAndHealth() async throws {
        let handler = try makeHandler()
        let accept = ("accept", "application/vnd.restate.endpointmanifest.v4+json")
        #expect(await handler.get("/discover", headers: [accept]).recorded.status == 401)
        let token = try signer.token(audience: "/discover", now: now)
        let signed = await handler.get(
            "/discover",
            headers: [accept] + signedHeaders(token).map { ($0.name, $0.value) }
        )
        #expect(signed.recorded.status == 200)
        #expect(await handler.get("/health").recorded.status == 200)
    }
}
