"""Same-process A/B of one lightgrad setting on one workload, beside PyTorch.

    python -m benchmarks.ab WORKLOAD MODULE ATTR VALUE_A VALUE_B [--threads N] [--pairs K]

For example, the small-layer convolution split of ``benchmarks/NOTES.md``::

    python -m benchmarks.ab lenet5 lightgrad.ops.conv _PAIR_ABOVE "1<<40" "1<<22"

``MODULE.ATTR`` is set to ``VALUE_A``, then ``VALUE_B`` (Python expressions of numbers), in
alternating blocks (A, PyTorch, B, ...) over one built model of each framework, so the three see
the same machine; it prints each side's median ms per step, the ratios to PyTorch and the
per-pair ratios B / A. A module-level threshold or switch is how each optimization in NOTES.md
was measured against its absence. Run it under the suite's ``GLIBC_TUNABLES`` (see
``benchmarks/suite.py``) for figures comparable with ``make bench``.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import workloads  # noqa: E402


def _value(text: str) -> Any:
    """A number written as a Python expression ("1<<22", "0.5", "False")."""
    try:
        return eval(text, {"__builtins__": {}}, {"True": True, "False": False, "None": None})
    except Exception as e:  # noqa: BLE001  reported as a usage error
        raise SystemExit(f"benchmarks.ab: cannot read the value {text!r}: {e}") from None


def _block(step: Any, seconds: float) -> float:
    """ms per step over one block of at least ``seconds``."""
    t = time.perf_counter()
    n = 0
    while time.perf_counter() - t < seconds:
        step(n)
        n += 1
    return (time.perf_counter() - t) / n * 1e3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workload", choices=list(workloads.WORKLOADS))
    ap.add_argument("module", help="e.g. lightgrad.ops.conv")
    ap.add_argument("attr", help="a module-level setting, e.g. _PAIR_ABOVE")
    ap.add_argument("value_a")
    ap.add_argument("value_b")
    ap.add_argument("--threads", type=int, default=2, help="BLAS / torch threads (default 2)")
    ap.add_argument("--pairs", type=int, default=7, help="alternating rounds (default 7)")
    ap.add_argument("--block-seconds", type=float, default=0.5)
    a = ap.parse_args(argv)
    mod = importlib.import_module(a.module)
    if not hasattr(mod, a.attr):
        raise SystemExit(f"benchmarks.ab: {a.module} has no attribute {a.attr!r}")
    va, vb = _value(a.value_a), _value(a.value_b)
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(a.threads)
    old = getattr(mod, a.attr)
    res: dict[str, list[float]] = {"A": [], "B": [], "torch": []}
    try:
        with threadpool_limits(a.threads):
            lg = workloads.build(a.workload, "lightgrad")
            th = workloads.build(a.workload, "torch", state=lg.parameters())
            for b in (lg, th):
                for i in range(10):
                    b.step(i)
            for _ in range(a.pairs):
                for key, bench, value in (("A", lg, va), ("torch", th, None), ("B", lg, vb)):
                    if value is not None:
                        setattr(mod, a.attr, value)
                    res[key].append(_block(bench.step, a.block_seconds))
    finally:
        setattr(mod, a.attr, old)
    ma, mb, mt = (statistics.median(res[k]) for k in ("A", "B", "torch"))
    pairs = [round(b / x, 2) for x, b in zip(res["A"], res["B"])]
    print(f"{a.workload}, {a.threads} threads, {a.module}.{a.attr}:")
    print(f"  A = {a.value_a}: {ma:.3f} ms/step (/ torch {ma / mt:.3f})")
    print(f"  B = {a.value_b}: {mb:.3f} ms/step (/ torch {mb / mt:.3f})")
    print(f"  torch: {mt:.3f} ms/step;  B / A per pair: {pairs}, median "
          f"{statistics.median(b / x for x, b in zip(res['A'], res['B'])):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
