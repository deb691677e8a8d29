import RestateHTTP2
import Testing

@Suite struct HeaderFieldsTests {
    @Test("lookup ignores ASCII case and keeps order", arguments: ["content-type", "Content-Type", "CONTENT-TYPE"])
    func lookup(_ name: String) {
        let headers: HeaderFields = [("content-type", "a"), ("x-other", "b"), ("Content-Type", "c")]
        #expect(headers[name] == "a")
        #expect(headers.values(for: name) == ["a", "c"])
    }

    @Test("a missing or merely similar name finds nothing")
    func missing() {
        let headers: HeaderFields = [("content-type", "a")]
        #expect(headers["content-typ"] == nil)
        #expect(headers["content-type "] == nil)
        #expect(headers.values(for: "accept").isEmpty)
        // Only ASCII letters fold; other bytes must match exactly.
        let accented: HeaderFields = [("x-é", "a")]
        #expect(accented["x-É"] == nil)
        #expect(accented["X-é"] == "a")
    }
}
