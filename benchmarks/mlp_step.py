"""One training step of a small MLP (64 -> 128 ReLU -> 10, cross-entropy, SGD lr 0.1, batch 32)
in lightgrad and in PyTorch, timed in alternating blocks: once written with the functional API
(log_softmax + indexing, manual update), once with nn modules, the fused loss and optim.SGD.

Run: .venv/bin/python benchmarks/mlp_step.py
The full suite (nn layers, optimizers, CNNs, RNNs) arrives with the performance issue.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

import lightgrad as lg

torch.set_num_threads(1)


def make(lib, seed: int = 0):
    r = np.random.default_rng(seed)
    w1 = lib.tensor((r.standard_normal((128, 64)) * 0.1).astype(np.float32), requires_grad=True)
    b1 = lib.tensor(np.zeros(128, np.float32), requires_grad=True)
    w2 = lib.tensor((r.standard_normal((10, 128)) * 0.1).astype(np.float32), requires_grad=True)
    b2 = lib.tensor(np.zeros(10, np.float32), requires_grad=True)
    batches = [(lib.tensor(r.standard_normal((32, 64)).astype(np.float32)),
                lib.tensor(r.integers(0, 10, 32))) for _ in range(4)]
    params = [w1, b1, w2, b2]
    F = lib.nn.functional

    def step(i: int) -> None:
        x, y = batches[i % 4]
        h = F.relu(F.linear(x, w1, b1))
        logp = F.log_softmax(F.linear(h, w2, b2), dim=1)
        loss = -logp[lib.arange(32), y].mean()
        for p in params:
            p.grad = None
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= 0.1 * p.grad

    return step


def make_nn(lib, seed: int = 0):
    """The same step with modules: nn.Sequential, nn.CrossEntropyLoss, optim.SGD."""
    r = np.random.default_rng(seed)
    lib.manual_seed(seed)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    batches = [(lib.tensor(r.standard_normal((32, 64)).astype(np.float32)),
                lib.tensor(r.integers(0, 10, 32))) for _ in range(4)]

    def step(i: int) -> None:
        x, y = batches[i % 4]
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def block(step, n: int = 300) -> float:
    t = time.perf_counter()
    for i in range(n):
        step(i)
    return (time.perf_counter() - t) / n * 1e3


def compare(name: str, lg_step, th_step) -> None:
    block(lg_step, 100)
    block(th_step, 100)
    a, b = [], []
    for _ in range(9):
        a.append(block(lg_step))
        b.append(block(th_step))
    ratios = [x / y for x, y in zip(a, b)]
    print(f"{name}: lightgrad {statistics.median(a):.3f} ms, torch "
          f"{statistics.median(b):.3f} ms, ratio {statistics.median(ratios):.2f} "
          f"(spread {min(ratios):.2f}-{max(ratios):.2f})")


def main() -> None:
    compare("mlp_small step, functional", make(lg), make(torch))
    compare("mlp_small step, nn + optim", make_nn(lg), make_nn(torch))


if __name__ == "__main__":
    main()
