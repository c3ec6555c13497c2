"""Operand preparation shared by the ops: scalars vs tensors, type promotion, broadcasting and
device checks, each failing with a message that names the op."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor, _wrap_dim
from .convert import cast

_SCALARS = (int, float, bool, np.integer, np.floating, np.bool_)


def get_xp(x: Any) -> Any:
    """``numpy`` or ``cupy`` for an array or tensor."""
    return backend.get_array_module(x.data if isinstance(x, Tensor) else x)


def as_operand(x: Any, like: Tensor | None, op: str, arg: str = "other") -> Any:
    """A Tensor or a Python scalar; lists and arrays become constant tensors on ``like``'s
    device."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, _SCALARS):
        return x.item() if isinstance(x, np.generic) else x
    if isinstance(x, numbers.Number):
        raise TypeError(f"{op}: argument '{arg}' of type {type(x).__name__} is not supported")
    try:
        t = Tensor(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{op}: argument '{arg}' must be a Tensor or a number, got "
                        f"{type(x).__name__}") from e
    if like is not None and type(t.data) is not type(like.data):
        t = Tensor._make(backend.to_device(t.data, like.device))
    return t


def as_tensor_arg(x: Any, op: str, arg: str = "input") -> Tensor:
    """``x`` as a Tensor (numbers and arrays are wrapped); anything else is a TypeError."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (*_SCALARS, list, tuple, np.ndarray)):
        return Tensor(x)
    raise TypeError(f"{op}: argument '{arg}' must be a Tensor, got {type(x).__name__}")


def check_same_device(op: str, *ts: Any) -> None:
    devices = {backend.device_of(t.data) for t in ts if isinstance(t, Tensor)}
    if len(devices) > 1:
        devs = ", ".join(str(t.device) for t in ts if isinstance(t, Tensor))
        raise RuntimeError(f"{op}: expected all tensors to be on the same device, but found "
                           f"tensors on {devs}")


def broadcast_shapes(op: str, *shapes: tuple) -> tuple:
    """The broadcast shape, or PyTorch's message naming both shapes."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        pass
    a, b = shapes[0], shapes[1]
    for s in shapes[1:]:
        try:
            np.broadcast_shapes(a, s)
        except ValueError:
            b = s
            break
        a = tuple(np.broadcast_shapes(a, s))
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    dim = next(i for i in range(n) if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1)
    raise RuntimeError(f"{op}: the size of tensor a ({pa[dim]}) must match the size of tensor b "
                       f"({pb[dim]}) at non-singleton dimension {dim - n} (shapes {tuple(a)} and "
                       f"{tuple(b)} are not broadcastable)")


def prepare_binary(a: Any, b: Any, op: str, float_only: bool = False,
                   check_broadcast: bool = True) -> tuple[Any, Any]:
    """Promote and check two operands as PyTorch does; at least one must be a Tensor.

    Returns tensors cast to the result dtype (Python scalars stay scalars: NumPy keeps the
    tensor's dtype for them). ``float_only`` promotes integer results to the default float
    dtype (true division, exp-like ops). With ``check_broadcast=False`` the caller runs the op
    inside :func:`broadcast_guard`, so the (slow) shape check only runs when NumPy fails.
    """
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if not ta:
        a = as_operand(a, b if tb else None, op, "input")
        ta = isinstance(a, Tensor)
    if not tb:
        b = as_operand(b, a if ta else None, op, "other")
        tb = isinstance(b, Tensor)
    if ta and tb:
        da, db = a.data, b.data
        if type(da) is not type(db) and (type(da) is not np.ndarray or
                                         type(db) is not np.ndarray):
            check_same_device(op, a, b)
        if check_broadcast and da.shape != db.shape:
            broadcast_shapes(op, da.shape, db.shape)
        if da.dtype is db.dtype and (not float_only or da.dtype.kind == "f"):
            return a, b
    rt = backend.result_type(a, b)
    if float_only and rt.kind != "f":
        rt = backend.get_default_dtype()
    if ta and a.data.dtype != rt:
        a = cast(a, rt)
    if tb and b.data.dtype != rt:
        b = cast(b, rt)
    if not ta and rt.kind != "f" and isinstance(a, float):
        pass  # cannot happen: a float scalar makes the result floating
    return a, b


def wrap_dim(dim: Any, ndim: int, op: str, arg: str = "dim") -> int:
    return _wrap_dim(dim, ndim, op, arg)


def wrap_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes (``None`` -> all axes)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int | np.integer):
        dims: tuple = (dim,)
    elif isinstance(dim, list | tuple):
        dims = tuple(dim)
    else:
        raise TypeError(f"{op}: argument 'dim' must be an int or a tuple of ints, got "
                        f"{type(dim).__name__} ({dim!r})")
    out = tuple(sorted({_wrap_dim(d, ndim, op) for d in dims}))
    if len(out) != len(dims):
        raise RuntimeError(f"{op}: dim {dims} appears multiple times in the list of dims")
    return out


def broadcast_error(op: str, a: Any, b: Any, err: Exception) -> Exception:
    """The clear error for a failed broadcast between ``a`` and ``b`` (or ``err`` itself)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        try:
            broadcast_shapes(op, a.data.shape, b.data.shape)
        except RuntimeError as e:
            return e
    return err


# ----------------------------------------------------------------------------- elementwise ops
# Checks of the elementwise (unary, activation) ops' inputs, with PyTorch's dtype rules.
_ARRAYS = (np.ndarray, np.generic)


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


def _float_op(cls: type[Function], name: str, math_: str) -> Any:
    """The public function of a float-valued unary op (integers promote to float)."""

    def fn(input: Tensor) -> Tensor:
        return cls.apply(_floating(input, name))

    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = cls.__module__  # where the op lives (doctests, docs, pickling by name)
    fn.__doc__ = f"``{math_}`` elementwise; integer inputs give the default float dtype."
    return fn
