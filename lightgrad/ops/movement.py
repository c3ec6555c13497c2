"""Movement (shape) ops: reshape/view, permute/transpose, expand, repeat, cat/stack, split/chunk/
unbind, pad, flip, roll, tril/triu, narrow, diagonal, clone/contiguous and ``copy_``.

Ops whose output is a NumPy view of their input (``Reshape``, ``Permute``, ``Expand``,
``Narrow``, ``Diagonal``) are marked ``_is_view``: the output shares the input's memory and
version counter, as PyTorch views do. ``flip`` and ``roll`` copy (PyTorch returns new tensors).
"""

from __future__ import annotations

import itertools
import math
import operator
from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor, _wrap_dim
from .convert import cast, to
from .inplace import inplace
from .operands import as_tensor_arg, broadcast_shapes, check_same_device, get_xp, wrap_dims

__all__ = [
    "reshape", "view", "view_as", "reshape_as", "flatten", "ravel", "unflatten", "squeeze",
    "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis",
    "expand", "expand_as", "broadcast_to", "broadcast_tensors", "repeat", "tile", "cat", "concat",
    "concatenate", "stack", "hstack", "vstack", "dstack", "atleast_1d", "atleast_2d",
    "atleast_3d", "split", "chunk", "unbind", "tensor_split", "narrow", "pad", "flip", "fliplr",
    "flipud", "roll", "tril", "triu", "clone", "contiguous", "diagonal", "diag", "diag_embed",
]


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


# ----------------------------------------------------------------------------- Functions
class Reshape(Function):
    """``out = x`` seen with another shape (a view: callers check it is possible)."""

    _is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple) -> Any:
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return grad_out.reshape(ctx.shape), None


class Permute(Function):
    """``out[i_p0, i_p1, ...] = x[i_0, i_1, ...]``: the axes of ``x`` reordered (a view)."""

    _is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple) -> Any:
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return grad_out.transpose(inv), None


class Expand(Function):
    """``out = x`` broadcast to ``shape`` (a read-only view); the gradient sums the copies."""

    _is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple) -> Any:
        ctx.shape = x.shape
        return get_xp(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _sum_to(grad_out, ctx.shape), None


class Narrow(Function):
    """``out = x[key]`` for a basic index ``key`` (slices and ints; a view). The gradient is
    ``grad_out`` written into zeros of ``x``'s shape."""

    _is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, key: tuple) -> Any:
        ctx.shape, ctx.key = x.shape, key
        return x[key]

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        g = get_xp(grad_out).zeros(ctx.shape, dtype=grad_out.dtype)
        g[ctx.key] = grad_out
        return g, None


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


class Repeat(Function):
    """``out = x`` tiled ``reps[d]`` times along each dim (``reps`` may add leading dims)."""

    @staticmethod
    def forward(ctx: Any, x: Any, reps: tuple) -> Any:
        ctx.shape, ctx.reps = x.shape, reps
        return get_xp(x).tile(x, reps)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        reps = ctx.reps
        padded = (1,) * (len(reps) - len(ctx.shape)) + tuple(ctx.shape)
        split: list[int] = []
        for r, s in zip(reps, padded):
            split += [r, s]  # out index k * s + j -> (k, j)
        g = grad_out.reshape(split).sum(axis=tuple(range(0, 2 * len(reps), 2)))
        return g.reshape(ctx.shape), None


class Cat(Function):
    """``out = [x_0, x_1, ...]`` joined along ``dim``. Called as ``Cat.apply(*tensors, dim)``."""

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        xs, dim = args[:-1], args[-1]
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return get_xp(xs[0]).concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        need = ctx.needs_input_grad
        grads: list[Any] = []
        start = 0
        for i, n in enumerate(ctx.sizes):
            grads.append(grad_out[_sl(grad_out.ndim, ctx.dim, slice(start, start + n))]
                         if need[i] else None)
            start += n
        return (*grads, None)


