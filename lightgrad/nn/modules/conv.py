"""nn modules: convolutions (``Conv1d/2d/3d``), transposed convolutions
(``ConvTranspose1d/2d/3d``) and the sliding-block modules ``Unfold`` / ``Fold``.

Weights use PyTorch's layouts -- ``(out_channels, in_channels / groups, *kernel_size)`` for a
convolution, ``(in_channels, out_channels / groups, *kernel_size)`` for a transposed one -- and
PyTorch's default initialization (``kaiming_uniform_(a=sqrt(5))``, i.e. ``U(-k, k)`` with
``k = 1 / sqrt(fan_in)``, the bias from the same bound), so a torch ``state_dict`` loads as is.
The math lives in :mod:`lightgrad.ops.conv`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import creation
from ...ops.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    fold,
    unfold,
)
from ...ops.movement import pad
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "Unfold", "Fold"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(v: Any, n: int, layer: str, arg: str) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints -> ``n`` ints (``torch.nn.modules.utils._ntuple``)."""
    if isinstance(v, tuple | list):
        items = tuple(v)
        if len(items) == 1:
            items = items * n
    else:
        items = (v,) * n
    if len(items) != n or any(isinstance(e, bool) or not isinstance(e, int | np.integer)
                              for e in items):
        raise TypeError(f"{layer}: {arg} must be an int or a tuple of {n} ints, got {v!r}")
    return tuple(int(e) for e in items)


def _channels(n: Any, layer: str, arg: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"{layer}: {arg} must be an int, got {type(n).__name__}")
    if n <= 0:
        raise ValueError(f"{layer}: {arg} must be positive, got {n}")
    return int(n)


