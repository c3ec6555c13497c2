"""Embedding lookup: ``embedding(input, weight)`` gathers rows of a table by index, as one
fused Function whose backward sums the gradient rows of repeated indices into the table
(``backend_kernels.index_add_rows``: sorted segment sums or ``bincount``, no ``add.at`` on NumPy).

Difference from PyTorch: ``sparse=True`` is accepted but the weight's gradient is always a
dense tensor (lightgrad has no sparse tensors); the values are the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..backend_kernels import index_add_rows as _index_add_rows
from ..tensor import Tensor
from .operands import check_same_device, get_xp

__all__ = ["embedding"]

_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))


class Embedding(Function):
    """``out[..., :] = weight[idx[...], :]``; ``idx`` is a validated int array.

    Backward: ``dweight[v] = sum_{i: idx_i = v} grad_out[i]`` (divided by the count of ``v``
    with ``scale_grad_by_freq``); the ``padding_idx`` row (``-1``: none) gets no gradient.
    """

    @staticmethod
    def forward(ctx: Any, weight: Any, idx: Any, padding_idx: int, scale_grad_by_freq: bool,
                ) -> Any:
        ctx.idx, ctx.padding_idx, ctx.scale = idx, padding_idx, scale_grad_by_freq
        ctx.wshape = weight.shape
        return get_xp(weight).take(weight, idx, axis=0)  # idx.shape + (D,), fresh

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        v, d = ctx.wshape
        idx = ctx.idx.reshape(-1)
        g2 = grad_out.reshape(idx.size, d)
        if ctx.scale and idx.size:
            counts = xp.bincount(idx, minlength=v)[idx]  # (n,): how often each row's index is
            g2 = g2 / counts.astype(grad_out.dtype)[:, None]
        gw = _index_add_rows(xp, v, idx, g2)
        if ctx.padding_idx >= 0:
            gw[ctx.padding_idx] = 0
        return gw, None, None, None


def _renorm_(weight: Tensor, idx: Any, max_norm: float, norm_type: float) -> None:
    """Rescale in place the rows of ``weight`` looked up by ``idx`` whose ``norm_type``-norm
    exceeds ``max_norm`` to norm ``max_norm`` (``scale = max_norm / (norm + 1e-7)``), outside
    the graph (``torch.embedding_renorm_``)."""
    xp = get_xp(idx)
    w = weight.data
    rows = xp.unique(idx.reshape(-1))
    if rows.size == 0:
        return
    sel = w[rows]  # (k, D)
    if norm_type == 2:
        norms = xp.sqrt((sel * sel).sum(axis=1))
    elif norm_type == 1:
        norms = xp.abs(sel).sum(axis=1)
    elif norm_type == float("inf"):
        norms = xp.abs(sel).max(axis=1) if sel.shape[1] else xp.zeros(len(rows), w.dtype)
    else:
        norms = (xp.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if not bool(over.any()):
        return
    rows = rows[over]
    scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype, copy=False)
    w[rows] = sel[over] * scale[:, None]
    weight._vc[0] += 1


def _index_tensor(input: Any, weight: Tensor, op: str) -> Any:
    """The indices as a raw int64/int32 array, each in ``[0, num_embeddings)``."""
    if not isinstance(input, Tensor):
        if isinstance(input, list | tuple | np.ndarray | int | np.integer) and \
                not isinstance(input, bool):
            input = Tensor(input)
        else:
            raise TypeError(f"{op}: argument 'input' must be a Tensor of indices, got "
                            f"{type(input).__name__}")
    idx = input.data
    if idx.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{op}: expected indices of dtype int64 (Long) or int32 (Int), got "
                           f"{idx.dtype} (input shape {tuple(idx.shape)}); cast them with "
                           ".long()")
    check_same_device(op, input, weight)
    n = weight.data.shape[0]
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        bad = hi if hi >= n else lo
        if hi >= n or lo < 0:
            raise IndexError(f"{op}: index {bad} is out of range for an embedding table of "
                             f"num_embeddings={n} (weight shape {tuple(weight.data.shape)}); "
                             f"indices must be in [0, {n - 1}]")
    return idx


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` by index: ``out[..., :] = weight[input[...], :]``.

    Args:
        input: int64/int32 indices of any shape, each in ``[0, V)``.
        weight: the ``(V, D)`` table.
        padding_idx: this row gets no gradient (negative values count from the end).
        max_norm: rows looked up whose ``norm_type``-norm exceeds it are rescaled in place in
            ``weight`` to norm ``max_norm`` before the lookup.
        norm_type: the p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by the count of its index in ``input``.
        sparse: accepted for compatibility; the gradient is always dense.

    Shape:
        ``input`` ``(*)``, ``weight`` ``(V, D)`` -> output ``(*, D)``.

    Raises:
        RuntimeError: non-integer indices; ``weight`` not 2-D.
        IndexError: an index outside ``[0, V)`` (naming the index and V).
        ValueError: ``padding_idx`` outside ``[-V, V)``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> w = lightgrad.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
        >>> F.embedding(lightgrad.tensor([[2, 1], [1, 1]]), w)
        tensor([[[3., 4.],
                 [1., 2.]],
        <BLANKLINE>
                [[1., 2.],
                 [1., 2.]]])
    """
    op = "embedding"
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}: argument 'weight' must be a Tensor, got {type(weight).__name__}")
    if weight.data.ndim != 2:
        raise RuntimeError(f"{op}: 'weight' must be 2-D (num_embeddings, embedding_dim), got "
                           f"shape {tuple(weight.data.shape)}")
    v = weight.data.shape[0]
    if padding_idx is None:
        pad = -1
    else:
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, int | np.integer):
            raise TypeError(f"{op}: padding_idx must be an int or None, got "
                            f"{type(padding_idx).__name__}")
        if not -v <= padding_idx < v:
            raise ValueError(f"{op}: Padding_idx must be within num_embeddings: got "
                             f"padding_idx={padding_idx} for num_embeddings={v}")
        pad = int(padding_idx) % v
    idx = _index_tensor(input, weight, op)
    if max_norm is not None:
        _renorm_(weight, idx, float(max_norm), float(norm_type))
    return Embedding.apply(weight, idx, pad, bool(scale_grad_by_freq))
