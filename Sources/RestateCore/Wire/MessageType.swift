/// The 16-bit type id in the header of every protocol frame.
///
/// Ids are grouped in ranges: control messages `0x0000–0x03FF`, commands `0x0400–0x7FFF`,
/// notifications `0x8000–0xFBFF` and custom entries `0xFC00–0xFFFF`. The known ids are the
/// static members; any other value can still be represented, so that a decoder can report it.
public struct MessageType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// The range this id falls in.
    public enum Category: Sendable, Hashable {
        case control
        case command
        case notification
        case custom
    }

    public var category: Category {
        switch rawValue {
        case 0x0000..<0x0400: return .control
        case 0x0400..<0x8000: return .command
        case 0x8000..<0xFC00: return .notification
        default: return .custom
        }
    }

    // MARK: Control

    public static let start = MessageType(rawValue: 0x0000)
    public static let suspension = MessageType(rawValue: 0x0001)
    public static let error = MessageType(rawValue: 0x0002)
    public static let end = MessageType(rawValue: 0x0003)
    public static let commandAck = MessageType(rawValue: 0x0004)
    public static let proposeRunCompletion = MessageType(rawValue: 0x0005)
    /// V7 only.
    public static let awaitingOn = MessageType(rawValue: 0x0006)
    /// V7 only.
    public static let proposeRunCompletionAck = MessageType(rawValue: 0x0007)

    // MARK: Commands

    public static let inputCommand = MessageType(rawValue: 0x0400)
    public static let outputCommand = MessageType(rawValue: 0x0401)
    public static let getLazyStateCommand = MessageType(rawValue: 0x0402)
    public static let setStateCommand = MessageType(rawValue: 0x0403)
    public static let clearStateCommand = MessageType(rawValue: 0x0404)
    public static let clearAllStateCommand = MessageType(rawValue: 0x0405)
    public static let getLazyStateKeysCommand = MessageType(rawValue: 0x0406)
    public static let getEagerStateCommand = MessageType(rawValue: 0x0407)
    public static let getEagerStateKeysCommand = MessageType(rawValue: 0x0408)
    public static let getPromiseCommand = MessageType(rawValue: 0x0409)
    public static let peekPromiseCommand = MessageType(rawValue: 0x040A)
    public static let completePromiseCommand = MessageType(rawValue: 0x040B)
    public static let sleepCommand = MessageType(rawValue: 0x040C)
    public static let callCommand = MessageType(rawValue: 0x040D)
    public static let oneWayCallCommand = MessageType(rawValue: 0x040E)
    public static let sendSignalCommand = MessageType(rawValue: 0x0410)
    public static let runCommand = MessageType(rawValue: 0x0411)
    public static let attachInvocationCommand = MessageType(rawValue: 0x0412)
    public static let getInvocationOutputCommand = MessageType(rawValue: 0x0413)
    public static let completeAwakeableCommand = MessageType(rawValue: 0x0414)

    // MARK: Notifications

    public static let getLazyStateCompletionNotification = MessageType(rawValue: 0x8002)
    public static let getLazyStateKeysCompletionNotification = MessageType(rawValue: 0x8006)
    public static let getPromiseCompletionNotification = MessageType(rawValue: 0x8009)
    public static let peekPromiseCompletionNotification = MessageType(rawValue: 0x800A)
    public static let completePromiseCompletionNotification = MessageType(rawValue: 0x800B)
    public static let sleepCompletionNotification = MessageType(rawValue: 0x800C)
    public static let callCompletionNotification = MessageType(rawValue: 0x800D)
    public static let callInvocationIdCompletionNotification = MessageType(rawValue: 0x800E)
    public static let runCompletionNotification = MessageType(rawValue: 0x8011)
    public static let attachInvocationCompletionNotification = MessageType(rawValue: 0x8012)
    public static let getInvocationOutputCompletionNotification = MessageType(rawValue: 0x8013)
    public static let signalNotification = MessageType(rawValue: 0xFBFF)

    /// Every id of protocol V5–V7, with its message name.
    public static let known: [MessageType: String] = [
        .start: "StartMessage",
        .suspension: "SuspensionMessage",
        .error: "ErrorMessage",
        .end: "EndMessage",
        .commandAck: "CommandAckMessage",
        .proposeRunCompletion: "ProposeRunCompletionMessage",
        .awaitingOn: "AwaitingOnMessage",
        .proposeRunCompletionAck: "ProposeRunCompletionAckMessage",
        .inputCommand: "InputCommandMessage",
        .outputCommand: "OutputCommandMessage",
        .getLazyStateCommand: "GetLazyStateCommandMessage",
        .setStateCommand: "SetStateCommandMessage",
        .clearStateCommand: "ClearStateCommandMessage",
        .clearAllStateCommand: "ClearAllStateCommandMessage",
        .getLazyStateKeysCommand: "GetLazyStateKeysCommandMessage",
        .getEagerStateCommand: "GetEagerStateCommandMessage",
        .getEagerStateKeysCommand: "GetEagerStateKeysCommandMessage",
        .getPromiseCommand: "GetPromiseCommandMessage",
        .peekPromiseCommand: "PeekPromiseCommandMessage",
        .completePromiseCommand: "CompletePromiseCommandMessage",
        .sleepCommand: "SleepCommandMessage",
        .callCommand: "CallCommandMessage",
        .oneWayCallCommand: "OneWayCallCommandMessage",
        .sendSignalCommand: "SendSignalCommandMessage",
        .runCommand: "RunCommandMessage",
        .attachInvocationCommand: "AttachInvocationCommandMessage",
        .getInvocationOutputCommand: "GetInvocationOutputCommandMessage",
        .completeAwakeableCommand: "CompleteAwakeableCommandMessage",
        .getLazyStateCompletionNotification: "GetLazyStateCompletionNotificationMessage",
        .getLazyStateKeysCompletionNotification: "GetLazyStateKeysCompletionNotificationMessage",
        .getPromiseCompletionNotification: "GetPromiseCompletionNotificationMessage",
        .peekPromiseCompletionNotification: "PeekPromiseCompletionNotificationMessage",
        .completePromiseCompletionNotification: "CompletePromiseCompletionNotificationMessage",
        .sleepCompletionNotification: "SleepCompletionNotificationMessage",
        .callCompletionNotification: "CallCompletionNotificationMessage",
        .callInvocationIdCompletionNotification: "CallInvocationIdCompletionNotificationMessage",
        .runCompletionNotification: "RunCompletionNotificationMessage",
        .attachInvocationCompletionNotification: "AttachInvocationCompletionNotificationMessage",
        .getInvocationOutputCompletionNotification: "GetInvocationOutputCompletionNotificationMessage",
        .signalNotification: "SignalNotificationMessage",
    ]

    /// Whether this id belongs to protocol V5–V7.
    public var isKnown: Bool { MessageType.known[self] != nil }

    /// The protocol's name for this id, e.g. `SleepCommandMessage`.
    public var name: String {
        MessageType.known[self] ?? "UnknownMessage(0x\(String(rawValue, radix: 16, uppercase: true)))"
    }
}

extension MessageType: CustomStringConvertible {
    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        return "\(name) (0x\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex))"
    }
}
