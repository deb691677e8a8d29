import NIOCore

/// One protocol frame: its header and its still-encoded payload.
///
/// The payload is a slice of the bytes that arrived from the network; decoding it into a typed
/// message is a separate step (``ProtocolMessage/init(frame:version:)``).
public struct Frame: Hashable, Sendable {
    public var header: FrameHeader
    public var payload: ByteBuffer

    public init(header: FrameHeader, payload: ByteBuffer) {
        self.header = header
        self.payload = payload
    }

    public var type: MessageType { header.type }
}

/// Splits a byte stream into protocol frames, however the stream is chunked.
///
/// Feed chunks with ``append(_:)`` as they arrive and pull frames with ``next()`` until it returns
/// `nil`; call ``finish()`` at the end of the stream to detect a truncated frame. Frames are
/// slices of the input, never copies, when a chunk holds whole frames. The decoder never reserves
/// memory for an announced length: a header that announces more than ``maximumMessageSize`` is
/// rejected as soon as its 8 bytes are in.
public struct FrameDecoder: Sendable {
    /// The default limit on a payload, 32 MiB, the runtime's default `message-size-limit`.
    public static let defaultMaximumMessageSize = 32 * 1024 * 1024

    /// The largest payload accepted, in bytes.
    public let maximumMessageSize: Int

    private var buffer: ByteBuffer?

    public init(maximumMessageSize: Int = FrameDecoder.defaultMaximumMessageSize) {
        precondition(maximumMessageSize >= 0, "maximumMessageSize must not be negative")
        self.maximumMessageSize = maximumMessageSize
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedBytes: Int { buffer?.readableBytes ?? 0 }

    /// Adds the next chunk of the stream.
    public mutating func append(_ chunk: ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        if var existing = buffer, existing.readableBytes > 0 {
            // Only a frame split across chunks is copied; the common case adopts the chunk as is.
            buffer = nil
            existing.discardReadBytes()
            var chunk = chunk
            existing.writeBuffer(&chunk)
            buffer = existing
        } else {
            buffer = chunk
        }
    }

    /// Returns the next complete frame, or `nil` until more bytes arrive.
    ///
    /// - Throws: ``WireError`` with ``WireError/Kind/messageTooLarge(type:length:limit:)`` when a
    ///   header announces a payload over the limit. The decoder is then unusable.
    public mutating func next() throws(WireError) -> Frame? {
        guard var current = buffer, let header = current.getFrameHeader(at: current.readerIndex) else {
            return nil
        }
        guard Int(header.length) <= maximumMessageSize else {
            throw WireError(.messageTooLarge(type: header.type, length: header.length, limit: maximumMessageSize))
        }
        let frameSize = FrameHeader.size + Int(header.length)
        guard current.readableBytes >= frameSize else { return nil }
        buffer = nil  // keep the storage uniquely referenced while slicing
        current.moveReaderIndex(forwardBy: FrameHeader.size)
        // The guard above proved the bytes are there, so the slice cannot fail.
        let payload = current.readSlice(length: Int(header.length))!
        buffer = current.readableBytes > 0 ? current : nil
        return Frame(header: header, payload: payload)
    }

    /// Declares the end of the stream.
    ///
    /// - Throws: ``WireError/Kind/truncatedFrame(expected:received:)`` when bytes of an incomplete
    ///   frame are left over.
    public func finish() throws(WireError) {
        guard let buffer, buffer.readableBytes > 0 else { return }
        let expected = buffer.getFrameHeader(at: buffer.readerIndex).map { FrameHeader.size + Int($0.length) }
        throw WireError(.truncatedFrame(expected: expected ?? FrameHeader.size, received: buffer.readableBytes))
    }
}
