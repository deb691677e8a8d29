#!/usr/bin/env python3
"""Reference oracle for the protocol scenarios in Tests/Scenarios.

Runs scenarios (format: Tests/Scenarios/README.md) through the reference state machine,
``restate._internal.PyVM`` from the pinned PyPI ``restate-sdk``, and checks or records their
``expect``. See Tests/Oracle/README.md.

    oracle.py check  Tests/Scenarios/*.json
    oracle.py record Tests/Scenarios/sleep.json [--name NAME] [--split]
    oracle.py run    Tests/Scenarios/sleep.json --name sleep/x --version 7
    oracle.py generate --seed 1 --count 50 --version 7 --out Tests/Scenarios/generated-v7.json
"""

from __future__ import annotations

import argparse
import base64
import copy
import importlib
import json
import re
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from google.protobuf import json_format
from google.protobuf.message import Message

from restate._internal import (  # type: ignore[import-not-found]
    PyCallHandle,
    PyDoProgressAnyCompleted,
    PyDoProgressCancelSignalReceived,
    PyDoProgressExecuteRun,
    PyDoProgressWaitExternalProgress,
    PyExponentialRetryConfig,
    PyFailure,
    PyHeader,
    PyStateKeys,
    PySuspended,
    PyUnresolvedFuture,
    PyVM,
    PyVoid,
    VMException,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = REPO_ROOT / "Sources" / "RestateCore" / "Protos"
SUPPORTED_VERSIONS = (5, 6, 7)
DEFAULT_VM_OPTIONS = {"implicitCancellation": True, "cancelChildrenCalls": True, "payloadChecks": True,
                      "journalMismatchRetryBehavior": "followRetryPolicy"}

Json = Any
Frame = dict[str, Any]

# --------------------------------------------------------------------------------------------
# Protocol messages


def _load_protos() -> tuple[Any, Any]:
    """Compiles protocol.proto and legacy.proto with protoc into a temp dir and imports them."""
    out = Path(tempfile.mkdtemp(prefix="restate-oracle-pb-"))
    subprocess.run(
        ["protoc", f"-I{PROTO_DIR}", f"--python_out={out}", "protocol.proto", "legacy.proto"],
        check=True,
    )
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module("protocol_pb2"), importlib.import_module("legacy_pb2")
    finally:
        sys.path.remove(str(out))


pb, legacy_pb = _load_protos()

# Message name (as in protocol.proto) -> type id (sdk-shared-core src/service_protocol/header.rs).
TYPE_IDS: dict[str, int] = {
    "StartMessage": 0x0000,
    "SuspensionMessage": 0x0001,
    "ErrorMessage": 0x0002,
    "EndMessage": 0x0003,
    "ProposeRunCompletionMessage": 0x0005,
    "AwaitingOnMessage": 0x0006,
    "ProposeRunCompletionAckMessage": 0x0007,
    "InputCommandMessage": 0x0400,
    "OutputCommandMessage": 0x0401,
    "GetLazyStateCommandMessage": 0x0402,
    "GetLazyStateCompletionNotificationMessage": 0x8002,
    "SetStateCommandMessage": 0x0403,
    "ClearStateCommandMessage": 0x0404,
    "ClearAllStateCommandMessage": 0x0405,
    "GetLazyStateKeysCommandMessage": 0x0406,
    "GetLazyStateKeysCompletionNotificationMessage": 0x8006,
    "GetEagerStateCommandMessage": 0x0407,
    "GetEagerStateKeysCommandMessage": 0x0408,
    "GetPromiseCommandMessage": 0x0409,
    "GetPromiseCompletionNotificationMessage": 0x8009,
    "PeekPromiseCommandMessage": 0x040A,
    "PeekPromiseCompletionNotificationMessage": 0x800A,
    "CompletePromiseCommandMessage": 0x040B,
    "CompletePromiseCompletionNotificationMessage": 0x800B,
    "SleepCommandMessage": 0x040C,
    "SleepCompletionNotificationMessage": 0x800C,
    "CallCommandMessage": 0x040D,
    "CallCompletionNotificationMessage": 0x800D,
    "CallInvocationIdCompletionNotificationMessage": 0x800E,
    "OneWayCallCommandMessage": 0x040E,
    "SendSignalCommandMessage": 0x0410,
    "RunCommandMessage": 0x0411,
    "RunCompletionNotificationMessage": 0x8011,
    "AttachInvocationCommandMessage": 0x0412,
    "AttachInvocationCompletionNotificationMessage": 0x8012,
    "GetInvocationOutputCommandMessage": 0x0413,
    "GetInvocationOutputCompletionNotificationMessage": 0x8013,
    "CompleteAwakeableCommandMessage": 0x0414,
    "SignalNotificationMessage": 0xFBFF,
}
TYPE_NAMES: dict[int, str] = {v: k for k, v in TYPE_IDS.items()}
REQUESTED_ACK = 0x8000


def message_class(type_name: str, version: int) -> type[Message]:
    if type_name == "SuspensionMessage" and version < 7:
        return legacy_pb.SuspensionMessageV6
    return getattr(pb, type_name)


def encode_frame(frame: Frame, version: int) -> bytes:
    type_name = frame["type"]
    msg = json_format.ParseDict(frame.get("message", {}), message_class(type_name, version)())
    payload = msg.SerializeToString()
    return struct.pack(">HHI", TYPE_IDS[type_name], frame.get("flags", 0), len(payload)) + payload


def decode_frames(data: bytes, version: int) -> list[Frame]:
    frames: list[Frame] = []
    offset = 0
    while offset < len(data):
        type_id, flags, length = struct.unpack_from(">HHI", data, offset)
        offset += 8
        type_name = TYPE_NAMES[type_id]
        msg = message_class(type_name, version)()
        msg.ParseFromString(data[offset : offset + length])
        offset += length
        frames.append({"type": type_name, "flags": flags, "message": to_json(msg)})
    return frames


def to_json(msg: Message) -> Json:
    return json_format.MessageToDict(msg, preserving_proto_field_name=False)


def normalise(frames: list[Frame], compare_awaiting_on: bool) -> list[Frame]:
    """The normalisation of Tests/Scenarios/README.md ("expect.output")."""
    out: list[Frame] = []
    for frame in frames:
        type_name, msg = frame["type"], dict(frame["message"])
        if type_name == "AwaitingOnMessage" and not compare_awaiting_on:
            continue
        if type_name == "SleepCommandMessage":
            msg.pop("wakeUpTime", None)
        elif type_name == "OneWayCallCommandMessage":
            msg.pop("invokeTime", None)
        elif type_name == "ErrorMessage":
            msg.pop("message", None)
            msg.pop("stacktrace", None)
        out.append({"type": type_name, "flags": frame.get("flags", 0), "message": msg})
    return out


def b64d(s: str) -> bytes:
    return base64.b64decode(s)


def b64e(b: bytes) -> str:
    return base64.b64encode(b).decode()


# --------------------------------------------------------------------------------------------
# Running a scenario


class Unsupported(Exception):
    """The scenario uses something the Python binding cannot express (a Swift-only scenario)."""


class ScenarioError(Exception):
    """The scenario is malformed (a bug in the scenario, not a finding about the VM)."""


class _Stop(Exception):
    """The script stops (suspended, or a state-machine error)."""


@dataclass
class Outcome:
    output: list[Frame]
    results: dict[str, Json]
    error: Optional[int]
    raw_output: list[Frame] = field(default_factory=list)

    def expect(self) -> Json:
        e: dict[str, Json] = {"output": self.output, "results": self.results}
        if self.error is not None:
            e["error"] = self.error
        return e


def swift_only_reason(scenario: Json) -> Optional[str]:
    """Why the reference VM cannot run this scenario, or None if it can."""
    source = scenario.get("source", "")
    if source.startswith("Swift-only"):
        return source
    opts = {**DEFAULT_VM_OPTIONS, **scenario.get("vmOptions", {})}
    if not opts["implicitCancellation"] or not opts["cancelChildrenCalls"]:
        return "vmOptions implicitCancellation/cancelChildrenCalls are not exposed by PyVM"
    if opts["journalMismatchRetryBehavior"] != "followRetryPolicy":
        return "vmOptions.journalMismatchRetryBehavior is not exposed by PyVM"
    for o in scenario.get("code", []):
        policy = ((o.get("outcome") or {}).get("retryable") or {}).get("policy") or {}
        if policy.get("onMaxAttempts", "fail") != "fail":
            return "run policy onMaxAttempts other than \"fail\" is not exposed by PyVM"
    return None


def vm_error_code(e: VMException) -> int:
    m = re.match(r"\((\d+)\)", str(e))
    if not m:
        raise ScenarioError(f"VMException without a code: {e}")
    return int(m.group(1))


def failure_json(f: Any) -> Json:
    out: dict[str, Json] = {"code": f.code, "message": f.message}
    if f.metadata:
        out["metadata"] = [{"key": k, "value": v} for k, v in f.metadata]
    return out


def result_json(value: Any) -> Json:
    """A take_notification result as a README Result."""
    if value is None:
        return None
    if isinstance(value, PyVoid):
        return {"void": True}
    if isinstance(value, bytes):
        return {"value": b64e(value)}
    if isinstance(value, PyFailure):
        return {"failure": failure_json(value)}
    if isinstance(value, PyStateKeys):
        return {"stateKeys": [b64e(k if isinstance(k, bytes) else k.encode()) for k in value.keys]}
    if isinstance(value, str):
        return {"invocationId": value}
    raise ScenarioError(f"unexpected notification value {value!r}")


def py_failure(spec: Json) -> Any:
    return PyFailure(spec["code"], spec["message"], spec.get("stacktrace"), _metadata(spec.get("metadata")))


def _metadata(md: Optional[list[Json]]) -> Optional[list[tuple[str, str]]]:
    return [(m["key"], m["value"]) for m in md] if md else None


def _headers(hs: Optional[list[Json]]) -> Optional[list[Any]]:
    return [PyHeader(key=h["key"], value=h["value"]) for h in hs] if hs else None


def _target_id(target: Json) -> str:
    if isinstance(target, str):
        return target
    if "invocationId" in target:
        return target["invocationId"]
    raise Unsupported(f"target {target} (only invocation-id targets are exposed by PyVM)")


class Runner:
    """Runs one scenario on one protocol version through PyVM."""

    def __init__(self, scenario: Json, version: int) -> None:
        self.s = scenario
        self.version = version
        opts = {**DEFAULT_VM_OPTIONS, **scenario.get("vmOptions", {})}
        self.vm = PyVM(
            [("content-type", f"application/vnd.restate.invocation.v{version}")],
            not opts["payloadChecks"],
        )
        self.handles: dict[str, int] = {}
        self.run_outcomes: dict[int, Json] = {}
        self.results: dict[str, Json] = {}
        self.input_closed = False
        self.error: Optional[int] = None
        self.output = b""

    def feed(self, frames: Iterable[Frame]) -> None:
        for f in frames:
            self.vm.notify_input(encode_frame(f, self.version))

    def close_input(self) -> None:
        self.vm.notify_input_closed()
        self.input_closed = True

    def drain(self) -> None:
        while True:
            chunk = self.vm.take_output()
            if not chunk:
                return
            self.output += bytes(chunk)

    def run(self) -> Outcome:
        try:
            self.feed(self.s.get("input", []))
            if self.s.get("closeInput", True):
                self.close_input()
            if not self.vm.is_ready_to_execute():
                raise ScenarioError("the VM is not ready to execute after the input frames")
            for op in self.s.get("code", []):
                self.op(op)
                self.drain()
        except VMException as e:
            self.error = vm_error_code(e)
        except _Stop:
            pass
        self.drain()
        raw = decode_frames(self.output, self.version)
        compare_awaiting_on = self.s.get("compareAwaitingOn", False)
        return Outcome(normalise(raw, compare_awaiting_on), self.results, self.error, raw)

    # -- ops

    def record(self, op: Json, value: Json) -> None:
        if "as" in op:
            self.results[op["as"]] = value

    def handle(self, name: str) -> int:
        if name not in self.handles:
            raise ScenarioError(f"unknown handle {name!r}")
        return self.handles[name]

    def future(self, tree: Json) -> Any:
        if isinstance(tree, str):
            return PyUnresolvedFuture.single(self.handle(tree))
        ((kind, children),) = tree.items()
        if kind == "firstCompleted":
            return PyUnresolvedFuture.first_completed([self.future(c) for c in children])
        if kind == "allCompleted":
            return PyUnresolvedFuture.all_completed([self.future(c) for c in children])
        raise Unsupported(f"combinator {kind} is not exposed by PyVM")

    def op(self, op: Json) -> None:
        kind = op["op"]
        vm = self.vm
        if kind == "input":
            self.record(op, {"input": b64e(bytes(vm.sys_input().input))})
        elif kind == "getState":
            self.handles[op["as"]] = vm.sys_get_state(op["key"])
        elif kind == "getStateKeys":
            self.handles[op["as"]] = vm.sys_get_state_keys()
        elif kind == "setState":
            vm.sys_set_state(op["key"], b64d(op["value"]))
        elif kind == "clearState":
            vm.sys_clear_state(op["key"])
        elif kind == "clearAllState":
            vm.sys_clear_all_state()
        elif kind == "sleep":
            self.handles[op["as"]] = vm.sys_sleep(op["millis"], op.get("name"))
        elif kind == "call":
            h: PyCallHandle = vm.sys_call(
                op["service"], op["handler"], b64d(op["parameter"]), op.get("key"),
                op.get("idempotencyKey"), _headers(op.get("headers")), op.get("scope"), op.get("limitKey"),
            )
            self.handles[op["as"] + ".id"] = h.invocation_id_handle
            self.handles[op["as"]] = h.result_handle
        elif kind == "send":
            self.handles[op["as"]] = vm.sys_send(
                op["service"], op["handler"], b64d(op["parameter"]), op.get("key"), op.get("delayMillis"),
                op.get("idempotencyKey"), _headers(op.get("headers")), op.get("scope"), op.get("limitKey"),
            )
        elif kind == "awakeable":
            awakeable_id, h = vm.sys_awakeable()
            self.handles[op["as"]] = h
            self.results[op["as"] + ".awakeableId"] = {"awakeableId": awakeable_id}
        elif kind == "completeAwakeable":
            if "failure" in op:
                vm.sys_complete_awakeable_failure(op["id"], py_failure(op["failure"]))
            else:
                vm.sys_complete_awakeable_success(op["id"], b64d(op["value"]))
        elif kind == "signal":
            self.handles[op["as"]] = vm.sys_signal(op["name"])
        elif kind == "completeSignal":
            target = _target_id(op["target"])
            if "failure" in op:
                vm.sys_complete_signal_failure(target, op["name"], py_failure(op["failure"]))
            else:
                vm.sys_complete_signal_success(target, op["name"], b64d(op["value"]))
        elif kind == "getPromise":
            self.handles[op["as"]] = vm.sys_get_promise(op["key"])
        elif kind == "peekPromise":
            self.handles[op["as"]] = vm.sys_peek_promise(op["key"])
        elif kind == "completePromise":
            if "failure" in op:
                self.handles[op["as"]] = vm.sys_complete_promise_failure(op["key"], py_failure(op["failure"]))
            else:
                self.handles[op["as"]] = vm.sys_complete_promise_success(op["key"], b64d(op["value"]))
        elif kind == "run":
            r = vm.sys_run(op["name"])
            self.handles[op["as"]] = r.handle
            self.run_outcomes[r.handle] = op.get("outcome")
            self.results[op["as"] + ".replayed"] = {"replayed": bool(r.replayed)}
        elif kind == "cancelInvocation":
            vm.sys_cancel(_target_id(op["target"]))
        elif kind == "attachInvocation":
            self.handles[op["as"]] = vm.attach_invocation(_target_id(op["target"]))
        elif kind == "getInvocationOutput":
            raise Unsupported("getInvocationOutput is not exposed by PyVM")
        elif kind == "await":
            self.await_(op)
        elif kind == "take":
            value = vm.take_notification(self.handle(op["handle"]))
            if isinstance(value, PySuspended):
                self.record(op, "suspended")
                raise _Stop()
            self.record(op, result_json(value))
        elif kind == "output":
            vm.sys_write_output_success(b64d(op["value"]))
        elif kind == "outputFailure":
            vm.sys_write_output_failure(PyFailure(op["code"], op["message"], None, _metadata(op.get("metadata"))))
        elif kind == "end":
            vm.sys_end()
        elif kind == "notifyError":
            vm.notify_error(op["message"], op.get("stacktrace"), op.get("delayMillis"))
        elif kind == "feed":
            self.feed(op["frames"])
        elif kind == "closeInput":
            self.close_input()
        else:
            raise ScenarioError(f"unknown op {kind!r}")

    def await_(self, op: Json) -> None:
        fut = self.future(op["future"])
        batches = list(op.get("feed", []))
        while True:
            self.drain()
            progress = self.vm.do_progress(fut)
            if isinstance(progress, PyDoProgressAnyCompleted):
                self.record(op, "completed")
                return
            if isinstance(progress, PyDoProgressCancelSignalReceived):
                self.record(op, "cancelled")
                return
            if isinstance(progress, PySuspended):
                self.record(op, "suspended")
                raise _Stop()
            if isinstance(progress, PyDoProgressExecuteRun):
                self.propose(progress.handle)
            elif isinstance(progress, PyDoProgressWaitExternalProgress):
                self.await_feed_or_close(op, batches)
            else:
                raise ScenarioError(f"unexpected do_progress result {progress!r}")

    def await_feed_or_close(self, op: Json, batches: list[list[Frame]]) -> None:
        """WaitingExternalProgress: feed the next batch, or close the input when none is left."""
        if batches:
            self.feed(batches.pop(0))
        elif not self.input_closed:
            self.close_input()
        else:
            raise ScenarioError("WaitingExternalProgress after the input was closed")

    def propose(self, handle: int) -> None:
        outcome = self.run_outcomes.get(handle)
        if outcome is None:
            raise ScenarioError(f"ExecuteRun({handle}) for a run without an outcome")
        if "value" in outcome:
            self.vm.propose_run_completion_success(handle, b64d(outcome["value"]))
        elif "failure" in outcome:
            self.vm.propose_run_completion_failure(handle, py_failure(outcome["failure"]))
        elif "retryable" in outcome:
            r = outcome["retryable"]
            p = r.get("policy", {})
            if p.get("onMaxAttempts", "fail") != "fail":
                raise Unsupported("run policy onMaxAttempts \"pause\" is not exposed by PyVM")
            config = PyExponentialRetryConfig(
                p.get("initialIntervalMillis"), p.get("maxAttempts"), p.get("maxDurationMillis"),
                p.get("maxIntervalMillis"), p.get("factor"),
            )
            failure = PyFailure(r["code"], r["message"], r.get("stacktrace"))
            self.vm.propose_run_completion_failure_transient(handle, failure, r.get("attemptDurationMillis", 0), config)
        else:
            raise ScenarioError(f"bad run outcome {outcome}")


def run_scenario(scenario: Json, version: int) -> Outcome:
    return Runner(scenario, version).run()


# --------------------------------------------------------------------------------------------
# Comparing


def diff(expected: Json, actual: Json, path: str = "") -> list[str]:
    """Field-by-field differences between two JSON values, as readable lines."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for k in sorted(set(expected) | set(actual)):
            p = f"{path}.{k}" if path else k
            if k not in actual:
                out.append(f"{p}: expected {json.dumps(expected[k])}, missing")
            elif k not in expected:
                out.append(f"{p}: unexpected {json.dumps(actual[k])}")
            else:
                out += diff(expected[k], actual[k], p)
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        out = []
        for i in range(max(len(expected), len(actual))):
            p = f"{path}[{i}]"
            if i >= len(actual):
                out.append(f"{p}: expected {json.dumps(expected[i])}, missing")
            elif i >= len(expected):
                out.append(f"{p}: unexpected {json.dumps(actual[i])}")
            else:
                out += diff(expected[i], actual[i], p)
        return out
    return [] if expected == actual else [f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}"]


def normalised_expect(expect: Json) -> Json:
    e = {"output": expect.get("output", []), "results": expect.get("results", {})}
    if expect.get("error") is not None:
        e["error"] = expect["error"]
    for f in e["output"]:
        f.setdefault("flags", 0)
        f.setdefault("message", {})
    return e


# --------------------------------------------------------------------------------------------
# CLI


def load(path: Path) -> Json:
    return json.loads(path.read_text())


def save(path: Path, doc: Json) -> None:
    path.write_text(json.dumps(doc, indent=2) + "\n")


def selected(scenarios: list[Json], name: Optional[str]) -> Iterable[Json]:
    return (s for s in scenarios if name is None or s["name"] == name or re.fullmatch(name, s["name"]))


def cmd_check(args: argparse.Namespace) -> int:
    passed = failed = skipped = 0
    for path in map(Path, args.files):
        for s in selected(load(path)["scenarios"], args.name):
            reason = swift_only_reason(s)
            if reason:
                skipped += 1
                print(f"SKIP {s['name']}: {reason}")
                continue
            problems: list[str] = []
            try:
                expected = normalised_expect(copy.deepcopy(s.get("expect", {})))
                for v in s["versions"]:
                    actual = run_scenario(s, v).expect()
                    problems += [f"v{v} {d}" for d in diff(expected, actual)]
            except Unsupported as e:
                skipped += 1
                print(f"SKIP {s['name']}: {e} (should be marked Swift-only)")
                continue
            except ScenarioError as e:
                problems.append(f"scenario error: {e}")
            if problems:
                failed += 1
                print(f"FAIL {s['name']}")
                for p in problems[: args.max_diffs]:
                    print(f"     {p}")
            else:
                passed += 1
                if not args.quiet:
                    print(f"ok   {s['name']} (v{','.join(map(str, s['versions']))})")
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped (Swift-only)" if skipped else ""))
    return 1 if failed else 0


def record_scenario(s: Json) -> list[Json]:
    """Records `expect` for every version; splits the scenario where versions disagree."""
    groups: list[tuple[list[int], Json]] = []
    for v in s["versions"]:
        e = run_scenario(s, v).expect()
        for vs, ge in groups:
            if ge == e:
                vs.append(v)
                break
        else:
            groups.append(([v], e))
    out = []
    for i, (vs, e) in enumerate(groups):
        t = copy.deepcopy(s)
        if len(groups) > 1:
            base = re.sub(r"/v[5-7]+$", "", s["name"])
            t["name"] = base if i == 0 else f"{base}/v{''.join(map(str, vs))}"
        t["versions"] = vs
        t["expect"] = e
        out.append(t)
    return out


def cmd_record(args: argparse.Namespace) -> int:
    status = 0
    for path in map(Path, args.files):
        doc = load(path)
        new: list[Json] = []
        for s in doc["scenarios"]:
            if args.name and not (s["name"] == args.name or re.fullmatch(args.name, s["name"])):
                new.append(s)
                continue
            reason = swift_only_reason(s)
            if reason:
                print(f"SKIP {s['name']}: {reason} (expect kept)")
                new.append(s)
                continue
            try:
                rec = record_scenario(s)
            except (Unsupported, ScenarioError) as e:
                print(f"ERROR {s['name']}: {e}")
                status = 1
                new.append(s)
                continue
            if len(rec) > 1:
                print(f"split {s['name']} -> " + ", ".join(f"{r['name']} {r['versions']}" for r in rec))
            new += rec
        doc["scenarios"] = new
        save(path, doc)
        print(f"recorded {path}")
    return status


def cmd_run(args: argparse.Namespace) -> int:
    doc = load(Path(args.file))
    (s,) = [s for s in doc["scenarios"] if s["name"] == args.name]
    outcome = run_scenario(s, args.version)
    print(json.dumps({"raw": outcome.raw_output, "expect": outcome.expect()}, indent=2))
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="run scenarios and compare with their expect")
    c.add_argument("files", nargs="+")
    c.add_argument("--name", help="only the scenario with this name (or matching this regex)")
    c.add_argument("--quiet", "-q", action="store_true", help="print only failures and the summary")
    c.add_argument("--max-diffs", type=int, default=8)
    c.set_defaults(fn=cmd_check)
    r = sub.add_parser("record", help="write expect from the reference VM (splits by version if needed)")
    r.add_argument("files", nargs="+")
    r.add_argument("--name")
    r.set_defaults(fn=cmd_record)
    u = sub.add_parser("run", help="print one scenario's raw output frames and its expect")
    u.add_argument("file")
    u.add_argument("--name", required=True)
    u.add_argument("--version", type=int, required=True)
    u.set_defaults(fn=cmd_run)
    g = sub.add_parser("generate", help="write random scenarios with expect recorded from the reference VM")
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--count", type=int, default=50)
    g.add_argument("--version", type=int, required=True, choices=SUPPORTED_VERSIONS)
    g.add_argument("--out", required=True)
    g.set_defaults(fn=cmd_generate)
    args = ap.parse_args(argv)
    return int(args.fn(args))


def cmd_generate(args: argparse.Namespace) -> int:
    from generate import generate  # Tests/Oracle/generate.py

    scenarios = generate(args.seed, args.count, args.version)
    save(Path(args.out), {"scenarios": scenarios})
    print(f"wrote {len(scenarios)} scenarios to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
