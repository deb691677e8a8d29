#!/usr/bin/env bash
# Loopback end-to-end benchmark: the Swift endpoint against the official Python SDK and against
# nghttpd serving a static file of the same size (the ceiling of this rig), under h2load; and the
# HTTP/2 server alone (RestateHTTP2 with an echo handler) against nghttpd serving a file the size
# of the echoed body.
#
#   Tests/Benchmarks/e2e/run.sh            # everything; results in Tests/Benchmarks/results/
#   ROUNDS=1 N_SCALE=0.2 e2e/run.sh        # a quick, smaller run
#
# All traffic is on 127.0.0.1. Every load is bounded in count (-n) and in time (timeout), and the
# servers started here exit by themselves after SERVER_MAX_SECONDS. A number is kept only when
# every response was a 200 of the verified size (see h2load_summary.py).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PKG=$(cd "$HERE/.." && pwd)
RESULTS=${RESULTS:-$PKG/results}
ROUNDS=${ROUNDS:-3}
N_SCALE=${N_SCALE:-1}
LOAD_TIMEOUT=${LOAD_TIMEOUT:-120}
SERVER_MAX_SECONDS=${SERVER_MAX_SECONDS:-1800}
SWIFT_PORT=${SWIFT_PORT:-19080}
PY_PORT=${PY_PORT:-19081}
NGHTTPD_PORT=${NGHTTPD_PORT:-19082}
ECHO_PORT=${ECHO_PORT:-19083}
CT="content-type: application/vnd.restate.invocation.v5"
# connections, max concurrent streams per connection, requests for Swift and nghttpd, requests for
# Python (a few hundred requests/s here, so fewer to keep each load within seconds)
LEVELS=("1 1 3000 1000" "8 32 10000 3000" "64 100 20000 4000")

WORK=$(mktemp -d /tmp/restate-e2e.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

log() { printf '\n== %s\n' "$*" >&2; }

# --- tools (Debian packages) and the Python side (PyPI) ---------------------------------------
missing=()
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v nghttp >/dev/null || missing+=(nghttp2-client)
command -v nghttpd >/dev/null || missing+=(nghttp2-server)
command -v valgrind >/dev/null || missing+=(valgrind)
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -x "$HERE/.venv/bin/hypercorn" ] || ! "$HERE/.venv/bin/python" -c 'import restate, matplotlib' 2>/dev/null; then
    log "creating $HERE/.venv"
    python3 -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install -q -r "$HERE/requirements.txt"
fi
PY=$HERE/.venv/bin/python

# --- the Swift endpoint (release) ------------------------------------------------------------
log "building RestateBenchTool (release)"
swift build -c release --package-path "$PKG" --product RestateBenchTool >&2
TOOL=$(swift build -c release --package-path "$PKG" --show-bin-path)/RestateBenchTool

"$TOOL" body greet "$WORK/greet.bin"
"$TOOL" body counter "$WORK/counter.bin"
"$TOOL" body run "$WORK/run.bin"
"$TOOL" body replay1000 "$WORK/replay.bin"

wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

log "starting servers"
timeout "$SERVER_MAX_SECONDS" "$TOOL" serve "$SWIFT_PORT" "$SERVER_MAX_SECONDS" >"$WORK/swift.log" 2>&1 &
PIDS+=($!)
SWIFT_PID=$!
timeout "$SERVER_MAX_SECONDS" "$TOOL" serve-echo "$ECHO_PORT" "$SERVER_MAX_SECONDS" >"$WORK/echo.log" 2>&1 &
PIDS+=($!)
(cd "$HERE" && exec timeout "$SERVER_MAX_SECONDS" "$HERE/.venv/bin/hypercorn" --bind "127.0.0.1:$PY_PORT" \
    --workers 1 --log-level warning python_greeter:app) >"$WORK/python.log" 2>&1 &
PIDS+=($!)
wait_port "$SWIFT_PORT"
wait_port "$ECHO_PORT"
wait_port "$PY_PORT"

# --- verify one response of each with nghttp before trusting any number -----------------------
fetch() { # URL BODY OUT
    nghttp --no-verify-peer -d "$2" -H "$CT" "$1" >"$3"
}
verify() { # NAME URL BODY EXPECTED_JSON|--run-suspends
    fetch "$2" "$3" "$WORK/$1.response"
    "$PY" "$HERE/check_response.py" "$WORK/$1.response" "$4" >&2
}
log "verifying responses with nghttp"
verify swift-greet "http://127.0.0.1:$SWIFT_PORT/invoke/Greeter/greet" "$WORK/greet.bin" '"Hello Till!"'
verify python-greet "http://127.0.0.1:$PY_PORT/invoke/Greeter/greet" "$WORK/greet.bin" '"Hello Till!"'
verify swift-counter "http://127.0.0.1:$SWIFT_PORT/invoke/Counter/add" "$WORK/counter.bin" '42'
verify python-counter "http://127.0.0.1:$PY_PORT/invoke/Counter/add" "$WORK/counter.bin" '42'
verify swift-run "http://127.0.0.1:$SWIFT_PORT/invoke/Runner/step" "$WORK/run.bin" --run-suspends
verify python-run "http://127.0.0.1:$PY_PORT/invoke/Runner/step" "$WORK/run.bin" --run-suspends
verify swift-replay "http://127.0.0.1:$SWIFT_PORT/invoke/Replayer/replay" "$WORK/replay.bin" '1000'
verify python-replay "http://127.0.0.1:$PY_PORT/invoke/Replayer/replay" "$WORK/replay.bin" '1000'

