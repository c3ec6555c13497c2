"""Shared pieces of the activation modules: the raw-array kernels (``_sigmoid``, ``_pos``,
``_neg``), the owned-temporary helper ``_own``, the ``inplace=`` dispatcher and the base of the
ops whose gradient is one saved mask.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from .inplace import inplace
from .operands import _quiet, _xp

_INF = math.inf


def _sigmoid(x: Any) -> Any:
    """``1 / (1 + e^-x)`` on a raw array (exp overflows to inf for x << 0: the result is 0)."""
    xp = _xp(x)
    if x.ndim == 0:
        with _quiet(over="ignore"):
            return 1.0 / (xp.exp(-x) + 1.0)
    e = xp.negative(x)
    with _quiet(over="ignore"):
        xp.exp(e, out=e)
    e += 1.0
    return xp.divide(1.0, e, out=e)


def _pos(x: Any) -> Any:
    """``max(x, 0)`` (clip with numbers is NumPy's fast path; integers keep their dtype)."""
    return x.clip(0.0, _INF) if x.dtype.kind == "f" else _xp(x).maximum(x, 0)


def _neg(x: Any) -> Any:
    """``min(x, 0)`` for a floating array."""
    return x.clip(-_INF, 0.0)


def _own(fn: Any, a: Any) -> Any:
    """``fn(a)`` written into ``a``, a temporary this op owns (NumPy scalars are immutable)."""
    return fn(a, out=a) if getattr(a, "ndim", 0) else fn(a)


def _maybe_inplace(fn: Any, input: Any, inplace_: bool, name: str, *args: Any) -> Tensor:
    if inplace_:
        return inplace(input, fn, *args, op=name)
    return fn(input, *args)


# ----------------------------------------------------------------------------- Functions
class _MaskGrad(Function):
    """Base of ``out = f(x, arg)`` ops whose gradient is ``grad_out`` times the one array they
    saved (a 0/1 mask or a per-element slope); the extra argument gets none."""

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (m,) = ctx.saved_tensors
        return grad_out * m, None
