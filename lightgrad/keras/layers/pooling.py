"""Pooling and spatial resizing layers: ``MaxPooling1D/2D``, ``AveragePooling1D/2D``,
``GlobalAveragePooling1D/2D``, ``GlobalMaxPooling1D/2D``, ``UpSampling1D/2D``,
``ZeroPadding1D/2D``.

The math is lightgrad's pooling, interpolation and padding ops on channels-first tensors; with
``data_format="channels_last"`` (Keras's default) the skin moves the channel axis around them.
``padding="same"`` is TensorFlow's (``out = ceil(in / strides)``, padded positions ignored: a
max never picks them and an average divides by the number of real inputs in its window).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import nn
from ...nn import functional as F
from ...tensor import Tensor
from .convolutional import (
    const,
    data_format_arg,
    flat_pads,
    named,
    ntuple,
    padding_arg,
    same_pads,
    to_channels_first,
    to_data_format,
)
from .layer import Layer

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
           "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D", "UpSampling1D", "UpSampling2D", "ZeroPadding1D",
           "ZeroPadding2D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D"]


class _Pooling(Layer):
    rank = 2
    mode = "max"

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**named(type(self), kwargs))
        label = type(self).__name__
        self.pool_size = ntuple(pool_size, self.rank, label, "pool_size")
        self.strides = self.pool_size if strides is None else \
            ntuple(strides, self.rank, label, "strides")
        self.padding = padding_arg(padding, label)
        self.data_format = data_format_arg(data_format, label)

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input with "
                             f"{self.rank + 2} dimensions, got shape {tuple(inputs.shape)}")
        x = to_channels_first(inputs, self.data_format)
        spatial = tuple(x.shape[2:])
        if self.padding == "same":
            pads = [same_pads(n, k, s) for n, k, s in zip(spatial, self.pool_size, self.strides)]
        else:
            pads = [(0, 0)] * self.rank
        k, s = self.pool_size, self.strides
        fn: Any
        if self.mode == "max":
            fn = F.max_pool1d if self.rank == 1 else F.max_pool2d
            if all(b == a for b, a in pads):
                y = fn(x, k, s, tuple(b for b, _ in pads))
            else:  # padded positions can never be the maximum
                y = fn(F.pad(x, flat_pads(pads), value=float("-inf")), k, s)
        else:
            fn = F.avg_pool1d if self.rank == 1 else F.avg_pool2d
            if all(b == a for b, a in pads):
                y = fn(x, k, s, tuple(b for b, _ in pads), count_include_pad=False)
            else:  # uneven split: average of the zero-padded window times size / real count
                y = fn(F.pad(x, flat_pads(pads)), k, s, count_include_pad=True)
                y = y * const(self._count_scale(spatial, pads, y).astype(y.dtype), y)
        return to_data_format(y, self.data_format)

    def _count_scale(self, spatial: tuple, pads: list, y: Tensor) -> np.ndarray:
        """``window size / number of real inputs`` for each output position (a constant)."""
        scale = np.ones((), np.float64)
        for n, k, s, (before, _), o in zip(spatial, self.pool_size, self.strides, pads,
                                           y.shape[2:]):
            start = np.arange(o) * s - before
            count = np.minimum(start + k, n) - np.maximum(start, 0)
            scale = np.multiply.outer(scale, k / count)
        return scale

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"pool_size": list(self.pool_size), "strides": list(self.strides),
                    "padding": self.padding, "data_format": self.data_format})
        return cfg


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps: ``(N, steps, C)`` -> ``(N, new_steps, C)``.

    Args:
        pool_size: the window (default 2). strides: default ``pool_size``.
        padding: ``"valid"`` or ``"same"``. data_format: ``"channels_last"`` (default) or
            ``"channels_first"``.
    """

    rank, mode = 1, "max"


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows: ``(N, H, W, C)`` -> ``(N, H', W', C)``.

    Args:
        pool_size: an int or ``(ph, pw)`` (default ``(2, 2)``).
        strides: default ``pool_size``.
        padding: ``"valid"`` (``H' = (H - ph) // sh + 1``) or ``"same"`` (``ceil(H / sh)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> keras.layers.MaxPooling2D()(np.ones((1, 5, 5, 3))).shape
        lightgrad.Size([1, 2, 2, 3])
        >>> keras.layers.MaxPooling2D(padding="same")(np.ones((1, 5, 5, 3))).shape
        lightgrad.Size([1, 3, 3, 3])
    """

    rank, mode = 2, "max"

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Average over windows of ``pool_size`` steps (see :class:`MaxPooling1D`)."""

    rank, mode = 1, "avg"


class AveragePooling2D(_Pooling):
    """Average over ``pool_size`` windows (see :class:`MaxPooling2D`); with ``"same"``
    padding each window is averaged over its real inputs only."""

    rank, mode = 2, "avg"

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    rank = 1
    mode = "avg"

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**named(type(self), kwargs))
        self.data_format = data_format_arg(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def _axes(self, ndim: int) -> tuple[int, ...]:
        if ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input with "
                             f"{self.rank + 2} dimensions, got {ndim}")
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def call(self, inputs: Tensor, mask: Any = None, training: Any = None) -> Tensor:
        axes = self._axes(inputs.ndim)
        if self.mode == "avg":
            return inputs.mean(dim=axes, keepdim=self.keepdims)  # type: ignore[attr-defined]
        return inputs.amax(dim=axes, keepdim=self.keepdims)  # type: ignore[attr-defined]

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps: ``(N, steps, C)`` -> ``(N, C)`` (``(N, 1, C)`` with
    ``keepdims``). With a ``mask`` (``(N, steps)``, e.g. from ``Embedding(mask_zero=True)``)
    the mean is over the unmasked steps only.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> x = np.array([[[1.0], [3.0], [8.0]]])
        >>> keras.layers.GlobalAveragePooling1D()(x, mask=np.array([[True, True, False]]))
        tensor([[2.]])
    """

    rank, mode = 1, "avg"

    def call(self, inputs: Tensor, mask: Any = None, training: Any = None) -> Tensor:
        if mask is None:
            return super().call(inputs)
        axis = self._axes(inputs.ndim)[0]
        m = mask if isinstance(mask, Tensor) else Tensor._make(np.asarray(mask))
        if tuple(m.shape) != (inputs.shape[0], inputs.shape[axis]):
            raise ValueError(f"GlobalAveragePooling1D '{self.name}': mask of shape "
                             f"{tuple(m.shape)} does not match the inputs {tuple(inputs.shape)}")
        w = m.to(inputs.device).to(inputs.dtype)  # type: ignore[attr-defined]
        w = w.unsqueeze(2 if self.data_format == "channels_last" else 1)
        total = (inputs * w).sum(dim=axis, keepdim=self.keepdims)  # type: ignore[attr-defined]
        return total / w.sum(dim=axis, keepdim=self.keepdims)  # type: ignore[attr-defined]


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: ``(N, H, W, C)`` -> ``(N, C)`` (``(N, 1, 1, C)`` with
    ``keepdims``).

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> keras.layers.GlobalAveragePooling2D()(np.ones((2, 4, 4, 3))).shape
        lightgrad.Size([2, 3])
    """

    rank, mode = 2, "avg"


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps: ``(N, steps, C)`` -> ``(N, C)``."""

    rank, mode = 1, "max"


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width: ``(N, H, W, C)`` -> ``(N, C)``."""

    rank, mode = 2, "max"


