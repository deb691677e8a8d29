import Foundation
import RestateCore
import Testing

@testable import Restate

// Journal building blocks for the handler-level API tests.

extension Frames {
    /// An awakeable's (or a signal's) completion with a JSON value.
    static func signal(_ index: UInt32, json: String) -> ProtocolMessage {
        .notification(
            .signalNotification,
            .with {
                $0.signalID = index
                $0.value = .with { $0.content = Data(json.utf8) }
            }
        )
    }

    /// An awakeable's (or a signal's) failure.
    static func signal(_ index: UInt32, failure code: UInt32, _ message: String) -> ProtocolMessage {
        .notification(
            .signalNotification,
            .with {
                $0.signalID = index
                $0.failure = .with {
                    $0.code = code
                    $0.message = message
                }
            }
        )
    }

    /// A completion notification of `type` with a JSON value, or void when `json` is `nil`.
    static func completion(_ type: MessageType, _ id: UInt32, json: String?) -> ProtocolMessage {
        .notification(
            type,
            .with {
                $0.completionID = id
                if let json {
                    $0.value = .with { $0.content = Data(json.utf8) }
                } else {
                    $0.void = .init()
                }
            }
        )
    }

    /// A completion notification of `type` with a failure.
    static func completion(_ type: MessageType, _ id: UInt32, failure code: UInt32, _ message: String)
        -> ProtocolMessage
    {
        .notification(
            type,
            .with {
                $0.completionID = id
                $0.failure = .with {
                    $0.code = code
                    $0.message = message
                }
            }
        )
    }

    /// The sleep command a timer journals (the wake-up time is not compared on replay).
    static func sleep(_ completionID: UInt32, name: String = "") -> ProtocolMessage {
        .sleepCommand(
            .with {
                $0.resultCompletionID = completionID
                $0.wakeUpTime = 1
                $0.name = name
            }
        )
    }

    /// A journal of `entries` after the Start message: Start (counting the input) + input + entries.
    static func journal(
        input json: String,
        _ entries: [ProtocolMessage] = [],
        key: String = "",
        randomSeed: UInt64 = 0
    ) -> [ProtocolMessage] {
        [start(knownEntries: UInt32(1 + entries.count), key: key, state: [:], randomSeed: randomSeed), input(json)]
            + entries
    }
}

/// The output's JSON text, or `nil` when the messages hold no successful output.
func outputJSON(_ messages: [ProtocolMessage]) -> String? {
    for message in messages {
        if case .outputCommand(let output) = message, case .value(let value)? = output.result {
            return String(decoding: value.content, as: UTF8.self)
        }
    }
    return nil
}

/// The output's failure, or `nil` when the messages hold no failed output.
func outputFailure(_ messages: [ProtocolMessage]) -> (code: UInt32, message: String)? {
    for message in messages {
        if case .outputCommand(let output) = message, case .failure(let failure)? = output.result {
            return (failure.code, failure.message)
        }
    }
    return nil
}

/// What a V7 suspension waits for, or `nil` when the attempt did not suspend.
func suspension(_ messages: [ProtocolMessage]) -> Proto.Future? {
    guard case .suspension(let suspension)? = messages.last else { return nil }
    return suspension.awaitingOn
}

/// A wire future, for comparisons.
func wireFuture(
    _ combinator: Proto.CombinatorType,
    completions: [UInt32] = [],
    signals: [UInt32] = [],
    nested: [Proto.Future] = []
) -> Proto.Future {
    .with {
        $0.combinatorType = combinator
        $0.waitingCompletions = completions
        $0.waitingSignals = signals
        $0.nestedFutures = nested
    }
}

/// What the handler awaited when it suspended on a combinator: `inner`, raced with the cancel
/// signal (1), as every await of an endpoint with implicit cancellation is.
func awaiting(_ inner: Proto.Future) -> Proto.Future {
    wireFuture(.firstCompleted, signals: [1], nested: [inner])
}

/// What the handler awaited when it suspended on one notification: it is flattened into the race
/// with the cancel signal (1).
func awaitingOne(completion: UInt32? = nil, signal: UInt32? = nil) -> Proto.Future {
    wireFuture(.firstCompleted, completions: completion.map { [$0] } ?? [], signals: (signal.map { [$0] } ?? []) + [1])
}
