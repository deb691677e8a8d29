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
