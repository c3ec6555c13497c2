"""nn modules: attention. ``MultiheadAttention`` (PyTorch's, parameter for parameter) and the
courses' single-head attention layers ``AdditiveAttention`` (Bahdanau), ``DotProductAttention``
and ``MultiplicativeAttention`` (Luong), which PyTorch does not have (lightgrad additions, in
the readable style of d2l). The math lives in ``lightgrad/ops/attention.py``.

The courses' layers share one calling convention::

    context, weights = attention(query, key, value=None, mask=None, valid_lens=None)

``query`` is ``(N, Lq, Dq)``, or ``(N, Dq)`` for a single decoder step (then ``context`` is
``(N, Dv)`` and ``weights`` ``(N, S)``); ``key`` ``(N, S, Dk)``; ``value`` ``(N, S, Dv)``
(defaults to ``key``). ``mask`` is boolean with **True = may attend** (as
``scaled_dot_product_attention``, the opposite of ``MultiheadAttention``'s
``key_padding_mask``), shaped ``(N, S)`` (which keys are real) or broadcastable to
``(N, Lq, S)``; ``valid_lens`` (d2l) keeps keys ``j < valid_lens[n]`` (shape ``(N,)``) or
``j < valid_lens[n, i]`` (shape ``(N, Lq)``). A query with no key to attend to gets zero
weights and a zero context.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import creation
from ...ops.activation import tanh
from ...ops.attention import (
    _attention_weights,
    _check_mha_inputs,
    _multi_head_attention,
    masked_softmax,
)
from ...ops.linalg import matmul
from ...ops.operands import get_xp
from ...ops.unary import _tensor
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter
from .dropout import Dropout
from .linear import Linear

__all__ = ["MultiheadAttention", "AdditiveAttention", "DotProductAttention",
           "MultiplicativeAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """``Linear`` under the name PyTorch gives ``MultiheadAttention.out_proj`` (same repr)."""


def _positive(n: Any, layer: str, arg: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"{layer}: {arg} must be an int, got {type(n).__name__}")
    if n <= 0:
        raise ValueError(f"{layer}: {arg} must be greater than 0, got {n}")
    return int(n)


class MultiheadAttention(Module):
    """Multi-head attention (``torch.nn.MultiheadAttention``):
    ``MultiHead(Q, K, V) = concat(head_1..head_H) W_o^T + b_o``,
    ``head_i = softmax(Q W_qi^T (K W_ki^T)^T / sqrt(E/H)) V W_vi^T``.

    Args:
        embed_dim: ``E``, split across the heads (``E % num_heads == 0``).
        num_heads: ``H``.
        dropout: dropout on the attention weights (training only).
        bias: biases on the input and output projections.
        add_bias_kv: learn a key and a value appended to the sequence (``bias_k``, ``bias_v``).
        add_zero_attn: append a zero key and value.
        kdim, vdim: feature sizes of key and value (default ``E``); when either differs,
            the projections are ``q_proj_weight``/``k_proj_weight``/``v_proj_weight``
            instead of the packed ``in_proj_weight``.
        batch_first: inputs and output are ``(N, L, E)`` instead of ``(L, N, E)``.
        device, dtype: where and in which dtype the parameters live.

    Attributes (PyTorch's names, so a torch ``state_dict`` loads):
        in_proj_weight: ``(3E, E)``, xavier-uniform; in_proj_bias: ``(3E,)``, zeros;
        out_proj: ``Linear(E, E)`` (bias zeros); bias_k, bias_v: ``(1, 1, E)``, xavier-normal.

    Shape:
        ``forward(query, key, value, key_padding_mask=None, need_weights=True,
        attn_mask=None, average_attn_weights=True, is_causal=False)``:
        query ``(L, N, E)``, key ``(S, N, kdim)``, value ``(S, N, vdim)`` (batch-first:
        ``(N, L, E)``...; unbatched ``(L, E)``...); ``key_padding_mask`` ``(N, S)`` (bool:
        True = ignore that key; float: added); ``attn_mask`` ``(L, S)`` or ``(N*H, L, S)``
        (bool: True = may NOT attend; float: added). Returns ``(attn_output, attn_weights)``:
        ``(L, N, E)`` and ``(N, L, S)`` (``average_attn_weights``) or ``(N, H, L, S)``, or
        ``None`` when ``need_weights=False`` (the fused, faster path). A query whose keys are
        all masked gets zeros (PyTorch: NaN when ``need_weights``).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = lightgrad.randn(2, 5, 16)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (lightgrad.Size([2, 5, 16]), lightgrad.Size([2, 5, 5]))
    """

    bias_k: Parameter | None
    bias_v: Parameter | None

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = "MultiheadAttention"
        if isinstance(embed_dim, int | np.integer) and isinstance(num_heads, int | np.integer) \
                and (embed_dim <= 0 or num_heads <= 0):
            raise ValueError(f"{name}: embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        self.embed_dim = _positive(embed_dim, name, "embed_dim")
        self.num_heads = _positive(num_heads, name, "num_heads")
        self.kdim = _positive(kdim, name, "kdim") if kdim is not None else self.embed_dim
        self.vdim = _positive(vdim, name, "vdim") if vdim is not None else self.embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout = float(dropout)
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise ValueError(f"{name}: embed_dim must be divisible by num_heads, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads}")
        kw = {"device": device, "dtype": dtype}
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(creation.empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(creation.empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(creation.empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(creation.empty((3 * embed_dim, embed_dim), **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(creation.empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(creation.empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    reset_parameters = _reset_parameters

    def _desc(self) -> str:
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        desc = self._desc()
        query = _tensor(query, desc, "query")
        key, value = _tensor(key, desc, "key"), _tensor(value, desc, "value")
        _check_mha_inputs(query, key, value, key_padding_mask, attn_mask, self.num_heads, desc)
        for what, t, d in (("query", query, self.embed_dim), ("key", key, self.kdim),
                           ("value", value, self.vdim)):
            if t.shape[-1] != d:
                raise RuntimeError(f"{desc}: {what} has {t.shape[-1]} features, expected {d} "
                                   f"(shape {tuple(t.shape)})")
        if key.shape[:-1] != value.shape[:-1]:
            raise RuntimeError(f"{desc}: key and value must have the same sequence and batch "
                               f"dims, got shapes {tuple(key.shape)} and {tuple(value.shape)}")
        if query.ndim == 3:
            bd = 0 if self.batch_first else 1
            if query.shape[bd] != key.shape[bd]:
                raise RuntimeError(f"{desc}: query and key must have the same batch size (dim "
                                   f"{bd}), got shapes {tuple(query.shape)} and "
                                   f"{tuple(key.shape)}")
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            w_q, w_k, w_v = w[:e], w[e:2 * e], w[2 * e:]
        else:
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        b = self.in_proj_bias
        b_q, b_k, b_v = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        return _multi_head_attention(
            query, key, value, self.num_heads, w_q, w_k, w_v, b_q, b_k, b_v, self.bias_k,
            self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight,
            self.out_proj.bias, self.training, key_padding_mask, need_weights, attn_mask,
            average_attn_weights, is_causal, batch_first=self.batch_first, op=desc)


# ----------------------------------------------------------------------------- the courses'
def _keep_mask(mask: Any, valid_lens: Any, n: int, lq: int, s: int, layer: str) -> Tensor | None:
    """The boolean (True = attend) mask of a ``(N, Lq, S)`` score matrix, or None."""
    if mask is None and valid_lens is None:
        return None
    if mask is not None and valid_lens is not None:
        raise ValueError(f"{layer}: pass mask or valid_lens, not both")
    if mask is not None:
        m = _tensor(mask, layer, "mask")
        if m.data.dtype != np.bool_:
            raise TypeError(f"{layer}: mask must be a bool tensor (True = may attend), got "
                            f"dtype {m.data.dtype}")
        ms = tuple(m.shape)
        if ms == (n, s):  # which keys each sequence has (always read so, even if N == Lq)
            return m.reshape(n, 1, s)
        try:
            ok = np.broadcast_shapes(ms, (n, lq, s)) == (n, lq, s)
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"{layer}: mask of shape {ms} must be (N, S) = {(n, s)} or "
                               f"broadcast to (N, Lq, S) = {(n, lq, s)}")
        return m
    lens = valid_lens.data if isinstance(valid_lens, Tensor) else np.asarray(valid_lens)
    xp = get_xp(lens)
    if lens.shape == (n,):
        lens = lens.reshape(n, 1, 1)
    elif lens.shape == (n, lq):
        lens = lens.reshape(n, lq, 1)
    else:
        raise RuntimeError(f"{layer}: valid_lens must have shape (N,) = ({n},) or (N, Lq) = "
                           f"{(n, lq)}, got {tuple(lens.shape)}")
    return Tensor._make(xp.arange(s) < lens)  # (N, 1 or Lq, S)


class _Attention(Module):
    """Shared plumbing of the single-head attention layers: shapes, masks, dropout."""

    def _prepare(self, query: Tensor, key: Tensor, value: Tensor | None, q_size: int | None,
                 k_size: int | None) -> tuple[Tensor, Tensor, Tensor, bool]:
        layer = self._desc()
        query, key = _tensor(query, layer, "query"), _tensor(key, layer, "key")
        value = key if value is None else _tensor(value, layer, "value")
        single = query.ndim == 2
        if single:
            query = query.unsqueeze(1)  # (N, 1, Dq)
        if query.ndim != 3 or key.ndim != 3 or value.ndim != 3:
            raise RuntimeError(f"{layer}: expected query (N, Lq, Dq) or (N, Dq), key (N, S, Dk) "
                               f"and value (N, S, Dv), got shapes {tuple(query.shape)}, "
                               f"{tuple(key.shape)} and {tuple(value.shape)}")
        if not (query.shape[0] == key.shape[0] == value.shape[0]) \
                or key.shape[1] != value.shape[1]:
            raise RuntimeError(f"{layer}: query, key and value must share the batch size N, and "
                               f"key and value the length S; got shapes {tuple(query.shape)}, "
                               f"{tuple(key.shape)} and {tuple(value.shape)}")
        dts = {t.data.dtype for t in (query, key, value)}
        if len(dts) > 1 or next(iter(dts)).kind != "f":
            raise RuntimeError(f"{layer}: query, key and value must have one floating dtype, "
                               f"got {query.data.dtype}, {key.data.dtype} and {value.data.dtype}")
        if q_size is not None and query.shape[-1] != q_size:
            raise RuntimeError(f"{layer}: query has {query.shape[-1]} features, expected "
                               f"{q_size} (shape {tuple(query.shape)})")
        if k_size is not None and key.shape[-1] != k_size:
            raise RuntimeError(f"{layer}: key has {key.shape[-1]} features, expected {k_size} "
                               f"(shape {tuple(key.shape)})")
        return query, key, value, single

    def _mask(self, mask: Any, valid_lens: Any, query: Tensor, key: Tensor) -> Tensor | None:
        return _keep_mask(mask, valid_lens, query.shape[0], query.shape[1], key.shape[1],
                          self._desc())

    def _finish(self, weights: Tensor, value: Tensor, single: bool) -> tuple[Tensor, Tensor]:
        context = matmul(self.dropout(weights), value)  # (N, Lq, Dv)
        if single:
            return context.squeeze(1), weights.squeeze(1)  # (N, Dv), (N, S)
        return context, weights

    def _desc(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class AdditiveAttention(_Attention):
    """Additive (Bahdanau) attention: ``score(q, k) = w_v^T tanh(W_q q + W_k k)``,
    ``weights = softmax(scores)`` over the keys, ``context = weights @ value``.

    A lightgrad addition (PyTorch has no such layer), as in d2l's ``AdditiveAttention``; the
    calling convention is in the module notes.

    Args:
        query_size: ``Dq``; key_size: ``Dk``; num_hiddens: ``h``, the size of the hidden layer.
        dropout: dropout on the attention weights (training only).
        device, dtype: for the parameters.

    Attributes:
        W_q: ``Linear(Dq, h, bias=False)``; W_k: ``Linear(Dk, h, bias=False)``;
        w_v: ``Linear(h, 1, bias=False)`` (PyTorch's default ``Linear`` initialization).

    Shape:
        query ``(N, Lq, Dq)`` or ``(N, Dq)``, key ``(N, S, Dk)``, value ``(N, S, Dv)``;
        returns context ``(N, Lq, Dv)`` (or ``(N, Dv)``) and weights ``(N, Lq, S)``
        (or ``(N, S)``).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> attn = nn.AdditiveAttention(query_size=4, key_size=6, num_hiddens=8)
        >>> q, k = lightgrad.randn(2, 4), lightgrad.randn(2, 5, 6)
        >>> context, w = attn(q, k, valid_lens=lightgrad.tensor([5, 3]))
        >>> context.shape, w.shape
        (lightgrad.Size([2, 6]), lightgrad.Size([2, 5]))
        >>> w[1, 3:].tolist()
        [0.0, 0.0]
    """

    def __init__(self, query_size: int, key_size: int, num_hiddens: int, dropout: float = 0.0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = "AdditiveAttention"
        self.query_size = _positive(query_size, name, "query_size")
        self.key_size = _positive(key_size, name, "key_size")
        self.num_hiddens = _positive(num_hiddens, name, "num_hiddens")
        kw = {"device": device, "dtype": dtype}
        self.W_q = Linear(query_size, num_hiddens, bias=False, **kw)
        self.W_k = Linear(key_size, num_hiddens, bias=False, **kw)
        self.w_v = Linear(num_hiddens, 1, bias=False, **kw)
        self.dropout = Dropout(dropout)

    def forward(self, query: Tensor, key: Tensor, value: Tensor | None = None,
                mask: Tensor | None = None,
                valid_lens: Tensor | None = None) -> tuple[Tensor, Tensor]:
        query, key, value, single = self._prepare(query, key, value, self.query_size,
                                                  self.key_size)
        q = self.W_q(query)  # (N, Lq, h)
        k = self.W_k(key)  # (N, S, h)
        features = tanh(q.unsqueeze(2) + k.unsqueeze(1))  # (N, Lq, S, h)
        scores = self.w_v(features).squeeze(-1)  # (N, Lq, S)
        weights = masked_softmax(scores, self._mask(mask, valid_lens, query, key))
        return self._finish(weights, value, single)

    def extra_repr(self) -> str:
        return (f"query_size={self.query_size}, key_size={self.key_size}, "
                f"num_hiddens={self.num_hiddens}")


class DotProductAttention(_Attention):
    """Scaled dot-product attention: ``weights = softmax(q k^T / sqrt(d))``,
    ``context = weights @ value`` (d2l's ``DotProductAttention``; ``scale=1.0`` gives Luong's
    "dot" score). No parameters; a lightgrad addition (PyTorch's functional is
    ``F.scaled_dot_product_attention``, which returns no weights).

    Args:
        dropout: dropout on the attention weights (training only).
        scale: the score scale; default ``1 / sqrt(d)`` with ``d`` the query size.

    Shape:
        query ``(N, Lq, d)`` or ``(N, d)``, key ``(N, S, d)``, value ``(N, S, Dv)``; returns
        ``(context, weights)`` as :class:`AdditiveAttention`.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> attn = nn.DotProductAttention()
        >>> k = lightgrad.tensor([[[1.0, 0.0], [0.0, 1.0]]])
        >>> context, w = attn(lightgrad.tensor([[[0.0, 0.0]]]), k, k)
        >>> w
        tensor([[[0.5000, 0.5000]]])
    """

    def __init__(self, dropout: float = 0.0, scale: float | None = None) -> None:
        super().__init__()
        self.scale = scale
        self.dropout = Dropout(dropout)

    def forward(self, query: Tensor, key: Tensor, value: Tensor | None = None,
                mask: Tensor | None = None,
                valid_lens: Tensor | None = None) -> tuple[Tensor, Tensor]:
        query, key, value, single = self._prepare(query, key, value, None, None)
        if query.shape[-1] != key.shape[-1]:
            raise RuntimeError(f"{self._desc()}: query and key must have the same size, got "
                               f"shapes {tuple(query.shape)} and {tuple(key.shape)}")
        d = query.shape[-1]
        scale = self.scale if self.scale is not None else (1.0 / math.sqrt(d) if d else 1.0)
        weights = _attention_weights(query, key, self._mask(mask, valid_lens, query, key),
                                     scale)  # (N, Lq, S)
        return self._finish(weights, value, single)

    def extra_repr(self) -> str:
        return "" if self.scale is None else f"scale={self.scale}"


class MultiplicativeAttention(_Attention):
    """Multiplicative (Luong "general") attention: ``score(q, k) = q^T W k``,
    ``weights = softmax(scores)``, ``context = weights @ value``. A lightgrad addition.

    Args:
        query_size: ``Dq``; key_size: ``Dk``.
        dropout: dropout on the attention weights (training only).
        device, dtype: for the parameter.

    Attributes:
        W: ``Linear(Dk, Dq, bias=False)``: ``W k`` maps keys into the query space (PyTorch's
        default ``Linear`` initialization).

    Shape:
        As :class:`AdditiveAttention`.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> attn = nn.MultiplicativeAttention(query_size=3, key_size=5)
        >>> context, w = attn(lightgrad.randn(2, 4, 3), lightgrad.randn(2, 6, 5))
        >>> context.shape, w.shape
        (lightgrad.Size([2, 4, 5]), lightgrad.Size([2, 4, 6]))
    """

    def __init__(self, query_size: int, key_size: int, dropout: float = 0.0,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = "MultiplicativeAttention"
        self.query_size = _positive(query_size, name, "query_size")
        self.key_size = _positive(key_size, name, "key_size")
        self.W = Linear(key_size, query_size, bias=False, device=device, dtype=dtype)
        self.dropout = Dropout(dropout)

    def forward(self, query: Tensor, key: Tensor, value: Tensor | None = None,
                mask: Tensor | None = None,
                valid_lens: Tensor | None = None) -> tuple[Tensor, Tensor]:
        query, key, value, single = self._prepare(query, key, value, self.query_size,
                                                  self.key_size)
        wk = self.W(key)  # (N, S, Dq)
        weights = _attention_weights(query, wk, self._mask(mask, valid_lens, query, key),
                                     1.0)  # (N, Lq, S)
        return self._finish(weights, value, single)

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}"
