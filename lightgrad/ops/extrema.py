"""Extrema: ``max``/``min`` (whole tensor, along a dim, or elementwise with ``other``),
``amax``/``amin``/``aminmax`` and ``argmax``/``argmin``; tied extrema share the gradient
evenly, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from .operands import as_tensor_arg, get_xp, wrap_dim
from .reduce_args import (
    _axes,
    _check_nonempty,
    _int64,
    _keep,
    _put_along,
    _take_along,
    return_types,
)

__all__ = [
    "max", "min", "amax", "amin", "aminmax", "argmax", "argmin",
]


class _Extremum(Function):
    """``out = max (or min) of x over axes``; the gradient is split evenly among ties."""

    _max = True

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        out = x.max(axis=axes, keepdims=keepdim) if ctx._max else x.min(axis=axes,
                                                                         keepdims=keepdim)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, out = ctx.saved_tensors
        xp = get_xp(x)
        o = _keep(out, ctx.axes, ctx.keepdim)
        mask = x == o
        nan = xp.isnan(o)
        if nan.any():  # a nan extremum: the gradient goes to the nans
            mask = xp.where(nan, xp.isnan(x), mask)
        count = mask.sum(axis=ctx.axes, keepdims=True).astype(grad_out.dtype)
        g = _keep(grad_out, ctx.axes, ctx.keepdim) / count
        return xp.where(mask, g, 0), None, None


class Amax(_Extremum):
    """``out = max of x over axes``; the gradient is split evenly among ties."""

    _max = True


class Amin(_Extremum):
    """``out = min of x over axes``; the gradient is split evenly among ties."""

    _max = False


class ReduceSelect(Function):
    """``out = x at the positions idx along axis`` (max/min with dim, sort, topk, median,
    mode, kthvalue); the gradient is scattered back to those positions.

    ``idx`` has the input's number of dims (``keepdim`` form); ``keepdim=False`` squeezes
    ``axis`` (``idx`` then has size 1 there).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, idx: Any, axis: int, keepdim: bool) -> Any:
        ctx.shape, ctx.idx, ctx.axis, ctx.keepdim = x.shape, idx, axis, keepdim
        if x.ndim == 0:
            return x.copy()
        out = _take_along(x, idx, axis)
        return out if keepdim else out.squeeze(axis)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        if not ctx.shape:
            return grad_out, None, None, None
        xp = get_xp(grad_out)
        g = grad_out if ctx.keepdim else xp.expand_dims(grad_out, ctx.axis)
        gx = xp.zeros(ctx.shape, dtype=grad_out.dtype)
        _put_along(gx, ctx.idx, g, ctx.axis)
        return gx, None, None, None


# ----------------------------------------------------------------------------- max / min
def _extremum_dim(input: Tensor, dim: int, keepdim: bool, op: str, is_max: bool) -> Any:
    xp = get_xp(input)
    x = input.data
    axis = wrap_dim(dim, x.ndim, op)
    if x.ndim == 0:
        idx = xp.zeros((), dtype=_int64)
    else:
        _check_nonempty(x.shape, (axis,), op, True)
        idx = (xp.argmax if is_max else xp.argmin)(x, axis=axis, keepdims=True)
        if idx.dtype != _int64:
            idx = idx.astype(_int64)
    values = ReduceSelect.apply(input, idx, axis, keepdim)
    indices = Tensor._make(idx if keepdim or x.ndim == 0 else idx.squeeze(axis))
    return getattr(return_types, op)(values, indices)


