"""The device-specific array kernels, in one place (DESIGN.md: principle 4, design.md section 10).

Everything else in lightgrad writes device-generic code on ``xp`` (NumPy or CuPy). The few
operations whose best (or only) implementation differs between the two live here:

- **scatter-add** ``target[idx] += vals`` with repeated indices summed: NumPy's ``add.at``
  (or its faster ``bincount`` / sorted-segment forms in :func:`index_add_rows`); on CuPy
  ``add.at`` (``cupyx.scatter_add`` on older CuPy) for the dtypes CUDA adds atomically, a
  sorted, rank-by-rank update for the others;
- **scatter-multiply** ``target[idx] *= vals``: NumPy's ``multiply.at``; CuPy has no atomic
  product, so the rank-by-rank update;
- **running maximum** along an axis: NumPy's ``maximum.accumulate``; CuPy has no ufunc
  ``accumulate`` for ``maximum``, so a log-step (Hillis-Steele) scan;
- **strided views**: ``numpy.lib.stride_tricks.as_strided`` vs CuPy's own;
- **two host threads** for NumPy work that splits into independent halves
  (:func:`host_pair`): NumPy's BLAS threads itself, but everything outside BLAS runs on the
  calling core; CuPy work never goes through it.

Random numbers are the other device-specific step: they are drawn on the host by
``backend.Generator`` and moved with :func:`lightgrad.backend.to_device_like` (design.md
section 9), so a seed gives the same values on every device.
"""

from __future__ import annotations

import ctypes
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend

__all__ = ["scatter_add", "scatter_mul", "index_add_rows", "flat_add_", "flat_sum", "cummax",
           "as_strided", "host_pair_ok", "host_pair"]

_intp = np.intp
# dtypes CUDA's atomicAdd handles, i.e. those CuPy's add.at / cupyx.scatter_add accept
_ATOMIC_ADD = frozenset(np.dtype(d) for d in ("float32", "float64", "int32", "uint32", "uint64"))


