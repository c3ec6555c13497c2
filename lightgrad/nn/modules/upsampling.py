"""nn modules: upsampling (``Upsample``, ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``)
and sub-pixel rearrangement (``PixelShuffle``, ``PixelUnshuffle``), over
``lightgrad.ops.resample``."""

from __future__ import annotations

from typing import Any

from ...ops import resample as F
from ...tensor import Tensor
from ..module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
           "PixelUnshuffle"]


class Upsample(Module):
    """Resample ``(N, C, *spatial)`` to ``size`` or by ``scale_factor`` (see
    :func:`lightgrad.nn.functional.interpolate` for the modes).

    Args:
        size: output spatial size. scale_factor: multiplier(s) of the spatial size.
        mode: ``"nearest"`` (default), ``"nearest-exact"``, ``"linear"``, ``"bilinear"``,
            ``"bicubic"``, ``"trilinear"`` or ``"area"``.
        align_corners: for the linear/cubic modes (default False).
        recompute_scale_factor: sample with ``in / out`` rather than ``1 / scale_factor``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> up = nn.Upsample(scale_factor=2, mode="nearest")
        >>> up
        Upsample(scale_factor=2.0, mode='nearest')
        >>> up(lightgrad.tensor([[[1.0, 2.0]]]))
        tensor([[[1., 1., 2., 2.]]])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor: Any = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """2-d nearest-neighbour upsampling (``Upsample(..., mode="nearest")``).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.UpsamplingNearest2d(scale_factor=2)(lightgrad.ones(1, 1, 2, 3)).shape
        lightgrad.Size([1, 1, 4, 6])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """2-d bilinear upsampling with ``align_corners=True`` (``Upsample(...,
    mode="bilinear", align_corners=True)``).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.UpsamplingBilinear2d(size=(1, 3))(lightgrad.tensor([[[[1.0, 2.0]]]]))
        tensor([[[[1.0000, 1.5000, 2.0000]]]])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """Rearrange ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)`` (sub-pixel convolution
    upsampling).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> ps = nn.PixelShuffle(3)
        >>> ps
        PixelShuffle(upscale_factor=3)
        >>> ps(lightgrad.zeros(1, 9, 4, 4)).shape
        lightgrad.Size([1, 1, 12, 12])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearrange ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)`` (inverse of
    :class:`PixelShuffle`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> pu = nn.PixelUnshuffle(3)
        >>> pu
        PixelUnshuffle(downscale_factor=3)
        >>> pu(lightgrad.zeros(1, 1, 12, 12)).shape
        lightgrad.Size([1, 9, 4, 4])
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
