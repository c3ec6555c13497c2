"""Reordering and diagonals: flip/fliplr/flipud and roll (copies, as in PyTorch), tril/triu,
diagonal (a view), diag_embed and diag.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor, _wrap_dim
from .movement_args import _dims_arg, _int
from .operands import as_tensor_arg, get_xp

__all__ = [
    "flip", "fliplr", "flipud", "roll", "tril", "triu", "diagonal", "diag",
    "diag_embed",
]


class Diagonal(Function):
    """``out[..., i] = x[..., i, i + offset]`` over ``dim1``, ``dim2`` (a read-only view)."""

    _is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, offset: int, dim1: int, dim2: int) -> Any:
        ctx.shape, ctx.args = x.shape, (offset, dim1, dim2)
        return get_xp(x).diagonal(x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        g = xp.zeros(ctx.shape, dtype=grad_out.dtype)
        _diag_write(xp, g, grad_out, *ctx.args)
        return g, None, None, None


def _diag_write(xp: Any, out: Any, vals: Any, offset: int, dim1: int, dim2: int) -> None:
    """``out.diagonal(offset, dim1, dim2)[...] = vals`` (NumPy's diagonal view is read-only)."""
    n = vals.shape[-1]
    if n == 0:
        return
    v = xp.moveaxis(out, (dim1, dim2), (-2, -1))  # a writable view of out
    idx = xp.arange(n)
    v[..., idx + max(-offset, 0), idx + max(offset, 0)] = vals


class DiagEmbed(Function):
    """``out[..., i, i + offset, ...] = x[..., i]``: the last dim of ``x`` placed on a diagonal
    of the plane (``dim1``, ``dim2``) of a zero tensor."""

    @staticmethod
    def forward(ctx: Any, x: Any, offset: int, dim1: int, dim2: int) -> Any:
        ctx.args = (offset, dim1, dim2)
        xp = get_xp(x)
        n = x.shape[-1] + abs(offset)
        rest = list(x.shape[:-1])
        shape = [0] * (len(rest) + 2)
        shape[dim1] = shape[dim2] = n
        it = iter(rest)
        for i in range(len(shape)):
            if i not in (dim1, dim2):
                shape[i] = next(it)
        out = xp.zeros(tuple(shape), dtype=x.dtype)
        _diag_write(xp, out, x, offset, dim1, dim2)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return get_xp(grad_out).diagonal(grad_out, *ctx.args), None, None, None


class Flip(Function):
    """``out[..., i, ...] = x[..., n - 1 - i, ...]`` along ``dims`` (a copy, as in PyTorch)."""

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple) -> Any:
        ctx.dims = dims
        return get_xp(x).flip(x, dims).copy() if dims else x.copy()

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return (get_xp(grad_out).flip(grad_out, ctx.dims) if ctx.dims else grad_out), None


class Roll(Function):
    """``out[..., (i + shift) % n, ...] = x[..., i, ...]`` along ``dims`` (``None``: flattened)."""

    @staticmethod
    def forward(ctx: Any, x: Any, shifts: tuple, dims: tuple | None) -> Any:
        ctx.shifts, ctx.dims = shifts, dims
        xp = get_xp(x)
        if dims is None:
            return xp.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
        return xp.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        back = tuple(-s for s in ctx.shifts)
        if ctx.dims is None:
            return xp.roll(grad_out.reshape(-1), back[0]).reshape(grad_out.shape), None, None
        return xp.roll(grad_out, back, ctx.dims), None, None


class Tril(Function):
    """``out[..., i, j] = x[..., i, j] if j - i <= diagonal else 0``."""

    @staticmethod
    def forward(ctx: Any, x: Any, diagonal: int) -> Any:
        ctx.k = diagonal
        return get_xp(x).tril(x, diagonal)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return get_xp(grad_out).tril(grad_out, ctx.k), None


class Triu(Function):
    """``out[..., i, j] = x[..., i, j] if j - i >= diagonal else 0``."""

    @staticmethod
    def forward(ctx: Any, x: Any, diagonal: int) -> Any:
        ctx.k = diagonal
        return get_xp(x).triu(x, diagonal)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return get_xp(grad_out).triu(grad_out, ctx.k), None


