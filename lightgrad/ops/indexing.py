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
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..autograd.engine import unbroadcast
from ..autograd.function import Function
from ..autograd.grad_mode import _state
from ..backend_kernels import flat_add_, flat_sum, index_add_rows, scatter_mul
from ..tensor import Tensor
from .convert import cast
from .inplace import inplace
from .operands import as_tensor_arg, broadcast_shapes, check_same_device, get_xp, wrap_dim

__all__ = [
    "gather", "scatter", "scatter_add", "index_select", "index_add", "index_put",
    "masked_fill", "masked_select", "take", "take_along_dim", "nonzero", "argwhere",
]

_intp = np.intp
_SCALARS = (bool, int, float, np.bool_, np.integer, np.floating)


def _prod(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


# ----------------------------------------------------------------------------- accumulation
# the scatter-add kernels are device-specific: they live in lightgrad/backend_kernels.py
_index_add_rows = index_add_rows
_flat_add_ = flat_add_
_flat_sum = flat_sum


def _check_range(xp: Any, arr: Any, n: int, dim: int, op: str, negative: bool = True,
                 exc: type = IndexError) -> Any:
    """Raise when an index is out of ``[-n, n)`` (``[0, n)`` without ``negative``); return
    the indices with negatives wrapped."""
    if arr.size == 0:
        return arr
    lo = int(arr.min())
    hi = int(arr.max())
    if hi >= n:
        raise exc(f"{op}: index {hi} is out of bounds for dimension {dim} with size {n}")
    if lo < (-n if negative else 0):
        raise exc(f"{op}: index {lo} is out of bounds for dimension {dim} with size {n}")
    if lo < 0:
        arr = xp.where(arr < 0, arr + n, arr)
    return arr


# ----------------------------------------------------------------------------- key parsing
_INDEX_TYPES_MSG = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                    "tensors are valid indices")


def _seq_as_tuple(key: list) -> bool:
    """PyTorch reads a short list holding slices, None, ... or sequences as a tuple key."""
    if len(key) >= 32:
        return False
    for k in key:
        if k is None or k is Ellipsis or isinstance(k, Tensor | slice | list | tuple | np.ndarray):
            return True
    return False


def _index_array(arr: Any, op: str, zero_dim_as_int: bool) -> tuple[str, Any]:
    """Classify an array index: ('int', i), ('bool', b), ('arr', a) or ('mask', m)."""
    k = arr.dtype.kind
    if k == "b" or arr.dtype == np.uint8:
        if k != "b":
            warnings.warn("indexing with dtype uint8 is deprecated, please use a dtype bool "
                          "instead", UserWarning, stacklevel=4)
            arr = arr.astype(bool)
        if arr.ndim == 0:
            return "bool", bool(arr)
        return "mask", arr
    if arr.dtype not in (np.int64, np.int32):
        raise IndexError(f"{op}: tensors used as indices must be long, int, byte or bool "
                         f"tensors, got dtype {arr.dtype}")
    if arr.ndim == 0 and zero_dim_as_int:
        return "int", int(arr)
    return "arr", arr


def _classify(k: Any, op: str, zero_dim_as_int: bool) -> tuple[str, Any]:
    if isinstance(k, int | np.integer):
        if isinstance(k, bool | np.bool_):
            return "bool", bool(k)
        return "int", int(k)
    if isinstance(k, slice):
        start, stop, step = k.start, k.stop, k.step
        try:
            if start is not None and not isinstance(start, int):
                start = operator.index(start)
            if stop is not None and not isinstance(stop, int):
                stop = operator.index(stop)
            if step is not None and not isinstance(step, int):
                step = operator.index(step)
        except TypeError:
            raise TypeError(f"{op}: slice indices must be integers or None or have an "
                            f"__index__ method, got {k!r}") from None
        if step is not None:
            if step == 0:
                raise ValueError(f"{op}: slice step cannot be zero")
            if step < 0:
                raise ValueError(f"{op}: step must be greater than zero (got slice step {step})")
        return "slice", slice(start, stop, step)
    if k is None:
        return "none", None
    if k is Ellipsis:
        return "ell", None
    if isinstance(k, Tensor):
        return _index_array(k.data, op, zero_dim_as_int)
    if isinstance(k, np.ndarray):
        return _index_array(k, op, zero_dim_as_int)
    if isinstance(k, list | tuple):
        if len(k) == 0:
            return "arr", np.zeros(0, dtype=np.int64)
        try:
            arr = Tensor(k).data
        except (TypeError, ValueError):
            raise IndexError(f"{op}: {_INDEX_TYPES_MSG} (got a list that is not a nested "
                             f"list of integers or bools: {k!r})") from None
        if arr.dtype.kind == "f":  # PyTorch reads a list of floats as int64 (truncating)
            arr = arr.astype(np.int64)
        return _index_array(arr, op, False)
    if backend.get_array_module(k) is not np:  # a CuPy array
        return _index_array(k, op, zero_dim_as_int)
    if not isinstance(k, float | complex | str) and hasattr(k, "__index__"):
        return "int", operator.index(k)
    raise IndexError(f"{op}: {_INDEX_TYPES_MSG} (got {type(k).__name__})")


