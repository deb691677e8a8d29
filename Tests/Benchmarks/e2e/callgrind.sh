#!/usr/bin/env bash
# Instruction counts per operation with valgrind's callgrind, independent of machine noise.
#
#   e2e/callgrind.sh [TOOL] [OUT.json]
#
# Each scenario of `RestateBenchTool invoke` runs twice, N1 and N2 times; the difference divided
# by N2 - N1 is the cost of one operation without process start-up. The top functions of the
# one-shot state-machine invocation go to callgrind-top.txt beside OUT.json.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PKG=$(cd "$HERE/.." && pwd)
TOOL=${1:-}
OUT=${2:-$PKG/results/callgrind.json}
if [ -z "$TOOL" ]; then
    swift build -c release --package-path "$PKG" --product RestateBenchTool >&2
    TOOL=$(swift build -c release --package-path "$PKG" --show-bin-path)/RestateBenchTool
fi
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
WORK=$(mktemp -d /tmp/restate-callgrind.XXXXXX)
mkdir -p "$(dirname "$OUT")"
# Valgrind gives up on the DWARF of Swift's release binaries ("Possibly corrupted debuginfo
# file"); the symbol table is enough for function names.
objcopy --strip-debug "$TOOL" "$WORK/RestateBenchTool"
TOOL=$WORK/RestateBenchTool

# scenario N1 N2
SCENARIOS=(
    "state-machine 200 2200"
    "replay-10 100 1100"
    "replay-100 20 220"
    "replay-1000 5 25"
    "replay-10000 1 3"
    "encode-output 1000 11000"
    "decode-start 1000 11000"
    "json-order 100 1100"
)

total() { # callgrind out file -> total instructions
    awk '/^(summary|totals):/ { print $2; exit }' "$1"
}

echo "{" >"$OUT"
first=1
for entry in "${SCENARIOS[@]}"; do
    read -r name n1 n2 <<<"$entry"
    for n in "$n1" "$n2"; do
        timeout 600 valgrind --tool=callgrind --callgrind-out-file="$WORK/$name.$n.out" \
            "$TOOL" invoke "$name" "$n" >/dev/null 2>"$WORK/$name.$n.err" \
            || { echo "callgrind failed for $name $n:" >&2; tail -5 "$WORK/$name.$n.err" >&2; exit 1; }
    done
    i1=$(total "$WORK/$name.$n1.out")
    i2=$(total "$WORK/$name.$n2.out")
    per=$(((i2 - i1) / (n2 - n1)))
    printf '  %-18s %12d instructions per operation\n' "$name" "$per" >&2
    [ $first = 1 ] || echo "," >>"$OUT"
    first=0
    printf '  "%s": %d' "$name" "$per" >>"$OUT"
done
printf '\n}\n' >>"$OUT"

# The in-process endpoint scenarios (endpoint-greet, endpoint-counter) are left out: valgrind
# 3.19 crashes (SIGSEGV inside valgrind) once Swift concurrency starts its threads; the perf
# profile of run.sh covers that path.
# Where a one-shot invocation of the state machine spends its instructions (exclusive cost).
callgrind_annotate --threshold=99 "$WORK/state-machine.2200.out" 2>/dev/null | head -60 \
    | swift demangle --simplified >"$(dirname "$OUT")/callgrind-top.txt" || true
callgrind_annotate --inclusive=yes --threshold=99 "$WORK/state-machine.2200.out" 2>/dev/null | head -70 \
    | swift demangle --simplified >"$(dirname "$OUT")/callgrind-inclusive.txt" || true
echo "instruction counts in $OUT" >&2
