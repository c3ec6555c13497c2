"""``Function``: one differentiable primitive, and the node it leaves in the graph.

A subclass defines ``forward(ctx, *args)`` and ``backward(ctx, grad_out)`` as static methods on
raw arrays (``numpy`` or ``cupy``; get ``xp`` from the inputs). ``apply`` unwraps tensors, runs
``forward`` and, when any input requires grad and grad mode is on, makes ``ctx`` the output's
``grad_fn``. ``ctx`` *is* the node: an instance of the subclass holding ``next`` (the parents'
nodes or leaf tensors), ``needs_input_grad`` and ``saved_tensors``.

Unlike PyTorch, ``forward`` and ``backward`` see arrays, not tensors: the math is written once
on arrays and there is no second (tensor-level) backward. That is why gradients are first order
only (see docs/design.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .grad_mode import _state

_ndarray = np.ndarray
_generic = np.generic


class Function:
    """Base class of differentiable operations (``torch.autograd.Function``).

    Example:
        >>> import lightgrad
        >>> from lightgrad.autograd import Function
        >>> class Cube(Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x ** 3
        ...     @staticmethod
        ...     def backward(ctx, grad_out):
        ...         (x,) = ctx.saved_tensors
        ...         return grad_out * 3 * x ** 2
        >>> x = lightgrad.tensor([2.0], requires_grad=True)
        >>> Cube.apply(x).backward(lightgrad.ones(1))
        >>> x.grad
        tensor([12.])
    """

    #: True for ops whose output is a view of their first input (shares its version counter).
    _is_view = False
    #: The primitives defined by lightgrad itself (the op-coverage test walks this list).
    _registry: list[type[Function]] = []

    saved_tensors: tuple = ()
    needs_input_grad: tuple = ()
    _saved_versions: tuple = ()
    _hooks: list | None = None
    _retained: Any = None
    next: tuple | None = ()
    _shape: tuple = ()
    _dtype: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("lightgrad.") and not cls.__name__.startswith("_"):
            Function._registry.append(cls)

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for ``backward``; an in-place change to their tensor is detected."""
        self.saved_tensors = arrays

    def mark_dirty(self, *args: Any) -> None:  # PyTorch API; in-place is handled by Tensor
        pass

    def set_materialize_grads(self, value: bool) -> None:
        pass

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        raise NotImplementedError("Function subclasses must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        raise NotImplementedError(f"{type(ctx).__name__} does not implement backward")

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        ctx = _new(cls)
        raw = []
        nxt = []
        record = False
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a.data)
                if a._rg:
                    record = True
                    if a._base is not None and a._vver != a._vc[0] and _state.enabled:
                        refresh_view(a)
                    nxt.append(a.grad_fn or a)
                else:
                    nxt.append(None)
            else:
                raw.append(a)
                nxt.append(None)
        if record and _state.enabled:
            ctx.needs_input_grad = tuple([p is not None for p in nxt])
        else:
            record = False
        out = cls.forward(ctx, *raw)
        if out.__class__ is not _ndarray:
            out = _as_array(out, raw)
        # Tensor._make, inlined: this runs once per op
        t = _new(Tensor)
        t.data = out
        t.grad = t.grad_fn = t._base = t._vfn = t._hooks = None
        t._rg = t._retains_grad = False
        if cls._is_view:
            src = args[0]
            t._vc = src._vc
            t._base = src if src._base is None else src._base
            t._vfn = (src._vfn, cls, raw[1:])
            t._vver = t._vc[0]
        else:
            t._vc = [0]
        if record and out.dtype.kind == "f":
            ctx.next = tuple(nxt)
            ctx._shape = out.shape
            ctx._dtype = out.dtype
            if ctx.saved_tensors:
                ctx._saved_versions = _versions_of(ctx.saved_tensors, args, raw, t)
            t.grad_fn = ctx
            t._rg = True
        return t


_new = object.__new__


def replay_view(vfn: Any, arr: Any) -> Any:
    """Re-apply a view chain (``Tensor._vfn``) to a raw array of the base's shape."""
    if vfn is None:
        return arr
    prev, cls, extra = vfn
    return cls.forward(_new(cls), replay_view(prev, arr), *extra)


def replay_view_tensor(vfn: Any, t: Tensor) -> Tensor:
    """Re-apply a view chain to a tensor, recording it."""
    if vfn is None:
        return t
    prev, cls, extra = vfn
    return cls.apply(replay_view_tensor(prev, t), *extra)


def refresh_view(t: Tensor) -> None:
    """Rebuild a view's ``grad_fn`` from its base after an in-place change of the base (the
    shared version counter moved since the view's history was recorded), as PyTorch does."""
    base = t._base
    if base is not None and base._rg and t._vfn is not None:
        t.grad_fn = replay_view_tensor(t._vfn, base).grad_fn
        t._rg = True
    t._vver = t._vc[0]


def _as_array(out: Any, raw: list) -> Any:
    if isinstance(out, _generic) or not hasattr(out, "__array_namespace__"):
        if isinstance(out, tuple):
            raise TypeError("Function.forward must return a single array (multiple outputs are "
                            "not supported)")
        for r in raw:  # keep the scalar on its inputs' device
            if hasattr(r, "__array_namespace__") and type(r) is not _ndarray:
                return r.__array_namespace__().asarray(out)
        return np.asarray(out)
    return out


def _versions_of(saved: tuple, args: tuple, raw: list, out: Tensor) -> tuple:
    """(counter, version, what) for each saved array that is an input's or the output's data."""
    pairs = []
    o = out.data
    for s in saved:
        if s is o:
            pairs.append((out._vc, out._vc[0], "output"))
            continue
        for i, r in enumerate(raw):
            if r is s:
                a = args[i]
                if isinstance(a, Tensor):
                    pairs.append((a._vc, a._vc[0], f"input {i}"))
                break
    return tuple(pairs)


class FunctionCtx:
    """Placeholder kept for PyTorch imports
    (``from torch.autograd.function import FunctionCtx``)."""
