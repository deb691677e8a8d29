import Foundation
import Restate

/// `VirtualObjectCommandInterpreter` (virtual object): runs a list of commands that create
/// durable futures (awakeables, signals, timers, runs) and combine them; the Combinators,
/// Signals and Sleep tests are written in it.
///
/// Every command's string result is appended to state `results`; `interpretCommands` returns the
/// last one.
struct VirtualObjectCommandInterpreter: RestateService, DefaultInitializable {
    static let results = StateKey<[String]>("results")

    static func awakeableKey(_ key: String) -> String { "awk-\(key)" }

    static var restateDescriptor: ServiceDescriptor<VirtualObjectCommandInterpreter> {
        ServiceDescriptor(
            name: "VirtualObjectCommandInterpreter",
            kind: .virtualObject,
            handlers: [
                .handler("interpretCommands") {
                    (_: VirtualObjectCommandInterpreter, ctx: ObjectContext, request: InterpretRequest) in
                    var result = ""
                    for command in request.commands {
                        result = try await interpret(command, ctx)
                        try ctx.set(results, (try await ctx.get(results) ?? []) + [result])
                    }
                    return result
                },
                .handler("resolveAwakeable") {
                    (_: VirtualObjectCommandInterpreter, ctx: SharedObjectContext, request: ResolveAwakeable) in
                    try ctx.resolveAwakeable(try await storedAwakeable(request.awakeableKey, ctx), with: request.value)
                },
                .handler("rejectAwakeable") {
                    (_: VirtualObjectCommandInterpreter, ctx: SharedObjectContext, request: RejectAwakeable) in
                    try ctx.rejectAwakeable(
                        try await storedAwakeable(request.awakeableKey, ctx),
                        reason: request.reason
                    )
                },
                .handler("hasAwakeable") {
                    (_: VirtualObjectCommandInterpreter, ctx: SharedObjectContext, key: String) -> Bool in
                    let id = try await ctx.get(awakeableKey(key), as: String.self)
                    return !(id ?? "").isEmpty
                },
                .handler("getResults") { (_: VirtualObjectCommandInterpreter, ctx: SharedObjectContext) in
                    try await ctx.get(results) ?? []
                },
            ]
        )
    }

    private static func storedAwakeable(_ key: String, _ ctx: some StateReadingContext) async throws -> String {
        guard let id = try await ctx.get(awakeableKey(key), as: String.self) else {
            throw TerminalError("awakeable is not registered yet")
        }
        return id
    }

    private static func interpret(_ command: Command, _ ctx: ObjectContext) async throws -> String {
        switch command {
        case .awaitOne(let awaitable):
            return try await future(of: awaitable, ctx).value
        case .awaitAny(let awaitables), .awaitFirstCompleted(let awaitables):
            // Settles with the first to complete, success or failure.
            return try await DurableFuture.first(try awaitables.map { try future(of: $0, ctx) }).value
        case .awaitAnySuccessful(let awaitables), .awaitFirstSucceededOrAllFailed(let awaitables):
            return try await firstSucceeded(try awaitables.map { try future(of: $0, ctx) })
        case .awaitAllSucceededOrFirstFailed(let awaitables):
            return try await DurableFuture.all(try awaitables.map { try future(of: $0, ctx) }).joined(separator: "|")
        case .awaitAllCompleted(let awaitables):
            let settled = try await DurableFuture.settled(try awaitables.map { try future(of: $0, ctx) })
            return settled.map { result in
                switch result {
                case .success(let value): return "ok:\(value)"
                case .failure(let error): return "err:\(error.message)"
                }
            }.joined(separator: "|")
        case .awaitAwakeableOrTimeout(let key, let timeoutMillis):
            let (id, awakeable) = try ctx.awakeable(of: String.self)
            try ctx.set(awakeableKey(key), id)
            let timer = try ctx.timer(for: .milliseconds(timeoutMillis))
            let raced: [DurableFuture<String?>] = [awakeable.map { $0 }, timer.map { _ in nil }]
            let first = try await DurableFuture.first(raced)
            guard let value = first.value else { throw TerminalError("await-timeout") }
            return value
        case .resolveAwakeable(let key, let value):
            try ctx.resolveAwakeable(try await storedAwakeable(key, ctx), with: value)
            return ""
        case .rejectAwakeable(let key, let reason):
            try ctx.rejectAwakeable(try await storedAwakeable(key, ctx), reason: reason)
            return ""
        case .getEnvVariable(let name):
            // Inside a run: the environment may differ between the attempts of one invocation.
            return try await ctx.run("get-env-\(name)") { ProcessInfo.processInfo.environment[name] ?? "" }
        }
    }

