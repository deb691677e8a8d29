#!/usr/bin/env python3
"""Validates a Restate invocation response body: protocol frames ending in Output(value) + End.

usage: check_response.py FILE EXPECTED_JSON
       check_response.py FILE --run-suspends    (Run, ProposeRunCompletion, ..., Suspension)
Prints the frame types and the output value; exits non-zero when the body is not valid.
"""

import struct
import sys

OUTPUT, END = 0x0401, 0x0003
SUSPENSION, PROPOSE_RUN, RUN = 0x0001, 0x0005, 0x0411


def frames(data: bytes):
    pos = 0
    while pos < len(data):
        if len(data) - pos < 8:
            raise ValueError(f"truncated header at {pos}")
        (header,) = struct.unpack_from(">Q", data, pos)
        mtype, flags, length = header >> 48, (header >> 32) & 0xFFFF, header & 0xFFFFFFFF
        pos += 8
        if len(data) - pos < length:
            raise ValueError(f"truncated payload of 0x{mtype:04x} at {pos}")
        yield mtype, flags, data[pos : pos + length]
        pos += length


def varint(buf: bytes, pos: int):
    shift = value = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def fields(buf: bytes):
    """Top-level protobuf fields as (number, wire type, value)."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 2:
            n, pos = varint(buf, pos)
            value, pos = buf[pos : pos + n], pos + n
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def output_value(data: bytes) -> bytes:
    msgs = list(frames(data))
    types = [f"0x{t:04x}" for t, _, _ in msgs]
    if len(msgs) < 2 or msgs[-1][0] != END or msgs[-1][2] or msgs[-2][0] != OUTPUT:
        raise ValueError(f"expected ... Output, End; got {types}")
    value = [v for n, w, v in fields(msgs[-2][2]) if n == 14 and w == 2]  # OutputCommand.value
    if len(value) != 1:
        raise ValueError("Output has no value (a failure?)")
    content = [v for n, w, v in fields(value[0]) if n == 1 and w == 2]  # Value.content
    return content[0] if content else b""


def check_run_suspends(path: str, data: bytes) -> int:
    """A one-shot `ctx.run` attempt: the run journaled, its result proposed, then a suspension
    until Restate acknowledges it."""
    try:
        types = [t for t, _, _ in frames(data)]
    except (ValueError, IndexError) as error:
        print(f"INVALID {path}: {error}", file=sys.stderr)
        return 1
    names = ", ".join(f"0x{t:04x}" for t in types)
    if RUN not in types or PROPOSE_RUN not in types or types[-1] != SUSPENSION:
        print(f"INVALID {path}: expected Run, ProposeRunCompletion, ..., Suspension; got {names}", file=sys.stderr)
        return 1
    print(f"ok {path}: {len(data)} bytes, frames [{names}]")
    return 0


def main() -> int:
    path = sys.argv[1]
    data = open(path, "rb").read()
    if sys.argv[2] == "--run-suspends":
        return check_run_suspends(path, data)
    expected = sys.argv[2].encode()
    try:
        value = output_value(data)
    except (ValueError, IndexError) as error:
        print(f"INVALID {path}: {error}", file=sys.stderr)
        return 1
    types = ", ".join(f"0x{t:04x}" for t, _, _ in frames(data))
    if value != expected:
        print(f"INVALID {path}: output {value!r}, expected {expected!r}", file=sys.stderr)
        return 1
    print(f"ok {path}: {len(data)} bytes, frames [{types}], output {value.decode()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
