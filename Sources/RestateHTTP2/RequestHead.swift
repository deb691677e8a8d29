import NIOCore

/// The head of one request: method, target, authority and header fields.
///
/// The same type describes an HTTP/2 stream and an HTTP/1.1 request, so that code above the
/// transport does not care which one the peer chose; ``transport`` says which it was, because the
/// Restate protocol mode depends on it (bidirectional streaming needs HTTP/2).
public struct RequestHead: Sendable {
    /// The HTTP version the request arrived on.
    public enum Transport: Sendable, Hashable {
        /// HTTP/2 with prior knowledge (h2c), served by nghttp2.
        case http2
        /// HTTP/1.1 (or 1.0), served by NIOHTTP1.
        case http1
    }

    /// The request method, for example `POST`.
    public var method: String
    /// The request target (`:path` on HTTP/2, the request URI on HTTP/1.1), query included.
    public var path: String
    /// `:scheme` on HTTP/2; `http` on HTTP/1.1.
    public var scheme: String?
    /// `:authority` on HTTP/2; the `Host` header on HTTP/1.1.
    public var authority: String?
    /// The regular header fields, names lowercased, in arrival order; pseudo-headers excluded.
    public var headers: HeaderFields
    /// Which HTTP version carried the request.
    public var transport: Transport

    /// Creates a request head; the server builds these, tests and in-process transports may too.
    public init(
        method: String,
        path: String,
        scheme: String? = nil,
        authority: String? = nil,
        headers: HeaderFields = [],
        transport: Transport
    ) {
        self.method = method
        self.path = path
        self.scheme = scheme
        self.authority = authority
        self.headers = headers
        self.transport = transport
    }
}

/// An ordered list of header fields.
///
/// Names are compared case-insensitively on lookup. Fields parsed from the network always have
/// lowercase names (HTTP/2 requires it; HTTP/1.1 names are lowercased on arrival), so that both
/// transports present identical heads.
///
/// ```swift
/// let headers: HeaderFields = [("content-type", "application/json")]
/// headers["content-type"]  // "application/json"
/// ```
public struct HeaderFields: Sendable, Hashable, RandomAccessCollection, ExpressibleByArrayLiteral {
    /// One header field.
    public struct Field: Sendable, Hashable {
        /// The field name.
        public var name: String
        /// The field value.
        public var value: String

        /// Creates a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    private var fields: [Field]

    /// Creates an empty list.
    public init() {
        self.fields = []
    }

    /// Creates a list from `(name, value)` pairs.
    public init(_ pairs: [(String, String)]) {
        self.fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// Creates an empty list with room for `capacity` fields.
    init(reservingCapacity capacity: Int) {
        self.fields = []
        self.fields.reserveCapacity(capacity)
    }

    /// Creates a list from `(name, value)` pairs.
    public init(arrayLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The index of the first field.
    public var startIndex: Int { self.fields.startIndex }
    /// The index after the last field.
    public var endIndex: Int { self.fields.endIndex }

    /// The field at `position`.
    public subscript(position: Int) -> Field { self.fields[position] }

    /// The value of the first field called `name` (case-insensitive), or `nil`.
    public subscript(name: String) -> String? {
        self.fields.first { asciiCaseInsensitiveEquals($0.name, name) }?.value
    }

    /// All values of the fields called `name` (case-insensitive), in order.
    public func values(for name: String) -> [String] {
        self.fields.filter { asciiCaseInsensitiveEquals($0.name, name) }.map(\.value)
    }

    /// Appends a field.
    public mutating func append(name: String, value: String) {
        self.fields.append(Field(name: name, value: value))
    }

    /// Reserves room for `count` fields.
    mutating func reserveCapacity(_ count: Int) {
        self.fields.reserveCapacity(count)
    }
}

/// Header names are ASCII tokens; comparing bytes avoids lowercasing (and allocating) per lookup.
/// Most lookups differ in length, and HTTP/2 names arrive lowercased, so those two checks come first.
private func asciiCaseInsensitiveEquals(_ lhs: String, _ rhs: String) -> Bool {
    guard lhs.utf8.count == rhs.utf8.count else { return false }
    if lhs == rhs { return true }
    return lhs.utf8.elementsEqual(rhs.utf8) {
        ($0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0) == ($1 >= 65 && $1 <= 90 ? $1 | 0x20 : $1)
    }
}

/// Why a request body or a response writer failed.
public struct HTTPStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: Sendable, Hashable {
        case streamReset(UInt32)
        case connectionClosed
        case requestBodyTooLarge
        case streamClosed
        case headAlreadyWritten
        case headNotWritten
        case alreadyFinished
    }

    let code: Code

    /// The peer reset the HTTP/2 stream (RST_STREAM) with the given HTTP/2 error code.
    public static func streamReset(errorCode: UInt32) -> Self { Self(code: .streamReset(errorCode)) }
    /// The connection closed before the stream completed.
    public static let connectionClosed = Self(code: .connectionClosed)
    /// The request body exceeded ``HTTP2Server/Configuration/maxRequestBodySize``; the server answered 413.
    public static let requestBodyTooLarge = Self(code: .requestBodyTooLarge)
    /// The stream is already closed (reset, completed, or the handler returned).
    public static let streamClosed = Self(code: .streamClosed)
    /// ``ResponseWriter/writeHead(status:headers:)`` was called twice.
    public static let headAlreadyWritten = Self(code: .headAlreadyWritten)
    /// Body data or trailers were written before the response head.
    public static let headNotWritten = Self(code: .headNotWritten)
    /// The response was already finished.
    public static let alreadyFinished = Self(code: .alreadyFinished)

    /// A short description for logs.
    public var description: String {
        switch self.code {
        case .streamReset(let code): "stream reset by peer (error code \(code))"
        case .connectionClosed: "connection closed"
        case .requestBodyTooLarge: "request body too large"
        case .streamClosed: "stream closed"
        case .headAlreadyWritten: "response head already written"
        case .headNotWritten: "response head not written yet"
        case .alreadyFinished: "response already finished"
        }
    }
}
