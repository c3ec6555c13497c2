"""Indexing: ``x[key]``, ``x[key] = v``, ``index_put``, gather/scatter, ``index_select``,
``index_add``, masked ops, ``take``, ``take_along_dim`` and ``nonzero``.

``x[key]`` follows PyTorch (which agrees with NumPy except that integers are applied before
advanced indices): ints, slices, ``None`` and ``...`` are *basic* indexing and give a view
(:class:`BasicIndex`); integer or bool index tensors are *advanced* indexing and give a copy
(:class:`Index`). A key is parsed once into an :class:`_Plan`: a basic NumPy key applied first
(a view) and, when there are index tensors, an advanced NumPy key applied to that view.

Backward of advanced indexing must add up the gradients of repeated indices. Every case is
reduced to one "rows" problem: the advanced dims are flattened into ``V`` rows, the gradient into
``(N, D)``, and :func:`_index_add_rows` sums rows by index with sorted segment sums or
``bincount`` (``ufunc.at`` only on CuPy or integer dtypes), in ``lightgrad.backend_kernels``.

The key parsing lives in :mod:`.index_plan`, gather/scatter in :mod:`.gather_scatter`, and
index_select/index_add/masked ops/take/nonzero in :mod:`.selection`; this module re-exports them
and holds ``x[key]``, ``x[key] = v``, ``index_put`` and the Tensor methods.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.engine import unbroadcast
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..tensor import Tensor
from .convert import cast
from .gather_scatter import Gather as Gather
from .gather_scatter import Scatter as Scatter
from .gather_scatter import ScatterAdd as ScatterAdd
from .gather_scatter import gather, scatter, scatter_add, take_along_dim
from .index_plan import _SCALARS, _adv_perm, _adv_sums, _Plan, _plan
from .index_plan import _index_add_rows as _index_add_rows
from .inplace import inplace
from .operands import as_tensor_arg, check_same_device, get_xp
from .selection import IndexAdd as IndexAdd
from .selection import IndexSelect as IndexSelect
from .selection import MaskedFill as MaskedFill
from .selection import MaskedSelect as MaskedSelect
from .selection import Take as Take
from .selection import (
    _masked_fill_,
    argwhere,
    index_add,
    index_select,
    masked_fill,
    masked_select,
    nonzero,
    take,
)

__all__ = [
    "gather", "scatter", "scatter_add", "index_select", "index_add", "index_put",
    "masked_fill", "masked_select", "take", "take_along_dim", "nonzero", "argwhere",
]


# ----------------------------------------------------------------------------- getitem
class BasicIndex(Function):
    """``out = x[key]`` for ints, slices, None and ``...``: a view; the gradient is
    ``grad_out`` written into zeros at ``key``."""

    _is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, key: tuple) -> Any:
        ctx.shape, ctx.key = x.shape, key
        return x[key]

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        g = get_xp(grad_out).zeros(ctx.shape, grad_out.dtype)
        g[ctx.key] = grad_out
        return g, None


class Index(Function):
    """``out = x[key]`` with index tensors (advanced indexing, a copy); the gradient sums
    ``grad_out`` over repeated indices."""

    @staticmethod
    def forward(ctx: Any, x: Any, plan: _Plan) -> Any:
        ctx.plan = plan
        return plan.take(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        plan = ctx.plan
        xp = get_xp(grad_out)
        g = xp.zeros(plan.shape, grad_out.dtype)
        gb = g if plan.bk is None else g[plan.bk]
        if plan.mask_only:
            gb[plan.ak] = grad_out
            return g, None
        perm = _adv_perm(plan)
        if plan.bk is None and perm == sorted(perm):  # sum straight into the gradient
            _adv_sums(xp, plan, grad_out, out=g)
        else:
            gb.transpose(perm)[...] = _adv_sums(xp, plan, grad_out)
        return g, None


def _simple_key(key: tuple, shape: tuple) -> bool:
    """A tuple of in-range Python ints and slices with int/None bounds and positive steps
    (the common case, checked without building a plan)."""
    if len(key) > len(shape):
        return False
    for k, n in zip(key, shape):
        tk = type(k)
        if tk is int:
            if not -n <= k < n:
                return False
        elif tk is slice:
            st = k.step
            if st is not None and (type(st) is not int or st <= 0):
                return False
            if k.start is not None and type(k.start) is not int or \
                    k.stop is not None and type(k.stop) is not int:
                return False
        else:
            return False
    return True


def _getitem(self: Tensor, key: Any) -> Tensor:
    """``self[key]`` with PyTorch's semantics: ints, slices (positive steps), None, ``...``
    give a view; integer index tensors/lists/arrays and bool masks give a copy.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.arange(12).reshape(3, 4)
        >>> x[1, ::2]
        tensor([4, 6])
        >>> x[[0, 2], -1]
        tensor([ 3, 11])
        >>> x[x > 9]
        tensor([10, 11])
    """
    if type(key) is int:  # the fast path of loops and unbinding
        shape = self.data.shape
        if not shape:
            raise IndexError("__getitem__: too many indices for tensor of dimension 0 (got 1); "
                             "use tensor.item() to read a 0-d tensor")
        if not -shape[0] <= key < shape[0]:
            raise IndexError(f"__getitem__: index {key} is out of bounds for dimension 0 with "
                             f"size {shape[0]}")
        return BasicIndex.apply(self, (key, Ellipsis))
    if type(key) is tuple and _simple_key(key, self.data.shape):
        return BasicIndex.apply(self, key + (Ellipsis,))
    plan = _plan(self.data, key, "__getitem__")
    if plan.ak is None:
        return BasicIndex.apply(self, plan.bk if plan.bk is not None else (Ellipsis,))
    return Index.apply(self, plan)


# ----------------------------------------------------------------------------- index_put
def _put(dst: Any, plan: _Plan, value: Any, accumulate: bool) -> None:
    """``dst[key] = value`` (or ``+=`` with repeated indices summed), in place."""
    view = dst if plan.bk is None else dst[plan.bk]
    if plan.ak is None:
        if accumulate:
            view += value
        else:
            view[...] = value
        return
    if not accumulate:
        view[plan.ak] = value
        return
    xp = get_xp(dst)
    if plan.mask_only:
        view[plan.ak] += value
        return
    vals = xp.broadcast_to(xp.asarray(value, dtype=dst.dtype), plan.result_shape())
    view.transpose(_adv_perm(plan))[...] += _adv_sums(xp, plan, vals)


class IndexPut(Function):
    """``out = x`` with ``out[key] = value`` (``+= value`` when accumulating). Gradients:
    ``x`` gets ``grad_out`` with the overwritten positions zeroed; ``value`` gets
    ``grad_out[key]`` summed over broadcasting."""

    @staticmethod
    def forward(ctx: Any, x: Any, value: Any, plan: _Plan, accumulate: bool) -> Any:
        ctx.plan, ctx.accumulate = plan, accumulate
        ctx.vshape = getattr(value, "shape", None)
        out = x.copy()
        _put(out, plan, _strip_leading_ones(value, plan), accumulate)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        nx, nv = ctx.needs_input_grad[:2]
        plan = ctx.plan
        gx = gv = None
        if nx:
            if ctx.accumulate:
                gx = grad_out
            else:
                gx = grad_out.copy()
                _put(gx, plan, 0, False)
        if nv:
            gv = plan.take(grad_out)
            vshape = tuple(ctx.vshape)
            core = vshape
            while len(core) > gv.ndim and core[0] == 1:
                core = core[1:]
            gv = unbroadcast(gv, core).reshape(vshape)
        return gx, gv, None, None


def _value_arg(self: Tensor, value: Any, op: str) -> Any:
    """The value of ``self[key] = value``: a Tensor or a Python scalar."""
    if isinstance(value, Tensor):
        check_same_device(op, self, value)
        return value
    if isinstance(value, _SCALARS):
        return value.item() if isinstance(value, np.generic) else value
    raise TypeError(f"{op}: can't assign a {type(value).__name__} to a lightgrad tensor; "
                    "use a Tensor or a Python number")


def _check_value_shape(plan: _Plan, value: Any, op: str) -> None:
    if not isinstance(value, Tensor):
        return
    vs = tuple(value.data.shape)
    rs = plan.result_shape()
    core = vs
    while len(core) > len(rs) and core[0] == 1:
        core = core[1:]
    ok = len(core) <= len(rs) and all(
        a == b or a == 1 for a, b in zip(core[::-1], rs[::-1]))
    if not ok:
        raise RuntimeError(f"{op}: shape mismatch: value tensor of shape {list(vs)} cannot be "
                           f"broadcast to indexing result of shape {list(rs)}")


def _strip_leading_ones(value: Any, plan: _Plan) -> Any:
    """A value array with the leading size-1 dims beyond ``x[key]``'s ndim dropped (PyTorch
    and NumPy accept them in assignments)."""
    nd = getattr(value, "ndim", 0)
    k = nd - len(plan.result_shape())
    return value.reshape(value.shape[k:]) if k > 0 else value


def _index_put_plan(x: Tensor, plan: _Plan, value: Any, accumulate: bool) -> Tensor:
    if isinstance(value, Tensor) and value.data.dtype != x.data.dtype:
        value = cast(value, x.data.dtype)
    return IndexPut.apply(x, value, plan, bool(accumulate))


def _put_direct(self: Tensor, plan: _Plan, value: Any, accumulate: bool, op: str) -> None:
    """The no-grad path of ``self[key] = value``: write straight into the buffer (the same
    semantics as ``inplace`` without an out-of-place copy of the whole tensor)."""
    data = self.data
    flags = getattr(data, "flags", None)
    if flags is not None and not getattr(flags, "writeable", True):
        raise RuntimeError(f"{op}: cannot write into this tensor in place; it is a read-only or "
                           "broadcast view: clone() it first")
    v = value.data if isinstance(value, Tensor) else value
    if isinstance(value, Tensor):
        v = _strip_leading_ones(v, plan)
        if v.dtype != data.dtype and data.dtype.kind == "b":
            v = v != 0
    elif data.dtype.kind == "b":
        v = bool(v)
    _put(data, plan, v, accumulate)
    self._vc[0] += 1


def _setitem(self: Tensor, key: Any, value: Any) -> None:
    """``self[key] = value``: ``value`` (a number or a tensor broadcast to ``self[key]``) is
    cast to ``self``'s dtype; differentiable through :class:`IndexPut` when recording.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.zeros(2, 3)
        >>> x[0, 1:] = 5.0
        >>> x[1] = lightgrad.tensor([1.0, 2.0, 3.0])
        >>> x
        tensor([[0., 5., 5.],
                [1., 2., 3.]])
    """
    op = "__setitem__"
    value = _value_arg(self, value, op)
    plan = _plan(self.data, key, op)
    _check_value_shape(plan, value, op)
    if not (_state.enabled and (self._rg or (isinstance(value, Tensor) and value._rg))):
        _put_direct(self, plan, value, False, op)
        return
    inplace(self, lambda s, v: _index_put_plan(s, plan, v, False), value, op=op)


def _indices_plan(x: Tensor, indices: Any, op: str) -> _Plan:
    if not isinstance(indices, tuple | list):
        raise TypeError(f"{op}: indices must be a tuple or list of tensors, got "
                        f"{type(indices).__name__}")
    key: list[Any] = []
    for i, t in enumerate(indices):
        if t is None:
            key.append(slice(None))
        elif isinstance(t, Tensor | np.ndarray | list):
            key.append(t if not isinstance(t, list) else Tensor(t) if t else
                       np.zeros(0, dtype=np.int64))
        else:
            raise TypeError(f"{op}: expected a Tensor as element {i} of indices, got "
                            f"{type(t).__name__}")
    return _plan(x.data, tuple(key), op, zero_dim_as_int=False)


def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``out[indices] = values`` (``+=`` when ``accumulate``, repeated
    indices summed). ``indices`` is a tuple of index tensors, one per leading dim.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.zeros(3)
        >>> lightgrad.index_put(x, (lightgrad.tensor([0, 0, 2]),), lightgrad.tensor(1.0),
        ...                     accumulate=True)
        tensor([2., 0., 1.])
    """
    op = "index_put"
    input = as_tensor_arg(input, op)
    if not isinstance(values, Tensor):
        raise TypeError(f"{op}: argument 'values' must be a Tensor, got {type(values).__name__}")
    if values.data.dtype != input.data.dtype:
        raise RuntimeError(f"{op}: index put requires the source and destination dtypes match, "
                           f"got {input.data.dtype} for the destination and "
                           f"{values.data.dtype} for the source")
    check_same_device(op, input, values)
    plan = _indices_plan(input, indices, op)
    _check_value_shape(plan, values, op)
    return _index_put_plan(input, plan, values, accumulate)