# The HTTP/2 server alone must answer each request with its body.
fetch "http://127.0.0.1:$ECHO_PORT/echo" "$WORK/greet.bin" "$WORK/http2-echo.response"
cmp "$WORK/greet.bin" "$WORK/http2-echo.response" >&2

# The ceiling: nghttpd answering the same request with a static file of the Swift response (and,
# for the echo, with a file of the request body's size).
mkdir -p "$WORK/docroot/invoke/Greeter"
cp "$WORK/swift-greet.response" "$WORK/docroot/invoke/Greeter/greet"
cp "$WORK/greet.bin" "$WORK/docroot/echo"
timeout "$SERVER_MAX_SECONDS" nghttpd --no-tls -a 127.0.0.1 -d "$WORK/docroot" "$NGHTTPD_PORT" >"$WORK/nghttpd.log" 2>&1 &
PIDS+=($!)
wait_port "$NGHTTPD_PORT"
verify nghttpd-greet "http://127.0.0.1:$NGHTTPD_PORT/invoke/Greeter/greet" "$WORK/greet.bin" '"Hello Till!"'
fetch "http://127.0.0.1:$NGHTTPD_PORT/echo" "$WORK/greet.bin" "$WORK/nghttpd-echo.response"
cmp "$WORK/greet.bin" "$WORK/nghttpd-echo.response" >&2

size() { stat -c %s "$1"; }

# --- load ----------------------------------------------------------------------------------------
RECORDS=$WORK/records.jsonl
: >"$RECORDS"
load() { # TARGET CASE PORT PATH BODY RESPONSE_BYTES C M N ROUND
    local target=$1 case=$2 port=$3 path=$4 body=$5 bytes=$6 c=$7 m=$8 n=$9 round=${10}
    local url="http://127.0.0.1:$port$path" tag="$target-$case-c$c-m$m-r$round"
    n=$(awk -v n="$n" -v s="$N_SCALE" -v c="$c" 'BEGIN { v = int(n * s); if (v < c) v = c; print v }')
    rm -f "$WORK/$tag.log" # h2load appends to its log file
    # Warm-up (not recorded); a run with h2load's per-request log, for the status of every
    # response and the latency percentiles; then the run whose req/s counts, without the log,
    # whose writing costs the client CPU that a server on the same cores would not get.
    timeout "$LOAD_TIMEOUT" h2load -n $((n / 10 > c ? n / 10 : c)) -c "$c" -m "$m" -d "$body" -H "$CT" "$url" >/dev/null
    timeout "$LOAD_TIMEOUT" h2load -n "$n" -c "$c" -m "$m" -d "$body" -H "$CT" \
        --log-file="$WORK/$tag.log" "$url" >"$WORK/$tag.latency.out"
    timeout "$LOAD_TIMEOUT" h2load -n "$n" -c "$c" -m "$m" -d "$body" -H "$CT" "$url" >"$WORK/$tag.out"
    if ! "$PY" "$HERE/h2load_summary.py" "$WORK/$tag.out" "$WORK/$tag.log" "$n" "$bytes" "$tag" \
        "$target" "$case" "$c" "$m" >>"$RECORDS"; then
        echo "UNTRUSTED: $(tail -1 "$RECORDS")" >&2
    fi
}

