import SwiftProtobuf

/// A command message as the state machine writes it and matches it against the journal on replay.
protocol JournalCommand: SwiftProtobuf.Message, Equatable {
    static var messageType: MessageType { get }
    /// The command's label (`name`, or `entry_name` for SendSignal).
    var entryName: String { get }
    /// Whether the journaled command (`self`) matches what the code attempts (`other`): the
    /// fields `sdk-shared-core` compares (`CommandMessageHeaderEq`), ignoring payload bytes when
    /// payload checks are off.
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool
}

extension JournalCommand {
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool { self == other }
}

extension Proto.InputCommandMessage: JournalCommand {
    static var messageType: MessageType { .inputCommand }
    var entryName: String { name }
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool { true }
}

extension Proto.OutputCommandMessage: JournalCommand {
    static var messageType: MessageType { .outputCommand }
    var entryName: String { name }
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool {
        guard ignoringPayload else { return self == other }
        if case .value? = result, case .value? = other.result { return name == other.name }
        return name == other.name && result == other.result
    }
}

extension Proto.GetLazyStateCommandMessage: JournalCommand {
    static var messageType: MessageType { .getLazyStateCommand }
    var entryName: String { name }
}

extension Proto.SetStateCommandMessage: JournalCommand {
    static var messageType: MessageType { .setStateCommand }
    var entryName: String { name }
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool {
        guard ignoringPayload else { return self == other }
        guard name == other.name, key == other.key else { return false }
        if hasValue && other.hasValue { return true }
        return hasValue == other.hasValue && value == other.value
    }
}

extension Proto.ClearStateCommandMessage: JournalCommand {
    static var messageType: MessageType { .clearStateCommand }
    var entryName: String { name }
}

extension Proto.ClearAllStateCommandMessage: JournalCommand {
    static var messageType: MessageType { .clearAllStateCommand }
    var entryName: String { name }
}

extension Proto.GetLazyStateKeysCommandMessage: JournalCommand {
    static var messageType: MessageType { .getLazyStateKeysCommand }
    var entryName: String { name }
}

extension Proto.GetEagerStateCommandMessage: JournalCommand {
    static var messageType: MessageType { .getEagerStateCommand }
    var entryName: String { name }
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool {
        guard ignoringPayload else { return self == other }
        guard name == other.name, key == other.key else { return false }
        if case .value? = result, case .value? = other.result { return true }
        return result == other.result
    }
}

extension Proto.GetEagerStateKeysCommandMessage: JournalCommand {
    static var messageType: MessageType { .getEagerStateKeysCommand }
    var entryName: String { name }
}

extension Proto.GetPromiseCommandMessage: JournalCommand {
    static var messageType: MessageType { .getPromiseCommand }
    var entryName: String { name }
}

extension Proto.PeekPromiseCommandMessage: JournalCommand {
    static var messageType: MessageType { .peekPromiseCommand }
    var entryName: String { name }
}

extension Proto.CompletePromiseCommandMessage: JournalCommand {
    static var messageType: MessageType { .completePromiseCommand }
    var entryName: String { name }
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool {
        guard ignoringPayload else { return self == other }
        guard name == other.name, key == other.key, resultCompletionID == other.resultCompletionID else {
            return false
        }
        if case .completionValue? = completion, case .completionValue? = other.completion { return true }
        return completion == other.completion
    }
}

extension Proto.SleepCommandMessage: JournalCommand {
    static var messageType: MessageType { .sleepCommand }
    var entryName: String { name }
    // The wake-up time is wall-clock dependent: only the name is compared, as in the reference.
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool { name == other.name }
}

extension Proto.CallCommandMessage: JournalCommand {
    static var messageType: MessageType { .callCommand }
    var entryName: String { name }
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool {
        serviceName == other.serviceName && handlerName == other.handlerName
            && (ignoringPayload || parameter == other.parameter) && headers == other.headers && key == other.key
            && hasIdempotencyKey == other.hasIdempotencyKey && idempotencyKey == other.idempotencyKey
            && hasScope == other.hasScope && scope == other.scope && hasLimitKey == other.hasLimitKey
            && limitKey == other.limitKey && invocationIDNotificationIdx == other.invocationIDNotificationIdx
            && resultCompletionID == other.resultCompletionID && name == other.name
    }
}

extension Proto.OneWayCallCommandMessage: JournalCommand {
    static var messageType: MessageType { .oneWayCallCommand }
    var entryName: String { name }
    // `invoke_time` is not compared: it is derived from the clock.
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool {
        serviceName == other.serviceName && handlerName == other.handlerName
            && (ignoringPayload || parameter == other.parameter) && headers == other.headers && key == other.key
            && hasIdempotencyKey == other.hasIdempotencyKey && idempotencyKey == other.idempotencyKey
            && hasScope == other.hasScope && scope == other.scope && hasLimitKey == other.hasLimitKey
            && limitKey == other.limitKey && invocationIDNotificationIdx == other.invocationIDNotificationIdx
            && name == other.name
    }
}

extension Proto.SendSignalCommandMessage: JournalCommand {
    static var messageType: MessageType { .sendSignalCommand }
    // `entryName` is the generated field 12 (`entry_name`).
}

extension Proto.RunCommandMessage: JournalCommand {
    static var messageType: MessageType { .runCommand }
    var entryName: String { name }
}

extension Proto.AttachInvocationCommandMessage: JournalCommand {
    static var messageType: MessageType { .attachInvocationCommand }
    var entryName: String { name }
}

extension Proto.GetInvocationOutputCommandMessage: JournalCommand {
    static var messageType: MessageType { .getInvocationOutputCommand }
    var entryName: String { name }
}

extension Proto.CompleteAwakeableCommandMessage: JournalCommand {
    static var messageType: MessageType { .completeAwakeableCommand }
    var entryName: String { name }
    func matches(_ other: Self, ignoringPayload: Bool) -> Bool {
        guard ignoringPayload else { return self == other }
        guard name == other.name, awakeableID == other.awakeableID else { return false }
        if case .value? = result, case .value? = other.result { return true }
        return result == other.result
    }
}
