"""nn modules: ``Dropout``, ``Dropout1d/2d/3d``, ``AlphaDropout``, ``FeatureAlphaDropout``.

Each applies its ``nn.functional`` op with ``training=self.training``: random in ``train()``
mode, the identity in ``eval()`` mode. Masks come from lightgrad's generator, so
``lightgrad.manual_seed`` reproduces a run.
"""

from __future__ import annotations

from ...ops import dropout as F
from ...tensor import Tensor
from ..module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        F._check_p(p)
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training, zero each element with probability ``p`` and scale the others by
    ``1 / (1 - p)`` (so the expected output is the input); in eval mode, the identity.

    Args:
        p: probability of an element to be zeroed (default 0.5).
        inplace: overwrite the input.

    Raises:
        ValueError: ``p`` outside ``[0, 1]``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.Dropout(p=0.2)
        >>> m
        Dropout(p=0.2, inplace=False)
        >>> x = lightgrad.ones(4)
        >>> m.eval()(x) is x
        True
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` / ``(C, L)`` inputs with probability ``p``
    (training only); scale the others by ``1 / (1 - p)``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of ``(N, C, H, W)`` inputs with probability ``p`` (training only);
    scale the others by ``1 / (1 - p)``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of ``(N, C, D, H, W)`` / ``(C, D, H, W)`` inputs with probability
    ``p`` (training only); scale the others by ``1 / (1 - p)``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout for self-normalizing (SELU) networks: dropped elements are set to SELU's
    negative saturation and the output is rescaled to keep zero mean and unit variance
    (training only)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training, self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (dim 1) of ``(N, C, ...)`` inputs (training only)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training, self.inplace)
