"""Small helpers to write scenarios (Tests/Scenarios/README.md) in Python.

Used by catalogue.py (the transcription of sdk-shared-core's tests) and generate.py. Frames are
canonicalised through the protobuf JSON mapping, so they come out exactly as
`json_format.MessageToDict` writes them (lowerCamelCase, base64 bytes, 64-bit ints as strings,
defaults omitted). Python `bytes` anywhere in a frame or op become base64 strings.
"""

from __future__ import annotations

import base64
from typing import Any, Optional

from google.protobuf import json_format

import oracle

Json = Any


def b64(x: bytes | str) -> str:
    return base64.b64encode(x.encode() if isinstance(x, str) else x).decode()


def _bytes_to_b64(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return b64(bytes(v))
    if isinstance(v, dict):
        return {k: _bytes_to_b64(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_bytes_to_b64(x) for x in v]
    return v


def F(type_name: str, flags: int = 0, version: int = 7, **message: Any) -> Json:
    """A frame; `type_name` may omit the `Message` suffix."""
    if not type_name.endswith("Message"):
        type_name += "Message"
    cls = oracle.message_class(type_name, version)
    msg = json_format.ParseDict(_bytes_to_b64(message), cls())
    frame: dict[str, Any] = {"type": type_name}
    if flags:
        frame["flags"] = flags
    frame["message"] = oracle.to_json(msg)
    return frame


def op(kind: str, **fields: Any) -> Json:
    if "as_" in fields:
        fields["as"] = fields.pop("as_")
    return {"op": kind, **_bytes_to_b64({k: v for k, v in fields.items() if v is not None})}


# -- frames used everywhere (the fixtures of sdk-shared-core src/tests/mod.rs)


def start(
    known: int,
    id: bytes = b"123",
    debug_id: Optional[str] = None,
    partial_state: bool = True,
    state: Optional[dict[str, bytes]] = None,
    **extra: Any,
) -> Json:
    fields: dict[str, Any] = {
        "id": id,
        "debugId": debug_id if debug_id is not None else id.decode(),
        "knownEntries": known,
        "partialState": partial_state,
    }
    if state is not None:
        fields["stateMap"] = [{"key": k.encode(), "value": v} for k, v in state.items()]
    fields.update(extra)
    return F("Start", **fields)


def input_cmd(value: bytes = b"my-data", headers: Optional[list[tuple[str, str]]] = None) -> Json:
    fields: dict[str, Any] = {"value": {"content": value}}
    if headers:
        fields["headers"] = [{"key": k, "value": v} for k, v in headers]
    return F("InputCommand", **fields)


def value(v: bytes) -> Json:
    return {"content": v}


def failure(code: int, message: str) -> Json:
    return {"code": code, "message": message}


def cancel_signal() -> Json:
    return F("SignalNotification", idx=1, void={})


def signal(idx: int, **result: Any) -> Json:
    if not result:
        result = {"void": {}}
    return F("SignalNotification", idx=idx, **result)


def scenario(
    name: str,
    source: str,
    input: list[Json],
    code: list[Json],
    versions: tuple[int, ...] = (5, 6, 7),
    close_input: bool = True,
    vm_options: Optional[dict[str, bool]] = None,
    expect: Optional[Json] = None,
    compare_awaiting_on: bool = False,
) -> Json:
    s: dict[str, Any] = {"name": name, "source": source, "versions": list(versions)}
    if vm_options:
        s["vmOptions"] = vm_options
    s["input"] = input
    s["closeInput"] = close_input
    s["code"] = code
    if expect is not None:
        s["expect"] = expect
    if compare_awaiting_on:
        s["compareAwaitingOn"] = True
    return s
