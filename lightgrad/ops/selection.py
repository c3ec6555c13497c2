"""Selecting along a dim or a mask: ``index_select``, ``index_add``, ``masked_fill``,
``masked_select``, ``take`` and ``nonzero``/``argwhere``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .index_plan import _SCALARS, _check_range, _flat_sum, _index_add_rows, _prod
from .inplace import inplace
from .operands import as_tensor_arg, broadcast_shapes, check_same_device, get_xp, wrap_dim

__all__ = [
    "index_select", "index_add", "masked_fill", "masked_select", "take", "nonzero", "argwhere",
]


# ----------------------------------------------------------------------------- index_select/add
def _vector_index(op: str, x: Tensor, dim: Any, index: Any, exc: type = IndexError,
                  ) -> tuple[int, Any]:
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: argument 'index' must be a Tensor, got {type(index).__name__}")
    check_same_device(op, x, index)
    idx = index.data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{op}: expected dtype int32 or int64 for index, got {idx.dtype}")
    if idx.ndim > 1:
        raise IndexError(f"{op}: index is supposed to be a vector (got shape "
                         f"{list(idx.shape)})")
    d = wrap_dim(dim, x.ndim, op)
    idx = idx.reshape(-1)
    n = x.data.shape[d] if x.ndim else 1
    if x.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"{op}: index to a 0-d tensor can have only 1 value, got "
                           f"{idx.size} value(s)")
    return d, _check_range(get_xp(idx), idx, n, d, op, negative=False, exc=exc)


def _rows_view(a: Any, dim: int) -> tuple[Any, tuple]:
    """``a`` with ``dim`` moved to the front, as ``(n, rest)`` (and the moved shape)."""
    xp = get_xp(a)
    m = a if dim == 0 else xp.moveaxis(a, dim, 0)
    return m.reshape(m.shape[0], _prod(m.shape[1:])), m.shape


class IndexSelect(Function):
    """``out = x`` restricted to the entries ``idx`` of ``dim``; the gradient sums
    ``grad_out`` rows into the selected entries (repeated indices add up)."""

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int, idx: Any) -> Any:
        ctx.shape, ctx.dim, ctx.idx = x.shape, dim, idx
        if x.ndim == 0:
            return x.copy()
        return get_xp(x).take(x, idx, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        if not ctx.shape:
            return grad_out.copy(), None, None
        dim = ctx.dim
        g2, mshape = _rows_view(grad_out, dim)
        g = xp.zeros((ctx.shape[dim],) + mshape[1:], grad_out.dtype)
        _index_add_rows(xp, ctx.shape[dim], ctx.idx, g2, g.reshape(ctx.shape[dim], -1)
                        if g.size else None)
        return (g if dim == 0 else xp.moveaxis(g, 0, dim)), None, None


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries ``index`` (a 1-D int64/int32 tensor) of ``input`` along ``dim``.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.tensor([[1, 2, 3], [4, 5, 6]])
        >>> lightgrad.index_select(x, 1, lightgrad.tensor([2, 0]))
        tensor([[3, 1],
                [6, 4]])
    """
    op = "index_select"
    input = as_tensor_arg(input, op)
    d, idx = _vector_index(op, input, dim, index)
    return IndexSelect.apply(input, d, idx)


