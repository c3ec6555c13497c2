"""Sorting and selection: ``sort``/``argsort``/``msort``, ``topk``, ``kthvalue``, ``median``
and ``mode``; values are differentiable, indices are int64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..backend_kernels import cummax
from ..tensor import Tensor
from .extrema import ReduceSelect
from .operands import as_tensor_arg, get_xp, wrap_dim
from .reduce_args import _check_nonempty, _int64, _put_along, _slice, _take_along, return_types

__all__ = [
    "median", "mode", "sort", "argsort", "msort", "topk", "kthvalue",
]


class Median(Function):
    """``out = lower median of all elements`` (nan if any is nan); the gradient is split
    evenly among the elements equal to it."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        xp = get_xp(x)
        flat = x.reshape(-1)
        n = flat.shape[0]
        if n == 0:
            out = xp.asarray(xp.nan, dtype=x.dtype)
        elif x.dtype.kind == "f" and xp.isnan(flat).any():
            out = xp.asarray(xp.nan, dtype=x.dtype)
        else:
            k = (n - 1) // 2
            out = xp.partition(flat, k)[k]
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, out = ctx.saved_tensors
        xp = get_xp(x)
        mask = xp.isnan(x) if xp.isnan(out) else x == out
        return xp.where(mask, grad_out / mask.sum().astype(grad_out.dtype), 0)


# ----------------------------------------------------------------------------- sort / select
def _argsort_array(x: Any, axis: int, descending: bool, stable: bool) -> Any:
    """int64 indices sorting ``x`` along ``axis`` (nan last ascending, first descending)."""
    xp = get_xp(x)
    kw = {"kind": "stable"} if stable and xp is np else {}  # CuPy's sort is always stable
    if not descending:
        idx = xp.argsort(x, axis=axis, **kw)
    else:
        # stable descending: sort the reversed array ascending, reverse back; ties keep order
        n = x.shape[axis]
        idx = (n - 1) - xp.flip(xp.argsort(xp.flip(x, axis), axis=axis, **kw), axis)
    return idx.astype(_int64, copy=False)


def _select(input: Tensor, idx: Any, axis: int, keepdim: bool, kind: str) -> Any:
    """``(values, indices)`` for ``idx`` (keepdim form) along ``axis``."""
    values = ReduceSelect.apply(input, idx, axis, keepdim)
    if input.ndim == 0:
        idx = idx.reshape(())
    elif not keepdim:
        idx = idx.squeeze(axis)
    return getattr(return_types, kind)(values, Tensor._make(idx))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """Sort along ``dim``: a namedtuple ``(values, indices)`` with
    ``values = x.gather(dim, indices)``; nan sorts as the largest value.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([3.0, 1.0, 2.0]).sort(descending=True).indices
        tensor([0, 2, 1])
    """
    input = as_tensor_arg(input, "sort")
    axis = wrap_dim(dim, input.ndim, "sort")
    x = input.data
    if x.ndim == 0:
        return _select(input, get_xp(x).zeros((), dtype=_int64), 0, True, "sort")
    return _select(input, _argsort_array(x, axis, descending, stable), axis, True, "sort")


