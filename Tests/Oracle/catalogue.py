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
