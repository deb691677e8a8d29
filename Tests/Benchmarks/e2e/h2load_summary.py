#!/usr/bin/env python3
"""Turns one h2load run into a JSON record, and refuses to trust it unless every response was good.

usage: h2load_summary.py STDOUT_FILE LOG_FILE REQUESTS RESPONSE_BYTES LABEL TARGET CASE C M
STDOUT_FILE is h2load's output of the measured run; LOG_FILE the per-request log of a run of the
same size (run.sh makes it in a run of its own, since writing it slows the client down).
Checks: all REQUESTS succeeded, all were 2xx with status 200 in the per-request log, and the
response data adds up to REQUESTS × RESPONSE_BYTES (each body is the size of the verified one).
Prints the record as one JSON line; exits 1 (with the reason in "error") when a check fails.
"""

import json
import re
import statistics
import sys


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def main() -> int:
    out_path, log_path, n, body_bytes, label, target, case, c, m = sys.argv[1:10]
    n, body_bytes = int(n), int(body_bytes)
    text = open(out_path).read()
    record = {"label": label, "target": target, "case": case, "c": int(c), "m": int(m), "n": n}
    errors = []

    rps = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text)
    record["rps"] = float(rps.group(1)) if rps else 0.0
    req = re.search(
        r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout",
        text,
    )
    if not req:
        errors.append("no requests line")
    else:
        total, _, done, ok, failed, errored, timeout = map(int, req.groups())
        record.update(done=done, succeeded=ok, failed=failed, errored=errored, timeout=timeout)
        if ok != n or failed or errored or timeout:
            errors.append(f"{ok}/{n} succeeded, {failed} failed, {errored} errored, {timeout} timeout")
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if not codes or int(codes.group(1)) != n:
        errors.append(f"status codes: {codes.group(0) if codes else 'missing'}")
    data = re.search(r"traffic: .*? \((\d+)\) data", text)
    if data:
        record["data_bytes"] = int(data.group(1))
        if int(data.group(1)) != n * body_bytes:
            errors.append(f"data {data.group(1)} B != {n} x {body_bytes} B")
    else:
        errors.append("no traffic line")

    latencies, statuses = [], set()
    for line in open(log_path):
        parts = line.split()
        if len(parts) >= 3:
            statuses.add(int(parts[1]))
            latencies.append(int(parts[2]) / 1000.0)  # µs -> ms
    latencies.sort()
    if len(latencies) != n or statuses != {200}:
        errors.append(f"log: {len(latencies)} requests, statuses {sorted(statuses)}")
    record["p50_ms"] = round(percentile(latencies, 50), 3)
    record["p90_ms"] = round(percentile(latencies, 90), 3)
    record["p99_ms"] = round(percentile(latencies, 99), 3)
    record["mean_ms"] = round(statistics.fmean(latencies), 3) if latencies else float("nan")
    if errors:
        record["error"] = "; ".join(errors)
    print(json.dumps(record))
    print(
        f"  {label:36s} {record['rps']:>9.0f} req/s  p50 {record['p50_ms']:7.2f} ms  "
        f"p99 {record['p99_ms']:7.2f} ms  {record.get('error', '')}",
        file=sys.stderr,
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