class IndexAdd(Function):
    """``out = x`` with ``out[..., idx[i], ...] += alpha * src[..., i, ...]`` along ``dim``.
    Gradients: ``grad_out`` to ``x``; ``alpha * index_select(grad_out, dim, idx)`` to ``src``."""

    @staticmethod
    def forward(ctx: Any, x: Any, src: Any, dim: int, idx: Any, alpha: Any) -> Any:
        ctx.dim, ctx.idx, ctx.alpha = dim, idx, alpha
        xp = get_xp(x)
        out = x.copy()
        if x.ndim == 0:
            out += src.reshape(()) * alpha if alpha != 1 else src.reshape(())
            return out
        s2, _ = _rows_view(src, dim)
        if alpha != 1:
            s2 = s2 * alpha
        rows = _index_add_rows(xp, x.shape[dim], idx, s2)
        o2, mshape = _rows_view(out, dim)  # a view of out when dim == 0 (out is contiguous)
        if dim == 0:
            o2 += rows
        else:
            xp.moveaxis(out, dim, 0)[...] += rows.reshape(mshape)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        gs = None
        if ctx.needs_input_grad[1]:
            xp = get_xp(grad_out)
            if grad_out.ndim == 0:
                gs = grad_out.reshape(1)
            else:
                gs = xp.take(grad_out, ctx.idx, axis=ctx.dim)
            if ctx.alpha != 1:
                gs = gs * ctx.alpha
        return grad_out, gs, None, None, None


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1,
              ) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at the entries ``index`` of ``dim``
    (repeated indices add up). ``source`` has ``input``'s shape with ``len(index)`` at ``dim``.

    Example:
        >>> import lightgrad
        >>> lightgrad.index_add(lightgrad.zeros(3), 0, lightgrad.tensor([0, 0, 2]),
        ...                     lightgrad.tensor([1.0, 2.0, 3.0]))
        tensor([3., 0., 3.])
    """
    op = "index_add"
    input = as_tensor_arg(input, op)
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}: argument 'source' must be a Tensor, got {type(source).__name__}")
    if source.data.dtype != input.data.dtype:
        raise RuntimeError(f"{op}: self ({input.data.dtype}) and source "
                           f"({source.data.dtype}) must have the same scalar type")
    check_same_device(op, input, source)
    d, idx = _vector_index(op, input, dim, index, exc=RuntimeError)
    xs = list(input.data.shape)
    ss = list(source.data.shape)
    exp = list(xs)
    if exp:
        exp[d] = idx.size
    if (ss or [1]) != (exp or [1]):
        raise RuntimeError(f"{op}: source tensor shape must match self tensor shape, excluding "
                           f"the specified dimension, with index's length ({idx.size}) at "
                           f"dimension {d}. Got self.shape = {xs} source.shape = {ss}")
    if isinstance(alpha, np.generic):
        alpha = alpha.item()
    return IndexAdd.apply(input, source, d, idx, alpha)


# ----------------------------------------------------------------------------- masked ops
def _bool_mask(op: str, x: Tensor, mask: Any) -> Tensor:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}: argument 'mask' must be a Tensor, got {type(mask).__name__}")
    if mask.data.dtype.kind != "b":
        raise RuntimeError(f"{op}: only supports boolean masks, but got mask with dtype "
                           f"{mask.data.dtype}")
    check_same_device(op, x, mask)
    return mask


class MaskedFill(Function):
    """``out = where(mask, value, x)`` (broadcast). Gradients: ``grad_out`` where not masked
    to ``x``; the sum of ``grad_out`` over the mask to a tensor ``value``."""

    @staticmethod
    def forward(ctx: Any, x: Any, mask: Any, value: Any) -> Any:
        ctx.mask = mask
        ctx.vdtype = getattr(value, "dtype", None)
        xp = get_xp(x)
        v = xp.asarray(value, dtype=x.dtype) if x.dtype.kind != "b" else xp.asarray(
            bool(value))
        return xp.where(mask, v, x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        nx, _, nv = ctx.needs_input_grad[:3]
        xp = get_xp(grad_out)
        gx = xp.where(ctx.mask, 0, grad_out).astype(grad_out.dtype, copy=False) if nx else None
        gv = None
        if nv:
            gv = xp.where(ctx.mask, grad_out, 0).sum(dtype=grad_out.dtype)
            gv = xp.asarray(gv).astype(ctx.vdtype)
        return gx, None, gv


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with the entries where ``mask`` (bool, broadcast) is True set to ``value``
    (a number or a 0-d tensor, differentiable).

    Example:
        >>> import lightgrad
        >>> x = lightgrad.tensor([1.0, -2.0, 3.0])
        >>> lightgrad.masked_fill(x, x < 0, 0.0)
        tensor([1., 0., 3.])
    """
    op = "masked_fill"
    input = as_tensor_arg(input, op)
    mask = _bool_mask(op, input, mask)
    broadcast_shapes(op, input.data.shape, mask.data.shape)
    if isinstance(value, Tensor):
        if value.data.ndim != 0:
            raise RuntimeError(f"{op}: only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.data.ndim} dimension(s)")
        check_same_device(op, input, value)
        if not value._rg:
            value = value.data.reshape(()).item()
    elif isinstance(value, _SCALARS):
        value = value.item() if isinstance(value, np.generic) else value
    else:
        raise TypeError(f"{op}: argument 'value' must be a number or a 0-d Tensor, got "
                        f"{type(value).__name__}")
    return MaskedFill.apply(input, mask, value)


