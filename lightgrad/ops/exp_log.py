"""Exponentials, logarithms and roots: exp/exp2/expm1, log/log2/log10/log1p, sqrt/rsqrt and
reciprocal. Integer and bool inputs give the default float dtype, as in PyTorch; ``-inf``
and ``nan`` come back silently where the math has them (log(0), sqrt(-1)).
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Function
from .operands import _float_op, _quiet, _xp

__all__ = [
    "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt",
    "rsqrt", "reciprocal",
]


_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


class Exp(Function):
    """``out = e^x``; d/dx = out."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = _xp(x).exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out * out


class Exp2(Function):
    """``out = 2^x``; d/dx = out ln 2."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = _xp(x).exp2(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out * (out * _LN2)


class Expm1(Function):
    """``out = e^x - 1`` (accurate near 0); d/dx = out + 1."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = _xp(x).expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out * (out + 1.0)


class Log(Function):
    """``out = ln x``; d/dx = 1 / x."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with _quiet(divide="ignore", invalid="ignore"):
            return _xp(x).log(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        with _quiet(divide="ignore", invalid="ignore"):
            return grad_out / x


class Log2(Function):
    """``out = log2 x``; d/dx = 1 / (x ln 2)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with _quiet(divide="ignore", invalid="ignore"):
            return _xp(x).log2(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        with _quiet(divide="ignore", invalid="ignore"):
            return grad_out / (x * _LN2)


class Log10(Function):
    """``out = log10 x``; d/dx = 1 / (x ln 10)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with _quiet(divide="ignore", invalid="ignore"):
            return _xp(x).log10(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        with _quiet(divide="ignore", invalid="ignore"):
            return grad_out / (x * _LN10)


class Log1p(Function):
    """``out = ln(1 + x)`` (accurate near 0); d/dx = 1 / (1 + x)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with _quiet(divide="ignore", invalid="ignore"):
            return _xp(x).log1p(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        with _quiet(divide="ignore", invalid="ignore"):
            return grad_out / (x + 1.0)


class Sqrt(Function):
    """``out = sqrt(x)``; d/dx = 1 / (2 out)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        with _quiet(invalid="ignore"):
            out = _xp(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        with _quiet(divide="ignore", invalid="ignore"):
            return grad_out / (out * 2.0)


class Rsqrt(Function):
    """``out = 1 / sqrt(x)``; d/dx = -out^3 / 2."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        xp = _xp(x)
        with _quiet(divide="ignore", invalid="ignore"):
            out = 1.0 / xp.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        with _quiet(invalid="ignore", over="ignore"):
            return grad_out * (out * out * out * -0.5)


class Reciprocal(Function):
    """``out = 1 / x``; d/dx = -out^2."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        with _quiet(divide="ignore"):
            out = 1.0 / x
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        with _quiet(invalid="ignore", over="ignore"):
            return -grad_out * (out * out)


exp = _float_op(Exp, "exp", "e^input")
exp.__doc__ = """``e^input`` elementwise; integer inputs give the default float dtype.

    Example:
        >>> import lightgrad
        >>> lightgrad.exp(lightgrad.tensor([0.0, 1.0]))
        tensor([1.0000, 2.7183])
    """
exp2 = _float_op(Exp2, "exp2", "2^input")
expm1 = _float_op(Expm1, "expm1", "e^input - 1")
log = _float_op(Log, "log", "ln(input)")
log.__doc__ = """``ln(input)`` elementwise (``-inf`` at 0, ``nan`` below, as in PyTorch).

    Example:
        >>> import lightgrad
        >>> lightgrad.log(lightgrad.tensor([1.0, 4.0]))
        tensor([0.0000, 1.3863])
    """
log2 = _float_op(Log2, "log2", "log2(input)")
log10 = _float_op(Log10, "log10", "log10(input)")
log1p = _float_op(Log1p, "log1p", "ln(1 + input)")
sqrt = _float_op(Sqrt, "sqrt", "sqrt(input)")
sqrt.__doc__ = """``sqrt(input)`` elementwise; integer inputs give the default float dtype.

    Example:
        >>> import lightgrad
        >>> lightgrad.sqrt(lightgrad.tensor([4, 9]))
        tensor([2., 3.])
    """
rsqrt = _float_op(Rsqrt, "rsqrt", "1 / sqrt(input)")
reciprocal = _float_op(Reciprocal, "reciprocal", "1 / input")
