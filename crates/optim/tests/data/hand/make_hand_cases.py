"""Independent reference trajectories for Lion and Lookahead, computed in float64 straight from
the papers' formulas (no code shared with the crate). Run: python3 make_hand_cases.py

Lion: Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2:
    c = b1*m + (1-b1)*g;  p = p - lr*(sign(c) + wd*p);  m = b2*m + (1-b2)*g
Lookahead: Zhang et al. 2019, Algorithm 1: phi starts at the initial params; the inner optimizer
runs k steps on p; then phi = phi + alpha*(p - phi) and p = phi.
The inner optimizers are torch.optim's SGD (momentum) and Adam formulas.
"""
import json
import math

N = 11  # not a multiple of 8: exercises the padded tail lanes


def grads_for(steps, salt):
    # A fixed, varied sequence; element 2 is exactly zero at every step (sign(0) = 0 path).
    return [[0.0 if i == 2 else round(math.sin(1.7 * i + 0.9 * t + salt) * (0.05 + 0.02 * i), 6)
             for i in range(N)] for t in range(steps)]


def init_for(salt):
    return [round(math.cos(0.7 * i + salt), 6) for i in range(N)]


def sign(x):
    return (x > 0) - (x < 0)


def lion(init, grads, lr, betas, wd):
    p, m, out = list(init), [0.0] * N, []
    for g in grads:
        for i in range(N):
            c = betas[0] * m[i] + (1 - betas[0]) * g[i]
            p[i] = p[i] - lr * (sign(c) + wd * p[i])
            m[i] = betas[1] * m[i] + (1 - betas[1]) * g[i]
        out.append(list(p))
    return out


def sgd_momentum(lr, momentum):
    buf = [None] * N

    def step(p, g):
        for i in range(N):
            buf[i] = g[i] if buf[i] is None else momentum * buf[i] + g[i]
            p[i] -= lr * buf[i]
    return step


def adam(lr, b1=0.9, b2=0.999, eps=1e-8):
    m, v, t = [0.0] * N, [0.0] * N, [0]

    def step(p, g):
        t[0] += 1
        for i in range(N):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            m_hat = m[i] / (1 - b1 ** t[0])
            v_hat = v[i] / (1 - b2 ** t[0])
            p[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
    return step


def lookahead(init, grads, inner_step, k, alpha):
    p, slow, out = list(init), list(init), []
    for t, g in enumerate(grads, start=1):
        inner_step(p, g)
        if t % k == 0:
            slow = [s + alpha * (f - s) for s, f in zip(slow, p)]
            p = list(slow)
        out.append(list(p))
    return out


def case(name, optimizer, hyper, init, grads, expected):
    doc = {"kind": "optimizer", "optimizer": optimizer, "hyperparameters": hyper, "init": init,
           "grads": grads, "expected_params": expected,
           "source": "hand: make_hand_cases.py, float64 from the paper's formulas"}
    with open(name, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


g, x = grads_for(12, 0.3), init_for(0.1)
case("optim_Lion_00.json", "Lion", {"lr": 0.01}, x, g, lion(x, g, 0.01, (0.9, 0.99), 0.0))
g, x = grads_for(12, 1.1), init_for(0.5)
case("optim_Lion_01.json", "Lion", {"lr": 0.003, "betas": [0.95, 0.98], "weight_decay": 0.5}, x, g,
     lion(x, g, 0.003, (0.95, 0.98), 0.5))
g, x = grads_for(14, 2.0), init_for(0.9)
case("optim_Lookahead_00.json", "Lookahead",
     {"inner": "SGD", "lr": 0.05, "momentum": 0.9, "k": 3, "alpha": 0.5}, x, g,
     lookahead(x, g, sgd_momentum(0.05, 0.9), 3, 0.5))
g, x = grads_for(12, 2.7), init_for(1.3)
case("optim_Lookahead_01.json", "Lookahead", {"inner": "Adam", "lr": 0.01, "k": 5, "alpha": 0.8}, x, g,
     lookahead(x, g, adam(0.01), 5, 0.8))
