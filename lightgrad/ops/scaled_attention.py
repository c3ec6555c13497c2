"""Scaled dot-product attention, the attention weights alone, ``masked_softmax`` and the
causal mask helper: argument checks around the primitives of :mod:`.attention_kernels`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor
from .attention_kernels import (
    _NEG_INF,
    AttentionWeights,
    MaskedSoftmax,
    ScaledDotProductAttention,
    _group,
)
from .dropout import _keep
from .operands import _tensor, check_same_device, get_xp, wrap_dim

__all__ = ["scaled_dot_product_attention", "masked_softmax", "generate_square_subsequent_mask"]


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
