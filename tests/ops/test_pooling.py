"""Pooling ops (lightgrad/ops/pooling.py) against PyTorch: max/avg pooling over a grid of
kernel, stride, padding, dilation and ceil mode (odd sizes, 1x1 and large windows), indices,
adaptive pooling, max unpooling, power-average pooling, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lightgrad
from tests.helpers import OpCase, case_id, check_case, check_raises, torch

pytestmark = pytest.mark.torch


def F(lib):
    return lib.nn.functional


def _perm(*shape, t=False):
    """Tie-free values (a random permutation, 0.1 apart): max pooling is smooth there."""
    def make(r):
        n = math.prod(shape)
        a = (r.permutation(n) - n / 2) * 0.1
        if t:  # transposed layout (non-contiguous)
            return [a.reshape(shape[::-1]).T]
        return [a.reshape(shape)]
    return make


def _n(*shape):
    return lambda r: [r.standard_normal(shape)]


def _ties(*shape):
    """Small integers as floats: many ties (ReLU-like zeros), as real activations have."""
    return lambda r: [np.maximum(r.integers(-2, 3, shape), 0).astype(np.float64)]


def _mp2(*args, **kw):
    return lambda lib, x: F(lib).max_pool2d(x, *args, **kw)


def _ap2(*args, **kw):
    return lambda lib, x: F(lib).avg_pool2d(x, *args, **kw)


# ----------------------------------------------------------------------------- max pooling
# (kernel, stride, padding, dilation, ceil_mode, input shape)
MAX2D_GRID = [
    (2, None, 0, 1, False, (2, 3, 6, 8)),  # tiles: the reshape fast path
    (2, None, 0, 1, False, (2, 3, 7, 9)),  # odd: the last row/col is dropped
    (2, None, 0, 1, True, (2, 3, 7, 9)),  # odd, ceil: partial windows
    (3, 2, 1, 1, False, (2, 2, 7, 7)),  # ResNet stem: overlapping, padded
    (3, 2, 1, 1, True, (2, 2, 6, 6)),
    (3, 1, 1, 1, False, (1, 2, 5, 6)),
    ((2, 3), (1, 2), (1, 0), (2, 1), False, (2, 2, 6, 7)),
    (3, 2, 1, 2, True, (1, 2, 7, 8)),  # dilated, padded, ceil
    ((3, 2), 1, 1, 3, False, (1, 2, 8, 8)),
    (1, 1, 0, 1, False, (2, 3, 4, 5)),  # 1x1 window
    (1, 2, 0, 1, True, (2, 2, 5, 5)),  # 1x1 window, strided
    ((1, 3), (2, 1), (0, 1), 1, False, (2, 2, 5, 6)),
    (5, None, 0, 1, False, (2, 2, 5, 5)),  # one window: global max
    ((4, 2), (3, 2), (2, 1), (1, 3), True, (1, 3, 9, 8)),
]


def _grid_id(k, s, p, d, c, shape):
    return f"k{k}_s{s}_p{p}_d{d}_{'ceil' if c else 'floor'}_{'x'.join(map(str, shape))}"


MAX_POOL_CASES = [
    OpCase(f"max_pool2d_{_grid_id(k, s, p, d, c, shp)}", _mp2(k, s, p, d, c), _perm(*shp),
           ("MaxPool",), "reduction")
    for k, s, p, d, c, shp in MAX2D_GRID
] + [
    OpCase(f"max_pool2d_indices_{_grid_id(k, s, p, d, c, shp)}",
           _mp2(k, s, p, d, c, return_indices=True), _perm(*shp), ("MaxPool",), "reduction")
    for k, s, p, d, c, shp in MAX2D_GRID
] + [
    OpCase("max_pool2d_kwargs", _mp2(kernel_size=3, stride=2, padding=1, ceil_mode=True),
           _perm(2, 2, 6, 5), ("MaxPool",), "reduction"),
    OpCase("max_pool2d_unbatched", _mp2(2), _perm(3, 5, 4), ("MaxPool",), "reduction"),
    OpCase("max_pool2d_T_input", _mp2(2, 1), _perm(2, 3, 4, 5, t=True), ("MaxPool",),
           "reduction"),
    OpCase("max_pool2d_T_input_tiled", _mp2(2), _perm(2, 3, 4, 6, t=True), ("MaxPool",),
           "reduction"),
    OpCase("max_pool2d_empty_batch", _mp2(2, return_indices=True), _n(0, 3, 4, 4),
           ("MaxPool",), "reduction"),
    OpCase("torch_max_pool2d", lambda lib, x: lib.max_pool2d(x, 2), _perm(1, 2, 4, 4),
           ("MaxPool",), "reduction"),
    OpCase("max_pool2d_with_indices", lambda lib, x: F(lib).max_pool2d_with_indices(x, 3, 2),
           _perm(2, 2, 7, 5), ("MaxPool",), "reduction",
           torch_fn=lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, return_indices=True)),
    # ties: the gradient (and the index) goes to the first maximum of the window, as torch
    OpCase("max_pool2d_ties_tiled", _mp2(2, return_indices=True), _ties(2, 3, 6, 6),
           ("MaxPool",), "reduction", gradcheck=False),
    OpCase("max_pool2d_ties_overlap", _mp2(3, 2, 1, return_indices=True), _ties(2, 2, 7, 7),
           ("MaxPool",), "reduction", gradcheck=False),
    OpCase("max_pool2d_ties_big_window", _mp2(9, 1, return_indices=True), _ties(1, 2, 10, 9),
           ("MaxPool",), "reduction", gradcheck=False),
    # windows of more than 64 elements: argmax over a strided window view
    OpCase("max_pool2d_big_window_overlap", _mp2((9, 8), 1, return_indices=True),
           _perm(1, 2, 10, 9), ("MaxPool",), "reduction"),
    OpCase("max_pool2d_big_window_disjoint", _mp2(9, 9, 4, ceil_mode=True, return_indices=True),
           _perm(1, 2, 10, 11), ("MaxPool",), "reduction"),
    OpCase("max_pool2d_big_window_empty_batch", _mp2(9, 1, return_indices=True),
           _n(0, 2, 10, 9), ("MaxPool",), "reduction"),
    OpCase("max_pool2d_int64", _mp2(3, 2, 1), lambda r: [r.integers(-50, 50, (2, 3, 7, 6))],
           ("MaxPool",)),
    OpCase("max_pool2d_uint8", _mp2(2), lambda r: [r.integers(0, 255, (2, 5, 4)).astype(np.uint8)],
           ("MaxPool",)),
    OpCase("max_pool2d_neg_inf", _mp2(3, 1, 1, return_indices=True),
           lambda r: [np.where(r.random((1, 2, 4, 5)) < 0.5, -np.inf,
                               r.permutation(40).reshape(1, 2, 4, 5) * 0.1)],
           ("MaxPool",), "reduction", grad=False),
    # 1-d
    OpCase("max_pool1d", lambda lib, x: F(lib).max_pool1d(x, 2), _perm(2, 3, 9),
           ("MaxPool",), "reduction"),
    OpCase("max_pool1d_overlap_ceil_indices",
           lambda lib, x: F(lib).max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True),
           _perm(2, 3, 8), ("MaxPool",), "reduction"),
    OpCase("max_pool1d_dilated", lambda lib, x: F(lib).max_pool1d(x, 2, 1, 1, dilation=3),
           _perm(2, 2, 7), ("MaxPool",), "reduction"),
    OpCase("max_pool1d_unbatched_1x1", lambda lib, x: F(lib).max_pool1d(x, 1, 2), _perm(3, 7),
           ("MaxPool",), "reduction"),
    OpCase("max_pool1d_with_indices",
           lambda lib, x: F(lib).max_pool1d_with_indices(x, 2, ceil_mode=True), _perm(2, 2, 7),
           ("MaxPool",), "reduction",
           torch_fn=lambda lib, x: lib.nn.functional.max_pool1d(x, 2, ceil_mode=True,
                                                                 return_indices=True)),
]

# ----------------------------------------------------------------------------- avg pooling
# (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, shape)
AVG2D_GRID = [
    (2, None, 0, False, True, None, (2, 3, 6, 8)),  # tiles
    (2, None, 0, False, True, None, (2, 3, 7, 9)),
    (2, None, 0, True, True, None, (2, 3, 7, 9)),
    (3, 2, 1, False, True, None, (2, 2, 7, 7)),
    (3, 2, 1, False, False, None, (2, 2, 7, 7)),
    (3, 2, 1, True, True, None, (2, 2, 6, 6)),
    (3, 2, 1, True, False, None, (2, 2, 6, 6)),
    ((2, 3), (1, 2), (1, 0), False, False, None, (2, 2, 5, 7)),
    ((3, 2), 2, (1, 1), True, True, 5, (1, 2, 6, 5)),
    (1, 1, 0, False, True, None, (2, 2, 3, 4)),
    (1, 2, 0, True, True, None, (2, 2, 5, 5)),
    (5, None, 0, False, True, None, (2, 3, 5, 5)),
    (5, 5, 2, True, False, None, (1, 2, 9, 11)),  # ksize 25 > 16: reshape-sum fast path off
    ((6, 4), None, 0, False, True, None, (1, 2, 12, 8)),  # tiled, 24 per window: reshape-sum
]


def _avg_id(k, s, p, c, cip, dov, shape):
    return (f"k{k}_s{s}_p{p}_{'ceil' if c else 'floor'}_{'incl' if cip else 'excl'}"
            f"{'' if dov is None else f'_div{dov}'}_{'x'.join(map(str, shape))}")


AVG_POOL_CASES = [
    OpCase(f"avg_pool2d_{_avg_id(k, s, p, c, cip, dov, shp)}", _ap2(k, s, p, c, cip, dov),
           _n(*shp), ("AvgPool",), "reduction")
    for k, s, p, c, cip, dov, shp in AVG2D_GRID
] + [
    OpCase("avg_pool2d_kwargs",
           _ap2(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False,
                divisor_override=None), _n(2, 2, 6, 5), ("AvgPool",), "reduction"),
    OpCase("avg_pool2d_unbatched", _ap2(2), _n(3, 5, 4), ("AvgPool",), "reduction"),
    OpCase("avg_pool2d_T_input", _ap2(2), lambda r: [r.standard_normal((6, 4, 3, 2)).T],
           ("AvgPool",), "reduction"),
    OpCase("avg_pool2d_T_input_overlap", _ap2(3, 1, 1),
           lambda r: [r.standard_normal((5, 4, 3, 2)).T], ("AvgPool",), "reduction"),
    OpCase("avg_pool2d_empty_batch", _ap2(2), _n(0, 3, 4, 4), ("AvgPool",), "reduction"),
    OpCase("avg_pool2d_int64_truncates", _ap2(3, 2, 1, divisor_override=-4),
           lambda r: [r.integers(-50, 50, (2, 3, 7, 6))], ("AvgPool",)),
    OpCase("avg_pool2d_int64", _ap2(2), lambda r: [r.integers(-50, 50, (2, 3, 6, 6))],
           ("AvgPool",)),
    OpCase("avg_pool1d", lambda lib, x: F(lib).avg_pool1d(x, 2), _n(2, 3, 9), ("AvgPool",),
           "reduction"),
    OpCase("avg_pool1d_padded_ceil_excl",
           lambda lib, x: F(lib).avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
           _n(2, 3, 8), ("AvgPool",), "reduction"),
    OpCase("avg_pool1d_unbatched", lambda lib, x: F(lib).avg_pool1d(x, 4, 1), _n(3, 6),
           ("AvgPool",), "reduction"),
    OpCase("torch_avg_pool1d", lambda lib, x: lib.avg_pool1d(x, 3), _n(2, 2, 7), ("AvgPool",),
           "reduction"),
]

# ----------------------------------------------------------------------------- adaptive
ADAPTIVE_CASES = [
    OpCase("adaptive_avg_pool2d_global", lambda lib, x: F(lib).adaptive_avg_pool2d(x, 1),
           _n(2, 3, 5, 4), ("AvgPool",), "reduction"),
    OpCase("adaptive_avg_pool2d_divides", lambda lib, x: F(lib).adaptive_avg_pool2d(x, (2, 3)),
           _n(2, 3, 4, 6), ("AvgPool",), "reduction"),
    OpCase("adaptive_avg_pool2d_uneven",
           lambda lib, x: F(lib).adaptive_avg_pool2d(x, (3, 4)), _n(2, 2, 7, 5),
           ("AdaptiveAvgPool",), "reduction"),
    OpCase("adaptive_avg_pool2d_upsamples",
           lambda lib, x: F(lib).adaptive_avg_pool2d(x, (5, 7)), _n(1, 2, 3, 4),
           ("AdaptiveAvgPool",), "reduction"),
    OpCase("adaptive_avg_pool2d_none_keeps",
           lambda lib, x: F(lib).adaptive_avg_pool2d(x, (None, 3)), _n(2, 2, 3, 5),
           ("AdaptiveAvgPool",), "reduction"),
    OpCase("adaptive_avg_pool2d_unbatched_T",
           lambda lib, x: F(lib).adaptive_avg_pool2d(x, 3), lambda r: [
               r.standard_normal((7, 5, 2)).T], ("AdaptiveAvgPool",), "reduction"),
    OpCase("adaptive_avg_pool2d_zero_out",
           lambda lib, x: F(lib).adaptive_avg_pool2d(x, (0, 3)), _n(1, 2, 4, 5),
           ("AdaptiveAvgPool",), "reduction", grad=False),
    OpCase("adaptive_avg_pool1d", lambda lib, x: F(lib).adaptive_avg_pool1d(x, 3),
           _n(2, 3, 7), ("AdaptiveAvgPool",), "reduction"),
    OpCase("adaptive_avg_pool1d_divides", lambda lib, x: F(lib).adaptive_avg_pool1d(x, 2),
           _n(2, 3, 8), ("AvgPool",), "reduction"),
    OpCase("torch_adaptive_avg_pool1d", lambda lib, x: lib.adaptive_avg_pool1d(x, 4),
           _n(2, 2, 5), ("AdaptiveAvgPool",), "reduction"),
    OpCase("adaptive_max_pool2d_global",
           lambda lib, x: F(lib).adaptive_max_pool2d(x, 1, return_indices=True),
           _perm(2, 3, 5, 4), ("MaxPool",), "reduction"),
    OpCase("adaptive_max_pool2d_uneven_indices",
           lambda lib, x: F(lib).adaptive_max_pool2d(x, (3, 4), True), _perm(2, 2, 7, 5),
           ("AdaptiveMaxPool",), "reduction"),
    OpCase("adaptive_max_pool2d_upsamples",
           lambda lib, x: F(lib).adaptive_max_pool2d(x, (5, 7)), _perm(1, 2, 3, 4),
           ("AdaptiveMaxPool",), "reduction"),
    OpCase("adaptive_max_pool2d_repeats_positions",  # O multiple of L: windows of one element
           lambda lib, x: F(lib).adaptive_max_pool2d(x, (4, 6), return_indices=True),
           _perm(1, 2, 2, 3), ("AdaptiveMaxPool",), "reduction"),
    OpCase("adaptive_max_pool2d_none_unbatched",
           lambda lib, x: F(lib).adaptive_max_pool2d(x, (None, 2)), _perm(2, 3, 5),
           ("AdaptiveMaxPool",), "reduction"),
    OpCase("adaptive_max_pool2d_ties",
           lambda lib, x: F(lib).adaptive_max_pool2d(x, 3, return_indices=True),
           _ties(2, 2, 7, 5), ("AdaptiveMaxPool",), "reduction", gradcheck=False),
    OpCase("adaptive_max_pool2d_empty_batch",
           lambda lib, x: F(lib).adaptive_max_pool2d(x, (2, 3), True), _n(0, 2, 5, 5),
           ("AdaptiveMaxPool",), "reduction"),
    OpCase("adaptive_avg_pool2d_empty_batch", lambda lib, x: F(lib).adaptive_avg_pool2d(x, 3),
           _n(0, 2, 5, 4), ("AdaptiveAvgPool",), "reduction"),
    OpCase("adaptive_max_pool1d", lambda lib, x: F(lib).adaptive_max_pool1d(x, 3, True),
           _perm(2, 3, 7), ("AdaptiveMaxPool",), "reduction"),
    OpCase("adaptive_max_pool1d_with_indices",
           lambda lib, x: F(lib).adaptive_max_pool1d_with_indices(x, 2), _perm(2, 3, 8),
           ("MaxPool",), "reduction",
           torch_fn=lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, 2, True)),
    OpCase("adaptive_max_pool2d_with_indices",
           lambda lib, x: F(lib).adaptive_max_pool2d_with_indices(x, (2, 3)),
           _perm(2, 1, 5, 5), ("AdaptiveMaxPool",), "reduction",
           torch_fn=lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (2, 3), True)),
]


# ----------------------------------------------------------------------------- unpool / lp
def _unpool(nd, k, s=None, p=0, out=None):
    """Pool ``x`` (not differentiated) for its indices, then unpool ``v`` with them."""
    def fn(lib, v, x):
        pool = getattr(F(lib), f"max_pool{nd}d")
        _, idx = pool(x, k, s, p, return_indices=True)
        size = out if out != "shape" else x.shape
        return getattr(F(lib), f"max_unpool{nd}d")(v, idx, k, s, p, size)
    return fn


def _unpool_inputs(x_shape, v_shape):
    return lambda r: [r.standard_normal(v_shape), _perm(*x_shape)(r)[0]]


UNPOOL_CASES = [
    OpCase("max_unpool2d", _unpool(2, 2), _unpool_inputs((2, 3, 6, 8), (2, 3, 3, 4)),
           ("MaxUnpool",), "movement", nondiff=(1,)),
    OpCase("max_unpool2d_odd_output_size", _unpool(2, 2, out="shape"),
           _unpool_inputs((2, 2, 7, 5), (2, 2, 3, 2)), ("MaxUnpool",), "movement",
           nondiff=(1,)),
    OpCase("max_unpool2d_padded", _unpool(2, 3, 3, 1, out=(5, 7)),
           _unpool_inputs((1, 2, 5, 7), (1, 2, 2, 3)), ("MaxUnpool",), "movement",
           nondiff=(1,)),
    OpCase("max_unpool2d_unbatched", _unpool(2, (2, 3)),
           _unpool_inputs((3, 4, 6), (3, 2, 2)), ("MaxUnpool",), "movement", nondiff=(1,)),
    OpCase("max_unpool2d_full_output_size", _unpool(2, 2, out=(2, 2, 5, 4)),
           _unpool_inputs((2, 2, 5, 4), (2, 2, 2, 2)), ("MaxUnpool",), "movement",
           nondiff=(1,)),
    OpCase("max_unpool2d_empty_batch", _unpool(2, 2),
           _unpool_inputs((0, 2, 4, 4), (0, 2, 2, 2)), ("MaxUnpool",), "movement",
           nondiff=(1,)),
    OpCase("max_unpool1d", _unpool(1, 2), _unpool_inputs((2, 3, 8), (2, 3, 4)),
           ("MaxUnpool",), "movement", nondiff=(1,)),
    OpCase("max_unpool1d_odd_padded", _unpool(1, 2, 2, 1, out="shape"),
           _unpool_inputs((2, 2, 7), (2, 2, 4)), ("MaxUnpool",), "movement", nondiff=(1,)),
]

LP_POOL_CASES = [
    OpCase("lp_pool2d_p2", lambda lib, x: F(lib).lp_pool2d(x, 2, 2),
           lambda r: [r.uniform(0.5, 2, (2, 2, 4, 6))], ("AvgPool",), "reduction"),
    OpCase("lp_pool2d_p3_stride_ceil", lambda lib, x: F(lib).lp_pool2d(x, 3, (2, 3), 2, True),
           lambda r: [r.uniform(0.5, 2, (1, 2, 5, 7))], ("AvgPool",), "reduction"),
    OpCase("lp_pool2d_inf", lambda lib, x: F(lib).lp_pool2d(x, math.inf, 2),
           lambda r: [_perm(1, 2, 4, 4)(r)[0] + 5], ("MaxPool",), "reduction"),
    OpCase("lp_pool1d_p1", lambda lib, x: F(lib).lp_pool1d(x, 1, 3),
           lambda r: [r.uniform(0.5, 2, (2, 3, 7))], ("AvgPool",), "reduction"),
]

ALL = MAX_POOL_CASES + AVG_POOL_CASES + ADAPTIVE_CASES + UNPOOL_CASES + LP_POOL_CASES


@pytest.mark.parametrize("case", ALL, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- errors
def _x(*shape):
    return np.arange(math.prod(shape), dtype=np.float32).reshape(shape)


ERRORS = [
    ("kernel_bigger_than_input", _mp2(4), [_x(1, 1, 3, 3)], r"max_pool2d: .*Output size is too"),
    ("avg_kernel_bigger_than_input", _ap2((2, 5)), [_x(1, 1, 3, 3)],
     r"avg_pool2d: .*Output size is too small"),
    ("pad_over_half_kernel", _mp2(3, padding=2), [_x(1, 1, 6, 6)],
     r"max_pool2d: pad should be at most half of effective kernel size, but got pad=2, "
     r"kernel_size=3 and dilation=1"),
    ("avg_pad_over_half_kernel", _ap2(2, padding=(0, 2)), [_x(1, 1, 6, 6)],
     r"avg_pool2d: pad should be at most half of kernel size"),
    ("max1d_pad_over_half", lambda lib, x: F(lib).max_pool1d(x, 2, padding=2), [_x(1, 2, 6)],
     r"max_pool1d: pad should be at most half"),
    ("negative_pad", _mp2(3, padding=-1), [_x(1, 1, 6, 6)], r"max_pool2d: pad must be non-neg"),
    ("zero_stride", _mp2(2, 0), [_x(1, 1, 4, 4)], r"max_pool2d: stride must be greater than zero"),
    ("zero_kernel", _ap2(0), [_x(1, 1, 4, 4)], r"avg_pool2d: kernel_size must be greater"),
    ("zero_dilation", _mp2(2, dilation=0), [_x(1, 1, 4, 4)], r"max_pool2d: dilation must be"),
    ("kernel_three_ints", _mp2((2, 2, 2)), [_x(1, 1, 4, 4)],
     r"max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    ("wrong_ndim_2d", _mp2(2), [_x(4, 4)], r"max_pool2d: Expected 3D or 4D .* shape \(4, 4\)"),
    ("wrong_ndim_5d", _ap2(2), [_x(1, 1, 1, 4, 4)], r"avg_pool2d: Expected 3D or 4D"),
    ("empty_channel", _mp2(2), [_x(2, 0, 4, 4)], r"max_pool2d: Expected 3D or 4D .*\(2, 0, 4"),
    ("max1d_wrong_ndim", lambda lib, x: F(lib).max_pool1d(x, 2), [_x(2, 3, 4, 4)],
     r"max_pool1d: Expected 2D or 3D"),
    ("avg_divisor_zero", _ap2(2, divisor_override=0), [_x(1, 1, 4, 4)],
     r"avg_pool2d: divisor must be not zero"),
    ("adaptive_avg_int", lambda lib, x: F(lib).adaptive_avg_pool2d(x, 2),
     [np.ones((1, 1, 4, 4), np.int64)], r"adaptive_avg_pool2d: .*floating"),
    ("adaptive_avg_empty_dim", lambda lib, x: F(lib).adaptive_avg_pool2d(x, 2),
     [_x(1, 2, 0, 4)], r"adaptive_avg_pool2d: Expected 3D or 4D"),
    ("adaptive_max_wrong_size", lambda lib, x: F(lib).adaptive_max_pool2d(x, (2, 2, 2)),
     [_x(1, 2, 4, 4)], r"adaptive_max_pool2d: output_size must be 2"),
]


@pytest.mark.parametrize("name,fn,inputs,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, fn, inputs, match):
    check_raises(fn, inputs, match=match)


def test_float_kernel_is_a_type_error():
    check_raises(_mp2(2.0), [_x(1, 1, 4, 4)], match=r"max_pool2d\(\): argument 'kernel_size'",
                 exc=TypeError)


UNPOOL_ERRORS = [
    ("invalid_index", lambda lib, v, i: F(lib).max_unpool2d(v, i, 2),
     [np.ones((1, 1, 2, 2), np.float32), np.array([[[[0, 1], [2, 16]]]])],
     r"max_unpool2d: Found an invalid max index: 16 \(output volumes are of size 4x4\)"),
    ("negative_index", lambda lib, v, i: F(lib).max_unpool2d(v, i, 2),
     [np.ones((1, 1, 2, 2), np.float32), np.array([[[[0, 1], [2, -1]]]])],
     r"max_unpool2d: Found an invalid max index: -1"),
    ("int32_indices", lambda lib, v, i: F(lib).max_unpool2d(v, i, 2),
     [np.ones((1, 1, 2, 2), np.float32), np.array([[[[0, 1], [2, 3]]]], np.int32)],
     r"max_unpool2d: elements in indices should be type int64"),
    ("indices_shape", lambda lib, v, i: F(lib).max_unpool2d(v, i, 2),
     [np.ones((1, 1, 2, 2), np.float32), np.array([[[0, 1], [2, 3]]])],
     r"max_unpool2d: Expected shape of indices to be same as that of the input tensor"),
    ("wrong_ndim", lambda lib, v, i: F(lib).max_unpool2d(v, i, 2),
     [np.ones((2, 2), np.float32), np.array([[0, 1], [2, 3]])],
     r"max_unpool2d: Input to max_unpooling2d should be a 3d or 4d Tensor"),
    ("bad_output_size", lambda lib, v, i: F(lib).max_unpool2d(v, i, 2, output_size=(6, 5)),
     [np.ones((1, 1, 2, 2), np.float32), np.array([[[[0, 1], [2, 3]]]])],
     r'max_unpool2d: invalid output_size "\(6, 5\)" \(dim 0 must be between 2 and 6\)'),
    ("output_size_length", lambda lib, v, i: F(lib).max_unpool2d(v, i, 2, output_size=(4,)),
     [np.ones((1, 1, 2, 2), np.float32), np.array([[[[0, 1], [2, 3]]]])],
     r"max_unpool2d: output_size should be a sequence containing 2 or 4 elements"),
]


@pytest.mark.parametrize("name,fn,inputs,match", UNPOOL_ERRORS, ids=[e[0] for e in UNPOOL_ERRORS])
def test_unpool_errors(name, fn, inputs, match):
    check_raises(fn, inputs, match=match)


# ----------------------------------------------------------------------------- behaviour
def test_seed_004_worked_example():
    """Seed 004: the 2x2 max pool of [[1, 3], [2, 4]] gives 4; the gradient goes to the 4."""
    x = lightgrad.tensor([[[[1.0, 3.0], [2.0, 4.0]]]], requires_grad=True)
    out = lightgrad.nn.functional.max_pool2d(x, 2)
    assert out.item() == 4.0
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 0.0], [0.0, 1.0]]]])


@pytest.mark.parametrize("cfg", [(2, None, 0, 1, False), (3, 2, 1, 1, True),
                                 ((9, 8), 1, 0, 1, False), (2, 1, 1, 2, False)])
def test_max_pool_without_grad_matches(cfg, rng):
    """Inference (no index kept) and training paths give the same values."""
    x = rng.standard_normal((2, 3, 11, 10)).astype(np.float32)
    F_ = lightgrad.nn.functional
    with lightgrad.no_grad():
        a = F_.max_pool2d(lightgrad.tensor(x), *cfg)
    b = F_.max_pool2d(lightgrad.tensor(x, requires_grad=True), *cfg)
    np.testing.assert_array_equal(a.numpy(), b.detach().numpy())
    assert not a.requires_grad and b.requires_grad


def test_max_pool_nan_propagates():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 1, 0] = np.nan
    for cfg in [(2,), (3, 1, 1)]:
        lo = lightgrad.nn.functional.max_pool2d(lightgrad.tensor(x), *cfg).numpy()
        to = torch.nn.functional.max_pool2d(torch.from_numpy(x), *cfg).numpy()
        np.testing.assert_array_equal(np.isnan(lo), np.isnan(to))
        np.testing.assert_array_equal(lo[~np.isnan(lo)], to[~np.isnan(to)])


def test_output_owns_memory():
    """A 1x1 pool must not return a view of its input."""
    x = lightgrad.ones(1, 1, 2, 2)
    out = lightgrad.nn.functional.max_pool2d(x, 1)
    out.data[...] = 5
    assert x.numpy().max() == 1


def test_max_pool_grad_accumulates_into_leaf(rng):
    x = lightgrad.tensor(_perm(1, 2, 4, 4)(rng)[0], requires_grad=True)
    F_ = lightgrad.nn.functional
    (F_.max_pool2d(x, 2).sum() + F_.max_pool2d(x, 3, 1, 1).sum()).backward()
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    tf = torch.nn.functional
    (tf.max_pool2d(xt, 2).sum() + tf.max_pool2d(xt, 3, 1, 1).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_segnet_pool_unpool_roundtrip(rng):
    """Encoder pool with saved indices, decoder unpool: the maxima come back in place."""
    x = lightgrad.tensor(_perm(2, 3, 6, 6)(rng)[0].astype(np.float32) + 100)
    F_ = lightgrad.nn.functional
    out, idx = F_.max_pool2d(x, 2, return_indices=True)
    up = F_.max_unpool2d(out, idx, 2)
    back = F_.max_pool2d(up, 2)
    np.testing.assert_array_equal(back.numpy(), out.numpy())
    assert (up.numpy() != 0).sum() == out.numel()


def _random_configs(seed, n):
    r = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        k = tuple(int(v) for v in r.integers(1, 5, 2))
        s = tuple(int(v) for v in r.integers(1, 4, 2))
        d = tuple(int(v) for v in r.integers(1, 3, 2))
        p = tuple(int(r.integers(0, ki // 2 + 1)) for ki in k)
        size = tuple(int(v) for v in r.integers(1, 10, 2))
        if any(ki * di > n_ + 2 * pi for ki, di, n_, pi in zip(k, d, size, p)):
            continue
        out.append((k, s, p, d, bool(r.integers(0, 2)), size))
    return out


@pytest.mark.parametrize("k,s,p,d,ceil,size", _random_configs(5, 40))
def test_random_grid_against_torch(k, s, p, d, ceil, size, rng):
    """Random kernel/stride/padding/dilation/ceil configurations (float64): values, indices
    and input gradients of max and avg pooling equal PyTorch's."""
    x = _perm(2, 2, *size)(rng)[0]
    tf = torch.nn.functional
    lf = lightgrad.nn.functional
    runs = [("max", lambda f, t: f.max_pool2d(t, k, s, p, d, ceil, return_indices=True))]
    runs.append(("avg", lambda f, t: f.avg_pool2d(t, k, s, p, ceil, count_include_pad=ceil)))
    for name, call in runs:
        tx = torch.tensor(x, requires_grad=True)
        try:
            to = call(tf, tx)
        except RuntimeError:  # e.g. a window entirely in the padding
            with pytest.raises(RuntimeError):
                call(lf, lightgrad.tensor(x))
            continue
        lx = lightgrad.tensor(x, requires_grad=True)
        lo = call(lf, lx)
        if name == "max":
            np.testing.assert_array_equal(lo[1].numpy(), to[1].numpy())
            lo, to = lo[0], to[0]
        np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-12)
        if name == "max" and (np.isinf(to.detach().numpy())).any():
            continue  # PyTorch's backward writes out of bounds for all-padding windows
        g = rng.standard_normal(tuple(to.shape))
        (lo * lightgrad.tensor(g)).sum().backward()
        (to * torch.from_numpy(g)).sum().backward()
        np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.fixture(params=["one_thread", "two_threads"])
