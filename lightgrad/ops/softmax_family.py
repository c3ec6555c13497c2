"""The softmax family (softmax, log_softmax, softmin) and one_hot.

``softmax`` and ``log_softmax`` subtract the row maximum, so they are exact for large inputs.
They require ``dim``: PyTorch's implicit-dim choice (deprecated, with a warning) silently
normalizes over dim 0 of 1-D/3-D inputs; here a missing ``dim`` is a TypeError.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .arithmetic import neg
from .convert import cast
from .operands import _tensor, _xp, wrap_dim

__all__ = ["softmax", "log_softmax", "softmin", "one_hot"]


# ----------------------------------------------------------------------------- Functions
class Softmax(Function):
    """``out = e^(x - max) / sum(e^(x - max))`` along ``dim``; d/dx = out (g - sum(g out))."""

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int) -> Any:
        xp = _xp(x)
        if x.ndim == 0:
            out = xp.ones_like(x)
        elif x.size == 0:
            out = xp.empty_like(x)
        else:
            out = x - x.max(axis=dim, keepdims=True)
            out = xp.exp(out, out=out)
            out *= 1.0 / out.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        if out.ndim == 0:
            return grad_out * 0, None
        gx = grad_out * out
        s = gx.sum(axis=ctx.dim, keepdims=True)
        gx = _xp(gx).subtract(grad_out, s, out=gx)
        gx *= out
        return gx, None


class LogSoftmax(Function):
    """``out = x - max - ln sum e^(x - max)`` along ``dim``; d/dx = g - e^out sum(g)."""

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int) -> Any:
        xp = _xp(x)
        if x.ndim == 0:
            out = xp.zeros_like(x)
        elif x.size == 0:
            out = xp.empty_like(x)
        else:
            out = x - x.max(axis=dim, keepdims=True)
            lse = xp.exp(out).sum(axis=dim, keepdims=True)
            out -= xp.log(lse)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        if out.ndim == 0:
            return grad_out * 0, None
        xp = _xp(grad_out)
        gx = xp.exp(out)
        gx *= grad_out.sum(axis=ctx.dim, keepdims=True)
        return xp.subtract(grad_out, gx, out=gx), None


# ----------------------------------------------------------------------------- functions
def _softmax_args(input: Any, dim: Any, stacklevel: Any, dtype: Any, op: str) -> tuple:
    input = _tensor(input, op)
    if dtype is None and stacklevel is not None and not isinstance(stacklevel, int):
        dtype = stacklevel  # torch.softmax(x, dim, dtype) passes dtype third
    if dim is None:
        raise TypeError(f"{op}: missing required argument 'dim' (lightgrad does not guess it; "
                        f"pass dim=-1 to normalize over the last dimension)")
    if dtype is not None:
        input = cast(input, dtype)
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: not implemented for dtype {input.data.dtype}; pass a floating "
                           f"point tensor or dtype=")
    return input, wrap_dim(dim, input.data.ndim, op)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``e^x_i / sum_j e^x_j`` along ``dim`` (computed as ``e^(x - max)``: no overflow).

    Args:
        input: a floating tensor (or any tensor with ``dtype=``).
        dim: the dimension to normalize; required (see the module notes).
        dtype: cast ``input`` to this dtype first.

    Raises:
        TypeError: ``dim`` is missing.  IndexError: ``dim`` is out of range.

    Example:
        >>> import lightgrad
        >>> lightgrad.softmax(lightgrad.tensor([[1.0, 1.0], [0.0, 1e4]]), dim=1)
        tensor([[0.5000, 0.5000],
                [0.0000, 1.0000]])
    """
    input, d = _softmax_args(input, dim, _stacklevel, dtype, "softmax")
    return Softmax.apply(input, d)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """``x_i - ln sum_j e^x_j`` along ``dim``, stable for large inputs; ``dim`` required.

    Example:
        >>> import lightgrad
        >>> lightgrad.log_softmax(lightgrad.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    input, d = _softmax_args(input, dim, _stacklevel, dtype, "log_softmax")
    return LogSoftmax.apply(input, d)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``softmax(-input, dim)``; ``dim`` required."""
    input, d = _softmax_args(input, dim, _stacklevel, dtype, "softmin")
    return Softmax.apply(neg(input), d)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``out[..., c] = 1 if tensor[...] == c else 0``: an int64 tensor of shape
    ``(*tensor.shape, num_classes)``; ``num_classes=-1`` uses ``tensor.max() + 1``.

    Raises:
        RuntimeError: ``tensor`` is not int64, has a negative value or a value
            ``>= num_classes`` (the message names the value).

    Example:
        >>> import lightgrad
        >>> lightgrad.nn.functional.one_hot(lightgrad.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    t = _tensor(tensor, "one_hot")
    x = t.data
    if x.dtype != backend.int64:
        raise RuntimeError(f"one_hot: is only applicable to index tensors of dtype int64 "
                           f"(LongTensor), got dtype {x.dtype}")
    if not isinstance(num_classes, int | np.integer) or isinstance(num_classes, bool):
        raise TypeError(f"one_hot: argument 'num_classes' must be an int, got "
                        f"{type(num_classes).__name__}")
    xp = _xp(x)
    if x.size:
        lo, hi = int(x.min()), int(x.max())
        if lo < 0:
            raise RuntimeError(f"one_hot: class values must be non-negative, got {lo}")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise RuntimeError(f"one_hot: class values must be smaller than num_classes "
                               f"({num_classes}), got {hi}")
    elif num_classes == -1:
        raise RuntimeError("one_hot: can not infer the number of classes from an empty tensor; "
                           "pass num_classes")
    if num_classes < 0:
        raise RuntimeError(f"one_hot: num_classes must be -1 or non-negative, got {num_classes}")
    out = x[..., None] == xp.arange(num_classes, dtype=backend.int64)
    return Tensor._make(out.astype(backend.int64))
