"""``pad``: constant, reflect, replicate and circular padding of the last dimensions.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .movement_args import _int_args
from .operands import as_tensor_arg, get_xp

__all__ = [
    "pad",
]


class Pad(Function):
    """``out = x`` padded per dim by ``pads[d] = (before, after)``: ``mode`` ``"constant"``
    (fill ``value``; negative pads crop), ``"reflect"``, ``"replicate"`` or ``"circular"``."""

    @staticmethod
    def forward(ctx: Any, x: Any, pads: tuple, mode: str, value: Any) -> Any:
        xp = get_xp(x)
        ctx.shape, ctx.pads, ctx.mode = x.shape, pads, mode
        if mode == "constant":
            src, dst, shape = _constant_keys(x.shape, pads)
            ctx.src, ctx.dst = src, dst
            out = xp.full(shape, value, dtype=x.dtype)
            out[dst] = x[src]
            return out
        blocks = ctx.blocks = _pad_blocks(x.shape, pads, mode)
        out = xp.empty(tuple(n + b + a for n, (b, a) in zip(x.shape, pads)), dtype=x.dtype)
        for okey, ikey, flips, _ in blocks:
            piece = x[ikey]
            out[okey] = xp.flip(piece, flips) if flips else piece  # size-1 dims broadcast
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        if ctx.mode == "constant":
            if all(s == slice(None) for s in ctx.src):
                return grad_out[ctx.dst], None, None, None
            g = xp.zeros(ctx.shape, dtype=grad_out.dtype)
            g[ctx.src] = grad_out[ctx.dst]
            return g, None, None, None
        blocks = ctx.blocks
        full = tuple(slice(0, n) for n in ctx.shape)
        core = next((k for k, b in enumerate(blocks) if b[1] == full and not b[2] and not b[3]),
                    None)
        if core is None:
            g = xp.zeros(ctx.shape, dtype=grad_out.dtype)
        else:  # one block covers the whole input: start from it instead of from zeros
            g = grad_out[blocks[core][0]].copy()
            blocks = blocks[:core] + blocks[core + 1:]
        for okey, ikey, flips, sums in blocks:
            piece = grad_out[okey]
            if flips:
                piece = xp.flip(piece, flips)
            if sums:
                piece = piece.sum(axis=sums, keepdims=True)
            g[ikey] += piece
        return g, None, None, None


def _pad_blocks(shape: tuple, pads: tuple, mode: str) -> list[tuple]:
    """The output as blocks ``(out_key, in_key, flipped dims, repeated dims)``: the cartesian
    product of each dim's runs (a run copies, mirrors or repeats a slice of the input)."""
    per_dim = [_pad_runs(n, b, a, mode) if b or a else [(0, n, 0, 1)]
               for n, (b, a) in zip(shape, pads)]
    blocks = []
    for combo in itertools.product(*per_dim):
        okey, ikey, flips, sums = [], [], [], []
        for d, (o0, o1, i0, step) in enumerate(combo):
            n = o1 - o0
            okey.append(slice(o0, o1))
            if step == 1:
                ikey.append(slice(i0, i0 + n))
            elif step == -1:
                ikey.append(slice(i0 - n + 1, i0 + 1))
                flips.append(d)
            else:
                ikey.append(slice(i0, i0 + 1))
                sums.append(d)
        blocks.append((tuple(okey), tuple(ikey), tuple(flips), tuple(sums)))
    return blocks


def _constant_keys(shape: tuple, pads: tuple) -> tuple[tuple, tuple, tuple]:
    """Source and destination slices of a constant pad (negative pads crop) and the out shape."""
    src, dst, out = [], [], []
    for n, (b, a) in zip(shape, pads):
        m = n + b + a
        keep = max(n - max(-b, 0) - max(-a, 0), 0)
        src.append(slice(max(-b, 0), max(-b, 0) + keep) if b < 0 or a < 0 else slice(None))
        dst.append(slice(max(b, 0), max(b, 0) + keep) if b or a else slice(None))
        out.append(m)
    return tuple(src), tuple(dst), tuple(out)