class UpSampling1D(Layer):
    """Repeats each step ``size`` times: ``(N, steps, C)`` -> ``(N, steps * size, C)``."""

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**named(type(self), kwargs))
        self.size = ntuple(size, 1, "UpSampling1D", "size")[0]
        self.upsample = nn.Upsample(scale_factor=float(self.size), mode="nearest")

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if inputs.ndim != 3:
            raise ValueError(f"UpSampling1D '{self.name}': expected (batch, steps, channels) "
                             f"input, got shape {tuple(inputs.shape)}")
        return self.upsample(inputs.movedim(-1, 1)).movedim(1, -1)  # type: ignore

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["size"] = self.size
        return cfg


class UpSampling2D(Layer):
    """Scales height and width by ``size``: ``(N, H, W, C)`` -> ``(N, H * sh, W * sw, C)``.
    Holds an ``nn.Upsample``.

    Args:
        size: an int or ``(sh, sw)`` (default ``(2, 2)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: ``"nearest"`` (each pixel repeated) or ``"bilinear"`` (half-pixel
            centers, no antialiasing).

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> keras.layers.UpSampling2D()(np.arange(4.0).reshape(1, 2, 2, 1))[0, :, :, 0]
        tensor([[0., 0., 1., 1.],
                [0., 0., 1., 1.],
                [2., 2., 3., 3.],
                [2., 2., 3., 3.]])
    """

    def __init__(self, size: Any = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(**named(type(self), kwargs))
        self.size = ntuple(size, 2, "UpSampling2D", "size")
        self.data_format = data_format_arg(data_format, "UpSampling2D")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"UpSampling2D: interpolation={interpolation!r} is not "
                                      "supported (use 'nearest' or 'bilinear')")
        self.interpolation = interpolation
        self.upsample = nn.Upsample(scale_factor=tuple(float(s) for s in self.size),
                                    mode=interpolation,
                                    align_corners=False if interpolation == "bilinear" else None)

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if inputs.ndim != 4:
            raise ValueError(f"UpSampling2D '{self.name}': expected 4-D input, got shape "
                             f"{tuple(inputs.shape)}")
        x = to_channels_first(inputs, self.data_format)
        return to_data_format(self.upsample(x), self.data_format)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"size": list(self.size), "data_format": self.data_format,
                    "interpolation": self.interpolation})
        return cfg


