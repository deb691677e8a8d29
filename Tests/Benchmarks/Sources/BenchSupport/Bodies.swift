import Foundation
import NIOCore
import RestateCore
import SwiftProtobuf

/// Request bodies as the runtime sends them: `StartMessage`, then the journal.
public enum Bodies {
    /// A 24-byte raw invocation id (8-byte partition key + 16-byte UUID), fixed so runs compare.
    public static let invocationID = Data((0..<24).map { UInt8($0 &* 7 &+ 3) })

    public static func start(
        knownEntries: UInt32,
        key: String = "",
        state: [(String, String)]? = nil
    ) -> ProtocolMessage {
        .start(
            .with {
                $0.id = invocationID
                $0.debugID = "inv_1benchmark0000000000000000"
                $0.knownEntries = knownEntries
                $0.key = key
                $0.randomSeed = 42
                if let state {
                    $0.stateMap = state.map { entry in
                        .with {
                            $0.key = Data(entry.0.utf8)
                            $0.value = Data(entry.1.utf8)
                        }
                    }
                    $0.partialState = false
                } else {
                    $0.partialState = true
                }
            }
        )
    }

    public static func input(_ json: String) -> ProtocolMessage {
        .inputCommand(.with { $0.value = .with { $0.content = Data(json.utf8) } })
    }

    public static func encode(_ messages: [ProtocolMessage]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for message in messages {
            // Encoding a well-formed message of a few bytes cannot fail.
            try! message.encode(into: &buffer)
        }
        return buffer
    }

    /// `Greeter/greet("Till")`: Start + Input.
    public static func greet(name: String = "Till") -> ByteBuffer {
        encode([start(knownEntries: 1), input("\"\(name)\"")])
    }

    /// `Counter/add(1)` on key `bench`, with the state sent eagerly (`count = 41`).
    public static func counterAdd(delta: Int = 1, current: Int = 41) -> ByteBuffer {
        encode([
            start(knownEntries: 1, key: "bench", state: [("count", String(current))]),
            input(String(delta)),
        ])
    }

    /// `Waiter/run` for workflow `key`: Start + Input; the handler suspends on its promise.
    public static func waiterRun(key: String) -> ByteBuffer {
        encode([start(knownEntries: 1, key: key), input("\"go\"")])
    }

    /// `Runner/step("Till")`: Start + Input; the attempt runs its side effect and suspends.
    public static func runStep(name: String = "Till") -> ByteBuffer {
        encode([start(knownEntries: 1), input("\"\(name)\"")])
    }

    /// A journal of `entries` `SetStateCommand`s after the input (`entries`), all to be replayed:
    /// `Replayer/replay(entries)` resumed.
    ///
    /// The matching user code is ``replayJournalKeys(_:)``: `set(key_i, value_i)` for each entry.
    public static func replayJournal(entries: Int) -> ByteBuffer {
        var messages = [start(knownEntries: UInt32(entries + 1), key: "bench"), input(String(entries))]
        messages.reserveCapacity(entries + 2)
        for (key, value) in replayJournalKeys(entries) {
            messages.append(
                .setStateCommand(
                    .with {
                        $0.key = Data(key.utf8)
                        $0.value = .with { $0.content = value }
                    }
                )
            )
        }
        return encode(messages)
    }

    /// The keys and values of ``replayJournal(entries:)``.
    public static func replayJournalKeys(_ entries: Int) -> [(String, Data)] {
        (0..<entries).map { ("key-\($0)", Data("\($0)".utf8)) }
    }
}
