"""Attention layers: ``Attention`` (Luong), ``AdditiveAttention`` (Bahdanau) and
``MultiHeadAttention`` (Vaswani), with Keras's arguments, weights and call conventions.

The math is lightgrad's attention ops: the fused ``scaled_dot_product_attention`` when the
attention weights are not asked for, else ``masked_softmax`` of the scores; projections are
``linear`` on Keras's weight layouts. Masks are boolean (True = may attend).

One deliberate difference: a query row with EVERY key masked gets zero attention weights
(lightgrad's convention, so zero output before any output projection) where Keras, which
subtracts 1e9 from masked scores, spreads its weight uniformly over the masked keys.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...nn import functional as F
from ...ops.attention import masked_softmax, scaled_dot_product_attention
from ...ops.operands import get_xp
from ...tensor import Tensor
from .. import initializers as _init
from .. import regularizers as _reg
from .convolutional import ActivityRegularized, named, no_constraints
from .layer import Layer

__all__ = ["Attention", "AdditiveAttention", "MultiHeadAttention"]


def _bool_mask(m: Any, like: Tensor) -> Any:
    """A mask as a boolean array on ``like``'s device (None stays None)."""
    if m is None:
        return None
    xp = get_xp(like.data)
    data = m.data if isinstance(m, Tensor) else m
    return xp.asarray(data).astype(bool)


def _causal(t: int, s: int, xp: Any) -> Any:
    """``(1, t, s)``: query ``i`` may attend to keys ``j <= i``."""
    return (xp.arange(t)[:, None] >= xp.arange(s)[None, :])[None]


class _BaseDenseAttention(Layer):
    """Shared inputs/masks plumbing of :class:`Attention` and :class:`AdditiveAttention`."""

    def _validate(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, list | tuple):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely "
                             f"[query, value] or [query, value, key]. Received: inputs of type "
                             f"{type(inputs).__name__}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely "
                             f"[query, value] or [query, value, key]. Received length: "
                             f"{len(inputs)}.")
        if mask is not None and (not isinstance(mask, list | tuple) or
                                 not 2 <= len(mask) <= 3):
            raise ValueError(f"{name} layer mask must be a list of length 2 or 3, namely "
                             f"[query_mask, value_mask]. Received: mask={mask!r}.")

    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        raise NotImplementedError

    def call(self, inputs: Any, mask: Any = None, training: Any = None,
             return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        self._validate(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        for t, what in ((q, "query"), (v, "value"), (k, "key")):
            if t.ndim != 3:
                raise ValueError(f"{type(self).__name__} '{self.name}': {what} must be 3-D "
                                 f"(batch, steps, dim), got shape {tuple(t.shape)}")
        q_mask = _bool_mask(mask[0], q) if mask else None
        v_mask = _bool_mask(mask[1], q) if mask else None
        xp = get_xp(q.data)
        keep = None if v_mask is None else v_mask[:, None, :]  # (N, 1, Tv)
        if use_causal_mask:
            c = _causal(q.shape[1], k.shape[1], xp)
            keep = c if keep is None else keep & c
        keep_t = None if keep is None else Tensor._make(keep)
        train = self.training if training is None else bool(training)
        p = self.dropout if train else 0.0
        weights = masked_softmax(self._scores(q, k), keep_t)  # (N, Tq, Tv)
        dropped = F.dropout(weights, p, True) if p > 0 else weights
        result = dropped.matmul(v)  # type: ignore[attr-defined]
        if q_mask is not None:
            result = result * Tensor._make(q_mask[:, :, None].astype(result.dtype))
        if return_attention_scores:
            return result, dropped
        return result

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        self._validate(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return mask[0]


class Attention(_BaseDenseAttention):
    """Dot-product attention (Luong): ``scores = query @ key^T`` (times a learned scalar with
    ``use_scale``; no ``1/sqrt(d)``), ``weights = softmax(scores)``, ``output = weights @
    value``.

    Args:
        use_scale: learn a scalar ``scale`` (initialized to 1) multiplying the scores.
        score_mode: ``"dot"`` or ``"concat"`` (``scores = concat_score_weight *
            sum(tanh(scale * (q + k)), -1)``).
        dropout: dropout on the attention weights (training only).

    Call args:
        inputs: ``[query (N, Tq, dim), value (N, Tv, dim)]`` or ``[query, value, key]``.
        mask: ``[query_mask (N, Tq), value_mask (N, Tv)]`` booleans: masked values are not
            attended to; outputs at masked queries are zero.
        return_attention_scores: also return the weights ``(N, Tq, Tv)`` (after dropout).
        use_causal_mask: query ``i`` attends to keys ``j <= i`` only.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> q, v = np.ones((2, 3, 4)), np.ones((2, 5, 4))
        >>> out, w = keras.layers.Attention()([q, v], return_attention_scores=True)
        >>> out.shape, w.shape
        (lightgrad.Size([2, 3, 4]), lightgrad.Size([2, 3, 5]))
    """

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**named(type(self), kwargs))
        if score_mode not in ("dot", "concat"):
            raise ValueError("Invalid value for argument score_mode. Expected one of "
                             f"{{'dot', 'concat'}}. Received: score_mode={score_mode}")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed

    def build(self, input_shape: Any) -> None:
        if self.use_scale:
            self.scale = self.add_weight("scale", (), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", (),
                                                       initializer="ones")
        self.built = True

    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        if self.score_mode == "dot":
            scores = q.matmul(k.transpose(1, 2))  # type: ignore[attr-defined]
            return scores * self.scale if self.use_scale else scores
        s = q.unsqueeze(2) + k.unsqueeze(1)  # (N, Tq, Tv, dim)
        if self.use_scale:
            s = s * self.scale
        return self.concat_score_weight * s.tanh().sum(-1)  # type: ignore[attr-defined]

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"use_scale": self.use_scale, "score_mode": self.score_mode,
                    "dropout": self.dropout, "seed": self.seed})
        return cfg


