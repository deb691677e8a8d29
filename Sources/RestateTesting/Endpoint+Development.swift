import Foundation
import Restate
import RestateHTTP2

extension Endpoint {
    /// Runs this endpoint the way a sample's `main` wants it.
    ///
    /// Without `--dev`, it is served to a real Restate on `$PORT` (default 9080) until SIGINT or
    /// SIGTERM. With `--dev`, it is served on that port **and** a local, single-process Restate
    /// (``TestRuntime`` on the wall clock) starts with its ingress on 8080 and its admin API on
    /// 9070, registers the endpoint by URL over HTTP/2 as Restate would, and prints `curl`
    /// commands to try. No Restate server is needed.
    ///
    /// Ports, each as an argument or from the environment (the argument wins); `0` picks a free
    /// port, and the banner shows the one taken:
    /// - endpoint: `--port N` or `PORT` (9080)
    /// - ingress: `--ingress-port N` or `RESTATE_INGRESS_PORT` (`ingressPort`, 8080)
    /// - admin API: `--admin-port N` or `RESTATE_ADMIN_PORT` (9070)
    ///
    /// ```swift
    /// try await Endpoint(SignupWorkflow.self).run()
    /// ```
    ///
    /// With `--dev`, `RESTATE_INGRESS_URL` is set in the process environment to the ingress's
    /// URL (`http://localhost:N`) before the endpoint is registered, so that handlers that print
    /// links to the ingress use the port actually taken.
    ///
    /// - Parameter examples: JSON inputs for the printed `curl` lines, keyed by
    ///   `"Service/handler"`; handlers without one get a placeholder from their input schema.
    /// - Important: `--dev` is for trying things out. Production is the Restate server.
    public func run(
        arguments: [String] = CommandLine.arguments,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        ingressPort: Int = 8080,
        examples: [String: String] = [:]
    ) async throws {
        let options = try DevelopmentOptions(arguments: arguments, environment: environment, ingressPort: ingressPort)
        guard options.development else {
            try await serve(port: options.endpointPort)
            return
        }
        let server = try await start(host: "127.0.0.1", port: options.endpointPort)
        let runtime: TestRuntime
        do {
            runtime = try await TestRuntime.start(
                configuration: .development(ingressPort: options.ingressPort, adminPort: options.adminPort)
            )
        } catch {
            await server.shutdown(gracePeriod: .zero)
            throw error
        }
        // Set before any handler can run, so no handler reads the environment while it changes.
        setenv("RESTATE_INGRESS_URL", "http://localhost:\(runtime.ingressPort ?? options.ingressPort)", 1)
        do {
            // By URL and over HTTP/2, as `restate deployments register` would do it.
            try await runtime.register(uri: "http://127.0.0.1:\(server.port)")
        } catch {
            await runtime.shutdown()
            await server.shutdown(gracePeriod: .zero)
            throw error
        }
        let banner = Self.developmentBanner(
            registry: await runtime.engine.registry,
            endpointPort: server.port,
            ingressPort: runtime.ingressPort ?? options.ingressPort,
            adminPort: runtime.adminPort,
            examples: examples
        )
        // Written straight to the file handle: print() is buffered when stdout is not a terminal.
        FileHandle.standardOutput.write(Data(banner.utf8))
        await Self.waitForTerminationSignal()
        await runtime.shutdown()
        await server.shutdown(gracePeriod: .seconds(1))
    }

