"""Resampling ops: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic,
trilinear, area), its ``upsample*`` aliases, ``pixel_shuffle`` and ``pixel_unshuffle``.

Every interpolation mode is separable: each output element is a weighted sum of a few input
elements along each spatial dim (1 tap for nearest, 2 for linear, 4 for cubic), so
``interpolate`` resamples one dim at a time, last dim first (the order PyTorch's CPU kernel
accumulates in): ``out = sum_t take(x, idx_t, axis) * w_t``. Indices and weights are computed
once per call on the host, with PyTorch's formulas in the input's precision (float32 for
float32 inputs). The backward applies the transposed map, first dim first: each tap's weighted
gradient is added back at ``idx_t``; indices repeat (upsampling), so the outputs are split into
groups whose targets are distinct and each group is one vectorized (or sliced) add -- no
``np.add.at``.

``pixel_shuffle`` / ``pixel_unshuffle`` are a reshape and a permute (their gradients are those
of the movement ops).
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .movement import permute, reshape
from .operands import as_tensor_arg, get_xp

__all__ = [
    "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
    "pixel_unshuffle",
]

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_LINEAR_DIM = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_A = -0.75  # the cubic convolution coefficient PyTorch (and OpenCV) use


# ----------------------------------------------------------------------------- index maps
def _scale(n_in: int, n_out: int, align_corners: bool, scale: float | None, ft: Any) -> Any:
    """PyTorch's ``area_pixel_compute_scale``: the input step per output step."""
    if align_corners:
        return ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(n_in) / ft(n_out)


def _source(ratio: Any, n_out: int, align_corners: bool, cubic: bool, ft: Any) -> np.ndarray:
    """The real-valued source coordinate of each output position."""
    o = np.arange(n_out).astype(ft)
    if align_corners:
        return ratio * o
    src = ratio * (o + ft(0.5)) - ft(0.5)
    return src if cubic else np.maximum(src, ft(0))


def _guard(src: np.ndarray, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """``(floor(src) clipped to the input, fraction clipped to [0, 1])`` (PyTorch's
    ``guard_index_and_lambda``; the floor is taken in float32 as its ``floorf``)."""
    idx = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n_in - 1)
    lam = np.clip(src - idx.astype(src.dtype), 0, 1).astype(src.dtype)
    return idx, lam


def _nearest_taps(n_in: int, n_out: int, scale: float | None, exact: bool) -> list:
    o = np.arange(n_out)
    if not exact and n_out == n_in:
        idx = o
    elif not exact and n_out == 2 * n_in:
        idx = o >> 1
    else:
        s = _scale(n_in, n_out, False, scale, np.float32)
        if exact:
            src = np.maximum(s * (o.astype(np.float32) + np.float32(0.5)) - np.float32(0.5),
                             np.float32(0))
            idx = np.floor(src + np.float32(0.5)).astype(np.int64)
        else:
            idx = np.floor(o.astype(np.float32) * s).astype(np.int64)
        idx = np.minimum(idx, n_in - 1)
    return [(idx.astype(np.int64), None)]


def _linear_taps(n_in: int, n_out: int, align_corners: bool, scale: float | None,
                 ft: Any) -> list:
    if n_out == n_in:  # PyTorch's weights (1, 0): a copy
        return [(np.arange(n_out), None)]
    src = _source(_scale(n_in, n_out, align_corners, scale, ft), n_out, align_corners, False, ft)
    i0, lam1 = _guard(src, n_in)
    i1 = i0 + (i0 < n_in - 1)
    return [(i0, (ft(1) - lam1).astype(ft)), (i1, lam1)]


def _cubic_taps(n_in: int, n_out: int, align_corners: bool, scale: float | None,
                ft: Any) -> list:
    src = _source(_scale(n_in, n_out, align_corners, scale, ft), n_out, align_corners, True, ft)
    i, t = _guard(src, n_in)
    a = ft(_A)

    def conv1(x: np.ndarray) -> np.ndarray:  # |x| <= 1
        return ((a + ft(2)) * x - (a + ft(3))) * x * x + ft(1)

    def conv2(x: np.ndarray) -> np.ndarray:  # 1 < |x| < 2
        return ((a * x - ft(5) * a) * x + ft(8) * a) * x - ft(4) * a

    ws = [conv2(t + ft(1)), conv1(t), conv1(ft(1) - t), conv2(ft(2) - t)]
    return [(np.clip(i - 1 + j, 0, n_in - 1), w.astype(ft)) for j, w in enumerate(ws)]


def _as_slice(a: np.ndarray) -> Any:
    """``a`` as a slice when it is an increasing arithmetic progression, else ``a``."""
    if len(a) == 1:
        return slice(int(a[0]), int(a[0]) + 1)
    step = int(a[1] - a[0])
    if step > 0 and bool((np.diff(a) == step).all()):
        return slice(int(a[0]), int(a[-1]) + 1, step)
    return a