# ----------------------------------------------------------------------------- reorder / masks
def flip(input: Tensor, dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy)."""
    input = as_tensor_arg(input, "flip")
    dl = _dims_arg(dims, "flip")
    w = tuple(_wrap_dim(d, input.ndim, "flip") for d in dl)
    if len(set(w)) != len(w):
        dup = next(d for d in w if w.count(d) > 1)
        raise RuntimeError(f"flip: dim {dup} appears multiple times in the list of dims {dl}")
    return Flip.apply(input, w if input.ndim else ())


def _flip_method(self: Tensor, *dims: Any) -> Tensor:
    if not dims:
        raise TypeError("flip: missing 1 required positional argument: 'dims'")
    return flip(self, dims[0] if len(dims) == 1 else dims)


def fliplr(input: Tensor) -> Tensor:
    """Flip dim 1 (left/right); needs ``ndim >= 2``."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d, got shape {tuple(input.shape)}")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flip dim 0 (up/down); needs ``ndim >= 1``."""
    if input.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d, got a 0-d tensor")
    return flip(input, (0,))


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (``None``: over the flattened
    tensor, shape kept)."""
    input = as_tensor_arg(input, "roll")
    sh = _dims_arg(shifts, "roll", "shifts")
    if not sh:
        raise RuntimeError("roll: `shifts` required")
    if input.data.size == 0:  # PyTorch returns a copy without checking dims
        return Roll.apply(input, sh[:1], None)
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(sh)}, "
                               "dims: 0")
        return Roll.apply(input, sh, None)
    dl = _dims_arg(dims, "roll", "dims")
    if len(sh) != len(dl):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(sh)}, dims: "
                           f"{len(dl)}")
    if input.ndim == 0:
        raise IndexError(f"roll: Dimension specified as {dl[0]} but tensor has no dimensions")
    w = tuple(_wrap_dim(d, input.ndim, "roll") for d in dl)
    return Roll.apply(input, sh, w)


def _tri(input: Tensor, diagonal: int, op: str, cls: Any) -> Tensor:
    input = as_tensor_arg(input, op)
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                           f"{tuple(input.shape)}")
    return cls.apply(input, _int(diagonal, op, "diagonal"))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle: elements with ``j - i <= diagonal`` kept, the rest zeroed."""
    return _tri(input, diagonal, "tril", Tril)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle: elements with ``j - i >= diagonal`` kept, the rest zeroed."""
    return _tri(input, diagonal, "triu", Triu)


# ----------------------------------------------------------------------------- diagonals
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal ``offset`` of the (``dim1``, ``dim2``) planes, as the last dim (a read-only
    view)."""
    input = as_tensor_arg(input, "diagonal")
    nd = input.ndim
    if nd < 2:
        raise RuntimeError(f"diagonal: diagonal dimensions requires ndim larger than 1, got shape "
                           f"{tuple(input.shape)}")
    a = _wrap_dim(dim1, nd, "diagonal", "dim1")
    b = _wrap_dim(dim2, nd, "diagonal", "dim2")
    if a == b:
        raise RuntimeError(f"diagonal: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, _int(offset, "diagonal", "offset"), a, b)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor whose (``dim1``, ``dim2``) planes have ``input``'s last dim on diagonal
    ``offset`` and zeros elsewhere."""
    input = as_tensor_arg(input, "diag_embed")
    nd = input.ndim + 1
    a = _wrap_dim(dim1, nd, "diag_embed", "dim1")
    b = _wrap_dim(dim2, nd, "diag_embed", "dim2")
    if a == b:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(input, _int(offset, "diag_embed", "offset"), a, b)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-d input: a square matrix with it on diagonal ``diagonal``; 2-d input: that diagonal."""
    input = as_tensor_arg(input, "diag")
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return globals()["diagonal"](input, diagonal, 0, 1)
    raise RuntimeError(f"diag: matrix or a vector expected, got shape {tuple(input.shape)}")
