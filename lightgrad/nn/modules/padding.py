"""nn modules: padding (``ZeroPad``, ``ConstantPad``, ``ReflectionPad``, ``ReplicationPad``,
``CircularPad``, each 1d/2d/3d).

All delegate to :func:`lightgrad.nn.functional.pad` (``ops.movement.pad``). ``padding`` is an
int (the same on every side) or a tuple ``(left, right[, top, bottom[, front, back]])``, last
dim first, as PyTorch.
"""

from __future__ import annotations

from typing import Any

from ...ops.movement import pad
from ...tensor import Tensor
from ..module import Module

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


def _ntuple(v: Any, n: int) -> tuple:
    """An iterable as a tuple, a scalar repeated ``n`` times (PyTorch's ``_pair``...)."""
    if isinstance(v, tuple | list):
        return tuple(v)
    return (v,) * n


class _PadNd(Module):
    mode = "constant"
    _n = 2  # number of padding values (2 per padded dim)

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _ntuple(padding, self._n)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: ``(left, right)`` elements (negative crops).

    Shape:
        ``(C, W)`` or ``(N, C, W)`` -> ``W_out = W + left + right``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.ConstantPad1d((1, 2), 3.5)
        >>> m
        ConstantPad1d(padding=(1, 2), value=3.5)
        >>> m(lightgrad.tensor([[1.0, 2.0]]))
        tensor([[3.5000, 1.0000, 2.0000, 3.5000, 3.5000]])
    """

    _n = 2


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``: ``(left, right, top, bottom)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.ConstantPad2d(1, -1.0)(lightgrad.zeros(1, 1, 1)).shape
        lightgrad.Size([1, 3, 3])
    """

    _n = 4


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``: ``(left, right, top, bottom, front, back)``."""

    _n = 6


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros: ``(left, right)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.ZeroPad1d(1)(lightgrad.tensor([[1.0, 2.0]]))
        tensor([[0., 1., 2., 0.]])
    """

    _n = 2


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dims with zeros: ``(left, right, top, bottom)``.

    Shape:
        ``(N, C, H, W)`` or ``(C, H, W)`` -> ``H + top + bottom``, ``W + left + right``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.ZeroPad2d((1, 0, 0, 1))
        >>> m
        ZeroPad2d((1, 0, 0, 1))
        >>> m(lightgrad.ones(1, 1, 1))
        tensor([[[0., 1.],
                 [0., 0.]]])
    """

    _n = 4


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dims with zeros: ``(left, right, top, bottom, front, back)``."""

    _n = 6


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its mirror image, the edge not repeated (each pad smaller than
    the dim).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.ReflectionPad1d(2)(lightgrad.tensor([[1.0, 2.0, 3.0]]))
        tensor([[3., 2., 1., 2., 3., 2., 1.]])
    """

    mode = "reflect"
    _n = 2


class ReflectionPad2d(_PadNd):
    """Pad the last two dims by reflection: ``(left, right, top, bottom)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.ReflectionPad2d(1)
        >>> m
        ReflectionPad2d((1, 1, 1, 1))
        >>> m(lightgrad.arange(4.0).reshape(1, 2, 2))
        tensor([[[3., 2., 3., 2.],
                 [1., 0., 1., 0.],
                 [3., 2., 3., 2.],
                 [1., 0., 1., 0.]]])
    """

    mode = "reflect"
    _n = 4


class ReflectionPad3d(_PadNd):
    """Pad the last three dims by reflection."""

    mode = "reflect"
    _n = 6


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.ReplicationPad1d((2, 1))(lightgrad.tensor([[1.0, 2.0]]))
        tensor([[1., 1., 1., 2., 2.]])
    """

    mode = "replicate"
    _n = 2


class ReplicationPad2d(_PadNd):
    """Pad the last two dims by repeating the edge values: ``(left, right, top, bottom)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.ReplicationPad2d(1)(lightgrad.tensor([[[1.0, 2.0]]]))
        tensor([[[1., 1., 2., 2.],
                 [1., 1., 2., 2.],
                 [1., 1., 2., 2.]]])
    """

    mode = "replicate"
    _n = 4


class ReplicationPad3d(_PadNd):
    """Pad the last three dims by repeating the edge values."""

    mode = "replicate"
    _n = 6


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        k = self._n // 2
        if input.ndim not in (k + 1, k + 2):
            raise ValueError(f"{type(self).__name__}: expected {k + 1}D or {k + 2}D input (got "
                             f"{input.ndim}D input, shape {tuple(input.shape)})")
        return pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Pad the last dim by wrapping around (periodic boundary).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.CircularPad1d(1)(lightgrad.tensor([[1.0, 2.0, 3.0]]))
        tensor([[3., 1., 2., 3., 1.]])
    """

    _n = 2


class CircularPad2d(_CircularPadNd):
    """Pad the last two dims by wrapping around: ``(left, right, top, bottom)``."""

    _n = 4


class CircularPad3d(_CircularPadNd):
    """Pad the last three dims by wrapping around."""

    _n = 6
