"""Image transforms and augmentation with ``torchvision.transforms`` names, vectorized over batches.

Every transform is a callable object. Layouts:

* :class:`ToTensor` takes a uint8 image array as loaded (``(H, W)`` grayscale or ``(H, W, C)``;
  ``(N, H, W, C)`` for a batch) and returns a float tensor ``(C, H, W)`` (``(N, C, H, W)``) with
  values in ``[0, 1]``.
* The other transforms take a lightgrad :class:`~lightgrad.Tensor` or a NumPy (or CuPy) array,
  in the layout ``(C, H, W)`` (one image; ``(H, W)`` is accepted too) or ``(N, C, H, W)`` (a
  batch), and return the same kind of object with the same dtype. The geometric ones (crops,
  flips, rotations, affine maps, resizing) work on any dtype, so they may also run before
  ``ToTensor`` on a ``(H, W)`` uint8 image; the photometric ones (:class:`ColorJitter`) take floats
  in ``[0, 1]`` or uint8; :class:`Normalize` and :class:`GaussianNoise` need floats.

**Batches.** A 4-D input is a batch, and a random transform draws *independent parameters for
every image* in one go (as if it had been applied to each image separately), then applies them
with array operations: crops by one strided gather, flips by one ``where``, rotations and affine
maps by one inverse-mapped sampling grid for the whole batch (bilinear or nearest interpolation
in NumPy). torchvision instead applies one set of parameters to a whole 4-D tensor; here that
would make every image of a batch augmented identically, which is rarely wanted.

The fast way to augment is therefore after the :class:`~lightgrad.utils.data.DataLoader`, on
whole batches (see :func:`apply_batch` and :class:`BatchTransformLoader`)::

    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=128, shuffle=True)
    augment = T.Compose([T.RandomCrop(28, padding=2), T.RandomRotation(10)])
    for xb, yb in T.BatchTransformLoader(loader, augment):
        ...

The image datasets (:class:`lightgrad.datasets.FashionMNIST`, ``MNIST``) do the same by
themselves when their ``transform`` starts with ``ToTensor()``.

**Randomness.** Random transforms draw from lightgrad's default generator, so
``lightgrad.manual_seed(s)`` makes them reproducible, or from the ``generator=`` given to them
(a :class:`lightgrad.Generator`). Transforms are not differentiable: their outputs never require
grad.

Example:
    >>> import numpy as np, lightgrad
    >>> from lightgrad import transforms as T
    >>> img = np.arange(16, dtype=np.uint8).reshape(4, 4)
    >>> tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    >>> x = tf(img)
    >>> x.shape, x.dtype
    (lightgrad.Size([1, 4, 4]), dtype('float32'))
    >>> _ = lightgrad.manual_seed(0)
    >>> batch = lightgrad.rand(8, 1, 28, 28)
    >>> T.RandomCrop(24, padding=2)(batch).shape
    lightgrad.Size([8, 1, 24, 24])
"""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import backend
from .backend import Generator
from .tensor import Tensor

__all__ = [
    "InterpolationMode",
    "Transform",
    "Compose",
    "ToTensor",
    "Normalize",
    "Lambda",
    "Pad",
    "CenterCrop",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "Resize",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomAffine",
    "ColorJitter",
    "RandomErasing",
    "GaussianNoise",
    "RandomApply",
    "apply_batch",
    "BatchTransformLoader",
]


class InterpolationMode(enum.Enum):
    """How pixels between grid points are read (``torchvision.transforms.InterpolationMode``)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


# ----------------------------------------------------------------------------- helpers
def _unwrap(x: Any, name: str) -> tuple[Any, bool]:
    """The raw array of ``x`` and whether it was a Tensor."""
    if isinstance(x, Tensor):
        return x.data, True
    if isinstance(x, np.ndarray) or backend.get_array_module(x) is not np:
        return x, False
    raise TypeError(f"{name}: expected a lightgrad Tensor or a NumPy array, got "
                    f"{type(x).__module__}.{type(x).__name__}")


def _wrap(arr: Any, is_tensor: bool) -> Any:
    return Tensor._make(arr) if is_tensor else arr


def _as4d(arr: Any, name: str) -> tuple[Any, int]:
    """``arr`` as ``(N, C, H, W)`` and its original number of dimensions."""
    if arr.ndim == 4:
        return arr, 4
    if arr.ndim == 3:
        return arr[None], 3
    if arr.ndim == 2:
        return arr[None, None], 2
    raise ValueError(f"{name}: expected an image (H, W) or (C, H, W), or a batch (N, C, H, W); "
                     f"got shape {tuple(arr.shape)}")


def _back(out4: Any, ndim: int) -> Any:
    return out4 if ndim == 4 else out4[0] if ndim == 3 else out4[0, 0]


def _check_generator(generator: Any, name: str) -> Generator | None:
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{name}: generator must be a lightgrad.Generator or None, got "
                        f"{type(generator).__name__}")
    return generator


def _setup_size(size: Any, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        out = (int(size), int(size))
    elif isinstance(size, Sequence) and len(size) == 1:
        out = (int(size[0]), int(size[0]))
    elif isinstance(size, Sequence) and len(size) == 2:
        out = (int(size[0]), int(size[1]))
    else:
        raise ValueError(f"{name}: size must be an int or a sequence (h, w) of two ints, got "
                         f"{size!r}")
    if min(out) <= 0:
        raise ValueError(f"{name}: size must be positive, got {size!r}")
    return out


def _setup_range(value: Any, name: str, arg: str, center: float = 0.0,
                 bound: tuple[float, float] = (-math.inf, math.inf),
                 sizes: tuple[int, ...] = (2,), clip_first: bool = False) -> tuple[float, ...]:
    """A number ``v`` -> ``(center - v, center + v)`` (``v >= 0``); a sequence -> itself."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{name}: if {arg} is a single number, it must be non-negative, got "
                             f"{value}")
        lo, hi = center - float(value), center + float(value)
        if clip_first:
            lo = max(lo, 0.0)
        out: tuple[float, ...] = (lo, hi)
    elif isinstance(value, Sequence) and len(value) in sizes:
        out = tuple(float(v) for v in value)
    else:
        raise ValueError(f"{name}: {arg} must be a number or a sequence of "
                         f"{' or '.join(map(str, sizes))} numbers, got {value!r}")
    for k in range(0, len(out), 2):
        if not bound[0] <= out[k] <= out[k + 1] <= bound[1]:
            raise ValueError(f"{name}: {arg} values should be ordered and within {list(bound)}, "
                             f"got {value!r}")
    return out


def _interpolation(mode: Any, name: str) -> InterpolationMode:
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, str):
        for m in InterpolationMode:
            if m.value == mode.lower():
                return m
    raise ValueError(f"{name}: interpolation must be 'nearest' or 'bilinear' (or an "
                     f"InterpolationMode), got {mode!r}")


def _fill_array(fill: Any, channels: int, dtype: Any, xp: Any, name: str) -> Any:
    """``fill`` (a number or one value per channel) as an array ``(C, 1, 1)`` of ``dtype``."""
    vals = np.atleast_1d(np.asarray(0 if fill is None else fill, dtype=np.float64))
    if vals.ndim != 1 or vals.size not in (1, channels):
        raise ValueError(f"{name}: fill must be a number or a sequence of {channels} values (one "
                         f"per channel), got {fill!r}")
    vals = np.broadcast_to(vals, (channels,))
    if np.dtype(dtype).kind in "iub":
        vals = np.rint(vals)
    return xp.asarray(vals.astype(dtype).reshape(channels, 1, 1))


def _compute_dtype(dtype: Any) -> np.dtype:
    return np.dtype(np.float64) if np.dtype(dtype) == np.float64 else np.dtype(np.float32)


def _cast_back(out: Any, dtype: Any, xp: Any) -> Any:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return out.astype(dtype, copy=False)
    if dtype.kind == "b":
        return out >= 0.5
    info = np.iinfo(dtype)
    return xp.clip(xp.rint(out), info.min, info.max).astype(dtype)


