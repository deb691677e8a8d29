import NIOCore
import Testing

@testable import RestateHTTP2

@Suite("ChunkQueue")
struct ChunkQueueTests {
    private func chunk(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    private func drain(_ queue: inout ChunkQueue) -> [String] {
        var out: [String] = []
        while let next = queue.popFirst() { out.append(String(buffer: next)) }
        return out
    }

    @Test("chunks come out in the order they went in, across the inline first slot and the overflow")
    func order() {
        var queue = ChunkQueue()
        #expect(queue.isEmpty)
        #expect(queue.popFirst() == nil)
        for text in ["a", "b", "c", "d", "e", "f"] { queue.append(chunk(text)) }
        #expect(!queue.isEmpty)
        #expect(queue.popFirst().map { String(buffer: $0) } == "a")
        queue.append(chunk("g"))
        #expect(drain(&queue) == ["b", "c", "d", "e", "f", "g"])
        #expect(queue.isEmpty)
    }

    @Test("prepend puts a chunk before everything queued, also when the queue is empty")
    func prepend() {
        var queue = ChunkQueue()
        queue.prepend(chunk("x"))
        #expect(drain(&queue) == ["x"])
        queue.append(chunk("b"))
        queue.append(chunk("c"))
        queue.prepend(chunk("a"))
        #expect(drain(&queue) == ["a", "b", "c"])
    }

    @Test("removeAll empties the queue, and it works again afterwards")
    func removeAll() {
        var queue = ChunkQueue()
        for text in ["a", "b", "c"] { queue.append(chunk(text)) }
        queue.removeAll()
        #expect(queue.isEmpty)
        #expect(queue.popFirst() == nil)
        queue.append(chunk("d"))
        queue.append(chunk("e"))
        #expect(drain(&queue) == ["d", "e"])
    }
}
