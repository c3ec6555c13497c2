"""Attention ops: ``scaled_dot_product_attention``, ``multi_head_attention_forward`` (the math
of ``nn.MultiheadAttention``), ``masked_softmax`` and the causal mask helper.

Three primitives carry the math:

* :class:`ScaledDotProductAttention` -- ``out = dropout(softmax(q k^T * scale + mask)) v`` as
  ONE node. Forward keeps the attention matrix ``P`` (the only array of size ``L x S`` beyond
  the scores it is computed in place from); backward is the flash-attention one::

      dV = P^T dO        dP = dO V^T        dS = P * (dP - rowsum(dO * O))
      dQ = scale dS K    dK = scale dS^T Q  (dMask = dS for a float mask)

  ``rowsum(dP * P) = rowsum(dO * O)`` because ``O = P V``: an ``L x Ev`` product instead of an
  ``L x S`` one. Grouped-query attention (``enable_gqa``) broadcasts each key/value head over
  its group of query heads without copying them.
* :class:`AttentionWeights` -- ``P = softmax(q k^T * scale + mask)`` alone, for callers that
  return the weights (``need_weights=True``, the courses' attention modules).
* :class:`MaskedSoftmax` -- ``softmax`` over the entries a boolean mask keeps.

Rows with nothing to attend to (every key masked, or no keys at all) give zero weights and a
zero output with a zero gradient, as PyTorch's ``scaled_dot_product_attention`` does.

Differences from PyTorch, on purpose:
    * ``multi_head_attention_forward(need_weights=True)`` (``nn.MultiheadAttention``'s default)
      also gives zeros for a fully masked query row; PyTorch's weights path gives NaN there
      (and its ``need_weights=False`` path zeros). Both lightgrad paths agree.
    * ``dropout_p`` must lie in ``[0, 1]`` (PyTorch does not check it).
    * ``masked_softmax`` and ``generate_square_subsequent_mask`` are lightgrad additions
      (PyTorch has the latter only as ``nn.Transformer.generate_square_subsequent_mask``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .arithmetic import add
from .dropout import _keep, dropout
from .linalg import _blas, linear, matmul
from .movement import cat, pad
from .operands import check_same_device, get_xp, wrap_dim
from .unary import _tensor

__all__ = [
    "scaled_dot_product_attention", "multi_head_attention_forward", "masked_softmax",
    "generate_square_subsequent_mask",
]

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


# ----------------------------------------------------------------------------- checks
def _shape(t: Tensor) -> tuple:
    return tuple(t.data.shape)


def _float_tensors(op: str, **named: Tensor) -> np.dtype:
    """All the same floating dtype, on one device; returns that dtype."""
    ts = list(named.values())
    check_same_device(op, *ts)
    dts = [t.data.dtype for t in ts]
    if any(d != dts[0] for d in dts):
        got = ", ".join(f"{n}.dtype={t.data.dtype}" for n, t in named.items())
        raise RuntimeError(f"{op}: expected {', '.join(named)} to have the same dtype, but got "
                           f"{got}")
    if dts[0].kind != "f":
        raise RuntimeError(f"{op}: expected floating point inputs, got dtype {dts[0]}")
    return dts[0]


def _mask_arg(mask: Any, dtype: np.dtype, op: str, arg: str) -> Tensor | None:
    """``mask`` as a bool Tensor or a float Tensor of ``dtype``."""
    if mask is None:
        return None
    m = _tensor(mask, op, arg)
    d = m.data.dtype
    if d != np.bool_ and d != dtype:
        raise RuntimeError(f"{op}: expected {arg} dtype to be bool or float or to match query "
                           f"dtype, but got {arg}.dtype: {d} and query.dtype: {dtype}")
    return m


def _check_p(p: Any, op: str) -> float:
    if isinstance(p, Tensor):
        p = p.item()
    if isinstance(p, bool) or not isinstance(p, int | float | np.integer | np.floating):
        raise TypeError(f"{op}: dropout_p must be a number, got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def _drop_scale(like: Tensor, p: float, shape: tuple) -> Any:
    """The dropout scale ``keep / (1 - p)`` of an attention matrix (lightgrad's generator)."""
    xp = get_xp(like.data)
    dt = like.data.dtype
    if p >= 1.0:
        return xp.zeros(shape, dtype=dt)
    return xp.divide(_keep(like, p, shape), 1.0 - p, dtype=dt)


# ----------------------------------------------------------------------------- functions
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(Q K^T * scale + mask) V``: attention of each query over the keys, one node.

    Args:
        query: ``(*, L, E)``.
        key: ``(*, S, E)``.
        value: ``(*, S, Ev)``. The batch dims ``*`` of the three broadcast.
        attn_mask: broadcastable to ``(*, L, S)``: boolean (True = may attend) or float (added
            to the scores, ``-inf`` masks). Not with ``is_causal``.
        dropout_p: dropout probability on the attention weights (applied whenever it is > 0;
            pass ``0.0`` in evaluation).
        is_causal: mask keys after the query's position (``tril`` of an ``L x S`` matrix of
            ones, aligned top-left as in PyTorch).
        scale: score scale; default ``1 / sqrt(E)``.
        enable_gqa: grouped-query attention: ``query`` has ``Hq`` heads (dim -3), ``key`` and
            ``value`` ``Hk`` heads with ``Hq % Hk == 0``; head ``j`` of ``key``/``value``
            serves query heads ``j*Hq/Hk ..`` (PyTorch's ``repeat_interleave``), no copies.

    Shape:
        Output ``(*, L, Ev)``. A query row with every key masked gives zeros.

    Raises:
        RuntimeError: fewer than 2 dims, mismatched dtypes or sizes (naming the shapes), a mask
            that does not broadcast, ``attn_mask`` with ``is_causal``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> q = lightgrad.tensor([[[1.0, 0.0]]])
        >>> k = lightgrad.tensor([[[1.0, 0.0], [0.0, 1.0]]])
        >>> v = lightgrad.tensor([[[1.0], [3.0]]])
        >>> F.scaled_dot_product_attention(q, k, v, scale=0.0)  # equal weights
        tensor([[[2.]]])
        >>> F.scaled_dot_product_attention(q, k, v, attn_mask=lightgrad.tensor([[True, False]]))
        tensor([[[1.]]])
    """
    op = "scaled_dot_product_attention"
    q, k, v = _tensor(query, op, "query"), _tensor(key, op, "key"), _tensor(value, op, "value")
    qs, ks, vs = _shape(q), _shape(k), _shape(v)
    if len(qs) < 2 or len(ks) < 2 or len(vs) < 2:
        raise RuntimeError(f"{op}: expected query, key and value to be at least 2-D, but got "
                           f"shapes {qs}, {ks} and {vs}")
    dtype = _float_tensors(op, query=q, key=k, value=v)
    if qs[-1] != ks[-1]:
        raise RuntimeError(f"{op}: query and key must have the same embedding size E (last "
                           f"dim), but got query shape {qs} and key shape {ks}")
    if ks[-2] != vs[-2]:
        raise RuntimeError(f"{op}: key and value must have the same sequence length S (dim "
                           f"-2), but got key shape {ks} and value shape {vs}")
    groups = 1
    kb, vb = ks[:-2], vs[:-2]
    if enable_gqa and len(qs) >= 3 and len(ks) >= 3 and len(vs) >= 3 and qs[-3] != ks[-3]:
        hq, hk, hv = qs[-3], ks[-3], vs[-3]
        if hk != hv or hk == 0 or hq % hk:
            raise RuntimeError(f"{op}: with enable_gqa the number of heads (dim -3) of key and "
                               f"value must be equal and divide the query's, but got query "
                               f"shape {qs}, key shape {ks} and value shape {vs}")
        groups = hq // hk
        kb, vb = kb[:-1] + (hq,), vb[:-1] + (hq,)
    try:
        np.broadcast_shapes(qs[:-2], kb, vb)
    except ValueError:
        raise RuntimeError(f"{op}: the batch dims of query, key and value must broadcast, but "
                           f"got shapes {qs}, {ks} and {vs}"
                           + ("" if enable_gqa or len(qs) < 3 or qs[-3] == ks[-3] else
                              " (different head counts: pass enable_gqa=True for grouped-query "
                              "attention)")) from None
    attn_shape = np.broadcast_shapes(qs[:-2], kb) + (qs[-2], ks[-2])
    m = _mask_arg(attn_mask, dtype, op, "attn_mask")
    if m is not None:
        if is_causal:
            raise RuntimeError(f"{op}: explicit attn_mask should not be set when "
                               "is_causal=True")
        ms = _shape(m)
        try:
            ok = np.broadcast_shapes(ms, attn_shape) == attn_shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"{op}: attn_mask of shape {ms} does not broadcast to the "
                               f"attention shape {attn_shape} (query shape {qs}, key shape {ks})")
    check_same_device(op, q, *(() if m is None else (m,)))
    p = _check_p(dropout_p, op)
    if scale is None:
        scale = 1.0 / math.sqrt(qs[-1]) if qs[-1] else 1.0
    elif isinstance(scale, bool) or not isinstance(scale, int | float | np.number):
        raise TypeError(f"{op}: scale must be a number or None, got {type(scale).__name__}")
    drop = None
    if p > 0.0:
        drop = _drop_scale(q, p, attn_shape)
        if groups > 1:
            drop = _group(drop, ks[-3], groups)
    return ScaledDotProductAttention.apply(q, k, v, m, float(scale), bool(is_causal), drop,
                                           groups)


def _attention_weights(query: Tensor, key: Tensor, mask: Tensor | None = None,
                       scale: float | None = None, is_causal: bool = False) -> Tensor:
    """``softmax(Q K^T * scale + mask)``: ``(*, L, E), (*, S, E) -> (*, L, S)`` (one node).

    ``mask`` is a bool (True = attend) or additive float Tensor broadcastable to ``(*, L, S)``;
    callers validate shapes. Rows with every key masked are zeros.
    """
    if scale is None:
        e = query.data.shape[-1]
        scale = 1.0 / math.sqrt(e) if e else 1.0
    return AttentionWeights.apply(query, key, mask, float(scale), bool(is_causal))


def masked_softmax(input: Tensor, mask: Tensor | None = None, dim: int = -1) -> Tensor:
    """``softmax(input)`` along ``dim`` over the entries where ``mask`` is True (lightgrad
    addition, d2l's ``masked_softmax``): masked entries get weight 0; a row with nothing kept
    is all zeros (not NaN), and so is its gradient.

    Args:
        input: floating scores.
        mask: boolean, broadcastable to ``input`` (True = keep); ``None`` keeps everything.
        dim: the dimension to normalize.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> x = lightgrad.tensor([[1.0, 1.0, 5.0], [2.0, 3.0, 4.0]])
        >>> F.masked_softmax(x, lightgrad.tensor([[True, True, False], [False, False, False]]))
        tensor([[0.5000, 0.5000, 0.0000],
                [0.0000, 0.0000, 0.0000]])
    """
    op = "masked_softmax"
    x = _tensor(input, op)
    if x.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got dtype {x.data.dtype}")
    d = wrap_dim(dim, max(x.ndim, 1), op) if x.ndim else 0
    m = None
    if mask is not None:
        mt = _tensor(mask, op, "mask")
        if mt.data.dtype != np.bool_:
            raise RuntimeError(f"{op}: mask must be a bool tensor (True = keep), got dtype "
                               f"{mt.data.dtype}")
        check_same_device(op, x, mt)
        try:
            ok = np.broadcast_shapes(_shape(mt), _shape(x)) == _shape(x)
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"{op}: mask of shape {_shape(mt)} does not broadcast to the "
                               f"input shape {_shape(x)}")
        m = mt.data
    if x.ndim == 0:
        x = x.reshape(1)
        return MaskedSoftmax.apply(x, None if m is None else m.reshape(1), 0).reshape(())
    return MaskedSoftmax.apply(x, m, d)


def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    """The causal mask ``(sz, sz)``: ``0`` on and below the diagonal, ``-inf`` above (position
    ``i`` may attend to ``0..i``), as ``nn.Transformer.generate_square_subsequent_mask``.

    Example:
        >>> import lightgrad.nn.functional as F
        >>> F.generate_square_subsequent_mask(3)
        tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]])
    """
    if isinstance(sz, bool) or not isinstance(sz, int | np.integer) or sz < 0:
        raise ValueError(f"generate_square_subsequent_mask: sz must be a non-negative int, got "
                         f"{sz!r}")
    dt = backend.get_default_dtype() if dtype is None else backend.as_dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"generate_square_subsequent_mask: dtype must be floating, got {dt}")
    xp = np if device is None else backend.array_module_for(device)
    arr = xp.triu(xp.full((sz, sz), _NEG_INF, dtype=dt), 1)
    t = Tensor._make(arr)
    return t if device is None else t.to(device)


# ----------------------------------------------------------------------------- multi-head
def _as_bool_keep(m: Tensor | None) -> Any:
    """A torch-style bool mask (True = masked) as an array of what may be attended."""
    return None if m is None else ~m.data


def _additive(m: Tensor, dtype: np.dtype) -> Tensor:
    """A torch-style mask as an additive float Tensor (bool True -> -inf)."""
    if m.data.dtype != np.bool_:
        return m
    xp = get_xp(m.data)
    arr = xp.zeros(m.data.shape, dtype=dtype)
    arr[m.data] = _NEG_INF
    return Tensor._make(arr)


def _pad_mask(m: Tensor | None) -> Tensor | None:
    """One more (unmasked) key column: for ``bias_k`` / ``add_zero_attn``."""
    if m is None:
        return None
    if m.data.dtype == np.bool_:
        xp = get_xp(m.data)
        return Tensor._make(xp.concatenate(
            [m.data, xp.zeros(m.data.shape[:-1] + (1,), dtype=bool)], axis=-1))
    return pad(m, (0, 1))


def _mha_mask(name: str, mask: Any, dtype: np.dtype, op: str) -> Tensor | None:
    if mask is None:
        return None
    m = _tensor(mask, op, name)
    d = m.data.dtype
    if d != np.bool_ and d.kind != "f":
        raise RuntimeError(f"{op}: only bool and floating types of {name} are supported, got "
                           f"dtype {d}")
    if d.kind == "f" and d != dtype:
        raise RuntimeError(f"{op}: a float {name} must have the query's dtype {dtype}, got {d}")
    return m


def _multi_head_attention(
        query: Tensor, key: Tensor, value: Tensor, num_heads: int,
        w_q: Tensor, w_k: Tensor, w_v: Tensor,
        b_q: Tensor | None, b_k: Tensor | None, b_v: Tensor | None,
        bias_k: Tensor | None, bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
        out_w: Tensor, out_b: Tensor | None, training: bool,
        key_padding_mask: Any, need_weights: bool, attn_mask: Any,
        average_attn_weights: bool, is_causal: bool, batch_first: bool,
        static_k: Tensor | None = None, static_v: Tensor | None = None,
        op: str = "multi_head_attention_forward") -> tuple[Tensor, Tensor | None]:
    """The body of :func:`multi_head_attention_forward` for either layout (``batch_first``:
    ``(N, L, E)``, else ``(L, N, E)``); shapes of query/key/value are checked by the caller."""
    batched = query.ndim == 3
    if not batched:  # run as a batch of one, batch-first
        query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        batch_first = True
        if key_padding_mask is not None:
            key_padding_mask = _tensor(key_padding_mask, op, "key_padding_mask").unsqueeze(0)
    bd = 0 if batch_first else 1  # the batch dim of query/key/value
    sd = 1 - bd  # their sequence dim
    n, n_l, e = query.shape[bd], query.shape[sd], query.shape[2]
    n_s = key.shape[sd]
    h = num_heads
    hd = e // h
    dtype = query.data.dtype
    kpm = _mha_mask("key_padding_mask", key_padding_mask, dtype, op)
    am = _mha_mask("attn_mask", attn_mask, dtype, op)
    if is_causal and am is None:
        raise RuntimeError(f"{op}: Need attn_mask if specifying the is_causal hint. You may use "
                           "generate_square_subsequent_mask to create this mask.")
    # masks are (L, S) / (N*H, L, S) / (N, S): check them against the inputs
    if am is not None:
        want: tuple[int, ...]
        if am.ndim == 2:
            want = (n_l, n_s)
        elif am.ndim == 3:
            want = (n * h, n_l, n_s)
        else:
            raise RuntimeError(f"{op}: attn_mask must be 2-D (L, S) or 3-D (N*num_heads, L, S), "
                               f"got shape {_shape(am)}")
        if _shape(am) != want:
            raise RuntimeError(f"{op}: the shape of the {am.ndim}-D attn_mask is {_shape(am)}, "
                               f"but should be {want} (L={n_l}, S={n_s}, N={n}, "
                               f"num_heads={h})")
        if am.ndim == 3:
            am = am.reshape(n, h, n_l, n_s)
    if kpm is not None:
        if _shape(kpm) != (n, n_s):
            raise RuntimeError(f"{op}: key_padding_mask must have shape (N, S) = {(n, n_s)}, "
                               f"got {_shape(kpm)}")
        kpm = kpm.reshape(n, 1, 1, n_s)
    use_causal = bool(is_causal) and kpm is None and not need_weights
    if use_causal:
        am = None

    # projections: (.., E) -> (N, H, T, hd)
    def heads(x: Tensor, t: int) -> Tensor:
        if batch_first:
            return x.reshape(n, t, h, hd).permute(0, 2, 1, 3)
        return x.reshape(t, n, h, hd).permute(1, 2, 0, 3)

    q = heads(linear(query, w_q, b_q), n_l)
    k = linear(key, w_k, b_k)  # (N, S, E) or (S, N, E)
    v = linear(value, w_v, b_v)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise RuntimeError(f"{op}: bias_k/bias_v cannot be added to static_k/static_v")
        shape = (n, 1, e) if batch_first else (1, n, e)
        k = cat([k, bias_k.reshape(1, 1, e).expand(*shape)], dim=sd)
        v = cat([v, bias_v.reshape(1, 1, e).expand(*shape)], dim=sd)
        am, kpm = _pad_mask(am), _pad_mask(kpm)
    elif (bias_k is None) != (bias_v is None):
        raise RuntimeError(f"{op}: bias_k and bias_v must be given together")
    t_k = k.shape[sd]
    k = heads(k, t_k) if static_k is None else _static(static_k, n, h, hd, "static_k", op)
    v = heads(v, t_k) if static_v is None else _static(static_v, n, h, hd, "static_v", op)
    if add_zero_attn:
        xp = get_xp(k.data)
        z = Tensor._make(xp.zeros((n, h, 1, hd), dtype=dtype))
        k, v = cat([k, z], dim=2), cat([v, z], dim=2)
        am, kpm = _pad_mask(am), _pad_mask(kpm)
    if k.shape[2] != v.shape[2]:
        raise RuntimeError(f"{op}: key and value sequence lengths differ: {k.shape[2]} and "
                           f"{v.shape[2]}")

    # one mask for the (N, H, L, S) scores
    mask: Tensor | None
    if am is None or kpm is None:
        mask = am if kpm is None else kpm
        if mask is not None and mask.data.dtype == np.bool_:
            mask = Tensor._make(~mask.data)  # True = may attend
    elif am.data.dtype == np.bool_ and kpm.data.dtype == np.bool_:
        mask = Tensor._make(~(am.data | kpm.data))
    else:
        mask = add(_additive(am, dtype), _additive(kpm, dtype))
    p = dropout_p if training else 0.0

    if need_weights:
        w = _attention_weights(q, k, mask, 1.0 / math.sqrt(hd) if hd else 1.0)  # (N, H, L, S)
        if p > 0.0:
            w = dropout(w, p)
        o = matmul(w, v)  # (N, H, L, hd)
        weights: Tensor | None = w.mean(dim=1) if average_attn_weights else w
    else:
        o = scaled_dot_product_attention(q, k, v, mask, p, use_causal)
        weights = None
    if batch_first:
        o = o.permute(0, 2, 1, 3).reshape(n, n_l, e)
    else:
        o = o.permute(2, 0, 1, 3).reshape(n_l, n, e)
    out = linear(o, out_w, out_b)
    if not batched:
        out = out.squeeze(0)
        if weights is not None:
            weights = weights.squeeze(0)
    return out, weights


def _static(t: Tensor, n: int, h: int, hd: int, name: str, op: str) -> Tensor:
    t = _tensor(t, op, name)
    if t.ndim != 3 or t.shape[0] != n * h or t.shape[2] != hd:
        raise RuntimeError(f"{op}: {name} must have shape (N*num_heads, S, head_dim) = "
                           f"({n * h}, S, {hd}), got {_shape(t)}")
    return t.reshape(n, h, t.shape[1], hd)


def _check_mha_inputs(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any,
                      attn_mask: Any, num_heads: int, op: str) -> None:
    qs, ks, vs = _shape(query), _shape(key), _shape(value)
    if len(qs) == 3:
        if len(ks) != 3 or len(vs) != 3:
            raise RuntimeError(f"{op}: for batched (3-D) query, expected key and value to be 3-D "
                               f"but got shapes {ks} and {vs}")
        if key_padding_mask is not None and getattr(key_padding_mask, "ndim", 0) != 2:
            raise RuntimeError(f"{op}: for batched (3-D) query, expected key_padding_mask to be "
                               f"None or 2-D, got shape {tuple(key_padding_mask.shape)}")
    elif len(qs) == 2:
        if len(ks) != 2 or len(vs) != 2:
            raise RuntimeError(f"{op}: for unbatched (2-D) query, expected key and value to be "
                               f"2-D but got shapes {ks} and {vs}")
        if key_padding_mask is not None and getattr(key_padding_mask, "ndim", 0) != 1:
            raise RuntimeError(f"{op}: for unbatched (2-D) query, expected key_padding_mask to "
                               f"be None or 1-D, got shape {tuple(key_padding_mask.shape)}")
    else:
        raise RuntimeError(f"{op}: query should be an unbatched 2-D or batched 3-D tensor, got "
                           f"shape {qs}")
    if attn_mask is not None and getattr(attn_mask, "ndim", 0) not in (2, 3):
        raise RuntimeError(f"{op}: expected attn_mask to be None, 2-D or 3-D, got shape "
                           f"{tuple(attn_mask.shape)}")


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None,
        bias_k: Tensor | None, bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
        out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention (PyTorch's functional form of ``nn.MultiheadAttention``):
    ``concat_h(softmax(Q_h K_h^T / sqrt(d)) V_h) W_o^T + b_o`` with ``Q = query W_q^T + b_q``...

    Args:
        query: ``(L, N, E)`` (or unbatched ``(L, E)``).
        key, value: ``(S, N, E_k)``, ``(S, N, E_v)`` (``E_k = E_v = E`` unless
            ``use_separate_proj_weight``).
        embed_dim_to_check: ``E``; num_heads: ``H`` (``E % H == 0``).
        in_proj_weight, in_proj_bias: packed ``(3E, E)`` / ``(3E,)`` projections (q, k, v).
        bias_k, bias_v: ``(1, 1, E)`` learned key/value appended to the sequence, or None.
        add_zero_attn: append a zero key/value.
        dropout_p: dropout on the attention weights (only when ``training``).
        out_proj_weight, out_proj_bias: ``(E, E)`` / ``(E,)``.
        key_padding_mask: ``(N, S)``; bool True = ignore that key, or float (added).
        need_weights: also return the attention weights.
        attn_mask: ``(L, S)`` or ``(N*H, L, S)``; bool True = may NOT attend, or float (added).
        use_separate_proj_weight: use ``q/k/v_proj_weight`` (``(E, E)``, ``(E, E_k)``,
            ``(E, E_v)``) instead of ``in_proj_weight``.
        static_k, static_v: ``(N*H, S, E/H)`` keys/values used instead of the projections.
        average_attn_weights: average the returned weights over heads.
        is_causal: a hint that ``attn_mask`` is the causal mask (required with it).

    Returns:
        ``(attn_output, attn_weights)``: ``(L, N, E)`` and ``(N, L, S)`` (averaged) or
        ``(N, H, L, S)``, or ``None`` without ``need_weights``. A query with every key masked
        gets zero weights in both paths (PyTorch: NaN when ``need_weights``).
    """
    op = "multi_head_attention_forward"
    query = _tensor(query, op, "query")
    key, value = _tensor(key, op, "key"), _tensor(value, op, "value")
    _check_mha_inputs(query, key, value, key_padding_mask, attn_mask, num_heads, op)
    e = query.shape[-1]
    if e != embed_dim_to_check:
        raise RuntimeError(f"{op}: was expecting embedding dimension of {embed_dim_to_check}, "
                           f"but got {e} (query shape {_shape(query)})")
    if num_heads <= 0 or e % num_heads:
        raise ValueError(f"{op}: embed_dim {e} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:-1] != value.shape[:-1]:
            raise RuntimeError(f"{op}: key's sequence and batch dims {tuple(key.shape[:-1])} do "
                               f"not match value's {tuple(value.shape[:-1])}")
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise RuntimeError(f"{op}: use_separate_proj_weight=True needs q_proj_weight, "
                               "k_proj_weight and v_proj_weight")
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        if _shape(key) != _shape(value):
            raise RuntimeError(f"{op}: key shape {_shape(key)} does not match value shape "
                               f"{_shape(value)}")
        if in_proj_weight is None:
            raise RuntimeError(f"{op}: use_separate_proj_weight is False but in_proj_weight is "
                               "None")
        w_q, w_k, w_v = in_proj_weight[:e], in_proj_weight[e:2 * e], in_proj_weight[2 * e:]
    for name, w, d in (("q", w_q, e), ("k", w_k, key.shape[-1]), ("v", w_v, value.shape[-1])):
        if _shape(w) != (e, d):
            raise RuntimeError(f"{op}: expecting {name} projection weight of shape {(e, d)}, "
                               f"but got {_shape(w)}")
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias[:e], in_proj_bias[e:2 * e], in_proj_bias[2 * e:]
    if query.ndim == 3 and key.shape[1] != query.shape[1]:
        raise RuntimeError(f"{op}: query and key must have the same batch size (dim 1), got "
                           f"shapes {_shape(query)} and {_shape(key)}")
    return _multi_head_attention(
        query, key, value, num_heads, w_q, w_k, w_v, b_q, b_k, b_v, bias_k, bias_v,
        add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask,
        need_weights, attn_mask, average_attn_weights, is_causal, batch_first=False,
        static_k=static_k, static_v=static_v, op=op)
