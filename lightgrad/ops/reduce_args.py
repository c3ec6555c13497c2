"""Helpers shared by the reductions: ``dim`` arguments, keepdim shapes, dtype and emptiness
checks, values put/taken along an axis, and the namedtuple :data:`return_types`.
"""

from __future__ import annotations

import collections
import types
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .convert import cast
from .operands import get_xp, wrap_dims

_int64 = np.dtype(np.int64)


# ----------------------------------------------------------------------------- return types
def _return_type(name: str, fields: tuple[str, str]) -> type:
    return collections.namedtuple(name, fields, module="lightgrad.return_types")


#: The namedtuple types of the multi-output reductions (``torch.return_types``).
return_types = types.SimpleNamespace(
    max=_return_type("max", ("values", "indices")),
    min=_return_type("min", ("values", "indices")),
    sort=_return_type("sort", ("values", "indices")),
    topk=_return_type("topk", ("values", "indices")),
    kthvalue=_return_type("kthvalue", ("values", "indices")),
    median=_return_type("median", ("values", "indices")),
    mode=_return_type("mode", ("values", "indices")),
    aminmax=_return_type("aminmax", ("min", "max")),
)


# ----------------------------------------------------------------------------- helpers
def _axes(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """Reduced axes: ``None`` or ``()`` -> all; a 0-d input validates ``dim`` and reduces
    nothing."""
    if dim is None or (isinstance(dim, tuple | list) and len(dim) == 0):
        return tuple(range(ndim))
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, without the checks
        return (dim % ndim,)
    if not isinstance(dim, int | np.integer | tuple | list) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be an int, a tuple of ints or None, got "
                        f"{type(dim).__name__} ({dim!r})")
    axes = wrap_dims(dim, ndim, op)
    return axes if ndim else ()


def _expand_back(grad_out: Any, shape: tuple, axes: tuple, keepdim: bool) -> Any:
    """Broadcast a reduced gradient back over the reduced ``axes`` of ``shape``."""
    xp = get_xp(grad_out)
    return xp.broadcast_to(_keep(grad_out, axes, keepdim), shape)


def _keep(a: Any, axes: tuple, keepdim: bool) -> Any:
    """``a`` (reduced over ``axes``) with the reduced axes restored as size 1."""
    if keepdim or not axes:
        return a
    return get_xp(a).expand_dims(a, axes)


def _numel(shape: tuple, axes: tuple) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _float_input(input: Tensor, op: str) -> Tensor:
    """Integer/bool tensors promoted to the default float dtype (PyTorch's float-only ops)."""
    if input.dtype.kind != "f":
        return cast(input, backend.get_default_dtype())
    return input


def _require_float(input: Tensor, op: str, what: str = "input") -> None:
    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point {what}, got dtype {input.dtype}")


def _check_nonempty(shape: tuple, axes: tuple, op: str, dim_given: bool) -> None:
    """Max-like reductions have no identity: a size-0 reduced dim is an error."""
    if not dim_given:
        if _numel(shape, tuple(range(len(shape)))) == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0 (input shape {tuple(shape)}). Specify the "
                               "reduction dim with the 'dim' argument.")
        return
    for a in axes:
        if shape[a] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {a} to have non-zero size "
                             f"(input shape {tuple(shape)}).")


def _check_dtype_arg(dtype: Any) -> Any:
    return None if dtype is None else backend.as_dtype(dtype)


def _put_along(out: Any, idx: Any, vals: Any, axis: int) -> None:
    """``out[..., idx, ...] = vals`` along ``axis`` (``put_along_axis``, device-generic)."""
    xp = get_xp(out)
    index = []
    for d, n in enumerate(idx.shape):
        if d == axis:
            index.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[d] = n
            index.append(xp.arange(n).reshape(shape))
    out[tuple(index)] = vals


def _take_along(x: Any, idx: Any, axis: int) -> Any:
    return get_xp(x).take_along_axis(x, idx, axis=axis)


def _rev_cumsum(g: Any, axis: int) -> Any:
    """``sum_{k >= j} g_k`` along ``axis``."""
    xp = get_xp(g)
    return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis)


def _slice(a: Any, axis: int, start: int, stop: int) -> Any:
    """``a[..., start:stop, ...]`` along ``axis``."""
    index = [slice(None)] * a.ndim
    index[axis] = slice(start, stop)
    return a[tuple(index)]


def _as_1d(x: Any) -> Any:
    """0-d arrays as shape (1,) (cumulative ops and sorts need an axis)."""
    return x.reshape(1) if x.ndim == 0 else x