    /// Like `Promise.any`: the first success; when all fail, the last failure.
    ///
    /// Built from repeated first-completed awaits, dropping each future that failed.
    private static func firstSucceeded(_ futures: [DurableFuture<String>]) async throws -> String {
        var remaining = futures
        var lastFailure: TerminalError?
        while !remaining.isEmpty {
            do {
                return try await DurableFuture.first(remaining).value
            } catch let failure as TerminalError {
                // A completed future that failed; none completed means the await itself was
                // interrupted (cancellation), which must propagate.
                guard let index = remaining.firstIndex(where: \.isCompleted) else { throw failure }
                remaining.remove(at: index)
                lastFailure = failure
            }
        }
        throw lastFailure ?? TerminalError("no futures to await")
    }

    private static func future(of awaitable: AwaitableCommand, _ ctx: ObjectContext) throws -> DurableFuture<String> {
        switch awaitable {
        case .createAwakeable(let key):
            let (id, future) = try ctx.awakeable(of: String.self)
            try ctx.set(awakeableKey(key), id)
            return future
        case .createSignal(let name):
            return try ctx.signal(name, of: String.self)
        case .sleep(let timeoutMillis):
            return try ctx.timer(for: .milliseconds(timeoutMillis), name: "command-timer").map { _ in "sleep" }
        case .runReturns(let value):
            return try ctx.runAsync("run-returns-\(value)") { () async throws -> String in
                // Real asynchronous work, so the run does not complete synchronously.
                try await Task.sleep(for: .milliseconds(1))
                return value
            }
        case .runThrowTerminalException(let reason):
            return try ctx.runAsync("should-fail-with-\(reason)") { () async throws -> String in
                throw TerminalError(reason)
            }
        }
    }
}

// MARK: - Commands

extension VirtualObjectCommandInterpreter {
    struct InterpretRequest: Codable, Sendable, Hashable {
        var commands: [Command]
    }

    struct ResolveAwakeable: Codable, Sendable, Hashable {
        var awakeableKey: String
        var value: String
    }

    struct RejectAwakeable: Codable, Sendable, Hashable {
        var awakeableKey: String
        var reason: String
    }

    /// Something that produces a durable future of a string; JSON `{"type": "...", ...}`.
    enum AwaitableCommand: Codable, Sendable, Hashable {
        /// An awakeable, its id stored in state `awk-<key>`; the value is its payload.
        case createAwakeable(awakeableKey: String)
        /// A named signal of this invocation; the value is its payload.
        case createSignal(signalName: String)
        /// A timer; the value is `"sleep"`.
        case sleep(timeoutMillis: Int64)
        /// A run returning `value`.
        case runReturns(value: String)
        /// A run failing with a terminal error `reason`.
        case runThrowTerminalException(reason: String)

        private enum Keys: String, CodingKey {
            case type, awakeableKey, signalName, timeoutMillis, value, reason
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            let type = try container.decode(String.self, forKey: .type)
            switch type {
            case "createAwakeable":
                self = .createAwakeable(awakeableKey: try container.decode(String.self, forKey: .awakeableKey))
            case "createSignal":
                self = .createSignal(signalName: try container.decode(String.self, forKey: .signalName))
            case "sleep": self = .sleep(timeoutMillis: try container.decode(Int64.self, forKey: .timeoutMillis))
            case "runReturns": self = .runReturns(value: try container.decode(String.self, forKey: .value))
            case "runThrowTerminalException":
                self = .runThrowTerminalException(reason: try container.decode(String.self, forKey: .reason))
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .type,
                    in: container,
                    debugDescription: "unknown awaitable command \(type)"
                )
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            switch self {
            case .createAwakeable(let key):
                try container.encode("createAwakeable", forKey: .type)
                try container.encode(key, forKey: .awakeableKey)
            case .createSignal(let name):
                try container.encode("createSignal", forKey: .type)
                try container.encode(name, forKey: .signalName)
            case .sleep(let millis):
                try container.encode("sleep", forKey: .type)
                try container.encode(millis, forKey: .timeoutMillis)
            case .runReturns(let value):
                try container.encode("runReturns", forKey: .type)
                try container.encode(value, forKey: .value)
            case .runThrowTerminalException(let reason):
                try container.encode("runThrowTerminalException", forKey: .type)
                try container.encode(reason, forKey: .reason)
            }
        }
    }

