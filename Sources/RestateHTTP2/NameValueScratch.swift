import CNghttp2

/// The `nghttp2_nv` array of a response head or trailers, built in memory reused for every head of
/// a connection.
///
/// nghttp2 copies names and values during `nghttp2_submit_*`, so one buffer for all of them and
/// one array of entries, both kept and grown as needed, are enough: building a head is then a few
/// copies of bytes, where a `ByteBuffer` paid bounds, uniqueness and exclusivity checks per write
/// (4 % of the server's CPU on small responses). Used only on the connection's event loop.
///
/// Names are lowercased; connection-specific fields, which HTTP/2 forbids (RFC 9113 §8.2.2),
/// are dropped.
final class NameValueScratch {
    private var bytes: UnsafeMutableRawPointer
    private var byteCapacity: Int
    private var entries: UnsafeMutablePointer<nghttp2_nv>
    private var entryCapacity: Int

    init() {
        self.byteCapacity = 512
        self.bytes = .allocate(byteCount: self.byteCapacity, alignment: 8)
        self.entryCapacity = 16
        self.entries = .allocate(capacity: self.entryCapacity)
    }

    deinit {
        self.bytes.deallocate()
        self.entries.deallocate()
    }

    /// Calls `body` with `headers` (and `:status` first, if given) as an `nghttp2_nv` array.
    func withNameValues<Result>(
        status: Int?,
        headers: HeaderFields,
        _ body: (UnsafePointer<nghttp2_nv>, Int) -> Result
    ) -> Result {
        var needed = 10
        for field in headers { needed += field.name.utf8.count + field.value.utf8.count }
        if needed > self.byteCapacity {
            self.bytes.deallocate()
            self.byteCapacity = max(needed, self.byteCapacity * 2)
            self.bytes = .allocate(byteCount: self.byteCapacity, alignment: 8)
        }
        if headers.count + 1 > self.entryCapacity {
            self.entries.deallocate()
            self.entryCapacity = max(headers.count + 1, self.entryCapacity * 2)
            self.entries = .allocate(capacity: self.entryCapacity)
        }
        let base = self.bytes.assumingMemoryBound(to: UInt8.self)
        var offset = 0
        var count = 0
        if let status {
            let value = min(max(status, 100), 999)
            // A literal's bytes straight from the binary: iterating `":status".utf8` went through
            // the generic sequence path (1 % of the echo server's CPU).
            let name: StaticString = ":status"
            base.update(from: name.utf8Start, count: 7)
            base[7] = UInt8(48 + value / 100)
            base[8] = UInt8(48 + value / 10 % 10)
            base[9] = UInt8(48 + value % 10)
            self.entries[0] = Self.entry(base, name: 0, 7, value: 7, 3)
            offset = 10
            count = 1
        }
        for field in headers {
            let nameStart = offset
            offset += Self.copy(field.name, to: base + offset)
            let nameLength = offset - nameStart
            for index in nameStart..<offset { base[index] = base[index].asciiLowercased }
            if Self.isConnectionSpecific(UnsafeBufferPointer(start: base + nameStart, count: nameLength)) {
                offset = nameStart
                continue
            }
            let valueStart = offset
            offset += Self.copy(field.value, to: base + offset)
            self.entries[count] = Self.entry(base, name: nameStart, nameLength, value: valueStart, offset - valueStart)
            count += 1
        }
        return body(self.entries, count)
    }

    private static func entry(
        _ base: UnsafeMutablePointer<UInt8>,
        name: Int,
        _ nameLength: Int,
        value: Int,
        _ valueLength: Int
    ) -> nghttp2_nv {
        nghttp2_nv(
            name: base + name,
            value: base + value,
            namelen: nameLength,
            valuelen: valueLength,
            flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
        )
    }

    /// Copies the UTF-8 of `string` to `destination`; returns its length.
    private static func copy(_ string: String, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        var string = string
        return string.withUTF8 { source in
            guard let start = source.baseAddress else { return 0 }
            destination.update(from: start, count: source.count)
            return source.count
        }
    }

    /// RFC 9113 §8.2.2, for a lowercased name. Lengths first: most names match none of them.
    private static func isConnectionSpecific(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        switch name.count {
        case 7: name.elementsEqual("upgrade".utf8)
        case 10: name.elementsEqual("connection".utf8) || name.elementsEqual("keep-alive".utf8)
        case 16: name.elementsEqual("proxy-connection".utf8)
        case 17: name.elementsEqual("transfer-encoding".utf8)
        default: false
        }
    }
}

extension UInt8 {
    /// The byte with an ASCII capital letter folded to lowercase; any other byte as it is.
    var asciiLowercased: UInt8 { self >= 65 && self <= 90 ? self | 0x20 : self }
}