def _max_value(dtype: Any) -> float:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return 1.0
    if dtype.kind == "b":
        return 1.0
    return float(np.iinfo(dtype).max)


def _rng(generator: Generator | None) -> np.random.Generator:
    return backend.get_rng(generator)


def _fmt(v: Any) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, float):
        return repr(round(v, 6))
    return repr(v)


class Transform:
    """Base class: a callable ``forward(x)``; ``repr`` shows the settings.

    ``batchable`` says that a 4-D input is handled as a batch with per-image random parameters
    (true for every transform here except :class:`Lambda` unless told so).
    """

    batchable: bool = True

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def forward(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward")

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


# ----------------------------------------------------------------------------- composition
class Compose(Transform):
    """Apply transforms one after the other (``torchvision.transforms.Compose``).

    Example:
        >>> import numpy as np
        >>> from lightgrad import transforms as T
        >>> tf = T.Compose([T.ToTensor(), T.Normalize(mean=(0.5,), std=(0.25,))])
        >>> tf(np.full((2, 2), 255, np.uint8)).tolist()
        [[[2.0, 2.0], [2.0, 2.0]]]
    """

    def __init__(self, transforms: Iterable[Callable]) -> None:
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError(f"Compose: transform {i} is not callable "
                                f"({type(t).__name__})")

    @property
    def batchable(self) -> bool:  # type: ignore[override]
        return all(_batchable(t) for t in self.transforms)

    def forward(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        body = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class Lambda(Transform):
    """A user function as a transform (``torchvision.transforms.Lambda``).

    Args:
        lambd: the function.
        batched: the function handles a batch ``(N, C, H, W)`` itself, so the dataset fast path
            and :func:`apply_batch` may call it once per batch (otherwise once per image).

    Example:
        >>> from lightgrad import transforms as T
        >>> T.Lambda(lambda x: x * 2)(3)
        6
    """

    def __init__(self, lambd: Callable, batched: bool = False) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd
        self.batchable = bool(batched)

    def forward(self, x: Any) -> Any:
        return self.lambd(x)

    def extra_repr(self) -> str:
        return "batched=True" if self.batchable else ""


class RandomApply(Transform):
    """Apply a list of transforms with probability ``p``, drawn per image
    (``torchvision.transforms.RandomApply``).

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> x = lightgrad.ones(4, 1, 2, 2)
        >>> T.RandomApply([T.Lambda(lambda t: t * 0, batched=True)], p=0.0)(x).sum().item()
        16.0
    """

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5, *,
                 generator: Generator | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomApply: p must be a probability in [0, 1], got {p}")
        self.transforms = list(transforms)
        self.p = float(p)
        self.generator = _check_generator(generator, "RandomApply")

    @property
    def batchable(self) -> bool:  # type: ignore[override]
        return all(_batchable(t) for t in self.transforms)

    def _chain(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def forward(self, x: Any) -> Any:
        arr, is_t = _unwrap(x, "RandomApply")
        _as4d(arr, "RandomApply")
        if arr.ndim != 4:
            return self._chain(x) if _rng(self.generator).random() < self.p else x
        mask = _rng(self.generator).random(arr.shape[0]) < self.p
        if mask.all():
            return self._chain(x)
        if not mask.any():
            return x
        xp = backend.get_array_module(arr)
        sel = xp.asarray(np.flatnonzero(mask))
        sub, _ = _unwrap(self._chain(_wrap(arr[sel], is_t)), "RandomApply")
        if sub.shape[1:] != arr.shape[1:] or sub.dtype != arr.dtype:
            raise ValueError(f"RandomApply: with per-image application the transforms must keep "
                             f"the image shape and dtype; {tuple(arr.shape[1:])} {arr.dtype} "
                             f"became {tuple(sub.shape[1:])} {sub.dtype}")
        out = arr.copy()
        out[sel] = sub
        return _wrap(out, is_t)

    def __repr__(self) -> str:
        body = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}(\n    p={self.p}{body}\n)"


# ----------------------------------------------------------------------------- conversion
class ToTensor(Transform):
    """A uint8 image array ``(H, W)`` / ``(H, W, C)`` -> a float tensor ``(C, H, W)`` in
    ``[0, 1]`` (``torchvision.transforms.ToTensor``): ``x / 255`` in the default float dtype.

    A 4-D array ``(N, H, W, C)`` is a batch and becomes ``(N, C, H, W)``. Arrays of other dtypes
    are only moved to channels-first, keeping their values and dtype (as torchvision does).

    Example:
        >>> import numpy as np
        >>> from lightgrad import transforms as T
        >>> T.ToTensor()(np.array([[0, 51], [255, 102]], np.uint8))
        tensor([[[0.0000, 0.2000],
                 [1.0000, 0.4000]]])
    """

    def forward(self, pic: Any) -> Tensor:
        if isinstance(pic, Tensor):
            raise TypeError("ToTensor: input is already a Tensor; ToTensor converts uint8 image "
                            "arrays (H, W[, C]) as loaded. Drop it, or pass x.numpy()")
        arr, _ = _unwrap(pic, "ToTensor")
        xp = backend.get_array_module(arr)
        if arr.ndim == 2:
            arr = arr[None]
        elif arr.ndim == 3:
            arr = arr.transpose(2, 0, 1)
        elif arr.ndim == 4:
            arr = arr.transpose(0, 3, 1, 2)
        else:
            raise ValueError(f"ToTensor: expected an image (H, W) or (H, W, C), or a batch "
                             f"(N, H, W, C); got shape {tuple(arr.shape)}")
        if arr.dtype == np.uint8:
            out = arr.astype(backend.get_default_dtype(), order="C")
            out /= 255
        else:
            out = xp.ascontiguousarray(arr)
        if out.dtype not in backend._SUPPORTED:
            from .creation import as_tensor

            return as_tensor(out)
        return Tensor._make(out)


class Normalize(Transform):
    """``(x - mean[c]) / std[c]`` per channel (``torchvision.transforms.Normalize``).

    Args:
        mean, std: one value per channel (or one value for all).
        inplace: overwrite the input.

    Shape: ``(C, H, W)`` or ``(N, C, H, W)`` (any leading dims), floats.

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> T.Normalize((1.0, 2.0), (2.0, 4.0))(lightgrad.ones(2, 1, 1)).flatten().tolist()
        [0.0, -0.25]
    """

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float,
                 inplace: bool = False) -> None:
        self.mean = [float(m) for m in np.atleast_1d(np.asarray(mean, np.float64))]
        self.std = [float(s) for s in np.atleast_1d(np.asarray(std, np.float64))]
        self.inplace = inplace
        if not self.mean or not self.std:
            raise ValueError("Normalize: mean and std must not be empty")

    def forward(self, x: Any) -> Any:
        arr, is_t = _unwrap(x, "Normalize")
        if arr.dtype.kind != "f":
            raise TypeError(f"Normalize: input must be a float tensor, got {arr.dtype} (apply "
                            "ToTensor first)")
        if arr.ndim < 3:
            raise ValueError(f"Normalize: expected an image (C, H, W) or a batch (N, C, H, W), "
                             f"got shape {tuple(arr.shape)}")
        xp = backend.get_array_module(arr)
        c = arr.shape[-3]
        for arg, vals in (("mean", self.mean), ("std", self.std)):
            if len(vals) not in (1, c):
                raise ValueError(f"Normalize: {arg} has {len(vals)} values for {c} channels "
                                 f"(shape {tuple(arr.shape)})")
        mean = xp.asarray(np.asarray(self.mean, arr.dtype).reshape(-1, 1, 1))
        std = xp.asarray(np.asarray(self.std, arr.dtype).reshape(-1, 1, 1))
        if bool((std == 0).any()):
            raise ValueError(f"Normalize: std evaluated to zero after conversion to {arr.dtype}, "
                             f"leading to division by zero (std={self.std})")
        if self.inplace:
            if is_t:
                return x.sub_(Tensor._make(mean)).div_(Tensor._make(std))
            arr -= mean
            arr /= std
            return arr
        return _wrap((arr - mean) / std, is_t)

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}" + (", inplace=True" if self.inplace else "")


