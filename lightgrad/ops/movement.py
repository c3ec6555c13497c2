"""Movement (shape) ops: reshape/view, permute/transpose, expand, repeat, cat/stack, split/chunk/
unbind, pad, flip, roll, tril/triu, narrow, diagonal, clone/contiguous and ``copy_``.

Ops whose output is a NumPy view of their input (``Reshape``, ``Permute``, ``Expand``,
``Narrow``, ``Diagonal``) are marked ``_is_view``: the output shares the input's memory and
version counter, as PyTorch views do. ``flip`` and ``roll`` copy (PyTorch returns new tensors).

The ops live by family in :mod:`.shape`, :mod:`.joining`, :mod:`.padding` and :mod:`.reorder`
(shared helpers in :mod:`.movement_args`); this module re-exports them and holds
``clone``/``contiguous``/``copy_`` and the Tensor methods.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from .convert import to
from .inplace import inplace
from .joining import Cat as Cat
from .joining import Narrow as Narrow
from .joining import Stack as Stack
from .joining import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    cat,
    chunk,
    concat,
    concatenate,
    dstack,
    hstack,
    narrow,
    split,
    stack,
    tensor_split,
    unbind,
    vstack,
)
from .movement_args import _sum_to
from .operands import as_tensor_arg, get_xp
from .padding import Pad as Pad
from .padding import pad
from .reorder import DiagEmbed as DiagEmbed
from .reorder import Diagonal as Diagonal
from .reorder import Flip as Flip
from .reorder import Roll as Roll
from .reorder import Tril as Tril
from .reorder import Triu as Triu
from .reorder import (
    _flip_method,
    diag,
    diag_embed,
    diagonal,
    flip,
    fliplr,
    flipud,
    roll,
    tril,
    triu,
)
from .shape import (
    _T,
    Clone,
    _mT,
    _permute_method,
    _reshape_method,
    broadcast_tensors,
    broadcast_to,
    expand,
    expand_as,
    flatten,
    moveaxis,
    movedim,
    permute,
    ravel,
    repeat,
    reshape,
    reshape_as,
    squeeze,
    swapaxes,
    swapdims,
    t,
    tile,
    transpose,
    unflatten,
    unsqueeze,
    view,
    view_as,
)
from .shape import Expand as Expand
from .shape import Permute as Permute
from .shape import Repeat as Repeat
from .shape import Reshape as Reshape

__all__ = [
    "reshape", "view", "view_as", "reshape_as", "flatten", "ravel", "unflatten", "squeeze",
    "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t", "movedim", "moveaxis",
    "expand", "expand_as", "broadcast_to", "broadcast_tensors", "repeat", "tile", "cat", "concat",
    "concatenate", "stack", "hstack", "vstack", "dstack", "atleast_1d", "atleast_2d",
    "atleast_3d", "split", "chunk", "unbind", "tensor_split", "narrow", "pad", "flip", "fliplr",
    "flipud", "roll", "tril", "triu", "clone", "contiguous", "diagonal", "diag", "diag_embed",
]


# ----------------------------------------------------------------------------- Functions
class Copy(Function):
    """``out = src`` broadcast to ``dst``'s shape and cast to its dtype (``dst.copy_(src)``);
    ``dst``'s old value gets no gradient."""

    @staticmethod
    def forward(ctx: Any, dst: Any, src: Any) -> Any:
        ctx.src_shape, ctx.src_dtype = src.shape, src.dtype
        out = get_xp(src).broadcast_to(src, dst.shape)
        return out if out.dtype == dst.dtype else out.astype(dst.dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        if not ctx.needs_input_grad[1]:
            return None, None
        g = _sum_to(grad_out, ctx.src_shape)
        return None, (g if g.dtype == ctx.src_dtype else g.astype(ctx.src_dtype))


# ----------------------------------------------------------------------------- copies
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy of ``input`` (same layout), differentiable."""
    input = as_tensor_arg(input, "clone")
    return Clone.apply(input, "K")


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """``input`` itself if it is C-contiguous, else a contiguous copy."""
    if input.data.flags.c_contiguous:
        return input
    return Clone.apply(input, "C")


def _copy(dst: Tensor, src: Any) -> Tensor:
    return Copy.apply(dst, src)


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast to ``self``'s shape, cast to its dtype) into ``self``, in place;
    the gradient flows to ``src``."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_: argument 'src' must be a Tensor, got {type(src).__name__}")
    ss, ds = src.data.shape, self.data.shape
    if ss != ds:
        ok = len(ss) <= len(ds) and all(a == b or a == 1 for a, b in
                                        zip(ss[::-1], ds[::-1]))
        if not ok:
            raise RuntimeError(f"copy_: the source of shape {tuple(ss)} cannot be broadcast to "
                               f"the destination shape {tuple(ds)}")
    if src.device != self.device:
        src = to(src, self.device)
    return inplace(self, _copy, src, op="copy_")


# ----------------------------------------------------------------------------- Tensor methods
_TT: Any = Tensor
for _name, _fn in {
    "reshape": _reshape_method, "view": view, "view_as": view_as, "reshape_as": reshape_as,
    "flatten": flatten, "ravel": ravel, "unflatten": unflatten, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "permute": _permute_method, "transpose": transpose,
    "swapaxes": transpose, "swapdims": transpose, "t": t, "movedim": movedim,
    "moveaxis": movedim, "expand": expand, "expand_as": expand_as, "broadcast_to": broadcast_to,
    "repeat": repeat, "tile": tile, "split": split, "chunk": chunk, "unbind": unbind,
    "tensor_split": tensor_split, "narrow": narrow, "flip": _flip_method, "fliplr": fliplr,
    "flipud": flipud, "roll": roll, "tril": tril, "triu": triu, "clone": clone,
    "contiguous": contiguous, "copy_": copy_, "diagonal": diagonal, "diag": diag,
    "diag_embed": diag_embed,
}.items():
    setattr(_TT, _name, _fn)
_TT.T = property(_T)
_TT.mT = property(_mT)
_TT.tril_ = lambda self, diagonal=0: inplace(self, tril, diagonal, op="tril_")
_TT.triu_ = lambda self, diagonal=0: inplace(self, triu, diagonal, op="triu_")
