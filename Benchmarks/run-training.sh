#!/usr/bin/env bash
# LeNet-5 on Fashion-MNIST: seconds per epoch of `fovea train` beside PyTorch
# (Debian's python3-torch) training the same network with the same batch size
# and optimizer, one after the other in the same run, at 1 and 2 threads.
#   Benchmarks/run-training.sh [--epochs N]     (default 2)
# Needs Debian's dataset-fashion-mnist and python3-torch.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=2
[[ "${1:-}" == "--epochs" ]] && epochs="$2"
swift build -c release --product fovea >/dev/null
out="Benchmarks/results/training-$(date -u +%Y%m%dT%H%M%SZ).csv"
mkdir -p Benchmarks/results
echo "peer,model,threads,epoch,seconds,train_loss,train_accuracy,test_accuracy" > "$out"
for threads in 1 2; do
    .build/release/fovea train lenet5 --epochs "$epochs" --threads "$threads" | tr '\r' '\n' |
        sed -n "s/^epoch \([0-9]*\): loss \([0-9.]*\) accuracy \([0-9.]*\) | test loss [0-9.]* accuracy \([0-9.]*\) | \([0-9.]*\) s.*/fovea,lenet5,$threads,\1,\5,\2,\3,\4/p" >> "$out"
    /usr/bin/python3 Benchmarks/pytorch/lenet5_fashion_mnist.py --threads "$threads" --epochs "$epochs" >> "$out"
done
python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(f"results: {sys.argv[1]}")
print("| threads | Fovea s/epoch | PyTorch s/epoch | Fovea / PyTorch | Fovea test accuracy | PyTorch test accuracy (last epoch) |")
print("|--:|--:|--:|--:|--:|--:|")
for threads in ("1", "2"):
    f = [r for r in rows if r["peer"] == "fovea" and r["threads"] == threads]
    p = [r for r in rows if r["peer"] == "pytorch" and r["threads"] == threads]
    fs = statistics.median(float(r["seconds"]) for r in f)
    ps = statistics.median(float(r["seconds"]) for r in p)
    print(f"| {threads} | {fs:.2f} | {ps:.2f} | {fs / ps:.2f} | {f[-1]['test_accuracy']} | {p[-1]['test_accuracy']} |")
PY
