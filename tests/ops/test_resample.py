"""Resampling ops (lightgrad/ops/resample.py) against PyTorch: interpolate in every mode
(sizes and scale factors, up and down, align_corners, recompute_scale_factor), the upsample
aliases, pixel_shuffle / pixel_unshuffle, errors."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest

import lightgrad
from tests.helpers import OpCase, case_id, check_case, check_raises, torch

pytestmark = pytest.mark.torch


def F(lib):
    return lib.nn.functional


def _n(*shape, t=False):
    if t:
        return lambda r: [r.standard_normal(shape[::-1]).T]
    return lambda r: [r.standard_normal(shape)]


def _interp(**kw):
    return lambda lib, x: F(lib).interpolate(x, **kw)


# (mode, input shape, keyword arguments); linear modes also run with align_corners=True
GRID = [
    ("nearest", (2, 3, 5), dict(scale_factor=2)),
    ("nearest", (2, 3, 5), dict(size=3)),
    ("nearest", (2, 2, 3, 4), dict(size=(5, 7))),
    ("nearest", (2, 2, 4, 6), dict(scale_factor=0.5)),
    ("nearest", (2, 2, 3, 5), dict(scale_factor=(1.7, 2.5))),
    ("nearest", (1, 2, 3, 5), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ("nearest", (1, 2, 2, 3, 2), dict(scale_factor=(2, 1, 3))),
    ("nearest-exact", (2, 2, 3, 5), dict(size=(7, 4))),
    ("nearest-exact", (2, 3, 5), dict(scale_factor=1.5)),
    ("linear", (2, 3, 4), dict(scale_factor=2)),
    ("linear", (2, 3, 7), dict(size=3)),
    ("linear", (2, 2, 5), dict(scale_factor=1.7)),
    ("bilinear", (2, 2, 3, 4), dict(scale_factor=2)),
    ("bilinear", (2, 2, 4, 5), dict(size=(7, 3))),
    ("bilinear", (1, 2, 6, 5), dict(scale_factor=0.5)),
    ("bilinear", (1, 2, 3, 5), dict(scale_factor=(1.7, 2.5))),
    ("bilinear", (1, 2, 3, 5), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ("bilinear", (2, 1, 1, 3), dict(size=(3, 1))),  # size-1 dims on both sides
    ("bilinear", (1, 2, 4, 4), dict(size=(4, 4))),  # identity
    ("bicubic", (1, 2, 3, 4), dict(scale_factor=2)),
    ("bicubic", (1, 2, 5, 6), dict(size=(3, 4))),
    ("bicubic", (1, 1, 4, 3), dict(scale_factor=(1.6, 2.3))),
    ("trilinear", (1, 2, 2, 3, 2), dict(scale_factor=2)),
    ("trilinear", (1, 1, 3, 2, 4), dict(size=(2, 3, 3))),
]


def _id(mode, shape, kw, ac):
    args = "_".join(f"{k}{v}" for k, v in kw.items()).replace(" ", "")
    return f"{mode}_{'x'.join(map(str, shape))}_{args}" + ("" if ac is None else f"_ac{int(ac)}")


INTERPOLATE_CASES = [
    OpCase(f"interpolate_{_id(mode, shp, kw, ac)}",
           _interp(mode=mode, **kw, **({} if ac is None else {"align_corners": ac})), _n(*shp),
           ("Interpolate",), "reduction")
    for mode, shp, kw in GRID
    for ac in ((None,) if mode.startswith("nearest") else (False, True))
] + [
    OpCase("interpolate_area_uneven", _interp(size=(3, 4), mode="area"), _n(2, 2, 5, 7),
           ("AdaptiveAvgPool",), "reduction"),
    OpCase("interpolate_area_divides", _interp(scale_factor=0.5, mode="area"), _n(2, 2, 4, 6),
           ("AvgPool",), "reduction"),
    OpCase("interpolate_area_1d", _interp(size=3, mode="area"), _n(2, 2, 7),
           ("AdaptiveAvgPool",), "reduction"),
    OpCase("interpolate_T_input_bilinear", _interp(scale_factor=2, mode="bilinear"),
           _n(2, 3, 4, 5, t=True), ("Interpolate",), "reduction"),
    OpCase("interpolate_T_input_nearest", _interp(size=(3, 7)), _n(2, 3, 4, 5, t=True),
           ("Interpolate",), "reduction"),
    OpCase("interpolate_empty_batch", _interp(scale_factor=2, mode="bilinear"), _n(0, 2, 3, 3),
           ("Interpolate",), "reduction"),
    OpCase("interpolate_positional", lambda lib, x: F(lib).interpolate(x, None, 2, "bilinear",
                                                                        True),
           _n(1, 2, 3, 3), ("Interpolate",), "reduction"),
    OpCase("interpolate_nearest_uint8", _interp(scale_factor=2),
           lambda r: [r.integers(0, 255, (1, 2, 3, 4)).astype(np.uint8)], ("Interpolate",)),
    OpCase("upsample_nearest_alias", lambda lib, x: F(lib).upsample_nearest(x, scale_factor=2),
           _n(1, 2, 3, 3), ("Interpolate",), "reduction"),
    OpCase("upsample_bilinear_alias", lambda lib, x: F(lib).upsample_bilinear(x, size=(5, 4)),
           _n(1, 2, 3, 3), ("Interpolate",), "reduction"),
    OpCase("upsample_alias", lambda lib, x: F(lib).upsample(x, scale_factor=3, mode="linear"),
           _n(1, 2, 3), ("Interpolate",), "reduction"),
]

PIXEL_SHUFFLE_CASES = [
    OpCase("pixel_shuffle", lambda lib, x: F(lib).pixel_shuffle(x, 2), _n(2, 8, 3, 2),
           ("Reshape", "Permute"), "movement"),
    OpCase("pixel_shuffle_unbatched_r3", lambda lib, x: F(lib).pixel_shuffle(x, 3),
           _n(9, 2, 2), ("Reshape", "Permute"), "movement"),
    OpCase("pixel_shuffle_extra_batch_dims", lambda lib, x: F(lib).pixel_shuffle(x, 2),
           _n(2, 1, 4, 2, 3), ("Reshape", "Permute"), "movement"),
    OpCase("pixel_shuffle_T_input", lambda lib, x: F(lib).pixel_shuffle(x, 2),
           _n(1, 4, 3, 2, t=True), ("Permute",), "movement"),
    OpCase("pixel_unshuffle", lambda lib, x: F(lib).pixel_unshuffle(x, 2), _n(2, 3, 4, 6),
           ("Reshape", "Permute"), "movement"),
    OpCase("pixel_unshuffle_unbatched_r3", lambda lib, x: F(lib).pixel_unshuffle(x, 3),
           _n(2, 3, 6), ("Reshape", "Permute"), "movement"),
    OpCase("pixel_shuffle_roundtrip",
           lambda lib, x: F(lib).pixel_unshuffle(F(lib).pixel_shuffle(x, 2), 2),
           _n(1, 8, 2, 3), ("Reshape", "Permute"), "movement"),
    OpCase("torch_pixel_shuffle_int", lambda lib, x: F(lib).pixel_shuffle(x, 2),
           lambda r: [r.integers(0, 9, (1, 4, 2, 2))], ("Reshape", "Permute")),
]


@pytest.mark.parametrize("case", INTERPOLATE_CASES + PIXEL_SHUFFLE_CASES, ids=case_id)
def test_parity(case, rng):
    with pytest.warns(UserWarning) if "alias" in case.id else contextlib.nullcontext():
        check_case(case, rng)


def _x(*shape):
    return np.arange(math.prod(shape), dtype=np.float32).reshape(shape)


ERRORS = [
    ("size_and_scale", _interp(size=2, scale_factor=2), [_x(1, 1, 3)], ValueError,
     r"interpolate: only one of size or scale_factor"),
    ("neither", _interp(), [_x(1, 1, 3)], ValueError,
     r"interpolate: either size or scale_factor should be defined"),
    ("size_length", _interp(size=(2, 2)), [_x(1, 3, 4)], ValueError,
     r"interpolate: Input and output must have the same number of spatial dimensions.*\[4\]"),
    ("scale_length", _interp(scale_factor=(2, 2, 2)), [_x(1, 1, 3, 4)], ValueError,
     r"interpolate: Input and scale_factor must have the same number of spatial"),
    ("bilinear_on_3d", _interp(size=2, mode="bilinear"), [_x(1, 3, 4)], NotImplementedError,
     r"interpolate: Got 3D input, but bilinear mode needs 4D input"),
    ("linear_on_4d", _interp(size=2, mode="linear"), [_x(1, 1, 3, 4)], NotImplementedError,
     r"interpolate: Got 4D input, but linear mode needs 3D input"),
    ("unknown_mode", _interp(size=2, mode="foo"), [_x(1, 1, 3, 4)], NotImplementedError,
     r"interpolate: .*\(got foo\)"),
    ("2d_input", _interp(size=2), [_x(3, 4)], NotImplementedError,
     r"interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported \(got 2D\)"),
    ("align_corners_nearest", _interp(size=2, align_corners=True), [_x(1, 1, 3, 4)], ValueError,
     r"interpolate: align_corners option can only be set with the interpolating modes"),
    ("zero_output", _interp(size=(0, 2)), [_x(1, 1, 4, 4)], RuntimeError,
     r"interpolate: Input and output sizes should be greater than 0, but got input "
     r"\(H: 4, W: 4\) output \(H: 0, W: 2\)"),
    ("empty_input", _interp(size=(2, 2)), [_x(1, 1, 0, 4)], RuntimeError,
     r"interpolate: Input and output sizes should be greater than 0"),
    ("recompute_with_size", _interp(size=2, recompute_scale_factor=True), [_x(1, 1, 4)],
     ValueError, r"recompute_scale_factor is not meaningful with an explicit size"),
    ("shuffle_channels", lambda lib, x: F(lib).pixel_shuffle(x, 2), [_x(1, 3, 2, 2)],
     RuntimeError, r"pixel_shuffle expects its input's 'channel' dimension to be divisible by "
     r"the square of upscale_factor, but input.size\(-3\)=3 is not divisible by 4"),
    ("shuffle_2d", lambda lib, x: F(lib).pixel_shuffle(x, 2), [_x(4, 4)], RuntimeError,
     r"pixel_shuffle expects input to have at least 3 dimensions"),
    ("unshuffle_height", lambda lib, x: F(lib).pixel_unshuffle(x, 2), [_x(1, 1, 3, 4)],
     RuntimeError, r"pixel_unshuffle expects height to be divisible by downscale_factor"),
    ("unshuffle_width", lambda lib, x: F(lib).pixel_unshuffle(x, 2), [_x(1, 1, 4, 3)],
     RuntimeError, r"pixel_unshuffle expects width to be divisible by downscale_factor"),
    ("shuffle_zero_factor", lambda lib, x: F(lib).pixel_shuffle(x, 0), [_x(1, 4, 2, 2)],
     RuntimeError, r"pixel_shuffle expects a positive upscale_factor, but got 0"),
]


@pytest.mark.parametrize("name,fn,inputs,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, fn, inputs, exc, match):
    check_raises(fn, inputs, match=match, exc=exc)


def test_bilinear_matches_torch_on_a_larger_image(rng):
    """Float32 weights computed as PyTorch does: the same indices on a non-trivial scale."""
    x = rng.standard_normal((2, 3, 17, 23)).astype(np.float32)
    for kw in [dict(size=(40, 31), mode="bilinear"), dict(scale_factor=2.3, mode="bilinear"),
               dict(size=(9, 50), mode="bilinear", align_corners=True),
               dict(scale_factor=1.37, mode="nearest"), dict(size=(31, 45), mode="bicubic")]:
        lo = lightgrad.nn.functional.interpolate(lightgrad.tensor(x), **kw).numpy()
        to = torch.nn.functional.interpolate(torch.from_numpy(x), **kw).numpy()
        np.testing.assert_allclose(lo, to, rtol=1e-5, atol=1e-5, err_msg=str(kw))


def test_nearest_upsample_gradient_sums_copies():
    x = lightgrad.tensor([[[1.0, 2.0]]], requires_grad=True)
    lightgrad.nn.functional.interpolate(x, scale_factor=3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[3.0, 3.0]]])


def test_antialias_not_supported():
    with pytest.raises(NotImplementedError, match="antialias"):
        lightgrad.nn.functional.interpolate(lightgrad.ones(1, 1, 4, 4), size=2, mode="bilinear",
                                            antialias=True)
