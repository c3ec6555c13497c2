"""An index key parsed once into a plan (:class:`_Plan`): a basic NumPy key applied first (a
view) and, when there are index tensors, an advanced key applied to that view; plus the
row sums that undo advanced indexing in backward (repeated indices add up).
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..backend_kernels import flat_add_, flat_sum, index_add_rows
from ..tensor import Tensor
from .operands import get_xp

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