class Stack(Function):
    """``out[..., i, ...] = x_i`` along a new ``dim``. Called as ``Stack.apply(*tensors, dim)``."""

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        xs, dim = args[:-1], args[-1]
        ctx.dim = dim
        return get_xp(xs[0]).stack(xs, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        need = ctx.needs_input_grad
        grads = [grad_out[_sl(grad_out.ndim, ctx.dim, i)] if need[i] else None
                 for i in range(len(need) - 1)]
        return (*grads, None)


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


class Clone(Function):
    """``out = x``, a copy (``order`` ``"K"`` keeps the layout, ``"C"`` makes it contiguous)."""

    @staticmethod
    def forward(ctx: Any, x: Any, order: str) -> Any:
        return x.copy(order=order)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return grad_out, None


class Copy(Function):
    """``out = src`` broadcast to ``dst``'s shape and cast to its dtype (``dst.copy_(src)``);
    ``dst``'s old value gets no gradient."""

    @staticmethod
    def forward(ctx: Any, dst: Any, src: Any) -> Any:
        ctx.src_shape, ctx.src_dtype = src.shape, src.dtype
        out = get_xp(src).broadcast_to(src, dst.shape)
        return out if out.dtype == dst.dtype else out.astype(dst.dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        if not ctx.needs_input_grad[1]:
            return None, None
        g = _sum_to(grad_out, ctx.src_shape)
        return None, (g if g.dtype == ctx.src_dtype else g.astype(ctx.src_dtype))


class Pad(Function):
    """``out = x`` padded per dim by ``pads[d] = (before, after)``: ``mode`` ``"constant"``
    (fill ``value``; negative pads crop), ``"reflect"``, ``"replicate"`` or ``"circular"``."""

    @staticmethod
    def forward(ctx: Any, x: Any, pads: tuple, mode: str, value: Any) -> Any:
        xp = get_xp(x)
        ctx.shape, ctx.pads, ctx.mode = x.shape, pads, mode
        if mode == "constant":
            src, dst, shape = _constant_keys(x.shape, pads)
            ctx.src, ctx.dst = src, dst
            out = xp.full(shape, value, dtype=x.dtype)
            out[dst] = x[src]
            return out
        blocks = ctx.blocks = _pad_blocks(x.shape, pads, mode)
        out = xp.empty(tuple(n + b + a for n, (b, a) in zip(x.shape, pads)), dtype=x.dtype)
        for okey, ikey, flips, _ in blocks:
            piece = x[ikey]
            out[okey] = xp.flip(piece, flips) if flips else piece  # size-1 dims broadcast
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        if ctx.mode == "constant":
            if all(s == slice(None) for s in ctx.src):
                return grad_out[ctx.dst], None, None, None
            g = xp.zeros(ctx.shape, dtype=grad_out.dtype)
            g[ctx.src] = grad_out[ctx.dst]
            return g, None, None, None
        blocks = ctx.blocks
        full = tuple(slice(0, n) for n in ctx.shape)
        core = next((k for k, b in enumerate(blocks) if b[1] == full and not b[2] and not b[3]),
                    None)
        if core is None:
            g = xp.zeros(ctx.shape, dtype=grad_out.dtype)
        else:  # one block covers the whole input: start from it instead of from zeros
            g = grad_out[blocks[core][0]].copy()
            blocks = blocks[:core] + blocks[core + 1:]
        for okey, ikey, flips, sums in blocks:
            piece = grad_out[okey]
            if flips:
                piece = xp.flip(piece, flips)
            if sums:
                piece = piece.sum(axis=sums, keepdims=True)
            g[ikey] += piece
        return g, None, None, None


def _pad_blocks(shape: tuple, pads: tuple, mode: str) -> list[tuple]:
    """The output as blocks ``(out_key, in_key, flipped dims, repeated dims)``: the cartesian
    product of each dim's runs (a run copies, mirrors or repeats a slice of the input)."""
    per_dim = [_pad_runs(n, b, a, mode) if b or a else [(0, n, 0, 1)]
               for n, (b, a) in zip(shape, pads)]
    blocks = []
    for combo in itertools.product(*per_dim):
        okey, ikey, flips, sums = [], [], [], []
        for d, (o0, o1, i0, step) in enumerate(combo):
            n = o1 - o0
            okey.append(slice(o0, o1))
            if step == 1:
                ikey.append(slice(i0, i0 + n))
            elif step == -1:
                ikey.append(slice(i0 - n + 1, i0 + 1))
                flips.append(d)
            else:
                ikey.append(slice(i0, i0 + 1))
                sums.append(d)
        blocks.append((tuple(okey), tuple(ikey), tuple(flips), tuple(sums)))
    return blocks


def _constant_keys(shape: tuple, pads: tuple) -> tuple[tuple, tuple, tuple]:
    """Source and destination slices of a constant pad (negative pads crop) and the out shape."""
    src, dst, out = [], [], []
    for n, (b, a) in zip(shape, pads):
        m = n + b + a
        keep = max(n - max(-b, 0) - max(-a, 0), 0)
        src.append(slice(max(-b, 0), max(-b, 0) + keep) if b < 0 or a < 0 else slice(None))
        dst.append(slice(max(b, 0), max(b, 0) + keep) if b or a else slice(None))
        out.append(m)
    return tuple(src), tuple(dst), tuple(out)


def _pad_runs(n: int, before: int, after: int, mode: str) -> list[tuple[int, int, int, int]]:
    """The input index of every output position of a padded dim, as runs
    ``(out_start, out_stop, in_start, step)`` with step 1 (copy), -1 (mirror) or 0 (repeat)."""
    if mode == "circular":  # PyTorch crops first, then wraps around the cropped part
        lo = max(-before, 0)
        m = n - lo - max(-after, 0)
        b, a = max(before, 0), max(after, 0)
        idx = lo + (np.arange(-b, m + a) % m)
    else:
        i = np.arange(-before, n + after)
        idx = np.clip(i, 0, n - 1) if mode == "replicate" else (n - 1) - np.abs(n - 1 - np.abs(i))
    if len(idx) == 0:
        return [(0, 0, 0, 1)]
    runs = []
    k, total = 0, len(idx)
    while k < total:
        step = int(idx[k + 1] - idx[k]) if k + 1 < total else 1
        if step not in (-1, 0, 1):
            step = 1
        e = k + 1
        while e < total and idx[e] - idx[e - 1] == step:
            e += 1
        runs.append((k, e, int(idx[k]), step))
        k = e
    return runs


# ----------------------------------------------------------------------------- reshaping
def reshape(input: Tensor, shape: Any) -> Tensor:
    """``input`` with a new ``shape`` (one entry may be ``-1``): a view when the strides allow,
    otherwise a copy.

    Example:
        >>> import lightgrad
        >>> lightgrad.arange(6).reshape(2, -1).shape
        lightgrad.Size([2, 3])
    """
    input = as_tensor_arg(input, "reshape")
    return _reshape(input, _int_args((shape,), "reshape", "shape"))


def _reshape(input: Tensor, shape: tuple[int, ...]) -> Tensor:
    data = input.data
    if shape != data.shape:
        shape = _infer_size(shape, data.size, "reshape")
    if not _viewable(data, shape):
        input = Clone.apply(input, "C")
    return Reshape.apply(input, shape)


def _reshape_method(self: Tensor, *shape: Any) -> Tensor:
    if not shape:
        raise TypeError("reshape: missing 1 required positional argument: 'shape'")
    return _reshape(self, _int_args(shape, "reshape", "shape"))


def view(input: Tensor, *shape: Any) -> Tensor:
    """``input`` seen with another ``shape``, sharing its memory; an error when the strides do
    not allow it (use :func:`reshape`)."""
    if len(shape) == 1 and not isinstance(shape[0], list | tuple | Tensor | int | np.integer):
        raise NotImplementedError(f"view: viewing as another dtype ({shape[0]!r}) is not "
                                  "supported")
    if not shape:
        raise TypeError("view: missing 1 required positional argument: 'size'")
    shape = _int_args(shape, "view", "size")
    data = input.data
    if shape != data.shape:
        shape = _infer_size(shape, data.size, "view")
    if not _viewable(data, shape):
        raise RuntimeError(f"view: view size is not compatible with input tensor's size and "
                           f"stride (at least one dimension spans across two contiguous "
                           f"subspaces): shape {tuple(data.shape)} with strides {input.stride()} "
                           f"cannot be viewed as {shape}. Use .reshape(...) instead.")
    return Reshape.apply(input, shape)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.view(other.shape)``."""
    return view(input, tuple(other.shape))


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.reshape(other.shape)``."""
    return reshape(input, tuple(other.shape))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (a 0-d input becomes 1-d)."""
    input = as_tensor_arg(input, "flatten")
    nd = input.ndim
    s = _wrap_dim(start_dim, nd, "flatten", "start_dim")
    e = _wrap_dim(end_dim, nd, "flatten", "end_dim")
    if s > e:
        raise RuntimeError(f"flatten: flatten() has invalid args: start_dim cannot come after "
                           f"end_dim (got start_dim={start_dim}, end_dim={end_dim} for a "
                           f"{nd}-d tensor)")
    if nd == 0:
        return reshape(input, (1,))
    if s == e:
        return input
    shp = input.data.shape
    return reshape(input, shp[:s] + (math.prod(shp[s:e + 1]),) + shp[e + 1:])


def ravel(input: Tensor) -> Tensor:
    """``input`` flattened to 1-d."""
    return reshape(input, (-1,))


def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one entry may be ``-1``)."""
    input = as_tensor_arg(input, "unflatten")
    if input.ndim == 0:
        raise RuntimeError("unflatten: Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, input.ndim, "unflatten")
    sizes = _int_args((sizes,), "unflatten", "sizes")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.data.shape[d]
    try:
        sizes = _infer_size(sizes, n, "unflatten")
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({n}) in the input tensor (shape "
                           f"{tuple(input.shape)})") from None
    shp = input.data.shape
    return reshape(input, shp[:d] + sizes + shp[d + 1:])


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Remove dims of size 1 (all of them, or those in ``dim`` that have size 1)."""
    input = as_tensor_arg(input, "squeeze")
    shp = input.data.shape
    axes = set(wrap_dims(dim if dim is None else _dims_arg(dim, "squeeze", "dim"), input.ndim,
                         "squeeze"))
    new = tuple(s for i, s in enumerate(shp) if not (i in axes and s == 1))
    return Reshape.apply(input, new)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim`` (in ``[-ndim - 1, ndim]``)."""
    input = as_tensor_arg(input, "unsqueeze")
    shp = input.data.shape
    d = _wrap_dim(dim, len(shp) + 1, "unsqueeze")
    return Reshape.apply(input, shp[:d] + (1,) + shp[d:])


# ----------------------------------------------------------------------------- axes
def permute(input: Tensor, dims: Any) -> Tensor:
    """Reorder the dims: ``out.shape[i] = input.shape[dims[i]]`` (a view).

    Example:
        >>> import lightgrad
        >>> lightgrad.zeros(2, 3, 4).permute(2, 0, 1).shape
        lightgrad.Size([4, 2, 3])
    """
    input = as_tensor_arg(input, "permute")
    return _permute(input, _int_args((dims,), "permute", "dims"))


def _permute(input: Tensor, dims: tuple[int, ...]) -> Tensor:
    nd = input.data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute: number of dims don't match: input.dim() = {nd} (shape "
                           f"{tuple(input.shape)}) is not equal to len(dims) = {len(dims)} "
                           f"(dims {dims})")
    w = tuple(d + nd if d < 0 else d for d in dims)
    if any(not 0 <= d < nd for d in w):
        w = tuple(_wrap_dim(d, nd, "permute") for d in dims)
    if len(set(w)) != nd:
        raise RuntimeError(f"permute: duplicate dims are not allowed (got dims {dims})")
    return Permute.apply(input, w)


def _permute_method(self: Tensor, *dims: Any) -> Tensor:
    return _permute(self, _int_args(dims, "permute", "dims"))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dims ``dim0`` and ``dim1`` (a view)."""
    input = as_tensor_arg(input, "transpose")
    nd = input.ndim
    a = _wrap_dim(dim0, nd, "transpose", "dim0")
    b = _wrap_dim(dim1, nd, "transpose", "dim1")
    perm = list(range(nd))
    if nd:
        perm[a], perm[b] = perm[b], perm[a]
    return Permute.apply(input, tuple(perm))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a matrix (0-d and 1-d tensors are returned as they are)."""
    input = as_tensor_arg(input, "t")
    if input.ndim > 2:
        raise RuntimeError(f"t: t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D (shape {tuple(input.shape)})")
    return Permute.apply(input, tuple(range(input.ndim))[::-1])


def _T(self: Tensor) -> Tensor:
    return Permute.apply(self, tuple(range(self.ndim))[::-1])


def _mT(self: Tensor) -> Tensor:
    if self.ndim < 2:
        raise RuntimeError(f"mT: tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self.ndim}-D tensor.")
    return transpose(self, -2, -1)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the others keep their order."""
    input = as_tensor_arg(input, "movedim")
    nd = input.ndim
    src = _dims_arg(source, "movedim", "source")
    dst = _dims_arg(destination, "movedim", "destination")
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    s = [_wrap_dim(d, nd, "movedim", "source") for d in src]
    e = [_wrap_dim(d, nd, "movedim", "destination") for d in dst]
    if len(set(s)) != len(s):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(e)) != len(e):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    if nd == 0:
        return Permute.apply(input, ())
    perm = [-1] * nd
    for a, b in zip(s, e):
        perm[b] = a
    rest = iter(d for d in range(nd) if d not in s)
    perm = [p if p >= 0 else next(rest) for p in perm]
    return Permute.apply(input, tuple(perm))


moveaxis = movedim


# ----------------------------------------------------------------------------- expand / repeat
def expand(input: Tensor, *sizes: Any) -> Tensor:
    """A view of ``input`` broadcast to ``sizes`` (``-1`` keeps a size; new dims go in front).

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1], [2]]).expand(2, 3)
        tensor([[1, 1, 1],
                [2, 2, 2]])
    """
    input = as_tensor_arg(input, "expand")
    sizes = _int_args(sizes, "expand", "size")
    shp = input.data.shape
    lead = len(sizes) - len(shp)
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({len(shp)}): "
                           f"sizes {list(sizes)}, tensor shape {list(shp)}")
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: the expanded size of the tensor ({s}) isn't allowed "
                                   f"in a leading, non-existing dimension {i} (sizes "
                                   f"{list(sizes)}, tensor shape {list(shp)})")
            out.append(s)
            continue
        have = shp[i - lead]
        if s == -1:
            s = have
        elif have != s and have != 1:
            raise RuntimeError(f"expand: The expanded size of the tensor ({s}) must match the "
                               f"existing size ({have}) at non-singleton dimension {i}. Target "
                               f"sizes: {list(sizes)}. Tensor sizes: {list(shp)}")
        elif s < 0:
            raise RuntimeError(f"expand: invalid size {s} at dimension {i} (sizes "
                               f"{list(sizes)})")
        out.append(s)
    return Expand.apply(input, tuple(out))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.expand(other.shape)``."""
    return expand(input, tuple(other.shape))


