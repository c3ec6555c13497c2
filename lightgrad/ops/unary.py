"""Elementwise math: exp/log/sqrt/trig, rounding, clamp, where, maximum/minimum, lerp.

PyTorch's dtype rules: transcendental ops (``exp``, ``log``, ``sin``, ``sqrt``...) turn integer and
bool inputs into the default float dtype; ``abs``, ``sign``, ``square``, ``floor``/``ceil``/
``round``/``trunc`` and ``clamp`` keep integers as integers. Rounding and ``sign`` are
gradient-free: their backward returns zeros, as in PyTorch. Every op is one ``Function`` with a
hand-written backward; in-place ``name_`` forms go through :func:`~lightgrad.ops.inplace.inplace`.

The ops live by family in :mod:`.exp_log`, :mod:`.trig` and :mod:`.clamp_where` (erf kernels in
:mod:`.special`, input checks in :mod:`.operands`); this module re-exports them and holds
abs/sign/square, the rounding ops, the in-place forms and the Tensor methods.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .clamp_where import Clamp as Clamp
from .clamp_where import Fmax as Fmax
from .clamp_where import Fmin as Fmin
from .clamp_where import Lerp as Lerp
from .clamp_where import Maximum as Maximum
from .clamp_where import Minimum as Minimum
from .clamp_where import Where as Where
from .clamp_where import (
    clamp,
    clamp_max,
    clamp_min,
    clip,
    fmax,
    fmin,
    lerp,
    maximum,
    minimum,
    where,
)
from .exp_log import Exp as Exp
from .exp_log import Exp2 as Exp2
from .exp_log import Expm1 as Expm1
from .exp_log import Log as Log
from .exp_log import Log1p as Log1p
from .exp_log import Log2 as Log2
from .exp_log import Log10 as Log10
from .exp_log import Reciprocal as Reciprocal
from .exp_log import Rsqrt as Rsqrt
from .exp_log import Sqrt as Sqrt
from .exp_log import exp, exp2, expm1, log, log1p, log2, log10, reciprocal, rsqrt, sqrt
from .inplace import inplace
from .operands import _float_only, _no_bool, _quiet, _tensor, _xp
from .operands import _floating as _floating
from .special import _blend as _blend
from .special import _erf as _erf
from .trig import Acos as Acos
from .trig import Acosh as Acosh
from .trig import Asin as Asin
from .trig import Asinh as Asinh
from .trig import Atan as Atan
from .trig import Atanh as Atanh
from .trig import Cos as Cos
from .trig import Cosh as Cosh
from .trig import Erf as Erf
from .trig import Erfc as Erfc
from .trig import Sin as Sin
from .trig import Sinh as Sinh
from .trig import Tan as Tan
from .trig import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctanh,
    asin,
    asinh,
    atan,
    atanh,
    cos,
    cosh,
    erf,
    erfc,
    sin,
    sinh,
    tan,
)

__all__ = [
    "abs", "absolute", "sign", "sgn", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1",
    "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan",
    "arcsin", "arccos", "arctan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsinh",
    "arccosh", "arctanh", "erf", "erfc", "floor", "ceil", "round", "trunc", "fix", "frac",
    "clamp", "clip", "clamp_min", "clamp_max", "where", "maximum", "minimum", "fmax", "fmin",
    "lerp",
    # in-place forms PyTorch has at top level
    "abs_", "exp_", "exp2_", "log_", "log2_", "log10_", "log1p_", "expm1_", "sqrt_", "rsqrt_",
    "square_", "reciprocal_", "sin_", "cos_", "tan_", "asin_", "acos_", "atan_", "arcsin_",
    "arccos_", "arctan_", "sinh_", "cosh_", "asinh_", "acosh_", "atanh_", "arcsinh_",
    "arccosh_", "arctanh_", "erf_", "erfc_", "floor_", "ceil_", "round_", "trunc_", "fix_",
    "frac_", "clamp_", "clip_", "clamp_min_", "clamp_max_",
]


# ----------------------------------------------------------------------------- Functions
class _ZeroGrad(Function):
    """Base of the gradient-free ops (sign, floor, ceil, trunc): a zero gradient, as PyTorch."""

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _xp(grad_out).zeros_like(grad_out)


class Abs(Function):
    """``out = |x|``; d/dx = sign(x) (0 at 0)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _xp(x).abs(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * _xp(x).sign(x)


class Sign(_ZeroGrad):
    """``out = sign(x)``; gradient-free (zero)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return _xp(x).sign(x)


class Square(Function):
    """``out = x^2``; d/dx = 2x."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * (x + x)


class Floor(_ZeroGrad):
    """``out = floor x``; gradient-free (zero)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return _xp(x).floor(x)


class Ceil(_ZeroGrad):
    """``out = ceil x``; gradient-free (zero)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return _xp(x).ceil(x)


class Trunc(_ZeroGrad):
    """``out = trunc x`` (round toward zero); gradient-free (zero)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return _xp(x).trunc(x)


class Round(Function):
    """``out = round(x * 10^d) / 10^d``, halves to even; gradient-free (zero)."""

    @staticmethod
    def forward(ctx: Any, x: Any, decimals: int) -> Any:
        xp = _xp(x)
        if decimals == 0:
            return xp.rint(x)
        with _quiet(over="ignore", invalid="ignore"):
            if decimals > 0:
                p = 10.0**decimals
                return xp.rint(x * p) / p
            p = 10.0**-decimals
            return xp.rint(x / p) * p

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _xp(grad_out).zeros_like(grad_out), None


class Frac(Function):
    """``out = x - trunc x``; d/dx = 1."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x - _xp(x).trunc(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return grad_out


# ----------------------------------------------------------------------------- functions
def abs(input: Tensor) -> Tensor:
    """``|input|`` elementwise; integers stay integers (bool is an error, as in PyTorch).

    Example:
        >>> import lightgrad
        >>> lightgrad.abs(lightgrad.tensor([-1.5, 2.0]))
        tensor([1.5000, 2.0000])
    """
    input = _tensor(input, "abs")
    _no_bool(input, "abs")
    return Abs.apply(input)


absolute = abs


def sign(input: Tensor) -> Tensor:
    """``-1, 0 or 1`` by the sign of each element (bool stays bool); gradient-free."""
    input = _tensor(input, "sign")
    if input.data.dtype.kind == "b":
        return Tensor._make(input.data.copy())
    return Sign.apply(input)


sgn = sign


def square(input: Tensor) -> Tensor:
    """``input^2`` elementwise; integers stay integers, bool becomes int64 (PyTorch's pow)."""
    input = _tensor(input, "square")
    if input.data.dtype.kind == "b":
        input = Tensor._make(input.data.astype(backend.int64))
    return Square.apply(input)


def _rounding(cls: type[Function], name: str, what: str) -> Any:
    def fn(input: Tensor) -> Tensor:
        input = _tensor(input, name)
        _no_bool(input, name)
        if input.data.dtype.kind != "f":  # integers are already whole
            return Tensor._make(input.data.copy())
        return cls.apply(input)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{what}; integers are returned unchanged; gradient-free (zero gradient)."
    return fn


floor = _rounding(Floor, "floor", "``floor(input)``: the largest integer <= each element")
ceil = _rounding(Ceil, "ceil", "``ceil(input)``: the smallest integer >= each element")
trunc = fix = _rounding(Trunc, "trunc", "``trunc(input)``: rounds toward zero")


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round to ``decimals`` decimal places (negative: to tens, hundreds...), halves to even.

    Integer inputs are returned unchanged (``decimals`` must then be 0); gradient-free.

    Example:
        >>> import lightgrad
        >>> lightgrad.round(lightgrad.tensor([0.5, 1.5, 1.2345]), decimals=0)
        tensor([0., 2., 1.])
        >>> lightgrad.round(lightgrad.tensor([1.2345]), decimals=2)
        tensor([1.2300])
    """
    input = _tensor(input, "round")
    _no_bool(input, "round")
    if not isinstance(decimals, int | np.integer) or isinstance(decimals, bool):
        raise TypeError(f"round: argument 'decimals' must be an int, got "
                        f"{type(decimals).__name__}")
    if input.data.dtype.kind != "f":
        if decimals != 0:
            raise RuntimeError(f"round: decimals={decimals} is not implemented for integer "
                               f"tensors (dtype {input.data.dtype})")
        return Tensor._make(input.data.copy())
    return Round.apply(input, int(decimals))


def frac(input: Tensor) -> Tensor:
    """``input - trunc(input)``: the fractional part, with the sign of ``input``."""
    return Frac.apply(_float_only(input, "frac"))


# ----------------------------------------------------------------------------- in-place forms
def _make_inplace(fn: Any, name: str) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if kwargs:
            return inplace(self, lambda s, *a: fn(s, *a, **kwargs), *args, op=name)
        return inplace(self, fn, *args, op=name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place :func:`{name[:-1]}`: writes the result into ``self``."
    return method


_METHODS = {
    "abs": abs, "absolute": abs, "sign": sign, "sgn": sign, "exp": exp, "exp2": exp2,
    "log": log, "log2": log2, "log10": log10, "log1p": log1p, "expm1": expm1, "sqrt": sqrt,
    "rsqrt": rsqrt, "square": square, "reciprocal": reciprocal, "sin": sin, "cos": cos,
    "tan": tan, "asin": asin, "acos": acos, "atan": atan, "arcsin": asin, "arccos": acos,
    "arctan": atan, "sinh": sinh, "cosh": cosh, "asinh": asinh, "acosh": acosh, "atanh": atanh,
    "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh, "erf": erf, "erfc": erfc,
    "floor": floor, "ceil": ceil, "round": round, "trunc": trunc, "fix": trunc, "frac": frac,
    "clamp": clamp, "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max,
    "maximum": maximum, "minimum": minimum, "fmax": fmax, "fmin": fmin, "lerp": lerp,
}
_INPLACE = {"lerp"} | {n for n in _METHODS if n not in ("maximum", "minimum", "fmax", "fmin")}

_T: Any = Tensor
for _name, _fn in _METHODS.items():
    setattr(_T, _name, _fn)
    if _name in _INPLACE:
        setattr(_T, _name + "_", _make_inplace(_fn, _name + "_"))
_T.__abs__ = abs
_T.where = lambda self, condition, other: where(condition, self, other)

abs_ = _T.abs_
exp_, exp2_, log_, log2_, log10_ = _T.exp_, _T.exp2_, _T.log_, _T.log2_, _T.log10_
log1p_, expm1_, sqrt_, rsqrt_, square_ = _T.log1p_, _T.expm1_, _T.sqrt_, _T.rsqrt_, _T.square_
reciprocal_, sin_, cos_, tan_ = _T.reciprocal_, _T.sin_, _T.cos_, _T.tan_
asin_, acos_, atan_, arcsin_, arccos_, arctan_ = (_T.asin_, _T.acos_, _T.atan_, _T.asin_,
                                                  _T.acos_, _T.atan_)
sinh_, cosh_, asinh_, acosh_, atanh_ = _T.sinh_, _T.cosh_, _T.asinh_, _T.acosh_, _T.atanh_
arcsinh_, arccosh_, arctanh_ = _T.asinh_, _T.acosh_, _T.atanh_
erf_, erfc_, floor_, ceil_, round_ = _T.erf_, _T.erfc_, _T.floor_, _T.ceil_, _T.round_
trunc_, fix_, frac_ = _T.trunc_, _T.trunc_, _T.frac_
clamp_, clip_, clamp_min_, clamp_max_ = _T.clamp_, _T.clamp_, _T.clamp_min_, _T.clamp_max_