class _ConvNd(Module):
    """Shared construction, initialization and repr of the convolution modules."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, output_padding: Any, groups: int, bias: bool,
                 padding_mode: str, device: Any, dtype: Any) -> None:
        super().__init__()
        name = type(self).__name__
        nd = self._dims
        in_channels = _channels(in_channels, name, "in_channels")
        out_channels = _channels(out_channels, name, "out_channels")
        if isinstance(groups, bool) or not isinstance(groups, int | np.integer) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        groups = int(groups)
        if in_channels % groups != 0:
            raise ValueError(f"{name}: in_channels must be divisible by groups (in_channels="
                             f"{in_channels}, groups={groups})")
        if out_channels % groups != 0:
            raise ValueError(f"{name}: out_channels must be divisible by groups (out_channels="
                             f"{out_channels}, groups={groups})")
        kernel_size = _tuple(kernel_size, nd, name, "kernel_size")
        stride = _tuple(stride, nd, name, "stride")
        dilation = _tuple(dilation, nd, name, "dilation")
        if isinstance(padding, str):
            if self._transposed:
                raise TypeError(f"{name}: padding must be an int or a tuple of ints, got "
                                f"{padding!r}")
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
        else:
            padding = _tuple(padding, nd, name, "padding")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {set(_PADDING_MODES)}, but "
                             f"got padding_mode={padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = self._transposed
        self.output_padding = _tuple(output_padding, nd, name, "output_padding")
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for the non-zero padding modes: last dim first, (before, after)
        rev: list[int] = []
        if padding == "same":
            for k, d in zip(reversed(kernel_size), reversed(dilation)):
                total = d * (k - 1)
                rev += [total // 2, total - total // 2]
        elif padding == "valid":
            rev = [0, 0] * nd
        else:
            for p in reversed(padding):
                rev += [p, p]
        self._reversed_padding_repeated_twice = rev
        if self._transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(creation.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the parameters from PyTorch's default distributions."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        nd = self._dims
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _error(self, e: RuntimeError) -> RuntimeError:
        return RuntimeError(f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                            f"kernel_size={self.kernel_size}): {e}")


class _Conv(_ConvNd):
    _fn: Any = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        fn = type(self)._fn
        try:
            if self.padding_mode != "zeros":
                x = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
                return fn(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
            return fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)
        except RuntimeError as e:
            raise self._error(e) from e


class Conv1d(_Conv):
    """1-D convolution over ``(N, C_in, L)`` input (``torch.nn.Conv1d``); arguments as
    :class:`Conv2d`, with one spatial dim.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.Conv1d(16, 33, 3, stride=2)
        >>> m(lightgrad.randn(20, 16, 50)).shape
        lightgrad.Size([20, 33, 24])
    """

    _dims = 1
    _fn = staticmethod(conv1d)


class Conv2d(_Conv):
    """2-D convolution (``torch.nn.Conv2d``): ``out = conv2d(input, weight, bias, ...)``.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: int or ``(kH, kW)``.
        stride: int or pair (default 1).
        padding: int, pair, ``"valid"`` or ``"same"`` (default 0).
        dilation: int or pair (default 1).
        groups: blocked connections from input to output channels (default 1); both channel
            counts must be divisible by it (``groups = in_channels``: depthwise).
        bias: learn a per-output-channel bias (default True).
        padding_mode: ``"zeros"`` (default), ``"reflect"``, ``"replicate"`` or ``"circular"``.
        device, dtype: where and in which (floating) dtype the parameters live.

    Attributes:
        weight: ``(out_channels, in_channels / groups, kH, kW)``, ``U(-k, k)`` with
            ``k = 1 / sqrt(in_channels / groups * kH * kW)``.
        bias: ``(out_channels,)``, ``U(-k, k)``.

    Shape:
        Input ``(N, C_in, H, W)`` or ``(C_in, H, W)``; output ``(N, C_out, H_out, W_out)``,
        ``H_out = (H + 2 pH - dH (kH - 1) - 1) // sH + 1``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.Conv2d(1, 6, 5, padding=2)
        >>> m
        Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
        >>> m(lightgrad.randn(64, 1, 28, 28)).shape
        lightgrad.Size([64, 6, 28, 28])
        >>> nn.Conv2d(3, 8, 3, padding="same", padding_mode="reflect")(
        ...     lightgrad.randn(2, 3, 7, 7)).shape
        lightgrad.Size([2, 8, 7, 7])
    """

    _dims = 2
    _fn = staticmethod(conv2d)


class Conv3d(_Conv):
    """3-D convolution over ``(N, C_in, D, H, W)`` input (``torch.nn.Conv3d``); arguments as
    :class:`Conv2d`, with three spatial dims.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.Conv3d(2, 4, 3, padding=1)(lightgrad.randn(1, 2, 5, 5, 5)).shape
        lightgrad.Size([1, 4, 5, 5, 5])
    """

    _dims = 3
    _fn = staticmethod(conv3d)


class _ConvTranspose(_ConvNd):
    _transposed = True
    _fn: Any = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        """``output_padding``, or the one giving ``output_size`` (checked against the valid
        range, as PyTorch)."""
        if output_size is None:
            return self.output_padding
        nd = self._dims
        name = type(self).__name__
        size = [int(s) for s in output_size]
        lead = 2 if input.ndim == nd + 2 else 1
        if len(size) == nd + lead:
            size = size[lead:]
        if len(size) != nd:
            raise ValueError(f"{name}: for {input.ndim}D input, output_size must have {nd} or "
                             f"{nd + lead} elements (got {len(size)})")
        sp = tuple(input.shape)[-nd:]
        mins = [(sp[d] - 1) * self.stride[d] - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        maxs = [m + self.stride[d] - 1 for d, m in enumerate(mins)]
        if any(s < lo or s > hi for s, lo, hi in zip(size, mins, maxs)):
            raise ValueError(f"{name}: requested an output size of {size}, but valid sizes range "
                             f"from {mins} to {maxs} (for an input of {list(sp)})")
        return tuple(s - m for s, m in zip(size, mins))

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        opad = self._output_padding(input, output_size)
        try:
            return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding,
                                  opad, self.groups, self.dilation)
        except RuntimeError as e:
            raise self._error(e) from e


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution (``torch.nn.ConvTranspose1d``); arguments as
    :class:`ConvTranspose2d`, with one spatial dim.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.ConvTranspose1d(4, 2, 3, stride=2)(lightgrad.randn(1, 4, 5)).shape
        lightgrad.Size([1, 2, 11])
    """

    _dims = 1
    _fn = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution (``torch.nn.ConvTranspose2d``), the gradient of a
    :class:`Conv2d` with respect to its input: upsamples by ``stride``.

    Args:
        in_channels, out_channels, kernel_size, stride, groups, bias, dilation: as
            :class:`Conv2d`.
        padding: int or pair: crops ``padding`` from each side of the full output.
        output_padding: int or pair, extra rows/columns on the bottom/right side (smaller than
            the stride or the dilation). ``forward(input, output_size=...)`` picks it for a
            requested size.
        padding_mode: only ``"zeros"``.
        device, dtype: where and in which (floating) dtype the parameters live.

    Attributes:
        weight: ``(in_channels, out_channels / groups, kH, kW)``, initialized as PyTorch
            (``U(-k, k)``, ``k = 1 / sqrt(out_channels / groups * kH * kW)``).
        bias: ``(out_channels,)``.

    Shape:
        ``H_out = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding + 1``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1)
        >>> up
        ConvTranspose2d(16, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
        >>> x = lightgrad.randn(1, 16, 12, 12)
        >>> up(x).shape, up(x, output_size=[24, 24]).shape
        (lightgrad.Size([1, 8, 23, 23]), lightgrad.Size([1, 8, 24, 24]))
    """

    _dims = 2
    _fn = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution (``torch.nn.ConvTranspose3d``); arguments as
    :class:`ConvTranspose2d`, with three spatial dims.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.ConvTranspose3d(2, 3, 2, stride=2)(lightgrad.randn(1, 2, 3, 3, 3)).shape
        lightgrad.Size([1, 3, 6, 6, 6])
    """

    _dims = 3
    _fn = staticmethod(conv_transpose3d)


class Unfold(Module):
    """Extract sliding local blocks (``torch.nn.Unfold``): :func:`~lightgrad.nn.functional.unfold`.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.Unfold(kernel_size=(2, 3))(lightgrad.randn(2, 5, 3, 4)).shape
        lightgrad.Size([2, 30, 4])
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Combine sliding local blocks into an image (``torch.nn.Fold``), summing overlaps:
    :func:`~lightgrad.nn.functional.fold`.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.Fold(output_size=(4, 5), kernel_size=(2, 2))(lightgrad.randn(1, 12, 12)).shape
        lightgrad.Size([1, 3, 4, 5])
    """

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input: Tensor) -> Tensor:
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
