"""Reductions: sum, mean, prod, max/min, var/std, logsumexp, norm, all/any, cumulative ops,
sorting and selection over ``dim`` (int, tuple or ``None``) with ``keepdim``, as in PyTorch.

Conventions shared by every op here:

- ``dim=None`` (and, where PyTorch accepts it, ``dim=()``) reduces over every dimension; a 0-d
  input accepts ``dim`` 0 and -1.
- Ops that select elements (``max(dim)``, ``sort``, ``topk``, ``median(dim)``...) return
  namedtuples ``(values, indices)`` (see :data:`return_types`); the values are differentiable
  (their gradient is scattered back to the selected positions), the indices are int64.
- ``amax``/``amin``/``max()``/``min()``/``median()`` split the gradient evenly among tied
  extrema, as PyTorch does.

The ops live by family in :mod:`.sums`, :mod:`.extrema`, :mod:`.statistics` and
:mod:`.sorting` (shared helpers in :mod:`.reduce_args`); this module re-exports them and holds
``all``/``any``/``count_nonzero``, ``cumsum``/``cumprod`` and the Tensor methods.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .convert import cast
from .extrema import Amax as Amax
from .extrema import Amin as Amin
from .extrema import ReduceSelect as ReduceSelect
from .extrema import amax, amin, aminmax, argmax, argmin, max, min
from .inplace import inplace
from .operands import as_tensor_arg, get_xp, wrap_dim, wrap_dims
from .reduce_args import _as_1d, _axes, _check_dtype_arg, _int64, _rev_cumsum
from .reduce_args import return_types as return_types
from .sorting import Median as Median
from .sorting import argsort, kthvalue, median, mode, msort, sort, topk
from .statistics import LogSumExp as LogSumExp
from .statistics import Norm as Norm
from .statistics import NuclearNorm as NuclearNorm
from .statistics import Std as Std
from .statistics import Var as Var
from .statistics import logsumexp, norm, std, std_mean, var, var_mean
from .sums import Mean as Mean
from .sums import NanMean as NanMean
from .sums import NanSum as NanSum
from .sums import Prod as Prod
from .sums import Sum as Sum
from .sums import mean, nanmean, nansum, prod, sum

__all__ = [
    "sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
    "argmax", "argmin", "var", "std", "var_mean", "std_mean", "logsumexp", "norm", "all", "any",
    "cumsum", "cumprod", "count_nonzero", "median", "mode", "sort", "argsort", "msort", "topk",
    "kthvalue",
]


# ----------------------------------------------------------------------------- Functions
class Cumsum(Function):
    """``out_k = sum_{j <= k} x_j`` along axis; d/dx_j = sum_{k >= j} g_k."""

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int, dtype: Any) -> Any:
        ctx.axis = axis
        return _as_1d(x).cumsum(axis=axis, dtype=dtype).reshape(x.shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _rev_cumsum(_as_1d(grad_out), ctx.axis).reshape(grad_out.shape), None, None


class Cumprod(Function):
    """``out_k = prod_{j <= k} x_j`` along axis; exact gradient with zeros in x.

    d/dx_j = sum_{k >= j} g_k out_k / x_j before a slice's first zero and 0 after it; at the
    first zero z it is sum_{k >= z} g_k cumprod(x with x_z := 1)_k.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int, dtype: Any) -> Any:
        out = _as_1d(x).cumprod(axis=axis, dtype=dtype).reshape(x.shape)
        ctx.axis = axis
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, out = ctx.saved_tensors
        xp = get_xp(x)
        shape, ax = x.shape, ctx.axis
        x, out, g = _as_1d(x), _as_1d(out), _as_1d(grad_out)
        zero = x == 0
        if not zero.any():
            return (_rev_cumsum(g * out, ax) / x).reshape(shape), None, None
        first = zero & (xp.cumsum(zero, axis=ax) == 1)
        safe = xp.where(zero, 1, x)
        before = xp.where(zero, 0, _rev_cumsum(g * out, ax) / safe)
        at_first = _rev_cumsum(g * xp.cumprod(xp.where(first, 1, x), axis=ax), ax)
        return xp.where(first, at_first, before).reshape(shape), None, None


