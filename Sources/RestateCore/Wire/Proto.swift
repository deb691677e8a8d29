/// Short names for the generated service-protocol messages (`Generated/*.pb.swift`).
///
/// The generated types carry the protobuf package as a prefix
/// (`Dev_Restate_Service_Protocol_StartMessage`); code in this package refers to them as
/// `Proto.StartMessage`.
public enum Proto {
    public typealias AttachInvocationCommandMessage = Dev_Restate_Service_Protocol_AttachInvocationCommandMessage
    public typealias AttachInvocationCompletionNotificationMessage =
        Dev_Restate_Service_Protocol_AttachInvocationCompletionNotificationMessage
    public typealias AwaitingOnMessage = Dev_Restate_Service_Protocol_AwaitingOnMessage
    public typealias BuiltInSignal = Dev_Restate_Service_Protocol_BuiltInSignal
    public typealias CallCommandMessage = Dev_Restate_Service_Protocol_CallCommandMessage
    public typealias CallCompletionNotificationMessage = Dev_Restate_Service_Protocol_CallCompletionNotificationMessage
    public typealias CallInvocationIdCompletionNotificationMessage =
        Dev_Restate_Service_Protocol_CallInvocationIdCompletionNotificationMessage
    public typealias ClearAllStateCommandMessage = Dev_Restate_Service_Protocol_ClearAllStateCommandMessage
    public typealias ClearStateCommandMessage = Dev_Restate_Service_Protocol_ClearStateCommandMessage
    public typealias CombinatorType = Dev_Restate_Service_Protocol_CombinatorType
    public typealias CommandAckMessage = Dev_Restate_Service_Protocol_CommandAckMessage
    public typealias CompleteAwakeableCommandMessage = Dev_Restate_Service_Protocol_CompleteAwakeableCommandMessage
    public typealias CompletePromiseCommandMessage = Dev_Restate_Service_Protocol_CompletePromiseCommandMessage
    public typealias CompletePromiseCompletionNotificationMessage =
        Dev_Restate_Service_Protocol_CompletePromiseCompletionNotificationMessage
    public typealias EndMessage = Dev_Restate_Service_Protocol_EndMessage
    public typealias ErrorBehavior = Dev_Restate_Service_Protocol_ErrorBehavior
    public typealias ErrorMessage = Dev_Restate_Service_Protocol_ErrorMessage
    public typealias Failure = Dev_Restate_Service_Protocol_Failure
    public typealias FailureMetadata = Dev_Restate_Service_Protocol_FailureMetadata
    public typealias Future = Dev_Restate_Service_Protocol_Future
    public typealias GetEagerStateCommandMessage = Dev_Restate_Service_Protocol_GetEagerStateCommandMessage
    public typealias GetEagerStateKeysCommandMessage = Dev_Restate_Service_Protocol_GetEagerStateKeysCommandMessage
    public typealias GetInvocationOutputCommandMessage = Dev_Restate_Service_Protocol_GetInvocationOutputCommandMessage
    public typealias GetInvocationOutputCompletionNotificationMessage =
        Dev_Restate_Service_Protocol_GetInvocationOutputCompletionNotificationMessage
    public typealias GetLazyStateCommandMessage = Dev_Restate_Service_Protocol_GetLazyStateCommandMessage
    public typealias GetLazyStateCompletionNotificationMessage =
        Dev_Restate_Service_Protocol_GetLazyStateCompletionNotificationMessage
    public typealias GetLazyStateKeysCommandMessage = Dev_Restate_Service_Protocol_GetLazyStateKeysCommandMessage
    public typealias GetLazyStateKeysCompletionNotificationMessage =
        Dev_Restate_Service_Protocol_GetLazyStateKeysCompletionNotificationMessage
    public typealias GetPromiseCommandMessage = Dev_Restate_Service_Protocol_GetPromiseCommandMessage
    public typealias GetPromiseCompletionNotificationMessage =
        Dev_Restate_Service_Protocol_GetPromiseCompletionNotificationMessage
    public typealias Header = Dev_Restate_Service_Protocol_Header
    public typealias IdempotentRequestTarget = Dev_Restate_Service_Protocol_IdempotentRequestTarget
    public typealias InputCommandMessage = Dev_Restate_Service_Protocol_InputCommandMessage
    public typealias NotificationTemplate = Dev_Restate_Service_Protocol_NotificationTemplate
    public typealias OneWayCallCommandMessage = Dev_Restate_Service_Protocol_OneWayCallCommandMessage
    public typealias OutputCommandMessage = Dev_Restate_Service_Protocol_OutputCommandMessage
    public typealias PeekPromiseCommandMessage = Dev_Restate_Service_Protocol_PeekPromiseCommandMessage
    public typealias PeekPromiseCompletionNotificationMessage =
        Dev_Restate_Service_Protocol_PeekPromiseCompletionNotificationMessage
    public typealias ProposeRunCompletionAckMessage = Dev_Restate_Service_Protocol_ProposeRunCompletionAckMessage
    public typealias ProposeRunCompletionMessage = Dev_Restate_Service_Protocol_ProposeRunCompletionMessage
    public typealias RunCommandMessage = Dev_Restate_Service_Protocol_RunCommandMessage
    public typealias RunCompletionNotificationMessage = Dev_Restate_Service_Protocol_RunCompletionNotificationMessage
    public typealias SendSignalCommandMessage = Dev_Restate_Service_Protocol_SendSignalCommandMessage
    public typealias ServiceProtocolVersion = Dev_Restate_Service_Protocol_ServiceProtocolVersion
    public typealias SetStateCommandMessage = Dev_Restate_Service_Protocol_SetStateCommandMessage
    public typealias SignalNotificationMessage = Dev_Restate_Service_Protocol_SignalNotificationMessage
    public typealias SleepCommandMessage = Dev_Restate_Service_Protocol_SleepCommandMessage
    public typealias SleepCompletionNotificationMessage =
        Dev_Restate_Service_Protocol_SleepCompletionNotificationMessage
    public typealias StartMessage = Dev_Restate_Service_Protocol_StartMessage
    public typealias StateKeys = Dev_Restate_Service_Protocol_StateKeys
    public typealias SuspensionMessage = Dev_Restate_Service_Protocol_SuspensionMessage
    public typealias SuspensionMessageV6 = Dev_Restate_Service_Protocol_SuspensionMessageV6
    public typealias Value = Dev_Restate_Service_Protocol_Value
    public typealias Void = Dev_Restate_Service_Protocol_Void
    public typealias WorkflowTarget = Dev_Restate_Service_Protocol_WorkflowTarget
}
