"""In-place ops: the one mechanism behind ``add_``, ``mul_``, ``clamp_``, ``__setitem__``...

An in-place op computes its out-of-place twin, writes the result into the tensor's own buffer
(so views see it) and bumps the version counter, so a node that saved the old value raises at
backward instead of using a silently changed array. While recording, the twin runs on a copy of
the old value and the tensor's ``grad_fn`` is rebased onto the twin's node, as in PyTorch.

An in-place op on a *view* whose base is in the graph (``y[0] += 1``, ``h[:, t].copy_(x)``)
rewrites the base through :class:`CopySlices` (PyTorch's name for the same node): the base's new
value is its old value with the view's region replaced, and the view's history is replayed from
the new base.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.function import Function, refresh_view, replay_view, replay_view_tensor
from ..autograd.grad_mode import _state
from ..tensor import Tensor
from .convert import cast


def _can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch's ``canCast``: no float -> integer, no non-bool -> bool."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    return order[src.kind] <= order[dst.kind]


class CopySlices(Function):
    """``out = base`` with the region of the view ``vfn`` replaced by ``value``; the gradient
    of ``base`` is ``grad_out`` with that region zeroed, the gradient of ``value`` is the region.
    """

    @staticmethod
    def forward(ctx: Any, base: Any, value: Any, vfn: Any) -> Any:
        ctx.vfn = vfn
        out = base.copy(order="K")
        replay_view(vfn, out)[...] = value
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        gb = None
        if ctx.needs_input_grad[0]:
            gb = grad_out.copy(order="K")
            replay_view(ctx.vfn, gb)[...] = 0
        gv = replay_view(ctx.vfn, grad_out) if ctx.needs_input_grad[1] else None
        return gb, gv, None


def _finish(self: Tensor, out: Tensor, op: str) -> Tensor:
    """Check ``out`` fits ``self`` (shape, castable dtype) and cast it."""
    if out.data.shape != self.data.shape:
        raise RuntimeError(f"{op}: output with shape {tuple(self.data.shape)} doesn't match the "
                           f"broadcast shape {tuple(out.data.shape)}")
    if out.data.dtype != self.data.dtype:
        if not _can_cast(out.data.dtype, self.data.dtype):
            raise RuntimeError(f"{op}: result type {out.data.dtype} can't be cast to the desired "
                               f"output type {self.data.dtype}")
        out = cast(out, self.data.dtype)
    return out


def _write(dst: Any, src: Any, op: str) -> None:
    try:
        dst[...] = src
    except ValueError as e:  # read-only (e.g. an expanded view)
        raise RuntimeError(f"{op}: cannot write into this tensor in place ({e}); it is a "
                           "read-only or broadcast view: clone() it first") from None


def inplace(self: Tensor, fn: Callable[..., Tensor], *args: Any, op: str) -> Tensor:
    """Apply ``fn(self, *args)`` in place on ``self`` and return ``self``."""
    if not isinstance(self, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(self).__name__}")
    recording = _state.enabled and (
        self._rg or any(isinstance(a, Tensor) and a._rg for a in args)
    )
    if not recording:
        out = _finish(self, fn(self, *args), op)
        _write(self.data, out.data, op)
        self._vc[0] += 1
        return self
    if self.grad_fn is None and self._rg:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                           "in-place operation; wrap it in lightgrad.no_grad() or use the "
                           "out-of-place op")
    if self._base is not None and self._vver != self._vc[0]:
        refresh_view(self)
    src = Tensor._make(self.data.copy())
    src.grad_fn, src._rg = self.grad_fn, self._rg
    out = _finish(self, fn(src, *args), op)
    base = self._base
    if base is None or self._vfn is None:
        _write(self.data, out.data, op)
        if out._rg:
            self.grad_fn, self._rg = out.grad_fn, True
        self._vc[0] += 1
        return self
    # a view: rewrite the base, then replay the view's history from the new base
    if base.grad_fn is None and base._rg:
        raise RuntimeError(f"{op}: a view of a leaf Variable that requires grad is being used "
                           "in an in-place operation; wrap it in lightgrad.no_grad() or clone() "
                           "the leaf first")
    new_base = CopySlices.apply(base, out, self._vfn)
    _write(self.data, out.data, op)  # the view's memory is inside the base's buffer
    if new_base._rg:
        base.grad_fn, base._rg = new_base.grad_fn, True
    base._vc[0] += 1
    if new_base._rg:
        self.grad_fn = replay_view_tensor(self._vfn, base).grad_fn
        self._rg = True
    self._vver = self._vc[0]
    return self