def _index_put_(self: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    op = "index_put_"
    if not isinstance(values, Tensor):
        raise TypeError(f"{op}: argument 'values' must be a Tensor, got {type(values).__name__}")
    if values.data.dtype != self.data.dtype:
        raise RuntimeError(f"{op}: index put requires the source and destination dtypes match, "
                           f"got {self.data.dtype} for the destination and "
                           f"{values.data.dtype} for the source")
    check_same_device(op, self, values)
    plan = _indices_plan(self, indices, op)
    _check_value_shape(plan, values, op)
    if not (_state.enabled and (self._rg or values._rg)):
        _put_direct(self, plan, values, accumulate, op)
        return self
    return inplace(self, lambda s, v: _index_put_plan(s, plan, v, accumulate), values, op=op)


# ----------------------------------------------------------------------------- Tensor methods
def _scatter_(self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
              reduce: str | None = None) -> Tensor:
    return inplace(self, lambda s: scatter(s, dim, index, src, value=value, reduce=reduce),
                   op="scatter_")


def _scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return inplace(self, lambda s, v: scatter_add(s, dim, index, v), src, op="scatter_add_")


def _index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1,
                ) -> Tensor:
    return inplace(self, lambda s, v: index_add(s, dim, index, v, alpha=alpha), source,
                   op="index_add_")