# ----------------------------------------------------------------------------- padding and crops
_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def _parse_padding(padding: Any, name: str) -> tuple[int, int, int, int]:
    """``padding`` -> (left, top, right, bottom), as torchvision reads it."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        p = (int(padding),) * 4
    elif isinstance(padding, Sequence) and len(padding) in (1, 2, 4) and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in padding):
        vals = [int(v) for v in padding]
        if len(vals) == 1:
            p = (vals[0],) * 4
        elif len(vals) == 2:
            p = (vals[0], vals[1], vals[0], vals[1])
        else:
            p = (vals[0], vals[1], vals[2], vals[3])
    else:
        raise ValueError(f"{name}: padding must be an int or a sequence of 1, 2 or 4 ints, got "
                         f"{padding!r}")
    if min(p) < 0:
        raise ValueError(f"{name}: padding must be non-negative, got {padding!r}")
    return p  # type: ignore[return-value]


def _pad4(a4: Any, pad: tuple[int, int, int, int], fill: Any, mode: str, name: str) -> Any:
    left, top, right, bottom = pad
    if not any(pad):
        return a4
    xp = backend.get_array_module(a4)
    n, c, h, w = a4.shape
    if mode == "constant":
        out = xp.empty((n, c, h + top + bottom, w + left + right), a4.dtype)
        out[...] = _fill_array(fill, c, a4.dtype, xp, name)
        out[:, :, top:top + h, left:left + w] = a4
        return out
    if mode in ("edge", "reflect", "symmetric") and (h == 0 or w == 0):
        raise ValueError(f"{name}: cannot pad an empty image (shape {tuple(a4.shape)}) in "
                         f"{mode!r} mode")
    if mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ValueError(f"{name}: padding {pad} (left, top, right, bottom) must be smaller than "
                         f"the image ({h}x{w}) in 'reflect' mode")
    return xp.pad(a4, ((0, 0), (0, 0), (top, bottom), (left, right)), mode=mode)


def _check_mode(padding_mode: str, name: str) -> str:
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"{name}: padding_mode must be one of {list(_PAD_MODES)}, got "
                         f"{padding_mode!r}")
    return padding_mode


def _crop4(a4: Any, top: Any, left: Any, h: int, w: int) -> Any:
    """Per-image crops ``a4[n, :, top[n]:top[n]+h, left[n]:left[n]+w]`` -> ``(N, C, h, w)``."""
    xp = backend.get_array_module(a4)
    n = a4.shape[0]
    top, left = np.asarray(top), np.asarray(left)
    if n == 0 or (np.all(top == top[0]) and np.all(left == left[0])):
        t, lf = (int(top[0]), int(left[0])) if n else (0, 0)
        return xp.ascontiguousarray(a4[:, :, t:t + h, lf:lf + w])
    sn, sc, sh, sw = a4.strides
    H, W = a4.shape[2:]
    windows = xp.lib.stride_tricks.as_strided(
        a4, shape=(n, a4.shape[1], H - h + 1, W - w + 1, h, w),
        strides=(sn, sc, sh, sw, sh, sw))
    return windows[xp.arange(n), :, xp.asarray(top), xp.asarray(left)]  # (N, C, h, w)


class Pad(Transform):
    """Pad the borders (``torchvision.transforms.Pad``).

    Args:
        padding: int (all sides), ``(left/right, top/bottom)`` or ``(left, top, right, bottom)``.
        fill: value for ``"constant"`` mode (a number or one per channel).
        padding_mode: ``"constant"``, ``"edge"``, ``"reflect"`` or ``"symmetric"``.

    Example:
        >>> import numpy as np
        >>> from lightgrad import transforms as T
        >>> T.Pad((1, 0))(np.ones((1, 1, 1), np.float32)).tolist()
        [[[0.0, 1.0, 0.0]]]
    """

    def __init__(self, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> None:
        self.padding = padding
        self._pad = _parse_padding(padding, "Pad")
        self.fill = fill
        self.padding_mode = _check_mode(padding_mode, "Pad")

    def forward(self, x: Any) -> Any:
        arr, is_t = _unwrap(x, "Pad")
        a4, nd = _as4d(arr, "Pad")
        return _wrap(_back(_pad4(a4, self._pad, self.fill, self.padding_mode, "Pad"), nd), is_t)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


class CenterCrop(Transform):
    """Crop the center (``torchvision.transforms.CenterCrop``); an image smaller than ``size``
    is padded with zeros first.

    The top-left corner is ``(round((H - h) / 2), round((W - w) / 2))`` (Python rounding).

    Example:
        >>> import numpy as np
        >>> from lightgrad import transforms as T
        >>> T.CenterCrop(2)(np.arange(16).reshape(4, 4)).tolist()
        [[5, 6], [9, 10]]
    """

    def __init__(self, size: Any) -> None:
        self.size = _setup_size(size, "CenterCrop")

    def forward(self, x: Any) -> Any:
        arr, is_t = _unwrap(x, "CenterCrop")
        a4, nd = _as4d(arr, "CenterCrop")
        th, tw = self.size
        h, w = a4.shape[2:]
        if th > h or tw > w:
            pad = ((tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                   (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0)
            a4 = _pad4(a4, pad, 0, "constant", "CenterCrop")
            h, w = a4.shape[2:]
        top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        xp = backend.get_array_module(a4)
        out = xp.ascontiguousarray(a4[:, :, top:top + th, left:left + tw])
        return _wrap(_back(out, nd), is_t)

    def extra_repr(self) -> str:
        return f"size={self.size}"


class RandomCrop(Transform):
    """Crop at a random position, after optional padding (``torchvision.transforms.RandomCrop``).

    Args:
        size: output ``(h, w)`` (an int for a square).
        padding: optional padding first (see :class:`Pad`), e.g. ``4`` for CIFAR-style shifts.
        pad_if_needed: pad images smaller than ``size`` (by the missing amount on both sides, as
            torchvision does).
        fill, padding_mode: as in :class:`Pad`.
        generator: a :class:`lightgrad.Generator` (default: lightgrad's default generator).

    The top-left corner is uniform over the ``(H - h + 1) x (W - w + 1)`` positions, drawn per
    image for a batch.

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> T.RandomCrop(28, padding=4)(lightgrad.zeros(16, 1, 28, 28)).shape
        lightgrad.Size([16, 1, 28, 28])
    """

    def __init__(self, size: Any, padding: Any = None, pad_if_needed: bool = False,
                 fill: Any = 0, padding_mode: str = "constant", *,
                 generator: Generator | None = None) -> None:
        self.size = _setup_size(size, "RandomCrop")
        self.padding = padding
        self._pad = None if padding is None else _parse_padding(padding, "RandomCrop")
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = _check_mode(padding_mode, "RandomCrop")
        self.generator = _check_generator(generator, "RandomCrop")

    def forward(self, x: Any) -> Any:
        name = "RandomCrop"
        arr, is_t = _unwrap(x, name)
        a4, nd = _as4d(arr, name)
        if self._pad is not None:
            a4 = _pad4(a4, self._pad, self.fill, self.padding_mode, name)
        th, tw = self.size
        if self.pad_if_needed and a4.shape[3] < tw:
            d = tw - a4.shape[3]
            a4 = _pad4(a4, (d, 0, d, 0), self.fill, self.padding_mode, name)
        if self.pad_if_needed and a4.shape[2] < th:
            d = th - a4.shape[2]
            a4 = _pad4(a4, (0, d, 0, d), self.fill, self.padding_mode, name)
        n, _, h, w = a4.shape
        if h < th or w < tw:
            raise ValueError(f"{name}: required crop size {(th, tw)} is larger than the input "
                             f"image size {(h, w)} (shape {tuple(arr.shape)}); use padding or "
                             "pad_if_needed=True")
        rng = _rng(self.generator)
        top = rng.integers(0, h - th + 1, size=n)
        left = rng.integers(0, w - tw + 1, size=n)
        return _wrap(_back(_crop4(a4, top, left, th, tw), nd), is_t)

    def extra_repr(self) -> str:
        return f"size={self.size}, padding={self.padding}"


class _RandomFlip(Transform):
    _axis = -1

    def __init__(self, p: float = 0.5, *, generator: Generator | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be a probability in [0, 1], got {p}")
        self.p = float(p)
        self.generator = _check_generator(generator, type(self).__name__)

    def forward(self, x: Any) -> Any:
        name = type(self).__name__
        arr, is_t = _unwrap(x, name)
        a4, nd = _as4d(arr, name)
        xp = backend.get_array_module(arr)
        mask = _rng(self.generator).random(a4.shape[0]) < self.p
        if nd != 4:
            return _wrap(xp.flip(arr, self._axis).copy(), is_t) if mask[0] else x
        flipped = xp.flip(a4, self._axis)
        out = xp.where(xp.asarray(mask)[:, None, None, None], flipped, a4)
        return _wrap(out, is_t)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability ``p``, per image
    (``torchvision.transforms.RandomHorizontalFlip``).

    Example:
        >>> import numpy as np
        >>> from lightgrad import transforms as T
        >>> T.RandomHorizontalFlip(p=1.0)(np.array([[1, 2, 3]])).tolist()
        [[3, 2, 1]]
    """

    _axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability ``p``, per image
    (``torchvision.transforms.RandomVerticalFlip``).

    Example:
        >>> import numpy as np
        >>> from lightgrad import transforms as T
        >>> T.RandomVerticalFlip(p=1.0)(np.array([[1], [2]])).tolist()
        [[2], [1]]
    """

    _axis = -2


# ----------------------------------------------------------------------------- resampling
def _axis_source(start: np.ndarray, length: np.ndarray, out: int,
                 mode: InterpolationMode) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices (lower, upper) and weights of the upper, ``(N, out)``, for resizing the
    per-image spans ``[start, start + length)`` to ``out`` samples, as ``F.interpolate`` does
    (``align_corners=False``, no antialiasing)."""
    scale = (length / out)[:, None]
    dst = np.arange(out, dtype=np.float64)[None, :]
    last = (length - 1)[:, None]
    if mode is InterpolationMode.NEAREST:
        i0 = np.minimum(np.floor(dst * scale).astype(np.int64), last)
        return start[:, None] + i0, start[:, None] + i0, np.zeros(i0.shape)
    src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), last)
    i1 = np.minimum(i0 + 1, last)
    return start[:, None] + i0, start[:, None] + i1, src - i0