    /// One step of `interpretCommands`; JSON `{"type": "...", ...}`.
    enum Command: Codable, Sendable, Hashable {
        /// The value of one future, or its failure.
        case awaitOne(AwaitableCommand)
        /// The first to complete, success or failure.
        case awaitAny([AwaitableCommand])
        /// The same as `awaitAny` (the e2e v2 name).
        case awaitFirstCompleted([AwaitableCommand])
        /// The first success; the last failure if all fail.
        case awaitAnySuccessful([AwaitableCommand])
        /// The same as `awaitAnySuccessful` (the e2e v2 name).
        case awaitFirstSucceededOrAllFailed([AwaitableCommand])
        /// All values joined by `|`, in input order; the first failure otherwise.
        case awaitAllSucceededOrFirstFailed([AwaitableCommand])
        /// `ok:<value>` or `err:<message>` for each, joined by `|`, in input order.
        case awaitAllCompleted([AwaitableCommand])
        /// An awakeable raced against a timer; a terminal error containing `await-timeout` when
        /// the timer wins.
        case awaitAwakeableOrTimeout(awakeableKey: String, timeoutMillis: Int64)
        /// Resolves the awakeable stored under the key; the result is `""`.
        case resolveAwakeable(awakeableKey: String, value: String)
        /// Rejects the awakeable stored under the key; the result is `""`.
        case rejectAwakeable(awakeableKey: String, reason: String)
        /// The value of an environment variable of the service process, or `""`.
        case getEnvVariable(envName: String)

        private enum Keys: String, CodingKey {
            case type, command, commands, awakeableKey, timeoutMillis, value, reason, envName
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            let type = try container.decode(String.self, forKey: .type)
            func commands() throws -> [AwaitableCommand] {
                try container.decode([AwaitableCommand].self, forKey: .commands)
            }
            func string(_ key: Keys) throws -> String { try container.decode(String.self, forKey: key) }
            switch type {
            case "awaitOne": self = .awaitOne(try container.decode(AwaitableCommand.self, forKey: .command))
            case "awaitAny": self = .awaitAny(try commands())
            case "awaitFirstCompleted": self = .awaitFirstCompleted(try commands())
            case "awaitAnySuccessful": self = .awaitAnySuccessful(try commands())
            case "awaitFirstSucceededOrAllFailed": self = .awaitFirstSucceededOrAllFailed(try commands())
            case "awaitAllSucceededOrFirstFailed": self = .awaitAllSucceededOrFirstFailed(try commands())
            case "awaitAllCompleted": self = .awaitAllCompleted(try commands())
            case "awaitAwakeableOrTimeout":
                self = .awaitAwakeableOrTimeout(
                    awakeableKey: try string(.awakeableKey),
                    timeoutMillis: try container.decode(Int64.self, forKey: .timeoutMillis)
                )
            case "resolveAwakeable":
                self = .resolveAwakeable(awakeableKey: try string(.awakeableKey), value: try string(.value))
            case "rejectAwakeable":
                self = .rejectAwakeable(awakeableKey: try string(.awakeableKey), reason: try string(.reason))
            case "getEnvVariable": self = .getEnvVariable(envName: try string(.envName))
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .type,
                    in: container,
                    debugDescription: "unknown command \(type)"
                )
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            func encode(_ type: String, commands: [AwaitableCommand]) throws {
                try container.encode(type, forKey: .type)
                try container.encode(commands, forKey: .commands)
            }
            switch self {
            case .awaitOne(let command):
                try container.encode("awaitOne", forKey: .type)
                try container.encode(command, forKey: .command)
            case .awaitAny(let commands): try encode("awaitAny", commands: commands)
            case .awaitFirstCompleted(let commands): try encode("awaitFirstCompleted", commands: commands)
            case .awaitAnySuccessful(let commands): try encode("awaitAnySuccessful", commands: commands)
            case .awaitFirstSucceededOrAllFailed(let commands):
                try encode("awaitFirstSucceededOrAllFailed", commands: commands)
            case .awaitAllSucceededOrFirstFailed(let commands):
                try encode("awaitAllSucceededOrFirstFailed", commands: commands)
            case .awaitAllCompleted(let commands): try encode("awaitAllCompleted", commands: commands)
            case .awaitAwakeableOrTimeout(let key, let timeoutMillis):
                try container.encode("awaitAwakeableOrTimeout", forKey: .type)
                try container.encode(key, forKey: .awakeableKey)
                try container.encode(timeoutMillis, forKey: .timeoutMillis)
            case .resolveAwakeable(let key, let value):
                try container.encode("resolveAwakeable", forKey: .type)
                try container.encode(key, forKey: .awakeableKey)
                try container.encode(value, forKey: .value)
            case .rejectAwakeable(let key, let reason):
                try container.encode("rejectAwakeable", forKey: .type)
                try container.encode(key, forKey: .awakeableKey)
                try container.encode(reason, forKey: .reason)
            case .getEnvVariable(let name):
                try container.encode("getEnvVariable", forKey: .type)
                try container.encode(name, forKey: .envName)
            }
        }
    }
}