def _groups(idx: np.ndarray) -> list[tuple[Any, Any]]:
    """Split the outputs into groups ``(outputs, targets)`` with distinct targets."""
    order = np.argsort(idx, kind="stable")
    srt = idx[order]
    rank = np.arange(len(idx)) - np.searchsorted(srt, srt, side="left")
    out = []
    for r in range(int(rank.max()) + 1 if len(idx) else 0):
        sel = np.sort(order[rank == r])
        out.append((_as_slice(sel), _as_slice(idx[sel])))
    return out


def _key(axis: int, k: Any) -> tuple:
    return (Ellipsis, k) + (slice(None),) * (-axis - 1)


class Interpolate(Function):
    """``out = sum over taps of x[idx_t] * w_t`` along each spatial dim in turn (nearest,
    linear and cubic resampling); d/dx adds each tap's weighted gradient back at ``idx_t``."""

    @staticmethod
    def forward(ctx: Any, x: Any, taps: tuple) -> Any:
        xp = get_xp(x)
        nd = len(taps)
        dev = []
        out = x
        for i in range(nd - 1, -1, -1):
            axis = i - nd
            tl = [(xp.asarray(ix), None if w is None else
                   xp.asarray(w).reshape((-1,) + (1,) * (-axis - 1))) for ix, w in taps[i]]
            dev.append(tl)
            res = None
            for ix, w in tl:
                v = xp.take(out, ix, axis=axis)  # a new array: updated in place below
                if w is not None:
                    v *= w
                if res is None:
                    res = v
                else:
                    res += v
            out = res
        ctx.taps, ctx.dev, ctx.shape = taps, dev[::-1], x.shape
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        nd = len(ctx.taps)
        g = grad_out
        for i in range(nd):
            axis = i - nd
            n = ctx.shape[axis]
            res = xp.zeros(g.shape[:g.ndim + axis] + (n,) + g.shape[g.ndim + axis + 1:],
                           dtype=g.dtype)
            for (ix, _), (_, wd) in zip(ctx.taps[i], ctx.dev[i]):
                gw = g if wd is None else g * wd
                for sel, tgt in _groups(ix):
                    part = gw[_key(axis, sel)] if isinstance(sel, slice) else \
                        xp.take(gw, xp.asarray(sel), axis=axis)
                    if isinstance(tgt, slice):
                        res[_key(axis, tgt)] += part
                    else:
                        res[_key(axis, xp.asarray(tgt))] += part
            g = res
        return g, None