    /// What `--dev` prints: where things listen, and `curl` lines for the registered handlers.
    /// A workflow gets its `run`, `attach` and `output` lines first, as in the README.
    static func developmentBanner(
        registry: Registry,
        endpointPort: Int,
        ingressPort: Int,
        adminPort: Int?,
        examples: [String: String]
    ) -> String {
        let ingress = ingressPort == 80 ? "localhost" : "localhost:\(ingressPort)"
        var lines = [
            "Local Restate for development (RestateTesting, in memory; production is the Restate server)",
            "  endpoint  http://127.0.0.1:\(endpointPort)  (\(registry.serviceOrder.joined(separator: ", ")))",
            "  ingress   http://127.0.0.1:\(ingressPort)",
        ]
        if let adminPort { lines.append("  admin     http://127.0.0.1:\(adminPort)") }
        lines.append("")
        lines.append("Try:")
        let services = registry.serviceOrder.compactMap { registry.services[$0] }
        let firstWorkflow = services.first { $0.kind == .workflow }
        for service in services {
            let key = service.kind.isKeyed ? "/someone" : ""
            var handlers = service.handlerOrder.compactMap { service.handlers[$0] }
            if service.name == firstWorkflow?.name, let run = handlers.firstIndex(where: { $0.kind == .workflow }) {
                let handler = handlers.remove(at: run)
                lines.append(curl(ingress, service, handler, key: key, examples: examples))
                lines.append("  curl \(ingress)/restate/workflow/\(service.name)/someone/attach")
                lines.append("  curl \(ingress)/restate/workflow/\(service.name)/someone/output")
            }
            for handler in handlers where handler.ingressPrivate != true && !service.ingressPrivate {
                lines.append(curl(ingress, service, handler, key: key, examples: examples))
            }
        }
        lines.append("")
        lines.append("Ctrl-C to stop.")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func curl(
        _ ingress: String,
        _ service: Registry.Service,
        _ handler: Registry.Handler,
        key: String,
        examples: [String: String]
    ) -> String {
        var line = "  curl \(ingress)/\(service.name)\(key)/\(handler.name)"
        let input = handler.input.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        let example = examples["\(service.name)/\(handler.name)"]
        if let example {
            line += " -H 'content-type: application/json' -d '\(example)'"
        } else if let input, input["contentType"] != nil {
            let placeholder = jsonPlaceholder(input["jsonSchema"] as? [String: Any])
            line += " -H 'content-type: application/json' -d '\(placeholder)'"
        } else {
            line = "  curl -X POST" + line.dropFirst("  curl".count)
        }
        return line
    }

    /// A JSON value of the schema's type, to be edited by whoever runs the command. Without a
    /// schema (the Swift SDK declares none unless the handler gives one) it is a JSON string,
    /// the most common input of the samples.
    static func jsonPlaceholder(_ schema: [String: Any]?) -> String {
        switch schema?["type"] as? String {
        case "string", nil: return "\"someone@restate.dev\""
        case "integer", "number": return "1"
        case "boolean": return "true"
        case "array": return "[]"
        case "null": return "null"
        case "object":
            let properties = (schema?["properties"] as? [String: Any] ?? [:]).keys.sorted()
            let fields = properties.map { name -> String in
                "\"\(name)\": \(jsonPlaceholder((schema?["properties"] as? [String: Any])?[name] as? [String: Any]))"
            }
            return "{" + fields.joined(separator: ", ") + "}"
        default: return "null"
        }
    }

    /// Suspends until SIGINT or SIGTERM arrives.
    static func waitForTerminationSignal() async {
        let queue = DispatchQueue(label: "restate.development.signals")
        let (signals, continuation) = AsyncStream<Void>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        var iterator = signals.makeAsyncIterator()
        _ = await iterator.next()
        // A released source stops delivering, so keep them until a signal came.
        withExtendedLifetime(sources) {}
    }
}

/// The command line and environment of ``Endpoint/run(arguments:environment:ingressPort:examples:)``.
struct DevelopmentOptions: Sendable, Hashable {
    var development: Bool
    var endpointPort: Int
    var ingressPort: Int
    var adminPort: Int

    init(development: Bool, endpointPort: Int, ingressPort: Int, adminPort: Int) {
        self.development = development
        self.endpointPort = endpointPort
        self.ingressPort = ingressPort
        self.adminPort = adminPort
    }

    /// - Throws: ``TestRuntimeError`` (400) for a port that is not a number in 0…65535 or an
    ///   option without its value.
    init(arguments: [String], environment: [String: String], ingressPort: Int = 8080) throws {
        development = arguments.contains("--dev")
        func port(_ option: String, _ variable: String, _ fallback: Int) throws -> Int {
            var text = environment[variable]
            var source = variable
            if let index = arguments.firstIndex(of: option) {
                guard index + 1 < arguments.count else {
                    throw TestRuntimeError(status: 400, "\(option) needs a port number")
                }
                text = arguments[index + 1]
                source = option
            } else if let inline = arguments.first(where: { $0.hasPrefix(option + "=") }) {
                text = String(inline.dropFirst(option.count + 1))
                source = option
            }
            guard let text else { return fallback }
            guard let value = Int(text), (0...65535).contains(value) else {
                throw TestRuntimeError(status: 400, "\(source): \(text) is not a port number")
            }
            return value
        }
        endpointPort = try port("--port", "PORT", 9080)
        self.ingressPort = try port("--ingress-port", "RESTATE_INGRESS_PORT", ingressPort)
        adminPort = try port("--admin-port", "RESTATE_ADMIN_PORT", 9070)
    }
}