# ----------------------------------------------------------------------------- all / any / count
def _logical(input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    input = as_tensor_arg(input, op)
    x = input.data
    xp = get_xp(x)
    axes = tuple(range(x.ndim)) if dim is None else wrap_dims(dim, x.ndim, op)
    if not x.ndim:
        axes = ()
    out = (xp.all if op == "all" else xp.any)(x, axis=axes, keepdims=keepdim)
    out = xp.asarray(out)
    if x.dtype == np.uint8:  # PyTorch keeps uint8 for all/any of uint8
        out = out.astype(np.uint8)
    return Tensor._make(out)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether every element is non-zero over ``dim`` (bool; uint8 for uint8 inputs).

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1, 0], [2, 3]]).all(dim=1)
        tensor([False,  True])
    """
    return _logical(input, dim, keepdim, "all")


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether some element is non-zero over ``dim`` (bool; uint8 for uint8 inputs)."""
    return _logical(input, dim, keepdim, "any")


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """Number of non-zero elements over ``dim`` (int64).

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1, 0], [2, 3]]).count_nonzero(dim=0)
        tensor([2, 1])
    """
    input = as_tensor_arg(input, "count_nonzero")
    x = input.data
    axes = _axes(dim, x.ndim, "count_nonzero")
    return Tensor._make(get_xp(x).asarray((x != 0).sum(axis=axes, dtype=_int64)))


# ----------------------------------------------------------------------------- cumulative
def _cumulative(input: Tensor, dim: int, dtype: Any, op: str, cls: type[Function]) -> Tensor:
    input = as_tensor_arg(input, op)
    dtype = _check_dtype_arg(dtype)
    if dtype is not None:
        input = cast(input, dtype)
    axis = wrap_dim(dim, input.ndim, op)
    acc = dtype if dtype is not None else _int64 if input.dtype.kind in "biu" else None
    return cls.apply(input, axis, acc)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``out_k = sum_{j <= k} x_j`` along ``dim``; integer and bool inputs accumulate as int64.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([1.0, 2.0, 3.0]).cumsum(0)
        tensor([1., 3., 6.])
    """
    return _cumulative(input, dim, dtype, "cumsum", Cumsum)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``out_k = prod_{j <= k} x_j`` along ``dim``; the gradient is exact with zeros.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([1.0, 2.0, 3.0]).cumprod(0)
        tensor([1., 2., 6.])
    """
    return _cumulative(input, dim, dtype, "cumprod", Cumprod)


# ----------------------------------------------------------------------------- Tensor methods
Tensor.sum = sum  # type: ignore[attr-defined]
Tensor.mean = mean  # type: ignore[attr-defined]
Tensor.nansum = nansum  # type: ignore[attr-defined]
Tensor.nanmean = nanmean  # type: ignore[attr-defined]
Tensor.prod = prod  # type: ignore[attr-defined]
Tensor.max = max  # type: ignore[attr-defined]
Tensor.min = min  # type: ignore[attr-defined]
Tensor.amax = amax  # type: ignore[attr-defined]
Tensor.amin = amin  # type: ignore[attr-defined]
Tensor.aminmax = aminmax  # type: ignore[attr-defined]
Tensor.argmax = argmax  # type: ignore[attr-defined]
Tensor.argmin = argmin  # type: ignore[attr-defined]
Tensor.var = var  # type: ignore[attr-defined]
Tensor.std = std  # type: ignore[attr-defined]
Tensor.logsumexp = logsumexp  # type: ignore[attr-defined]
Tensor.norm = norm  # type: ignore[attr-defined]
Tensor.all = all  # type: ignore[attr-defined]
Tensor.any = any  # type: ignore[attr-defined]
Tensor.count_nonzero = count_nonzero  # type: ignore[attr-defined]
Tensor.cumsum = cumsum  # type: ignore[attr-defined]
Tensor.cumprod = cumprod  # type: ignore[attr-defined]
Tensor.sort = sort  # type: ignore[attr-defined]
Tensor.argsort = argsort  # type: ignore[attr-defined]
Tensor.msort = msort  # type: ignore[attr-defined]
Tensor.topk = topk  # type: ignore[attr-defined]
Tensor.kthvalue = kthvalue  # type: ignore[attr-defined]
Tensor.median = median  # type: ignore[attr-defined]
Tensor.mode = mode  # type: ignore[attr-defined]


def _cumsum_(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return inplace(self, lambda t, d: cumsum(t, d, dtype=dtype), dim, op="cumsum_")


def _cumprod_(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return inplace(self, lambda t, d: cumprod(t, d, dtype=dtype), dim, op="cumprod_")


Tensor.cumsum_ = _cumsum_  # type: ignore[attr-defined]
Tensor.cumprod_ = _cumprod_  # type: ignore[attr-defined]
