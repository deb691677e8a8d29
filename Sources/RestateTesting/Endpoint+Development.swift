import Foundation
import Restate

extension Endpoint {
    /// Runs this endpoint the way a sample's `main` wants it: with `--dev` among the arguments, in
    /// a local, single-process Restate (``TestRuntime`` on the wall clock) whose ingress listens on
    /// `ingressPort`, so `curl` works with no Restate server; otherwise served to a real Restate on
    /// `$PORT` (default 9080). Returns on SIGINT or SIGTERM.
    ///
    /// ```swift
    /// try await Endpoint(SignupWorkflow.self).run()
    /// ```
    ///
    /// - Important: `--dev` is for trying things out. Production is the Restate server.
    public func run(
        arguments: [String] = CommandLine.arguments,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        ingressPort: Int = 8080
    ) async throws {
        let port = environment["PORT"].flatMap(Int.init) ?? 9080
        guard arguments.contains("--dev") else {
            try await serve(port: port)
            return
        }
        let runtime = try await TestRuntime.start(self, configuration: .development(ingressPort: ingressPort))
        let banner = """
            Local Restate (development only) with \(serviceNames.joined(separator: ", ")).
            Ingress: http://127.0.0.1:\(runtime.ingressPort ?? ingressPort)  (Ctrl-C to stop)

            """
        FileHandle.standardOutput.write(Data(banner.utf8))
        await Self.waitForTerminationSignal()
        await runtime.shutdown()
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