def _nonzero_method(self: Tensor, *, as_tuple: bool = False) -> Any:
    return nonzero(self, as_tuple=as_tuple)


setattr(Tensor, "__getitem__", _getitem)  # noqa: B010  (dunders: Tensor declares none)
setattr(Tensor, "__setitem__", _setitem)  # noqa: B010
Tensor.index_put = index_put  # type: ignore[attr-defined]
Tensor.index_put_ = _index_put_  # type: ignore[attr-defined]
Tensor.gather = gather  # type: ignore[attr-defined]
Tensor.scatter = scatter  # type: ignore[attr-defined]
Tensor.scatter_ = _scatter_  # type: ignore[attr-defined]
Tensor.scatter_add = scatter_add  # type: ignore[attr-defined]
Tensor.scatter_add_ = _scatter_add_  # type: ignore[attr-defined]
Tensor.index_select = index_select  # type: ignore[attr-defined]
Tensor.index_add = index_add  # type: ignore[attr-defined]
Tensor.index_add_ = _index_add_  # type: ignore[attr-defined]
Tensor.masked_fill = masked_fill  # type: ignore[attr-defined]
Tensor.masked_fill_ = _masked_fill_  # type: ignore[attr-defined]
Tensor.masked_select = masked_select  # type: ignore[attr-defined]
Tensor.take = take  # type: ignore[attr-defined]
Tensor.take_along_dim = take_along_dim  # type: ignore[attr-defined]
Tensor.nonzero = _nonzero_method  # type: ignore[attr-defined]
Tensor.argwhere = argwhere  # type: ignore[attr-defined]
