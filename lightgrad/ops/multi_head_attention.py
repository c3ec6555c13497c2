"""Multi-head attention (``multi_head_attention_forward``, the math of
``nn.MultiheadAttention``): projections, torch-style masks (bool True = masked) merged into one
mask for the ``(N, H, L, S)`` scores, then scaled dot-product attention per head.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .arithmetic import add
from .attention_kernels import _NEG_INF
from .dropout import dropout
from .linalg import linear, matmul
from .movement import cat, pad
from .operands import _tensor, get_xp
from .scaled_attention import _attention_weights, _shape, scaled_dot_product_attention

__all__ = ["multi_head_attention_forward"]


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
