import Foundation
import RestateCore
import Synchronization

/// A service bound to an endpoint, with its type erased: name, kind, handlers, and how to get the
/// instance a handler runs on.
struct BoundService: Sendable {
    struct Handler: Sendable {
        var name: String
        var kind: HandlerKind?
        var options: HandlerOptions
        var input: PayloadDescriptor
        var output: PayloadDescriptor
        /// Runs the handler for `key` with the raw input.
        var run: @Sendable (_ key: String, _ invocation: Invocation, _ input: Data) async throws -> Data
    }

    var name: String
    var kind: ServiceKind
    var options: ServiceOptions
    var handlers: [String: Handler]
    /// Handler names in declaration order, for a stable manifest.
    var handlerOrder: [String]

    init<S: RestateService>(_ type: S.Type, registry: InstanceRegistry<S>) {
        let descriptor = S.restateDescriptor
        self.name = descriptor.name
        self.kind = descriptor.kind
        self.options = descriptor.options
        var handlers: [String: Handler] = [:]
        for handler in descriptor.handlers {
            let body = handler.body
            handlers[handler.name] = Handler(
                name: handler.name,
                kind: handler.kind,
                options: handler.options,
                input: handler.input,
                output: handler.output,
                run: { key, invocation, input in
                    try await body(registry.instance(for: key), invocation, input)
                }
            )
        }
        self.handlers = handlers
        self.handlerOrder = descriptor.handlers.map(\.name)
    }

    /// Checks what Restate would reject at registration, so that a bad definition fails at
    /// startup with a clear message instead of at discovery.
    static func validate<S>(_ descriptor: ServiceDescriptor<S>) throws {
        var seen = Set<String>()
        for handler in descriptor.handlers {
            guard seen.insert(handler.name).inserted else {
                throw EndpointError.invalidDefinition("\(descriptor.name) has two handlers named \(handler.name)")
            }
            guard handler.serviceKind == descriptor.kind else {
                throw EndpointError.invalidDefinition(
                    "\(descriptor.name).\(handler.name) takes a context of a \(handler.serviceKind.rawValue) handler, "
                        + "but \(descriptor.name) is a \(descriptor.kind.rawValue)"
                )
            }
        }
        if descriptor.kind == .workflow {
            let runs = descriptor.handlers.filter { $0.kind == .workflow }
            guard runs.count == 1 else {
                throw EndpointError.invalidDefinition(
                    "workflow \(descriptor.name) needs exactly one handler taking a WorkflowContext, found \(runs.count)"
                )
            }
        }
    }
}

/// Hands out the instance a handler runs on: one per object key or workflow ID, created on first
/// use, or a single one for services.
///
/// Instances live in shards chosen by a hash of the key, each with its own lock, so concurrent
/// invocations of different keys rarely meet. Durable state lives in Restate, never in the
/// instance, so evicting an idle instance loses nothing.
final class InstanceRegistry<Instance: Sendable>: Sendable {
    private struct Shard: ~Copyable {
        var instances: [String: Instance] = [:]
        var order: [String] = []
    }

    private final class ShardBox: Sendable {
        let mutex = Mutex(Shard())
    }

    private let factory: @Sendable () -> Instance
    private let shards: [ShardBox]
    private let capacityPerShard: Int
    private let single: Instance?

    init(keyed: Bool, shardCount: Int, capacityPerShard: Int, factory: @escaping @Sendable () -> Instance) {
        self.factory = factory
        self.capacityPerShard = max(1, capacityPerShard)
        self.single = keyed ? nil : factory()
        self.shards = keyed ? (0..<max(1, shardCount)).map { _ in ShardBox() } : []
    }

    func instance(for key: String) -> Instance {
        if let single { return single }
        let shard = shards[Int(StableHash.fnv1a(key) % UInt64(shards.count))]
        return shard.mutex.withLock { shard in
            if let instance = shard.instances[key] { return instance }
            let instance = factory()
            if shard.instances.count >= capacityPerShard, !shard.order.isEmpty {
                shard.instances[shard.order.removeFirst()] = nil
            }
            shard.instances[key] = instance
            shard.order.append(key)
            return instance
        }
    }
}

/// A hash that is the same in every process, unlike `Hasher`, so a key maps to the same shard.
enum StableHash {
    static func fnv1a(_ string: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in string.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// A problem with the endpoint's configuration or service definitions.
public struct EndpointError: Error, Sendable, CustomStringConvertible {
    public let description: String

    static func invalidDefinition(_ message: String) -> EndpointError {
        EndpointError(description: "Invalid service definition: \(message)")
    }
}