def _masked_fill_(self: Tensor, mask: Tensor, value: Any) -> Tensor:
    return inplace(self, masked_fill, mask, value, op="masked_fill_")


class MaskedSelect(Function):
    """``out = x[mask]`` (both broadcast) as a 1-D tensor; the gradient is ``grad_out``
    written back at the mask."""

    @staticmethod
    def forward(ctx: Any, x: Any, mask: Any) -> Any:
        xp = get_xp(x)
        shape = tuple(np.broadcast_shapes(x.shape, mask.shape))
        if mask.shape != shape:
            mask = xp.broadcast_to(mask, shape)
        if x.shape != shape:
            x = xp.broadcast_to(x, shape)
        ctx.mask = mask
        return x[mask]

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        g = get_xp(grad_out).zeros(ctx.mask.shape, grad_out.dtype)
        g[ctx.mask] = grad_out
        return g, None


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The entries of ``input`` where ``mask`` (bool; both broadcast) is True, as a 1-D tensor.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> lightgrad.masked_select(x, x > 1.5)
        tensor([2., 3., 4.])
    """
    op = "masked_select"
    input = as_tensor_arg(input, op)
    mask = _bool_mask(op, input, mask)
    broadcast_shapes(op, input.data.shape, mask.data.shape)
    return MaskedSelect.apply(input, mask)


# ----------------------------------------------------------------------------- take / nonzero
class Take(Function):
    """``out = x.flatten()[idx]`` (shaped like ``idx``); the gradient sums ``grad_out`` into
    the flat positions."""

    @staticmethod
    def forward(ctx: Any, x: Any, idx: Any) -> Any:
        ctx.shape, ctx.idx = x.shape, idx
        return get_xp(x).take(x.reshape(-1), idx)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        return _flat_sum(xp, ctx.shape, ctx.idx, grad_out, grad_out.dtype), None


def take(input: Tensor, index: Tensor) -> Tensor:
    """``input`` read as 1-D at ``index`` (int64, negative counts from the end); the output
    has ``index``'s shape.

    Example:
        >>> import lightgrad
        >>> lightgrad.take(lightgrad.tensor([[4, 3], [5, 7]]), lightgrad.tensor([0, 3, -1]))
        tensor([4, 7, 7])
    """
    op = "take"
    input = as_tensor_arg(input, op)
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: argument 'index' must be a Tensor, got {type(index).__name__}")
    check_same_device(op, input, index)
    idx = index.data
    if idx.dtype != np.int64:
        raise RuntimeError(f"{op}: expected a long (int64) tensor for index, but got "
                           f"{idx.dtype}")
    n = input.numel()
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        bad = hi if hi >= n else lo if lo < -n else None
        if bad is not None:
            raise IndexError(f"{op}: out of range: tried to access index {bad} on a tensor of "
                             f"{n} elements")
        if lo < 0:
            idx = get_xp(idx).where(idx < 0, idx + n, idx)
    return Take.apply(input, idx)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the nonzero entries: an ``(n, ndim)`` int64 tensor, or with ``as_tuple`` one
    1-D tensor per dim (a 0-d input counts as 1-d there). Not differentiable.

    Example:
        >>> import lightgrad
        >>> lightgrad.nonzero(lightgrad.tensor([[0, 1], [2, 0]]))
        tensor([[0, 1],
                [1, 0]])
    """
    input = as_tensor_arg(input, "nonzero")
    x = input.data
    xp = get_xp(x)
    if x.ndim == 0:
        n = int(bool(x))
        if as_tuple:
            return (Tensor._make(xp.zeros(n, dtype=np.int64)),)
        return Tensor._make(xp.zeros((n, 0), dtype=np.int64))
    if as_tuple:
        return tuple(Tensor._make(a.astype(np.int64, copy=False)) for a in xp.nonzero(x))
    return Tensor._make(xp.argwhere(x).astype(np.int64, copy=False))


def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: an ``(n, ndim)`` int64 tensor of the nonzero entries' indices."""
    return nonzero(input)
