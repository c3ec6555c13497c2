"""Per-op overhead of a tiny op (4 elements), lightgrad vs PyTorch, in one process.

Run: .venv/bin/python benchmarks/op_overhead.py
Reports the median of interleaved blocks (A B A B ...), in microseconds per op.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

import lightgrad as lg

torch.set_num_threads(1)


def per_call(fn, n: int = 20000) -> float:
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1e6


def compare(name: str, lg_fn, th_fn, blocks: int = 7) -> tuple[float, float]:
    for f in (lg_fn, th_fn):  # warm up
        per_call(f, 2000)
    a, b = [], []
    for _ in range(blocks):
        a.append(per_call(lg_fn))
        b.append(per_call(th_fn))
    la, tb = statistics.median(a), statistics.median(b)
    print(f"{name:34s} lightgrad {la:6.2f} us   torch {tb:6.2f} us   ratio {la / tb:5.2f}")
    return la, tb


def main() -> None:
    r = np.random.default_rng(0)
    xa, xb = r.standard_normal(4).astype(np.float32), r.standard_normal(4).astype(np.float32)
    la, lb = lg.tensor(xa, requires_grad=True), lg.tensor(xb)
    ta, tb = torch.tensor(xa, requires_grad=True), torch.tensor(xb)
    lc, tc = lg.tensor(xa), torch.tensor(xa)
    print(f"numpy a*b (reference)              {per_call(lambda: xa * xb):6.2f} us")
    compare("mul, recording", lambda: la * lb, lambda: ta * tb)
    compare("mul, no grad needed", lambda: lc * lb, lambda: tc * tb)
    compare("exp, recording", lambda: la.exp(), lambda: ta.exp())
    compare("sum, recording", lambda: la.sum(), lambda: ta.sum())
    compare("reshape (view), recording", lambda: la.reshape(2, 2), lambda: ta.reshape(2, 2))

    def lg_chain():
        y = la
        for _ in range(10):
            y = y * lb
        y.sum().backward()

    def th_chain():
        y = ta
        for _ in range(10):
            y = y * tb
        y.sum().backward()

    compare("10 muls + sum + backward", lg_chain, th_chain)
    la.grad = None
    ta.grad = None


if __name__ == "__main__":
    main()
