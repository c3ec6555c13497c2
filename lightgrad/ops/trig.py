"""Trigonometric, hyperbolic and error functions: sin/cos/tan and their inverses,
sinh/cosh and their inverses, erf/erfc. Integer and bool inputs give the default float
dtype, as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Function
from .operands import _float_op, _quiet, _xp
from .special import _erf, _erfc

__all__ = [
    "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsinh", "arccosh",
    "arctanh", "erf", "erfc",
]


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Sin(Function):
    """``out = sin x``; d/dx = cos x."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _xp(x).sin(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * _xp(x).cos(x)


class Cos(Function):
    """``out = cos x``; d/dx = -sin x."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _xp(x).cos(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return -grad_out * _xp(x).sin(x)


class Tan(Function):
    """``out = tan x``; d/dx = 1 + out^2."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = _xp(x).tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out * (out * out + 1.0)


class Asin(Function):
    """``out = asin x``; d/dx = 1 / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with _quiet(invalid="ignore"):
            return _xp(x).arcsin(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        with _quiet(divide="ignore", invalid="ignore"):
            return grad_out / _xp(x).sqrt(1.0 - x * x)


class Acos(Function):
    """``out = acos x``; d/dx = -1 / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with _quiet(invalid="ignore"):
            return _xp(x).arccos(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        with _quiet(divide="ignore", invalid="ignore"):
            return -grad_out / _xp(x).sqrt(1.0 - x * x)


class Atan(Function):
    """``out = atan x``; d/dx = 1 / (1 + x^2)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _xp(x).arctan(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out / (x * x + 1.0)


class Sinh(Function):
    """``out = sinh x``; d/dx = cosh x."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _xp(x).sinh(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * _xp(x).cosh(x)


class Cosh(Function):
    """``out = cosh x``; d/dx = sinh x."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _xp(x).cosh(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * _xp(x).sinh(x)


class Asinh(Function):
    """``out = asinh x``; d/dx = 1 / sqrt(x^2 + 1)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _xp(x).arcsinh(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out / _xp(x).sqrt(x * x + 1.0)


class Acosh(Function):
    """``out = acosh x``; d/dx = 1 / sqrt(x^2 - 1)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with _quiet(invalid="ignore"):
            return _xp(x).arccosh(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        with _quiet(divide="ignore", invalid="ignore"):
            return grad_out / _xp(x).sqrt(x * x - 1.0)


class Atanh(Function):
    """``out = atanh x``; d/dx = 1 / (1 - x^2)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with _quiet(divide="ignore", invalid="ignore"):
            return _xp(x).arctanh(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        with _quiet(divide="ignore"):
            return grad_out / (1.0 - x * x)


class Erf(Function):
    """``out = erf x = 2/sqrt(pi) int_0^x e^(-t^2) dt``; d/dx = 2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _erf(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * (_xp(x).exp(-(x * x)) * _TWO_OVER_SQRT_PI)


class Erfc(Function):
    """``out = erfc x = 1 - erf x``; d/dx = -2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _erfc(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * (_xp(x).exp(-(x * x)) * -_TWO_OVER_SQRT_PI)


sin = _float_op(Sin, "sin", "sin(input)")
cos = _float_op(Cos, "cos", "cos(input)")
tan = _float_op(Tan, "tan", "tan(input)")
asin = arcsin = _float_op(Asin, "asin", "asin(input)")
acos = arccos = _float_op(Acos, "acos", "acos(input)")
atan = arctan = _float_op(Atan, "atan", "atan(input)")
sinh = _float_op(Sinh, "sinh", "sinh(input)")
cosh = _float_op(Cosh, "cosh", "cosh(input)")
asinh = arcsinh = _float_op(Asinh, "asinh", "asinh(input)")
acosh = arccosh = _float_op(Acosh, "acosh", "acosh(input)")
atanh = arctanh = _float_op(Atanh, "atanh", "atanh(input)")
erf = _float_op(Erf, "erf", "erf(input)")
erfc = _float_op(Erfc, "erfc", "1 - erf(input)")
