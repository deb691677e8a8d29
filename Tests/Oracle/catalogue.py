#!/usr/bin/env python3
"""Transcription of sdk-shared-core's VM tests (src/tests/*.rs at 7.0.0) into scenarios.

    python3 Tests/Oracle/catalogue.py [group …]     # writes Tests/Scenarios/<group>.json, no expect
    python3 Tests/Oracle/oracle.py record Tests/Scenarios/<group>.json   # fills expect from PyVM
    python3 Tests/Oracle/catalogue.py check-do-await   # self-check of the async_result do_await matrix

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

    # retry_policy::test_should_pause_on_exhaustion: OnMaxAttempts::Pause. Upstream asserts
    # ErrorMessage{code 500, "my-error", "my-stacktrace", behavior PAUSE, no next_retry_delay}; the
    # related-command fields are those of every run retry error (ProposeRunCompletion sets them on
    # the Pause path as on the Retry path: run 1, "my-side-effect", RunCommand).
    def pause(name: str, retry_count: int, duration_ms: int, attempt_ms: int, policy: Json) -> None:
        out.append(scenario(f"run/retry/{name}",
            "Swift-only: run policy onMaxAttempts \"pause\" is not exposed by PyVM; expect written from the upstream"
            " assertions; " + src("run", f"retry_policy::{name}") + " (via test_should_pause_on_exhaustion)",
            [start(2, retryCountSinceLastStoredEntry=retry_count, durationSinceLastStoredEntry=duration_ms),
             data, run_cmd(1)],
            run_script(retryable({**policy, "onMaxAttempts": "pause"}, attempt_ms), []),
            versions=(7,),
            expect={"output": [F("Error", code=500, relatedCommandIndex=1, relatedCommandName="my-side-effect",
                                 relatedCommandType=0x0411, behavior="PAUSE")],
                    "results": {"run.replayed": {"replayed": False}}, "error": 500}))

    pause("exit_with_retryable_error_fixed_delay_pause_on_max_attempts", 9, 1000, 1000,
          exponential(1000, 1.0, max_attempts=10))
    pause("exit_with_retryable_error_fixed_delay_pause_on_max_duration", 1, 1000, 1000,
          exponential(1000, 1.0, max_duration=2000))
    pause("exit_with_retryable_error_exponential_pause_on_max_attempts", 0, 1000, 1000,
          exponential(1000, 1.0, max_attempts=0))
    out.append(scenario("run/retry/propose_run_completion_with_pause_policy_on_v6_returns_unsupported_feature",
        "Swift-only: run policy onMaxAttempts \"pause\" is not exposed by PyVM; expect written from the upstream"
        " assertion (error code 573; the RunCommand is written by sys_run before the proposal, the ErrorMessage"
        " carries no related command); "
        + src("run", "retry_policy::propose_run_completion_with_pause_policy_on_v6_returns_unsupported_feature")
        + " (FixedDelay expressed as factor 1; V5 added: pause needs V7)",
        [start(1), data],
        run_script({"retryable": {"code": 500, "message": "my-error", "attemptDurationMillis": 0,
                                  "policy": {"initialIntervalMillis": 1000, "factor": 1.0, "maxAttempts": 1,
                                             "onMaxAttempts": "pause"}}}, []),
        versions=(5, 6),
        expect={"output": [run_cmd(1), F("Error", code=573)],
                "results": {"run.replayed": {"replayed": False}}, "error": 573}))
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

    # journal_mismatch::expect_error_behavior with VMOptions.journal_mismatch_retry_behavior. The
    # ErrorMessage is the one PyVM records for the default (follow_retry_policy_keeps_retry_behavior_on_mismatch
    # above: code 570 + related command 1, OneWayCall); upstream asserts the code, `behavior` and no
    # next_retry_delay. The behavior is only applied from V7 on.
    def mismatch_behavior(name: str, behavior_opt: str, versions: tuple[int, ...], behavior: str | None) -> None:
        msg: dict[str, Any] = {"code": 570, "relatedCommandIndex": 1, "relatedCommandType": 0x040E}
        if behavior:
            msg["behavior"] = behavior
        out.append(scenario(
            f"failures/journal_mismatch/{name}",
            "Swift-only: vmOptions.journalMismatchRetryBehavior is not exposed by PyVM; expect written from the"
            f" upstream assertions; " + src("failures", f"journal_mismatch::{name}"),
            [start(2), data, F("OneWayCallCommand", serviceName="greeter", handlerName="greet", key="my-key",
                               parameter=b"123", invocationIdNotificationIdx=1)],
            [op("input"), op("send", parameter=b"456", as_="send", **greet)],
            versions=versions, vm_options={"journalMismatchRetryBehavior": behavior_opt},
            expect={"output": [F("Error", **msg)], "results": {}, "error": 570}))

    mismatch_behavior("pause_retry_policy_sets_pause_behavior_on_mismatch", "pause", (7,), "PAUSE")
    mismatch_behavior("fail_retry_policy_sets_fail_behavior_on_mismatch", "fail", (7,), "FAIL")
    mismatch_behavior("pause_retry_policy_on_v6_keeps_retry_behavior", "pause", (6,), None)
    mismatch_behavior("fail_retry_policy_on_v6_keeps_retry_behavior", "fail", (6,), None)

    # journal_mismatch::add_await_*_after_progress_was_made (UncompletedDoProgressDuringReplay)
    sleep_cmd = lambda cid: F("SleepCommand", resultCompletionId=cid)  # noqa: E731
    sleep_done = lambda cid: F("SleepCompletionNotification", completionId=cid, void={})  # noqa: E731
    add("journal_mismatch/add_await_run_after_progress_was_made",
        "journal_mismatch::add_await_run_after_progress_was_made",
        [start(4), data, run_cmd(1), sleep_cmd(2), sleep_done(2)],
        [op("input"), op("run", name="my-side-effect", as_="run", outcome=ok(b"123")),
         op("await", future="run", as_="await")])
    add("journal_mismatch/add_await_sleep_after_progress_was_made",
        "journal_mismatch::add_await_sleep_after_progress_was_made",
        [start(4), data, sleep_cmd(1), sleep_cmd(2), sleep_done(2)],
        [op("input"), op("sleep", millis=0, as_="sleep"), op("await", future="sleep", as_="await")])
    add("journal_mismatch/add_await_awakeable_after_progress_was_made",
        "journal_mismatch::add_await_awakeable_after_progress_was_made",
        [start(3), data, sleep_cmd(2), sleep_done(2)],
        [op("input"), op("awakeable", as_="awk"), op("await", future="awk", as_="await")])
    return out



# ------------------------------------------------------------------------------------------------
# -- async_result.rs do_await matrix: a future tree is an awakeable index (signal 17 + i) or
# (kind, [children]) with kind in first/all/fsoaf/asoff/unknown (the upstream macros).
SIG_CANCEL = ("signal", 1)
KIND_DSL = {"first": "firstCompleted", "all": "allCompleted", "fsoaf": "firstSucceededOrAllFailed",
            "asoff": "allSucceededOrFirstFailed", "unknown": "unknown"}
KIND_WIRE = {"first": "FIRST_COMPLETED", "all": "ALL_COMPLETED", "fsoaf": "FIRST_SUCCEEDED_OR_ALL_FAILED",
             "asoff": "ALL_SUCCEEDED_OR_FIRST_FAILED", "unknown": None}


def fc(*c: Any) -> Any: return ("first", list(c))
def ac(*c: Any) -> Any: return ("all", list(c))
def fsoaf(*c: Any) -> Any: return ("fsoaf", list(c))
def asoff(*c: Any) -> Any: return ("asoff", list(c))
def unk(*c: Any) -> Any: return ("unknown", list(c))


def _leaf_signal(t: Any) -> int | None:
    if isinstance(t, int):
        return 17 + t
    if isinstance(t, tuple) and t[0] == "signal":
        return t[1]
    return None


def tree_dsl(t: Any) -> Json:
    if isinstance(t, int):
        return f"a{t}"
    kind, children = t
    return {KIND_DSL[kind]: [tree_dsl(c) for c in children]}


def tree_wire(t: Any) -> Json:
    """sdk-shared-core AsyncResultsState::resolve_unresolved_future: a Single is a FIRST_COMPLETED
    future with one leaf; Single children are inlined into the parent's waiting_*, the others nest;
    Unknown has no combinator type (COMBINATOR_TYPE_UNKNOWN, omitted in JSON)."""
    sig = _leaf_signal(t)
    if sig is not None:
        return {"waitingSignals": [sig], "combinatorType": "FIRST_COMPLETED"}
    kind, children = t
    out: dict[str, Any] = {}
    for c in children:
        s = _leaf_signal(c)
        if s is not None:
            out.setdefault("waitingSignals", []).append(s)
        else:
            out.setdefault("nestedFutures", []).append(tree_wire(c))
    if KIND_WIRE[kind]:
        out["combinatorType"] = KIND_WIRE[kind]
    return out


def with_cancel(t: Any) -> Any:
    """What CoreVM::do_await awaits with implicit cancellation on: FirstCompleted[t, Single(cancel)]."""
    return ("first", [t, SIG_CANCEL])


def uses_only_py_combinators(t: Any) -> bool:
    if _leaf_signal(t) is not None:
        return True
    return t[0] in ("first", "all") and all(uses_only_py_combinators(c) for c in t[1])


def compile_await_test(n: int, steps: list[tuple]) -> tuple[list[Json], list[tuple[str, Any]], dict[str, Json], list[str]]:
    """Compiles an upstream `AwaitTest` chain (given_n_futures(n) + steps) into ops.

    Returns (code, expected frames as (kind, reduced tree) without the cancel wrapper, expected
    results, notes on where the script deviates from the upstream call sequence).
    Steps: ("ao", fut, reduced) = when_await_then_awaiting_on; ("notify"|"notify_fail", [i…]);
    ("close",); ("completed", fut); ("expect", [i…]) = expect_completed; ("suspended", fut, reduced).
    """
    code: list[Json] = [op("input")] + [op("awakeable", as_=f"a{i}") for i in range(n)]
    frames: list[tuple[str, Any]] = []
    results: dict[str, Json] = {f"a{i}.awakeableId": None for i in range(n)}  # filled by the caller
    notes: list[str] = []
    notified: dict[int, Json] = {}
    taken: set[int] = set()
    deferred: set[int] = set()
    cur: dict[str, Any] | None = None  # the open await op
    cur_waiting = False  # the open await just got WaitingExternalProgress (the next notify is a batch)
    close_pending = False
    last_reduced: Any = None
    n_await = n_take = 0
    stopped = False

    def new_await(fut: Any) -> dict[str, Any]:
        nonlocal n_await
        n_await += 1
        a = op("await", future=tree_dsl(fut), as_=f"await{n_await}")
        code.append(a)
        return a

    def takes(indices: set[int], all_others: bool) -> None:
        nonlocal n_take
        n_take += 1
        for i in range(n):
            if i in taken or (not all_others and i not in indices):
                continue
            name = f"a{i}.take{n_take}"
            code.append(op("take", handle=f"a{i}", as_=name))
            if i in indices:
                results[name] = notified[i]
                taken.add(i)
            else:
                results[name] = None

    for st in steps:
        kind = st[0]
        if kind == "ao":
            if cur is None:
                cur = new_await(st[1])
            elif tree_dsl(st[1]) != cur["future"]:
                notes.append("the await loop keeps awaiting its first future where upstream passes a rebuilt one")
            frames.append(("AwaitingOn", st[2]))
            last_reduced = st[2]
            cur_waiting = True
        elif kind in ("notify", "notify_fail"):
            batch = []
            for i in st[1]:
                if kind == "notify":
                    batch.append(signal(17 + i))
                    notified[i] = {"void": True}
                else:
                    batch.append(F("SignalNotification", idx=17 + i, failure={}))
                    notified[i] = {"failure": {"code": 0, "message": ""}}
            if cur is None:
                code.append(op("feed", frames=batch))
            elif cur_waiting:
                cur.setdefault("feed", []).append(batch)
                cur_waiting = False
            else:
                cur["feed"][-1].extend(batch)
        elif kind == "close":
            if cur is None:
                code.append(op("closeInput"))
            else:
                close_pending = True
        elif kind == "completed":
            if cur is None:
                cur = new_await(st[1])
            elif tree_dsl(st[1]) != cur["future"]:
                notes.append("the await loop keeps awaiting its first future where upstream passes a rebuilt one")
            results[cur["as"]] = "completed"
            cur, cur_waiting = None, False
            if close_pending:
                code.append(op("closeInput"))
                notes.append("the input is closed after the completing await instead of just before it")
                close_pending = False
        elif kind == "expect":
            if cur is not None:
                deferred |= set(st[1])
                notes.append("expect_completed between two awaits of one await loop is checked after the loop")
            else:
                takes(set(st[1]) | deferred, True)
                deferred = set()
        elif kind == "suspended":
            if cur is None:
                cur = new_await(st[1])
            frames.append(("Suspension", st[2]))
            results[cur["as"]] = "suspended"
            stopped = True
            break
        else:
            raise ValueError(kind)
    if not stopped and cur is not None:
        # The await loop cannot stop at WaitingExternalProgress: it closes the input and the VM
        # suspends on the last reduced tree (not asserted upstream, whose test ends there).
        frames.append(("Suspension", last_reduced))
        results[cur["as"]] = "suspended"
        notes.append("the test ends at an AwaitingOn; here the input then closes and the VM suspends on the same tree")
        deferred = set()
    if deferred and not stopped:
        takes(deferred, False)
    return code, frames, results, list(dict.fromkeys(notes))


AWAIT_TESTS: list[tuple[str, int, list[tuple]]] = [
    ("first_completed_returns_first_resolved", 2, [
        ("ao", fc(0, 1), fc(0, 1)), ("notify", [1, 0]), ("close",), ("completed", fc(0, 1)), ("expect", [1])]),
    ("nested_all_of_first_and_all_progressive", 3, [
        ("ao", ac(fc(0, 1), ac(0, 1, 2)), ac(fc(0, 1), ac(0, 1, 2))), ("notify", [1]),
        ("completed", ac(fc(0, 1), ac(0, 1, 2))), ("expect", [1]),
        ("ao", ac(ac(0, 2)), ac(ac(0, 2))), ("notify", [0]), ("ao", ac(ac(0, 2)), ac(ac(2))), ("expect", [0]),
        ("notify", [2]), ("completed", ac(ac(2))), ("expect", [2])]),
    ("nested_all_of_first_and_all_batch", 3, [
        ("ao", ac(fc(0, 1), ac(0, 1, 2)), ac(fc(0, 1), ac(0, 1, 2))), ("notify", [1, 0, 2]),
        ("completed", ac(fc(0, 1), ac(0, 1, 2))), ("expect", [1]),
        ("completed", ac(ac(0, 2))), ("expect", [0, 2])]),
    ("all_of_two_first_completed_disjoint", 3, [
        ("ao", ac(fc(0, 1), fc(1, 2)), ac(fc(0, 1), fc(1, 2))), ("notify", [2, 1]),
        ("completed", ac(fc(0, 1), fc(1, 2))), ("expect", [2]),
        ("completed", ac(fc(0, 1))), ("expect", [1])]),
    ("all_of_two_first_completed_shared_handle_outer_resolves_first", 3, [
        ("ao", ac(fc(0, 1), fc(2, 1)), ac(fc(0, 1), fc(2, 1))), ("notify", [2, 1]),
        ("completed", ac(fc(0, 1), fc(2, 1))), ("expect", [2]),
        ("completed", ac(fc(0, 1))), ("expect", [1])]),
    ("all_of_two_first_completed_shared_handle_resolves_both", 3, [
        ("ao", ac(fc(0, 1), fc(2, 1)), ac(fc(0, 1), fc(2, 1))), ("notify", [1, 0]),
        ("completed", ac(fc(0, 1), fc(2, 1))), ("expect", [1])]),
    ("all_completed_partial_resolution_then_suspends", 2, [
        ("notify", [1]), ("ao", ac(0, 1), ac(0)), ("expect", [1]), ("close",), ("suspended", ac(0), ac(0))]),
    ("all_completed_partial_resolution_then_suspends_again", 2, [
        ("notify", [1]), ("ao", ac(0, 1), ac(0)), ("expect", [1]), ("close",), ("suspended", ac(0), ac(0))]),
    ("all_completed_input_closed_before_await", 2, [
        ("notify", [1]), ("close",), ("suspended", ac(0, 1), ac(0))]),
    ("all_completed_with_unknown_inner", 3, [
        ("ao", ac(unk(0, 1), fc(2, 1)), ac(unk(0, 1), fc(2, 1))), ("notify", [1, 0]),
        ("completed", ac(unk(0, 1), fc(2, 1))), ("expect", [1])]),
    ("first_succeeded_or_all_failed_with_unknown_inner", 3, [
        ("ao", fsoaf(unk(0, 1), fc(2, 1)), fsoaf(unk(0, 1), fc(2, 1))), ("notify", [1, 0]),
        ("completed", fsoaf(unk(0, 1), fc(2, 1))), ("expect", [1])]),
    ("all_succeeded_or_first_failed_short_circuits_on_failure", 4, [
        ("ao", asoff(fc(0, 1), fc(2, 3)), asoff(fc(0, 1), fc(2, 3))), ("notify_fail", [1, 0, 2, 3]),
        ("completed", asoff(fc(0, 1), fc(2, 3))), ("expect", [1])]),
    ("all_succeeded_or_first_failed_inner_all_completed_fully_fails", 4, [
        ("ao", asoff(ac(0, 1), ac(2, 3)), asoff(ac(0, 1), ac(2, 3))), ("notify_fail", [1, 0]),
        ("ao", asoff(ac(0, 1), ac(2, 3)), asoff(ac(2, 3))), ("expect", [1, 0])]),
    ("all_succeeded_or_first_failed_inner_all_completed_partial_failure", 4, [
        ("ao", asoff(ac(0, 1), ac(2, 3)), asoff(ac(0, 1), ac(2, 3))), ("notify_fail", [1]),
        ("ao", asoff(ac(0, 1), ac(2, 3)), asoff(ac(0), ac(2, 3))), ("expect", [1])]),
    ("all_succeeded_or_first_failed_unknown_shared_handle_batch", 3, [
        ("ao", asoff(unk(0, 1), ac(2, 1)), asoff(unk(0, 1), ac(2, 1))), ("notify", [2, 1]),
        ("completed", asoff(unk(0, 1), ac(2, 1))), ("expect", [2, 1])]),
    ("all_succeeded_or_first_failed_unknown_shared_handle_progressive", 3, [
        ("ao", asoff(unk(0, 1), ac(2, 1)), asoff(unk(0, 1), ac(2, 1))), ("notify", [2]),
        ("ao", asoff(unk(0, 1), ac(2, 1)), asoff(unk(0, 1), ac(1))), ("expect", [2]), ("notify", [0]),
        ("completed", asoff(unk(0, 1), ac(1)))]),
    ("all_succeeded_or_first_failed_unknown_disjoint_handles_batch", 4, [
        ("ao", asoff(unk(0, 1), ac(2, 3)), asoff(unk(0, 1), ac(2, 3))), ("notify", [2, 3, 1]),
        ("completed", asoff(unk(0, 1), ac(2, 3))), ("expect", [2, 3, 1])]),
    ("all_succeeded_or_first_failed_unknown_disjoint_handles_progressive", 4, [
        ("ao", asoff(unk(0, 1), ac(2, 3)), asoff(unk(0, 1), ac(2, 3))), ("notify", [2, 3]),
        ("ao", asoff(unk(0, 1), ac(2, 3)), asoff(unk(0, 1))), ("expect", [2, 3]), ("notify", [1]),
        ("completed", asoff(unk(0, 1))), ("expect", [1])]),
]


def awakeable_id(idx: int, invocation_id: bytes = b"123") -> str:
    import base64
    import struct
    return "sign_1" + base64.urlsafe_b64encode(invocation_id + struct.pack(">I", idx)).decode().rstrip("=")


def await_frames(frames: list[tuple[str, Any]], cancel: bool) -> list[Json]:
    return [F(kind, awaitingOn=tree_wire(with_cancel(t) if cancel else t)) for kind, t in frames]


def do_await_scenarios() -> list[Json]:
    """The `do_await` module: each test twice when PyVM can run it (recorded, implicit cancellation
    on, as PyVM always has it), and once as Swift-only with implicit cancellation off (as upstream),
    with `expect` computed from the upstream reduced trees."""
    out: list[Json] = []
    s0 = [start(1, partial_state=False), input_cmd(b"test")]
    for name, n, steps in AWAIT_TESTS:
        code, frames, results, notes = compile_await_test(n, steps)
        for i in range(n):
            results[f"a{i}.awakeableId"] = {"awakeableId": awakeable_id(17 + i)}
        base = src("async_result", f"do_await::{name}")
        note = "".join(f"; {x}" for x in notes)
        trees = [t for _, t in frames] + [st[1] for st in steps if len(st) > 1 and isinstance(st[1], tuple)]
        if all(uses_only_py_combinators(t) for t in trees):
            out.append(scenario(
                f"async_result/do_await/{name}",
                base + " (recorded with PyVM, whose implicit cancellation is always on: every AwaitingOn/Suspension"
                " tree T of upstream is FirstCompleted[T, signal 1] here" + note + ")",
                s0, code, versions=(7,), close_input=False, compare_awaiting_on=True))
            # The expected frames with the cancel wrapper, for catalogue self-checks (see check_do_await).
            out[-1]["_cancelFrames"] = await_frames(frames, True)
            out[-1]["_results"] = results
        out.append(scenario(
            f"async_result/do_await/{name}/no_implicit_cancellation",
            "Swift-only: vmOptions.implicitCancellation=false (as upstream) is not exposed by PyVM"
            + ("" if all(uses_only_py_combinators(t) for t in trees)
               else ", nor are firstSucceededOrAllFailed/allSucceededOrFirstFailed/unknown")
            + "; expect written from the upstream reduced trees; " + base + note,
            s0, code, versions=(7,), close_input=False, vm_options={"implicitCancellation": False},
            compare_awaiting_on=True, expect={"output": await_frames(frames, False), "results": results}))
    return out


def reverse_await_order() -> list[Json]:
    s0 = [start(1, id=b"abc", partial_state=True), F("InputCommand")]
    greeter = dict(service="Greeter", handler="greeter")
    code = [op("input"), op("call", parameter=b"Francesco", as_="h1", **greeter),
            op("call", parameter=b"Till", as_="h2", **greeter),
            op("await", future="h2", as_="await_h2"), op("take", handle="h2", as_="h2.result"),
            op("setState", key="A2", value=b"TILL"),
            op("await", future="h1", as_="await_h1"), op("take", handle="h1", as_="h1.result"),
            op("output", value=b"FRANCESCO-TILL"), END]
    call_done = lambda cid, v: F("CallCompletionNotification", completionId=cid, value=value(v))  # noqa: E731
    cases = [
        ("none_completed", []),
        ("a1_and_a2_completed_later", [inv_id(1, "a1"), inv_id(3, "a2"), call_done(2, b"FRANCESCO"),
                                       call_done(4, b"TILL")]),
        ("a2_and_a1_completed_later", [call_done(4, b"TILL"), call_done(2, b"FRANCESCO")]),
        ("only_a2_completed", [call_done(4, b"TILL")]),
        ("only_a1_completed", [call_done(2, b"FRANCESCO")]),
    ]
    out = []
    for name, notes in cases:
        extra = " (upstream's take_notification after the suspension, which errors with closed, is not expressible:" \
                " the script stops at the suspension)" if name in ("none_completed", "only_a2_completed",
                                                                    "only_a1_completed") else ""
        if notes:
            out.append(scenario(f"async_result/reverse_await_order/{name}",
                                src("async_result", f"reverse_await_order::{name}") + extra,
                                s0, later(*notes) + code, close_input=False))
        else:
            out.append(scenario(f"async_result/reverse_await_order/{name}",
                                src("async_result", f"reverse_await_order::{name}") + extra, s0, code))
    return out


@group
def async_result() -> list[Json]:
    code = [op("input"), op("call", service="Greeter", handler="greeter", parameter=b"Francesco", as_="call"),
            op("output", value=b"Whatever"), END]
    s0 = [start(1, partial_state=False), F("InputCommand")]
    out = [
        scenario("async_result/dont_await_call", src("async_result", "dont_await_call"), s0, code),
        scenario("async_result/dont_await_call_dont_notify_input_closed",
                 src("async_result", "dont_await_call_dont_notify_input_closed"), s0, code, close_input=False),
    ]
    data = input_cmd(b"my-data")
    out.append(scenario(
        "async_result/await_twice_the_same_handle",
        src("async_result", "await_twice_the_same_handle") + " (the empty feed batch makes the await loop call"
        " do_progress a second time before the input closes)",
        [start(1, partial_state=False), data],
        [op("input"), op("awakeable", as_="a"), op("await", future="a", as_="await", feed=[[]])],
        versions=(7,), close_input=False, compare_awaiting_on=True))
    out += do_await_scenarios()
    out.append(scenario(
        "async_result/awaiting_on_shrinks_across_calls", src("async_result", "awaiting_on_shrinks_across_calls"),
        [start(1, partial_state=False), data],
        [op("input"), op("awakeable", as_="h1"), op("awakeable", as_="h2"), op("awakeable", as_="h3"),
         op("await", future={"allCompleted": ["h1", "h2", "h3"]}, as_="await",
            feed=[[signal(17, value=value(b"v1"))], [signal(18, value=value(b"v2"))]])],
        versions=(7,), close_input=False, compare_awaiting_on=True))
    out += reverse_await_order()
    out.append(scenario(
        "async_result/combinators/replay_with_combinator_and_entry_afterwards",
        src("async_result", "combinators::replay_with_combinator_and_entry_afterwards")
        + " (is_completed(a)/is_completed(b) are checked by taking a and b)",
        [start(5), data, F("SleepCommand", resultCompletionId=1), F("SleepCommand", resultCompletionId=2),
         F("SleepCompletionNotification", completionId=2, void={}), F("SleepCommand", resultCompletionId=3)],
        [op("input"), op("sleep", millis=0, as_="a"), op("sleep", millis=0, as_="b"),
         op("await", future={"firstCompleted": ["a", "b"]}, as_="await_ab"),
         op("take", handle="a", as_="a.result"), op("take", handle="b", as_="b.result"),
         op("sleep", millis=0, as_="c"), op("await", future="c", as_="await_c")]))
    return out


def check_do_await() -> int:
    """Self-check of the do_await transcription: for each PyVM-runnable case, PyVM's AwaitingOn and
    Suspension frames must be the upstream reduced trees wrapped with the cancel signal, and its
    results those computed from the upstream `expect_completed` calls. This ties the hand-written
    `/no_implicit_cancellation` twins (same trees, unwrapped) to the reference."""
    import oracle
    bad = 0
    for s in do_await_scenarios():
        if "_cancelFrames" not in s:
            continue
        o = oracle.run_scenario(s, 7)
        got = [f for f in o.output if f["type"] in ("AwaitingOnMessage", "SuspensionMessage")]
        want = oracle.normalised_expect({"output": s["_cancelFrames"]})["output"]
        if got != want or o.results != s["_results"]:
            bad += 1
            print(f"MISMATCH {s['name']}\n  got  {got} {o.results}\n  want {want} {s['_results']}")
        else:
            print(f"ok   {s['name']}")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    if argv == ["check-do-await"]:
        return check_do_await()
    names = argv or list(GROUPS)
    for name in names:
        scenarios = GROUPS[name]()
        seen = set()
        for s in scenarios:
            for k in [k for k in s if k.startswith("_")]:
                del s[k]
            assert s["name"] not in seen, s["name"]
            seen.add(s["name"])
        path = SCENARIOS_DIR / f"{name}.json"
        path.write_text(json.dumps({"scenarios": scenarios}, indent=2) + "\n")
        print(f"wrote {len(scenarios)} scenarios to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
