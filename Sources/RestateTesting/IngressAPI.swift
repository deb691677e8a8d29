import Foundation
import NIOCore
import RestateHTTP2

/// Restate's ingress HTTP API (the classic paths), served by the test runtime.
///
/// | request | answer |
/// |---|---|
/// | `POST /{Service}/{handler}`, `POST /{Object}/{key}/{handler}` | 200 + output, `x-restate-id`; failure: status = code, `{code, message, metadata?}` |
/// | `…/send[?delay=10s]` | 202 + `{"invocationId", "status"}` |
/// | `GET /restate/workflow/{name}/{key}/attach` · `/output` | 200 + output; `/output` 470 when not ready |
/// | `GET /restate/invocation/{id}/attach` · `/output` | as above |
/// | `POST /restate/awakeables/{id}/resolve` · `/reject` (also `/restate/a/…`) | 202 |
/// | `GET /restate/health` | 200 |
struct IngressAPI: Sendable {
    let engine: Engine

    /// The largest request body accepted.
    static let maximumBody = 16 * 1024 * 1024

    struct Reply {
        var status: Int
        var headers: [(String, String)] = []
        var body = Data()

        static func json(_ status: Int, _ object: [String: Any], headers: [(String, String)] = []) -> Reply {
            let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return Reply(status: status, headers: [("content-type", "application/json")] + headers, body: body)
        }

        static func error(_ status: Int, _ message: String) -> Reply {
            json(status, ["code": status, "message": message])
        }
    }

    func handle(_ head: RequestHead, body: RequestBody, writer: ResponseWriter) async {
        let reply: Reply
        do {
            let bytes = try await body.collect(upTo: Self.maximumBody)
            reply = await route(head, body: Data(bytes.readableBytesView))
        } catch {
            reply = .error(413, "request body too large or broken: \(error)")
        }
        do {
            try await writer.writeHead(status: reply.status, headers: HeaderFields(reply.headers))
            if !reply.body.isEmpty { try await writer.write(ByteBuffer(bytes: reply.body)) }
            try await writer.finish()
        } catch {
            // The client went away.
        }
    }

    func route(_ head: RequestHead, body: Data) async -> Reply {
        let parts = head.path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = parts.count > 1 ? Self.query(String(parts[1])) : [:]
        let segments = parts[0].split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        do {
            if segments.first == "restate" {
                return try await restateAPI(Array(segments.dropFirst()), method: head.method, body: body)
            }
            return try await invoke(segments, head: head, query: query, body: body)
        } catch let error as TestRuntimeError {
            return .error(error.status, error.message)
        } catch {
            return .error(500, "\(error)")
        }
    }

    private func restateAPI(_ segments: [String], method: String, body: Data) async throws -> Reply {
        switch (method, segments.count, segments.first) {
        case ("GET", 1, "health"):
            return Reply(status: 200)
        case ("POST", 3, "awakeables"), ("POST", 3, "a"):
            switch segments[2] {
            case "resolve": try await engine.completeAwakeable(segments[1], with: .success(body))
            case "reject":
                try await engine.completeAwakeable(
                    segments[1],
                    with: .failure(code: 500, message: String(decoding: body, as: UTF8.self))
                )
            default: return .error(404, "unknown awakeable operation \(segments[2])")
            }
            return Reply(status: 202)
        case ("GET", 4, "workflow"):
            let id = try await engine.workflowRun(service: segments[1], key: segments[2])
            return try await result(of: id, operation: segments[3])
        case ("GET", 3, "invocation"):
            return try await result(of: segments[1], operation: segments[2])
        case (_, _, "health"), (_, _, "awakeables"), (_, _, "a"), (_, _, "workflow"), (_, _, "invocation"):
            return .error(405, "method \(method) not allowed here")
        default:
            return .error(404, "not found: /restate/\(segments.joined(separator: "/"))")
        }
    }

    private func result(of id: String, operation: String) async throws -> Reply {
        switch operation {
        case "attach": return reply(for: try await engine.attach(id), id: id)
        case "output": return reply(for: try await engine.output(id), id: id)
        default: return .error(404, "unknown operation \(operation)")
        }
    }

