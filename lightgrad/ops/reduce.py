"""Reductions: sum, mean, ... over ``dim`` (int or tuple) with ``keepdim``."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from .operands import as_tensor_arg, get_xp, wrap_dims

__all__ = ["sum", "mean"]


def _expand_back(grad_out: Any, shape: tuple, axes: tuple, keepdim: bool) -> Any:
    """Broadcast a reduced gradient back over the reduced ``axes`` of ``shape``."""
    xp = get_xp(grad_out)
    if not keepdim and axes:
        grad_out = xp.expand_dims(grad_out, axes)
    return xp.broadcast_to(grad_out, shape)


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
    """``out = mean of x over axes``."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        n = 1
        for a in axes:
            n *= x.shape[a]
        ctx.n = n
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        g = _expand_back(grad_out, ctx.shape, ctx.axes, ctx.keepdim)
        return g / ctx.n if ctx.n else g, None, None


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum of elements over ``dim`` (all by default). Integer and bool inputs sum as int64.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
        tensor([4., 6.])
    """
    input = as_tensor_arg(input, "sum")
    axes = wrap_dims(dim, input.ndim, "sum")
    if dtype is None and input.dtype.kind in "biu":
        dtype = "int64"
    from .. import backend

    return Sum.apply(input, axes, keepdim, None if dtype is None else backend.as_dtype(dtype))


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean of elements over ``dim`` (all by default); floating inputs only."""
    input = as_tensor_arg(input, "mean")
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"mean: could not infer output dtype; input dtype must be floating "
                           f"point, got {input.dtype}")
    return Mean.apply(input, wrap_dims(dim, input.ndim, "mean"), keepdim)


Tensor.sum = sum  # type: ignore[attr-defined]
Tensor.mean = mean  # type: ignore[attr-defined]