def _extremum(input: Any, dim: Any, keepdim: bool, other: Any, op: str) -> Any:
    is_max = op == "max"
    if isinstance(dim, Tensor) and other is None:
        other, dim = dim, None
    if other is not None:
        if is_max:
            from .unary import maximum as binary
        else:
            from .unary import minimum as binary
        return binary(input, other)
    input = as_tensor_arg(input, op)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}(): keepdim=True needs a dim (use amax/amin for a full "
                            "reduction with keepdim)")
        _check_nonempty(input.shape, (), op, False)
        return (Amax if is_max else Amin).apply(input, tuple(range(input.ndim)), False)
    if isinstance(dim, tuple | list):
        raise TypeError(f"{op}(): argument 'dim' must be an int, got {type(dim).__name__} "
                        f"{tuple(dim)} (use amax/amin to reduce several dims)")
    return _extremum_dim(input, dim, keepdim, op, is_max)


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """The maximum: ``max(x)`` of all elements (a 0-d tensor); ``max(x, dim)`` a namedtuple
    ``(values, indices)`` along ``dim``; ``max(x, other)`` the elementwise maximum.

    The gradient of ``max(x)`` is split evenly among tied maxima; along ``dim`` it goes to the
    returned index.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.tensor([[1.0, 5.0], [4.0, 2.0]])
        >>> x.max()
        tensor(5.)
        >>> values, indices = x.max(dim=1)
        >>> indices
        tensor([1, 0])
    """
    return _extremum(input, dim, keepdim, other, "max")


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """The minimum: ``min(x)``, ``min(x, dim)`` -> ``(values, indices)``, or ``min(x, other)``
    (elementwise), as :func:`max`."""
    return _extremum(input, dim, keepdim, other, "min")


def _amax_amin(input: Tensor, dim: Any, keepdim: bool, op: str, cls: type[Function]) -> Tensor:
    input = as_tensor_arg(input, op)
    given = not (dim is None or isinstance(dim, tuple | list) and len(dim) == 0)
    axes = _axes(dim, input.ndim, op)
    _check_nonempty(input.shape, axes, op, given)
    return cls.apply(input, axes, keepdim)


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """``max x`` over ``dim`` (int, tuple, or all); the gradient is split evenly among ties.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 5.0], [4.0, 2.0]]).amax(0)
        tensor([4., 5.])
    """
    return _amax_amin(input, dim, keepdim, "amax", Amax)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """``min x`` over ``dim`` (int, tuple, or all); the gradient is split evenly among ties."""
    return _amax_amin(input, dim, keepdim, "amin", Amin)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` over ``dim`` (an int) or everything, as a namedtuple."""
    input = as_tensor_arg(input, "aminmax")
    if dim is None:
        axes = tuple(range(input.ndim))
        _check_nonempty(input.shape, axes, "aminmax", False)
    else:
        axes = (wrap_dim(dim, input.ndim, "aminmax"),) if input.ndim else ()
        _check_nonempty(input.shape, axes, "aminmax", True)
    return return_types.aminmax(Amin.apply(input, axes, keepdim), Amax.apply(input, axes, keepdim))


def _argext(input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    input = as_tensor_arg(input, op)
    x = input.data
    xp = get_xp(x)
    if x.dtype.kind == "b":
        raise RuntimeError(f"{op}(): does not support bool input")
    fn = xp.argmax if op == "argmax" else xp.argmin
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0 (input shape {tuple(x.shape)}).")
        out = fn(x, axis=None, keepdims=keepdim) if x.ndim else xp.zeros((), dtype=_int64)
    else:
        axis = wrap_dim(dim, x.ndim, op)
        if x.ndim == 0:
            out = xp.zeros((), dtype=_int64)
        else:
            _check_nonempty(x.shape, (axis,), op, True)
            out = fn(x, axis=axis, keepdims=keepdim)
    return Tensor._make(xp.asarray(out, dtype=_int64))


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the maximum along ``dim`` (flat index over everything when ``dim=None``),
    int64, the first one on ties.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 5.0], [4.0, 2.0]]).argmax()
        tensor(1)
    """
    return _argext(input, dim, keepdim, "argmax")


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the minimum along ``dim`` (flat index when ``dim=None``), int64."""
    return _argext(input, dim, keepdim, "argmin")
