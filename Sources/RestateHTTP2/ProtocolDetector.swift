import NIOCore
import NIOHTTP1

/// Looks at the first bytes of a connection and installs the HTTP/2 (nghttp2) or the HTTP/1.1
/// (NIOHTTP1) pipeline, then removes itself and replays the bytes it held.
///
/// The HTTP/2 client preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) cannot start a valid HTTP/1.1
/// request, so a byte-wise prefix check decides as soon as the first differing byte arrives.
/// Anything that is not the preface, garbage included, goes to NIOHTTP1, which answers malformed
/// input with `400 Bad Request` and closes.
final class ProtocolDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let configuration: HTTP2Server.Configuration
    private let tracker: ServerTracker
    private let handler: HTTP2Server.Handler
    private var buffered: ByteBuffer?

    init(configuration: HTTP2Server.Configuration, tracker: ServerTracker, handler: @escaping HTTP2Server.Handler) {
        self.configuration = configuration
        self.tracker = tracker
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        if self.buffered == nil {
            self.buffered = incoming
        } else {
            self.buffered?.writeBuffer(&incoming)
        }
        guard let buffered = self.buffered else { return }

        let checked = min(buffered.readableBytes, Self.preface.count)
        let matches = buffered.readableBytesView.prefix(checked).elementsEqual(Self.preface.prefix(checked))
        if matches && checked < Self.preface.count {
            return  // wait for the rest of the preface
        }
        self.buffered = nil
        do {
            let sync = context.pipeline.syncOperations
            if matches {
                try sync.addHandler(
                    NGHTTP2ConnectionHandler(
                        configuration: self.configuration,
                        tracker: self.tracker,
                        handler: self.handler
                    )
                )
            } else {
                try sync.configureHTTPServerPipeline(withErrorHandling: true)
                try sync.addHandler(
                    HTTP1ConnectionHandler(
                        configuration: self.configuration,
                        tracker: self.tracker,
                        handler: self.handler
                    )
                )
            }
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(self.wrapInboundOut(buffered))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.buffered = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Before the protocol is known there is no request to finish: shutdown or idleness closes.
        if event is ChannelShouldQuiesceEvent || event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
