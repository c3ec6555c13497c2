"""Elementwise choices between values: clamp/clip (number or tensor bounds), where,
maximum/minimum (ties split the gradient), fmax/fmin (NaN ignored) and lerp.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .operands import (
    _no_bool,
    _tensor,
    _xp,
    as_operand,
    broadcast_shapes,
    check_same_device,
    prepare_binary,
)

__all__ = [
    "clamp", "clip", "clamp_min", "clamp_max", "where", "maximum", "minimum", "fmax",
    "fmin", "lerp",
]


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
