"""``gather``, ``take_along_dim``, ``scatter`` (with ``reduce``) and ``scatter_add``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend_kernels import scatter_mul
from ..tensor import Tensor
from .index_plan import _SCALARS, _check_range, _flat_add_, _flat_sum, _intp
from .operands import as_tensor_arg, broadcast_shapes, check_same_device, get_xp, wrap_dim
from .selection import Take

__all__ = [
    "gather", "scatter", "scatter_add", "take_along_dim",
]


# ----------------------------------------------------------------------------- gather/scatter
def _along_pos(xp: Any, idx: Any, dim: int, shape: tuple) -> Any:
    """Flat positions, in a C-ordered array of ``shape``, of the elements that
    ``gather``/``scatter`` along ``dim`` with ``idx`` touch (a size-1 dim of ``shape``
    broadcasts)."""
    nd = len(shape)
    st = [1] * nd
    for d in range(nd - 2, -1, -1):
        st[d] = st[d + 1] * shape[d + 1]
    pos = idx.astype(_intp) * st[dim] if st[dim] != 1 else idx.astype(_intp)
    for d in range(nd):
        n = idx.shape[d]
        if d == dim or n == 1 or shape[d] == 1:
            continue
        r = xp.arange(n, dtype=_intp) * st[d]
        pos += r.reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
    return pos


class Gather(Function):
    """``out[i][j][k] = x[i][idx[i][j][k]][k]`` (for ``dim=1``); the gradient is
    ``grad_out`` scatter-added back along ``dim``. A size-1 dim of ``x`` broadcasts (as
    ``take_along_dim`` needs)."""

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int, idx: Any) -> Any:
        ctx.shape, ctx.dim, ctx.idx = x.shape, dim, idx
        xp = get_xp(x)
        oshape = idx.shape
        if x.ndim == 0:
            x = x.reshape(1)
        if idx.ndim == 0:
            idx = idx.reshape(1)
        sl = tuple(slice(0, idx.shape[d]) if d != dim and x.shape[d] > idx.shape[d]
                   else slice(None) for d in range(x.ndim))
        out = xp.take_along_axis(x[sl], idx, axis=dim)
        return out.reshape(oshape) if out.shape != oshape else out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        shape = ctx.shape or (1,)
        idx = ctx.idx.reshape(-1) if ctx.idx.ndim == 0 else ctx.idx
        pos = _along_pos(xp, idx, ctx.dim, shape)
        return _flat_sum(xp, ctx.shape, pos, grad_out, grad_out.dtype), None, None


def _gather_checks(op: str, x: Tensor, dim: Any, index: Any, src: Any = None,
                   int64_only: bool = False) -> tuple[int, Any]:
    """Validate ``dim``/``index`` (and ``src``) of gather/scatter; return ``(dim, idx)``."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: argument 'index' must be a Tensor, got {type(index).__name__}")
    check_same_device(op, x, index)
    idx = index.data
    if int64_only and idx.dtype != np.int64:
        raise RuntimeError(f"{op}: dtype of indices should be int64 (Long) but got {idx.dtype}")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{op}: expected dtype int32/int64 for index, got {idx.dtype}")
    d = wrap_dim(dim, x.ndim, op)
    xs = tuple(x.data.shape) or (1,)
    ishape = tuple(idx.shape) or (1,)
    if len(ishape) != len(xs):
        raise RuntimeError(f"{op}: index tensor must have the same number of dimensions as the "
                           f"input tensor (index shape {list(idx.shape)}, input shape "
                           f"{list(x.data.shape)})")
    if src is not None:
        ss = tuple(src.data.shape) or (1,)
        if len(ss) != len(xs):
            raise RuntimeError(f"{op}: index tensor must have the same number of dimensions as "
                               f"the src tensor (index shape {list(idx.shape)}, src shape "
                               f"{list(src.data.shape)})")
    if idx.size:
        for k in range(len(xs)):
            if k != d and ishape[k] > xs[k]:
                raise RuntimeError(f"{op}: size does not match at dimension {k}: expected index "
                                   f"{list(idx.shape)} to be no larger than input "
                                   f"{list(x.data.shape)} apart from dimension {d}")
            if src is not None and ishape[k] > ss[k]:
                raise RuntimeError(f"{op}: expected index {list(idx.shape)} to be no larger "
                                   f"than src {list(src.data.shape)} at dimension {k}")
        _check_range(get_xp(idx), idx, xs[d], d, op, negative=False, exc=RuntimeError)
    return d, idx


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` for ``dim=1`` (likewise for other dims).

    ``index`` (int64 or int32) has ``input``'s number of dims and is no larger than ``input``
    in every dim but ``dim``; the output has ``index``'s shape.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> lightgrad.gather(x, 1, lightgrad.tensor([[0, 0], [1, 0]]))
        tensor([[1., 1.],
                [4., 3.]])
    """
    input = as_tensor_arg(input, "gather")
    d, idx = _gather_checks("gather", input, dim, index)
    return Gather.apply(input, d, idx)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (like ``gather``, but ``input`` and
    ``indices`` broadcast in the other dims); with ``dim=None`` both are flattened.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.tensor([[10.0, 30.0, 20.0], [60.0, 40.0, 50.0]])
        >>> lightgrad.take_along_dim(x, x.argmax(dim=1, keepdim=True), dim=1)
        tensor([[30.],
                [60.]])
    """
    op = "take_along_dim"
    input = as_tensor_arg(input, op)
    if not isinstance(indices, Tensor):
        raise TypeError(f"{op}: argument 'indices' must be a Tensor, got "
                        f"{type(indices).__name__}")
    if indices.data.dtype != np.int64:
        raise RuntimeError(f"{op}: dtype of indices should be int64 (Long) but got "
                           f"{indices.data.dtype}")
    if dim is None:
        flat = indices.data.reshape(-1)
        _check_range(get_xp(flat), flat, input.numel(), 0, op, negative=False)
        return Take.apply(input, flat)
    if input.ndim != indices.ndim:
        raise RuntimeError(f"{op}: input and indices should have the same number of "
                           f"dimensions, but got {input.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    if input.ndim == 0:
        raise IndexError(f"{op}: dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, input.ndim, op)
    a = list(input.data.shape)
    b = list(indices.data.shape)
    a[d] = b[d] = 1
    bs = list(broadcast_shapes(op, tuple(a), tuple(b)))
    bs[d] = indices.data.shape[d]
    xp = get_xp(indices)
    idx = indices.data
    if tuple(bs) != idx.shape:
        idx = xp.broadcast_to(idx, tuple(bs))
    _check_range(xp, idx, input.data.shape[d], d, op, negative=False, exc=RuntimeError)
    return Gather.apply(input, d, idx)


class Scatter(Function):
    """``out = x`` with ``out[i][idx[i][j]] = src[i][j]`` (``dim=1``). Gradients: ``x`` gets
    ``grad_out`` zeroed where written, ``src`` gets ``grad_out`` gathered at ``idx``."""

    @staticmethod
    def forward(ctx: Any, x: Any, src: Any, dim: int, idx: Any) -> Any:
        xp = get_xp(x)
        shape = x.shape or (1,)
        if idx.ndim == 0:
            idx = idx.reshape(1)
        pos = _along_pos(xp, idx, dim, shape)
        ctx.pos, ctx.src_shape = pos, getattr(src, "shape", None)
        out = x.copy()
        flat = out.reshape(-1)
        if ctx.src_shape is None:
            flat[pos.reshape(-1)] = src
        else:
            s = src.reshape(1) if src.ndim == 0 else src
            s = s[tuple(slice(0, n) for n in idx.shape)]
            flat[pos.reshape(-1)] = s.reshape(-1)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        nx, ns = ctx.needs_input_grad[:2]
        gx = gs = None
        if nx:
            gx = grad_out.copy()
            gx.reshape(-1)[ctx.pos.reshape(-1)] = 0
        if ns:
            gs = _gathered_src(grad_out, ctx.pos, ctx.src_shape)
        return gx, gs, None, None


def _gathered_src(grad_out: Any, pos: Any, src_shape: tuple) -> Any:
    """``grad_out`` gathered at ``pos``, zero-padded to ``src_shape`` (src may be larger)."""
    xp = get_xp(grad_out)
    g = xp.take(grad_out.reshape(-1), pos)
    ss = src_shape or (1,)
    if tuple(g.shape) != tuple(ss):
        z = xp.zeros(ss, grad_out.dtype)
        z[tuple(slice(0, n) for n in g.shape)] = g
        g = z
    return g.reshape(src_shape)


class ScatterAdd(Function):
    """``out = x`` with ``out[i][idx[i][j]] += src[i][j]`` (``dim=1``), repeated indices
    summed. Gradients: ``grad_out`` to ``x``, ``grad_out`` gathered at ``idx`` to ``src``."""

    @staticmethod
    def forward(ctx: Any, x: Any, src: Any, dim: int, idx: Any) -> Any:
        xp = get_xp(x)
        shape = x.shape or (1,)
        if idx.ndim == 0:
            idx = idx.reshape(1)
        pos = _along_pos(xp, idx, dim, shape)
        ctx.pos, ctx.src_shape = pos, getattr(src, "shape", None)
        out = x.copy()
        if ctx.src_shape is None:
            s = xp.full(idx.shape, src, dtype=x.dtype)
        else:
            s = src.reshape(1) if src.ndim == 0 else src
            s = s[tuple(slice(0, n) for n in idx.shape)]
        _flat_add_(xp, out.reshape(-1), pos, s)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        ns = ctx.needs_input_grad[1]
        gs = _gathered_src(grad_out, ctx.pos, ctx.src_shape) if ns else None
        return grad_out, gs, None, None


def _scatter_src(op: str, input: Tensor, src: Any, value: Any) -> Any:
    if src is not None and value is not None:
        raise TypeError(f"{op}: pass either src or value, not both")
    if src is None:
        src = value
    if isinstance(src, Tensor):
        if src.data.dtype != input.data.dtype:
            raise RuntimeError(f"{op}: expected self.dtype to be equal to src.dtype (got "
                               f"{input.data.dtype} and {src.data.dtype})")
        check_same_device(op, input, src)
        return src
    if isinstance(src, _SCALARS):
        return src.item() if isinstance(src, np.generic) else src
    raise TypeError(f"{op}: argument 'src' must be a Tensor or 'value' a number, got "
                    f"{type(src).__name__}")


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of ``input`` with ``out[i][index[i][j]] = src[i][j]`` for ``dim=1`` (likewise for
    other dims); ``src`` may be a tensor or a number (``value``). ``reduce='add'`` or
    ``'multiply'`` combines instead of overwriting (``'multiply'`` is not differentiable).
    With repeated indices and no ``reduce``, which value lands is unspecified.

    Example:
        >>> import lightgrad
        >>> lightgrad.scatter(lightgrad.zeros(2, 3), 1, lightgrad.tensor([[2], [0]]), 7.0)
        tensor([[0., 0., 7.],
                [7., 0., 0.]])
    """
    op = "scatter"
    input = as_tensor_arg(input, op)
    s = _scatter_src(op, input, src, value)
    d, idx = _gather_checks(op, input, dim, index, s if isinstance(s, Tensor) else None)
    if reduce is None:
        return Scatter.apply(input, s, d, idx)
    if reduce == "add":
        return ScatterAdd.apply(input, s, d, idx)
    if reduce == "multiply":
        if _state.enabled and (input._rg or isinstance(s, Tensor) and s._rg):
            raise RuntimeError(f"{op}: the derivative of scatter with reduce='multiply' is not "
                               "implemented; compute it under no_grad()")
        xp = get_xp(input)
        out = input.data.copy()
        i1 = idx.reshape(1) if idx.ndim == 0 else idx
        pos = _along_pos(xp, i1, d, input.data.shape or (1,)).reshape(-1)
        if isinstance(s, Tensor):
            sv = s.data.reshape(1) if s.data.ndim == 0 else s.data
            vals = sv[tuple(slice(0, n) for n in i1.shape)].reshape(-1)
        else:
            vals = xp.full(pos.shape, s, dtype=out.dtype)
        scatter_mul(out.reshape(-1), pos, vals)
        return Tensor._make(out)
    raise RuntimeError(f"{op}: reduce argument must be either 'add' or 'multiply', got "
                       f"{reduce!r}")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``out[i][index[i][j]] += src[i][j]`` for ``dim=1``, repeated
    indices summed.

    Example:
        >>> import lightgrad
        >>> lightgrad.scatter_add(lightgrad.zeros(3), 0, lightgrad.tensor([0, 0, 2]),
        ...                       lightgrad.tensor([1.0, 2.0, 3.0]))
        tensor([3., 0., 3.])
    """
    op = "scatter_add"
    input = as_tensor_arg(input, op)
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}: argument 'src' must be a Tensor, got {type(src).__name__}")
    s = _scatter_src(op, input, src, None)
    d, idx = _gather_checks(op, input, dim, index, s)
    return ScatterAdd.apply(input, s, d, idx)
