"""``BatchNormalization`` and ``LayerNormalization`` over ``nn`` normalization modules, with
Keras's defaults (``momentum=0.99`` (Keras's convention: the weight of the old value),
``epsilon=1e-3``, ``axis=-1``: channels last)."""

from __future__ import annotations

from typing import Any

from ... import nn
from ...tensor import Tensor
from .layer import Layer

__all__ = ["BatchNormalization", "LayerNormalization"]


class BatchNormalization(Layer):
    """Normalizes over every axis but ``axis`` with batch statistics in training and moving
    averages at inference. Holds an ``nn.BatchNorm1d`` applied to the feature axis moved last.
    Keras's ``momentum`` m is PyTorch's 1 - m."""

    supports_masking = True  # the mask of the input passes through unchanged

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, **kwargs: Any) -> None:
        for k in ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                  "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
                  "synchronized"):
            kwargs.pop(k, None)
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale = center, scale

    def build(self, input_shape: Any) -> None:
        features = input_shape[self.axis]
        self.bn = nn.BatchNorm1d(features, eps=self.epsilon, momentum=1.0 - self.momentum,
                                 affine=True)
        if not self.scale:
            self.bn.weight.requires_grad_(False)
            self.bn.weight._keras_frozen = True  # type: ignore[attr-defined]
        if not self.center:
            self.bn.bias.requires_grad_(False)
            self.bn.bias._keras_frozen = True  # type: ignore[attr-defined]
        self.built = True

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        was = self.bn.training
        if training is not None:
            self.bn.training = bool(training)
        try:
            x = inputs.movedim(self.axis, -1)
            flat = x.reshape(-1, x.shape[-1])
            y = self.bn(flat).reshape(x.shape)
            return y.movedim(-1, self.axis)
        finally:
            self.bn.training = was

    def _keras_weights(self) -> list[Tensor]:
        # Keras order: gamma, beta, moving_mean, moving_variance
        out = []
        if self.scale:
            out.append(self.bn.weight)
        if self.center:
            out.append(self.bn.bias)
        return out + [self.bn.running_mean, self.bn.running_var]

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                    "center": self.center, "scale": self.scale})
        return cfg


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (the last by default). Holds an ``nn.LayerNorm``."""

    supports_masking = True  # the mask of the input passes through unchanged

    def __init__(self, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, **kwargs: Any) -> None:
        for k in ("beta_initializer", "gamma_initializer", "beta_regularizer",
                  "gamma_regularizer", "rms_scaling"):
            kwargs.pop(k, None)
        super().__init__(**kwargs)
        if axis != -1:
            raise NotImplementedError("LayerNormalization: only axis=-1 is supported")
        self.axis, self.epsilon, self.center, self.scale = axis, epsilon, center, scale

    def build(self, input_shape: Any) -> None:
        self.ln = nn.LayerNorm(input_shape[-1], eps=self.epsilon,
                               elementwise_affine=self.scale or self.center)
        self.built = True

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        return self.ln(inputs)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                    "scale": self.scale})
        return cfg
