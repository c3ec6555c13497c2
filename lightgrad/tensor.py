"""``Tensor``: an array plus the autograd bookkeeping.

Tensor is sugar. Its arithmetic, reductions, movement and linear-algebra methods are attached by
the ``lightgrad.ops`` modules at import time (the one place the tensor <-> ops cycle is broken);
this module holds only the state and the methods that are not ops.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import backend
from .autograd.grad_mode import _state

_ndarray = np.ndarray


class Size(tuple):
    """The shape of a tensor: a tuple (``torch.Size``)."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"lightgrad.Size({list(self)})"


def _to_array(data: Any, dtype: np.dtype | None) -> Any:
    """Array from Python data, with PyTorch's dtype inference (floats -> default dtype)."""
    if isinstance(data, Tensor):
        arr = data.data
        return arr if dtype is None else arr.astype(dtype)
    xp = backend.get_array_module(data)
    if xp is not np:  # a cupy array
        return data if dtype is None else data.astype(dtype)
    if isinstance(data, list | tuple) and any(isinstance(x, Tensor) for x in _flatten(data)):
        data = _nested_tensors_to_lists(data)
    try:
        arr = np.asarray(data) if dtype is None else np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as e:  # ragged lists, strings with a numeric dtype...
        raise ValueError(f"tensor: cannot convert {type(data).__name__} data to a tensor "
                         f"(nested sequences must be rectangular and hold numbers): {e}") from None
    if dtype is None:
        k = arr.dtype.kind
        if k == "f" and not isinstance(data, np.ndarray | np.generic):
            arr = arr.astype(backend.get_default_dtype())
        elif k in "iu" and arr.dtype not in backend._SUPPORTED:
            if k == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
                raise ValueError(f"tensor: value {arr.max()} overflows int64 (lightgrad has "
                                 "no uint64 dtype)")
            arr = arr.astype(np.int64)
        elif k == "f" and arr.dtype not in backend._SUPPORTED:
            arr = arr.astype(backend.get_default_dtype())
        elif k not in "biuf":
            raise TypeError(f"tensor: cannot make a tensor from data of type {arr.dtype} "
                            f"(from {type(data).__name__})")
    return arr


def _flatten(x: Any) -> Iterator[Any]:
    if isinstance(x, list | tuple):
        for v in x:
            yield from _flatten(v)
    else:
        yield x