    private func invoke(_ segments: [String], head: RequestHead, query: [String: String], body: Data) async throws
        -> Reply
    {
        guard head.method == "POST" || head.method == "GET" else {
            return .error(405, "invocations use POST")
        }
        guard let name = segments.first, let service = await engine.service(named: name) else {
            return .error(404, "service \(segments.first ?? "") not found")
        }
        var rest = Array(segments.dropFirst())
        let isSend = rest.last == "send"
        if isSend { rest.removeLast() }
        let key: String
        let handler: String
        switch (service.kind.isKeyed, rest.count) {
        case (false, 1):
            key = ""
            handler = rest[0]
        case (true, 2):
            key = rest[0]
            handler = rest[1]
        default:
            return .error(404, "no route for /\(segments.joined(separator: "/"))")
        }
        var notBefore: Int64?
        if let delay = query["delay"] {
            guard isSend else { return .error(400, "delay is only allowed on /send") }
            guard let duration = Self.parseDelay(delay) else { return .error(400, "bad delay \(delay)") }
            notBefore = await engine.now + duration.inMilliseconds
        }
        let dropped: Set<String> = ["connection", "host", "idempotency-key", "idempotency-expires"]
        var headers = head.headers.filter { !dropped.contains($0.name.lowercased()) }.map { ($0.name, $0.value) }
        headers.append(("x-restate-ingress-path", head.path))
        let submission = try await engine.submit(
            InvocationRequest(
                service: name,
                handler: handler,
                key: key,
                input: body,
                headers: headers,
                idempotencyKey: head.headers["idempotency-key"],
                notBefore: notBefore
            ),
            fromIngress: true
        )
        if isSend {
            return .json(
                202,
                [
                    "invocationId": submission.id,
                    "status": submission.previouslyAccepted ? "PreviouslyAccepted" : "Accepted",
                ],
                headers: [("x-restate-id", submission.id)]
            )
        }
        let outcome = try await engine.attach(submission.id)
        return reply(for: outcome, id: submission.id, contentType: service.handlers[handler]?.outputContentType)
    }

    private func reply(for outcome: InvocationOutcome, id: String, contentType: String? = "application/json") -> Reply {
        switch outcome {
        case .success(let data):
            var headers = [("x-restate-id", id)]
            if !data.isEmpty, let contentType { headers.append(("content-type", contentType)) }
            return Reply(status: 200, headers: headers, body: data)
        case .failure(let code, let message, let metadata):
            let status = (100...599).contains(Int(code)) ? Int(code) : 500
            var body: [String: Any] = ["code": Int(code), "message": message]
            if !metadata.isEmpty { body["metadata"] = metadata }
            return .json(status, body, headers: [("x-restate-id", id)])
        }
    }

    static func query(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard let name = parts.first else { continue }
            let value = parts.count > 1 ? String(parts[1]) : ""
            result[String(name)] = value.removingPercentEncoding ?? value
        }
        return result
    }

    /// Parses `?delay=`: ISO-8601 (`PT1H30M`, `P1D`) or human style (`10s`, `500ms`, `1h+30min`).
    static func parseDelay(_ text: String) -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.uppercased().hasPrefix("P") { return parseISO(text.uppercased()) }
        var total: Duration = .zero
        var number = ""
        var unit = ""
        var matchedAny = false
        func flush() -> Bool {
            guard !number.isEmpty else { return unit.isEmpty }
            guard let value = Double(number) else { return false }
            let milliseconds: Double
            switch unit.lowercased() {
            case "ms", "msec", "millis": milliseconds = value
            case "s", "sec", "secs", "second", "seconds": milliseconds = value * 1000
            case "m", "min", "mins", "minute", "minutes": milliseconds = value * 60_000
            case "h", "hr", "hrs", "hour", "hours": milliseconds = value * 3_600_000
            case "d", "day", "days": milliseconds = value * 86_400_000
            default: return false
            }
            total += .milliseconds(Int64(milliseconds))
            matchedAny = true
            number = ""
            unit = ""
            return true
        }
        for character in text {
            if character.isNumber || character == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else if character.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(character)
            } else if character == "+" || character == " " {
                guard flush() else { return nil }
            } else {
                return nil
            }
        }
        guard flush(), matchedAny else { return nil }
        return total
    }

    private static func parseISO(_ text: String) -> Duration? {
        var total: Double = 0
        var number = ""
        var inTime = false
        var components = 0
        for character in text.dropFirst() {
            switch character {
            case "T": inTime = true
            case "0"..."9", ".": number.append(character)
            case "D", "H", "M", "S", "W":
                guard let value = Double(number) else { return nil }
                number = ""
                components += 1
                switch (character, inTime) {
                case ("W", false): total += value * 604_800
                case ("D", false): total += value * 86_400
                case ("H", true): total += value * 3_600
                case ("M", true): total += value * 60
                case ("S", true): total += value
                default: return nil
                }
            default: return nil
            }
        }
        guard number.isEmpty, components > 0 else { return nil }
        return .milliseconds(Int64(total * 1000))
    }
}
