"""nn modules: ``Flatten`` and ``Unflatten`` (views over ``ops.movement``)."""

from __future__ import annotations

from typing import Any

from ...ops.movement import flatten, unflatten
from ...tensor import Tensor
from ..module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` into one (by default all but the batch dim).

    Args:
        start_dim: first dim to flatten (default 1).
        end_dim: last dim to flatten (default -1).

    Shape:
        Input ``(*, S_start, ..., S_end, *)``, output ``(*, S_start * ... * S_end, *)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.Flatten()(lightgrad.zeros(32, 1, 5, 5)).shape
        lightgrad.Size([32, 25])
        >>> nn.Flatten(0, 2)(lightgrad.zeros(32, 1, 5, 5)).shape
        lightgrad.Size([160, 5])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into the shape ``unflattened_size`` (the inverse of :class:`Flatten`).

    Args:
        dim: the dim to split.
        unflattened_size: a tuple or list of ints (one may be ``-1``) whose product is the
            dim's size.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.Unflatten(1, (2, 5, 5))(lightgrad.zeros(2, 50)).shape
        lightgrad.Size([2, 2, 5, 5])
    """

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        if not isinstance(unflattened_size, tuple | list):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for i, s in enumerate(unflattened_size):
            if isinstance(s, bool) or not isinstance(s, int):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element of "
                                f"type {type(s).__name__} at pos {i}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        return unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