def broadcast_to(input: Tensor, size: Any) -> Tensor:
    """``input`` broadcast to ``size`` (``expand``)."""
    return expand(input, size)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    ts = _tensors(tensors, "broadcast_tensors")
    shape = broadcast_shapes("broadcast_tensors", *(x.data.shape for x in ts))
    return tuple(x if x.data.shape == shape else Expand.apply(x, shape) for x in ts)


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """``input`` tiled ``sizes[d]`` times along each dim; ``len(sizes) >= input.ndim``."""
    input = as_tensor_arg(input, "repeat")
    sizes = _int_args(sizes, "repeat", "repeats")
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat: Number of dimensions of repeat dims can not be smaller than "
                           f"number of dimensions of tensor (repeats {list(sizes)}, tensor shape "
                           f"{list(input.shape)})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: trying to create tensor with negative dimension: repeats "
                           f"{list(sizes)}")
    return Repeat.apply(input, sizes)


def tile(input: Tensor, dims: Any) -> Tensor:
    """``repeat`` with ``dims`` padded with leading 1s to the tensor's ndim."""
    input = as_tensor_arg(input, "tile")
    dims = _int_args((dims,), "tile", "dims")
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


# ----------------------------------------------------------------------------- joining
def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors along an existing ``dim``; dtypes are promoted as in PyTorch.

    Example:
        >>> import lightgrad
        >>> lightgrad.cat([lightgrad.zeros(2, 3), lightgrad.ones(1, 3)]).shape
        lightgrad.Size([3, 3])
    """
    ts = _tensors(tensors, "cat")
    if not ts:
        raise ValueError("cat: expected a non-empty list of Tensors")
    for i, x in enumerate(ts):
        if x.ndim == 0:
            raise RuntimeError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    ts = _promote_all(ts, "cat")
    # PyTorch's legacy rule: 1-d empty tensors are skipped (after taking part in promotion)
    if any(x.data.shape == (0,) for x in ts):
        kept = [x for x in ts if x.data.shape != (0,)]
        if not kept:  # nothing but legacy empties: PyTorch does not even check dim
            return Cat.apply(*ts, 0)
        ts = kept
    rshape = ts[0].data.shape
    nd = len(rshape)
    d = _wrap_dim(dim, nd, "cat")
    for i, x in enumerate(ts):
        shp = x.data.shape
        if shp == rshape:
            continue
        if len(shp) != nd:
            raise RuntimeError(f"cat: Tensors must have same number of dimensions: got {nd} and "
                               f"{len(shp)} (shapes {tuple(rshape)} and {tuple(shp)})")
        for k in range(nd):
            if k != d and shp[k] != rshape[k]:
                raise RuntimeError(f"cat: Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {rshape[k]} but got size {shp[k]} for tensor "
                                   f"number {i} in the list (shapes {tuple(rshape)} and "
                                   f"{tuple(shp)})")
    return Cat.apply(*ts, d)


concat = concatenate = cat


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new ``dim``.

    Example:
        >>> import lightgrad
        >>> lightgrad.stack([lightgrad.zeros(3), lightgrad.ones(3)], dim=1).shape
        lightgrad.Size([3, 2])
    """
    ts = _tensors(tensors, "stack")
    if not ts:
        raise RuntimeError("stack: expects a non-empty TensorList")
    shp = ts[0].data.shape
    for i, x in enumerate(ts):
        if x.data.shape != shp:
            raise RuntimeError(f"stack: stack expects each tensor to be equal size, but got "
                               f"{list(shp)} at entry 0 and {list(x.data.shape)} at entry {i}")
    d = _wrap_dim(dim, len(shp) + 1, "stack")
    return Stack.apply(*_promote_all(ts, "stack"), d)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor viewed with at least 1 dim."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor viewed with at least 2 dims (1-d ``(n,)`` becomes ``(1, n)``)."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor viewed with at least 3 dims (``(n,)`` -> ``(1, n, 1)``, ``(m, n)`` ->
    ``(m, n, 1)``)."""
    return _atleast(tensors, 3)


def _atleast(tensors: tuple, n: int) -> Any:
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    out = []
    for x in _tensors(tensors, f"atleast_{n}d"):
        s = x.data.shape
        if len(s) < n:
            if not s:
                new = (1,) * n
            elif len(s) == 1:
                new = (1,) + s + (1,) * (n - 2)  # (n,) -> (1, n) or (1, n, 1)
            else:
                new = s + (1,)  # (m, n) -> (m, n, 1)
            x = Reshape.apply(x, new)
        out.append(x)
    return out[0] if single else tuple(out)


def hstack(tensors: Any) -> Tensor:
    """Join along dim 1 (dim 0 for 1-d tensors)."""
    ts = atleast_1d(_tensors(tensors, "hstack"))
    return cat(ts, 0 if ts and ts[0].ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    """Join along dim 0 after making each tensor at least 2-d."""
    return cat(atleast_2d(_tensors(tensors, "vstack")), 0)


def dstack(tensors: Any) -> Tensor:
    """Join along dim 2 after making each tensor at least 3-d."""
    return cat(atleast_3d(_tensors(tensors, "dstack")), 2)


# ----------------------------------------------------------------------------- splitting
def _pieces(input: Tensor, d: int, bounds: list[tuple[int, int]]) -> tuple[Tensor, ...]:
    nd = input.ndim
    return tuple(Narrow.apply(input, _sl(nd, d, slice(a, b))) for a, b in bounds)


def _bounds(sizes: Any) -> list[tuple[int, int]]:
    out, start = [], 0
    for s in sizes:
        out.append((start, start + s))
        start += s
    return out


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces of ``split_size`` (the last may be smaller) or of the listed sizes.

    Each piece is a view; its gradient flows back into its slice of ``tensor``.

    Example:
        >>> import lightgrad
        >>> [p.tolist() for p in lightgrad.arange(5).split(2)]
        [[0, 1], [2, 3], [4]]
    """
    tensor = as_tensor_arg(tensor, "split", "tensor")
    if tensor.ndim == 0:
        raise RuntimeError("split: split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, tensor.ndim, "split")
    n = tensor.data.shape[d]
    if isinstance(split_size_or_sections, list | tuple):
        sizes = _int_args((split_size_or_sections,), "split", "split_sizes")
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise RuntimeError(f"split: split_with_sizes expects split_sizes to sum exactly to "
                               f"{n} (input tensor's size at dimension {d}), but got "
                               f"split_sizes={list(sizes)} (shape {tuple(tensor.shape)})")
        return _pieces(tensor, d, _bounds(sizes))
    size = _int(split_size_or_sections, "split", "split_size")
    if size < 0:
        raise RuntimeError(f"split: split expects split_size be non-negative, but got "
                           f"split_size={size}")
    if size == 0:
        if n:
            raise RuntimeError(f"split: split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        return _pieces(tensor, d, [(0, 0)])
    return _pieces(tensor, d, [(a, min(a + size, n)) for a in range(0, max(n, 1), size)])


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of ``ceil(n / chunks)`` (fewer if the sizes run out)."""
    input = as_tensor_arg(input, "chunk")
    chunks = _int(chunks, "chunk", "chunks")
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input.ndim == 0:
        raise RuntimeError("chunk: chunk expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, input.ndim, "chunk")
    n = input.data.shape[d]
    if n == 0:
        return _pieces(input, d, [(0, 0)] * chunks)
    return split(input, -(-n // chunks), d)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices of ``input`` along ``dim``, with that dim removed (views)."""
    input = as_tensor_arg(input, "unbind")
    if input.ndim == 0:
        raise IndexError("unbind: Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, input.ndim, "unbind")
    nd = input.ndim
    return tuple(Narrow.apply(input, _sl(nd, d, i)) for i in range(input.data.shape[d]))


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``sections`` near-equal pieces (the first ``n % sections`` one longer) or at the
    given ``indices``."""
    input = as_tensor_arg(input, "tensor_split")
    if input.ndim == 0:
        raise RuntimeError("tensor_split: expected at least a 1-dimensional tensor")
    d = _wrap_dim(dim, input.ndim, "tensor_split")
    n = input.data.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        ios = ios.item() if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, list | tuple):
        idx = [_int(i, "tensor_split", "indices", k) for k, i in enumerate(ios)]
        ends = [min(max(i + n if i < 0 else i, 0), n) for i in idx]  # Python slice rules
        starts = [0] + ends
        return _pieces(input, d, [(a, max(a, b)) for a, b in zip(starts, ends + [n])])
    sections = _int(ios, "tensor_split", "sections")
    if sections <= 0:
        raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got "
                           f"{sections}")
    q, r = divmod(n, sections)
    return _pieces(input, d, _bounds([q + 1] * r + [q] * (sections - r)))


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``input[..., start:start + length, ...]`` along ``dim`` (a view; ``start`` may be
    negative)."""
    input = as_tensor_arg(input, "narrow")
    if input.ndim == 0:
        raise RuntimeError("narrow: narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim, "narrow")
    n = input.data.shape[d]
    start = _int(start, "narrow", "start")
    length = _int(length, "narrow", "length")
    if length < 0:
        raise RuntimeError(f"narrow: narrow(): length must be non-negative, got {length}")
    if not -n <= start <= n:
        raise IndexError(f"narrow: start out of range (expected to be in range of [{-n}, {n}], "
                         f"but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size "
                           f"({n}) of dim {d} (shape {tuple(input.shape)})")
    return Narrow.apply(input, _sl(input.ndim, d, slice(start, start + length)))


# ----------------------------------------------------------------------------- pad
_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad ``input``; ``pad = (left, right, top, bottom, ...)`` pads the last dim first.

    Args:
        input: the tensor.
        pad: ``2k`` ints, the (before, after) pads of the last ``k`` dims, last dim first.
            Negative pads crop.
        mode: ``"constant"`` (fill with ``value``, default 0), ``"reflect"`` (mirror without
            repeating the edge), ``"replicate"`` (repeat the edge) or ``"circular"`` (wrap);
            the last three pad the last 1-3 dims of a batched or unbatched input, as PyTorch.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.pad(lightgrad.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    input = as_tensor_arg(input, "pad")
    p = _int_args((pad,), "pad", "pad")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: Unrecognised padding mode {mode!r} (expected one of "
                                  f"{_PAD_MODES})")
    if len(p) % 2:
        raise RuntimeError(f"pad: Padding length must be divisible by 2, got {len(p)} (pad {p})")
    k = len(p) // 2
    nd = input.ndim
    shp = input.data.shape
    if k > nd:
        raise RuntimeError(f"pad: Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(p)} and input of "
                           f"dimension {nd} (shape {tuple(shp)})")
    pads = [(0, 0)] * nd
    for i in range(k):
        pads[nd - 1 - i] = (p[2 * i], p[2 * i + 1])
    if mode == "constant":
        for d, (b, a) in enumerate(pads):
            if shp[d] - max(-b, 0) - max(-a, 0) < 0 <= shp[d] + b + a:
                raise RuntimeError(f"pad: negative padding ({b}, {a}) crops more than the size "
                                   f"{shp[d]} of dimension {d} (shape {tuple(shp)})")
            if shp[d] + b + a < 0:
                raise RuntimeError(f"pad: The input size {shp[d]}, plus negative padding {b} and "
                                   f"{a} resulted in a negative output size, which is invalid. "
                                   f"Check dimension {d} of your input (shape {tuple(shp)}).")
        fill = 0 if value is None else value
        return Pad.apply(input, tuple(pads), mode, fill)
    if value is not None and value != 0:
        raise RuntimeError(f'pad: Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad: Padding size {len(p)} is not supported for {nd}D input tensor (shape "
            f"{tuple(shp)}) in mode {mode!r}. Supported combinations for non-constant padding: "
            "2D or 3D input with padding size 2, 3D or 4D with 4, 4D or 5D with 6")
    for d in range(nd - k - 1 if nd == k + 2 else 0, nd):
        if mode != "circular" and d >= nd - k - 1 and shp[d] == 0:
            raise RuntimeError(f"pad: Expected {k + 1}D or {k + 2}D (batch mode) tensor with "
                               f"possibly 0 batch size and other non-zero dimensions for input, "
                               f"but got shape {tuple(shp)}")
    for d in range(nd - k, nd):
        b, a = pads[d]
        n = shp[d]
        if mode == "reflect" and (b >= n or a >= n):
            raise RuntimeError(f"pad: Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({b}, {a}) at "
                               f"dimension {d} of input {tuple(shp)}")
        m = n - max(-b, 0) - max(-a, 0)
        if mode == "circular" and (b > m or a > m or m <= 0):
            # stricter than PyTorch when one side crops: it would read unwritten memory
            raise RuntimeError(f"pad: Padding value causes wrapping around more than once: "
                               f"padding ({b}, {a}) at dimension {d} of input {tuple(shp)}")
    outs = [shp[d] + pads[d][0] + pads[d][1] for d in range(nd - k, nd)]
    if min(outs) < 0 or max(outs) < 1:
        raise RuntimeError(f"pad: input of shape {tuple(shp)} is too small for padding {p}: "
                           f"calculated output sizes {outs} of the last {k} dims")
    return Pad.apply(input, tuple(pads), mode, None)


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


# ----------------------------------------------------------------------------- copies
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy of ``input`` (same layout), differentiable."""
    input = as_tensor_arg(input, "clone")
    return Clone.apply(input, "K")


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """``input`` itself if it is C-contiguous, else a contiguous copy."""
    if input.data.flags.c_contiguous:
        return input
    return Clone.apply(input, "C")


def _copy(dst: Tensor, src: Any) -> Tensor:
    return Copy.apply(dst, src)


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast to ``self``'s shape, cast to its dtype) into ``self``, in place;
    the gradient flows to ``src``."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_: argument 'src' must be a Tensor, got {type(src).__name__}")
    ss, ds = src.data.shape, self.data.shape
    if ss != ds:
        ok = len(ss) <= len(ds) and all(a == b or a == 1 for a, b in
                                        zip(ss[::-1], ds[::-1]))
        if not ok:
            raise RuntimeError(f"copy_: the source of shape {tuple(ss)} cannot be broadcast to "
                               f"the destination shape {tuple(ds)}")
    if src.device != self.device:
        src = to(src, self.device)
    return inplace(self, _copy, src, op="copy_")


# ----------------------------------------------------------------------------- Tensor methods
_TT: Any = Tensor
for _name, _fn in {
    "reshape": _reshape_method, "view": view, "view_as": view_as, "reshape_as": reshape_as,
    "flatten": flatten, "ravel": ravel, "unflatten": unflatten, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "permute": _permute_method, "transpose": transpose,
    "swapaxes": transpose, "swapdims": transpose, "t": t, "movedim": movedim,
    "moveaxis": movedim, "expand": expand, "expand_as": expand_as, "broadcast_to": broadcast_to,
    "repeat": repeat, "tile": tile, "split": split, "chunk": chunk, "unbind": unbind,
    "tensor_split": tensor_split, "narrow": narrow, "flip": _flip_method, "fliplr": fliplr,
    "flipud": flipud, "roll": roll, "tril": tril, "triu": triu, "clone": clone,
    "contiguous": contiguous, "copy_": copy_, "diagonal": diagonal, "diag": diag,
    "diag_embed": diag_embed,
}.items():
    setattr(_TT, _name, _fn)
_TT.T = property(_T)
_TT.mT = property(_mT)
_TT.tril_ = lambda self, diagonal=0: inplace(self, tril, diagonal, op="tril_")
_TT.triu_ = lambda self, diagonal=0: inplace(self, triu, diagonal, op="triu_")
