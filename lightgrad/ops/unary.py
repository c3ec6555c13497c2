"""Elementwise math: exp/log/sqrt/trig, rounding, clamp, where, maximum/minimum, lerp.

PyTorch's dtype rules: transcendental ops (``exp``, ``log``, ``sin``, ``sqrt``...) turn integer and
bool inputs into the default float dtype; ``abs``, ``sign``, ``square``, ``floor``/``ceil``/
``round``/``trunc`` and ``clamp`` keep integers as integers. Rounding and ``sign`` are
gradient-free: their backward returns zeros, as in PyTorch. Every op is one ``Function`` with a
hand-written backward; in-place ``name_`` forms go through :func:`~lightgrad.ops.inplace.inplace`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .inplace import inplace
from .operands import as_operand, broadcast_shapes, check_same_device, prepare_binary

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

_ARRAYS = (np.ndarray, np.generic)
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_quiet = np.errstate  # NumPy warns on log(0), sqrt(-1)...; PyTorch returns inf/nan silently


def _xp(a: Any) -> Any:
    """``numpy`` or ``cupy`` for a raw array (NumPy scalars count as NumPy)."""
    return np if isinstance(a, _ARRAYS) else backend.get_array_module(a)


_WRAPPABLE = (int, float, bool, np.generic, np.ndarray, list, tuple)


def _tensor(x: Any, op: str, arg: str = "input") -> Tensor:
    """``x`` as a Tensor: numbers, lists and arrays are wrapped; anything else is a TypeError."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, _WRAPPABLE):
        return Tensor(x)
    raise TypeError(f"{op}: argument '{arg}' must be a Tensor, got {type(x).__name__}")


def _floating(x: Any, op: str) -> Tensor:
    """``x`` as a floating tensor: integer and bool inputs become the default float dtype."""
    x = _tensor(x, op)
    if x.data.dtype.kind != "f":
        return Tensor._make(x.data.astype(backend.get_default_dtype()))
    return x


def _blend(mask: Any, a: Any, b: Any, dtype: Any) -> Any:
    """``a where mask else b`` (arrays or numbers), as ``a * mask + b * ~mask``.

    NumPy's ``where`` is ~10x slower than this on unpredictable masks (a branch per element);
    the sum is exact because one term is zero, provided ``a`` and ``b`` are finite where they
    are not selected -- callers guarantee it (clipped inputs).
    """

    def part(m: Any, v: Any) -> Any:
        if isinstance(v, int | float):
            if v == 0:
                return None
            p = m.astype(dtype)
            if v != 1:
                p *= v
            return p
        return v * m

    pa, pb = part(mask, a), part(~mask, b)
    if pa is None:
        return pb if pb is not None else _xp(mask).zeros(mask.shape, dtype)
    if pb is not None:
        pa += pb  # a fresh temporary
    return pa


def _float_only(x: Any, op: str) -> Tensor:
    """``x`` unchanged; a RuntimeError for integer or bool inputs (PyTorch has no kernel)."""
    x = _tensor(x, op)
    if x.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: not implemented for dtype {x.data.dtype}; expected a floating "
                           "point tensor")
    return x


def _no_bool(x: Tensor, op: str) -> None:
    if x.data.dtype.kind == "b":
        raise RuntimeError(f"{op}: not implemented for bool tensors")


# ----------------------------------------------------------------------------- erf
# Rational approximations (Cody / Cephes ndtr): relative error ~1e-16 in float64.
_ERF_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
          7.00332514112805075473e3, 5.55923013010394962768e4)
_ERF_U = (3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
          2.26290000613890934246e4, 4.92673942608635921086e4)
# float32: one rational fit on [-4, 4] (erf(4) rounds to 1 in float32), ~4e-7 relative error
_ERF32_A = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
            -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
            -1.60960333262415e-02)
_ERF32_B = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
            -7.37332916720468e-03, -1.42647390514189e-02)
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)
_ERFC_Q = (1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)


def _poly(x: Any, coef: tuple, monic: bool = False) -> Any:
    """Horner evaluation (a fresh array); ``monic`` prepends a leading coefficient of 1."""
    if monic:
        p = x + coef[0]
        rest = coef[1:]
    else:
        p = x * coef[0]
        p += coef[1]
        rest = coef[2:]
    for c in rest:
        p *= x
        p += c
    return p


