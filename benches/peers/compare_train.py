#!/usr/bin/env python3
"""Side-by-side epoch times: `descent bench train` against PyTorch (`torch_mlp.py`).

Runs both for every (batch, threads) pair, back to back so that both see the same machine,
`--repeats` times in alternation, and prints a Markdown table: per implementation the median
over the repeats of the median epoch time after the first epoch, descent's floor ratio, and
the speed-up (median and range over the repeats, each repeat's pair compared with itself),
and the worst single epoch's floor ratio over all repeats.

    python3 benches/peers/compare_train.py --batches 32 128 512 --threads 1 2 --epochs 4 --repeats 3
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def summary(cmd):
    """Runs `cmd` and returns its last JSON line that has "summary": true."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in reversed(out.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            obj = json.loads(line)
            if obj.get("summary"):
                return obj
    sys.exit(f"no summary line from {' '.join(cmd)}:\n{out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, nargs="+", default=[32, 128, 512])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--data", default=None, help="folder of the MNIST IDX files [default: $DESCENT_DATA/mnist]")
    ap.add_argument("--descent", default=os.path.join(ROOT, "target", "release", "descent"))
    ap.add_argument("--repeats", type=int, default=3, help="alternating runs of each pair [default: 3]")
    args = ap.parse_args()
    data = args.data or os.path.join(os.environ.get("DESCENT_DATA", "data"), "mnist")

    print("| batch | threads | descent epoch (s) | x GEMM floor, median (range) | worst epoch | PyTorch epoch (s) | speed-up, median (range) | descent acc | PyTorch acc |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for batch in args.batches:
        for threads in args.threads:
            common = ["--data", data, "--batch", str(batch), "--threads", str(threads), "--epochs", str(args.epochs), "--json"]
            pairs = []
            for _ in range(args.repeats):
                ours = summary([args.descent, "bench", "train", *common])
                theirs = summary([sys.executable, os.path.join(HERE, "torch_mlp.py"), *common])
                pairs.append((ours, theirs))
            median = statistics.median
            floors = [o["floor_ratio"] for o, _ in pairs]
            worst = max(max(o["every_epoch_floor_ratio"]) for o, _ in pairs)
            speedups = [t["epoch_s"] / o["epoch_s"] for o, t in pairs]
            ours, theirs = pairs[-1]
            print(
                f"| {batch} | {threads} | {median(o['epoch_s'] for o, _ in pairs):.3f} "
                f"| {median(floors):.2f} ({min(floors):.2f}-{max(floors):.2f}) | {worst:.2f} "
                f"| {median(t['epoch_s'] for _, t in pairs):.3f} "
                f"| {median(speedups):.2f}x ({min(speedups):.2f}-{max(speedups):.2f}) "
                f"| {100 * ours['test_acc']:.2f}% | {100 * theirs['test_acc']:.2f}% |",
                flush=True,
            )


if __name__ == "__main__":
    main()
