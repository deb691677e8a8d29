import Foundation
import Synchronization

/// A child process whose output is collected as it arrives, for tests that run a built sample or
/// a Python server. Never blocks a thread: waiting is done with continuations resumed by the
/// pipe's readability handler and the process's termination handler.
final class Subprocess: @unchecked Sendable {
    private struct State {
        var output = ""
        var exitStatus: Int32?
        var lineWaiters: [(predicate: @Sendable (String) -> Bool, continuation: CheckedContinuation<String?, Never>)] =
            []
    }

    // `Process` is not Sendable; it is only touched in `launch` and `terminate`, which the test
    // calls in order.
    private let process: Process
    private let state = Mutex(State())

    private init(process: Process) {
        self.process = process
    }

    /// Starts `executable`; stdout and stderr are collected together.
    static func launch(_ executable: URL, arguments: [String], environment: [String: String] = [:]) throws -> Subprocess
    {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let subprocess = Subprocess(process: process)
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                return
            }
            subprocess.received(String(decoding: data, as: UTF8.self))
        }
        process.terminationHandler = { process in
            subprocess.exited(process.terminationStatus)
        }
        try process.run()
        return subprocess
    }

    /// Everything printed so far.
    var output: String { state.withLock { $0.output } }

    /// The process id, for sending signals.
    var processIdentifier: Int32 { process.processIdentifier }

    private func received(_ text: String) {
        let ready: [(CheckedContinuation<String?, Never>, String)] = state.withLock { state in
            state.output += text
            let lines = state.output.split(separator: "\n").map(String.init)
            var ready: [(CheckedContinuation<String?, Never>, String)] = []
            state.lineWaiters.removeAll { waiter in
                guard let line = lines.first(where: waiter.predicate) else { return false }
                ready.append((waiter.continuation, line))
                return true
            }
            return ready
        }
        for (continuation, line) in ready { continuation.resume(returning: line) }
    }

    private func exited(_ status: Int32) {
        let lines = state.withLock { state in
            state.exitStatus = status
            defer { state.lineWaiters = [] }
            return state.lineWaiters.map(\.continuation)
        }
        for waiter in lines { waiter.resume(returning: nil) }
    }

    /// The first output line that satisfies `predicate`, once it is printed; `nil` if the process
    /// exits first or `bound` passes (a guard against hanging the suite, not a timing check).
    func line(where predicate: @escaping @Sendable (String) -> Bool, bound: Duration = .seconds(600)) async -> String? {
        let timeout = Task {
            try? await Task.sleep(for: bound)
            if !Task.isCancelled { self.giveUp() }
        }
        defer { timeout.cancel() }
        return await withCheckedContinuation { continuation in
            let immediate: String?? = state.withLock { state in
                if let line = state.output.split(separator: "\n").map(String.init).first(where: predicate) {
                    return .some(line)
                }
                if state.exitStatus != nil { return .some(nil) }
                state.lineWaiters.append((predicate: predicate, continuation: continuation))
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    private func giveUp() {
        // Resumes every waiter still pending: one subprocess has one waiter at a time.
        let pending = state.withLock { state in
            defer { state.lineWaiters = [] }
            return state.lineWaiters.map(\.continuation)
        }
        for waiter in pending { waiter.resume(returning: nil) }
    }

    /// Sends SIGTERM and waits for the process to end; `nil` when it ended but Foundation never
    /// reported its status (see ``exitStatus()``).
    @discardableResult
    func terminate() async -> Int32? {
        if state.withLock({ $0.exitStatus == nil }) { kill(process.processIdentifier, SIGTERM) }
        return await exitStatus()
    }

    /// Waits for the process to end and returns its status. Foundation's termination handler
    /// has been seen not to fire on Linux when other tests run processes at the same time, so
    /// the process table is checked as well (gone or a zombie counts as ended, status unknown:
    /// `nil`). After a generous bound the process is killed, so a test cannot hang here.
    func exitStatus() async -> Int32? {
        let pid = process.processIdentifier
        for _ in 0..<1200 {
            if let status = state.withLock({ $0.exitStatus }) { return status }
            if Self.hasEnded(pid) {
                // Give the handler a moment to report the real status.
                try? await Task.sleep(for: .milliseconds(200))
                return state.withLock { $0.exitStatus }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill(pid, SIGKILL)
        return state.withLock { $0.exitStatus }
    }

    private static func hasEnded(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // The state follows the parenthesised command name: "Z" is a zombie.
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
