"""Sums and products: ``sum``, ``mean``, ``nansum``, ``nanmean`` and ``prod`` (integer and
bool inputs sum in int64, as in PyTorch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .convert import cast
from .operands import as_tensor_arg, get_xp, wrap_dim
from .reduce_args import _axes, _check_dtype_arg, _expand_back, _int64, _keep, _numel

__all__ = [
    "sum", "mean", "nansum", "nanmean", "prod",
]


class Sum(Function):
    """``out = sum of x over axes``."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool, dtype: Any) -> Any:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _expand_back(grad_out, ctx.shape, ctx.axes, ctx.keepdim), None, None, None


class Mean(Function):
    """``out = mean of x over axes`` (nan over an empty set)."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        n = ctx.n = _numel(x.shape, axes)
        if x.dtype.itemsize < 4:  # float16: NumPy's mean accumulates in float32
            return x.mean(axis=axes, keepdims=keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):  # empty: 0 / 0 = nan
            return x.sum(axis=axes, keepdims=keepdim) / n

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        g = grad_out / ctx.n if ctx.n else grad_out
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim), None, None


class NanSum(Function):
    """``out = sum of the non-nan x over axes``; d/dx = 1 where x is not nan, else 0."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        xp = get_xp(x)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x)
        return xp.nansum(x, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        xp = get_xp(x)
        g = _keep(grad_out, ctx.axes, ctx.keepdim)
        return xp.where(xp.isnan(x), 0, g), None, None


class NanMean(Function):
    """``out = mean of the non-nan x over axes``; d/dx = 1 / count where x is not nan."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        xp = get_xp(x)
        ok = ~xp.isnan(x)
        count = ok.sum(axis=axes, keepdims=True).astype(x.dtype)
        ctx.axes, ctx.keepdim, ctx.ok, ctx.count = axes, keepdim, ok, count
        with np.errstate(invalid="ignore", divide="ignore"):
            out = xp.nansum(x, axis=axes, keepdims=True) / count
        return out if keepdim or not axes else out.squeeze(axes)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = _keep(grad_out, ctx.axes, ctx.keepdim) / ctx.count
        return xp.where(ctx.ok, g, 0), None, None


class Prod(Function):
    """``out = product of x over axis``; d/dx_j = prod_{i != j} x_i, exact with zeros in x."""

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int | None, keepdim: bool, dtype: Any) -> Any:
        out = x.prod(axis=axis, keepdims=keepdim, dtype=dtype)
        ctx.axis, ctx.keepdim = axis, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, out = ctx.saved_tensors
        xp = get_xp(x)
        axes = tuple(range(x.ndim)) if ctx.axis is None else (ctx.axis,)
        g = _keep(grad_out, axes, ctx.keepdim)
        zero = x == 0
        if not zero.any():
            return (g * _keep(out, axes, ctx.keepdim)) / x, None, None, None
        # With zeros, out / x is 0/0: the product of the others is the product of the non-zero
        # entries at a slice's only zero, and 0 everywhere else in a slice that has a zero.
        kd = ctx.axis is not None
        nz = zero.sum(axis=ctx.axis, keepdims=kd)
        p = xp.where(zero, 1, x).prod(axis=ctx.axis, keepdims=kd)
        safe = xp.where(zero, 1, x)
        others = xp.where(zero, xp.where(nz == 1, p, 0), xp.where(nz == 0, p / safe, 0))
        return g * others, None, None, None


# ----------------------------------------------------------------------------- sum / mean / prod
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """``sum_i x_i`` over ``dim`` (all by default). Integer and bool inputs sum as int64;
    ``dtype`` casts the input first.

    Args:
        input: the tensor.
        dim: an int, a tuple of ints, or ``None`` (every dimension).
        keepdim: keep the reduced dimensions with size 1.
        dtype: cast the input to this dtype before summing.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
        tensor([4., 6.])
    """
    input = as_tensor_arg(input, "sum")
    axes = _axes(dim, input.ndim, "sum")
    dtype = _check_dtype_arg(dtype)
    if dtype is not None:
        input = cast(input, dtype)
    acc = dtype if dtype is not None else _int64 if input.dtype.kind in "biu" else None
    return Sum.apply(input, axes, keepdim, acc)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """``sum_i x_i / N`` over ``dim`` (all by default); floating inputs only (or pass
    ``dtype``). The mean of an empty set is nan.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(1)
        tensor([1.5000, 3.5000])
    """
    input = as_tensor_arg(input, "mean")
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype}")
    return Mean.apply(input, _axes(dim, input.ndim, "mean"), keepdim)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *,
           dtype: Any = None) -> Tensor:
    """``sum`` treating nan as 0."""
    input = as_tensor_arg(input, "nansum")
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind != "f":
        return sum(input, dim, keepdim)
    return NanSum.apply(input, _axes(dim, input.ndim, "nansum"), keepdim)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
            dtype: Any = None) -> Tensor:
    """``mean`` of the non-nan elements (nan where all are nan)."""
    input = as_tensor_arg(input, "nanmean")
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got "
                           f"{input.dtype}")
    return NanMean.apply(input, _axes(dim, input.ndim, "nanmean"), keepdim)


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """``prod_i x_i`` over ``dim`` (an int) or over everything; integer and bool inputs
    multiply as int64. The gradient is exact when the input has zeros.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)
        tensor([ 2., 12.])
    """
    input = as_tensor_arg(input, "prod")
    if dim is not None and not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"prod(): argument 'dim' must be an int or None, got "
                        f"{type(dim).__name__} ({dim!r})")
    dtype = _check_dtype_arg(dtype)
    if dtype is not None:
        input = cast(input, dtype)
    acc = dtype if dtype is not None else _int64 if input.dtype.kind in "biu" else None
    if dim is None:
        return Prod.apply(input, None, False, acc)
    axis = wrap_dim(dim, input.ndim, "prod")
    if input.ndim == 0:
        return Prod.apply(input, None, False, acc)
    return Prod.apply(input, axis, keepdim, acc)
