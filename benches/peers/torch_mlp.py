#!/usr/bin/env python3
"""PyTorch peer of `descent bench train`: the MNIST MLP of issue 4 trained the same way.

784-128-10 ReLU, softmax cross-entropy, SGD with momentum, seeded shuffle per epoch. The IDX
files are read here (raw or .gz) and converted to float32 / 255 once, before timing; an epoch's
time covers batch gathering, forward, backward and the optimizer step, not evaluation.
Prints one line per epoch and, with --json, ends with the summary line
{"summary": true, "threads": T, "epoch_s": S, "test_acc": A, ...}, S = median epoch time after
the first epoch.
"""

import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch


def read_idx(path, ndims):
    """The u8 array of an IDX file with `ndims` dimensions, checking magic and length."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic != 0x800 | ndims:
        sys.exit(f"{path}: bad magic number 0x{magic:08x}, expected 0x{0x800 | ndims:08x}")
    dims = struct.unpack(">" + "I" * ndims, data[4 : 4 + 4 * ndims])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndims)
    if body.size != int(np.prod(dims)):
        sys.exit(f"{path}: header promises {dims} = {int(np.prod(dims))} bytes, found {body.size}")
    return body.reshape(dims)


def find(directory, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    sys.exit(f"{directory}: missing {stem}[.gz]")


def load(directory, prefix):
    images = read_idx(find(directory, f"{prefix}-images-idx3-ubyte"), 3)
    labels = read_idx(find(directory, f"{prefix}-labels-idx1-ubyte"), 1)
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def main():
    default_dir = os.path.join(os.environ.get("DESCENT_DATA", "."), "mnist")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=default_dir)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train = load(args.data, "train")
    x_test, y_test = load(args.data, "t10k")

    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    shuffle = torch.Generator().manual_seed(args.seed)

    epoch_times, test_acc = [], 0.0
    n = len(x_train)
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(n, generator=shuffle)
        for i in range(0, n, args.batch):
            idx = order[i : i + args.batch]
            xb, yb = x_train[idx], y_train[idx]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        epoch_times.append(time.perf_counter() - start)
        model.eval()
        with torch.no_grad():
            test_acc = (model(x_test).argmax(1) == y_test).float().mean().item()
        print(f"epoch {epoch}: {epoch_times[-1]:.3f} s, test accuracy {100 * test_acc:.2f}%", flush=True)

    timed = epoch_times[1:] or epoch_times
    summary = {
        "summary": True,
        "impl": "torch",
        "torch_version": torch.__version__,
        "threads": args.threads,
        "batch": args.batch,
        "epochs": args.epochs,
        "epoch_s": statistics.median(timed),
        "epoch_times_s": epoch_times,
        "test_acc": test_acc,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"median epoch after the first: {summary['epoch_s']:.3f} s, test accuracy {100 * test_acc:.2f}%")


if __name__ == "__main__":
    main()