def _erf_parts(x: Any) -> tuple[Any, Any, Any]:
    """``(small, tail, ax)``: ``erf`` for ``|x| <= 1`` and ``erfc(|x|)`` for ``|x| > 1``."""
    xp = _xp(x)
    xs = xp.clip(x, -1.0, 1.0)
    z = xs * xs
    small = _poly(z, _ERF_T)
    small *= xs
    small /= _poly(z, _ERF_U, monic=True)
    ax = xp.abs(x)
    # erfc underflows to 0 by |x| = 27 even in float64: clipping keeps the polynomials finite
    a = xp.clip(ax, 1.0, 27.0)
    tail = a * a
    xp.negative(tail, out=tail)
    xp.exp(tail, out=tail)
    tail *= _poly(a, _ERFC_P)
    tail /= _poly(a, _ERFC_Q, monic=True)
    return small, tail, ax


def _erf(x: Any, overwrite: bool = False) -> Any:
    """``erf(x)`` elementwise on a floating array (NumPy has none); ``overwrite`` lets it reuse
    ``x``'s buffer (a temporary of the caller)."""
    xp = _xp(x)
    if x.ndim == 0:
        return _erf(xp.reshape(x, (1,))).reshape(())
    if x.dtype.itemsize <= 4:
        xc = x.clip(-4.0, 4.0, out=x if overwrite else None)
        z = xc * xc
        p = _poly(z, _ERF32_A)
        p *= xc
        p /= _poly(z, _ERF32_B)
        return p
    small, tail, ax = _erf_parts(x)
    xp.subtract(1.0, tail, out=tail)
    return _blend(ax <= 1.0, small, xp.copysign(tail, x), x.dtype)


def _erfc(x: Any) -> Any:
    """``erfc(x) = 1 - erf(x)``, accurate in the tail where ``1 - erf`` would cancel."""
    xp = _xp(x)
    if x.ndim == 0:
        return _erfc(xp.reshape(x, (1,))).reshape(())
    small, tail, ax = _erf_parts(x)
    xp.subtract(1.0, small, out=small)
    neg = x < 0
    tail = _blend(neg, 2.0 - tail, tail, x.dtype)
    return _blend(ax <= 1.0, small, tail, x.dtype)


# ----------------------------------------------------------------------------- Functions
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


