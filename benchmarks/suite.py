"""The benchmark suite beside PyTorch (issue 8): ``make bench``.

    python -m benchmarks.suite [WORKLOAD ...] [--quick] [--device cpu|cuda] [--threads N]
                               [--batch-scale K] [--no-memory] [--no-import] [--list]

For each workload (``benchmarks/workloads.py``) it builds the lightgrad and the PyTorch side with
the same initial weights and data, warms both up, then times them in alternating blocks
(A B A B ...), each block long enough to last ``--block-seconds``; it reports the median ms per
step of each and the median, min–max and interquartile range of the per-pair ratios
lightgrad / PyTorch. Then, unless told not to, it measures the peak RSS of a training run of each
workload on each framework in a process of its own (``benchmarks/memory.py``) and the time of
``import lightgrad`` and ``import torch`` in fresh processes. Results go to JSON lines
(``benchmarks/results.jsonl``) and to ``BENCHMARKS.md`` (``benchmarks/report.py``).

Same conditions for both frameworks:
- threads: ``--threads N`` (default: every core this process may use) sets
  ``torch.set_num_threads(N)`` and NumPy's BLAS threads (threadpoolctl, and
  ``OPENBLAS_NUM_THREADS`` in the environment of every process the suite starts);
- allocator: glibc's malloc returning memory to the kernel makes step times swing by up to 40%
  (page faults in every step), so the suite runs under
  ``GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824``
  (the Makefile sets it; started without it, the suite re-executes itself with it; an explicit
  ``GLIBC_TUNABLES`` in the environment is kept and recorded);
- ``--device cuda`` runs lightgrad on CuPy and PyTorch on CUDA with TF32 off, synchronizing the
  device at the end of each block; it stops with a clear error when either side has no GPU.
  Memory (host RSS) is not measured there.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report, workloads  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GLIBC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"
MEMORY_FLOOR_MB = 1.0
_REEXEC_FLAG = "LIGHTGRAD_BENCH_REEXEC"
_limits: Any = None  # keeps threadpoolctl's limit alive


# ----------------------------------------------------------------------------- options
def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.suite",
                                 description="lightgrad vs PyTorch benchmark suite (issue 8).")
    ap.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                    help=f"workloads to run (default all): {', '.join(workloads.WORKLOADS)}")
    ap.add_argument("--list", action="store_true", help="list the workloads and exit")
    ap.add_argument("--quick", action="store_true",
                    help="few short blocks: a rough run in well under a minute")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS / torch threads for both (default: all cores)")
    ap.add_argument("--batch-scale", type=int, default=1,
                    help="multiply every batch size (e.g. 8 on a GPU)")
    ap.add_argument("--block-seconds", type=float, default=None,
                    help="target duration of one timed block (default 0.75, quick 0.15)")
    ap.add_argument("--pairs", type=int, default=None,
                    help="timed A B block pairs per workload (default 7, quick 3)")
    ap.add_argument("--warmup-seconds", type=float, default=None,
                    help="warm-up per side (default 0.5, quick 0.1)")
    ap.add_argument("--memory-steps", type=int, default=None,
                    help="training steps of each memory run (default 10, quick 3)")
    ap.add_argument("--import-repeats", type=int, default=None,
                    help="fresh processes per framework for the import time (default 7, quick 3)")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    ap.add_argument("--no-import", action="store_true", help="skip the import timing")
    ap.add_argument("--jsonl", default=str(report.DEFAULT_JSONL),
                    help="JSON-lines results file (sections of other devices are kept)")
    ap.add_argument("--markdown", default=str(report.DEFAULT_MARKDOWN),
                    help="Markdown report to regenerate ('' to skip)")
    a = ap.parse_args(argv)
    quick = a.quick
    defaults = {"block_seconds": (0.75, 0.15), "pairs": (7, 3), "warmup_seconds": (0.5, 0.1),
                "memory_steps": (10, 3), "import_repeats": (7, 3)}
    for key, (full, short) in defaults.items():
        if getattr(a, key) is None:
            setattr(a, key, short if quick else full)
    if a.threads is None:
        a.threads = _available_cores()
    for key in ("threads", "batch_scale", "pairs", "memory_steps", "import_repeats"):
        if getattr(a, key) < 1:
            ap.error(f"--{key.replace('_', '-')} must be >= 1, got {getattr(a, key)}")
    for key in ("block_seconds", "warmup_seconds"):
        if not getattr(a, key) > 0:
            ap.error(f"--{key.replace('_', '-')} must be > 0, got {getattr(a, key)}")
    try:
        a.selected = workloads.select(a.workloads)
    except KeyError as e:
        ap.error(str(e.args[0]))
    return a


# ----------------------------------------------------------------------------- environment
def child_env(threads: int) -> dict[str, str]:
    """The environment of every process the suite starts: same allocator, same BLAS threads,
    ``benchmarks`` importable."""
    env = dict(os.environ)
    env.setdefault("GLIBC_TUNABLES", GLIBC_TUNABLES)
    env.setdefault("CUPY_TF32", "0")  # CuPy's default; workloads.build refuses anything else
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def set_threads(n: int) -> dict[str, Any]:
    """``n`` BLAS threads for NumPy and ``n`` intra-op threads for PyTorch; returns what each
    reports afterwards (an error if NumPy's BLAS cannot be limited)."""
    global _limits
    import torch

    torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        if os.environ.get("OPENBLAS_NUM_THREADS") != str(n):
            raise RuntimeError(
                f"--threads {n}: threadpoolctl is not installed and OPENBLAS_NUM_THREADS is "
                f"{os.environ.get('OPENBLAS_NUM_THREADS')!r}; install threadpoolctl or run "
                "`python -m benchmarks.suite` (it sets the variable before NumPy loads)") from None
        return {"numpy_blas_threads": n, "torch_threads": torch.get_num_threads()}
    _limits = threadpool_limits(limits=n, user_api="blas")
    blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return {"numpy_blas_threads": blas[0] if blas else None,
            "torch_threads": torch.get_num_threads()}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = int(f.readline().split()[1])
        return f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def _git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                             capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True, timeout=10).stdout
        return (rev or "unknown") + (" (with uncommitted changes)" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def describe_machine(device: str, threads: dict[str, Any]) -> dict[str, str]:
    import numpy as np
    import torch

    import lightgrad

    blas = "unknown"
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i["user_api"] == "blas"]
        if infos:
            i = infos[0]
            blas = (f"{i['internal_api']} {i.get('version')} ({i.get('architecture')}, "
                    f"{i.get('threading_layer')})")
    except ImportError:
        pass
    cfg = torch.__config__.show()
    torch_blas = next((p.split("=", 1)[1] for p in cfg.replace(",", " ").split()
                       if p.startswith("BLAS_INFO=")), "unknown")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    m = {
        "CPU": _cpu_model(),
        "cores": f"{os.cpu_count()} ({_available_cores()} usable by this process)",
        "memory": _mem_total(),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "NumPy": f"{np.__version__}, BLAS {blas}, {threads['numpy_blas_threads']} threads",
        "PyTorch": f"{torch.__version__}, BLAS {torch_blas}, {threads['torch_threads']} threads",
        "lightgrad": f"{getattr(lightgrad, '__version__', '?')} at git {_git_rev()}",
        "GLIBC_TUNABLES": os.environ.get("GLIBC_TUNABLES", "(not set)"),
        "load average at start (1, 5, 15 min)": ("unknown" if load is None
                                                 else ", ".join(f"{x:.2f}" for x in load)),
    }
    if device == "cuda":
        from lightgrad import backend

        cp = backend.cupy_module()
        m["GPU"] = torch.cuda.get_device_name(0)
        m["CuPy"] = f"{cp.__version__}, CUDA runtime {cp.cuda.runtime.runtimeGetVersion()}"
        m["PyTorch CUDA"] = f"{torch.version.cuda}, TF32 off"
    return m


