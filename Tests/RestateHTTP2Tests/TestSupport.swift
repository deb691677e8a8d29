import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import RestateHTTP2

/// Command-line clients from nghttp2 (apt `nghttp2-client`), found on `PATH`.
enum Tools {
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static let nghttp = find("nghttp")
    static let h2load = find("h2load")
}

struct ProcessResult {
    var status: Int32
    var stdout: Data
    var stderr: String

    var text: String { String(decoding: self.stdout, as: UTF8.self) }
}

/// Runs a program to completion; output goes through temporary files so a large body cannot fill
/// a pipe and stall the child.
func runProcess(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    let directory = FileManager.default.temporaryDirectory
    let stdoutURL = directory.appendingPathComponent("restate-http2-\(UUID().uuidString).out")
    let stderrURL = directory.appendingPathComponent("restate-http2-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: stdoutURL)
        try? FileManager.default.removeItem(at: stderrURL)
    }
    let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
    let stderrHandle = try FileHandle(forWritingTo: stderrURL)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = stdoutHandle
    process.standardError = stderrHandle
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
    try stdoutHandle.close()
    try stderrHandle.close()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: try Data(contentsOf: stdoutURL),
        stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self)
    )
}

func temporaryFile(_ bytes: [UInt8]) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("restate-http2-\(UUID().uuidString).bin")
    try Data(bytes).write(to: url)
    return url
}

/// Binds a server on 127.0.0.1:0, runs `body`, and shuts the server down whatever happens.
func withServer<Result>(
    configuration: HTTP2Server.Configuration = .defaults,
    handler: @escaping HTTP2Server.Handler,
    _ body: (HTTP2Server) async throws -> Result
) async throws -> Result {
    let server = try await HTTP2Server.bind(host: "127.0.0.1", port: 0, configuration: configuration, handler: handler)
    do {
        let result = try await body(server)
        await server.shutdown(gracePeriod: .seconds(1))
        return result
    } catch {
        await server.shutdown(gracePeriod: .seconds(1))
        throw error
    }
}

/// Echoes the request: status 200, `x-method` and `x-path` headers, then the body as it arrives.
let echoHandler: HTTP2Server.Handler = { head, body, writer in
    try await writer.writeHead(
        status: 200,
        headers: [("x-method", head.method), ("x-path", head.path), ("x-transport", "\(head.transport)")]
    )
    for try await chunk in body {
        try await writer.write(chunk)
    }
    try await writer.finish()
}

/// A one-shot signal a test can await and a handler can fire (or the other way round).
final class Signal: Sendable {
    private let state = NIOLockedValueBox<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func fire() {
        let waiters = self.state.withLockedValue { state in
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let fired = self.state.withLockedValue { state in
                if !state.fired { state.waiters.append(continuation) }
                return state.fired
            }
            if fired { continuation.resume() }
        }
    }
}

/// A plain TCP connection to the server, as bytes in and out.
func connectRaw(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
}

/// A raw TCP exchange: sends `bytes`, then collects everything until the server closes.
func rawExchange(port: Int, send bytes: [UInt8]) async throws -> [UInt8] {
    let channel = try await connectRaw(port: port)
    return try await channel.executeThenClose { inbound, outbound in
        if !bytes.isEmpty {
            try await outbound.write(ByteBuffer(bytes: bytes))
        }
        var received: [UInt8] = []
        do {
            for try await chunk in inbound {
                received += chunk.readableBytesView
            }
        } catch {
            // A reset after the server's answer still counts as the end of the exchange.
        }
        return received
    }
}

/// An HTTP/2 client on swift-nio-http2, for cases the CLI tools cannot express precisely.
struct H2TestClient: Sendable {
    typealias Stream = NIOAsyncChannel<HTTP2Frame.FramePayload, HTTP2Frame.FramePayload>

