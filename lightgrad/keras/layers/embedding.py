"""``Embedding`` over ``nn.Embedding`` (Keras's default init: uniform(-0.05, 0.05)), with
``mask_zero`` producing a padding mask for downstream layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import nn
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import initializers as _init
from .layer import Layer

__all__ = ["Embedding"]


class Embedding(Layer):
    """Maps integer indices in ``[0, input_dim)`` to dense vectors of ``output_dim``.

    With ``mask_zero=True`` index 0 is padding: ``compute_mask`` returns ``inputs != 0`` (the
    recurrent and attention layers use it), and ``input_dim`` must count it.
    """

    def __init__(self, input_dim: int, output_dim: int,
                 embeddings_initializer: Any = "uniform", embeddings_regularizer: Any = None,
                 mask_zero: bool = False, input_length: int | None = None, **kwargs: Any):
        kwargs.pop("embeddings_constraint", None)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.mask_zero = mask_zero
        init = "random_uniform" if embeddings_initializer == "uniform" else embeddings_initializer
        self.embeddings_initializer = _init.get(init)
        self.embedding = nn.Embedding(self.input_dim, self.output_dim)
        with no_grad():
            self.embedding.weight.data[...] = self.embeddings_initializer(
                (self.input_dim, self.output_dim), dtype=self._dtype)
        if embeddings_regularizer is not None:
            from .. import regularizers as _reg

            reg: Any = _reg.get(embeddings_regularizer)
            self._extra_losses.append(lambda: reg(self.embedding.weight))
        self.built = True

    @property
    def embeddings(self) -> Tensor:
        return self.embedding.weight

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        return self.embedding(inputs.long())

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        data = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        return Tensor._make(data != 0)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"input_dim": self.input_dim, "output_dim": self.output_dim,
                    "mask_zero": self.mask_zero,
                    "embeddings_initializer": _init.serialize(self.embeddings_initializer)})
        return cfg
