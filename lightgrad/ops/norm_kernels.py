"""The fused normalization Functions (``BatchNorm``, ``BatchNormEval``, ``LayerNorm``,
``GroupNorm``) and their array helpers: per-channel and per-row statistics and the closed-form
backward through them (see :mod:`.normalization`'s notes).
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Function
from .operands import get_xp


# ----------------------------------------------------------------------------- helpers
# Sums over a contiguous last axis use ``einsum("ij->i")`` (a SIMD reduction): NumPy's
# ``sum(axis=-1)`` is several times slower on short rows, and BLAS (``a @ ones``) is fast only
# while its threads have idle cores to spin on.
def _bn_view(a: Any) -> tuple[Any, tuple[int, ...]]:
    """``a`` (N, C, *) as (N, C) or (N, C, L), and the shape a per-channel (C,) vector takes
    to broadcast against it."""
    c = a.shape[1]
    if a.ndim == 2:
        return a, (1, c)
    return a.reshape(a.shape[0], c, math.prod(a.shape[2:])), (1, c, 1)


def _chan_sum(a: Any) -> Any:
    """Per-channel sums (C,) of ``a`` (N, C) or (N, C, L): over N and L."""
    if a.ndim == 2:
        return a.sum(axis=0)
    return get_xp(a).einsum("ncl->c", a)


def _row_mean(a: Any) -> Any:
    """Means (R, 1) of the rows of ``a`` (R, K)."""
    m = get_xp(a).einsum("ij->i", a)[:, None]
    m *= 1.0 / a.shape[1]
    return m


def _row_stats(x: Any, eps: float) -> tuple[Any, Any, Any, Any, Any]:
    """Normalize each row of ``x`` (R, K) over its last axis.

    Returns ``(x_hat, invstd, mean, var, scratch)``: ``var`` is biased, ``invstd`` and the
    statistics are (R, 1), ``scratch`` is a fresh (R, K) buffer the caller may overwrite (it
    becomes the output).
    """
    xp = get_xp(x)
    mean = _row_mean(x)
    xc = x - mean
    scratch = xc * xc
    var = _row_mean(scratch)
    invstd = 1.0 / xp.sqrt(var + eps)
    xc *= invstd
    return xc, invstd, mean, var, scratch


def _rows_backward(gh: Any, xhat: Any, invstd: Any, t: Any = None) -> Any:
    """``dL/dx`` (a fresh (R, K) array) for ``x_hat`` the rows of ``x`` normalized over the
    last axis, from ``gh = dL/dx_hat`` (R, K):
    ``dx = invstd * (gh - mean(gh) - x_hat * mean(gh * x_hat))``.

    ``t``: ``gh * x_hat`` if the caller has it in a buffer of its own (it is overwritten);
    ``gh`` itself is not modified.
    """
    xp = get_xp(gh)
    a = _row_mean(gh)
    if t is None:
        t = gh * xhat
    b = _row_mean(t)
    xp.multiply(xhat, b, out=t)
    t += a
    xp.subtract(gh, t, out=t)
    t *= invstd
    return t


def _empty_grads(ctx: Any, grad_out: Any, n_rest: int) -> tuple:
    """The gradients of an empty input ``(x, w, b, *rest)``: zeros where needed, None else."""
    nx, nw, nb = ctx.needs_input_grad[:3]
    xp = get_xp(grad_out)
    gw = xp.zeros(ctx.wshape, grad_out.dtype) if nw else None
    gb = xp.zeros(ctx.bshape, grad_out.dtype) if nb else None
    return ((xp.zeros_like(grad_out) if nx else None), gw, gb) + (None,) * n_rest


# ----------------------------------------------------------------------------- Functions
class BatchNorm(Function):
    """Batch normalization with the batch's statistics, per channel (dim 1) over every other
    dim: ``y = (x - mean) / sqrt(var + eps) * w + b``.

    ``stats`` (a list, or None) receives ``(mean, biased var)`` of shape (C,) for the running
    statistics. Backward: ``dx = w * invstd * (g - mean(g) - x_hat * mean(g * x_hat))``,
    ``dw = sum(g * x_hat)``, ``db = sum(g)``, sums over (N, *).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any, eps: float, stats: Any) -> Any:
        xp = get_xp(x)
        ctx.wshape = None if w is None else w.shape
        ctx.bshape = None if b is None else b.shape
        if x.size == 0:
            ctx.save_for_backward(x, None, w)
            return xp.empty_like(x)
        x3, pshape = _bn_view(x)
        inv_m = 1.0 / (x.size // x.shape[1])
        mean = _chan_sum(x3)
        mean *= inv_m
        xc = x3 - mean.reshape(pshape)
        y = xc * xc  # scratch, then the output
        var = _chan_sum(y)
        var *= inv_m
        invstd = 1.0 / xp.sqrt(var + eps)  # (C,)
        # y = x_hat * w + b = xc * (invstd * w) + b: x_hat itself is never formed
        xp.multiply(xc, (invstd if w is None else invstd * w.reshape(-1)).reshape(pshape),
                    out=y)
        if b is not None:
            y += b.reshape(pshape)
        if stats is not None:
            stats.append((mean, var))
        ctx.save_for_backward(xc, invstd, w)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xc, invstd, w = ctx.saved_tensors  # xc = x - mean: x_hat = xc * invstd
        nx, nw, nb = ctx.needs_input_grad[:3]
        xp = get_xp(grad_out)
        if invstd is None:  # an empty batch
            gw = xp.zeros(ctx.wshape, grad_out.dtype) if nw else None
            gb = xp.zeros(ctx.bshape, grad_out.dtype) if nb else None
            return (xp.zeros_like(grad_out) if nx else None), gw, gb, None, None
        g3, pshape = _bn_view(grad_out)
        inv_m = 1.0 / (xc.size // xc.shape[1])
        sum_g = _chan_sum(g3)
        t = g3 * xc
        sum_gx = _chan_sum(t)
        sum_gx *= invstd  # sum(g * x_hat)
        gw = sum_gx.reshape(ctx.wshape) if nw else None
        gb = sum_g.reshape(ctx.bshape) if nb else None
        gx = None
        if nx:
            scale = invstd if w is None else invstd * w.reshape(-1)
            # x_hat * mean(g * x_hat) = xc * (invstd * mean(g * x_hat))
            xp.multiply(xc, (sum_gx * invstd * inv_m).reshape(pshape), out=t)
            t += (sum_g * inv_m).reshape(pshape)
            xp.subtract(g3, t, out=t)
            t *= scale.reshape(pshape)
            gx = t.reshape(grad_out.shape)
        return gx, gw, gb, None, None


class BatchNormEval(Function):
    """Batch normalization with fixed statistics (eval mode): the per-channel affine map
    ``y = (x - rm) * invstd * w + b``, ``invstd = 1 / sqrt(rv + eps)``.

    Backward: ``dx = g * invstd * w``, ``dw = sum(g * (x - rm)) * invstd``, ``db = sum(g)``.
    The running statistics are constants (raw arrays), as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any, rm: Any, rv: Any, eps: float) -> Any:
        xp = get_xp(x)
        ctx.wshape = None if w is None else w.shape
        ctx.bshape = None if b is None else b.shape
        invstd = 1.0 / xp.sqrt(rv.reshape(-1) + eps)
        scale = invstd if w is None else invstd * w.reshape(-1)
        shift = rm.reshape(-1) * scale
        xp.negative(shift, out=shift)
        if b is not None:
            shift += b.reshape(-1)
        x3, pshape = _bn_view(x)
        y = x3 * scale.reshape(pshape)
        y += shift.reshape(pshape)
        ctx.save_for_backward(x, invstd, scale)
        ctx.rm = rm.reshape(-1).copy()  # a later in-place update must not change the gradient
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, invstd, scale = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3]
        g3, pshape = _bn_view(grad_out)
        gx = gw = gb = None
        if nx:
            gx = (g3 * scale.reshape(pshape)).reshape(grad_out.shape)
        if x.size == 0:
            xp = get_xp(grad_out)
            gw = xp.zeros(ctx.wshape, grad_out.dtype) if nw else None
            gb = xp.zeros(ctx.bshape, grad_out.dtype) if nb else None
            return gx, gw, gb, None, None, None
        if nw:
            x3, _ = _bn_view(x)
            t = x3 - ctx.rm.reshape(pshape)
            t *= g3
            gw = (_chan_sum(t) * invstd).reshape(ctx.wshape)
        if nb:
            gb = _chan_sum(g3).reshape(ctx.bshape)
        return gx, gw, gb, None, None, None


class LayerNorm(Function):
    """Layer normalization over the last ``k`` dims: ``y = x_hat * w + b`` with ``x_hat``
    normalized per row of ``x`` viewed as (R, M), ``M`` = numel of the normalized shape.

    Backward: ``dx = invstd * (gh - mean(gh) - x_hat * mean(gh * x_hat))`` per row,
    ``gh = g * w``; ``dw = sum_rows(g * x_hat)``, ``db = sum_rows(g)``.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any, m: int, eps: float) -> Any:
        xp = get_xp(x)
        ctx.wshape = None if w is None else w.shape
        ctx.bshape = None if b is None else b.shape
        if x.size == 0:
            ctx.save_for_backward(x, None, w)
            return xp.empty_like(x)
        xhat, invstd, _, _, y = _row_stats(x.reshape(-1, m), eps)
        if w is not None:
            xp.multiply(xhat, w.reshape(-1), out=y)
        else:
            y[...] = xhat
        if b is not None:
            y += b.reshape(-1)
        ctx.save_for_backward(xhat, invstd, w)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xhat, invstd, w = ctx.saved_tensors
        if invstd is None:
            return _empty_grads(ctx, grad_out, 2)
        nx, nw, nb = ctx.needs_input_grad[:3]
        g2 = grad_out.reshape(xhat.shape)
        p = g2 * xhat if (nw or (nx and w is not None)) else None
        gw = p.sum(axis=0).reshape(ctx.wshape) if p is not None and nw else None
        gb = g2.sum(axis=0).reshape(ctx.bshape) if nb else None
        gx = None
        if nx:
            if w is None:
                gx = _rows_backward(g2, xhat, invstd, p)
            else:
                wv = w.reshape(-1)
                p *= wv  # g * w * x_hat: the gh * x_hat of the row formula
                gx = _rows_backward(g2 * wv, xhat, invstd, p)
            gx = gx.reshape(grad_out.shape)
        return gx, gw, gb, None, None


class GroupNorm(Function):
    """Group normalization: the channels of ``x`` (N, C, *) split into ``groups`` groups, each
    (sample, group) normalized over its channels and positions, then the per-channel affine
    ``y = x_hat * w[c] + b[c]``. With ``groups == C`` it is instance normalization.

    ``stats`` (a list, or None) receives ``(mean, biased var)`` of shape (N, groups).
    Backward: the row formula of :class:`LayerNorm` on the (N * groups, C / groups * L) view
    with ``gh = g * w[c]``; ``dw = sum_{N,L}(g * x_hat)``, ``db = sum_{N,L}(g)``.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any, groups: int, eps: float, stats: Any) -> Any:
        xp = get_xp(x)
        ctx.wshape = None if w is None else w.shape
        ctx.bshape = None if b is None else b.shape
        if x.size == 0:
            ctx.save_for_backward(x, None, w)
            return xp.empty_like(x)
        n, c = x.shape[:2]
        xhat, invstd, mean, var, y = _row_stats(x.reshape(n * groups, -1), eps)  # (N*G, K)
        xh3 = xhat.reshape(n, c, -1)
        y3 = y.reshape(n, c, -1)
        if w is not None:
            xp.multiply(xh3, w.reshape(c, 1), out=y3)
        else:
            y3[...] = xh3
        if b is not None:
            y3 += b.reshape(c, 1)
        if stats is not None:
            stats.append((mean.reshape(n, groups), var.reshape(n, groups)))
        ctx.save_for_backward(xhat, invstd, w)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xhat, invstd, w = ctx.saved_tensors
        if invstd is None:
            return _empty_grads(ctx, grad_out, 3)
        nx, nw, nb = ctx.needs_input_grad[:3]
        n, c = grad_out.shape[:2]
        g3 = grad_out.reshape(n, c, -1)
        gw = gb = gx = None
        if nw:
            gw = _chan_sum(g3 * xhat.reshape(n, c, -1)).reshape(ctx.wshape)
        if nb:
            gb = _chan_sum(g3).reshape(ctx.bshape)
        if nx:
            gh = g3 if w is None else g3 * w.reshape(c, 1)
            gx = _rows_backward(gh.reshape(xhat.shape), xhat, invstd).reshape(grad_out.shape)
        return gx, gw, gb, None, None, None