    let channel: any Channel
    let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>
    /// Succeeds when the server's GOAWAY arrives.
    let goAway: EventLoopFuture<Void>
    /// Bytes handed to the socket so far: what the server's flow-control windows let through.
    let bytesSent: ByteCount
    /// Frames as they arrive on the socket, before nio-http2 interprets them.
    let sniffer: FrameSniffer

    static func connect(port: Int) async throws -> H2TestClient {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .client) {
                        $0.eventLoop.makeSucceededVoidFuture()
                    }
                    let promise = channel.eventLoop.makePromise(of: Void.self)
                    try channel.pipeline.syncOperations.addHandler(GoAwayWatcher(promise: promise))
                    let count = ByteCount()
                    try channel.pipeline.syncOperations.addHandler(OutboundByteCounter(count: count), position: .first)
                    let sniffer = FrameSniffer()
                    try channel.pipeline.syncOperations.addHandler(
                        InboundFrameSniffer(sniffer: sniffer),
                        position: .first
                    )
                    return H2TestClient(
                        channel: channel,
                        multiplexer: multiplexer,
                        goAway: promise.futureResult,
                        bytesSent: count,
                        sniffer: sniffer
                    )
                }
            }
    }

    func openStream() async throws -> Stream {
        try await self.multiplexer.openStream { channel in
            channel.eventLoop.makeCompletedFuture {
                try Stream(wrappingChannelSynchronously: channel)
            }
        }
    }

    /// Sends a PING and returns when its ACK arrived: by then the server has processed every byte
    /// sent before it and everything it queued in reply is here.
    func ping() async throws {
        let acks = self.sniffer.pingAcks
        try await self.channel.writeAndFlush(
            HTTP2Frame(streamID: .rootStream, payload: .ping(HTTP2PingData(withInteger: 42), ack: false))
        )
        await self.sniffer.waitForPingAcks(acks + 1)
    }

    func close() async {
        try? await self.channel.close()
    }

    /// Sends a bodyless GET on a new stream and collects the response: its header blocks, its
    /// body as text, and whether it ended with END_STREAM.
    func get(_ path: String) async throws -> (headers: [HPACKHeaders], body: String, ended: Bool) {
        try await self.openStream().executeThenClose { inbound, outbound in
            try await outbound.write(
                .headers(.init(headers: H2TestClient.requestHeaders(method: "GET", path: path), endStream: true))
            )
            var response: (headers: [HPACKHeaders], body: String, ended: Bool) = ([], "", false)
            for try await frame in inbound {
                if case .headers(let headers) = frame { response.headers.append(headers.headers) }
                if let buffer = frame.dataBuffer { response.body += String(buffer: buffer) }
                response.ended = response.ended || frame.endsStream
            }
            return response
        }
    }

    /// The body of a response, as text, until the stream ends.
    static func body(of inbound: NIOAsyncChannelInboundStream<HTTP2Frame.FramePayload>) async throws -> String {
        var body = ""
        for try await frame in inbound {
            if let buffer = frame.dataBuffer { body += String(buffer: buffer) }
        }
        return body
    }

    static func requestHeaders(method: String = "POST", path: String) -> HPACKHeaders {
        [":method": method, ":path": path, ":scheme": "http", ":authority": "localhost"]
    }
}

final class ByteCount: Sendable {
    private let bytes = NIOLockedValueBox(0)

    var value: Int { self.bytes.withLockedValue { $0 } }

    func add(_ count: Int) {
        self.bytes.withLockedValue { $0 += count }
    }
}

private final class OutboundByteCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let count: ByteCount

    init(count: ByteCount) {
        self.count = count
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.count.add(self.unwrapOutboundIn(data).readableBytes)
        context.write(data, promise: promise)
    }
}

/// Counts frames on the raw inbound byte stream.
final class FrameSniffer: Sendable {
    private struct State {
        var streamWindowUpdates = 0
        var pingAcks = 0
        var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
    }

    private let state = NIOLockedValueBox(State())

    /// WINDOW_UPDATE frames on streams other than 0.
    var streamWindowUpdates: Int { self.state.withLockedValue { $0.streamWindowUpdates } }
    var pingAcks: Int { self.state.withLockedValue { $0.pingAcks } }

