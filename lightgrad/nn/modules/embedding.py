"""nn modules: embedding. The lookup lives in ``lightgrad/ops/embedding.py``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend
from ...ops.embedding import embedding
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Embedding"]


def _check_padding_idx(padding_idx: Any, num_embeddings: int) -> int | None:
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, int | np.integer):
        raise TypeError(f"Embedding: padding_idx must be an int or None, got "
                        f"{type(padding_idx).__name__}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"Embedding: Padding_idx must be within num_embeddings: got "
                         f"padding_idx={padding_idx} for num_embeddings={num_embeddings}")
    return int(padding_idx) % num_embeddings


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``:
    ``out[..., :] = weight[input[...], :]``.

    Args:
        num_embeddings: V, the size of the table.
        embedding_dim: D, the size of each vector.
        padding_idx: this row is initialized to zeros and gets no gradient.
        max_norm: rows looked up with a ``norm_type``-norm above it are rescaled in place to
            norm ``max_norm``.
        norm_type: the p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by its index's count in the batch.
        sparse: accepted for compatibility; gradients are dense.
        _weight: use this ``(V, D)`` tensor as the weight (not re-initialized).
        _freeze: the weight does not require grad.

    The weight is drawn from ``N(0, 1)`` (PyTorch's initialization).

    Shape:
        Input: int64/int32 indices ``(*)``; output ``(*, D)``.

    Raises:
        IndexError: an index outside ``[0, V)`` (naming the index and V).
        RuntimeError: non-integer indices.

    Example:
        >>> import lightgrad
        >>> emb = lightgrad.nn.Embedding(10, 3, padding_idx=0)
        >>> emb(lightgrad.tensor([[0, 2], [4, 9]])).shape
        lightgrad.Size([2, 2, 3])
        >>> emb.weight[0].tolist()
        [0.0, 0.0, 0.0]
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        for name, val in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(val, bool) or not isinstance(val, int | np.integer) or val < 0:
                raise ValueError(f"Embedding: {name} must be a non-negative int, got {val!r}")
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.padding_idx = _check_padding_idx(padding_idx, self.num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if _weight is None:
            dt = backend.get_default_dtype() if dtype is None else backend.as_dtype(dtype)
            arr = np.empty((self.num_embeddings, self.embedding_dim), dt)
            if device is not None:
                arr = backend.to_device(arr, backend.Device(device))
            self.weight = Parameter(Tensor._make(arr), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if not isinstance(_weight, Tensor):
                _weight = Tensor(_weight)
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: Shape of weight {tuple(_weight.shape)} does not "
                                 f"match num_embeddings and embedding_dim "
                                 f"({self.num_embeddings}, {self.embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self.sparse = sparse

    def reset_parameters(self) -> None:
        """Draw the weight from N(0, 1) (lightgrad's seeded generator) and zero the padding
        row."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0
            self.weight._vc[0] += 1

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (V, D), shared, not copied; frozen
        (no gradient) unless ``freeze=False``. The padding row is not zeroed.

        Example:
            >>> import lightgrad
            >>> w = lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
            >>> emb = lightgrad.nn.Embedding.from_pretrained(w)
            >>> emb(lightgrad.tensor([1]))
            tensor([[3., 4.]])
        """
        if not isinstance(embeddings, Tensor):
            raise TypeError(f"Embedding.from_pretrained: embeddings must be a Tensor, got "
                            f"{type(embeddings).__name__}")
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: Embeddings parameter is expected to be "
                             f"2-dimensional, got shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)