class AdditiveAttention(_BaseDenseAttention):
    """Additive attention (Bahdanau): ``scores = sum(scale * tanh(query + key), -1)`` over
    every query/key pair, ``weights = softmax(scores)``, ``output = weights @ value``. (As in
    Keras, no projections: put ``Dense`` layers before it.)

    Args:
        use_scale: learn ``scale`` of shape ``(dim,)`` (``glorot_uniform``); else 1.
        dropout: dropout on the attention weights (training only).

    Call args: as :class:`Attention`.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> keras.layers.AdditiveAttention()([np.ones((2, 3, 4)), np.ones((2, 5, 4))]).shape
        lightgrad.Size([2, 3, 4])
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("score_mode", None)
        seed = kwargs.pop("seed", None)
        super().__init__(**named(type(self), kwargs))
        self.use_scale = bool(use_scale)
        self.dropout = float(dropout)
        self.seed = seed

    def build(self, input_shape: Any) -> None:
        if self.use_scale:
            dim = input_shape[0][-1]
            self.scale = self.add_weight("scale", (dim,), initializer="glorot_uniform")
        self.built = True

    def _scores(self, q: Tensor, k: Tensor) -> Tensor:
        feats = (q.unsqueeze(2) + k.unsqueeze(1)).tanh()  # type: ignore[attr-defined]
        if not self.use_scale:
            return feats.sum(-1)  # type: ignore[attr-defined]
        return F.linear(feats, self.scale.unsqueeze(0)).squeeze(-1)  # type: ignore

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"use_scale": self.use_scale, "dropout": self.dropout})
        return cfg


class MultiHeadAttention(ActivityRegularized, Layer):
    """Multi-head attention (Vaswani et al. 2017) with Keras's weights.

    ``num_heads`` heads each project the query and key to ``key_dim`` and the value to
    ``value_dim``; each head computes ``softmax(q k^T / sqrt(key_dim)) v``; the heads are
    projected back to ``output_shape`` (default: the query's last dim).

    Weights (``get_weights()`` order and shapes, Keras's ``EinsumDense`` layouts)::

        query kernel (dim_q, H, key_dim), query bias (H, key_dim),
        key kernel (dim_k, H, key_dim), key bias (H, key_dim),
        value kernel (dim_v, H, value_dim), value bias (H, value_dim),
        output kernel (H, value_dim, *output_shape), output bias (*output_shape,)

    Args:
        num_heads: the number of heads ``H``; key_dim: per-head query/key size.
        value_dim: per-head value size (default ``key_dim``).
        dropout: dropout on the attention weights (training only).
        use_bias: biases in the four projections.
        output_shape: the output's last dim(s) (an int or a tuple).
        attention_axes: only ``None`` (attention over the sequence axis of 3-D inputs).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer: as in ``Dense``.

    Call args:
        query ``(B, T, dim_q)``, value ``(B, S, dim_v)``, key ``(B, S, dim_k)`` (default
        ``value``); query_mask ``(B, T)``, value_mask / key_mask ``(B, S)``; attention_mask
        ``(B, T, S)`` (True = may attend); return_attention_scores: also return the weights
        ``(B, H, T, S)``; training; use_causal_mask.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
        >>> x = np.ones((4, 5, 8))
        >>> out, w = mha(x, x, return_attention_scores=True)
        >>> out.shape, w.shape
        (lightgrad.Size([4, 5, 8]), lightgrad.Size([4, 2, 5, 5]))
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None,
                 dropout: float = 0.0, use_bias: bool = True, output_shape: Any = None,
                 attention_axes: Any = None, flash_attention: Any = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**named(type(self), kwargs))
        for arg, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"MultiHeadAttention: `{arg}` must be a positive integer, "
                                 f"received {arg}={v!r}")
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        if output_shape:
            output_shape = (int(output_shape),) if isinstance(output_shape, int | np.integer) \
                else tuple(int(v) for v in output_shape)
        self._output_shape = output_shape or None
        if attention_axes is not None:
            axes = (attention_axes,) if isinstance(attention_axes, int) else \
                tuple(attention_axes)
            if axes not in ((1,), (-2,)):
                raise NotImplementedError("MultiHeadAttention: only attention over the sequence "
                                          "axis of 3-D inputs is supported (attention_axes="
                                          f"None), received attention_axes={attention_axes!r}")
        self.attention_axes = attention_axes
        self.flash_attention = flash_attention
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        no_constraints("MultiHeadAttention", kernel_constraint=kernel_constraint,
                       bias_constraint=bias_constraint)
        self.seed = seed
        self._init_activity(activity_regularizer)

    # in a model, the masks of query, value and key (Embedding(mask_zero=True)...) fill these
    _input_mask_args = ("query_mask", "value_mask", "key_mask")

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output's mask is the query's (Keras 3)."""
        if isinstance(mask, list | tuple):
            return mask[0] if mask else None
        return None

    # Keras calls it as layer(query, value, key=None, ...): pack the tensors into one list so
    # that building, the functional API and the graph see all of them.
    def __call__(self, query: Any, value: Any = None, key: Any = None,  # type: ignore[override]
                 **kwargs: Any) -> Any:
        if value is None and isinstance(query, list | tuple):
            packed = list(query)
        else:
            if value is None:
                raise TypeError("MultiHeadAttention: call(query, value, key=None, ...) needs "
                                "`value`")
            packed = [query, value] if key is None else [query, value, key]
        return super().__call__(packed, **kwargs)

    @property
    def output_shape(self) -> Any:
        return self._output_shape

    def build(self, input_shape: Any) -> None:
        shapes = list(input_shape)
        q_shape, v_shape = shapes[0], shapes[1]
        k_shape = shapes[2] if len(shapes) > 2 else v_shape
        for s, what in ((q_shape, "query"), (v_shape, "value"), (k_shape, "key")):
            if len(s) != 3:
                raise NotImplementedError(f"MultiHeadAttention '{self.name}': only 3-D inputs "
                                          f"(batch, steps, dim) are supported, got {what} "
                                          f"shape {tuple(s)}")
        H, kd, vd = self.num_heads, self.key_dim, self.value_dim
        out = self._output_shape or (q_shape[-1],)
        ki, kr = self.kernel_initializer, self.kernel_regularizer
        bi, br = self.bias_initializer, self.bias_regularizer
        for name, dim, size in (("query", q_shape[-1], kd), ("key", k_shape[-1], kd),
                                ("value", v_shape[-1], vd)):
            self.add_weight(f"{name}_kernel", (dim, H, size), initializer=ki, regularizer=kr)
            if self.use_bias:
                self.add_weight(f"{name}_bias", (H, size), initializer=bi, regularizer=br)
        self.add_weight("output_kernel", (H, vd) + tuple(out), initializer=ki, regularizer=kr)
        if self.use_bias:
            self.add_weight("output_bias", tuple(out), initializer=bi, regularizer=br)
        self.__dict__["_out"] = tuple(out)
        self.built = True

    def _project(self, x: Tensor, name: str) -> Tensor:
        """``(B, T, dim) @ kernel (dim, H, size) + bias`` -> ``(B, H, T, size)``."""
        w = getattr(self, f"{name}_kernel")
        dim, H, size = w.shape
        if x.shape[-1] != dim:
            raise ValueError(f"MultiHeadAttention '{self.name}': the {name} has {x.shape[-1]} "
                             f"features but the layer was built for {dim} (shape "
                             f"{tuple(x.shape)})")
        b = getattr(self, f"{name}_bias").reshape(H * size) if self.use_bias else None
        y = F.linear(x, w.reshape(dim, H * size).T, b)  # type: ignore[attr-defined]
        return y.reshape(x.shape[0], x.shape[1], H, size).transpose(1, 2)

    def _attention_mask(self, query: Tensor, value: Tensor, query_mask: Any, value_mask: Any,
                        key_mask: Any, attention_mask: Any, use_causal_mask: bool) -> Any:
        xp = get_xp(query.data)
        mask = None
        qm, vm, km = (_bool_mask(m, query) for m in (query_mask, value_mask, key_mask))
        if qm is not None:
            mask = qm[:, :, None]
        for m in (vm, km):
            if m is not None:
                mask = m[:, None, :] if mask is None else mask & m[:, None, :]
        if use_causal_mask:
            c = _causal(query.shape[1], value.shape[1], xp)
            mask = c if mask is None else mask & c
        am = _bool_mask(attention_mask, query)
        if am is not None:
            mask = am if mask is None else am & mask
        if mask is None:
            return None
        b, t, s = query.shape[0], query.shape[1], value.shape[1]
        if mask.ndim == 2:
            mask = mask[None]
        try:
            mask = xp.broadcast_to(mask, (b, t, s))
        except ValueError:
            raise ValueError(f"MultiHeadAttention '{self.name}': the attention mask of shape "
                             f"{tuple(mask.shape)} does not broadcast to (batch, T, S) = "
                             f"{(b, t, s)}") from None
        return Tensor._make(xp.ascontiguousarray(mask[:, None]))  # (B, 1, T, S)

    def call(self, inputs: Any, query_mask: Any = None, value_mask: Any = None,
             key_mask: Any = None, attention_mask: Any = None,
             return_attention_scores: bool = False, training: Any = None,
             use_causal_mask: bool = False) -> Any:
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        if value.shape[:2] != key.shape[:2]:
            raise ValueError(f"MultiHeadAttention '{self.name}': All dimensions of `value` and "
                             f"`key`, except the last one, must be equal. Received: value_shape="
                             f"{tuple(value.shape)} and key_shape={tuple(key.shape)}")
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        q = self._project(query, "query")  # (B, H, T, kd)
        k = self._project(key, "key")  # (B, H, S, kd)
        v = self._project(value, "value")  # (B, H, S, vd)
        train = self.training if training is None else bool(training)
        p = self.dropout if train else 0.0
        scale = 1.0 / math.sqrt(float(self.key_dim))
        scores = None
        if return_attention_scores:
            scores = masked_softmax(q.matmul(k.transpose(-2, -1)) * scale, mask)  # type: ignore
            o = (F.dropout(scores, p, True) if p > 0 else scores).matmul(v)
        else:
            o = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, scale=scale)
        B, H, T, vd = o.shape
        o = o.transpose(1, 2).reshape(B, T, H * vd)
        w = self.output_kernel
        P = int(np.prod(self._out))
        b = self.output_bias.reshape(P) if self.use_bias else None
        out = F.linear(o, w.reshape(H * vd, P).T, b).reshape((B, T) + self._out)  # type: ignore
        if return_attention_scores:
            return out, scores
        return out

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "num_heads": self.num_heads, "key_dim": self.key_dim, "value_dim": self.value_dim,
            "dropout": self.dropout, "use_bias": self.use_bias,
            "output_shape": None if self._output_shape is None else list(self._output_shape),
            "attention_axes": self.attention_axes,
            "kernel_initializer": _init.serialize(self.kernel_initializer),
            "bias_initializer": _init.serialize(self.bias_initializer),
            "kernel_regularizer": _reg.serialize(self.kernel_regularizer),
            "bias_regularizer": _reg.serialize(self.bias_regularizer),
            "activity_regularizer": _reg.serialize(self.activity_regularizer),
            "kernel_constraint": None, "bias_constraint": None, "seed": self.seed,
        })
        return cfg
