"""Arithmetic: add, sub, mul, div, floor_divide, remainder, fmod, pow, neg.

Comparisons, logical and bitwise ops live in :mod:`.comparison` (re-exported here); the Tensor
methods, Python operators and in-place forms of the whole family are attached by
:mod:`.operators`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .comparison import _bitwise as _bitwise
from .comparison import _compare as _compare
from .comparison import _logical as _logical
from .comparison import _xp_like as _xp_like
from .comparison import _xp_of as _xp_of
from .comparison import allclose as allclose
from .comparison import bitwise_and as bitwise_and
from .comparison import bitwise_not as bitwise_not
from .comparison import bitwise_or as bitwise_or
from .comparison import bitwise_xor as bitwise_xor
from .comparison import eq as eq
from .comparison import equal as equal
from .comparison import ge as ge
from .comparison import greater as greater
from .comparison import greater_equal as greater_equal
from .comparison import gt as gt
from .comparison import isclose as isclose
from .comparison import isfinite as isfinite
from .comparison import isinf as isinf
from .comparison import isnan as isnan
from .comparison import le as le
from .comparison import less as less
from .comparison import less_equal as less_equal
from .comparison import logical_and as logical_and
from .comparison import logical_not as logical_not
from .comparison import logical_or as logical_or
from .comparison import logical_xor as logical_xor
from .comparison import lt as lt
from .comparison import ne as ne
from .comparison import not_equal as not_equal
from .operands import broadcast_error, prepare_binary


class Add(Function):
    """``out = a + b``."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a + b

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return grad_out, grad_out


class Sub(Function):
    """``out = a - b``."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a - b

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return grad_out, (-grad_out if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """``out = a * b``."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (grad_out * b if na else None), (grad_out * a if nb else None)


class Div(Function):
    """``out = a / b`` (true division)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = grad_out / b if na else None
        gb = -grad_out * a / (b * b) if nb else None
        return ga, gb


class Neg(Function):
    """``out = -x``."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return -x

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return -grad_out


class Pow(Function):
    """``out = a ** b``; d/da = b a^(b-1) (0 where b == 0), d/db = out log a (0 where a == 0
    and b >= 0)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        out = a**b
        needs = ctx.needs_input_grad
        # Like PyTorch, keep the output only when the exponent's gradient needs it, so an
        # in-place change of ``x ** 2`` does not invalidate the graph.
        ctx.save_for_backward(a, b, out if needs and needs[1] else None)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        a, b, out = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            if isinstance(b, int | float):
                ga = grad_out * (b * a ** (b - 1)) if b != 0 else grad_out * 0
            else:
                xp = np if type(a) is np.ndarray else get_array_module(a)
                ga = grad_out * xp.where(b == 0, 0, b * a ** (b - 1))
        if nb:
            xp = np if type(b) is np.ndarray else get_array_module(b)
            if isinstance(a, int | float):
                if a > 0:
                    gb = grad_out * out * math.log(a)
                elif a == 0:
                    gb = grad_out * xp.where(b >= 0, 0.0, out * -math.inf).astype(out.dtype)
                else:
                    gb = grad_out * out * math.nan
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    la = xp.log(a)
                gb = grad_out * xp.where((a == 0) & (b >= 0), 0, out * la)
        return ga, gb


class FloorDivide(Function):
    """``out = floor(a / b)``; gradient-free (zero), as in PyTorch."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a // b

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return grad_out * 0, grad_out * 0


