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

The code lives in :mod:`.attention_kernels` (the primitives), :mod:`.scaled_attention` (the
functions around them) and :mod:`.multi_head_attention`; this module re-exports them.
"""

from __future__ import annotations

from .attention_kernels import _NEG_INF as _NEG_INF
from .attention_kernels import AttentionWeights as AttentionWeights
from .attention_kernels import MaskedSoftmax as MaskedSoftmax
from .attention_kernels import ScaledDotProductAttention as ScaledDotProductAttention
from .attention_kernels import _group as _group
from .attention_kernels import _grouped as _grouped
from .attention_kernels import _scores as _scores
from .attention_kernels import _softmax_ as _softmax_
from .attention_kernels import _ungroup as _ungroup
from .multi_head_attention import _additive as _additive
from .multi_head_attention import _as_bool_keep as _as_bool_keep
from .multi_head_attention import _check_mha_inputs as _check_mha_inputs
from .multi_head_attention import _mha_mask as _mha_mask
from .multi_head_attention import _multi_head_attention as _multi_head_attention
from .multi_head_attention import _pad_mask as _pad_mask
from .multi_head_attention import _static as _static
from .multi_head_attention import multi_head_attention_forward
from .scaled_attention import _attention_weights as _attention_weights
from .scaled_attention import _check_p as _check_p
from .scaled_attention import _drop_scale as _drop_scale
from .scaled_attention import _float_tensors as _float_tensors
from .scaled_attention import _mask_arg as _mask_arg
from .scaled_attention import _shape as _shape
from .scaled_attention import (
    generate_square_subsequent_mask,
    masked_softmax,
    scaled_dot_product_attention,
)

__all__ = [
    "scaled_dot_product_attention", "multi_head_attention_forward", "masked_softmax",
    "generate_square_subsequent_mask",
]