# ----------------------------------------------------------------------------- timing
class _Side:
    """One framework's side of a workload, with its step counter (batches keep rotating)."""

    def __init__(self, bench: workloads.Bench) -> None:
        self.bench, self.i, self.n = bench, 0, 1

    def run(self, n: int) -> float:
        """Run ``n`` steps; seconds taken (device synchronized before and after)."""
        step, sync, i = self.bench.step, self.bench.sync, self.i
        gc.collect()  # the other side's garbage is not charged to this block
        sync()
        t = time.perf_counter()
        for k in range(i, i + n):
            step(k)
        sync()
        dt = time.perf_counter() - t
        self.i = i + n
        return dt

    def warm_up(self, seconds: float, block_seconds: float) -> None:
        """Run for ``seconds`` (at least 3 steps), then size a block to ``block_seconds``."""
        self.run(1)  # first step: optimizer state, caches
        n, elapsed = 1, 0.0
        while True:
            elapsed += self.run(n)
            done = n
            if elapsed >= seconds and done >= 2:
                break
            n *= 2
        per_step = self.run(max(1, done // 2)) / max(1, done // 2)
        self.n = max(1, round(block_seconds / max(per_step, 1e-9)))


def time_pair(lg: workloads.Bench, th: workloads.Bench, pairs: int, block_seconds: float,
              warmup_seconds: float) -> dict[str, Any]:
    """Alternate lightgrad and PyTorch blocks; the medians and the per-pair ratio's spread."""
    a, b = _Side(lg), _Side(th)
    a.warm_up(warmup_seconds, block_seconds)
    b.warm_up(warmup_seconds, block_seconds)
    ta: list[float] = []
    tb: list[float] = []
    for _ in range(pairs):
        for side, times in ((a, ta), (b, tb)):
            n = side.n
            dt = side.run(n)
            times.append(dt / n * 1e3)
            if dt > 3 * block_seconds:  # the machine slowed down: keep the run's length bounded
                side.n = max(1, round(n * block_seconds / dt))
    ratios = [x / y for x, y in zip(ta, tb)]
    q1, q3 = ((ratios[0], ratios[0]) if len(ratios) < 2 else
              tuple(statistics.quantiles(ratios, n=4, method="inclusive")[::2]))
    return {"lightgrad_ms": statistics.median(ta), "torch_ms": statistics.median(tb),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios),
            "ratio_max": max(ratios), "ratio_q1": q1, "ratio_q3": q3, "pairs": pairs,
            "steps_per_block": [a.n, b.n], "lightgrad_blocks_ms": ta, "torch_blocks_ms": tb}


# ----------------------------------------------------------------------------- subprocesses
def measure_memory(name: str, a: argparse.Namespace) -> dict[str, Any]:
    """Peak RSS of a training run of ``name``, each framework in its own process."""
    res = {}
    for fw in workloads.FRAMEWORKS:
        cmd = [sys.executable, "-m", "benchmarks.memory", name, fw,
               "--steps", str(a.memory_steps), "--threads", str(a.threads),
               "--batch-scale", str(a.batch_scale)]
        p = subprocess.run(cmd, env=child_env(a.threads), cwd=ROOT, text=True,
                           capture_output=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError(f"memory run of {name} on {fw} failed (exit {p.returncode}):\n"
                               f"{p.stderr[-2000:]}")
        res[fw] = json.loads(p.stdout.strip().splitlines()[-1])
    lg, th = res["lightgrad"], res["torch"]
    # below 1 MiB a run's growth is within the allocator's noise (memory freed after the import
    # is reused): the floor keeps two tiny runs from giving a meaningless ratio
    ratio = max(lg["run_mb"], MEMORY_FLOOR_MB) / max(th["run_mb"], MEMORY_FLOOR_MB)
    return {"lightgrad_run_mb": lg["run_mb"], "torch_run_mb": th["run_mb"],
            "lightgrad_peak_mb": lg["peak_mb"], "torch_peak_mb": th["peak_mb"],
            "lightgrad_import_mb": lg["import_mb"], "torch_import_mb": th["import_mb"],
            "ratio": ratio, "peak_ratio": lg["peak_mb"] / th["peak_mb"],
            "steps": a.memory_steps, "target": report.MEMORY_TARGET,
            "pass": ratio <= report.MEMORY_TARGET}


_IMPORT_CODE = ("import time; t = time.perf_counter(); import {m}; dt = time.perf_counter() - t; "
                "from benchmarks.memory import peak_rss_mb; print(dt, peak_rss_mb())")


def compile_bytecode() -> None:
    """Compile lightgrad's modules to bytecode (``__pycache__``), as ``pip install`` does for
    an installed package (torch's and NumPy's are compiled that way). An editable install run
    with ``PYTHONDONTWRITEBYTECODE`` set (as on CI) would otherwise compile every module from
    source at each import, which measures the compiler, not lightgrad (0.37-0.43 s against
    0.13-0.16 s with bytecode, on the 2-core VM of BENCHMARKS.md)."""
    import compileall

    if not compileall.compile_dir(str(ROOT / "lightgrad"), quiet=1):
        raise RuntimeError("compiling lightgrad's modules to bytecode failed (python -m "
                           "compileall lightgrad says which)")


def measure_import(a: argparse.Namespace) -> dict[str, Any]:
    """Median wall time of ``import lightgrad`` and ``import torch``, alternating fresh
    processes (after one unrecorded warm-up each, which fills the file cache), both from
    compiled bytecode (:func:`compile_bytecode`)."""
    compile_bytecode()
    times: dict[str, list[float]] = {"lightgrad": [], "torch": []}
    rss: dict[str, list[float]] = {"lightgrad": [], "torch": []}
    env = child_env(a.threads)
    for rep in range(a.import_repeats + 1):
        for m in workloads.FRAMEWORKS:
            p = subprocess.run([sys.executable, "-c", _IMPORT_CODE.format(m=m)], env=env,
                               cwd=ROOT, text=True, capture_output=True, timeout=120)
            if p.returncode != 0:
                raise RuntimeError(f"`import {m}` failed (exit {p.returncode}):\n"
                                   f"{p.stderr[-2000:]}")
            if rep:
                dt, mb = map(float, p.stdout.split())
                times[m].append(dt)
                rss[m].append(mb)
    lg_s = statistics.median(times["lightgrad"])
    return {"lightgrad_s": lg_s, "torch_s": statistics.median(times["torch"]),
            "lightgrad_mb": statistics.median(rss["lightgrad"]),
            "torch_mb": statistics.median(rss["torch"]), "repeats": a.import_repeats,
            "target": report.IMPORT_TARGET_S, "pass": lg_s <= report.IMPORT_TARGET_S}


# ----------------------------------------------------------------------------- main
def section_name(device: str, batch_scale: int) -> str:
    return device if batch_scale == 1 else f"{device} x{batch_scale}"


def run(a: argparse.Namespace) -> list[dict]:
    """Run the suite as parsed by :func:`parse_args`; return the records written."""
    for fw in workloads.FRAMEWORKS:  # fail before any timing when the GPU is missing
        workloads.check_device(fw, a.device)
    threads = set_threads(a.threads)
    now = _dt.datetime.now(_dt.timezone.utc)
    section = section_name(a.device, a.batch_scale)
    base = {"run": now.strftime("%Y%m%dT%H%M%SZ"), "section": section}
    options = {"device": a.device, "threads": a.threads, "batch_scale": a.batch_scale,
               "quick": a.quick, "block_seconds": a.block_seconds, "pairs": a.pairs,
               "warmup_seconds": a.warmup_seconds,
               "workloads": " ".join(w.name for w in a.selected)}
    records: list[dict] = [dict(base, kind="machine", date=now.strftime("%Y-%m-%d %H:%M UTC"),
                                options=options, machine=describe_machine(a.device, threads))]
    print(f"lightgrad vs PyTorch, {section}, {a.threads} threads, "
          f"GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '(not set)')}", flush=True)
    for w in a.selected:
        lg, th = workloads.build_pair(w.name, device=a.device, batch_scale=a.batch_scale)
        # the frameworks' modules, the models and the data move to the permanent generation:
        # neither side's collections scan the other's objects, which a program using only one
        # framework would not hold, and the gc.collect() before each block stays cheap
        gc.collect()
        gc.freeze()
        r = time_pair(lg, th, a.pairs, a.block_seconds, a.warmup_seconds)
        del lg, th
        gc.unfreeze()  # this workload's objects become collectable again
        r = dict(base, kind="speed", workload=w.name, description=w.description,
                 target=w.target, **r)
        r["pass"] = r["ratio"] <= w.target
        records.append(r)
        print(report.summary_line(r), flush=True)
    if a.device != "cpu" and not a.no_memory:
        print(f"memory: not measured on {a.device} (the suite measures host RSS only)")
    if a.device == "cpu" and not a.no_memory:
        for w in a.selected:
            if not w.training:
                continue
            r = dict(base, kind="memory", workload=w.name, **measure_memory(w.name, a))
            records.append(r)
            print(f"{w.name:22s} run RSS lightgrad {r['lightgrad_run_mb']:7.1f} MiB  torch "
                  f"{r['torch_run_mb']:7.1f} MiB  ratio {r['ratio']:5.2f}  "
                  f"{'pass' if r['pass'] else 'FAIL'}", flush=True)
    if not a.no_import:
        r = dict(base, kind="import", **measure_import(a))
        records.append(r)
        print(f"import lightgrad {r['lightgrad_s']:.3f} s, import torch {r['torch_s']:.3f} s  "
              f"{'pass' if r['pass'] else 'FAIL'}", flush=True)
    if hasattr(os, "getloadavg"):
        records[0]["machine"]["load average at end (1, 5, 15 min)"] = ", ".join(
            f"{x:.2f}" for x in os.getloadavg())
    old = report.read_jsonl(a.jsonl) if a.jsonl and os.path.exists(a.jsonl) else []
    merged = report.merge(old, records)
    if a.jsonl:
        report.write_jsonl(a.jsonl, merged)
    if a.markdown:
        report.write_markdown(merged, a.markdown)
    return records


def main(argv: list[str] | None = None) -> list[dict]:
    a = parse_args(argv)
    if a.list:
        for w in workloads.WORKLOADS.values():
            print(f"{w.name:22s} {w.description}")
        return []
    return run(a)


def cli() -> None:
    """Entry point: make sure the allocator setting and the BLAS thread count are in the
    environment before NumPy loads (re-executing once if not), then run."""
    argv = sys.argv[1:]
    a = parse_args(argv)
    want_threads = str(a.threads)
    if not os.environ.get(_REEXEC_FLAG) and (
            "GLIBC_TUNABLES" not in os.environ
            or os.environ.get("OPENBLAS_NUM_THREADS") != want_threads):
        env = child_env(a.threads)
        env[_REEXEC_FLAG] = "1"
        os.execve(sys.executable, [sys.executable, "-m", "benchmarks.suite", *argv], env)
    try:
        main(argv)
    except RuntimeError as e:  # no GPU, a failed memory or import run: the message says which
        sys.exit(f"benchmarks.suite: {e}")


if __name__ == "__main__":
    cli()