def _resized_crop4(a4: Any, top: np.ndarray, left: np.ndarray, h: np.ndarray, w: np.ndarray,
                   size: tuple[int, int], mode: InterpolationMode) -> Any:
    """Per-image crops ``(top, left, h, w)`` resized to ``size``, by separable interpolation."""
    xp = backend.get_array_module(a4)
    n, c = a4.shape[:2]
    oh, ow = size
    r0, r1, ly = _axis_source(np.asarray(top), np.asarray(h), oh, mode)
    c0, c1, lx = _axis_source(np.asarray(left), np.asarray(w), ow, mode)
    cdt = _compute_dtype(a4.dtype)

    def rows(idx: np.ndarray) -> Any:
        return xp.take_along_axis(a4, xp.asarray(idx.reshape(n, 1, oh, 1)), axis=2)

    def cols(src: Any, idx: np.ndarray) -> Any:
        return xp.take_along_axis(src, xp.asarray(idx.reshape(n, 1, 1, ow)), axis=3)

    if mode is InterpolationMode.NEAREST:
        return cols(rows(r0), c0)
    wy = xp.asarray(ly.reshape(n, 1, oh, 1).astype(cdt))
    wx = xp.asarray(lx.reshape(n, 1, 1, ow).astype(cdt))
    top_rows = rows(r0).astype(cdt, copy=False)
    vert = top_rows + (rows(r1).astype(cdt, copy=False) - top_rows) * wy  # (N, C, oh, W)
    left_cols = cols(vert, c0)
    out = left_cols + (cols(vert, c1) - left_cols) * wx  # (N, C, oh, ow)
    return _cast_back(out, a4.dtype, xp)