def argsort(input: Tensor, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64)."""
    input = as_tensor_arg(input, "argsort")
    axis = wrap_dim(dim, input.ndim, "argsort")
    x = input.data
    if x.ndim == 0:
        return Tensor._make(get_xp(x).zeros((), dtype=_int64))
    return Tensor._make(_argsort_array(x, axis, descending, stable))


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> Any:
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim``, as a namedtuple
    ``(values, indices)``, ordered (also when ``sorted=False``).

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([1.0, 4.0, 2.0, 3.0]).topk(2).values
        tensor([4., 3.])
    """
    input = as_tensor_arg(input, "topk")
    axis = wrap_dim(dim, input.ndim, "topk")
    x = input.data
    xp = get_xp(x)
    if x.dtype.kind == "b":
        raise RuntimeError("topk(): does not support bool dtypes")
    n = x.shape[axis] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"topk(): argument 'k' must be an int, got {type(k).__name__}")
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k out of range (k={k}, size {n} along dim "
                           f"{dim})")
    if x.ndim == 0:
        return _select(input, xp.zeros((), dtype=_int64), 0, True, "topk")
    if k == 0:
        shape = list(x.shape)
        shape[axis] = 0
        idx = xp.zeros(shape, dtype=_int64)
    elif k <= 16 and n > 64 and x.dtype.kind == "f" and not (
            xp.isinf(x).any() or not largest and xp.isnan(x).any()):
        # a few arg-extrema passes beat a selection over the whole row (top-5 accuracy...)
        work = x.copy()
        fill = -xp.inf if largest else xp.inf
        pick = xp.argmax if largest else xp.argmin
        parts = []
        for _ in range(k):
            j = pick(work, axis=axis, keepdims=True)
            _put_along(work, j, fill, axis)
            parts.append(j)
        idx = xp.concatenate(parts, axis=axis).astype(_int64, copy=False)
    elif 4 * k >= n or n <= 64:
        idx = _slice(_argsort_array(x, axis, largest, False), axis, 0, k)
    else:  # partial selection, then order the k chosen
        if largest:
            part = xp.argpartition(x, n - k, axis=axis)
            sel = _slice(part, axis, n - k, n)
        else:
            part = xp.argpartition(x, k - 1, axis=axis)
            sel = _slice(part, axis, 0, k)
        order = _argsort_array(_take_along(x, sel, axis), axis, largest, False)
        idx = _take_along(sel, order, axis).astype(_int64, copy=False)
    return _select(input, idx, axis, True, "topk")


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest element (1-based) along ``dim``, as ``(values, indices)``."""
    input = as_tensor_arg(input, "kthvalue")
    axis = wrap_dim(dim, input.ndim, "kthvalue")
    x = input.data
    xp = get_xp(x)
    if x.ndim == 0:
        if k != 1:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension "
                               f"{dim} (k={k}, size 1)")
        return _select(input, xp.zeros((), dtype=_int64), 0, True, "kthvalue")
    _check_nonempty(x.shape, (axis,), "kthvalue", True)
    n = x.shape[axis]
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim} "
                           f"(k={k}, size {n})")
    idx = _slice(xp.argpartition(x, k - 1, axis=axis), axis, k - 1, k).astype(_int64)
    return _select(input, idx, axis, keepdim, "kthvalue")


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median: ``median(x)`` of all elements (nan if any is nan; the gradient is
    split among ties), or ``median(x, dim)`` -> ``(values, indices)`` along ``dim``.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([3.0, 1.0, 4.0, 2.0]).median()
        tensor(2.)
    """
    input = as_tensor_arg(input, "median")
    x = input.data
    xp = get_xp(x)
    if x.dtype.kind == "b":
        raise RuntimeError("median(): not implemented for bool tensors")
    if dim is None:
        if x.size == 0 and x.dtype.kind != "f":
            raise RuntimeError(f"median(): the median of an empty {x.dtype} tensor is undefined "
                               f"(shape {tuple(x.shape)})")
        return Median.apply(input)
    axis = wrap_dim(dim, x.ndim, "median")
    if x.ndim == 0:
        return _select(input, xp.zeros((), dtype=_int64), 0, True, "median")
    _check_nonempty(x.shape, (axis,), "median", True)
    n = x.shape[axis]
    k = (n - 1) // 2
    idx = _slice(xp.argpartition(x, k, axis=axis), axis, k, k + 1).astype(_int64)
    if x.dtype.kind == "f":  # a slice with a nan has median nan, at its first nan
        isn = xp.isnan(x)
        if isn.any():
            idx = xp.where(isn.any(axis=axis, keepdims=True),
                           xp.argmax(isn, axis=axis, keepdims=True), idx)
    return _select(input, idx, axis, keepdim, "median")


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` (the smallest one on ties) and the index of its
    last occurrence, as ``(values, indices)``."""
    input = as_tensor_arg(input, "mode")
    axis = wrap_dim(dim, input.ndim, "mode")
    x = input.data
    xp = get_xp(x)
    if x.ndim == 0:
        return _select(input, xp.zeros((), dtype=_int64), 0, True, "mode")
    _check_nonempty(x.shape, (axis,), "mode", True)
    xm = xp.moveaxis(x, axis, -1)
    n = xm.shape[-1]
    order = _argsort_array(xm, -1, False, True)  # ties keep their order: last = largest
    s = xp.take_along_axis(xm, order, axis=-1)
    pos = xp.arange(n)
    start = xp.ones(s.shape, dtype=bool)
    start[..., 1:] = s[..., 1:] != s[..., :-1]
    # the start of each element's run, then the running length of the run at each position
    run_start = cummax(xp.where(start, pos, 0), axis=-1)
    length = pos - run_start
    best = xp.argmax(length, axis=-1)[..., None]  # end of the first longest run
    idx = xp.take_along_axis(order, best, axis=-1).astype(_int64, copy=False)
    idx = xp.moveaxis(idx, -1, axis)
    return _select(input, idx, axis, keepdim, "mode")