def _nested_tensors_to_lists(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.data.tolist()
    if isinstance(x, list | tuple):
        return [_nested_tensors_to_lists(v) for v in x]
    return x


class Tensor:
    """A multi-dimensional array that records the operations applied to it.

    Args:
        data: array-like (nested lists, scalars, NumPy or CuPy arrays).
        requires_grad: record operations for gradient computation (floating dtypes only).
        dtype: the element type; inferred as PyTorch does when omitted.

    Prefer :func:`lightgrad.tensor` to build tensors; ``Tensor(x)`` behaves the same.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    # _vfn: for a view, (parent's _vfn, view Function class, its extra args): how to replay the
    # view from its base (in-place ops on views rewrite the base through it, see ops/inplace.py)
    # _vver: the version at which a view's grad_fn was built; if the shared counter moved on
    # since (an in-place op on the base), the view's history is replayed from the base on use.
    __slots__ = ("data", "grad", "_rg", "grad_fn", "_vc", "_base", "_vfn", "_vver", "_hooks",
                 "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # so ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = _to_array(data, None if dtype is None else backend.as_dtype(dtype))
        self.grad: Tensor | None = None
        self._rg = False
        self.grad_fn: Any = None
        self._vc = [0]
        self._base: Tensor | None = None
        self._vfn: Any = None
        self._vver = 0
        self._hooks: list[Callable] | None = None
        self._retains_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, data: Any) -> Tensor:
        """Wrap an array without copying or checks (the engine's fast path)."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t._rg = False
        t.grad_fn = None
        t._vc = [0]
        t._base = None
        t._vfn = None
        t._vver = 0
        t._hooks = None
        t._retains_grad = False
        return t

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise RuntimeError(f"requires_grad: only tensors of floating point dtype can require "
                               f"gradients, got dtype {self.data.dtype}")
        if not value and self.grad_fn is not None:
            raise RuntimeError("requires_grad: you can only change requires_grad flags of leaf "
                               "variables; use detach() to get a tensor outside the graph")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        return self._vc[0]

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, outside the graph."""
        t = Tensor._make(self.data)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._rg = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after ``backward()``."""
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("retain_grad: can't retain_grad on Tensor that has "
                                   "requires_grad=False")
            return
        if not self._retains_grad:
            self._retains_grad = True
            self.grad_fn._retained = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self._rg:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't "
                               "require gradient")
        if self.grad_fn is not None:
            node = self.grad_fn
            if node._hooks is None:
                node._hooks = []
            hooks = node._hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self) -> Size:
        return Size(self.data.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self.data.shape)
        return self.data.shape[_wrap_dim(dim, self.data.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    def ndimension(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    nelement = numel

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> backend.Device:
        return backend.device_of(self.data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def element_size(self) -> int:
        return int(self.data.itemsize)

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)

    @property
    def itemsize(self) -> int:
        return int(self.data.itemsize)

    def is_contiguous(self) -> bool:
        return bool(self.data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def stride(self, dim: int | None = None) -> Any:
        st = tuple(s // self.data.itemsize for s in self.data.strides)
        return st if dim is None else st[_wrap_dim(dim, self.data.ndim, "stride")]

    # ------------------------------------------------------------------ conversion
    def item(self) -> Any:
        if self.data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self.data.size} elements cannot be "
                               "converted to Scalar")
        return self.data.reshape(()).item()

    def numpy(self, force: bool = False) -> np.ndarray:
        if self._rg and not force:
            raise RuntimeError("numpy: can't call numpy() on Tensor that requires grad; use "
                               "tensor.detach().numpy() instead")
        if isinstance(self.data, np.generic):
            return np.asarray(self.data)
        if type(self.data) is not _ndarray:
            if not force:
                raise TypeError(f"numpy: can't convert {self.device} tensor to numpy; use "
                                "tensor.cpu() first")
            return backend.to_device(self.data, backend.CPU)
        return self.data

    def tolist(self) -> Any:
        return backend.to_device(self.data, backend.CPU).tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = backend.to_device(self.data, backend.CPU)
        return arr if dtype is None else arr.astype(dtype)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.data.shape[0]):
            yield self[i]  # type: ignore[index]

    def __contains__(self, element: Any) -> bool:
        if not isinstance(element, Tensor | int | float | np.number | np.bool_):
            raise RuntimeError(f"in: Tensor.__contains__ only supports a Tensor or a scalar, got "
                               f"{type(element).__name__}")
        return bool((self == element).data.any())  # type: ignore[attr-defined]

    def _scalar_check(self, what: str) -> None:
        if self.data.size != 1:
            raise RuntimeError(f"{what}: only a Tensor with one element can be converted to a "
                               f"Python scalar, got shape {tuple(self.data.shape)}")

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"bool: Boolean value of Tensor with {self.data.size} elements is "
                               "ambiguous")
        return bool(self.data.reshape(()).item())

    def __float__(self) -> float:
        self._scalar_check("float")
        return float(self.item())

    def __int__(self) -> int:
        self._scalar_check("int")
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __format__(self, spec: str) -> str:
        if self.data.ndim == 0:  # f"{loss:.4f}" works on 0-d tensors, as in PyTorch
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self) -> str:
        arr = backend.to_device(self.data, backend.CPU)
        kw: dict[str, Any] = {}
        if arr.dtype.kind == "f":
            # PyTorch prints 4 decimals unless every value is integral ("1." then)
            fin = arr[np.isfinite(arr)]
            if fin.size and (fin != np.round(fin)).any():
                kw["floatmode"] = "fixed"
        elif arr.dtype.kind == "b":
            w = 4 if arr.all() else 5
            kw["formatter"] = {"bool": lambda v: str(bool(v)).rjust(w)}
        body = np.array2string(arr, separator=", ", prefix="tensor(", threshold=1000,
                               edgeitems=3, precision=4, max_line_width=80, **kw)
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if arr.dtype not in (backend.get_default_dtype(), backend.int64, backend.bool_) or (
            arr.size == 0 and arr.dtype != backend.get_default_dtype()
        ):
            extras.append(f"dtype=lightgrad.{arr.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{type(self.grad_fn).__name__}Backward>")
        elif self._rg:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError("deepcopy: only leaf tensors (created explicitly by the user) "
                               "support the deepcopy protocol")
        t = Tensor._make(self.data.copy())
        t._rg = self._rg
        if self.grad is not None:
            t.grad = Tensor._make(self.grad.data.copy())
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, protocol: Any) -> Any:
        if self.grad_fn is not None:
            raise RuntimeError("pickle: only leaf tensors can be pickled; detach() first")
        return (_rebuild, (backend.to_device(self.data, backend.CPU), self._rg))


    if TYPE_CHECKING:  # the ops attach these at import (lightgrad.ops); declared for type checkers
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __rmod__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __and__(self, other: Any) -> Tensor: ...
        def __rand__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __ror__(self, other: Any) -> Tensor: ...
        def __xor__(self, other: Any) -> Tensor: ...
        def __rxor__(self, other: Any) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __iadd__(self, other: Any) -> Tensor: ...
        def __isub__(self, other: Any) -> Tensor: ...
        def __imul__(self, other: Any) -> Tensor: ...
        def __itruediv__(self, other: Any) -> Tensor: ...
        def __ifloordiv__(self, other: Any) -> Tensor: ...
        def __imod__(self, other: Any) -> Tensor: ...
        def __ipow__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __getitem__(self, key: Any) -> Tensor: ...
        def __setitem__(self, key: Any, value: Any) -> None: ...
        def __getattr__(self, name: str) -> Any: ...


def _rebuild(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(data)
    t._rg = requires_grad
    return t


class _HookHandle:
    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _wrap_dim(dim: Any, ndim: int, op: str, arg: str = "dim") -> int:
    """Normalize a possibly negative ``dim``; a clear IndexError when out of range."""
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"{op}: argument '{arg}' must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)  # 0-d tensors accept dim 0 and -1, as in PyTorch
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return int(dim) % n if ndim else 0


def grad_enabled() -> bool:
    return _state.enabled
