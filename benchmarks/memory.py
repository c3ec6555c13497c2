"""Peak memory of a training run of one workload on one framework, in a process of its own.

Run by the suite, once per workload and framework:
    python -m benchmarks.memory WORKLOAD FRAMEWORK [--steps N] [--threads N] [--batch-scale K]
It imports only the framework measured (a lightgrad run never loads PyTorch), records
``ru_maxrss`` after the import, builds the workload with the framework's own initialization
(weights do not change memory), runs ``--steps`` steps and prints one JSON object:
``{"workload", "framework", "steps", "import_mb", "peak_mb", "run_mb"}`` where ``run_mb`` is
``peak_mb - import_mb``: what the training run itself (weights, data, activations, gradients,
optimizer state, caches) added on top of the imported framework.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys

if __package__ in (None, ""):  # run as a file: make the `benchmarks` package importable
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import workloads  # noqa: E402


def peak_rss_mb() -> float:
    """This process's peak resident set size, MiB.

    On Linux it is ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` survives ``execve``, so
    in a child started by a big parent (the suite, with both frameworks loaded) it starts at the
    parent's size and hides the child's own peak. Elsewhere, ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    bytes_per_unit = 1 if sys.platform == "darwin" else 1024  # macOS: bytes; others: kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * bytes_per_unit / 2**20


def measure(name: str, framework: str, steps: int = 10, threads: int | None = None,
            batch_scale: int = 1) -> dict:
    """Import ``framework``, run ``steps`` steps of ``name``; return the RSS figures in MiB."""
    if steps < 1:
        raise ValueError(f"memory.measure({name}): steps must be >= 1, got {steps}")
    workloads.get(name)  # unknown names fail before the import
    lib = workloads.import_framework(framework)
    if threads is not None:
        if framework == "torch":
            lib.set_num_threads(threads)
        else:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=threads, user_api="blas")
    import_mb = peak_rss_mb()
    bench = workloads.build(name, framework, batch_scale=batch_scale)
    for i in range(steps):
        bench.step(i)
    peak_mb = peak_rss_mb()
    return {"workload": name, "framework": framework, "steps": steps,
            "import_mb": round(import_mb, 1), "peak_mb": round(peak_mb, 1),
            "run_mb": round(peak_mb - import_mb, 1)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", choices=list(workloads.WORKLOADS))
    ap.add_argument("framework", choices=workloads.FRAMEWORKS)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch-scale", type=int, default=1)
    a = ap.parse_args(argv)
    print(json.dumps(measure(a.workload, a.framework, a.steps, a.threads, a.batch_scale)))


if __name__ == "__main__":
    main()
