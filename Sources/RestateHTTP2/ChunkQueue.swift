import NIOCore

/// A first-in first-out queue of buffers that keeps its first buffer inline.
///
/// Most request and response bodies are one chunk. A `CircularBuffer` allocates its storage when it
/// is created, which cost an allocation per stream on each side; this queue allocates one only
/// when a second chunk waits behind the first.
struct ChunkQueue {
    private var first: ByteBuffer?
    /// The chunks behind `first`; `nil` until a second one arrives.
    private var rest: CircularBuffer<ByteBuffer>?

    var isEmpty: Bool { self.first == nil }

    mutating func append(_ chunk: ByteBuffer) {
        if self.first == nil {
            self.first = chunk
        } else if self.rest == nil {
            self.rest = CircularBuffer(initialCapacity: 4)
            self.rest!.append(chunk)
        } else {
            self.rest!.append(chunk)
        }
    }

    mutating func prepend(_ chunk: ByteBuffer) {
        if let first = self.first {
            if self.rest == nil { self.rest = CircularBuffer(initialCapacity: 4) }
            self.rest!.prepend(first)
        }
        self.first = chunk
    }

    mutating func popFirst() -> ByteBuffer? {
        guard let first = self.first else { return nil }
        self.first = self.rest?.popFirst()
        return first
    }

    mutating func removeAll() {
        self.first = nil
        self.rest = nil
    }
}
