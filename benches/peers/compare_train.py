#!/usr/bin/env python3
"""Side-by-side epoch times: `descent bench train` against PyTorch (`torch_mlp.py`).

Runs both for every (batch, threads) pair, back to back so that both see the same machine,
and prints a Markdown table of the median epoch time after the first epoch and the ratio.

    python3 benches/peers/compare_train.py --batches 32 128 512 --threads 1 2 --epochs 4
"""
import argparse
import json
import os
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
    args = ap.parse_args()
    data = args.data or os.path.join(os.environ.get("DESCENT_DATA", "data"), "mnist")

    print("| batch | threads | descent epoch (s) | x GEMM floor (median / worst epoch) | PyTorch epoch (s) | speed-up | descent acc | PyTorch acc |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for batch in args.batches:
        for threads in args.threads:
            common = ["--data", data, "--batch", str(batch), "--threads", str(threads), "--epochs", str(args.epochs), "--json"]
            ours = summary([args.descent, "bench", "train", *common])
            theirs = summary([sys.executable, os.path.join(HERE, "torch_mlp.py"), *common])
            floor = ours["floor_ratio"]
            worst = max(ours["every_epoch_floor_ratio"])
            print(
                f"| {batch} | {threads} | {ours['epoch_s']:.3f} | {floor:.2f} / {worst:.2f} | {theirs['epoch_s']:.3f} | "
                f"{theirs['epoch_s'] / ours['epoch_s']:.2f}x | {100 * ours['test_acc']:.2f}% | {100 * theirs['test_acc']:.2f}% |",
                flush=True,
            )


if __name__ == "__main__":
    main()
