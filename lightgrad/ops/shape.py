"""Shape ops: reshape/view/flatten/unflatten/squeeze/unsqueeze, permute/transpose/movedim,
expand/broadcast_to/broadcast_tensors and repeat/tile.

``Reshape``, ``Permute`` and ``Expand`` are views (``_is_view``): the output shares the input's
memory and version counter, as PyTorch views do.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor, _wrap_dim
from .movement_args import _dims_arg, _infer_size, _int_args, _sum_to, _tensors, _viewable
from .operands import as_tensor_arg, broadcast_shapes, get_xp, wrap_dims

__all__ = [
    "reshape", "view", "view_as", "reshape_as", "flatten", "ravel", "unflatten", "squeeze",
    "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis",
    "expand", "expand_as", "broadcast_to", "broadcast_tensors", "repeat", "tile",
]


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


class Clone(Function):
    """``out = x``, a copy (``order`` ``"K"`` keeps the layout, ``"C"`` makes it contiguous)."""

    @staticmethod
    def forward(ctx: Any, x: Any, order: str) -> Any:
        return x.copy(order=order)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return grad_out, None


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