class _Plan:
    """A parsed index key.

    ``bk``: the basic NumPy key (ints, slices, None, trailing ``...``) or ``None`` when it is
    the identity; ``ak``: the advanced NumPy key applied to ``x[bk]`` (``None``: basic only).
    ``mid``: the shape of ``x[bk]``; ``adv``: ``(pos, dim, array, is_mask)`` per index array,
    ``pos`` being its first axis in ``mid`` and ``dim`` the input's dim (for messages);
    ``axes``: the axes of ``mid`` the index arrays consume.
    """

    __slots__ = ("shape", "bk", "ak", "mid", "adv", "axes", "op", "_bshape")

    def __init__(self, shape: tuple, bk: Any, ak: Any, mid: tuple, adv: list, axes: list,
                 op: str) -> None:
        self.shape, self.bk, self.ak, self.mid, self.adv, self.axes = shape, bk, ak, mid, adv, axes
        self.op = op
        self._bshape: tuple | None = None

    @property
    def mask_only(self) -> bool:
        """One bool mask and no other index array: no index can repeat."""
        return len(self.adv) == 1 and self.adv[0][3]

    @property
    def adjacent(self) -> bool:
        a = self.axes
        return a[-1] - a[0] == len(a) - 1

    def bshape(self) -> tuple:
        """The broadcast shape of the index arrays (a mask counts as its nonzero count)."""
        if self._bshape is None:
            shapes = [(int(a.sum()),) if m else tuple(a.shape) for _, _, a, m in self.adv]
            try:
                self._bshape = tuple(np.broadcast_shapes(*shapes))
            except ValueError:
                shown = ", ".join(str(list(s)) for s in shapes)
                raise IndexError(f"{self.op}: shape mismatch: indexing tensors could not be "
                                 f"broadcast together with shapes {shown}") from None
        return self._bshape

    def result_shape(self) -> tuple:
        """The shape of ``x[key]``."""
        if self.ak is None:
            return self.mid
        b, mid, axes = self.bshape(), self.mid, self.axes
        if self.adjacent:
            return mid[: axes[0]] + b + mid[axes[-1] + 1:]
        ax = set(axes)
        return b + tuple(s for i, s in enumerate(mid) if i not in ax)

    def take(self, arr: Any) -> Any:
        """``arr[key]``."""
        if self.bk is not None:
            arr = arr[self.bk]
        return arr if self.ak is None else arr[self.ak]


def _index_on(arr: Any, like: Any, op: str) -> Any:
    """An index array on the device of the indexed array ``like``: host indices move to the
    device (as in PyTorch); device indices on a CPU tensor are an error."""
    if type(arr) is type(like):
        return arr
    if type(like) is np.ndarray:
        raise RuntimeError(f"{op}: indices should be either on cpu or on the same device as "
                           f"the indexed tensor (cpu), got indices on {backend.device_of(arr)}")
    return backend.to_device_like(arr, like)


