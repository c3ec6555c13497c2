"""nn modules: pooling (``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``,
``AdaptiveMaxPool1d/2d``, ``MaxUnpool1d/2d``, ``LPPool1d/2d``).

Each stores its configuration as PyTorch does (same attribute values, same ``repr``) and
delegates to the functional op in ``lightgrad.ops.pooling``. None has parameters.
"""

from __future__ import annotations

from typing import Any

from ...ops import pooling as F
from ...tensor import Tensor
from ..module import Module

__all__ = [
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "MaxUnpool1d", "MaxUnpool2d", "LPPool1d",
    "LPPool2d",
]


def _ntuple(v: Any, n: int) -> tuple:
    """PyTorch's ``_single``/``_pair``: an iterable stays as it is (as a tuple), a scalar is
    repeated ``n`` times."""
    if isinstance(v, tuple | list):
        return tuple(v)
    return (v,) * n


class _MaxPoolNd(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-d max pooling: ``out[n, c, l] = max_k x[n, c, l * stride - padding + k * dilation]``
    (see :func:`lightgrad.nn.functional.max_pool1d`).

    Args:
        kernel_size: window size. stride: step (default ``kernel_size``).
        padding: implicit ``-inf`` on both sides. dilation: spacing of the window elements.
        return_indices: also return the positions of the maxima (for :class:`MaxUnpool1d`).
        ceil_mode: round the output length up.

    Shape:
        Input ``(N, C, L)`` or ``(C, L)``; output ``(N, C, L_out)`` with
        ``L_out = floor((L + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.MaxPool1d(2)
        >>> m
        MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> m(lightgrad.tensor([[1.0, 5.0, 2.0, 3.0]]))
        tensor([[5., 3.]])
    """

    def forward(self, input: Tensor) -> Any:
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """2-d max pooling: each output is the maximum of a ``(kh, kw)`` window of its channel
    (see :func:`lightgrad.nn.functional.max_pool2d`).

    Args:
        kernel_size: window size (int or ``(kh, kw)``). stride: step (default
            ``kernel_size``). padding: implicit ``-inf`` (at most half the effective kernel).
        dilation: spacing of the window elements.
        return_indices: also return each maximum's flat position ``h * W + w`` (for
            :class:`MaxUnpool2d`). ceil_mode: round the output size up.

    Shape:
        Input ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, H_out, W_out)`` with
        ``H_out = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1`` (same for ``W``).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> pool = nn.MaxPool2d(2)
        >>> pool
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> pool(lightgrad.tensor([[[[1.0, 3.0], [2.0, 4.0]]]]))
        tensor([[[[4.]]]])
    """

    def forward(self, input: Tensor) -> Any:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class _AvgPoolNd(Module):
    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """1-d average pooling: ``out[n, c, l] = mean of the window of x starting at
    l * stride - padding`` (see :func:`lightgrad.nn.functional.avg_pool1d`).

    Args:
        kernel_size, stride (default ``kernel_size``), padding (zeros), ceil_mode: as
            :class:`MaxPool1d`.
        count_include_pad: count the zero padding in the divisor (default True).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.AvgPool1d(2)
        >>> m
        AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))
        >>> m(lightgrad.tensor([[1.0, 3.0, 2.0, 6.0]]))
        tensor([[2., 4.]])
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """2-d average pooling: each output is the mean of a ``(kh, kw)`` window
    (see :func:`lightgrad.nn.functional.avg_pool2d`).

    Args:
        kernel_size, stride (default ``kernel_size``), padding (zeros), ceil_mode: as
            :class:`MaxPool2d`.
        count_include_pad: count the zero padding in the divisor (default True).
        divisor_override: divide every window sum by this instead.

    Shape:
        Input ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, H_out, W_out)``,
        ``H_out = floor((H + 2 ph - kh) / sh) + 1``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.AvgPool2d(2)
        >>> m
        AvgPool2d(kernel_size=2, stride=2, padding=0)
        >>> m(lightgrad.tensor([[[[1.0, 3.0], [2.0, 6.0]]]]))
        tensor([[[[3.]]]])
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptivePoolNd(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Average pooling to a fixed length ``output_size``: window ``i`` of an input of length
    ``L`` is ``[floor(i L / O), ceil((i + 1) L / O))``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.AdaptiveAvgPool1d(1)(lightgrad.tensor([[1.0, 2.0, 6.0]]))
        tensor([[3.]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Average pooling to a fixed ``output_size = (H_out, W_out)`` whatever the input size
    (an int for a square; ``None`` keeps that dim); ``AdaptiveAvgPool2d(1)`` is global
    average pooling.

    Shape:
        Input ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, H_out, W_out)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> gap = nn.AdaptiveAvgPool2d(1)
        >>> gap
        AdaptiveAvgPool2d(output_size=1)
        >>> gap(lightgrad.ones(8, 16, 5, 7)).shape
        lightgrad.Size([8, 16, 1, 1])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed length ``output_size`` (windows as :class:`AdaptiveAvgPool1d`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.AdaptiveMaxPool1d(2)(lightgrad.tensor([[1.0, 5.0, 2.0, 3.0, 4.0]]))
        tensor([[5., 4.]])
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed ``output_size = (H_out, W_out)`` (windows as
    :class:`AdaptiveAvgPool2d`); ``return_indices`` also returns the flat positions.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.AdaptiveMaxPool2d((1, 2))
        >>> m
        AdaptiveMaxPool2d(output_size=(1, 2))
        >>> m(lightgrad.tensor([[[1.0, 3.0], [2.0, 4.0]]]))
        tensor([[[2., 4.]]])
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class _MaxUnpoolNd(Module):
    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool1d`: values go back to their saved positions, zeros
    elsewhere.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> pool, unpool = nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)
        >>> unpool(*pool(lightgrad.tensor([[1.0, 5.0, 2.0, 3.0]])))
        tensor([[0., 5., 0., 3.]])
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of :class:`MaxPool2d`: each value goes back to the position its pool
    saved (``return_indices=True``), zeros elsewhere -- SegNet's decoder upsampling.

    Args:
        kernel_size, stride (default ``kernel_size``), padding: the pool's.

    Shape:
        Input and indices ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, H_out, W_out)``
        with ``H_out = (H - 1) sh - 2 ph + kh``, or ``output_size`` given to ``forward``
        (needed to undo an odd size).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
        >>> unpool
        MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
        >>> x = lightgrad.tensor([[[[1.0, 3.0, 2.0], [2.0, 4.0, 9.0]]]])
        >>> out, idx = pool(x)
        >>> unpool(out, idx, output_size=x.shape)
        tensor([[[[0., 0., 0.],
                  [0., 4., 0.]]]])
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 2)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 2)
        self.padding = _ntuple(padding, 2)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class _LPPoolNd(Module):
    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(sum over the window of x^p)^(1/p)`` over 1-d windows.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.LPPool1d(2, 2)(lightgrad.tensor([[3.0, 4.0]]))
        tensor([[5.]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool1d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """Power-average pooling ``(sum over the (kh, kw) window of x^p)^(1/p)`` (``p = 1``: sum
    pooling; ``p = inf``: max pooling of ``|x|``).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.LPPool2d(2, 2)
        >>> m
        LPPool2d(norm_type=2, kernel_size=2, stride=None, ceil_mode=False)
        >>> m(lightgrad.tensor([[[3.0, 0.0], [0.0, 4.0]]]))
        tensor([[[5.]]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool2d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)