def _prod(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


# ----------------------------------------------------------------------------- scatter
def scatter_add(target: Any, idx: Any, vals: Any) -> None:
    """``target[idx] += vals`` in place, repeated indices summed (``np.add.at`` semantics).

    ``idx`` is an index array (or a tuple of them) on ``target``'s device; ``vals`` broadcasts
    to ``target[idx]``.
    """
    xp = backend.get_array_module(target)
    if xp is np:
        np.add.at(target, idx, vals)
        return
    dt = target.dtype
    if dt == np.int64 and target.flags.c_contiguous:
        # two's complement addition is the same on uint64, which CUDA adds atomically
        _device_add_at(xp, target.view(np.uint64), idx,
                       xp.asarray(vals, dtype=np.int64).view(np.uint64))
    elif dt in _ATOMIC_ADD:
        _device_add_at(xp, target, idx, xp.asarray(vals, dtype=dt))
    else:  # float16, small ints, bool: no atomics; exact, rank by rank
        _scatter_by_rank(xp, target, idx, vals, xp.add)


def _device_add_at(xp: Any, target: Any, idx: Any, vals: Any) -> None:
    at = getattr(xp.add, "at", None)
    if at is not None:
        at(target, idx, vals)
    else:  # CuPy before ufunc.at
        import cupyx  # type: ignore[import-not-found]

        cupyx.scatter_add(target, idx, vals)


def scatter_mul(target: Any, idx: Any, vals: Any) -> None:
    """``target[idx] *= vals`` in place, repeated indices multiplied in (``multiply.at``)."""
    xp = backend.get_array_module(target)
    if xp is np:
        np.multiply.at(target, idx, vals)
        return
    _scatter_by_rank(xp, target, idx, vals, xp.multiply)


def _scatter_by_rank(xp: Any, target: Any, idx: Any, vals: Any, ufunc: Any) -> None:
    """Device-generic ``ufunc.at``: the index arrays select rows of ``target`` (its first
    ``len(idx)`` dims); sort the row numbers, give each occurrence its rank among equal rows
    and update rank by rank (within a rank the rows are distinct, so a plain fancy assignment
    is exact). As many steps as the largest repeat count."""
    ids = idx if isinstance(idx, tuple) else (idx,)
    k = len(ids)
    lead, rest = tuple(target.shape[:k]), tuple(target.shape[k:])
    ids = xp.broadcast_arrays(*[xp.asarray(i) for i in ids])
    pos = None
    stride = 1
    for j in range(k - 1, -1, -1):
        i = ids[j].astype(_intp, copy=False)
        i = xp.where(i < 0, i + lead[j], i)
        pos = i * stride if pos is None else pos + i * stride
        stride *= lead[j]
    assert pos is not None
    v = xp.broadcast_to(xp.asarray(vals, dtype=target.dtype), tuple(pos.shape) + rest)
    pos = pos.reshape(-1)
    if pos.size == 0:
        return
    v = v.reshape(pos.shape[0], -1)
    work = target if target.flags.c_contiguous else target.copy()
    rows = work.reshape(stride, -1)
    order = xp.argsort(pos)
    sp = pos[order]
    sv = v[order]
    n = int(sp.shape[0])
    first = xp.ones(n, dtype=bool)
    first[1:] = sp[1:] != sp[:-1]
    at = xp.arange(n)
    rank = at - cummax(xp.where(first, at, 0))
    for r in range(int(rank.max()) + 1):
        sel = rank == r
        p = sp[sel]
        rows[p] = ufunc(rows[p], sv[sel])
    if work is not target:
        target[...] = work


# ----------------------------------------------------------------------------- row sums
def index_add_rows(xp: Any, n_rows: int, idx: Any, src: Any, out: Any = None) -> Any:
    """``out[idx[i]] += src[i]`` for a zero ``(n_rows, D)`` ``out`` (fresh, or given: zeros
    to fill in place); ``idx`` is 1-D, non-negative and in range, ``src`` is ``(N, D)``.

    On NumPy: many rows per index -> one ``bincount`` over flat positions (linear time); few
    rows with ``D == 1`` -> ``add.at``; otherwise the indices are sorted, the rows of indices
    seen once are copied, the k-th repeats of all indices are added in one vectorized step per
    k, and the rare long runs (over 32 repeats) are summed with ``add.reduceat``. On CuPy:
    :func:`scatter_add`.
    """
    n, d = src.shape
    dtype = src.dtype
    if out is None:
        out = xp.zeros((n_rows, d), dtype)
    if n == 0 or d == 0 or n_rows == 0:
        return out
    idx = idx.astype(_intp, copy=False)
    if xp is not np or dtype.kind != "f" or (d == 1 and 4 * n < n_rows):
        scatter_add(out, idx, src)
        return out
    if d == 1 or n >= 2 * n_rows:
        pos = idx if d == 1 else (idx[:, None] * d + np.arange(d, dtype=_intp)).reshape(-1)
        out[...] = np.bincount(pos, weights=src.reshape(-1), minlength=n_rows * d).reshape(
            n_rows, d)
        return out
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(sidx[1:], sidx[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    lengths = np.diff(starts, append=n)
    single = lengths == 1
    s1 = starts[single]
    out[sidx[s1]] = src[order[s1]]
    if len(s1) == len(starts):
        return out
    multi = ~single
    ms, ml = starts[multi], lengths[multi]
    short = ml <= 32
    if short.any():  # add the k-th repeat of every index at once: few vectorized steps
        ss, sl = ms[short], ml[short]
        acc = src[order[ss]]
        for k in range(1, int(sl.max())):
            sel = sl > k
            if sel.all():
                acc += src[order[ss + k]]
            else:
                acc[sel] += src[order[ss[sel] + k]]
        out[sidx[ss]] = acc
    if not short.all():  # a few long runs (a padding token...): one reduceat
        long = ~short
        ls, ll = ms[long], ml[long]
        loc = np.zeros(len(ll), dtype=_intp)  # where each run starts among the gathered rows
        np.cumsum(ll[:-1], out=loc[1:])
        rows = order[np.repeat(ls - loc, ll) + np.arange(int(ll.sum()), dtype=_intp)]
        out[sidx[ls]] = np.add.reduceat(src[rows], loc, axis=0)
    return out


def flat_add_(xp: Any, flat: Any, pos: Any, vals: Any) -> None:
    """``flat[pos] += vals`` in place (``flat`` 1-D contiguous), repeated positions summed."""
    pos = pos.reshape(-1)
    vals = vals.reshape(-1)
    if xp is np and flat.dtype.kind == "f" and pos.size * 4 >= flat.size:
        flat += np.bincount(pos, weights=vals, minlength=flat.size)
    else:
        scatter_add(flat, pos, vals.astype(flat.dtype, copy=False))


def flat_sum(xp: Any, shape: tuple, pos: Any, vals: Any, dtype: Any) -> Any:
    """A fresh array of ``shape`` holding ``vals`` summed at the flat positions ``pos`` (it
    owns its buffer, so the engine stores it as a leaf's ``.grad`` without a copy)."""
    pos = pos.reshape(-1)
    vals = vals.reshape(-1)
    size = _prod(shape)
    if dtype.kind == "f" and pos.size * 4 >= size:  # bincount is device-generic
        out = xp.empty(shape, dtype)
        out.reshape(-1)[...] = xp.bincount(pos, weights=vals, minlength=size)
        return out
    out = xp.zeros(shape, dtype)
    if pos.size:
        scatter_add(out.reshape(-1), pos, vals.astype(dtype, copy=False))
    return out


# ----------------------------------------------------------------------------- scans, views
def cummax(a: Any, axis: int = -1) -> Any:
    """The running maximum of ``a`` along ``axis`` (a new array)."""
    xp = backend.get_array_module(a)
    if xp is np:
        return np.maximum.accumulate(a, axis=axis)
    out = xp.moveaxis(a, axis, -1).copy()
    n = out.shape[-1]
    step = 1
    while step < n:  # after the step, out[i] = max(a[i - 2 step + 1 .. i])
        out[..., step:] = xp.maximum(out[..., step:], out[..., :-step])
        step *= 2
    return xp.moveaxis(out, -1, axis)


def as_strided(a: Any, shape: tuple, strides: tuple, writeable: bool = False) -> Any:
    """A strided view of ``a`` (``strides`` in bytes); read-only on NumPy unless
    ``writeable`` (CuPy views are always writeable)."""
    xp = backend.get_array_module(a)
    if xp is np:
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=writeable)
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


# ----------------------------------------------------------------------------- two host threads
# NumPy's bundled OpenBLAS, found among the loaded libraries: its thread count is what the user
# (OPENBLAS_NUM_THREADS, threadpoolctl) granted NumPy, so lightgrad adds a second thread of its
# own only when that count is at least 2, and runs BLAS at one thread while both of its threads
# work (two callers each spawning BLAS threads would oversubscribe the cores).
_SET_NAMES = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
              "scipy_openblas_set_num_threads", "openblas_set_num_threads")
_blas_api: Any = None  # (get, set, stop-threads or None), () when not found, None: not looked up
_pair_lock = threading.Lock()
_worker: _Worker | None = None


def _find_blas() -> Any:
    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "openblas" in ln.rsplit("/", 1)[-1]}
    except OSError:  # not Linux: no second thread
        return ()
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SET_NAMES:
            setter = getattr(lib, name, None)
            getter = getattr(lib, name.replace("set_", "get_"), None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                park = getattr(lib, "blas_thread_shutdown_", None)
                if park is not None:
                    park.argtypes, park.restype = [], ctypes.c_int
                return getter, setter, park
    return ()


def host_pair_ok() -> bool:
    """Whether :func:`host_pair` runs its two halves on two threads: NumPy's BLAS is an
    OpenBLAS this process can see and it is allowed at least 2 threads (the user's setting:
    ``OPENBLAS_NUM_THREADS``, threadpoolctl). Otherwise callers do their work in one piece."""
    global _blas_api
    if _blas_api is None:
        _blas_api = _find_blas()
    return bool(_blas_api) and _blas_api[0]() >= 2


class _Worker:
    """One daemon thread that runs the jobs handed to it, one at a time."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="lightgrad-host-pair", daemon=True).start()

    def _loop(self) -> None:
        while True:
            fn = self.jobs.get()
            try:
                fn()
            except BaseException as e:  # noqa: BLE001  handed back to the caller, re-raised
                self.done.put(e)
            else:
                self.done.put(None)


def _after_fork() -> None:  # a forked child (DataLoader worker) has no copy of the thread
    global _worker, _pair_lock
    _worker = None
    _pair_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def host_pair(first: Callable[[], None], second: Callable[[], None]) -> None:
    """Run ``first()`` on the calling thread and ``second()`` on lightgrad's helper thread at
    the same time, with NumPy's BLAS at one thread meanwhile (restored after, also on error).

    OpenBLAS's own threads busy-wait for a while (about 0.1 s) after each threaded call, and
    one of them spinning on the second core halves the helper thread's speed (cnn_mnist: 127
    against 178 ms a step). So when no other Python thread could be inside BLAS (the process
    runs only the caller and the helper), they are stopped first (``blas_thread_shutdown_``;
    OpenBLAS starts them again at its next threaded call, about 70 us).

    The two must write disjoint memory; NumPy copies, ufuncs and BLAS calls release the GIL,
    so two halves of a memory-bound or small-GEMM loop run on two cores. Call it only after
    :func:`host_pair_ok`; while another thread is inside ``host_pair`` (or BLAS is found not
    to allow 2 threads) the two run one after the other on the calling thread. An exception
    from either is raised here after both have finished.
    """
    global _worker
    if not host_pair_ok() or not _pair_lock.acquire(blocking=False):
        first()
        second()
        return
    get, set_, park = _blas_api
    try:
        n = get()
        if _worker is None:
            _worker = _Worker()
        set_(1)
        if park is not None and threading.active_count() <= 2:
            park()
        try:
            _worker.jobs.put(second)
            err: BaseException | None = None
            try:
                first()
            except BaseException as e:  # noqa: BLE001  wait for the other half first
                err = e
            err2 = _worker.done.get()
        finally:
            set_(n)
        if err is not None:
            raise err
        if err2 is not None:
            raise err2
    finally:
        _pair_lock.release()
