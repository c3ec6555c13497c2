"""In-place ops: the one mechanism behind ``add_``, ``mul_``, ``clamp_``, ``__setitem__``...

An in-place op computes its out-of-place twin, writes the result into the tensor's own buffer
(so views see it) and bumps the version counter, so a node that saved the old value raises at
backward instead of using a silently changed array. While recording, the twin runs on a copy of
the old value and the tensor's ``grad_fn`` is rebased onto the twin's node, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.grad_mode import _state
from ..tensor import Tensor
from .convert import cast


def _can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch's ``canCast``: no float -> integer, no non-bool -> bool."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    return order[src.kind] <= order[dst.kind]


def inplace(self: Tensor, fn: Callable[..., Tensor], *args: Any, op: str) -> Tensor:
    """Apply ``fn(self, *args)`` in place on ``self`` and return ``self``."""
    if not isinstance(self, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(self).__name__}")
    recording = _state.enabled and (
        self._rg or any(isinstance(a, Tensor) and a._rg for a in args)
    )
    if recording:
        if self.grad_fn is None and self._rg:
            raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                               "in-place operation; wrap it in lightgrad.no_grad() or use the "
                               "out-of-place op")
        base = self._base
        if base is not None and base._rg:
            raise RuntimeError(f"{op}: in-place operation on a view of a tensor that requires "
                               "grad is not supported by lightgrad; use the out-of-place op "
                               "(e.g. torch.cat / index ops) instead")
        src = Tensor._make(self.data.copy())
        src.grad_fn, src._rg = self.grad_fn, self._rg
        out = fn(src, *args)
    else:
        out = fn(self, *args)
    if out.data.shape != self.data.shape:
        raise RuntimeError(f"{op}: output with shape {tuple(self.data.shape)} doesn't match the "
                           f"broadcast shape {tuple(out.data.shape)}")
    if out.data.dtype != self.data.dtype:
        if not _can_cast(out.data.dtype, self.data.dtype):
            raise RuntimeError(f"{op}: result type {out.data.dtype} can't be cast to the desired "
                               f"output type {self.data.dtype}")
        out = cast(out, self.data.dtype)
    try:
        self.data[...] = out.data
    except ValueError as e:  # read-only (e.g. an expanded view)
        raise RuntimeError(f"{op}: cannot write into this tensor in place ({e}); it is a "
                           "read-only or broadcast view: clone() it first") from None
    if recording and out._rg:
        self.grad_fn, self._rg = out.grad_fn, True
    self._vc[0] += 1
    return self
