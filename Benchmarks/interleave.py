#!/usr/bin/env python3
"""Runs benchmark commands that speak shared/peers' CSV protocol in alternation and prints each
row's median GFLOP/s over the rounds, with every round's figure.

On a shared host whose speed moves from minute to minute, two builds (or Fovea and a peer) are
only comparable when their runs alternate: round r runs the commands in the given order when r
is even and in reverse when it is odd, so neither always runs first.

    Benchmarks/interleave.py --rounds 4 --threads 1 --layers-file /tmp/peers/layers.csv \\
        old="/tmp/fovea-bench-old conv-layers --variants auto" \\
        new="Benchmarks/.build/release/fovea-bench conv-layers --variants auto" \\
        onednn=/tmp/peers/build/bench_onednn

Each command gets `--threads N --layers-file F` appended, as the harness's own runs do.
"""
import argparse
import collections
import shlex
import statistics
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--layers-file", required=True)
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args()
    commands = []
    for spec in args.commands:
        name, sep, command = spec.partition("=")
        if not sep or not name or not command:
            parser.error(f"expected NAME=COMMAND, got {spec!r}")
        commands.append((name, shlex.split(command)))

    figures = collections.defaultdict(list)  # (layer, name, variant) -> GFLOP/s per round
    for round_index in range(args.rounds):
        order = commands if round_index % 2 == 0 else commands[::-1]
        for name, command in order:
            argv = command + ["--threads", str(args.threads), "--layers-file", args.layers_file]
            result = subprocess.run(argv, capture_output=True, text=True)
            if result.returncode != 0:
                sys.exit(f"{name}: exit status {result.returncode}\n{result.stderr}")
            for line in result.stdout.splitlines():
                fields = line.split(",")
                # peer,variant,layer,threads,median_ms,median_gflops,best_gflops,samples,"note"
                if len(fields) < 7 or not fields[5]:
                    continue
                try:
                    figures[(fields[2], name, fields[1])].append(float(fields[5]))
                except ValueError:
                    continue  # a header line

    print(f"{'layer':14} {'command':10} {'variant':12} {'median':>8}  rounds")
    for (layer, name, variant), values in sorted(figures.items()):
        rounds = " ".join(f"{v:.1f}" for v in values)
        print(f"{layer:14} {name:10} {variant:12} {statistics.median(values):8.1f}  {rounds}")


if __name__ == "__main__":
    main()