def _plan(like: Any, key: Any, op: str, zero_dim_as_int: bool = True) -> _Plan:
    """Parse ``key`` for the array ``like`` (PyTorch's rules), validating every index; index
    arrays end up on ``like``'s device."""
    shape = like.shape
    if type(key) is not tuple:
        key = tuple(key) if isinstance(key, list) and _seq_as_tuple(key) else (key,)
    items = [_classify(k, op, zero_dim_as_int) for k in key]
    ndim = len(shape)
    used = 0
    n_ell = 0
    for kind, val in items:
        if kind in ("int", "slice", "arr"):
            used += 1
        elif kind == "mask":
            used += val.ndim
        elif kind == "ell":
            n_ell += 1
    if n_ell > 1:
        raise IndexError(f"{op}: an index can only have a single ellipsis ('...')")
    if used > ndim:
        raise IndexError(f"{op}: too many indices for tensor of dimension {ndim} (got {used})")
    bk: list = []
    mid: list = []
    adv: list = []
    axes: list = []
    trivial = True
    d = 0
    for kind, val in items:
        if kind == "int":
            n = shape[d]
            if not -n <= val < n:
                raise IndexError(f"{op}: index {val} is out of bounds for dimension {d} with "
                                 f"size {n}")
            bk.append(val)
            trivial = False
            d += 1
        elif kind == "slice":
            bk.append(val)
            mid.append(len(range(*val.indices(shape[d]))))
            if val.start is not None or val.stop is not None or val.step not in (None, 1):
                trivial = False
            d += 1
        elif kind == "none" or kind == "bool":
            bk.append(None)
            mid.append(1)
            trivial = False
            if kind == "bool" and not val:  # x[False]: an empty index on the new axis
                axes.append(len(mid) - 1)
                adv.append((len(mid) - 1, d, _index_on(np.zeros(0, dtype=np.int64), like, op),
                            False))
        elif kind == "ell":
            k = ndim - used
            bk.extend([slice(None)] * k)
            mid.extend(shape[d:d + k])
            d += k
        elif kind == "arr":
            n = shape[d]
            val = _index_on(val, like, op)
            xp = get_xp(val)
            val = _check_range(xp, val, n, d, op)
            axes.append(len(mid))
            adv.append((len(mid), d, val, False))
            bk.append(slice(None))
            mid.append(n)
            d += 1
        else:  # mask
            k = val.ndim
            val = _index_on(val, like, op)
            if tuple(val.shape) != tuple(shape[d:d + k]):
                raise IndexError(f"{op}: the shape of the mask {list(val.shape)} at index {d} "
                                 f"does not match the shape of the indexed tensor "
                                 f"{list(shape)} at index {d}")
            axes.extend(range(len(mid), len(mid) + k))
            adv.append((len(mid), d, val, True))
            bk.extend([slice(None)] * k)
            mid.extend(shape[d:d + k])
            d += k
    mid.extend(shape[d:])
    ak = None
    if adv:
        akl: list = []
        p = 0
        for pos, _, arr, is_mask in adv:
            akl.extend([slice(None)] * (pos - p))
            akl.append(arr)
            p = pos + (arr.ndim if is_mask else 1)
        ak = tuple(akl)
    plan = _Plan(tuple(shape), None if trivial else tuple(bk) + (Ellipsis,), ak, tuple(mid),
                 adv, axes, op)
    if len(adv) > 1:
        plan.bshape()  # validate broadcasting now, with a clear message
    return plan


def _adv_perm(plan: _Plan) -> list:
    """The axes of ``x[bk]`` with the advanced ones first (the layout of :func:`_adv_sums`)."""
    ax = set(plan.axes)
    return list(plan.axes) + [i for i in range(len(plan.mid)) if i not in ax]


def _adv_sums(xp: Any, plan: _Plan, vals: Any, out: Any = None) -> Any:
    """Sum ``vals`` (shaped like ``x[key]``) into the positions the advanced key selects in
    ``x[bk]``, laid out as ``x[bk].transpose(_adv_perm(plan))`` (into ``out``, zeros of that
    shape and C-contiguous, when given)."""
    mid, axes = plan.mid, plan.axes
    ind: list = []
    for _, _, arr, is_mask in plan.adv:
        if is_mask:
            ind.extend(xp.nonzero(arr))
        else:
            ind.append(arr)
    sa = [mid[a] for a in axes]
    lin = None
    st = 1
    for j in range(len(axes) - 1, -1, -1):
        term = ind[j].astype(_intp, copy=False)
        if st != 1:
            term = term * st
        lin = term if lin is None else lin + term
        st *= sa[j]
    b = plan.bshape()
    lin = xp.broadcast_to(lin, b).reshape(-1)
    nb = len(b)
    if plan.adjacent and axes[0] != 0 and nb:
        a0 = axes[0]
        perm = list(range(a0, a0 + nb)) + list(range(a0)) + list(range(a0 + nb, vals.ndim))
        vals = vals.transpose(perm)  # (B..., rest...)
    ax = set(axes)
    rest = [s for i, s in enumerate(mid) if i not in ax]
    src = vals.reshape(_prod(b), _prod(rest))
    v, d = _prod(sa), _prod(rest)
    if out is not None:
        _index_add_rows(xp, v, lin, src, out.reshape(v, d))
        return out
    return _index_add_rows(xp, v, lin, src).reshape(sa + rest)


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
