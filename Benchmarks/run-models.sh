#!/usr/bin/env bash
# Whole-network latency of Fovea beside onnxruntime on the same machine, in
# the same run: for each thread count, round and network, Fovea's benchmark
# and onnxruntime's (Benchmarks/onnxruntime/models.py) run back to back, the
# one first in odd rounds and the other in even ones, so that both meet the
# same spells of a shared host; the table reports each library's median over
# the rounds and their ratio.
#   Benchmarks/run-models.sh [--quick] [--rounds N]
# Needs the release build of fovea-bench, darknet's files
# (Scripts/fetch-models) and Python with numpy, onnx and onnxruntime.
set -euo pipefail
cd "$(dirname "$0")"
quick="" rounds=3
while (( $# )); do
    case "$1" in
        --quick) quick="--quick"; rounds=1 ;;
        --rounds) rounds="$2"; shift ;;
    esac
    shift
done
swift build -c release >/dev/null
out="results/models-$(date -u +%Y%m%dT%H%M%SZ).csv"
mkdir -p results
echo "peer,variant,network,threads,median_ms,,best_ms,samples,note" > "$out"
networks=$(python3 onnxruntime/models.py --list)
fovea() { .build/release/fovea-bench models --threads "$1" --only "$2" $quick >> "$out"; }
onnxruntime() { python3 onnxruntime/models.py --threads "$1" --only "$2" $quick >> "$out"; }
for threads in 1 2; do
    for round in $(seq "$rounds"); do
        for network in $networks; do
            if (( round % 2 )); then
                fovea "$threads" "$network"; onnxruntime "$threads" "$network"
            else
                onnxruntime "$threads" "$network"; fovea "$threads" "$network"
            fi
        done
    done
done
python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
times = {}
for r in rows:
    if r["median_ms"]:
        times.setdefault((r["network"], int(r["threads"]), r["peer"]), []).append(float(r["median_ms"]))
print(f"results: {sys.argv[1]}")
print("| network | threads | Fovea ms | onnxruntime ms | Fovea / onnxruntime |")
print("|---|--:|--:|--:|--:|")
for (network, threads, peer) in sorted(times):
    if peer != "fovea":
        continue
    f = statistics.median(times[(network, threads, "fovea")])
    o = times.get((network, threads, "onnxruntime"))
    if o:
        o = statistics.median(o)
        print(f"| {network} | {threads} | {f:.2f} | {o:.2f} | {f / o:.2f} |")
PY
