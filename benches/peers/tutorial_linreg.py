#!/usr/bin/env python3
"""The tutorial's numpy linear-regression loop (issue 4), verbatim, timed over N trials.

Trial t seeds numpy with np.random.seed(t); X = rand(100, 1); y = 3X + 2 + rand(100, 1);
w, b = rand(1, 1); 1000 full-batch steps at lr 0.01 with the tutorial's gradients, including its
bias gradient divided by N twice (db = (2/100) * mean(y_pred - y)). Prints one JSON line:
milliseconds per trial (median, mean, min) and trial 0's final w, b and MSE.
"""

import argparse
import json
import statistics
import time

import numpy as np


def trial(seed, steps=1000, lr=0.01):
    np.random.seed(seed)
    X = np.random.rand(100, 1)
    y = 3 * X + 2 + np.random.rand(100, 1)
    w = np.random.rand(1, 1)
    b = np.random.rand(1, 1)
    mse = None
    for _ in range(steps):
        y_pred = w * X + b
        mse = np.mean((y_pred - y) ** 2)
        dw = (2 / 100) * X.T.dot(y_pred - y)
        db = (2 / 100) * np.mean(y_pred - y)
        w = w - lr * dw
        b = b - lr * db
    return float(w[0, 0]), float(b[0, 0]), float(mse)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=50)
    args = p.parse_args()
    times_ms, first = [], None
    for t in range(args.trials):
        start = time.perf_counter()
        result = trial(t)
        times_ms.append(1000 * (time.perf_counter() - start))
        first = first or result
    w, b, mse = first
    print(json.dumps({
        "summary": True,
        "impl": "numpy",
        "numpy_version": np.__version__,
        "trials": args.trials,
        "ms_per_trial": statistics.median(times_ms),
        "mean_ms": statistics.mean(times_ms),
        "min_ms": min(times_ms),
        "trial0": {"w": w, "b": b, "last_step_mse": mse},
    }))


if __name__ == "__main__":
    main()
