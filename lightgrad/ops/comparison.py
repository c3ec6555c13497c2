"""Comparisons (eq/ne/lt/le/gt/ge and their aliases, equal, isclose/allclose), the
isnan/isinf/isfinite tests, logical and bitwise ops. All give tensors without a gradient
(bool, or the integer dtype of bitwise operands), computed with the operands' own array module.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..backend import get_array_module
from ..tensor import Tensor
from .operands import as_operand, prepare_binary


def _xp_like(a: Any, b: Any) -> Any:
    t = a if isinstance(a, Tensor) else b
    return np if type(t.data) is np.ndarray else get_array_module(t.data)


def _compare(cmp: Any, a: Any, b: Any, op: str) -> Tensor:
    """``cmp`` is an ``operator`` comparison: the array's own operator (NumPy or CuPy)."""
    with no_grad():
        a, b = prepare_binary(a, b, op)
    da = a.data if isinstance(a, Tensor) else a
    db = b.data if isinstance(b, Tensor) else b
    return Tensor._make(cmp(da, db))


def eq(input: Any, other: Any) -> Tensor:
    """Elementwise ``input == other`` (a bool tensor)."""
    return _compare(operator.eq, input, other, "eq")


def ne(input: Any, other: Any) -> Tensor:
    return _compare(operator.ne, input, other, "ne")


def lt(input: Any, other: Any) -> Tensor:
    return _compare(operator.lt, input, other, "lt")


def le(input: Any, other: Any) -> Tensor:
    return _compare(operator.le, input, other, "le")


def gt(input: Any, other: Any) -> Tensor:
    return _compare(operator.gt, input, other, "gt")


def ge(input: Any, other: Any) -> Tensor:
    return _compare(operator.ge, input, other, "ge")


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _xp_of(a: Any) -> Any:
    return np if type(a.data) is np.ndarray else get_array_module(a.data)


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both have the same shape and elements."""
    return input.shape == other.shape and bool(eq(input, other).data.all())


def isclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    other = as_operand(other, input, "isclose")
    od = other.data if isinstance(other, Tensor) else other
    return Tensor._make(_xp_of(input).isclose(input.data, od, rtol=rtol, atol=atol,
                                              equal_nan=equal_nan))


def allclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def isnan(input: Tensor) -> Tensor:
    return Tensor._make(_xp_of(input).isnan(input.data))


def isinf(input: Tensor) -> Tensor:
    return Tensor._make(_xp_of(input).isinf(input.data))


def isfinite(input: Tensor) -> Tensor:
    return Tensor._make(_xp_of(input).isfinite(input.data))


def _logical(name: str, a: Any, b: Any, op: str) -> Tensor:
    """The ufunc ``name`` of the operands' array module (``logical_and``, ``bitwise_or``...)."""
    a = as_operand(a, None, op, "input")
    b = as_operand(b, a if isinstance(a, Tensor) else None, op, "other")
    da = a.data if isinstance(a, Tensor) else a
    db = b.data if isinstance(b, Tensor) else b
    if isinstance(a, Tensor) and isinstance(b, Tensor) and da.shape != db.shape:
        from .operands import broadcast_shapes

        broadcast_shapes(op, da.shape, db.shape)
    xp = _xp_like(a, b)
    out = getattr(xp, name)(da, db)
    return Tensor._make(out if hasattr(out, "shape") else xp.asarray(out))


def logical_and(input: Any, other: Any) -> Tensor:
    return _logical("logical_and", input, other, "logical_and")


def logical_or(input: Any, other: Any) -> Tensor:
    return _logical("logical_or", input, other, "logical_or")


def logical_xor(input: Any, other: Any) -> Tensor:
    return _logical("logical_xor", input, other, "logical_xor")


def logical_not(input: Tensor) -> Tensor:
    return Tensor._make(_xp_of(input).logical_not(input.data))


def _bitwise(name: str, a: Any, b: Any, op: str) -> Tensor:
    for x in (a, b):
        if isinstance(x, Tensor) and x.dtype.kind not in "biu":
            raise TypeError(f"{op}: bitwise operations need bool or integer tensors, got dtype "
                            f"{x.dtype}")
    with no_grad():
        a, b = prepare_binary(a, b, op)
    return _logical(name, a, b, op)


def bitwise_and(input: Any, other: Any) -> Tensor:
    return _bitwise("bitwise_and", input, other, "bitwise_and")


def bitwise_or(input: Any, other: Any) -> Tensor:
    return _bitwise("bitwise_or", input, other, "bitwise_or")


def bitwise_xor(input: Any, other: Any) -> Tensor:
    return _bitwise("bitwise_xor", input, other, "bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    if input.dtype.kind not in "biu":
        raise TypeError(f"bitwise_not: needs a bool or integer tensor, got dtype {input.dtype}")
    return Tensor._make(_xp_of(input).invert(input.data))