class TruncDivide(Function):
    """``out = trunc(a / b)``; gradient-free (zero)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        q = a / b
        xp = np if type(q) is np.ndarray else get_array_module(q)
        q = xp.trunc(q)
        if q.dtype.kind == "f" and getattr(a, "dtype", q.dtype).kind in "iu":
            q = q.astype(a.dtype)
        return q

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return grad_out * 0, grad_out * 0


class Remainder(Function):
    """``out = a - floor(a / b) * b`` (the sign of ``b``, Python's ``%``)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a % b

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        a, b = ctx.saved_tensors
        nb = ctx.needs_input_grad[1]
        return grad_out, (-grad_out * ((a - a % b) / b) if nb else None)


class Fmod(Function):
    """``out = a - trunc(a / b) * b`` (the sign of ``a``, C's ``fmod``)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        xp = np if type(a) is np.ndarray else get_array_module(a)
        return xp.fmod(a, b)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        a, b = ctx.saved_tensors
        nb = ctx.needs_input_grad[1]
        xp = np if type(grad_out) is np.ndarray else get_array_module(grad_out)
        return grad_out, (-grad_out * ((a - xp.fmod(a, b)) / b) if nb else None)


# ----------------------------------------------------------------------------- functions
bool_dt = np.dtype(bool)

def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``input + alpha * other``, with broadcasting and PyTorch type promotion.

    Example:
        >>> import lightgrad
        >>> lightgrad.add(lightgrad.tensor([1, 2]), 1.5)
        tensor([2.5000, 3.5000])
    """
    if alpha != 1:
        other = mul(other, alpha)
    a, b = prepare_binary(input, other, "add", check_broadcast=False)
    try:
        return Add.apply(a, b)
    except ValueError as e:  # the shape check runs only when NumPy could not broadcast
        raise broadcast_error("add", a, b, e) from None


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``input - alpha * other``."""
    if isinstance(input, Tensor | bool | np.bool_) and getattr(input, "dtype", bool_dt).kind \
            == "b" or isinstance(other, Tensor | bool | np.bool_) and \
            getattr(other, "dtype", bool_dt).kind == "b":
        raise RuntimeError("sub: subtraction, the `-` operator, with a bool tensor is not "
                           "supported; use logical_xor() or ~ instead")
    if alpha != 1:
        other = mul(other, alpha)
    a, b = prepare_binary(input, other, "sub", check_broadcast=False)
    try:
        return Sub.apply(a, b)
    except ValueError as e:  # the shape check runs only when NumPy could not broadcast
        raise broadcast_error("sub", a, b, e) from None


subtract = sub


def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``other - alpha * input``."""
    return sub(other, input, alpha=alpha)


def mul(input: Any, other: Any) -> Tensor:
    """``input * other``."""
    a, b = prepare_binary(input, other, "mul", check_broadcast=False)
    try:
        return Mul.apply(a, b)
    except ValueError as e:  # the shape check runs only when NumPy could not broadcast
        raise broadcast_error("mul", a, b, e) from None


multiply = mul


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other``; ``rounding_mode`` ``None`` (true division, integers promoted to
    float), ``"trunc"`` or ``"floor"``."""
    if rounding_mode is None:
        a, b = prepare_binary(input, other, "div", float_only=True, check_broadcast=False)
        try:
            return Div.apply(a, b)
        except ValueError as e:  # the shape check runs only when NumPy could not broadcast
            raise broadcast_error("div", a, b, e) from None
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        a, b = prepare_binary(input, other, "div")
        _check_int_zero("div", b)
        return TruncDivide.apply(a, b)
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


divide = true_divide = div


def _check_int_zero(op: str, b: Any) -> None:
    data = b.data if isinstance(b, Tensor) else b
    if getattr(data, "dtype", np.dtype(type(data))).kind in "iub" and bool((data == 0).any()
                                                                            if hasattr(data, "any")
                                                                            else data == 0):
        raise RuntimeError(f"{op}: ZeroDivisionError (integer division by zero)")


def floor_divide(input: Any, other: Any) -> Tensor:
    """``floor(input / other)``."""
    a, b = prepare_binary(input, other, "floor_divide")
    _no_bool("floor_divide", a, b)
    _check_int_zero("floor_divide", b)
    return FloorDivide.apply(a, b)


def remainder(input: Any, other: Any) -> Tensor:
    """Python's modulo: the result has the sign of ``other``."""
    a, b = prepare_binary(input, other, "remainder")
    _no_bool("remainder", a, b)
    _check_int_zero("remainder", b)
    return Remainder.apply(a, b)


def fmod(input: Any, other: Any) -> Tensor:
    """C's modulo: the result has the sign of ``input``."""
    a, b = prepare_binary(input, other, "fmod")
    _no_bool("fmod", a, b)
    _check_int_zero("fmod", b)
    return Fmod.apply(a, b)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _result_kind(a: Any, b: Any) -> str:
    return (a if isinstance(a, Tensor) else b).data.dtype.kind


def _no_bool(op: str, a: Any, b: Any) -> None:
    if _result_kind(a, b) == "b":
        raise RuntimeError(f"{op}: not implemented for 'Bool' tensors; convert them with "
                           ".int() or .float() first")


def pow(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent`` (either may be a scalar).

    For integer results, a negative *scalar* exponent is an error (as in PyTorch); negative
    entries of an integer exponent *tensor* give 0 (or +-1 for a base of +-1).
    """
    a, b = prepare_binary(input, exponent, "pow")
    kind = _result_kind(a, b)
    if kind == "b":
        if isinstance(b, Tensor):
            raise RuntimeError("pow: not implemented for 'Bool' tensors; convert them with "
                               ".int() or .float() first")
        # bool tensor ** Python bool: x ** True = x, x ** False = True
        ad = a.data
        return Tensor._make(ad.copy() if b else _xp_like(a, b).ones_like(ad))
    if kind in "iu":
        bd = _data(b)
        if not isinstance(b, Tensor):
            if bd < 0:
                raise RuntimeError("pow: integers to negative integer powers are not allowed")
        else:
            xp = _xp_like(a, b)
            if bool((bd < 0).any()):
                ad = xp.asarray(_data(a), dtype=bd.dtype if not isinstance(a, Tensor)
                                else a.data.dtype)
                safe = xp.where(bd < 0, 0, bd)
                out = ad**safe
                neg = xp.where(bd % 2 == 1, -1, 1).astype(out.dtype)
                out = xp.where(bd < 0, xp.where(ad == 1, 1, xp.where(ad == -1, neg, 0)), out)
                return Tensor._make(out.astype(ad.dtype if ad.ndim >= bd.ndim else bd.dtype))
    return Pow.apply(a, b)


def float_power(input: Any, exponent: Any) -> Tensor:
    """``pow`` in float64."""
    from .convert import cast

    a = cast(input, np.float64) if isinstance(input, Tensor) else float(input)
    b = cast(exponent, np.float64) if isinstance(exponent, Tensor) else float(exponent)
    return pow(a, b)


def neg(input: Tensor) -> Tensor:
    """``-input``."""
    if input.dtype.kind == "b":
        raise RuntimeError("neg: negation, the `-` operator, on a bool tensor is not supported; "
                           "use logical_not() or ~ instead")
    return Neg.apply(input)


negative = neg


def positive(input: Tensor) -> Tensor:
    """``+input`` (itself); not defined for bool tensors."""
    if input.dtype.kind == "b":
        raise RuntimeError("positive: the `+` operator on a bool tensor is not supported")
    return input