def _pair_pads(padding: Any, n: int, layer: str) -> tuple[tuple[int, int], ...]:
    """Keras's padding spec: an int, ``n`` ints (symmetric) or ``n`` pairs ``(before,
    after)``."""
    if isinstance(padding, int | np.integer) and not isinstance(padding, bool):
        pads = ((int(padding), int(padding)),) * n
    else:
        try:
            items = tuple(padding)
        except TypeError:
            items = ()
        if n == 1 and len(items) == 2 and all(isinstance(v, int | np.integer) for v in items):
            pads = ((int(items[0]), int(items[1])),)
        elif len(items) == n and all(isinstance(v, int | np.integer) for v in items):
            pads = tuple((int(v), int(v)) for v in items)
        elif len(items) == n and all(isinstance(v, tuple | list) and len(v) == 2
                                     for v in items):
            pads = tuple((int(v[0]), int(v[1])) for v in items)
        else:
            raise ValueError(f"{layer}: `padding` should be an int, a tuple of {n} ints or a "
                             f"tuple of {n} pairs of ints, received padding={padding!r}")
    if any(v < 0 for pair in pads for v in pair):
        raise ValueError(f"{layer}: `padding` must be non-negative, received "
                         f"padding={padding!r}")
    return pads


class ZeroPadding1D(Layer):
    """Zeros before and after the steps: ``padding`` an int or ``(before, after)``."""

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any):
        super().__init__(**named(type(self), kwargs))
        self.padding = _pair_pads(padding, 1, "ZeroPadding1D")
        self.data_format = data_format_arg(data_format, "ZeroPadding1D")
        self.pad = nn.ZeroPad1d(flat_pads(list(self.padding)))

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        x = to_channels_first(inputs, self.data_format)
        return to_data_format(self.pad(x), self.data_format)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"padding": list(self.padding[0]), "data_format": self.data_format})
        return cfg


class ZeroPadding2D(Layer):
    """Rows and columns of zeros around images; holds an ``nn.ZeroPad2d``.

    Args:
        padding: an int (all sides), ``(sym_h, sym_w)``, or ``((top, bottom), (left,
            right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(np.ones((1, 3, 3, 2))).shape
        lightgrad.Size([1, 4, 6, 2])
    """

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**named(type(self), kwargs))
        self.padding = _pair_pads(padding, 2, "ZeroPadding2D")
        self.data_format = data_format_arg(data_format, "ZeroPadding2D")
        self.pad = nn.ZeroPad2d(flat_pads(list(self.padding)))

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if inputs.ndim != 4:
            raise ValueError(f"ZeroPadding2D '{self.name}': expected 4-D input, got shape "
                             f"{tuple(inputs.shape)}")
        x = to_channels_first(inputs, self.data_format)
        return to_data_format(self.pad(x), self.data_format)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"padding": [list(p) for p in self.padding],
                    "data_format": self.data_format})
        return cfg


MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