def _resize_output_size(h: int, w: int, size: Any, max_size: int | None) -> tuple[int, int]:
    if isinstance(size, numbers.Integral) or (isinstance(size, Sequence) and len(size) == 1):
        s = int(size if isinstance(size, numbers.Integral) else size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = s, int(s * long / short)
        if max_size is not None:
            if max_size <= s:
                raise ValueError(f"Resize: max_size = {max_size} must be strictly greater than "
                                 f"the requested size for the smaller edge = {s}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    return int(size[0]), int(size[1])


class Resize(Transform):
    """Resize to ``size`` (``torchvision.transforms.Resize``, without antialiasing).

    Args:
        size: ``(h, w)``, or an int: the smaller edge becomes ``size`` and the other keeps the
            aspect ratio.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``, as ``F.interpolate`` with
            ``align_corners=False``.
        max_size: cap for the longer edge when ``size`` is an int.

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> T.Resize(14)(lightgrad.zeros(3, 28, 56)).shape
        lightgrad.Size([3, 14, 28])
    """

    def __init__(self, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
                 max_size: int | None = None) -> None:
        if isinstance(size, Sequence) and len(size) == 2:
            _setup_size(size, "Resize")
        elif not ((isinstance(size, numbers.Integral) and int(size) > 0)
                  or (isinstance(size, Sequence) and len(size) == 1 and size[0] > 0)):
            raise ValueError(f"Resize: size must be a positive int or a sequence of 1 or 2 ints, "
                             f"got {size!r}")
        if max_size is not None and not isinstance(size, numbers.Integral) and len(size) != 1:
            raise ValueError("Resize: max_size is only supported when size is a single int")
        self.size = size
        self.interpolation = _interpolation(interpolation, "Resize")
        self.max_size = max_size

    def forward(self, x: Any) -> Any:
        arr, is_t = _unwrap(x, "Resize")
        a4, nd = _as4d(arr, "Resize")
        n, _, h, w = a4.shape
        if h == 0 or w == 0:
            raise ValueError(f"Resize: cannot resize an empty image (shape {tuple(arr.shape)})")
        oh, ow = _resize_output_size(h, w, self.size, self.max_size)
        zeros = np.zeros(n, np.int64)
        out = _resized_crop4(a4, zeros, zeros, np.full(n, h), np.full(n, w), (oh, ow),
                             self.interpolation)
        return _wrap(_back(out, nd), is_t)

    def extra_repr(self) -> str:
        return (f"size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}")


class RandomResizedCrop(Transform):
    """Crop a random area and aspect ratio, resized to ``size``
    (``torchvision.transforms.RandomResizedCrop``, without antialiasing).

    For each image up to 10 candidates are drawn: area fraction uniform in ``scale``, aspect
    ratio log-uniform in ``ratio``; the first that fits is used, else a central crop of the
    closest admissible aspect ratio. All images of a batch are drawn in one go.

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> T.RandomResizedCrop(24, scale=(0.5, 1.0))(lightgrad.rand(8, 3, 32, 32)).shape
        lightgrad.Size([8, 3, 24, 24])
    """

    def __init__(self, size: Any, scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: Any = InterpolationMode.BILINEAR, *,
                 generator: Generator | None = None) -> None:
        self.size = _setup_size(size, "RandomResizedCrop")
        if len(scale) != 2 or len(ratio) != 2:
            raise ValueError("RandomResizedCrop: scale and ratio must be (min, max) pairs")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"RandomResizedCrop: scale and ratio should be of kind (min, max), "
                             f"got scale={scale}, ratio={ratio}")
        if scale[0] < 0 or ratio[0] <= 0:
            raise ValueError(f"RandomResizedCrop: scale must be >= 0 and ratio > 0, got "
                             f"scale={scale}, ratio={ratio}")
        self.scale = (float(scale[0]), float(scale[1]))
        self.ratio = (float(ratio[0]), float(ratio[1]))
        self.interpolation = _interpolation(interpolation, "RandomResizedCrop")
        self.generator = _check_generator(generator, "RandomResizedCrop")

    def get_params_batch(self, n: int, height: int, width: int,
                         rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Per-image ``(top, left, h, w)`` arrays for ``n`` images of ``height x width``."""
        area = height * width
        log_ratio = np.log(np.asarray(self.ratio))
        target = area * rng.uniform(self.scale[0], self.scale[1], (n, 10))
        aspect = np.exp(rng.uniform(log_ratio[0], log_ratio[1], (n, 10)))
        w = np.rint(np.sqrt(target * aspect)).astype(np.int64)
        h = np.rint(np.sqrt(target / aspect)).astype(np.int64)
        ok = (w > 0) & (w <= width) & (h > 0) & (h <= height)
        first = ok.argmax(axis=1)
        found = ok[np.arange(n), first]
        w, h = w[np.arange(n), first], h[np.arange(n), first]
        in_ratio = width / height
        if in_ratio < min(self.ratio):
            fw, fh = width, int(round(width / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            fh, fw = height, int(round(height * max(self.ratio)))
        else:
            fw, fh = width, height
        w, h = np.where(found, w, fw), np.where(found, h, fh)
        top = np.where(found, np.floor(rng.random(n) * (height - h + 1)).astype(np.int64),
                       (height - h) // 2)
        left = np.where(found, np.floor(rng.random(n) * (width - w + 1)).astype(np.int64),
                        (width - w) // 2)
        return top, left, h, w

    def forward(self, x: Any) -> Any:
        arr, is_t = _unwrap(x, "RandomResizedCrop")
        a4, nd = _as4d(arr, "RandomResizedCrop")
        n, _, height, width = a4.shape
        if height == 0 or width == 0:
            raise ValueError(f"RandomResizedCrop: empty image (shape {tuple(arr.shape)})")
        top, left, h, w = self.get_params_batch(n, height, width, _rng(self.generator))
        out = _resized_crop4(a4, top, left, h, w, self.size, self.interpolation)
        return _wrap(_back(out, nd), is_t)

    def extra_repr(self) -> str:
        return (f"size={self.size}, scale={_fmt(self.scale)}, ratio={_fmt(self.ratio)}, "
                f"interpolation={self.interpolation.value}")


# ----------------------------------------------------------------------------- affine warps
def _inverse_affine(center: tuple[float, float], angle: np.ndarray, tx: np.ndarray,
                    ty: np.ndarray, scale: np.ndarray, shear_x: np.ndarray,
                    shear_y: np.ndarray) -> np.ndarray:
    """``(N, 2, 3)`` inverses of ``T * C * R(angle) S(scale) SHy SHx * C^-1`` in pixel
    coordinates centered on the image (torchvision's ``_get_inverse_affine_matrix``)."""
    rot = np.radians(angle)
    sx, sy = np.radians(shear_x), np.radians(shear_y)
    cx, cy = center
    a = np.cos(rot - sy) / np.cos(sy)
    b = -np.cos(rot - sy) * np.tan(sx) / np.cos(sy) - np.sin(rot)
    c = np.sin(rot - sy) / np.cos(sy)
    d = -np.sin(rot - sy) * np.tan(sx) / np.cos(sy) + np.cos(rot)
    m = np.stack([d, -b, np.zeros_like(d), -c, a, np.zeros_like(d)], axis=1) / scale[:, None]
    m[:, 2] += m[:, 0] * (-cx - tx) + m[:, 1] * (-cy - ty) + cx
    m[:, 5] += m[:, 3] * (-cx - tx) + m[:, 4] * (-cy - ty) + cy
    return m.reshape(-1, 2, 3)


def _warp4(a4: Any, theta: np.ndarray, out_hw: tuple[int, int], mode: InterpolationMode,
           fill: Any, name: str) -> Any:
    """Sample ``a4`` on the inverse-mapped grid of ``theta`` ``(N, 2, 3)``: output pixel ``(i, j)``
    reads input point ``theta @ (j - (ow-1)/2, i - (oh-1)/2, 1) + ((W-1)/2, (H-1)/2)``; points
    outside the image read ``fill``."""
    xp = backend.get_array_module(a4)
    n, c, h, w = a4.shape
    oh, ow = out_hw
    th = xp.asarray(theta)
    xo = (xp.arange(ow, dtype=np.float64) - (ow - 1) / 2.0)[None, None, :]
    yo = (xp.arange(oh, dtype=np.float64) - (oh - 1) / 2.0)[None, :, None]
    t = [th[:, k // 3, k % 3][:, None, None] for k in range(6)]
    xi = t[0] * xo + t[1] * yo + (t[2] + (w - 1) / 2.0)  # (N, oh, ow)
    yi = t[3] * xo + t[4] * yo + (t[5] + (h - 1) / 2.0)
    if mode is InterpolationMode.NEAREST:
        xr, yr = xp.rint(xi), xp.rint(yi)
        valid = (xr >= 0) & (xr <= w - 1) & (yr >= 0) & (yr <= h - 1)
        flat = (xp.clip(yr, 0, max(h - 1, 0)) * w + xp.clip(xr, 0, max(w - 1, 0))).astype(np.intp)
        if h * w == 0:
            got = xp.zeros((n, c, oh * ow), a4.dtype)
        else:
            got = xp.take_along_axis(a4.reshape(n, c, h * w), flat.reshape(n, 1, -1), axis=2)
        fill_v = _fill_array(fill, c, a4.dtype, xp, name).reshape(1, c, 1)
        out = xp.where(valid.reshape(n, 1, -1), got, fill_v)
        return out.reshape(n, c, oh, ow)
    cdt = _compute_dtype(a4.dtype)
    # A border of `fill` (1 pixel left/top, 2 right/bottom) lets every out-of-range corner read
    # `fill` without masks: coordinates are clamped to [-1, size], where the weights of the
    # corners outside the image either vanish or fall on the border.
    padded = _pad4(a4.astype(cdt, copy=False), (1, 1, 2, 2),
                   _fill_array(fill, c, cdt, xp, name).ravel().tolist(), "constant", name)
    wp = w + 3
    xi = xp.clip(xi, -1.0, float(w))
    yi = xp.clip(yi, -1.0, float(h))
    x0, y0 = xp.floor(xi), xp.floor(yi)
    wx = (xi - x0).astype(cdt).reshape(n, 1, -1)
    wy = (yi - y0).astype(cdt).reshape(n, 1, -1)
    base = ((y0 + 1) * wp + (x0 + 1)).astype(np.intp).reshape(n, 1, -1)
    k = base.shape[-1]
    idx = xp.concatenate([base, base + 1, base + wp, base + (wp + 1)], axis=2)
    got = xp.take_along_axis(padded.reshape(n, c, -1), idx, axis=2)  # (N, C, 4 oh ow)
    v00, v01, v10, v11 = (got[:, :, i * k:(i + 1) * k] for i in range(4))
    top = v00 + (v01 - v00) * wx
    bottom = v10 + (v11 - v10) * wx
    out = (top + (bottom - top) * wy).reshape(n, c, oh, ow)
    return _cast_back(out, a4.dtype, xp)


def _center_arg(center: Any, h: int, w: int, name: str) -> tuple[float, float]:
    if center is None:
        return (0.0, 0.0)
    if not (isinstance(center, Sequence) and len(center) == 2):
        raise ValueError(f"{name}: center must be a sequence (x, y) of two numbers, got "
                         f"{center!r}")
    return (float(center[0]) - w * 0.5, float(center[1]) - h * 0.5)


def _expanded_size(theta: np.ndarray, h: int, w: int) -> tuple[int, int]:
    """The ``(h, w)`` holding every image of the batch rotated whole (torchvision's
    ``_compute_affine_output_size``, maximised over the batch)."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]])
    new = np.einsum("pk,njk->npj", pts, theta)  # (N, 4, 2)
    # rounded to 1e-4 first, so that cos(90 deg) = 6e-17 does not add a pixel
    cmax = np.ceil(np.round(new.max(axis=1) + [w * 0.5, h * 0.5], 4))
    cmin = np.floor(np.round(new.min(axis=1) + [w * 0.5, h * 0.5], 4))
    size = (cmax - cmin).max(axis=0)
    return int(size[1]), int(size[0])


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``degrees``, counter-clockwise
    (``torchvision.transforms.RandomRotation``).

    Args:
        degrees: ``d`` for ``(-d, d)``, or ``(min, max)``.
        interpolation: ``"nearest"`` (default, as torchvision) or ``"bilinear"``.
        expand: enlarge the output to hold the whole rotated image; for a batch, all images get
            the size that holds the most rotated one.
        center: ``(x, y)`` pixel position to rotate about (default: the image center).
        fill: value for the area outside the rotated image (a number or one per channel).
        generator: a :class:`lightgrad.Generator` (default: lightgrad's default generator).

    The whole batch is resampled from one inverse-mapped grid; rotating by exactly 90 degrees
    with ``"nearest"`` gives ``np.rot90`` of a square image.

    Example:
        >>> import numpy as np
        >>> from lightgrad import transforms as T
        >>> T.RandomRotation((90, 90))(np.array([[1, 2], [3, 4]])).tolist()
        [[2, 4], [1, 3]]
    """

    def __init__(self, degrees: Any, interpolation: Any = InterpolationMode.NEAREST,
                 expand: bool = False, center: Sequence[float] | None = None, fill: Any = 0, *,
                 generator: Generator | None = None) -> None:
        self.degrees = _setup_range(degrees, "RandomRotation", "degrees")
        self.interpolation = _interpolation(interpolation, "RandomRotation")
        self.expand = bool(expand)
        self.center = center
        self.fill = fill
        self.generator = _check_generator(generator, "RandomRotation")

    def forward(self, x: Any) -> Any:
        name = "RandomRotation"
        arr, is_t = _unwrap(x, name)
        a4, nd = _as4d(arr, name)
        n, _, h, w = a4.shape
        angle = _rng(self.generator).uniform(self.degrees[0], self.degrees[1], n)
        zeros, ones = np.zeros(n), np.ones(n)
        theta = _inverse_affine(_center_arg(self.center, h, w, name), -angle, zeros, zeros,
                                ones, zeros, zeros)
        out_hw = _expanded_size(theta, h, w) if self.expand and n else (h, w)
        out = _warp4(a4, theta, out_hw, self.interpolation, self.fill, name)
        return _wrap(_back(out, nd), is_t)

    def extra_repr(self) -> str:
        s = (f"degrees={list(self.degrees)}, interpolation={self.interpolation.value}, "
             f"expand={self.expand}")
        if self.center is not None:
            s += f", center={self.center}"
        return s + f", fill={self.fill}"


class RandomAffine(Transform):
    """A random affine map: rotation, translation, scaling and shear
    (``torchvision.transforms.RandomAffine``).

    Args:
        degrees: rotation range, ``d`` for ``(-d, d)`` or ``(min, max)`` (clockwise, as
            torchvision's ``F.affine``; ``0`` for none).
        translate: ``(a, b)``: horizontal shift uniform in ``(-a W, a W)``, vertical in
            ``(-b H, b H)``, rounded to whole pixels.
        scale: ``(min, max)`` zoom factor range.
        shear: ``s`` for an x-shear in ``(-s, s)`` degrees, ``(min, max)`` for x, or
            ``(xmin, xmax, ymin, ymax)``.
        interpolation: ``"nearest"`` (default) or ``"bilinear"``; fill, center as in
            :class:`RandomRotation`.
        generator: a :class:`lightgrad.Generator`.

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> tf = T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1))
        >>> tf(lightgrad.rand(32, 1, 28, 28)).shape
        lightgrad.Size([32, 1, 28, 28])
    """

    def __init__(self, degrees: Any, translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None, shear: Any = None,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = 0,
                 center: Sequence[float] | None = None, *,
                 generator: Generator | None = None) -> None:
        name = "RandomAffine"
        self.degrees = _setup_range(degrees, name, "degrees")
        if translate is not None:
            if not (isinstance(translate, Sequence) and len(translate) == 2):
                raise ValueError(f"{name}: translate should be a sequence of 2 numbers, got "
                                 f"{translate!r}")
            if not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError(f"{name}: translation values should be between 0 and 1, got "
                                 f"{translate!r}")
            translate = (float(translate[0]), float(translate[1]))
        if scale is not None:
            if not (isinstance(scale, Sequence) and len(scale) == 2):
                raise ValueError(f"{name}: scale should be a sequence of 2 numbers, got "
                                 f"{scale!r}")
            if not all(s > 0 for s in scale) or scale[0] > scale[1]:
                raise ValueError(f"{name}: scale values should be positive and ordered, got "
                                 f"{scale!r}")
            scale = (float(scale[0]), float(scale[1]))
        self.translate = translate
        self.scale = scale
        self.shear = None if shear is None else _setup_range(shear, name, "shear", sizes=(2, 4))
        self.interpolation = _interpolation(interpolation, name)
        self.fill = fill
        self.center = center
        self.generator = _check_generator(generator, name)

    def get_params_batch(self, n: int, height: int, width: int,
                         rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Per-image ``angle``, ``tx``, ``ty``, ``scale``, ``shear_x``, ``shear_y`` arrays."""
        p = {"angle": rng.uniform(self.degrees[0], self.degrees[1], n)}
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            p["tx"] = np.rint(rng.uniform(-max_dx, max_dx, n))
            p["ty"] = np.rint(rng.uniform(-max_dy, max_dy, n))
        else:
            p["tx"] = p["ty"] = np.zeros(n)
        p["scale"] = (rng.uniform(self.scale[0], self.scale[1], n) if self.scale is not None
                      else np.ones(n))
        p["shear_x"] = p["shear_y"] = np.zeros(n)
        if self.shear is not None:
            p["shear_x"] = rng.uniform(self.shear[0], self.shear[1], n)
            if len(self.shear) == 4:
                p["shear_y"] = rng.uniform(self.shear[2], self.shear[3], n)
        return p

    def forward(self, x: Any) -> Any:
        name = "RandomAffine"
        arr, is_t = _unwrap(x, name)
        a4, nd = _as4d(arr, name)
        n, _, h, w = a4.shape
        p = self.get_params_batch(n, h, w, _rng(self.generator))
        theta = _inverse_affine(_center_arg(self.center, h, w, name), p["angle"], p["tx"],
                                p["ty"], p["scale"], p["shear_x"], p["shear_y"])
        out = _warp4(a4, theta, (h, w), self.interpolation, self.fill, name)
        return _wrap(_back(out, nd), is_t)

    def extra_repr(self) -> str:
        s = f"degrees={list(self.degrees)}"
        for k in ("translate", "scale", "shear"):
            if getattr(self, k) is not None:
                s += f", {k}={_fmt(getattr(self, k))}"
        return s + f", interpolation={self.interpolation.value}, fill={self.fill}"


# ----------------------------------------------------------------------------- color
def _gray(img: Any) -> Any:
    """ITU-R 601-2 luma of ``(n, 3, H, W)`` -> ``(n, 1, H, W)``, in ``img``'s dtype."""
    g = 0.2989 * img[:, 0:1] + 0.587 * img[:, 1:2] + 0.114 * img[:, 2:3]
    return g.astype(img.dtype, copy=False)


def _blend(img1: Any, img2: Any, ratio: Any, xp: Any) -> Any:
    """``clip(ratio * img1 + (1 - ratio) * img2, 0, max)`` in ``img1``'s dtype (integer results
    truncate, as torchvision's ``_blend``)."""
    cdt = _compute_dtype(img1.dtype)
    r = xp.asarray(ratio.astype(cdt).reshape(-1, 1, 1, 1))
    out = r * img1.astype(cdt, copy=False) + (1 - r) * img2.astype(cdt, copy=False)
    out = xp.clip(out, 0, _max_value(img1.dtype))
    return out.astype(img1.dtype, copy=False)


def _rgb_to_hsv(img: Any, xp: Any) -> Any:
    r, g, b = img[:, 0], img[:, 1], img[:, 2]
    maxc, minc = img.max(axis=1), img.min(axis=1)
    eqc = maxc == minc
    cr = maxc - minc
    ones = xp.ones_like(maxc)
    s = cr / xp.where(eqc, ones, maxc)
    crd = xp.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = xp.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return h, s, maxc


def _hsv_to_rgb(h: Any, s: Any, v: Any, xp: Any) -> Any:
    i = xp.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = xp.clip(v * (1.0 - s), 0.0, 1.0)
    q = xp.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = xp.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = [(v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q)]
    return xp.stack([xp.choose(i, ch) for ch in table], axis=1)


def _adjust_hue(img: Any, factor: np.ndarray, xp: Any) -> Any:
    dtype = img.dtype
    x = img if dtype.kind == "f" else img.astype(np.float32) / _max_value(dtype)
    h, s, v = _rgb_to_hsv(x, xp)
    h = xp.fmod(h + xp.asarray(factor.astype(x.dtype).reshape(-1, 1, 1)), 1.0)
    h = xp.where(h < 0, h + 1.0, h)
    out = _hsv_to_rgb(h, s, v, xp).astype(x.dtype, copy=False)
    if dtype.kind == "f":
        return out
    return (out * (_max_value(dtype) + 1.0 - 1e-3)).astype(dtype)


class ColorJitter(Transform):
    """Randomly change brightness, contrast, saturation and hue
    (``torchvision.transforms.ColorJitter``), with factors and order drawn per image.

    Each argument is ``v`` (a factor uniform in ``[max(0, 1 - v), 1 + v]``; hue: a shift in
    ``[-v, v]``, ``v <= 0.5``) or a ``(min, max)`` range:

    * brightness ``b``: ``clip(b * x, 0, 1)``;
    * contrast ``c``: ``clip(c * x + (1 - c) * mean(gray(x)), 0, 1)`` (mean over the image);
    * saturation ``s``: ``clip(s * x + (1 - s) * gray(x), 0, 1)`` (RGB only; grayscale images
      are left as they are);
    * hue ``h``: rotate the HSV hue by ``h`` turns (RGB only).

    They are applied in a random order. Input floats in ``[0, 1]`` (or uint8, bound 255),
    ``(C, H, W)`` or ``(N, C, H, W)``; ``gray`` is ``0.2989 R + 0.587 G + 0.114 B``, or the image
    itself for one channel.

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> x = lightgrad.full((1, 2, 2), 0.5)
        >>> T.ColorJitter(brightness=(2.0, 2.0))(x).flatten().tolist()
        [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, brightness: Any = 0, contrast: Any = 0, saturation: Any = 0,
                 hue: Any = 0, *, generator: Generator | None = None) -> None:
        name = "ColorJitter"
        self.brightness = self._factor(brightness, "brightness")
        self.contrast = self._factor(contrast, "contrast")
        self.saturation = self._factor(saturation, "saturation")
        h = _setup_range(hue, name, "hue", bound=(-0.5, 0.5))
        self.hue = None if h == (0.0, 0.0) else h
        self.generator = _check_generator(generator, name)

    @staticmethod
    def _factor(value: Any, arg: str) -> tuple[float, ...] | None:
        r = _setup_range(value, "ColorJitter", arg, center=1.0, bound=(0.0, math.inf),
                         clip_first=True)
        return None if r == (1.0, 1.0) else r

    def forward(self, x: Any) -> Any:
        name = "ColorJitter"
        arr, is_t = _unwrap(x, name)
        a4, nd = _as4d(arr, name)
        if arr.dtype.kind not in "fu":
            raise TypeError(f"ColorJitter: expected float (in [0, 1]) or uint8 images, got "
                            f"{arr.dtype}")
        xp = backend.get_array_module(arr)
        n, c = a4.shape[:2]
        if (self.saturation or self.hue) and c not in (1, 3):
            raise ValueError(f"ColorJitter: saturation and hue need 1 or 3 channels, got {c} "
                             f"(shape {tuple(arr.shape)})")
        rng = _rng(self.generator)
        order = np.argsort(rng.random((n, 4)), axis=1)
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        factors = [None if r is None else rng.uniform(r[0], r[1], n) for r in ranges]
        out = a4
        for step in range(4):
            for op, f in enumerate(factors):
                if f is None:
                    continue
                sel_np = np.flatnonzero(order[:, step] == op)
                if sel_np.size == 0 or (op >= 2 and c == 1):
                    continue
                everyone = sel_np.size == n
                sel = xp.asarray(sel_np)
                img = out if everyone else out[sel]
                fs = f if everyone else f[sel_np]
                if op == 0:
                    new = _blend(img, xp.zeros((), img.dtype), fs, xp)
                elif op == 1:
                    g = _gray(img) if c == 3 else img
                    mean = g.astype(_compute_dtype(img.dtype)).mean(axis=(1, 2, 3),
                                                                   keepdims=True)
                    new = _blend(img, mean, fs, xp)
                elif op == 2:
                    new = _blend(img, _gray(img), fs, xp)
                else:
                    new = _adjust_hue(img, fs, xp)
                if everyone:
                    out = new
                else:
                    if out is a4:
                        out = a4.copy()
                    out[sel] = new
        if out is a4:
            out = a4.copy()
        return _wrap(_back(out, nd), is_t)

    def extra_repr(self) -> str:
        def f(v: Any) -> str:
            return "None" if v is None else f"({v[0]:g}, {v[1]:g})"

        return (f"brightness={f(self.brightness)}, contrast={f(self.contrast)}, "
                f"saturation={f(self.saturation)}, hue={f(self.hue)}")


class RandomErasing(Transform):
    """Erase a random rectangle with probability ``p``, per image
    (``torchvision.transforms.RandomErasing``; Zhong et al. 2017, "Random Erasing").

    Args:
        p: probability of erasing an image.
        scale: range of the erased area, as a fraction of the image.
        ratio: range of the rectangle's aspect ratio (drawn log-uniformly).
        value: a number, one per channel, or ``"random"`` (standard normal noise).
        inplace: overwrite the input.
        generator: a :class:`lightgrad.Generator`.

    Up to 10 rectangles are tried per image; one that does not fit leaves the image as it is.

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> out = T.RandomErasing(p=1.0, value=0)(lightgrad.ones(4, 3, 32, 32))
        >>> bool((out.sum(dim=(1, 2, 3)) < 3 * 32 * 32).all())
        True
    """

    def __init__(self, p: float = 0.5, scale: tuple[float, float] = (0.02, 0.33),
                 ratio: tuple[float, float] = (0.3, 3.3), value: Any = 0,
                 inplace: bool = False, *, generator: Generator | None = None) -> None:
        name = "RandomErasing"
        if not isinstance(value, numbers.Number | str | tuple | list):
            raise TypeError(f"{name}: value should be a number, a sequence or 'random', got "
                            f"{type(value).__name__}")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"{name}: if value is a str, it should be 'random', got {value!r}")
        if len(scale) != 2 or len(ratio) != 2:
            raise ValueError(f"{name}: scale and ratio must be (min, max) pairs")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"{name}: scale and ratio should be of kind (min, max), got "
                             f"scale={scale}, ratio={ratio}")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError(f"{name}: scale should be between 0 and 1, got {scale}")
        if ratio[0] <= 0:
            raise ValueError(f"{name}: ratio must be positive, got {ratio}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name}: p must be a probability in [0, 1], got {p}")
        self.p = float(p)
        self.scale = (float(scale[0]), float(scale[1]))
        self.ratio = (float(ratio[0]), float(ratio[1]))
        self.value = value
        self.inplace = inplace
        self.generator = _check_generator(generator, name)

    def get_params_batch(self, n: int, height: int, width: int,
                         rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Per-image ``(erase, top, left, h, w)``; ``erase`` is False where no rectangle fit or
        the coin said no."""
        erase = rng.random(n) < self.p
        area = height * width
        log_ratio = np.log(np.asarray(self.ratio))
        target = area * rng.uniform(self.scale[0], self.scale[1], (n, 10))
        aspect = np.exp(rng.uniform(log_ratio[0], log_ratio[1], (n, 10)))
        h = np.rint(np.sqrt(target * aspect)).astype(np.int64)
        w = np.rint(np.sqrt(target / aspect)).astype(np.int64)
        ok = (h < height) & (w < width)
        first = ok.argmax(axis=1)
        rows = np.arange(n)
        erase &= ok[rows, first]
        h, w = np.where(erase, h[rows, first], 0), np.where(erase, w[rows, first], 0)
        top = np.floor(rng.random(n) * (height - h + 1)).astype(np.int64)
        left = np.floor(rng.random(n) * (width - w + 1)).astype(np.int64)
        return erase, top, left, h, w

    def forward(self, x: Any) -> Any:
        name = "RandomErasing"
        arr, is_t = _unwrap(x, name)
        a4, nd = _as4d(arr, name)
        xp = backend.get_array_module(arr)
        n, c, height, width = a4.shape
        if isinstance(self.value, str) and arr.dtype.kind != "f":
            raise TypeError(f"{name}: value='random' needs float images, got {arr.dtype}")
        rng = _rng(self.generator)
        erase, top, left, h, w = self.get_params_batch(n, height, width, rng)
        if not erase.any():
            return x
        r = np.arange(height)[None, :, None]
        col = np.arange(width)[None, None, :]
        mask = ((r >= top[:, None, None]) & (r < (top + h)[:, None, None])
                & (col >= left[:, None, None]) & (col < (left + w)[:, None, None])
                & erase[:, None, None])
        mask_x = xp.asarray(mask[:, None])  # (N, 1, H, W)
        if isinstance(self.value, str):
            noise = rng.standard_normal((n, c, height, width),
                                        dtype=_compute_dtype(arr.dtype)).astype(arr.dtype)
            value = xp.asarray(noise)
        else:
            value = _fill_array(self.value, c, arr.dtype, xp, name)
        if self.inplace:
            a4[...] = xp.where(mask_x, value, a4)
            if is_t:
                x._vc[0] += 1  # noqa: SLF001  (the buffer changed under the tensor)
            return x
        return _wrap(_back(xp.where(mask_x, value, a4), nd), is_t)

    def extra_repr(self) -> str:
        return (f"p={self.p}, scale={_fmt(self.scale)}, ratio={_fmt(self.ratio)}, "
                f"value={self.value!r}, inplace={self.inplace}")


class GaussianNoise(Transform):
    """Add Gaussian noise: ``x + mean + sigma * N(0, 1)``, clipped to ``[0, 1]`` if ``clip``
    (``torchvision.transforms.v2.GaussianNoise``). Float images only.

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> out = T.GaussianNoise(sigma=0.1)(lightgrad.full((2, 1, 8, 8), 0.5))
        >>> out.shape, bool(((out >= 0) & (out <= 1)).all())
        (lightgrad.Size([2, 1, 8, 8]), True)
    """

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True, *,
                 generator: Generator | None = None) -> None:
        if sigma < 0:
            raise ValueError(f"GaussianNoise: sigma shouldn't be negative, got {sigma}")
        self.mean = float(mean)
        self.sigma = float(sigma)
        self.clip = clip
        self.generator = _check_generator(generator, "GaussianNoise")

    def forward(self, x: Any) -> Any:
        arr, is_t = _unwrap(x, "GaussianNoise")
        if arr.dtype.kind != "f":
            raise TypeError(f"GaussianNoise: input must be a float tensor, got {arr.dtype}")
        xp = backend.get_array_module(arr)
        noise = _rng(self.generator).standard_normal(arr.shape, dtype=_compute_dtype(arr.dtype))
        out = arr + xp.asarray(noise.astype(arr.dtype, copy=False) * arr.dtype.type(self.sigma)
                               + arr.dtype.type(self.mean))
        if self.clip:
            out = xp.clip(out, 0, 1)
        return _wrap(out.astype(arr.dtype, copy=False), is_t)

    def extra_repr(self) -> str:
        return f"mean={self.mean}, sigma={self.sigma}, clip={self.clip}"


# ----------------------------------------------------------------------------- batches
def _batchable(t: Any) -> bool:
    return bool(getattr(t, "batchable", False))


def _leaves(t: Any) -> list:
    if isinstance(t, Compose):
        return [leaf for s in t.transforms for leaf in _leaves(s)]
    return [t]


def _starts_with_to_tensor(t: Any) -> bool:
    """True for ``ToTensor()`` or a ``Compose`` starting with it whose other steps all handle
    batches: the datasets then transform a whole batch of uint8 images at once."""
    leaves = _leaves(t)
    return bool(leaves) and isinstance(leaves[0], ToTensor) and all(
        _batchable(s) for s in leaves[1:])


def _stack(items: list, was_tensor: bool) -> Any:
    if was_tensor or isinstance(items[0], Tensor):
        from .ops.movement import stack

        return stack([i if isinstance(i, Tensor) else Tensor._make(i) for i in items])
    return backend.get_array_module(items[0]).stack(items)


def apply_batch(transform: Callable, x: Any) -> Any:
    """Apply ``transform`` to a batch ``x`` ``(N, C, H, W)``, image by image in effect.

    Vectorized transforms (every transform of this module; a :class:`Lambda` with
    ``batched=True``) run once on the whole batch, drawing per-image parameters; any other
    callable, including steps of a :class:`Compose`, runs on each image and the results are
    stacked.

    Args:
        transform: a transform or any callable on one image ``(C, H, W)``.
        x: a Tensor or array ``(N, C, H, W)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> tf = T.Compose([T.RandomHorizontalFlip(), T.Lambda(lambda im: im[:, :2, :2])])
        >>> T.apply_batch(tf, lightgrad.rand(5, 3, 4, 4)).shape
        lightgrad.Size([5, 3, 2, 2])
    """
    arr, is_t = _unwrap(x, "apply_batch")
    if arr.ndim != 4:
        raise ValueError(f"apply_batch: expected a batch (N, C, H, W), got shape "
                         f"{tuple(arr.shape)}")
    if isinstance(transform, Compose):
        for t in transform.transforms:
            x = apply_batch(t, x)
        return x
    if _batchable(transform):
        return transform(x)
    if arr.shape[0] == 0:
        raise ValueError("apply_batch: cannot run a per-image transform on an empty batch")
    items = [transform(x[i]) for i in range(arr.shape[0])]
    return _stack(items, is_t)


class BatchTransformLoader:
    """Wrap a :class:`~lightgrad.utils.data.DataLoader` to transform every batch it yields with
    :func:`apply_batch`: the fast way to augment (one vectorized call per batch).

    A batch that is a tuple or list ``(x, y, ...)`` gets ``transform`` applied to ``x`` and
    ``target_transform`` (if any) to ``y``; any other batch is transformed as a whole. Other
    attributes (``dataset``, ``batch_size``...) are the loader's.

    Example:
        >>> import lightgrad
        >>> from lightgrad import transforms as T
        >>> from lightgrad.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(lightgrad.rand(10, 1, 8, 8), lightgrad.arange(10))
        >>> loader = T.BatchTransformLoader(DataLoader(ds, batch_size=4), T.RandomCrop(6))
        >>> [tuple(xb.shape) for xb, yb in loader]
        [(4, 1, 6, 6), (4, 1, 6, 6), (2, 1, 6, 6)]
    """

    def __init__(self, loader: Iterable, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.loader = loader
        self.transform = transform
        self.target_transform = target_transform

    def _apply(self, batch: Any) -> Any:
        if isinstance(batch, tuple | list) and batch:
            items = list(batch)
            if self.transform is not None:
                items[0] = apply_batch(self.transform, items[0])
            if self.target_transform is not None and len(items) > 1:
                items[1] = self.target_transform(items[1])
            return type(batch)(items) if isinstance(batch, list) else tuple(items)
        return apply_batch(self.transform, batch) if self.transform is not None else batch

    def __iter__(self) -> Iterator:
        for batch in self.loader:
            yield self._apply(batch)

    def __len__(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        if name == "loader":
            raise AttributeError(name)
        return getattr(self.loader, name)

    def __repr__(self) -> str:
        return f"BatchTransformLoader({self.loader!r}, transform={self.transform!r})"