# ----------------------------------------------------------------------------- interpolate
def _mode_error(x: Tensor, mode: str) -> Exception:
    return NotImplementedError(
        f"interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got {x.ndim}D) "
        "for the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
        f"nearest-exact (got {mode})")


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resample the spatial dims of ``(N, C, *spatial)`` to ``size`` or by ``scale_factor``.

    Args:
        input: ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
        size: the output spatial size (an int for all dims).
        scale_factor: multiplier(s) of the spatial size (``out = floor(in * scale)``); unless
            ``recompute_scale_factor=True`` it is also the sampling step (``1 / scale``).
        mode: ``"nearest"`` (source ``floor(o * in / out)``, PyTorch's legacy rule),
            ``"nearest-exact"`` (pixel centers), ``"linear"`` (3-D), ``"bilinear"`` (4-D),
            ``"bicubic"`` (4-D, cubic convolution with ``A = -0.75``), ``"trilinear"``
            (5-D) or ``"area"`` (adaptive average pooling).
        align_corners: for the linear and cubic modes: map the corner pixels' centers onto each
            other (``src = o (in - 1) / (out - 1)``) instead of the pixel areas
            (``src = (o + 0.5) in / out - 0.5``, edges clamped). Default False.
        recompute_scale_factor: compute the output size from ``scale_factor`` and sample with
            ``in / out`` instead of ``1 / scale_factor``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> x = lightgrad.tensor([[[1.0, 2.0]]])
        >>> F.interpolate(x, scale_factor=2)
        tensor([[[1., 1., 2., 2.]]])
        >>> F.interpolate(x, size=3, mode="linear", align_corners=True)
        tensor([[[1.0000, 1.5000, 2.0000]]])
    """
    x = as_tensor_arg(input, "interpolate")
    if mode not in _MODES:
        raise _mode_error(x, mode)
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners option can only be set with the "
                             "interpolating modes: linear | bilinear | bicubic | trilinear")
        align = False
    else:
        align = bool(align_corners)
    dim = x.ndim - 2
    if dim < 1 or dim > 3:
        raise _mode_error(x, mode)
    spatial = list(x.data.shape[2:])
    if mode in _LINEAR_DIM and _LINEAR_DIM[mode] != dim:
        raise NotImplementedError(f"interpolate: Got {x.ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR_DIM[mode] + 2}D input")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    scales: list | None
    if size is not None:
        if isinstance(size, tuple | list):
            if len(size) != dim:
                raise ValueError(
                    f"interpolate: Input and output must have the same number of spatial "
                    f"dimensions, but got input with spatial dimensions of {spatial} and output "
                    f"size of {tuple(size)}. Please provide input tensor in (N, C, d1, d2, "
                    "...,dK) format and output size in (o1, o2, ...,oK) format.")
            if not all(isinstance(v, int | np.integer) and not isinstance(v, bool)
                       for v in size):
                raise TypeError("interpolate: expected size to be one of int or Tuple[int] or "
                                "Tuple[int, int] or Tuple[int, int, int], but got size with "
                                f"types {[type(v).__name__ for v in size]}")
            out = [int(v) for v in size]
        else:
            out = [operator.index(size)] * dim
        scales = None
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                             "explicit size.")
    elif scale_factor is not None:
        if isinstance(scale_factor, tuple | list):
            if len(scale_factor) != dim:
                raise ValueError(
                    f"interpolate: Input and scale_factor must have the same number of spatial "
                    f"dimensions, but got input with spatial dimensions of {spatial} and "
                    f"scale_factor of shape {tuple(scale_factor)}. Please provide input tensor "
                    "in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format.")
            scales = [float(v) for v in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        out = [int(math.floor(float(n) * sc)) for n, sc in zip(spatial, scales)]
        if recompute_scale_factor or mode == "area":
            scales = None
    else:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if mode == "area":
        from .pooling import _adaptive_avg_pool

        return _adaptive_avg_pool(x, tuple(out), dim, "interpolate")
    if min(spatial) <= 0 or min(out) <= 0:
        names = ("D", "H", "W")[3 - dim:]
        ins = ", ".join(f"{a}: {b}" for a, b in zip(names, spatial))
        outs = ", ".join(f"{a}: {b}" for a, b in zip(names, out))
        raise RuntimeError(f"interpolate: Input and output sizes should be greater than 0, but "
                           f"got input ({ins}) output ({outs})")
    if x.data.shape[1] == 0:
        raise RuntimeError(f"interpolate: Non-empty {x.ndim}D data tensor expected but got a "
                           f"tensor with sizes {list(x.data.shape)}")
    sc = scales or [None] * dim
    if mode in ("nearest", "nearest-exact"):
        if x.dtype.kind == "b":
            raise NotImplementedError("interpolate: nearest is not implemented for bool input")
        taps = tuple(_nearest_taps(n, o, s, mode == "nearest-exact")
                     for n, o, s in zip(spatial, out, sc))
    else:
        if x.dtype.kind != "f":
            raise NotImplementedError(f"interpolate: {mode} mode is not implemented for "
                                      f"{x.dtype} input (use a floating dtype)")
        ft = np.float32 if x.dtype != np.float64 else np.float64
        fn = _cubic_taps if mode == "bicubic" else _linear_taps
        taps = tuple(fn(n, o, align, s, ft) for n, o, s in zip(spatial, out, sc))
    return Interpolate.apply(x, taps)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`interpolate` (as in PyTorch, it warns)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode="nearest")``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode="bilinear",
    align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ----------------------------------------------------------------------------- pixel shuffle
def _factor(v: Any, op: str, arg: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int | np.integer):
        raise TypeError(f"{op}(): argument '{arg}' must be int, not {type(v).__name__}")
    if v <= 0:
        raise RuntimeError(f"{op} expects a positive {arg}, but got {v}")
    return int(v)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)``:
    ``out[..., c, h r + i, w r + j] = x[..., c r^2 + i r + j, h, w]`` (sub-pixel convolution).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.pixel_shuffle(lightgrad.arange(4.0).reshape(4, 1, 1), 2)
        tensor([[[0., 1.],
                 [2., 3.]]])
    """
    x = as_tensor_arg(input, "pixel_shuffle")
    r = _factor(upscale_factor, "pixel_shuffle", "upscale_factor")
    if x.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {x.ndim} dimension(s)")
    *b, c, h, w = x.data.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    nb = len(b)
    y = reshape(x, (*b, c // (r * r), r, r, h, w))
    y = permute(y, (*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2))
    return reshape(y, (*b, c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearrange ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)`` (inverse of
    :func:`pixel_shuffle`).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.pixel_unshuffle(lightgrad.arange(4.0).reshape(1, 2, 2), 2).flatten()
        tensor([0., 1., 2., 3.])
    """
    x = as_tensor_arg(input, "pixel_unshuffle")
    r = _factor(downscale_factor, "pixel_unshuffle", "downscale_factor")
    if x.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {x.ndim} dimension(s)")
    *b, c, h, w = x.data.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by "
                           f"downscale_factor, but input.size(-1)={w} is not divisible by {r}")
    nb = len(b)
    y = reshape(x, (*b, c, h // r, r, w // r, r))
    y = permute(y, (*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3))
    return reshape(y, (*b, c * r * r, h // r, w // r))
