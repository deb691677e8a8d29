import Foundation
import Restate

/// Every service this executable can serve, under the names the e2e suite selects them by.
public enum TestServicesCatalog {
    /// A service's name and how to bind it.
    struct Entry: Sendable {
        var name: String
        var bind: @Sendable (inout Endpoint) -> Void

        init<S: RestateService & DefaultInitializable>(_ type: S.Type) {
            name = S.restateDescriptor.name
            bind = { $0.bind(type) }
        }
    }

    /// The e2e contract (restatedev/e2e `sdk-tests` contracts), then the protocol fixtures.
    static let entries: [Entry] = [
        Entry(AwakeableHolder.self),
        Entry(BlockAndWaitWorkflow.self),
        Entry(CancelTestBlockingService.self),
        Entry(CancelTestRunner.self),
        Entry(CounterObject.self),
        Entry(Failing.self),
        Entry(KillTestRunner.self),
        Entry(KillTestSingleton.self),
        Entry(ListObject.self),
        Entry(MapObject.self),
        Entry(NonDeterministic.self),
        Entry(ProxyService.self),
        Entry(TestUtilsService.self),
        Entry(VirtualObjectCommandInterpreter.self),
        Entry(Greeter.self),
        Entry(VerificationWorkflow.self),
        Entry(Sleeper.self),
        Entry(AwakeableWaiter.self),
    ]

    static var names: [String] { entries.map(\.name) }

    /// The names selected by `$SERVICES`: a comma-separated list, or all when it is unset, empty
    /// or `*` (the suite sets it to the services each test class needs).
    ///
    /// - Throws: ``UnknownService`` for a name this executable does not implement: the suite
    ///   would otherwise fail later, at registration or invocation, with a less clear message.
    static func selection(_ services: String?) throws(UnknownService) -> [String] {
        let trimmed = services?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !trimmed.isEmpty, trimmed != "*" else { return names }
        var selected: [String] = []
        for name in trimmed.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard names.contains(name) else { throw UnknownService(name: name) }
            if !selected.contains(name) { selected.append(name) }
        }
        return selected
    }

    /// An endpoint serving the services selected by `services` (a `$SERVICES` value).
    public static func endpoint(
        services: String? = nil,
        configuration: Endpoint.Configuration = .fromEnvironment()
    ) throws(UnknownService) -> Endpoint {
        let selected = try selection(services)
        var endpoint = Endpoint(configuration: configuration)
        for entry in entries where selected.contains(entry.name) { entry.bind(&endpoint) }
        return endpoint
    }

    /// `$SERVICES` named a service this executable does not implement.
    public struct UnknownService: Error, CustomStringConvertible {
        public var name: String
        public var description: String {
            "Unknown service \(name) in SERVICES; known: \(TestServicesCatalog.names.joined(separator: ", "))"
        }
    }
}
