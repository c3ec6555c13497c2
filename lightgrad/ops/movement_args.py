"""Helpers shared by the movement ops: int and dims arguments, size inference, viewability,
summing a gradient back to a shape, and lists of tensors to join.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .convert import cast
from .operands import check_same_device


# ----------------------------------------------------------------------------- helpers
def _sl(ndim: int, dim: int, s: Any) -> tuple:
    """An index selecting ``s`` (a slice or an int) along ``dim`` and everything elsewhere."""
    return (slice(None),) * dim + (s, Ellipsis)


def _int(v: Any, op: str, arg: str, pos: int | None = None) -> int:
    if isinstance(v, Tensor) and v.numel() == 1 and v.dtype.kind in "iu":
        return int(v.item())
    if isinstance(v, bool) or not isinstance(v, int | np.integer):
        where = "" if pos is None else f" at pos {pos}"
        raise TypeError(f"{op}: argument '{arg}' must be a tuple of ints, but found element of "
                        f"type {type(v).__name__}{where}")
    return operator.index(v)


def _int_args(args: tuple, op: str, arg: str) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(Size)`` -> ``(2, 3)``."""
    if len(args) == 1:
        a0 = args[0]
        if isinstance(a0, list | tuple):
            args = tuple(a0)
        elif isinstance(a0, Tensor) and a0.ndim == 1:
            args = tuple(a0.tolist())
    for v in args:
        if type(v) is not int:
            return tuple(_int(v, op, arg, i) for i, v in enumerate(args))
    return args


def _dims_arg(dims: Any, op: str, arg: str = "dims") -> tuple[int, ...]:
    if isinstance(dims, int | np.integer) and not isinstance(dims, bool):
        return (int(dims),)
    if isinstance(dims, list | tuple):
        return tuple(_int(d, op, arg, i) for i, d in enumerate(dims))
    raise TypeError(f"{op}: argument '{arg}' must be an int or a tuple of ints, got "
                    f"{type(dims).__name__}")


def _infer_size(shape: tuple[int, ...], numel: int, op: str) -> tuple[int, ...]:
    """Resolve one ``-1`` in ``shape`` and check the element count (PyTorch's ``infer_size``)."""
    infer = -1
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer >= 0:
                raise RuntimeError(f"{op}: only one dimension can be inferred (shape "
                                   f"{list(shape)})")
            infer = i
        elif s < 0:
            raise RuntimeError(f"{op}: invalid shape dimension {s} at index {i} of shape "
                               f"{list(shape)}")
        else:
            known *= s
    if infer >= 0:
        if known == 0:
            raise RuntimeError(f"{op}: cannot reshape tensor of 0 elements into shape "
                               f"{list(shape)} because the unspecified dimension size -1 can be "
                               "any value and is ambiguous")
        if numel % known == 0:
            return shape[:infer] + (numel // known,) + shape[infer + 1:]
    elif known == numel:
        return shape
    raise RuntimeError(f"{op}: shape {list(shape)} is invalid for input of size {numel}")


def _viewable(arr: Any, shape: tuple[int, ...]) -> bool:
    """Can ``arr`` be seen with ``shape`` without a copy (PyTorch's ``computeStride``)?"""
    if arr.flags.c_contiguous or arr.size == 0 or arr.ndim == 0:
        return True
    old, strides = arr.shape, arr.strides
    view_d = len(shape) - 1
    chunk_base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(arr.ndim - 1, -1, -1):
        tensor_numel *= old[d]
        if d == 0 or (old[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return False
            if d > 0:
                chunk_base = strides[d - 1]
                tensor_numel = view_numel = 1
    return view_d == -1


def _sum_to(g: Any, shape: tuple) -> Any:
    """Sum ``g`` over the leading and the broadcast (size-1) dims of ``shape``."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if g.shape != shape else g


def _tensors(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}: argument 'tensors' must be a tuple or list of Tensors, not Tensor")
    if not isinstance(tensors, list | tuple):
        raise TypeError(f"{op}: argument 'tensors' must be a tuple or list of Tensors, got "
                        f"{type(tensors).__name__}")
    out = []
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: expected Tensor as element {i} in argument 'tensors', but got "
                            f"{type(x).__name__}")
        out.append(x)
    return out


def _promote_all(ts: list[Tensor], op: str) -> list[Tensor]:
    """Cast every tensor to the PyTorch promotion of all their dtypes (differentiably)."""
    check_same_device(op, *ts)
    dt = ts[0].data.dtype
    for x in ts[1:]:
        if x.data.dtype != dt:
            dt = backend.promote_types(dt, x.data.dtype)
    return [x if x.data.dtype == dt else cast(x, dt) for x in ts]
