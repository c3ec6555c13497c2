"""The attention primitives and their array helpers: :class:`ScaledDotProductAttention` (one
node for ``dropout(softmax(q k^T * scale + mask)) v``, flash-attention backward),
:class:`AttentionWeights` (the weights alone) and :class:`MaskedSoftmax`. The math and the
backward formulas are in :mod:`.attention`'s notes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from .linalg import _blas
from .operands import get_xp

_NEG_INF = float("-inf")


# ----------------------------------------------------------------------------- array helpers
def _softmax_(s: Any, axis: int = -1) -> Any:
    """Softmax of ``s`` along ``axis``, in place; a row of ``-inf`` only becomes zeros."""
    if s.size == 0:
        return s
    xp = get_xp(s)
    m = s.max(axis=axis, keepdims=True)
    dead = m == _NEG_INF
    any_dead = bool(dead.any())
    if any_dead:  # nothing to attend to: exp(-inf - 0) = 0, and 0 / 1 = 0
        m[dead] = 0
    s -= m
    xp.exp(s, out=s)
    d = s.sum(axis=axis, keepdims=True)
    if any_dead:
        d[dead] = 1
    s *= xp.reciprocal(d, out=d)
    return s


def _scores(q: Any, k: Any, mask: Any, scale: float, causal: bool) -> Any:
    """``scale * q @ k^T`` with the mask applied (a fresh array, masked entries ``-inf``)."""
    xp = get_xp(q)
    s = _blas(q) @ xp.swapaxes(_blas(k), -1, -2)  # (..., L, S), fresh
    if scale != 1.0:
        s *= scale
    # masks are added (a broadcast add is ~3x faster than a masked copy): -inf where masked
    if mask is not None:
        if mask.dtype == np.bool_:
            mask = xp.where(mask, s.dtype.type(0), s.dtype.type(_NEG_INF))
        s += mask
    if causal:  # top-left aligned, as PyTorch: query i sees keys 0..i
        n_l, n_s = s.shape[-2:]
        s += xp.triu(xp.full((n_l, n_s), _NEG_INF, dtype=s.dtype), 1)
    return s


def _group(x: Any, hk: int, g: int) -> Any:
    """``(..., Hk * g, A, B) -> (..., Hk, g, A, B)``; a broadcast head dim of 1 -> ``(1, 1)``."""
    if x.shape[-3] == 1:
        return x.reshape(x.shape[:-3] + (1, 1) + x.shape[-2:])
    return x.reshape(x.shape[:-3] + (hk, g) + x.shape[-2:])


def _grouped(q: Any, k: Any, v: Any, mask: Any, groups: int) -> tuple:
    """Views in which key/value head ``j`` broadcasts over query heads ``j*g .. j*g + g - 1``."""
    if groups == 1:
        return q, k, v, mask
    hk = k.shape[-3]
    q = _group(q, hk, groups)
    k = k.reshape(k.shape[:-2] + (1,) + k.shape[-2:])
    v = v.reshape(v.shape[:-2] + (1,) + v.shape[-2:])
    if mask is not None:
        mask = mask.reshape((1,) * (q.ndim - 1 - mask.ndim) + mask.shape)
        mask = _group(mask, hk, groups)
    return q, k, v, mask


def _ungroup(x: Any, groups: int) -> Any:
    """``(..., Hk, g, A, B) -> (..., Hk * g, A, B)``."""
    if groups == 1:
        return x
    return x.reshape(x.shape[:-4] + (x.shape[-4] * x.shape[-3],) + x.shape[-2:])


# ----------------------------------------------------------------------------- primitives
class ScaledDotProductAttention(Function):
    """``out = (softmax(q k^T * scale + mask) * drop) v``, fused (see the module notes).

    ``mask`` is ``None``, a boolean array (True = attend) or an additive float array;
    ``drop`` is ``None`` or the dropout scale ``keep / (1 - p)`` shaped like the scores;
    ``groups`` query heads share each key/value head (grouped-query attention).
    """

    @staticmethod
    def forward(ctx: Any, q: Any, k: Any, v: Any, mask: Any, scale: float, causal: bool,
                drop: Any, groups: int) -> Any:
        qg, kg, vg, mg = _grouped(q, k, v, mask, groups)
        p = _softmax_(_scores(qg, kg, mg, scale, causal))  # (..., L, S)
        pd = p if drop is None else p * drop
        out = _blas(pd) @ _blas(vg)  # (..., L, Ev)
        if groups > 1:
            out = out.reshape(out.shape[:-4] + (q.shape[-3],) + out.shape[-2:])
        ctx.save_for_backward(q, k, v, p, out)
        ctx.scale, ctx.drop, ctx.groups = scale, drop, groups
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        q, k, v, p, out = ctx.saved_tensors
        nq, nk, nv, nm = ctx.needs_input_grad[:4]
        scale, drop, groups = ctx.scale, ctx.drop, ctx.groups
        xp = get_xp(grad_out)
        qg, kg, vg, _ = _grouped(q, k, v, None, groups)
        if groups > 1:
            hk = k.shape[-3]
            grad_out = _group(grad_out, hk, groups)
            out = _group(out, hk, groups)
        g = _blas(grad_out)
        gv = None
        if nv:
            pd = p if drop is None else p * drop
            gv = xp.swapaxes(pd, -1, -2) @ g  # (..., S, Ev)
            if groups > 1:
                gv = gv.sum(axis=-3)
        if not (nq or nk or nm):
            return None, None, gv, None, None, None, None, None
        ds = g @ xp.swapaxes(_blas(vg), -1, -2)  # dP: (..., L, S), fresh
        if drop is not None:
            ds *= drop
        delta = (grad_out * out).sum(axis=-1, keepdims=True)  # rowsum(dP * P)
        ds -= delta
        ds *= p  # dS
        gq = gk = gm = None
        if nq:
            gq = _ungroup(ds @ _blas(kg), groups)
            gq *= scale
        if nk:
            gk = xp.swapaxes(ds, -1, -2) @ _blas(qg)  # (..., S, E)
            if groups > 1:
                gk = gk.sum(axis=-3)
            gk *= scale
        if nm:
            gm = _ungroup(ds, groups)
        return gq, gk, gv, gm, None, None, None, None


class AttentionWeights(Function):
    """``P = softmax(q k^T * scale + mask)`` along the last dim (rows of keys per query)."""

    @staticmethod
    def forward(ctx: Any, q: Any, k: Any, mask: Any, scale: float, causal: bool) -> Any:
        p = _softmax_(_scores(q, k, mask, scale, causal))
        ctx.save_for_backward(q, k, p)
        ctx.scale = scale
        return p

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        q, k, p = ctx.saved_tensors
        nq, nk, nm = ctx.needs_input_grad[:3]
        xp = get_xp(grad_out)
        ds = grad_out * p
        ds -= ds.sum(axis=-1, keepdims=True) * p  # dS = P * (dP - rowsum(dP * P))
        gq = gk = None
        if nq:
            gq = _blas(ds) @ _blas(k)
            gq *= ctx.scale
        if nk:
            gk = xp.swapaxes(_blas(ds), -1, -2) @ _blas(q)
            gk *= ctx.scale
        return gq, gk, (ds if nm else None), None, None


class MaskedSoftmax(Function):
    """``softmax(x)`` along ``dim`` over the entries ``mask`` keeps (the others get 0); a row
    with nothing kept is all zeros. d/dx = P (g - sum(g P))."""

    @staticmethod
    def forward(ctx: Any, x: Any, mask: Any, dim: int) -> Any:
        xp = get_xp(x)
        p = xp.array(x, copy=True) if mask is None else xp.where(mask, x, _NEG_INF)
        if p.dtype != x.dtype:
            p = p.astype(x.dtype)
        _softmax_(p, axis=dim)
        ctx.save_for_backward(p)
        ctx.dim = dim
        return p

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (p,) = ctx.saved_tensors
        gx = grad_out * p
        gx -= gx.sum(axis=ctx.dim, keepdims=True) * p
        return gx, None, None
