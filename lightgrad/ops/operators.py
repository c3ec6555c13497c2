"""The Tensor methods and Python operators of the arithmetic, comparison, logical and bitwise
ops (``+``, ``-``, ``*``, ``/``, ``//``, ``%``, ``**``, ``==``, ``<``, ``&``, ``~``...), their
in-place forms (``add_``, ``+=``...) and ``fill_`` / ``zero_``, attached to :class:`Tensor` when
this module is imported (by :mod:`lightgrad.ops`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_state
from ..backend import get_array_module
from ..tensor import Tensor
from .arithmetic import (
    add,
    div,
    float_power,
    floor_divide,
    fmod,
    mul,
    neg,
    positive,
    pow,
    remainder,
    sub,
    true_divide,
)
from .comparison import (
    allclose,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    eq,
    equal,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
)
from .inplace import inplace


def _eq(self: Tensor, other: Any) -> Any:
    if other is None:
        return False
    return eq(self, other)


def _ne(self: Tensor, other: Any) -> Any:
    if other is None:
        return True
    return ne(self, other)


_T: Any = Tensor
_T.__add__ = lambda self, other: add(self, other)
_T.__radd__ = lambda self, other: add(other, self)
_T.__sub__ = lambda self, other: sub(self, other)
_T.__rsub__ = lambda self, other: sub(other, self)
_T.__mul__ = lambda self, other: mul(self, other)
_T.__rmul__ = lambda self, other: mul(other, self)
_T.__truediv__ = lambda self, other: div(self, other)
_T.__rtruediv__ = lambda self, other: div(other, self)
_T.__floordiv__ = lambda self, other: floor_divide(self, other)
_T.__rfloordiv__ = lambda self, other: floor_divide(other, self)
_T.__mod__ = lambda self, other: remainder(self, other)
_T.__rmod__ = lambda self, other: remainder(other, self)
_T.__pow__ = lambda self, other: pow(self, other)
_T.__rpow__ = lambda self, other: pow(other, self)
_T.__neg__ = neg
_T.__pos__ = positive
_T.__eq__ = _eq
_T.__ne__ = _ne
_T.__lt__ = lambda self, other: lt(self, other)
_T.__le__ = lambda self, other: le(self, other)
_T.__gt__ = lambda self, other: gt(self, other)
_T.__ge__ = lambda self, other: ge(self, other)
_T.__and__ = lambda self, other: bitwise_and(self, other)
_T.__rand__ = lambda self, other: bitwise_and(other, self)
_T.__or__ = lambda self, other: bitwise_or(self, other)
_T.__ror__ = lambda self, other: bitwise_or(other, self)
_T.__xor__ = lambda self, other: bitwise_xor(self, other)
_T.__rxor__ = lambda self, other: bitwise_xor(other, self)
_T.__invert__ = bitwise_not

for _name, _fn in {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div,
    "divide": div, "true_divide": true_divide, "floor_divide": floor_divide,
    "remainder": remainder, "fmod": fmod, "pow": pow, "float_power": float_power, "neg": neg,
    "negative": neg, "positive": positive, "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt,
    "ge": ge, "greater": gt, "greater_equal": ge, "less": lt, "less_equal": le,
    "not_equal": ne, "equal": equal, "isclose": isclose, "allclose": allclose, "isnan": isnan,
    "isinf": isinf, "isfinite": isfinite, "logical_and": logical_and,
    "logical_or": logical_or, "logical_xor": logical_xor, "logical_not": logical_not,
    "bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
    "bitwise_not": bitwise_not,
}.items():
    setattr(_T, _name, _fn)


def _inplace_binary(fn: Any, name: str) -> Any:
    def method(self: Tensor, other: Any, **kwargs: Any) -> Tensor:
        return inplace(self, lambda s, o: fn(s, o, **kwargs), other, op=name)

    method.__name__ = name
    return method


for _name, _fn in {"add_": add, "sub_": sub, "subtract_": sub, "mul_": mul, "multiply_": mul,
                   "div_": div, "divide_": div, "true_divide_": div, "floor_divide_": floor_divide,
                   "remainder_": remainder, "fmod_": fmod, "pow_": pow}.items():
    setattr(_T, _name, _inplace_binary(_fn, _name))
_T.__iadd__ = _T.add_
_T.__isub__ = _T.sub_
_T.__imul__ = _T.mul_
_T.__itruediv__ = _T.div_
_T.__ifloordiv__ = _T.floor_divide_
_T.__imod__ = _T.remainder_
_T.__ipow__ = _T.pow_
_T.neg_ = lambda self: inplace(self, neg, op="neg_")
_T.negative_ = _T.neg_


class Fill(Function):
    """``out = value`` everywhere (shape of ``x``); ``x`` gets a zero gradient, a tensor
    ``value`` the sum of the gradient."""

    @staticmethod
    def forward(ctx: Any, x: Any, value: Any) -> Any:
        xp = np if type(x) is np.ndarray else get_array_module(x)
        return xp.full_like(x, value)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        na, nb = ctx.needs_input_grad
        return (grad_out * 0 if na else None), (grad_out.sum() if nb else None)


def _fill_(self: Tensor, value: Any) -> Tensor:
    """Fill ``self`` with ``value`` (a number or a 0-d tensor), in place."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_: only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions (shape {tuple(value.shape)})")
        value = value.to(self.dtype)  # type: ignore[attr-defined]
    elif not isinstance(value, int | float | bool | np.number | np.bool_):
        raise TypeError(f"fill_: value must be a number or a 0-d Tensor, got "
                        f"{type(value).__name__}")
    recording = _grad_state.enabled and (self._rg or (isinstance(value, Tensor) and value._rg))
    if not recording:  # the common case (zero_grad, buffers): write directly
        self.data[...] = value.data if isinstance(value, Tensor) else value
        self._vc[0] += 1
        return self
    return inplace(self, lambda s, v: Fill.apply(s, v), value, op="fill_")


_T.fill_ = _fill_
_T.zero_ = lambda self: _fill_(self, 0)