def pool_threads(request, monkeypatch):
    """The 2x2 path on one thread, or forced to split its planes over two (BLAS allowed 2
    threads; ``host_pair`` checked to be called)."""
    import lightgrad.backend_kernels as bk
    import lightgrad.ops.pooling as pooling

    if request.param == "one_thread":
        monkeypatch.setattr(pooling, "_SPLIT_ABOVE", 1 << 62)
        yield None
        return
    bk.host_pair_ok()  # looks NumPy's OpenBLAS up
    if not bk._blas_api:
        pytest.skip("NumPy's OpenBLAS not found: no two-thread paths")
    pairs: list = []
    real = bk.host_pair
    monkeypatch.setattr(bk, "host_pair", lambda a, b: (pairs.append(1), real(a, b)))
    monkeypatch.setattr(pooling, "_SPLIT_ABOVE", 0)
    get, set_ = bk._blas_api[:2]
    n = get()
    set_(2)
    try:
        yield pairs
    finally:
        set_(n)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "unbatched", "infinities"])
def test_max_pool_2x2_fast_path(layout, rng, pool_threads):
    """2x2 windows at stride 2 over exactly tiled planes take a two-pass path (columns, then
    rows): values, indices and gradients match torch, also for non-contiguous and unbatched
    inputs, ties and infinities (the losing side of a window gets exactly 0, never inf - inf);
    on one thread and split over two."""
    x = rng.integers(-2, 3, (2, 3, 6, 8)).astype(np.float32)  # small ints: many ties
    if layout == "transposed":
        x = x.transpose(0, 1, 3, 2)
    elif layout == "unbatched":
        x = x[0]
    elif layout == "infinities":
        x[0, 0, 0, :2] = np.inf
        x[0, 1, 2:4, 2:4] = -np.inf
    g = rng.standard_normal(x.shape[:-2] + (x.shape[-2] // 2, x.shape[-1] // 2))
    g = g.astype(np.float32)
    if layout == "infinities":
        g[0, 0, 0, 0] = np.inf
    outs = []
    for lib in (lightgrad, torch):
        t = lib.tensor(x, requires_grad=True)
        y, i = lib.nn.functional.max_pool2d(t, 2, return_indices=True)
        y.backward(lib.tensor(g))
        outs.append((y.detach().numpy(), i.numpy(), t.grad.numpy()))
        if lib is lightgrad and pool_threads is not None:
            assert len(pool_threads) == 2  # forward and backward split
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("k", [2, 3])
def test_max_pool_infinite_gradient_reaches_only_the_maximum(k, rng):
    """An infinite upstream gradient goes to the window's maximum; the other elements get
    exactly 0 (not inf * 0 = nan), in the 2x2 path and the general disjoint-window path."""
    x = rng.standard_normal((1, 2, 6, 6)).astype(np.float32)
    g = rng.standard_normal((1, 2, 6 // k, 6 // k)).astype(np.float32)
    g[0, 0, 0, 0], g[0, 1, 1, 1] = np.inf, -np.inf
    grads = []
    for lib in (lightgrad, torch):
        t = lib.tensor(x, requires_grad=True)
        lib.nn.functional.max_pool2d(t, k).backward(lib.tensor(g))
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
