"""Joining and splitting: cat/stack/hstack/vstack/dstack/atleast_nd, split/chunk/unbind/
tensor_split and narrow (``Narrow`` is a view of its input).
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor, _wrap_dim
from .movement_args import _int, _int_args, _promote_all, _sl, _tensors
from .operands import as_tensor_arg, get_xp
from .shape import Reshape

__all__ = [
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "atleast_1d",
    "atleast_2d", "atleast_3d", "split", "chunk", "unbind", "tensor_split", "narrow",
]


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
