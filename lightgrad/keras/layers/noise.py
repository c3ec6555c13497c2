"""``GaussianNoise``: additive zero-mean noise in training (regularization), identity at
inference."""

from __future__ import annotations

from typing import Any

from ...creation import randn
from ...tensor import Tensor
from .layer import Layer

__all__ = ["GaussianNoise"]


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` in training (the
    identity at inference)."""

    supports_masking = True  # the mask of the input passes through unchanged

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev, self.seed = float(stddev), seed

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        train = self.training if training is None else bool(training)
        if not train or self.stddev == 0:
            return inputs
        return inputs + randn(*inputs.shape, dtype=inputs.dtype) * self.stddev

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"stddev": self.stddev, "seed": self.seed})
        return cfg