class Sign(Function):
    """``out = sign(x)``; gradient-free (zero)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return _xp(x).sign(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _xp(grad_out).zeros_like(grad_out)


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


class Floor(Function):
    """``out = floor x``; gradient-free (zero)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return _xp(x).floor(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _xp(grad_out).zeros_like(grad_out)


class Ceil(Function):
    """``out = ceil x``; gradient-free (zero)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return _xp(x).ceil(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _xp(grad_out).zeros_like(grad_out)


class Trunc(Function):
    """``out = trunc x`` (round toward zero); gradient-free (zero)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return _xp(x).trunc(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _xp(grad_out).zeros_like(grad_out)


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


class Clamp(Function):
    """``out = min(max(x, lo), hi)``; ``lo``/``hi`` are arrays, scalars or None.

    d/dx = 1 where lo <= x <= hi; d/dlo = 1 where x < lo (and lo < hi); d/dhi = 1 where x > hi
    (or hi < lo, where the result is hi), as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, lo: Any, hi: Any) -> Any:
        xp = _xp(x)
        ctx.save_for_backward(x, lo, hi)
        if not hasattr(lo, "shape") and not hasattr(hi, "shape") and x.dtype.kind == "f":
            # clip with two numbers is NumPy's fast (SIMD) path; maximum(x, number) is not
            return xp.clip(x, -math.inf if lo is None else lo, math.inf if hi is None else hi)
        out = x if lo is None else xp.maximum(x, lo)
        return out if hi is None else xp.minimum(out, hi)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, lo, hi = ctx.saved_tensors
        nx, nlo, nhi = ctx.needs_input_grad
        gx = glo = ghi = None
        if nx:
            if lo is None:
                mask = x <= hi
            elif hi is None:
                mask = x >= lo
            else:
                mask = (x >= lo) & (x <= hi)
            gx = grad_out * mask
        if nlo:
            mask = x < lo if hi is None else (x < lo) & (lo < hi)
            glo = grad_out * mask
        if nhi:
            mask = x > hi if lo is None else (x > hi) | (hi < lo)
            ghi = grad_out * mask
        return gx, glo, ghi


class Where(Function):
    """``out = a where cond else b``; the gradient goes to the chosen side."""

    @staticmethod
    def forward(ctx: Any, cond: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(cond)
        xp = _xp(cond)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        return (None, grad_out * cond if na else None, grad_out * ~cond if nb else None)


def _split_ties(ctx: Any, grad_out: Any, a_loses: Any) -> tuple:
    """Gradients of a max/min: all to the winner, half each on ties (PyTorch's rule; with a
    NaN neither loses, so both get the gradient)."""
    a, b = ctx.saved_tensors
    na, nb = ctx.needs_input_grad
    wa = ~a_loses(a, b) if na else None
    wb = ~a_loses(b, a) if nb else None
    tie = a == b
    if tie.any():
        half = tie * (grad_out * 0.5)
        ga = grad_out * (wa & ~tie) + half if na else None
        gb = grad_out * (wb & ~tie) + half if nb else None
        return ga, gb
    return (grad_out * wa if na else None), (grad_out * wb if nb else None)


class Maximum(Function):
    """``out = max(a, b)`` elementwise (NaN propagates); ties split the gradient half/half."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return _xp(a).maximum(a, b)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _split_ties(ctx, grad_out, lambda u, v: u < v)


class Minimum(Function):
    """``out = min(a, b)`` elementwise (NaN propagates); ties split the gradient half/half."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return _xp(a).minimum(a, b)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _split_ties(ctx, grad_out, lambda u, v: u > v)


class Fmax(Function):
    """``out = max(a, b)`` ignoring NaN; the gradient goes to ``a`` where a >= b or b is NaN."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return _xp(a).fmax(a, b)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        a, b = ctx.saved_tensors
        xp = _xp(grad_out)
        to_a = (a >= b) | xp.isnan(b)
        return grad_out * to_a, grad_out * ~to_a


class Fmin(Function):
    """``out = min(a, b)`` ignoring NaN; the gradient goes to ``a`` where a <= b or b is NaN."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return _xp(a).fmin(a, b)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        a, b = ctx.saved_tensors
        xp = _xp(grad_out)
        to_a = (a <= b) | xp.isnan(b)
        return grad_out * to_a, grad_out * ~to_a


class Lerp(Function):
    """``out = start + w (end - start)``; d/dstart = 1 - w, d/dend = w, d/dw = end - start."""

    @staticmethod
    def forward(ctx: Any, start: Any, end: Any, weight: Any) -> Any:
        diff = end - start
        ctx.save_for_backward(diff, weight)
        return start + weight * diff

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        diff, w = ctx.saved_tensors
        ns, ne, nw = ctx.needs_input_grad
        return (grad_out * (1.0 - w) if ns else None, grad_out * w if ne else None,
                grad_out * diff if nw else None)


# ----------------------------------------------------------------------------- functions
def _float_op(cls: type[Function], name: str, math_: str) -> Any:
    """The public function of a float-valued unary op (integers promote to float)."""

    def fn(input: Tensor) -> Tensor:
        return cls.apply(_floating(input, name))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{math_}`` elementwise; integer inputs give the default float dtype."
    return fn


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


def _bound(v: Any, like: Tensor, op: str, arg: str) -> Any:
    if v is None:
        return None
    if isinstance(v, Tensor):
        return v
    return as_operand(v, like, op, arg)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """``min(max(input, min), max)``: limit elements to ``[min, max]``.

    ``min``/``max`` may be numbers or tensors (broadcast against ``input``) and either may be
    None, not both. Where ``min > max`` the result is ``max``. The gradient passes where
    ``min <= input <= max``; tensor bounds receive it where they are the result.

    Example:
        >>> import lightgrad
        >>> lightgrad.clamp(lightgrad.tensor([-2.0, 0.5, 3.0]), min=-1, max=1)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    input = _tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    _no_bool(input, "clamp")
    lo = _bound(min, input, "clamp", "min")
    hi = _bound(max, input, "clamp", "max")
    ops = [o for o in (input, lo, hi) if o is not None]
    tensors = [o for o in ops if isinstance(o, Tensor)]
    if len(tensors) > 1:
        check_same_device("clamp", *tensors)
        shapes = [t.data.shape for t in tensors]
        if any(s != shapes[0] for s in shapes):
            broadcast_shapes("clamp", *shapes)
    rt = backend.result_type(*ops)
    if input.data.dtype != rt:
        input = _cast(input, rt)
    if isinstance(lo, Tensor) and lo.data.dtype != rt:
        lo = _cast(lo, rt)
    if isinstance(hi, Tensor) and hi.data.dtype != rt:
        hi = _cast(hi, rt)
    return Clamp.apply(input, lo, hi)


clip = clamp


def clamp_min(input: Tensor, min: Any) -> Tensor:
    """``max(input, min)``."""
    if min is None:
        raise TypeError("clamp_min: argument 'min' must be a number or a Tensor, not None")
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    """``min(input, max)``."""
    if max is None:
        raise TypeError("clamp_max: argument 'max' must be a number or a Tensor, not None")
    return clamp(input, max=max)


def _cast(t: Tensor, dtype: Any) -> Tensor:
    from .convert import cast

    return cast(t, dtype)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """``input`` where ``condition`` is True, else ``other`` (broadcast together, promoted).

    ``input``/``other`` may be numbers. ``where(condition)`` alone is
    ``nonzero(condition, as_tuple=True)``: a tuple of int64 index tensors, one per dimension.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.tensor([-1.0, 2.0, -3.0])
        >>> lightgrad.where(x > 0, x, 0.0)
        tensor([0., 2., 0.])
    """
    cond = _tensor(condition, "where")
    cd = cond.data
    if cd.dtype.kind != "b":
        if cd.dtype != backend.uint8:
            raise RuntimeError(f"where: expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {cd.dtype}")
        cond = Tensor._make(cd.astype(backend.bool_))
    if input is None and other is None:
        xp = _xp(cond.data)
        idx = xp.nonzero(xp.atleast_1d(cond.data))
        return tuple(Tensor._make(i.astype(backend.int64)) for i in idx)
    if input is None or other is None:
        raise TypeError("where: expected both 'input' and 'other' (or neither)")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = as_operand(input, cond, "where", "input")
        other = as_operand(other, cond, "where", "other")
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            dt = backend.result_type(input, other)
            xp = _xp(cond.data)
            input = Tensor._make(xp.asarray(input, dtype=dt))
            other = Tensor._make(xp.asarray(other, dtype=dt))
    a, b = prepare_binary(input, other, "where")
    shapes = [cond.data.shape] + [t.data.shape for t in (a, b) if isinstance(t, Tensor)]
    if any(s != shapes[0] for s in shapes):
        broadcast_shapes("where", *shapes)
    check_same_device("where", cond, a, b)
    return Where.apply(cond, a, b)


def _binary(cls: type[Function], name: str, doc: str) -> Any:
    def fn(input: Tensor, other: Any) -> Tensor:
        a, b = prepare_binary(input, other, name)
        if not isinstance(a, Tensor):
            a = Tensor._make(_xp(b.data).asarray(a, dtype=b.data.dtype))
        if not isinstance(b, Tensor):
            b = Tensor._make(_xp(a.data).asarray(b, dtype=a.data.dtype))
        return cls.apply(a, b)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


maximum = _binary(Maximum, "maximum", """Elementwise maximum of two tensors (NaN propagates).

    Broadcasts and promotes like ``add``; on ties each input gets half the gradient.

    Example:
        >>> import lightgrad
        >>> lightgrad.maximum(lightgrad.tensor([1.0, 5.0]), lightgrad.tensor([3.0, 2.0]))
        tensor([3., 5.])
    """)
minimum = _binary(Minimum, "minimum", """Elementwise minimum of two tensors (NaN propagates);
    ties split the gradient half/half.""")
fmax = _binary(Fmax, "fmax", "Elementwise maximum that ignores NaN (NaN only if both are).")
fmin = _binary(Fmin, "fmin", "Elementwise minimum that ignores NaN (NaN only if both are).")


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """``input + weight * (end - input)``: linear interpolation from ``input`` to ``end``.

    ``input`` and ``end`` must be floating tensors of one dtype; ``weight`` is a number or a
    tensor of that dtype (a 0-d weight is cast); all three broadcast.

    Example:
        >>> import lightgrad
        >>> lightgrad.lerp(lightgrad.tensor([0.0, 10.0]), lightgrad.tensor([10.0, 20.0]), 0.25)
        tensor([ 2.5000, 12.5000])
    """
    start = _tensor(input, "lerp")
    end = _tensor(end, "lerp")
    dt = start.data.dtype
    if dt.kind != "f":
        raise RuntimeError(f"lerp: not implemented for dtype {dt}; expected floating point "
                           "tensors")
    if end.data.dtype != dt:
        raise RuntimeError(f"lerp: expected dtype {dt} for `end` but got dtype {end.data.dtype}")
    if isinstance(weight, Tensor):
        if weight.data.dtype != dt:
            if weight.data.ndim:
                raise RuntimeError(f"lerp: expected dtype {dt} for `weight` but got dtype "
                                   f"{weight.data.dtype}")
            weight = _cast(weight, dt)
        shapes = [start.data.shape, end.data.shape, weight.data.shape]
        check_same_device("lerp", start, end, weight)
    elif isinstance(weight, int | float | np.integer | np.floating) and \
            not isinstance(weight, bool):
        weight = float(weight)
        shapes = [start.data.shape, end.data.shape]
        check_same_device("lerp", start, end)
    else:
        raise TypeError(f"lerp: argument 'weight' must be a number or a Tensor, got "
                        f"{type(weight).__name__}")
    if any(s != shapes[0] for s in shapes):
        broadcast_shapes("lerp", *shapes)
    return Lerp.apply(start, end, weight)


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
