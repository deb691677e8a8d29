import CNghttp2

/// The `String`s of a connection's recent request header fields, found again by nghttp2's buffers.
///
/// HPACK lets a peer send a field it sent before as an index into its table, and nghttp2 then hands
/// out the very reference-counted buffer (`nghttp2_rcbuf`) of that table entry (static-table
/// entries have fixed buffers). A peer such as the Restate runtime sends the same content type,
/// scheme, authority and protocol headers on every request, so their strings are made once per
/// connection instead of once per request: no UTF-8 validation and, for values longer than 15
/// bytes, no allocation.
///
/// One slot per field name (matched by the name's buffer), holding the last value seen for it: a
/// field whose value changes each time (`:path`, literal values) only replaces its own slot. Each
/// cached buffer is retained (`nghttp2_rcbuf_incref`), so its address cannot be reused for other
/// bytes while the cache compares against it; ``removeAll()`` releases them and must run before the
/// session is deleted.
struct HeaderStringCache {
    private struct Entry {
        var name: OpaquePointer
        var value: OpaquePointer
        var nameString: String
        var valueString: String
    }

    /// Enough for the fields one client sends; beyond it the oldest slot is reused.
    private static let capacity = 24

    private var entries: [Entry] = []
    /// The slot to reuse next once all are taken.
    private var victim = 0
    /// Where the next field is looked for first: the slot after the last one found. A client sends
    /// its fields in the same order on every request, so this is usually the one, and the lookup
    /// costs one comparison instead of a scan.
    private var expected = 0

    /// The strings for a field, from the cache or made now (and remembered).
    mutating func strings(name: OpaquePointer, value: OpaquePointer) -> (name: String, value: String) {
        if self.expected < self.entries.count, self.entries[self.expected].name == name {
            return self.strings(at: self.expected, value: value)
        }
        for index in self.entries.indices where self.entries[index].name == name {
            return self.strings(at: index, value: value)
        }
        let entry = Entry(name: name, value: value, nameString: Self.string(name), valueString: Self.string(value))
        nghttp2_rcbuf_incref(name)
        nghttp2_rcbuf_incref(value)
        if self.entries.count < Self.capacity {
            if self.entries.isEmpty { self.entries.reserveCapacity(Self.capacity) }
            self.entries.append(entry)
            self.expected = self.entries.count
        } else {
            Self.release(self.entries[self.victim])
            self.entries[self.victim] = entry
            self.victim = (self.victim + 1) % Self.capacity
            self.expected = self.victim
        }
        return (entry.nameString, entry.valueString)
    }

    /// The strings of the slot at `index`, whose name matched, with its value made anew if the
    /// value's buffer is another.
    private mutating func strings(at index: Int, value: OpaquePointer) -> (name: String, value: String) {
        self.expected = index + 1
        if self.entries[index].value == value {
            return (self.entries[index].nameString, self.entries[index].valueString)
        }
        let valueString = Self.string(value)
        nghttp2_rcbuf_incref(value)
        nghttp2_rcbuf_decref(self.entries[index].value)
        self.entries[index].value = value
        self.entries[index].valueString = valueString
        return (self.entries[index].nameString, valueString)
    }

    /// Releases every cached buffer.
    mutating func removeAll() {
        for entry in self.entries { Self.release(entry) }
        self.entries.removeAll()
        self.victim = 0
        self.expected = 0
    }

    private static func release(_ entry: Entry) {
        nghttp2_rcbuf_decref(entry.name)
        nghttp2_rcbuf_decref(entry.value)
    }

    private static func string(_ buffer: OpaquePointer) -> String {
        let vector = nghttp2_rcbuf_get_buf(buffer)
        return String(decoding: UnsafeRawBufferPointer(start: vector.base, count: vector.len), as: UTF8.self)
    }
}