    func saw(type: UInt8, flags: UInt8, streamID: UInt32) {
        let ready: [CheckedContinuation<Void, Never>] = self.state.withLockedValue { state in
            if type == 0x8 && streamID != 0 { state.streamWindowUpdates += 1 }
            guard type == 0x6 && flags & 0x1 != 0 else { return [] }
            state.pingAcks += 1
            let acks = state.pingAcks
            let ready = state.waiters.filter { $0.0 <= acks }.map(\.1)
            state.waiters.removeAll { $0.0 <= acks }
            return ready
        }
        for waiter in ready { waiter.resume() }
    }

    func waitForPingAcks(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = self.state.withLockedValue { state in
                if state.pingAcks >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }
}

private final class InboundFrameSniffer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let sniffer: FrameSniffer
    private var pending = ByteBuffer()

    init(sniffer: FrameSniffer) {
        self.sniffer = sniffer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        self.pending.writeBuffer(&incoming)
        while self.pending.readableBytes >= 9,
            let length = self.pending.getInteger(at: self.pending.readerIndex, as: UInt32.self).map({ Int($0 >> 8) }),
            self.pending.readableBytes >= 9 + length,
            let type = self.pending.getInteger(at: self.pending.readerIndex + 3, as: UInt8.self),
            let flags = self.pending.getInteger(at: self.pending.readerIndex + 4, as: UInt8.self),
            let stream = self.pending.getInteger(at: self.pending.readerIndex + 5, as: UInt32.self)
        {
            self.sniffer.saw(type: type, flags: flags, streamID: stream & 0x7FFF_FFFF)
            self.pending.moveReaderIndex(forwardBy: 9 + length)
        }
        self.pending.discardReadBytes()
        context.fireChannelRead(data)
    }
}

private final class GoAwayWatcher: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame

    let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .goAway = self.unwrapInboundIn(data).payload {
            self.promise.succeed()
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}

extension HTTP2Frame.FramePayload {
    var status: String? {
        if case .headers(let headers) = self { return headers.headers.first(name: ":status") }
        return nil
    }

    var dataBuffer: ByteBuffer? {
        if case .data(let data) = self, case .byteBuffer(let buffer) = data.data { return buffer }
        return nil
    }

    var endsStream: Bool {
        switch self {
        case .headers(let headers): headers.endStream
        case .data(let data): data.endStream
        default: false
        }
    }
}

/// One HTTP/2 frame as it came off the wire: its header and payload.
struct RawFrame: Equatable {
    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: [UInt8]
}

/// The whole frames at the start of `bytes` (a trailing partial frame is left out).
func rawFrames(in bytes: [UInt8]) -> [RawFrame] {
    var frames: [RawFrame] = []
    var index = 0
    while index + 9 <= bytes.count {
        let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
        guard index + 9 + length <= bytes.count else { break }
        let stream = bytes[index + 5..<index + 9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7FFF_FFFF
        frames.append(
            RawFrame(
                type: bytes[index + 3],
                flags: bytes[index + 4],
                stream: stream,
                payload: Array(bytes[index + 9..<index + 9 + length])
            )
        )
        index += 9 + length
    }
    return frames
}

/// Sends `bytes` on a new connection in one write, then reads frames until `done` says so (or
/// the server closes), and closes.
func rawFrameExchange(port: Int, send bytes: [UInt8], until done: ([RawFrame]) -> Bool) async throws -> [RawFrame] {
    let channel = try await connectRaw(port: port)
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(bytes: bytes))
        var received: [UInt8] = []
        for try await chunk in inbound {
            received += chunk.readableBytesView
            if done(rawFrames(in: received)) { break }
        }
        return rawFrames(in: received)
    }
}

/// The types of the whole frames in `bytes`.
func frameTypes(in bytes: [UInt8]) -> [UInt8] {
    rawFrames(in: bytes).map(\.type)
}