GREET=/invoke/Greeter/greet
COUNTER=/invoke/Counter/add
SG=$(size "$WORK/swift-greet.response")
PG=$(size "$WORK/python-greet.response")
SC=$(size "$WORK/swift-counter.response")
PC=$(size "$WORK/python-counter.response")
SR=$(size "$WORK/swift-run.response")
PR=$(size "$WORK/python-run.response")
SP=$(size "$WORK/swift-replay.response")
PP=$(size "$WORK/python-replay.response")
EB=$(size "$WORK/greet.bin")
for round in $(seq 1 "$ROUNDS"); do
    for level in "${LEVELS[@]}"; do
        read -r c m n npy <<<"$level"
        log "round $round: -c $c -m $m"
        # Interleaved, so that the three targets see the same background noise.
        load swift greet "$SWIFT_PORT" "$GREET" "$WORK/greet.bin" "$SG" "$c" "$m" "$n" "$round"
        load python greet "$PY_PORT" "$GREET" "$WORK/greet.bin" "$PG" "$c" "$m" "$npy" "$round"
        load nghttpd greet "$NGHTTPD_PORT" "$GREET" "$WORK/greet.bin" "$SG" "$c" "$m" "$n" "$round"
        # Ten times the requests: at these rates the invocation counts would be over in ~30 ms.
        load http2 echo "$ECHO_PORT" /echo "$WORK/greet.bin" "$EB" "$c" "$m" $((n * 10)) "$round"
        load nghttpd echo "$NGHTTPD_PORT" /echo "$WORK/greet.bin" "$EB" "$c" "$m" $((n * 10)) "$round"
    done
    log "round $round: stateful Counter/add, -c 8 -m 32"
    load swift counter "$SWIFT_PORT" "$COUNTER" "$WORK/counter.bin" "$SC" 8 32 10000 "$round"
    load python counter "$PY_PORT" "$COUNTER" "$WORK/counter.bin" "$PC" 8 32 3000 "$round"
    log "round $round: ctx.run (run, propose, suspend), -c 8 -m 32"
    load swift run "$SWIFT_PORT" /invoke/Runner/step "$WORK/run.bin" "$SR" 8 32 10000 "$round"
    load python run "$PY_PORT" /invoke/Runner/step "$WORK/run.bin" "$PR" 8 32 3000 "$round"
    log "round $round: resume after 1,000 journaled entries, -c 8 -m 32"
    load swift replay "$SWIFT_PORT" /invoke/Replayer/replay "$WORK/replay.bin" "$SP" 8 32 2000 "$round"
    load python replay "$PY_PORT" /invoke/Replayer/replay "$WORK/replay.bin" "$PP" 8 32 300 "$round"
done

# --- memory: RSS of the endpoint per idle (suspended) workflow instance -------------------------
log "memory: 100,000 idle workflow instances"
"$TOOL" instances 100000 | tee "$WORK/memory.txt" >&2

# --- a profile of the Swift endpoint under load (perf, software clock), if perf works here ------
PROFILE=$WORK/perf-swift.txt
if command -v perf >/dev/null && perf record -e cpu-clock -o "$WORK/probe.data" true >/dev/null 2>&1; then
    log "profiling the Swift endpoint at -c 8 -m 32"
    # $SWIFT_PID is the `timeout` wrapper; profile the server, its child.
    server_pid=$(pgrep -P "$SWIFT_PID" | head -1)
    perf record -e cpu-clock -F 999 -g -p "$server_pid" -o "$WORK/perf.data" -- sleep 6 >/dev/null 2>&1 &
    perf_pid=$!
    sleep 0.5
    timeout "$LOAD_TIMEOUT" h2load -n 40000 -c 8 -m 32 -d "$WORK/greet.bin" -H "$CT" \
        "http://127.0.0.1:$SWIFT_PORT$GREET" >/dev/null || true
    wait "$perf_pid" || true
    {
        echo "# perf record -e cpu-clock -g of RestateBenchTool serve under h2load -n 40000 -c 8 -m 32 (Greeter/greet)"
        echo "# By shared object:"
        perf report -i "$WORK/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$'
        echo "# By thread (NIO event loops vs the Swift concurrency global executor):"
        perf report -i "$WORK/perf.data" --stdio --no-children --sort comm -g none 2>/dev/null | grep -v '^#' | grep -v '^$'
        echo "# By symbol (self time, >= 0.5 %):"
        perf report -i "$WORK/perf.data" --stdio --no-children --sort dso,symbol -g none --percent-limit 0.5 2>/dev/null \
            | grep -v '^#' | grep -v '^$' | swift demangle --simplified | cut -c1-220
    } >"$PROFILE" || true
fi

# --- instruction counts (callgrind) and the report ------------------------------------------------
"$HERE/callgrind.sh" "$TOOL" "$WORK/callgrind.json" >&2

mkdir -p "$RESULTS"
cp "$RECORDS" "$RESULTS/e2e-records.jsonl"
cp "$WORK/memory.txt" "$RESULTS/e2e-memory.txt"
[ -s "$PROFILE" ] && cp "$PROFILE" "$RESULTS/perf-swift-c8.txt"
cp "$WORK/callgrind.json" "$RESULTS/callgrind.json"
[ -f "$WORK/callgrind-top.txt" ] && cp "$WORK/callgrind-top.txt" "$RESULTS/callgrind-top.txt"
"$PY" "$HERE/report.py" "$RESULTS" --readme "$PKG/../../README.md" \
    --response-bytes "swift-greet=$SG" "python-greet=$PG" "swift-counter=$SC" "python-counter=$PC" \
    "swift-run=$SR" "python-run=$PR" "swift-replay=$SP" "python-replay=$PP" "http2-echo=$EB"
log "results in $RESULTS"
