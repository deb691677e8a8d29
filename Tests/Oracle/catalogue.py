#!/usr/bin/env python3
"""Transcription of sdk-shared-core's VM tests (src/tests/*.rs at 7.0.0) into scenarios.

    python3 Tests/Oracle/catalogue.py [group …]     # writes Tests/Scenarios/<group>.json, no expect
    python3 Tests/Oracle/oracle.py record Tests/Scenarios/<group>.json   # fills expect from PyVM

Each scenario's `source` names the upstream test it transcribes. Scenarios the reference VM cannot
run carry a hand-written `expect` and a `source` starting with "Swift-only:". Re-running this
script drops recorded expectations (the hand-written ones are kept, being written here).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

from scenario_dsl import F, b64, cancel_signal, failure, input_cmd, op, scenario, signal, start, value

Json = Any
SCENARIOS_DIR = Path(__file__).resolve().parents[1] / "Scenarios"
GROUPS: dict[str, Callable[[], list[Json]]] = {}


def group(fn: Callable[[], list[Json]]) -> Callable[[], list[Json]]:
    GROUPS[fn.__name__] = fn
    return fn


def src(file: str, test: str) -> str:
    return f"sdk-shared-core src/tests/{file}.rs: {test}"


OUT_EMPTY = op("output", value=b"")
END = op("end")


# ------------------------------------------------------------------------------------------------
@group
def input_output() -> list[Json]:
    echo = [op("input", as_="input"), op("output", value=b"my-data"), END]
    plain = [op("input", as_="input"), OUT_EMPTY, END]
    return [
        scenario("input_output/echo", src("input_output", "echo"),
                 [start(1, partial_state=False), input_cmd(b"my-data")], echo),
        scenario("input_output/headers", src("input_output", "headers") + " (headers are not observable through ops)",
                 [start(1, partial_state=False), input_cmd(b"other-value", [("x-my-header", "my-value")])], plain),
        scenario("input_output/start_message_v7_fields", src("input_output", "start_message_v7_fields_surface_on_input")
                 + " (the fields are not observable through ops; checks they are accepted)",
                 [start(1, partial_state=False, scope="tenant-a", limitKey="user-42", idempotencyKey="idem-7"),
                  input_cmd(b"my-data")], plain, versions=(7,)),
        scenario("input_output/replay_output_too", src("input_output", "replay_output_too"),
                 [start(2, partial_state=False), input_cmd(b"my-data"),
                  F("OutputCommand", value=value(b"my-data"))], echo),
        scenario("input_output/minimum_version", src("mod", "instantiate_core_vm_minimum_supported_version")
                 + " + take_output_on_newly_initialized_vm",
                 [start(1, partial_state=False), input_cmd(b"my-data")], echo, versions=(5,)),
    ]


# ------------------------------------------------------------------------------------------------
def sleep_handler() -> list[Json]:
    return [op("input"), op("sleep", millis=1000, as_="s"), op("await", future="s", as_="await"),
            op("take", handle="s", as_="s.result"), OUT_EMPTY, END]


@group
def sleep() -> list[Json]:
    abc = dict(id=b"abc")
    return [
        scenario("sleep/sleep_suspends", src("sleep", "sleep_suspends"),
                 [start(1, **abc), input_cmd(b"Till")], sleep_handler()),
        scenario("sleep/sleep_completed", src("sleep", "sleep_completed"),
                 [start(3, **abc), input_cmd(b"Till"),
                  F("SleepCommand", wakeUpTime=1721123699086, resultCompletionId=1),
                  F("SleepCompletionNotification", completionId=1, void={})], sleep_handler()),
        scenario("sleep/sleep_still_sleeping", src("sleep", "sleep_still_sleeping"),
                 [start(2, **abc), input_cmd(b"Till"),
                  F("SleepCommand", wakeUpTime=1721123699086, resultCompletionId=1)], sleep_handler()),
    ]



# ------------------------------------------------------------------------------------------------
def later(*frames: Json) -> list[Json]:
    """Frames upstream feeds after the known entries, before the handler runs (input then closes)."""
    return [op("feed", frames=list(frames)), op("closeInput")]


def get_state_script(key: str = "STATE", out: bytes | None = None, prefix: list[Json] | None = None) -> list[Json]:
    code = (prefix or []) + [op("input"), op("getState", key=key, as_="get"), op("await", future="get", as_="await"),
                             op("take", handle="get", as_="get.result")]
    if out is not None:
        code += [op("output", value=out), END]
    return code


def lazy_get(key: str, cid: int) -> Json:
    return F("GetLazyStateCommand", key=key.encode(), resultCompletionId=cid)


def lazy_done(cid: int, v: bytes | None) -> Json:
    return F("GetLazyStateCompletionNotification", completionId=cid,
             **({"value": value(v)} if v is not None else {"void": {}}))


def eager_get(key: str, v: bytes | None) -> Json:
    return F("GetEagerStateCommand", key=key.encode(), **({"value": value(v)} if v is not None else {"void": {}}))


@group
def state() -> list[Json]:
    abc = dict(id=b"abc")
    till = input_cmd(b"Till")
    empty_input = F("InputCommand")
    fr = {"STATE": b"Francesco"}
    out: list[Json] = []

    def add(name: str, test: str, input: list[Json], code: list[Json], **kw: Any) -> None:
        out.append(scenario(f"state/{name}", src("state", test), input, code, **kw))

    # only_lazy_state
    add("lazy/entry_already_completed", "only_lazy_state::entry_already_completed",
        [start(3, **abc), till, lazy_get("STATE", 1), lazy_done(1, b"Francesco")], get_state_script(out=b"Francesco"))
    add("lazy/entry_already_completed_empty", "only_lazy_state::entry_already_completed_empty",
        [start(3, **abc), till, lazy_get("STATE", 1), lazy_done(1, None)], get_state_script(out=b"Unknown"))
    add("lazy/new_entry", "only_lazy_state::new_entry", [start(1, **abc), till], get_state_script(out=b"?"))
    add("lazy/entry_not_completed_on_replay", "only_lazy_state::entry_not_completed_on_replay",
        [start(2, **abc), till, lazy_get("STATE", 1)], get_state_script(out=b"?"))
    add("lazy/entry_on_replay_completed_later", "only_lazy_state::entry_on_replay_completed_later",
        [start(2, **abc), till, lazy_get("STATE", 1)],
        get_state_script(out=b"Francesco", prefix=later(lazy_done(1, b"Francesco"))), close_input=False)
    add("lazy/new_entry_completed_later", "only_lazy_state::new_entry_completed_later",
        [start(1, **abc), till], get_state_script(out=b"Francesco", prefix=later(lazy_done(1, b"Francesco"))),
        close_input=False)

    # eager
    add("eager/get_empty_with_complete_state", "eager::get_empty_with_complete_state",
        [start(1, partial_state=False, **abc), empty_input], get_state_script(out=b"true"))
    add("eager/get_empty_with_partial_state", "eager::get_empty_with_partial_state",
        [start(1, **abc), empty_input], get_state_script(out=b"true"))
    add("eager/get_empty_resume_with_partial_state", "eager::get_empty_resume_with_partial_state",
        [start(2, **abc), empty_input, eager_get("STATE", None)], get_state_script(out=b"true"))
    add("eager/get_with_complete_state", "eager::get_with_complete_state",
        [start(1, partial_state=False, state=fr, key="my-greeter", **abc), empty_input],
        get_state_script(out=b"Francesco"))
    add("eager/get_with_partial_state", "eager::get_with_partial_state",
        [start(1, state=fr, key="my-greeter", **abc), empty_input], get_state_script(out=b"Francesco"))
    add("eager/get_with_partial_state_without_the_state_entry",
        "eager::get_with_partial_state_without_the_state_entry",
        [start(1, **abc), empty_input], get_state_script(out=b"Francesco"))

    def append_script(prefix: list[Json] | None = None) -> list[Json]:
        return (prefix or []) + [
            op("input"), op("getState", key="STATE", as_="get1"), op("await", future="get1", as_="await1"),
            op("take", handle="get1", as_="get1.result"), op("setState", key="STATE", value=b"FrancescoTill"),
            op("getState", key="STATE", as_="get2"), op("await", future="get2", as_="await2"),
            op("take", handle="get2", as_="get2.result"), op("output", value=b"FrancescoTill"), END]

    add("eager/append_with_state_in_the_state_map", "eager::append_with_state_in_the_state_map",
        [start(1, state=fr, key="my-greeter", **abc), till], append_script())
    add("eager/append_with_partial_state_on_the_first_get", "eager::append_with_partial_state_on_the_first_get",
        [start(1, **abc), till], append_script(later(lazy_done(1, b"Francesco"))), close_input=False)

    def clear_script(clear_all: bool, prefix: list[Json] | None = None) -> list[Json]:
        code = (prefix or []) + [
            op("input"), op("getState", key="STATE", as_="get1"), op("await", future="get1", as_="await1"),
            op("take", handle="get1", as_="get1.result"),
            op("clearAllState") if clear_all else op("clearState", key="STATE"),
            op("getState", key="STATE", as_="get2"), op("await", future="get2", as_="await2"),
            op("take", handle="get2", as_="get2.result")]
        if clear_all:
            code += [op("getState", key="ANOTHER_STATE", as_="get3"), op("await", future="get3", as_="await3"),
                     op("take", handle="get3", as_="get3.result")]
        return code + [op("output", value=b"Francesco"), END]

    add("eager/get_and_clear_state_with_state_in_the_state_map",
        "eager::get_and_clear_state_with_state_in_the_state_map",
        [start(1, state=fr, key="my-greeter", **abc), till], clear_script(False))
    add("eager/get_and_clear_state_with_partial_state_on_the_first_get",
        "eager::get_and_clear_state_with_partial_state_on_the_first_get",
        [start(1, **abc), till], clear_script(False, later(lazy_done(1, b"Francesco"))), close_input=False)
    add("eager/get_clear_all_with_state_in_the_state_map", "eager::get_clear_all_with_state_in_the_state_map",
        [start(1, state={"STATE": b"Francesco", "ANOTHER_STATE": b"Francesco"}, key="my-greeter", **abc), till],
        clear_script(True))
    add("eager/get_clear_all_with_partial_state_on_the_first_get",
        "eager::get_clear_all_with_partial_state_on_the_first_get",
        [start(1, **abc), till], clear_script(True, later(lazy_done(1, b"Francesco"))), close_input=False)

    consecutive = [op("input"), op("getState", key="key-0", as_="get1"), op("await", future="get1", as_="await1"),
                   op("take", handle="get1", as_="get1.result"), op("getState", key="key-0", as_="get2"),
                   op("await", future="get2", as_="await2"), op("take", handle="get2", as_="get2.result"),
                   OUT_EMPTY, END]
    add("eager/consecutive_get_with_empty", "eager::consecutive_get_with_empty",
        [start(1, partial_state=False, **abc), empty_input], consecutive)
    add("eager/consecutive_get_with_empty_run_with_replay_of_the_first_get",
        "eager::consecutive_get_with_empty_run_with_replay_of_the_first_get",
        [start(2, partial_state=False, **abc), empty_input, eager_get("key-0", None)], consecutive)

    # state_keys
    def keys_script(out_value: bytes, prefix: list[Json] | None = None) -> list[Json]:
        return (prefix or []) + [op("input"), op("getStateKeys", as_="keys"), op("await", future="keys", as_="await"),
                                 op("take", handle="keys", as_="keys.result"), op("output", value=out_value), END]

    mine = {"keys": [b"MY-STATE", b"ANOTHER-STATE"]}
    add("keys/entry_already_completed", "state_keys::entry_already_completed",
        [start(2, **abc), till, F("GetEagerStateKeysCommand", value={"keys": [b"ANOTHER-STATE", b"MY-STATE"]})],
        keys_script(b"ANOTHER-STATE,MY-STATE"))
    add("keys/new_entry", "state_keys::new_entry", [start(1, **abc), till], keys_script(b"?"))
    add("keys/new_entry_completed_later", "state_keys::new_entry_completed_later", [start(1, **abc), till],
        keys_script(b"MY-STATE,ANOTHER-STATE",
                    later(F("GetLazyStateKeysCompletionNotification", completionId=1, stateKeys=mine))),
        close_input=False)
    add("keys/entry_on_replay_completed_later", "state_keys::entry_on_replay_completed_later",
        [start(2, **abc), till, F("GetLazyStateKeysCommand", resultCompletionId=1)],
        keys_script(b"MY-STATE,ANOTHER-STATE",
                    later(F("GetLazyStateKeysCompletionNotification", completionId=1, stateKeys=mine))),
        close_input=False)
    add("keys/new_entry_completed_with_eager_state", "state_keys::new_entry_completed_with_eager_state",
        [start(1, partial_state=False, state={"MY-STATE": b"Francesco", "ANOTHER-STATE": b"Till"}, **abc), till],
        keys_script(b"ANOTHER-STATE,MY-STATE"))
    return out



# ------------------------------------------------------------------------------------------------
def run_cmd(cid: int, name: str = "my-side-effect") -> Json:
    return F("RunCommand", resultCompletionId=cid, name=name)


def run_done(cid: int, v: bytes | None = None, fail: Json | None = None) -> Json:
    return F("RunCompletionNotification", completionId=cid, **({"failure": fail} if fail else {"value": value(v or b"")}))


def ok(v: bytes) -> Json:
    return {"value": b64(v)}


def terminal(code: int, message: str) -> Json:
    return {"failure": {"code": code, "message": message}}


def retryable(policy: Json, attempt_ms: int = 0, message: str = "my-error") -> Json:
    return {"retryable": {"code": 500, "message": message, "stacktrace": "my-stacktrace",
                          "attemptDurationMillis": attempt_ms, "policy": policy}}


def exponential(initial: int, factor: float, max_attempts: int | None = None,
                max_duration: int | None = None) -> Json:
    p: dict[str, Any] = {"initialIntervalMillis": initial, "factor": factor}
    if max_attempts is not None:
        p["maxAttempts"] = max_attempts
    if max_duration is not None:
        p["maxDurationMillis"] = max_duration
    return p


def run_script(outcome: Json, out: list[Json], prefix: list[Json] | None = None,
               feed: list[list[Json]] | None = None, name: str = "my-side-effect") -> list[Json]:
    await_op = op("await", future="run", as_="await", feed=feed)
    return (prefix or []) + [op("input"), op("run", name=name, as_="run", outcome=outcome), await_op,
                             op("take", handle="run", as_="run.result")] + out


@group
def run() -> list[Json]:
    s0 = start(1, partial_state=False)
    data = input_cmd(b"my-data")
    out: list[Json] = []

    def add(name: str, test: str, input: list[Json], code: list[Json], **kw: Any) -> None:
        out.append(scenario(f"run/{name}", src("run", test), input, code, **kw))

    add("enter_then_propose_completion_then_suspend", "enter_then_propose_completion_then_suspend",
        [s0, data], run_script(ok(b"123"), []), close_input=False)
    add("enter_then_propose_completion_then_complete", "enter_then_propose_completion_then_complete",
        [s0, data], run_script(ok(b"123"), [op("output", value=b"123"), END], feed=[[run_done(1, b"123")]]),
        versions=(5, 6), close_input=False)
    add("enter_then_propose_completion_then_complete_with_failure",
        "enter_then_propose_completion_then_complete_with_failure",
        [s0, data], run_script(terminal(500, "my-failure"), [op("outputFailure", code=500, message="my-failure"), END],
                               feed=[[run_done(1, fail=failure(500, "my-failure"))]]),
        versions=(5, 6), close_input=False)
    add("enter_then_notify_input_closed_then_propose_completion",
        "enter_then_notify_input_closed_then_propose_completion (input closed before the first await)",
        [s0, data], [op("input"), op("run", name="my-side-effect", as_="run", outcome=ok(b"123")), op("closeInput"),
                     op("await", future="run", as_="await")], close_input=False)
    add("replay_without_completion", "replay_without_completion",
        [start(2), data, run_cmd(1)], run_script(ok(b"123"), []))
    add("replay_without_completion_with_any", "replay_without_completion_with_any",
        [start(5), data, run_cmd(1), F("SleepCommand", resultCompletionId=2), F("SleepCommand", resultCompletionId=3),
         F("SleepCompletionNotification", completionId=2, void={})],
        [op("input"), op("run", name="my-side-effect", as_="run", outcome=ok(b"123")),
         op("sleep", millis=0, as_="sleep1"), op("await", future={"firstCompleted": ["run", "sleep1"]}, as_="await1"),
         op("sleep", millis=0, as_="sleep2"), op("await", future={"firstCompleted": ["run", "sleep2"]}, as_="await2")])
    add("replay_with_completion", "replay_with_completion",
        [start(3), data, run_cmd(1), run_done(1, b"123")], run_script(ok(b"123"), [op("output", value=b"123"), END]))
    add("replay_with_completion_followed_by_another_command_is_replayed",
        "replay_with_completion_followed_by_another_command_is_replayed",
        [start(4), data, run_cmd(1), F("SleepCommand", resultCompletionId=2), run_done(1, b"123")],
        [op("input"), op("run", name="my-side-effect", as_="run", outcome=ok(b"123")),
         op("sleep", millis=0, as_="sleep"), op("await", future="run", as_="await"),
         op("take", handle="run", as_="run.result"), op("output", value=b"123"), END])
    add("enter_then_notify_error", "enter_then_notify_error",
        [start(1), data], [op("input"), op("run", name="my-side-effect", as_="run", outcome=ok(b"123")),
                           op("notifyError", message="my-error", stacktrace="my-error-description")])

    # v7_with_ack
    add("v7_ack/propose_then_receive_ack_completes_with_success",
        "v7_with_ack::propose_then_receive_ack_completes_with_success",
        [s0, data], run_script(ok(b"result"), [op("output", value=b"result"), END],
                               feed=[[F("ProposeRunCompletionAck", completionId=1)]]),
        versions=(7,), close_input=False)
    add("v7_ack/propose_then_receive_ack_completes_with_failure",
        "v7_with_ack::propose_then_receive_ack_completes_with_failure",
        [s0, data], run_script(terminal(500, "side-effect-error"),
                               [op("outputFailure", code=500, message="side-effect-error"), END],
                               feed=[[F("ProposeRunCompletionAck", completionId=1)]]),
        versions=(7,), close_input=False)
    add("v7_ack/ack_with_unknown_completion_id_errors", "v7_with_ack::ack_with_unknown_completion_id_errors",
        [s0, data], run_script(ok(b"result"), [], feed=[[F("ProposeRunCompletionAck", completionId=99)]]),
        versions=(7,), close_input=False)
    add("v7_ack/ack_during_replay_is_unexpected", "v7_with_ack::ack_during_replay_is_unexpected"
        " (knownEntries deliberately counts the ack)",
        [start(3, partial_state=False), data, run_cmd(1), F("ProposeRunCompletionAck", completionId=1)],
        [op("input")], versions=(7,))

    # retry_policy
    def stop(name: str, test: str, retry_count: int, duration_ms: int, attempt_ms: int, policy: Json) -> None:
        add(f"retry/{name}", f"retry_policy::{test}",
            [start(2, retryCountSinceLastStoredEntry=retry_count, durationSinceLastStoredEntry=duration_ms),
             data, run_cmd(1)],
            run_script(retryable(policy, attempt_ms), [op("outputFailure", code=500, message="my-error"), END],
                       feed=[[run_done(1, fail=failure(500, "my-error"))]]),
            close_input=False)

    def cont(name: str, test: str, retry_count: int, duration_ms: int, attempt_ms: int, policy: Json) -> None:
        add(f"retry/{name}", f"retry_policy::{test}",
            [start(1, retryCountSinceLastStoredEntry=retry_count, durationSinceLastStoredEntry=duration_ms), data],
            run_script(retryable(policy, attempt_ms), []))

    cont("exit_with_retryable_error_no_retry_policy", "exit_with_retryable_error_no_retry_policy"
         " (an empty policy is the infinite policy)", 0, 0, 0, {})
    for rc, ma in [(0, 0), (0, 1), (1, 2), (2, 2), (2, 1), (2, 0), (99, 100)]:
        stop(f"should_stop_retrying_with_retry_count_and_max_attempts/{rc}_{ma}",
             f"should_stop_retrying_with_retry_count_and_max_attempts case({rc}, {ma})",
             rc, 1000, 1000, exponential(1000, 1.0, max_attempts=ma))
    for rc, ma in [(0, 2), (1, 3), (99, 101)]:
        cont(f"should_continue_retrying_with_retry_count_and_max_attempts/{rc}_{ma}",
             f"should_continue_retrying_with_retry_count_and_max_attempts case({rc}, {ma})",
             rc, 0, 0, exponential(1000, 1.0, max_attempts=ma))
    stop("exit_with_retryable_error_retry_policy_duration", "exit_with_retryable_error_retry_policy_duration",
         0, 0, 1000, exponential(1000, 1.0, max_duration=1000))
    stop("exit_with_retryable_error_retry_policy_none", "exit_with_retryable_error_retry_policy_none"
         " (RetryPolicy::None expressed as maxAttempts 0)", 0, 0, 0, exponential(1000, 1.0, max_attempts=0))
    cont("exit_with_retryable_error_retry_policy_fixed", "exit_with_retryable_error_retry_policy_fixed"
         " (FixedDelay expressed as factor 1)", 0, 0, 0, exponential(1000, 1.0))
    stop("exit_with_retryable_error_retry_policy_exhausted_max_duration",
         "exit_with_retryable_error_retry_policy_exhausted_max_duration (FixedDelay expressed as factor 1)",
         1, 1000, 1000, exponential(1000, 1.0, max_duration=2000))
    stop("exit_with_retryable_error_retry_policy_exhausted_max_attempts",
         "exit_with_retryable_error_retry_policy_exhausted_max_attempts (FixedDelay expressed as factor 1)",
         9, 1000, 1000, exponential(1000, 1.0, max_attempts=10))
    stop("exit_with_retryable_error_retry_policy_exhausted_max_attempts_0",
         "exit_with_retryable_error_retry_policy_exhausted_max_attempts_0", 0, 1000, 1000,
         exponential(1000, 1.0, max_attempts=0))
    stop("exit_with_retryable_error_retry_policy_exhausted_max_attempts_1",
         "exit_with_retryable_error_retry_policy_exhausted_max_attempts_1", 1, 1000, 1000,
         exponential(1000, 1.0, max_attempts=0))
    add("retry/retry_info_is_zero_when_entry_is_the_one_after_the_first_new_entry",
        "retry_policy::retry_info_is_zero_when_entry_is_the_one_after_the_first_new_entry"
        " (FixedDelay expressed as factor 1)",
        [start(1, retryCountSinceLastStoredEntry=10, durationSinceLastStoredEntry=10000), data],
        [op("input"), op("sleep", millis=100000, as_="sleep"),
         op("run", name="my-side-effect", as_="run",
            outcome=retryable(exponential(1000, 1.0, max_attempts=2, max_duration=100), 99)),
         op("await", future="run", as_="await")])
    return out



# ------------------------------------------------------------------------------------------------
def call_op(as_: str = "call", **kw: Any) -> Json:
    return op("call", service="MySvc", handler="MyHandler", parameter=b"", as_=as_, **kw)


def send_op(as_: str = "send", **kw: Any) -> Json:
    return op("send", service="MySvc", handler="MyHandler", parameter=b"", as_=as_, **kw)


def inv_id(cid: int, iid: str = "my-id") -> Json:
    return F("CallInvocationIdCompletionNotification", completionId=cid, invocationId=iid)


@group
def calls() -> list[Json]:
    data = input_cmd(b"my-data")
    out: list[Json] = []

    def add(name: str, test: str, input: list[Json], code: list[Json], **kw: Any) -> None:
        out.append(scenario(f"calls/{name}", src("calls", test), input, code, **kw))

    add("call_then_get_invocation_id_then_cancel_invocation", "call_then_get_invocation_id_then_cancel_invocation",
        [start(1), data],
        later(inv_id(1)) + [op("input"), call_op(), op("await", future="call.id", as_="await"),
                            op("take", handle="call.id", as_="call.id.result"),
                            op("cancelInvocation", target="my-id"), END], close_input=False)
    add("send_then_get_invocation_id_then_cancel_invocation", "send_then_get_invocation_id_then_cancel_invocation",
        [start(1), data],
        later(inv_id(1)) + [op("input"), send_op(), op("await", future="send", as_="await"),
                            op("take", handle="send", as_="send.result"),
                            op("cancelInvocation", target="my-id"), END], close_input=False)
    add("call_with_scope_and_limit_key_propagates_to_message", "call_with_scope_and_limit_key_propagates_to_message",
        [start(1), data], [op("input"), call_op(scope="tenant-a", limitKey="user-42"), END], versions=(7,))
    add("send_with_scope_and_limit_key_propagates_to_message", "send_with_scope_and_limit_key_propagates_to_message",
        [start(1), data], [op("input"), send_op(scope="tenant-a", limitKey="user-42"), END], versions=(7,))
    add("call_with_empty_scope_errors", "call_with_empty_scope_errors",
        [start(1), data], [op("input"), call_op(scope="")], versions=(7,))
    add("call_with_empty_limit_key_errors", "call_with_empty_limit_key_errors",
        [start(1), data], [op("input"), call_op(scope="tenant-a", limitKey="")], versions=(7,))
    add("call_with_scope_on_v6_returns_unsupported_feature", "call_with_scope_on_v6_returns_unsupported_feature",
        [start(1), data], [op("input"), call_op(scope="tenant-a")], versions=(5, 6))
    add("call_with_limit_key_on_v6_returns_unsupported_feature",
        "call_with_limit_key_on_v6_returns_unsupported_feature",
        [start(1), data], [op("input"), call_op(limitKey="user-42")], versions=(5, 6))
    return out


@group
def suspensions() -> list[Json]:
    data = input_cmd(b"my-data")
    out: list[Json] = []

    def add(name: str, test: str, input: list[Json], code: list[Json], **kw: Any) -> None:
        out.append(scenario(f"suspensions/{name}", src("suspensions", test), input, code, close_input=False, **kw))

    add("trigger_suspension_with_get_state", "trigger_suspension_with_get_state", [start(1), data],
        [op("input"), op("getState", key="Personaggio", as_="get"), op("take", handle="get", as_="get.before"),
         op("closeInput"), op("await", future="get", as_="await")])
    add("trigger_suspension_with_correct_awakeable", "trigger_suspension_with_correct_awakeable", [start(1), data],
        [op("input"), op("awakeable", as_="a1"), op("awakeable", as_="a2"), op("take", handle="a2", as_="a2.before"),
         op("closeInput"), op("await", future="a2", as_="await")])
    add("await_many_notifications", "await_many_notifications", [start(1), data],
        [op("input"), op("awakeable", as_="a1"), op("signal", name="abc", as_="abc"),
         op("getState", key="Personaggio", as_="get"), op("closeInput"),
         op("await", future={"firstCompleted": ["a1", "abc", "get"]}, as_="await")])
    add("when_notify_completion_then_notify_await_point_then_notify_input_closed_then_no_suspension",
        "when_notify_completion_then_notify_await_point_then_notify_input_closed_then_no_suspension",
        [start(1), data],
        [op("input"), op("awakeable", as_="a1"), op("awakeable", as_="a2"),
         op("await", future={"firstCompleted": ["a1", "a2"]}, as_="await",
            feed=[[signal(18, value=value(b"my-value"))]]),
         op("take", handle="a2", as_="a2.result"), op("output", value=b"my-value"), END],
        compare_awaiting_on=True)
    return out


@group
def implicit_cancellation() -> list[Json]:
    data = input_cmd(b"my-data")
    out: list[Json] = []

    def add(name: str, test: str, input: list[Json], code: list[Json], **kw: Any) -> None:
        out.append(scenario(f"implicit_cancellation/{name}", src("implicit_cancellation", test), input, code,
                            close_input=False, **kw))

    add("call_then_get_invocation_id_then_cancel", "call_then_get_invocation_id_then_cancel", [start(1), data],
        later(inv_id(1), cancel_signal()) + [
            op("input"), call_op(), op("await", future="call.id", as_="await1"),
            op("take", handle="call.id", as_="call.id.result"), op("await", future="call", as_="await2"), END])
    add("call_then_cancel", "call_then_cancel", [start(1), data],
        later(inv_id(1), cancel_signal()) + [op("input"), call_op(), op("await", future="call", as_="await"), END])
    add("call_then_cancel_without_invocation_id", "call_then_cancel_without_invocation_id", [start(1), data],
        later(cancel_signal()) + [op("input"), call_op(), op("await", future="call", as_="await")])
    out.append(scenario(
        "implicit_cancellation/call_then_then_cancel_disabling_children_cancellation",
        "Swift-only: vmOptions.cancelChildrenCalls=false is not exposed by PyVM; "
        + src("implicit_cancellation", "call_then_then_cancel_disabling_children_cancellation"),
        [start(1), data],
        later(cancel_signal()) + [op("input"), call_op(), op("await", future="call", as_="await"), END],
        versions=(7,), close_input=False, vm_options={"cancelChildrenCalls": False},
        expect={"output": [
            F("CallCommand", serviceName="MySvc", handlerName="MyHandler", invocationIdNotificationIdx=1,
              resultCompletionId=2), F("End")],
            "results": {"await": "cancelled"}}))
    out.append(scenario(
        "implicit_cancellation/disabled_implicit_cancellation",
        "Swift-only: vmOptions.implicitCancellation=false is not exposed by PyVM; "
        + src("implicit_cancellation", "disabled_implicit_cancellation"),
        [start(1), data],
        later(cancel_signal()) + [op("input"), call_op(), op("await", future="call", as_="await")],
        versions=(7,), close_input=False, vm_options={"implicitCancellation": False},
        expect={"output": [
            F("CallCommand", serviceName="MySvc", handlerName="MyHandler", invocationIdNotificationIdx=1,
              resultCompletionId=2),
            F("Suspension", awaitingOn={"waitingCompletions": [2], "combinatorType": "FIRST_COMPLETED"})],
            "results": {"await": "suspended"}}))
    call = dict(serviceName="MySvc", handlerName="MyHandler")
    add("replay_while_cancelling", "replay_while_cancelling",
        [start(7), data,
         F("CallCommand", invocationIdNotificationIdx=1, resultCompletionId=2, **call), inv_id(1, "my-id-1"),
         F("CallCommand", invocationIdNotificationIdx=3, resultCompletionId=4, **call), inv_id(3, "my-id-2"),
         cancel_signal(), F("SendSignalCommand", targetInvocationId="my-id-1", idx=1, void={})],
        [op("closeInput"), op("input"), call_op("call1"), call_op("call2"),
         op("await", future={"firstCompleted": ["call1", "call2"]}, as_="await"), END])
    return out



# ------------------------------------------------------------------------------------------------
@group
def promise() -> list[Json]:
    s0 = [start(1, id=b"abc"), F("InputCommand")]
    out: list[Json] = []
    myval = b'"my value"'

    def add(name: str, test: str, code: list[Json]) -> None:
        out.append(scenario(f"promise/{name}", src("promise", test), s0, code, close_input=False))

    def read(kind: str, note: Json, result: list[Json]) -> list[Json]:
        return later(note) + [op("input"), op(kind, key="my-prom", as_="p"), op("await", future="p", as_="await"),
                              op("take", handle="p", as_="p.result")] + result + [END]

    for kind, notif, mod in [("getPromise", "GetPromiseCompletionNotification", "get_promise"),
                             ("peekPromise", "PeekPromiseCompletionNotification", "peek_promise")]:
        add(f"{mod}/completed_with_success", f"{mod}::completed_with_success",
            read(kind, F(notif, completionId=1, value=value(myval)), [op("output", value=myval)]))
        add(f"{mod}/completed_with_failure", f"{mod}::completed_with_failure",
            read(kind, F(notif, completionId=1, failure=failure(500, "myerror")),
                 [op("outputFailure", code=500, message="myerror")]))
    add("peek_promise/completed_with_null", "peek_promise::completed_with_null",
        read("peekPromise", F("PeekPromiseCompletionNotification", completionId=1, void={}), [OUT_EMPTY]))

    def complete(result: Json, note: Json, out_value: bytes) -> list[Json]:
        return later(note) + [op("input"), op("completePromise", key="my-prom", as_="p", **result),
                              op("await", future="p", as_="await"), op("take", handle="p", as_="p.result"),
                              op("output", value=out_value), END]

    resolved = F("CompletePromiseCompletionNotification", completionId=1, void={})
    rejected = F("CompletePromiseCompletionNotification", completionId=1,
                 failure=failure(500, "cannot write promise"))
    add("complete_promise/resolve_promise_succeeds", "complete_promise::resolve_promise_succeeds",
        complete({"value": b"my val"}, resolved, b"true"))
    add("complete_promise/resolve_promise_fails", "complete_promise::resolve_promise_fails",
        complete({"value": b"my val"}, rejected, b"false"))
    add("complete_promise/reject_promise_succeeds", "complete_promise::reject_promise_succeeds",
        complete({"failure": failure(500, "my failure")}, resolved, b"true"))
    add("complete_promise/reject_promise_fails", "complete_promise::reject_promise_fails",
        complete({"failure": failure(500, "my failure")}, rejected, b"false"))
    return out



# ------------------------------------------------------------------------------------------------
@group
def failures() -> list[Json]:
    data = input_cmd(b"my-data")
    out: list[Json] = []

    def add(name: str, test: str, input: list[Json], code: list[Json], **kw: Any) -> None:
        out.append(scenario(f"failures/{name}", src("failures", test), input, code, **kw))

    add("got_closed_stream_before_end_of_replay", "got_closed_stream_before_end_of_replay",
        [start(2, partial_state=False), F("InputCommand")], [])
    add("explicit_error_notification", "explicit_error_notification (without the related-command hint,"
        " which the op vocabulary cannot express)",
        [start(1), data], [op("input"), op("notifyError", message="my-error", delayMillis=10000)])

    def mismatch(name: str, recorded: Json, code_op: Json) -> None:
        add(f"journal_mismatch/{name}", f"journal_mismatch::{name}",
            [start(2), data, recorded], [op("input"), code_op])

    mismatch("get_lazy_state_mismatch", lazy_get("my-key", 1), op("getState", key="another-key", as_="get"))
    mismatch("set_state_mismatch", F("SetStateCommand", key=b"my-key", value=value(b"my-value")),
             op("setState", key="my-key", value=b"another-value"))
    greet = dict(service="greeter", handler="greet", key="my-key")
    mismatch("one_way_call_mismatch",
             F("OneWayCallCommand", serviceName="greeter", handlerName="greet", key="my-key", parameter=b"123",
               invocationIdNotificationIdx=1),
             op("send", parameter=b"456", as_="send", **greet))
    add("journal_mismatch/follow_retry_policy_keeps_retry_behavior_on_mismatch",
        "journal_mismatch::follow_retry_policy_keeps_retry_behavior_on_mismatch (default options)",
        [start(2), data, F("OneWayCallCommand", serviceName="greeter", handlerName="greet", key="my-key",
                           parameter=b"123", invocationIdNotificationIdx=1)],
        [op("input"), op("send", parameter=b"456", as_="send", **greet)])
    add("payload_checks/disable_non_deterministic_payload_checks_on_vm",
        "journal_mismatch::disable_non_deterministic_payload_checks_on_vm",
        [start(5, state={"STATE": b"456"}), data,
         F("OneWayCallCommand", serviceName="greeter", handlerName="greet", key="my-key", parameter=b"123",
           invocationIdNotificationIdx=1),
         F("CallCommand", serviceName="greeter", handlerName="greet", key="my-key", parameter=b"123",
           invocationIdNotificationIdx=2, resultCompletionId=3),
         F("SetStateCommand", key=b"my-key", value=value(b"123")),
         eager_get("STATE", b"123")],
        [op("input"), op("send", parameter=b"456", as_="send", **greet),
         op("call", parameter=b"456", as_="call", **greet), op("setState", key="my-key", value=b"456"),
         op("getState", key="STATE", as_="get"), END],
        vm_options={"payloadChecks": False})
    return out



# ------------------------------------------------------------------------------------------------
@group
def async_result() -> list[Json]:
    code = [op("input"), op("call", service="Greeter", handler="greeter", parameter=b"Francesco", as_="call"),
            op("output", value=b"Whatever"), END]
    s0 = [start(1, partial_state=False), F("InputCommand")]
    return [
        scenario("async_result/dont_await_call", src("async_result", "dont_await_call"), s0, code),
        scenario("async_result/dont_await_call_dont_notify_input_closed",
                 src("async_result", "dont_await_call_dont_notify_input_closed"), s0, code, close_input=False),
    ]


def main(argv: list[str]) -> int:
    names = argv or list(GROUPS)
    for name in names:
        scenarios = GROUPS[name]()
        seen = set()
        for s in scenarios:
            assert s["name"] not in seen, s["name"]
            seen.add(s["name"])
        path = SCENARIOS_DIR / f"{name}.json"
        path.write_text(json.dumps({"scenarios": scenarios}, indent=2) + "\n")
        print(f"wrote {len(scenarios)} scenarios to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