def _pad_runs(n: int, before: int, after: int, mode: str) -> list[tuple[int, int, int, int]]:
    """The input index of every output position of a padded dim, as runs
    ``(out_start, out_stop, in_start, step)`` with step 1 (copy), -1 (mirror) or 0 (repeat)."""
    if mode == "circular":  # PyTorch crops first, then wraps around the cropped part
        lo = max(-before, 0)
        m = n - lo - max(-after, 0)
        b, a = max(before, 0), max(after, 0)
        idx = lo + (np.arange(-b, m + a) % m)
    else:
        i = np.arange(-before, n + after)
        idx = np.clip(i, 0, n - 1) if mode == "replicate" else (n - 1) - np.abs(n - 1 - np.abs(i))
    if len(idx) == 0:
        return [(0, 0, 0, 1)]
    runs = []
    k, total = 0, len(idx)
    while k < total:
        step = int(idx[k + 1] - idx[k]) if k + 1 < total else 1
        if step not in (-1, 0, 1):
            step = 1
        e = k + 1
        while e < total and idx[e] - idx[e - 1] == step:
            e += 1
        runs.append((k, e, int(idx[k]), step))
        k = e
    return runs


# ----------------------------------------------------------------------------- pad
_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad ``input``; ``pad = (left, right, top, bottom, ...)`` pads the last dim first.

    Args:
        input: the tensor.
        pad: ``2k`` ints, the (before, after) pads of the last ``k`` dims, last dim first.
            Negative pads crop.
        mode: ``"constant"`` (fill with ``value``, default 0), ``"reflect"`` (mirror without
            repeating the edge), ``"replicate"`` (repeat the edge) or ``"circular"`` (wrap);
            the last three pad the last 1-3 dims of a batched or unbatched input, as PyTorch.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.pad(lightgrad.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    input = as_tensor_arg(input, "pad")
    p = _int_args((pad,), "pad", "pad")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: Unrecognised padding mode {mode!r} (expected one of "
                                  f"{_PAD_MODES})")
    if len(p) % 2:
        raise RuntimeError(f"pad: Padding length must be divisible by 2, got {len(p)} (pad {p})")
    k = len(p) // 2
    nd = input.ndim
    shp = input.data.shape
    if k > nd:
        raise RuntimeError(f"pad: Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(p)} and input of "
                           f"dimension {nd} (shape {tuple(shp)})")
    pads = [(0, 0)] * nd
    for i in range(k):
        pads[nd - 1 - i] = (p[2 * i], p[2 * i + 1])
    if mode == "constant":
        for d, (b, a) in enumerate(pads):
            if shp[d] - max(-b, 0) - max(-a, 0) < 0 <= shp[d] + b + a:
                raise RuntimeError(f"pad: negative padding ({b}, {a}) crops more than the size "
                                   f"{shp[d]} of dimension {d} (shape {tuple(shp)})")
            if shp[d] + b + a < 0:
                raise RuntimeError(f"pad: The input size {shp[d]}, plus negative padding {b} and "
                                   f"{a} resulted in a negative output size, which is invalid. "
                                   f"Check dimension {d} of your input (shape {tuple(shp)}).")
        fill = 0 if value is None else value
        return Pad.apply(input, tuple(pads), mode, fill)
    if value is not None and value != 0:
        raise RuntimeError(f'pad: Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad: Padding size {len(p)} is not supported for {nd}D input tensor (shape "
            f"{tuple(shp)}) in mode {mode!r}. Supported combinations for non-constant padding: "
            "2D or 3D input with padding size 2, 3D or 4D with 4, 4D or 5D with 6")
    for d in range(nd - k - 1 if nd == k + 2 else 0, nd):
        if mode != "circular" and d >= nd - k - 1 and shp[d] == 0:
            raise RuntimeError(f"pad: Expected {k + 1}D or {k + 2}D (batch mode) tensor with "
                               f"possibly 0 batch size and other non-zero dimensions for input, "
                               f"but got shape {tuple(shp)}")
    for d in range(nd - k, nd):
        b, a = pads[d]
        n = shp[d]
        if mode == "reflect" and (b >= n or a >= n):
            raise RuntimeError(f"pad: Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({b}, {a}) at "
                               f"dimension {d} of input {tuple(shp)}")
        m = n - max(-b, 0) - max(-a, 0)
        if mode == "circular" and (b > m or a > m or m <= 0):
            # stricter than PyTorch when one side crops: it would read unwritten memory
            raise RuntimeError(f"pad: Padding value causes wrapping around more than once: "
                               f"padding ({b}, {a}) at dimension {d} of input {tuple(shp)}")
    outs = [shp[d] + pads[d][0] + pads[d][1] for d in range(nd - k, nd)]
    if min(outs) < 0 or max(outs) < 1:
        raise RuntimeError(f"pad: input of shape {tuple(shp)} is too small for padding {p}: "
                           f"calculated output sizes {outs} of the last {k} dims")
    return Pad.apply(input, tuple(pads), mode, None)
