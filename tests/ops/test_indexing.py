"""Indexing ops (lightgrad/ops/indexing.py): parity with PyTorch, errors, views and versions."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lightgrad
from lightgrad.ops import indexing
from tests.helpers import OpCase, case_id, check_case, check_raises, torch

pytestmark = pytest.mark.torch


def _n(*shape):
    return lambda r: [r.standard_normal(shape)]


def _ni(shape, *idx):
    """A float input and fixed integer index arrays."""
    return lambda r: [r.standard_normal(shape)] + [np.asarray(i, dtype=np.int64) for i in idx]


def _nm(shape, mask_shape, p=0.5):
    """A float input and a random bool mask with at least one True and one False."""
    def make(r):
        m = r.random(mask_shape) < p
        m.flat[0], m.flat[-1] = True, False
        return [r.standard_normal(shape), m]
    return make


def _perm_index(r, n, shape):
    """Index rows for scatter along the last dim: no repeats within a row."""
    rows = int(np.prod(shape[:-1]))
    return np.stack([r.permutation(n)[: shape[-1]] for _ in range(rows)]).reshape(shape)


def _setitem(key_fn):
    """``y = x * 1; y[key] = v; y``: a non-leaf setitem with gradients to ``x`` and ``v``."""
    def fn(lib, x, v, *idx):
        y = x * 1
        y[key_fn(lib, *idx)] = v
        return y
    return fn


# ----------------------------------------------------------------------------- basic indexing
BASIC_CASES = [
    OpCase("int", lambda lib, x: x[1], _n(3, 4), ("BasicIndex",), "movement"),
    OpCase("neg_ints_to_0d", lambda lib, x: x[-1, -2], _n(3, 4), ("BasicIndex",), "movement"),
    OpCase("slices_steps", lambda lib, x: x[::2, 1:5:3], _n(5, 6), ("BasicIndex",), "movement"),
    OpCase("slices_negative_bounds", lambda lib, x: x[-3:, :-1], _n(4, 5), ("BasicIndex",),
           "movement"),
    OpCase("slice_clamped", lambda lib, x: x[1:100, -100:2], _n(3, 4), ("BasicIndex",),
           "movement"),
    OpCase("none_ellipsis", lambda lib, x: x[None, ..., 1], _n(2, 3, 4), ("BasicIndex",),
           "movement"),
    OpCase("ellipsis_middle", lambda lib, x: x[0, ..., None, 1:], _n(2, 3, 4), ("BasicIndex",),
           "movement"),
    OpCase("ellipsis_only", lambda lib, x: x[...], _n(2, 3), ("BasicIndex",), "movement"),
    OpCase("0d_ellipsis", lambda lib, x: x[...], _n(), ("BasicIndex",), "movement"),
    OpCase("0d_none", lambda lib, x: x[None, None], _n(), ("BasicIndex",), "movement"),
    OpCase("0d_bool_true", lambda lib, x: x[lib.tensor(True)], _n(), ("BasicIndex",),
           "movement"),
    OpCase("python_true", lambda lib, x: x[True, 0], _n(2, 3), ("BasicIndex",), "movement"),
    OpCase("size0_result", lambda lib, x: x[2:2], _n(3, 4), ("BasicIndex",), "movement"),
    OpCase("size0_input", lambda lib, x: x[:, 1:], _n(0, 3), ("BasicIndex",), "movement"),
    OpCase("noncontig", lambda lib, x: x.T[1:, ::2], lambda r: [r.standard_normal((4, 3)).T],
           ("BasicIndex",), "movement"),
    OpCase("0d_tensor_as_int", lambda lib, x: x[lib.tensor(2), lib.tensor(-1)], _n(3, 4),
           ("BasicIndex",), "movement"),
    OpCase("numpy_int", lambda lib, x: x[np.int64(1), np.int32(0):], _n(3, 4), ("BasicIndex",),
           "movement"),
    OpCase("tensor_slice_bounds", lambda lib, x: x[lib.tensor(1):lib.tensor(3)], _n(4, 2),
           ("BasicIndex",), "movement"),
    OpCase("chained", lambda lib, x: x[1][2:][::2], _n(3, 6), ("BasicIndex",), "movement"),
    OpCase("reused_twice", lambda lib, x: x[0] * x[-1], _n(2, 3), ("BasicIndex", "Mul"),
           "movement"),
    OpCase("int_input", lambda lib, x: x[1:, ::2], lambda r: [r.integers(-5, 5, (3, 4))],
           ("BasicIndex",)),
    OpCase("bool_input", lambda lib, x: x[0], lambda r: [r.random((3, 4)) < 0.5],
           ("BasicIndex",)),
]

# ----------------------------------------------------------------------------- advanced indexing
ADVANCED_CASES = [
    OpCase("int_list_repeats", lambda lib, x: x[[0, 2, 0, 0]], _n(3, 4), ("Index",), "movement"),
    OpCase("tensor_2d_repeats", lambda lib, x, i: x[i], _ni((3, 4), [[0, 1], [1, 1]]),
           ("Index",), "movement"),
    OpCase("tensor_negative", lambda lib, x, i: x[i], _ni((4, 3), [-1, 0, -1, -4]),
           ("Index",), "movement"),
    OpCase("int32_index", lambda lib, x, i: x[i.int()], _ni((4, 3), [3, 3, 0]), ("Index",),
           "movement"),
    OpCase("numpy_index", lambda lib, x: x[np.array([2, 0, 2])], _n(3, 2), ("Index",),
           "movement"),
    OpCase("two_tensors_broadcast", lambda lib, x, i, j: x[i, j],
           _ni((3, 4), [[0], [2], [0]], [1, 3, 1]), ("Index",), "movement"),
    OpCase("slice_then_index", lambda lib, x, i: x[:, i], _ni((3, 4), [3, 0, 3]), ("Index",),
           "movement"),
    OpCase("index_then_slice", lambda lib, x, i: x[i, 1:], _ni((3, 4), [[2, 2], [0, 1]]),
           ("Index",), "movement"),
    OpCase("adjacent_middle", lambda lib, x, i, j: x[:, i, j], _ni((2, 3, 4), [0, 2, 0], [3]),
           ("Index",), "movement"),
    OpCase("separated_go_first", lambda lib, x, i, j: x[i, :, j],
           _ni((2, 3, 4), [[1, 0, 1]], [3, 3, 0]), ("Index",), "movement"),
    OpCase("int_then_tensor_torch_rule", lambda lib, x, i: x[0, :, i], _ni((2, 3, 4), [1, 1]),
           ("Index",), "movement"),
    OpCase("tensor_none_tensor", lambda lib, x, i: x[i, None, i], _ni((3, 3, 2), [0, 2, 2]),
           ("Index",), "movement"),
    OpCase("step_slice_and_index", lambda lib, x, i: x[::2, i], _ni((5, 3), [2, 2, 1]),
           ("Index",), "movement"),
    OpCase("list_of_lists_tuple", lambda lib, x: x[[0, 2], [1, 1]], _n(3, 4), ("Index",),
           "movement"),
    OpCase("0d_index_with_tensor", lambda lib, x, i: x[lib.tensor(1), i],
           _ni((3, 4), [0, 0, 3]), ("Index",), "movement"),
    OpCase("mask_full", lambda lib, x, m: x[m], _nm((3, 4), (3, 4)), ("Index",), "movement"),
    OpCase("mask_leading", lambda lib, x, m: x[m], _nm((4, 3), (4,)), ("Index",), "movement"),
    OpCase("mask_after_slice", lambda lib, x, m: x[:, m], _nm((2, 5), (5,)), ("Index",),
           "movement"),
    OpCase("mask_and_index", lambda lib, x, m, i: x[m, i],
           lambda r: [r.standard_normal((3, 4)), np.array([True, False, True]),
                      np.array([3, 3])], ("Index",), "movement"),
    OpCase("mask_2d_of_3d", lambda lib, x, m: x[m], _nm((2, 3, 2), (2, 3)), ("Index",),
           "movement"),
    OpCase("mask_all_false", lambda lib, x: x[x > 100], _n(2, 3), ("Index",), "movement"),
    OpCase("python_false", lambda lib, x: x[False], _n(2, 3), ("Index",), "movement"),
    OpCase("empty_list", lambda lib, x: x[[]], _n(3, 2), ("Index",), "movement"),
    OpCase("empty_tensor_index", lambda lib, x, i: x[:, i],
           lambda r: [r.standard_normal((3, 2)), np.zeros(0, dtype=np.int64)], ("Index",),
           "movement"),
    OpCase("noncontig", lambda lib, x, i: x.T[i], lambda r: [r.standard_normal((4, 3)).T,
                                                              np.array([1, 3, 1])],
           ("Index",), "movement"),
    OpCase("0d_index_tensor_from_1d", lambda lib, x, i: x[i], _ni((4,), 2), ("BasicIndex",),
           "movement"),
    # embedding-like: many rows per index (bincount path) and few (sorted segment path)
    OpCase("rows_many_repeats", lambda lib, x, i: x[i], lambda r: [r.standard_normal((4, 3)),
                                                                    r.integers(0, 4, (3, 5))],
           ("Index",), "movement"),
    OpCase("rows_few_repeats", lambda lib, x, i: x[i], _ni((15, 2), [3, 14, 3, 0, 7, 3, 9, 14]),
           ("Index",), "movement"),
    OpCase("rows_d1", lambda lib, x, i: x[i], _ni((10,), [3, 9, 3, 0, 3]), ("Index",),
           "movement"),
    OpCase("int_input", lambda lib, x, i: x[i, 1:], lambda r: [r.integers(-5, 5, (3, 4)),
                                                               np.array([2, 0, 2])], ("Index",)),
]

# ----------------------------------------------------------------------------- setitem / index_put
SETITEM_CASES = [
    OpCase("setitem_int_row", _setitem(lambda lib: 0), lambda r: [r.standard_normal((3, 4)),
                                                                    r.standard_normal(4)],
           ("IndexPut",), "movement"),
    OpCase("setitem_column_slice", _setitem(lambda lib: (slice(None), 1)),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal(3)], ("IndexPut",),
           "movement"),
    OpCase("setitem_broadcast_value", _setitem(lambda lib: (slice(1, None), slice(None, None, 2))),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal(1)], ("IndexPut",),
           "movement"),
    OpCase("setitem_leading_ones", _setitem(lambda lib: 1),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal((1, 1, 4))],
           ("IndexPut",), "movement"),
    OpCase("setitem_0d_value", _setitem(lambda lib: (Ellipsis, 2)),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal(())], ("IndexPut",),
           "movement"),
    OpCase("setitem_index_tensor", _setitem(lambda lib, i: i),
           lambda r: [r.standard_normal((4, 3)), r.standard_normal((2, 3)),
                      np.array([3, 1])], ("IndexPut",), "movement"),
    OpCase("setitem_two_tensors", _setitem(lambda lib, i, j: (i, j)),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal(3), np.array([0, 2, 1]),
                      np.array([3, 0, 0])], ("IndexPut",), "movement"),
    OpCase("setitem_mask", _setitem(lambda lib, m: m),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal(()),
                      r.random((3, 4)) < 0.5], ("IndexPut",), "movement"),
    OpCase("setitem_mask_rows", _setitem(lambda lib, m: (m, slice(1, 3))),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal(2),
                      np.array([True, False, True])], ("IndexPut",), "movement"),
    OpCase("setitem_scalar", lambda lib, x: _setitem_scalar(x), _n(3, 4), ("IndexPut",),
           "movement"),
    OpCase("setitem_cast_value", lambda lib, x, v: _setitem(lambda lib: 1)(lib, x, v.double()),
           lambda r: [r.standard_normal((2, 3)), r.standard_normal(3)], ("IndexPut", "Cast"),
           "movement", dtypes=(np.float32,)),
    OpCase("setitem_only_value_grad", lambda lib, v: _setitem_into_zeros(lib, v),
           lambda r: [r.standard_normal(2)], ("IndexPut",), "movement"),
    OpCase("setitem_size0", _setitem(lambda lib: slice(3, None)),
           lambda r: [r.standard_normal((3, 2)), r.standard_normal((0, 2))], ("IndexPut",),
           "movement"),
    OpCase("setitem_noncontig", _setitem(lambda lib: (slice(None), 1)),
           lambda r: [r.standard_normal((4, 3)).T, r.standard_normal(3)], ("IndexPut",),
           "movement"),
    OpCase("index_put", lambda lib, x, v, i: lib.index_put(x, (i,), v),
           lambda r: [r.standard_normal((4, 3)), r.standard_normal((2, 3)), np.array([1, 3])],
           ("IndexPut",), "movement"),
    OpCase("index_put_accumulate_repeats",
           lambda lib, x, v, i, j: x.index_put((i, j), v, accumulate=True),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal(5),
                      np.array([0, 2, 0, 0, 1]), np.array([1, 1, 1, 3, 1])], ("IndexPut",),
           "movement"),
    OpCase("index_put_accumulate_bcast",
           lambda lib, x, v, i: lib.index_put(x, (i,), v, accumulate=True),
           lambda r: [r.standard_normal((3, 2, 2)), r.standard_normal((1, 2)),
                      np.array([[0, 2], [0, 0]])], ("IndexPut",), "movement"),
    OpCase("index_put_accumulate_mask",
           lambda lib, x, v, m: lib.index_put(x, (m,), v, accumulate=True),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal(()), r.random((3, 4)) < .5],
           ("IndexPut",), "movement"),
    OpCase("index_put_0d_tensor_index", lambda lib, x, v: lib.index_put(x, (lib.tensor(1),), v),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal(4)], ("IndexPut",),
           "movement"),
    OpCase("index_put__non_leaf", lambda lib, x, v, i: (x * 1).index_put_((i,), v, True),
           lambda r: [r.standard_normal((3, 2)), r.standard_normal((4, 2)),
                      np.array([2, 0, 2, 2])], ("IndexPut",), "movement"),
    OpCase("setitem_int_tensor", lambda lib, x: _setitem_int(lib, x),
           lambda r: [r.integers(-5, 5, (3, 4))], ()),
]


def _setitem_scalar(x):
    y = x * 1
    y[1:, 2] = 7.5
    return y


def _setitem_into_zeros(lib, v):
    y = lib.zeros(3, 2, dtype=v.dtype)
    y[1] = v
    return y


def _setitem_int(lib, x):
    y = x * 1
    y[0, 1:] = 2.7  # truncated into the int tensor
    y[x > 2] = -1
    return y


# ----------------------------------------------------------------------------- gather/scatter
GATHER_CASES = [
    OpCase("gather_dim1_repeats", lambda lib, x, i: lib.gather(x, 1, i),
           _ni((3, 4), [[0, 0, 3], [1, 2, 1], [3, 3, 3]]), ("Gather",), "movement"),
    OpCase("gather_dim0_smaller", lambda lib, x, i: x.gather(0, i),
           _ni((3, 4), [[2, 0], [2, 2]]), ("Gather",), "movement"),
    OpCase("gather_neg_dim_wider", lambda lib, x, i: lib.gather(x, -1, i),
           _ni((2, 3), [[0, 1, 2, 2, 0], [1, 1, 1, 1, 1]]), ("Gather",), "movement"),
    OpCase("gather_int32_kw", lambda lib, x, i: lib.gather(x, dim=1, index=i.int()),
           _ni((2, 3), [[2], [0]]), ("Gather",), "movement"),
    OpCase("gather_0d", lambda lib, x, i: lib.gather(x, 0, i), _ni((), 0), ("Gather",),
           "movement"),
    OpCase("gather_1d_input_0d_index", lambda lib, x, i: lib.gather(x, 0, i), _ni((3,), 2),
           ("Gather",), "movement"),
    OpCase("gather_3d_noncontig", lambda lib, x, i: lib.gather(x.transpose(0, 2), 1, i),
           lambda r: [r.standard_normal((2, 3, 2)), r.integers(0, 3, (2, 4, 1))],
           ("Gather",), "movement"),
    OpCase("gather_size0", lambda lib, x, i: lib.gather(x, 1, i),
           lambda r: [r.standard_normal((2, 3)), np.zeros((2, 0), dtype=np.int64)],
           ("Gather",), "movement"),
    OpCase("gather_int_input", lambda lib, x, i: lib.gather(x, 0, i),
           lambda r: [r.integers(0, 9, (3, 2)), np.array([[2, 1]])], ("Gather",)),
    OpCase("take_along_dim", lambda lib, x, i: lib.take_along_dim(x, i, dim=1),
           _ni((3, 4), [[0, 3], [1, 1], [2, 0]]), ("Gather",), "movement"),
    OpCase("take_along_dim_broadcast", lambda lib, x, i: lib.take_along_dim(x, i, 1),
           _ni((1, 4), [[0], [3], [3]]), ("Gather",), "movement"),
    OpCase("take_along_dim_broadcast_index", lambda lib, x, i: x.take_along_dim(i, dim=0),
           _ni((3, 4), [[2], [0]]), ("Gather",), "movement"),
    OpCase("take_along_dim_argsort", lambda lib, x: lib.take_along_dim(x, x.argsort(1), 1),
           _n(3, 4), ("Gather",), "movement"),
    OpCase("take_along_dim_flat", lambda lib, x, i: lib.take_along_dim(x, i),
           _ni((2, 3), [[5, 0], [5, 1]]), ("Take",), "movement"),
    OpCase("take", lambda lib, x, i: lib.take(x, i), _ni((2, 3), [[0, -1], [5, 2]]), ("Take",),
           "movement"),
    OpCase("take_method_noncontig_0d", lambda lib, x, i: x.T.take(i),
           lambda r: [r.standard_normal((2, 3)), np.array(4)], ("Take",), "movement"),
    OpCase("scatter_src", lambda lib, x, s, i: lib.scatter(x, 1, i, s),
           lambda r: [r.standard_normal((3, 5)), r.standard_normal((3, 2)),
                      _perm_index(r, 5, (3, 2))], ("Scatter",), "movement"),
    OpCase("scatter_dim0_method", lambda lib, x, s, i: x.scatter(0, i, s),
           lambda r: [r.standard_normal((4, 2)), r.standard_normal((3, 2)),
                      _perm_index(r, 4, (2, 3)).T], ("Scatter",), "movement"),
    OpCase("scatter_src_larger", lambda lib, x, s, i: lib.scatter(x, 1, i, s),
           lambda r: [r.standard_normal((2, 4)), r.standard_normal((3, 3)),
                      np.array([[3, 0], [1, 2]])], ("Scatter",), "movement", nondiff=(1,)),
    OpCase("scatter_value", lambda lib, x, i: lib.scatter(x, 1, i, 2.5),
           _ni((2, 4), [[3, 0, 3], [1, 1, 1]]), ("Scatter",), "movement"),
    OpCase("scatter_value_kw", lambda lib, x, i: x.scatter(0, i, value=-1.0),
           _ni((3, 2), [[2, 0]]), ("Scatter",), "movement"),
    OpCase("scatter_0d", lambda lib, x, s, i: lib.scatter(x, 0, i, s),
           lambda r: [r.standard_normal(()), r.standard_normal(()), np.array(0)],
           ("Scatter",), "movement"),
    OpCase("scatter_reduce_add_fwd", lambda lib, x, s, i: lib.scatter(x, 1, i, s, reduce="add"),
           lambda r: [r.standard_normal((2, 3)), r.standard_normal((2, 3)),
                      np.array([[0, 0, 2], [1, 1, 1]])], ("ScatterAdd",), "movement",
           grad=False),
    OpCase("scatter_reduce_multiply_fwd",
           lambda lib, x, s, i: lib.scatter(x, 1, i, s, reduce="multiply"),
           lambda r: [r.standard_normal((2, 3)), r.standard_normal((2, 3)),
                      np.array([[0, 0, 2], [1, 1, 1]])], (), "movement", grad=False),
    OpCase("scatter_add_repeats", lambda lib, x, s, i: lib.scatter_add(x, 1, i, s),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal((3, 5)),
                      r.integers(0, 4, (3, 5))], ("ScatterAdd",), "movement"),
    OpCase("scatter_add_smaller_index", lambda lib, x, s, i: x.scatter_add(0, i, s),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal((3, 3)),
                      r.integers(0, 3, (2, 3))], ("ScatterAdd",), "movement", nondiff=(1,)),
    OpCase("scatter_add_int", lambda lib, x, s, i: lib.scatter_add(x, 0, i, s),
           lambda r: [r.integers(0, 5, 4), r.integers(0, 5, 6), r.integers(0, 4, 6)],
           ("ScatterAdd",)),
    OpCase("scatter__non_leaf", lambda lib, x, s, i: (x * 1).scatter_(1, i, s),
           lambda r: [r.standard_normal((2, 4)), r.standard_normal((2, 2)),
                      _perm_index(r, 4, (2, 2))], ("Scatter",), "movement"),
    OpCase("scatter_add__non_leaf", lambda lib, x, s, i: (x * 1).scatter_add_(0, i, s),
           lambda r: [r.standard_normal((2, 3)), r.standard_normal((3, 3)),
                      r.integers(0, 2, (3, 3))], ("ScatterAdd",), "movement"),
    OpCase("index_select_dim0_repeats", lambda lib, x, i: lib.index_select(x, 0, i),
           _ni((3, 4), [2, 0, 2, 2]), ("IndexSelect",), "movement"),
    OpCase("index_select_dim1_method", lambda lib, x, i: x.index_select(-1, i),
           _ni((2, 3, 4), [3, 1, 3]), ("IndexSelect",), "movement"),
    OpCase("index_select_0d_index_int32", lambda lib, x, i: lib.index_select(x, 1, i.int()),
           _ni((3, 4), 1), ("IndexSelect",), "movement"),
    OpCase("index_select_0d_input", lambda lib, x, i: lib.index_select(x, 0, i),
           _ni((), [0]), ("IndexSelect",), "movement"),
    OpCase("index_select_noncontig_empty", lambda lib, x, i: lib.index_select(x.T, 0, i),
           lambda r: [r.standard_normal((3, 4)), np.zeros(0, dtype=np.int64)],
           ("IndexSelect",), "movement"),
    OpCase("index_select_many_rows", lambda lib, x, i: lib.index_select(x, 0, i),
           lambda r: [r.standard_normal((20, 1)), r.integers(0, 20, 9)], ("IndexSelect",),
           "movement"),
    OpCase("index_add_repeats_alpha", lambda lib, x, s, i: lib.index_add(x, 0, i, s, alpha=2.0),
           lambda r: [r.standard_normal((3, 2)), r.standard_normal((4, 2)),
                      np.array([2, 0, 2, 2])], ("IndexAdd",), "movement"),
    OpCase("index_add_dim1", lambda lib, x, s, i: x.index_add(1, i, s),
           lambda r: [r.standard_normal((2, 3, 2)), r.standard_normal((2, 2, 2)),
                      np.array([1, 1])], ("IndexAdd",), "movement"),
    OpCase("index_add__non_leaf", lambda lib, x, s, i: (x * 1).index_add_(0, i, s, alpha=-1),
           lambda r: [r.standard_normal((3, 2)), r.standard_normal((2, 2)), np.array([0, 2])],
           ("IndexAdd",), "movement"),
    OpCase("index_add_int", lambda lib, x, s, i: lib.index_add(x, 0, i, s),
           lambda r: [r.integers(0, 5, (3, 2)), r.integers(0, 5, (4, 2)),
                      np.array([0, 0, 1, 0])], ("IndexAdd",)),
]

# ----------------------------------------------------------------------------- masked ops
MASKED_CASES = [
    OpCase("masked_fill_scalar", lambda lib, x, m: lib.masked_fill(x, m, -2.0),
           _nm((3, 4), (3, 4)), ("MaskedFill",)),
    OpCase("masked_fill_bcast_mask", lambda lib, x, m: x.masked_fill(m, 1.5), _nm((3, 4), (4,)),
           ("MaskedFill",)),
    OpCase("masked_fill_mask_bigger", lambda lib, x, m: x.masked_fill(m, 0.5),
           _nm((4,), (2, 4)), ("MaskedFill",)),
    OpCase("masked_fill_tensor_value", lambda lib, x, v, m: x.masked_fill(m, v),
           lambda r: [r.standard_normal((2, 3)), r.standard_normal(()),
                      np.array([[True, False, True], [False, False, True]])], ("MaskedFill",)),
    OpCase("masked_fill_double_value", lambda lib, x, v, m: x.masked_fill(m, v.double()),
           lambda r: [r.standard_normal((2, 3)), r.standard_normal(()),
                      np.array([[True, False, True], [False, False, True]])],
           ("MaskedFill", "Cast"), dtypes=(np.float32,)),
    OpCase("masked_fill_0d", lambda lib, x: x.masked_fill(lib.tensor(True), 3.0), _n(),
           ("MaskedFill",)),
    OpCase("masked_fill_noncontig", lambda lib, x, m: x.T.masked_fill(m, 0.0),
           lambda r: [r.standard_normal((3, 2)), np.array([[True, False, True]])],
           ("MaskedFill",)),
    OpCase("masked_fill_int", lambda lib, x: x.masked_fill(x > 0, 2.7),
           lambda r: [r.integers(-3, 3, (2, 3))], ("MaskedFill",)),
    OpCase("masked_fill__non_leaf", lambda lib, x, m: (x * 1).masked_fill_(m, 0.25),
           _nm((2, 3), (3,)), ("MaskedFill",)),
    OpCase("masked_select", lambda lib, x, m: lib.masked_select(x, m), _nm((3, 4), (3, 4)),
           ("MaskedSelect",), "movement"),
    OpCase("masked_select_bcast", lambda lib, x, m: x.masked_select(m), _nm((4,), (2, 4)),
           ("MaskedSelect",), "movement"),
    OpCase("masked_select_empty", lambda lib, x: x.masked_select(x > 100), _n(2, 2),
           ("MaskedSelect",), "movement"),
    OpCase("nonzero", lambda lib, x: lib.nonzero(x), lambda r: [r.integers(0, 2, (3, 4))]),
    OpCase("nonzero_as_tuple", lambda lib, x: x.nonzero(as_tuple=True),
           lambda r: [r.integers(0, 2, (2, 3, 2))]),
    OpCase("nonzero_0d", lambda lib, x: (lib.nonzero(x), lib.nonzero(x, as_tuple=True)),
           lambda r: [np.array(3)]),
    OpCase("nonzero_bool_empty", lambda lib, x: lib.nonzero(x), lambda r: [np.zeros((2, 0), bool)]),
    OpCase("argwhere", lambda lib, x: lib.argwhere(x), lambda r: [r.random((3, 2)) < 0.5]),
]


@pytest.mark.parametrize("case", BASIC_CASES + ADVANCED_CASES + SETITEM_CASES, ids=case_id)
def test_index_parity(case, rng):
    check_case(case, rng)


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@pytest.mark.parametrize("case", GATHER_CASES + MASKED_CASES, ids=case_id)
def test_gather_scatter_masked_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- errors
def _x(*shape):
    return [np.arange(float(np.prod(shape))).reshape(shape)]


RAISES = [
    ("int_out_of_range", lambda lib, x: x[5], _x(3), r"index 5 is out of bounds for dimension 0 "
     r"with size 3"),
    ("neg_int_out_of_range", lambda lib, x: x[:, -5], _x(2, 4),
     r"index -5 is out of bounds for dimension 1 with size 4"),
    ("list_out_of_range", lambda lib, x: x[[0, 3]], _x(3, 2),
     r"index 3 is out of bounds for dimension 0 with size 3"),
    ("tensor_out_of_range_dim1", lambda lib, x: x[:, lib.tensor([0, -4])], _x(2, 3),
     r"index -4 is out of bounds for dimension 1 with size 3"),
    ("0d_tensor_out_of_range", lambda lib, x: x[lib.tensor(7)], _x(3),
     r"index 7 is out of bounds for dimension 0 with size 3"),
    ("too_many_indices", lambda lib, x: x[0, 0, 0], _x(2, 3), r"too many indices for tensor of "
     r"dimension 2"),
    ("too_many_mask_dims", lambda lib, x: x[0, lib.ones(3, 2, dtype=lib.bool)], _x(2, 3),
     r"too many indices for tensor of dimension 2"),
    ("index_0d", lambda lib, x: x[0], _x(), r"too many indices for tensor of dimension 0"),
    ("negative_step", lambda lib, x: x[::-1], _x(3), r"step must be greater than zero"),
    ("zero_step", lambda lib, x: x[::0], _x(3), r"slice step cannot be zero"),
    ("float_index", lambda lib, x: x[1.0], _x(3), r"valid indices \(got float\)"),
    ("float_tensor_index", lambda lib, x: x[lib.tensor([0.0])], _x(3),
     r"tensors used as indices must be long, int, byte or bool"),
    ("int16_tensor_index", lambda lib, x: x[lib.tensor([0], dtype=lib.int16)], _x(3),
     r"must be long, int, byte or bool tensors, got dtype int16"),
    ("float_slice_bound", lambda lib, x: x[0.5:], _x(3), r"slice indices must be integers"),
    ("mask_shape", lambda lib, x: x[lib.ones(3, dtype=lib.bool)], _x(2, 3),
     r"shape of the mask \[3\] at index 0 does not match"),
    ("index_broadcast", lambda lib, x: x[lib.tensor([0, 1]), lib.tensor([0, 1, 2])], _x(2, 3),
     r"shape mismatch: indexing tensors could not be broadcast together with shapes \[2\], "
     r"\[3\]"),
    ("setitem_shape", lambda lib, x: x.__setitem__(slice(0, 2), lib.ones(3)), _x(2, 4),
     r"value tensor of shape \[3\] cannot be broadcast to indexing result of shape \[2, 4\]"),
    ("setitem_out_of_range", lambda lib, x: x.__setitem__(4, 1.0), _x(2, 4),
     r"index 4 is out of bounds for dimension 0 with size 2"),
    ("setitem_list_value", lambda lib, x: x.__setitem__(0, [1.0, 2.0]), _x(2, 2),
     r"can't assign a list"),
    ("index_put_dtype", lambda lib, x: lib.index_put(x, (lib.tensor([0]),),
                                                     lib.tensor([1.0], dtype=lib.float32)),
     _x(3), r"index_put: .*dtypes match, got float64 for the destination and float32"),
    ("index_put_float_value", lambda lib, x: lib.index_put(x, (lib.tensor([0]),), 1.0), _x(3),
     r"argument 'values' must be a Tensor"),
    ("index_put_too_many", lambda lib, x: lib.index_put(x, (lib.tensor([0]),) * 3,
                                                        lib.tensor(1.0, dtype=lib.float64)),
     _x(2, 2), r"too many indices for tensor of dimension 2"),
    ("gather_ndim", lambda lib, x: lib.gather(x, 1, lib.tensor([0, 1])), _x(2, 3),
     r"gather: index tensor must have the same number of dimensions"),
    ("gather_float_index", lambda lib, x: lib.gather(x, 1, lib.tensor([[0.0]])), _x(2, 3),
     r"gather: expected dtype int32/int64 for index, got float32"),
    ("gather_out_of_range", lambda lib, x: lib.gather(x, 1, lib.tensor([[3]])), _x(2, 3),
     r"gather: index 3 is out of bounds for dimension 1 with size 3"),
    ("gather_negative", lambda lib, x: lib.gather(x, 1, lib.tensor([[-1]])), _x(2, 3),
     r"gather: index -1 is out of bounds"),
    ("gather_too_big", lambda lib, x: lib.gather(x, 1, lib.zeros(3, 1, dtype=lib.int64)),
     _x(2, 3), r"gather: size does not match at dimension 0"),
    ("gather_bad_dim", lambda lib, x: lib.gather(x, 2, lib.zeros(2, 1, dtype=lib.int64)),
     _x(2, 3), r"gather: Dimension out of range"),
    ("scatter_dtype", lambda lib, x: lib.scatter(x, 0, lib.tensor([0]), lib.tensor([1.0])),
     _x(3), r"scatter: expected self.dtype to be equal to src.dtype"),
    ("scatter_src_small", lambda lib, x: lib.scatter(x, 1, lib.tensor([[0, 1]]),
                                                     lib.ones(1, 1, dtype=lib.float64)),
     _x(2, 3), r"scatter: expected index \[1, 2\] to be no larger than src \[1, 1\]"),
    ("scatter_out_of_range", lambda lib, x: lib.scatter(x, 0, lib.tensor([3]), 1.0), _x(3),
     r"scatter: index 3 is out of bounds for dimension 0 with size 3"),
    ("scatter_bad_reduce", lambda lib, x: lib.scatter(x, 0, lib.tensor([0]), 1.0, reduce="max"),
     _x(3), r"reduce argument must be either 'add' or 'multiply'"),
    ("scatter_add_ndim", lambda lib, x: lib.scatter_add(x, 0, lib.tensor([0]), x), _x(2, 2),
     r"scatter_add: index tensor must have the same number of dimensions"),
    ("index_select_2d", lambda lib, x: lib.index_select(x, 0, lib.tensor([[0]])), _x(3),
     r"index_select: index is supposed to be a vector"),
    ("index_select_float", lambda lib, x: lib.index_select(x, 0, lib.tensor([0.0])), _x(3),
     r"index_select: expected dtype int32 or int64 for index, got float32"),
    ("index_select_out_of_range", lambda lib, x: lib.index_select(x, 0, lib.tensor([3])), _x(3),
     r"index_select: index 3 is out of bounds for dimension 0 with size 3"),
    ("index_select_negative", lambda lib, x: lib.index_select(x, 0, lib.tensor([-1])), _x(3),
     r"index_select: index -1 is out of bounds"),
    ("index_add_shape", lambda lib, x: lib.index_add(x, 0, lib.tensor([0, 0]),
                                                     lib.ones(2, 3, dtype=lib.float64)),
     _x(3, 4), r"index_add: source tensor shape must match"),
    ("index_add_dtype", lambda lib, x: lib.index_add(x, 0, lib.tensor([0]), lib.ones(1)), _x(3),
     r"index_add: self \(float64\) and source \(float32\) must have the same scalar type"),
    ("masked_fill_float_mask", lambda lib, x: x.masked_fill(lib.ones(3), 1.0), _x(3),
     r"masked_fill: only supports boolean masks, but got mask with dtype float32"),
    ("masked_fill_1d_value", lambda lib, x: x.masked_fill(x > 0, lib.tensor([1.0])), _x(3),
     r"masked_fill: only supports a 0-dimensional value tensor"),
    ("masked_fill_bcast", lambda lib, x: x.masked_fill(lib.ones(2, dtype=lib.bool), 1.0), _x(3),
     r"masked_fill: the size of tensor a \(3\) must match the size of tensor b \(2\)"),
    ("masked_fill__self_bcast", lambda lib, x: x.masked_fill_(lib.ones(2, 3, dtype=lib.bool),
                                                              1.0), _x(3),
     r"masked_fill_: output with shape \(3,\) doesn't match the broadcast shape \(2, 3\)"),
    ("masked_select_float_mask", lambda lib, x: x.masked_select(lib.ones(3)), _x(3),
     r"masked_select: only supports boolean masks"),
    ("take_out_of_range", lambda lib, x: lib.take(x, lib.tensor([6])), _x(2, 3),
     r"take: out of range: tried to access index 6 on a tensor of 6 elements"),
    ("take_negative_out_of_range", lambda lib, x: lib.take(x, lib.tensor([-7])), _x(2, 3),
     r"tried to access index -7"),
    ("take_int32", lambda lib, x: lib.take(x, lib.tensor([0], dtype=lib.int32)), _x(3),
     r"take: expected a long \(int64\) tensor for index, but got int32"),
    ("take_along_dim_int32", lambda lib, x: lib.take_along_dim(
        x, lib.tensor([[0]], dtype=lib.int32), dim=1), _x(2, 2),
     r"take_along_dim: dtype of indices should be int64"),
    ("take_along_dim_ndim", lambda lib, x: lib.take_along_dim(x, lib.tensor([0]), dim=1),
     _x(2, 2), r"take_along_dim: input and indices should have the same number of dimensions"),
    ("take_along_dim_bcast", lambda lib, x: lib.take_along_dim(x, lib.zeros(3, 1, dtype=lib.int64),
                                                               dim=1), _x(2, 2),
     r"take_along_dim: the size of tensor a \(2\) must match the size of tensor b \(3\)"),
]


@pytest.mark.parametrize("name,fn,inputs,match", RAISES, ids=[r[0] for r in RAISES])
def test_raises(name, fn, inputs, match):
    check_raises(fn, inputs, match=match)


def test_error_classes_match_torch():
    x = lightgrad.zeros(3)
    with pytest.raises(IndexError):
        x[3]
    with pytest.raises(IndexError):
        x[0, 0]
    with pytest.raises(ValueError):
        x[::-1]
    with pytest.raises(TypeError):
        x[0] = [1.0]
    with pytest.raises(IndexError):
        lightgrad.index_select(x, 0, lightgrad.tensor([3]))


def test_multiple_ellipsis_rejected():
    with pytest.raises(IndexError, match=r"single ellipsis"):
        lightgrad.zeros(2, 3)[..., 0, ...]


# ----------------------------------------------------------------------------- semantics
def test_basic_index_is_a_view_sharing_versions():
    x = lightgrad.arange(12.0).reshape(3, 4)
    v = x[1, ::2]
    assert np.shares_memory(v.data, x.data)
    assert v._base is (x if x._base is None else x._base)
    v0 = x._version
    v.add_(100.0)
    assert x[1, 0].item() == 104.0 and x[1, 1].item() == 5.0
    assert x._version == v._version == v0 + 1


def test_int_key_gives_0d_view():
    x = lightgrad.arange(6.0).reshape(2, 3)
    e = x[1, 2]
    assert e.shape == () and np.shares_memory(e.data, x.data)


def test_advanced_index_is_a_copy():
    x = lightgrad.arange(6.0)
    y = x[[0, 1]]
    z = x[x > 2]
    assert not np.shares_memory(y.data, x.data) and not np.shares_memory(z.data, x.data)
    y[0] = 50.0
    assert x[0].item() == 0.0


def test_setitem_writes_through_a_view():
    x = lightgrad.zeros(2, 3)
    row = x[1]
    row[2] = 7.0
    assert x.tolist() == [[0, 0, 0], [0, 0, 7]]
    assert x._version == 1


def test_setitem_on_leaf_requiring_grad_raises():
    for lib in (lightgrad, torch):
        x = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x[0] = 1.0


def test_setitem_on_leaf_under_no_grad():
    x = lightgrad.zeros(3, requires_grad=True)
    tx = torch.zeros(3, requires_grad=True)
    with lightgrad.no_grad():
        x[1] = 2.0
        x[x > 1] = lightgrad.tensor(3.0)
    with torch.no_grad():
        tx[1] = 2.0
        tx[tx > 1] = torch.tensor(3.0)
    np.testing.assert_array_equal(x.detach().numpy(), tx.detach().numpy())
    assert x.is_leaf and x.requires_grad and x._version == tx._version == 2
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_setitem_non_leaf_grads_match_torch(rng):
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal(2)
    g = rng.standard_normal((3, 4))
    out = []
    for lib in (lightgrad, torch):
        x = lib.tensor(a, requires_grad=True)
        v = lib.tensor(b, requires_grad=True)
        y = x * 2
        y[[0, 2], 1] = v  # advanced setitem
        y[1:, 3] = v * 3  # then a basic one on the same tensor
        (y * lib.tensor(g)).sum().backward()
        out.append((y.detach().numpy().copy(), x.grad.numpy().copy(), v.grad.numpy().copy()))
    for mine, ref in zip(*out):
        np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-12)


def test_setitem_saved_tensor_detected():
    x = lightgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y  # saves y
    y[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_setitem_into_zeros_buffer_records():
    w = lightgrad.tensor(2.0, requires_grad=True)
    b = lightgrad.zeros(3)
    b[1] = w
    assert b.grad_fn is not None and not b.is_leaf
    (b * lightgrad.tensor([1.0, 5.0, 1.0])).sum().backward()
    assert w.grad.item() == 5.0


def test_setitem_value_dtype_cast():
    for lib in (lightgrad, torch):
        x = lib.zeros(3, dtype=lib.int64)
        x[0] = 1.7
        x[1:] = lib.tensor([2.9, -3.9])
        assert x.tolist() == [1, 2, -3]
        b = lib.zeros(3, dtype=lib.bool)
        b[0] = 2.5
        b[1:] = lib.tensor([0.0, 1.0])
        assert b.tolist() == [True, False, True]


def test_setitem_overlapping_views():
    x = lightgrad.arange(5.0)
    tx = torch.arange(5.0)
    x[1:] = x[:-1]
    tx[1:] = tx[:-1].clone()
    assert x.tolist() == tx.tolist()


def test_index_put__accumulate_no_grad_repeats(rng):
    x = lightgrad.zeros(4, 2)
    idx = lightgrad.tensor([3, 0, 3, 3])
    v = lightgrad.tensor(rng.standard_normal((4, 2)).astype(np.float32))
    assert x.index_put_((idx,), v, accumulate=True) is x
    ref = np.zeros((4, 2))
    np.add.at(ref, idx.numpy(), v.numpy())
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-6)
    assert x._version == 1


def test_uint8_index_is_a_mask():
    x = lightgrad.arange(3.0)
    with pytest.warns(UserWarning, match="uint8"):
        y = x[lightgrad.tensor([1, 0, 1], dtype=lightgrad.uint8)]
    assert y.tolist() == [0.0, 2.0]


def test_float_list_index_truncates_like_torch():
    x = lightgrad.arange(3.0)
    assert x[[0.5, 1.5]].tolist() == torch.arange(3.0)[[0.5, 1.5]].tolist() == [0.0, 1.0]


def test_list_with_slices_is_a_tuple_key():
    a = np.arange(24.0).reshape(2, 3, 4)
    x, t = lightgrad.tensor(a), torch.tensor(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = t[[0, slice(None), [1, 2]]]
    np.testing.assert_array_equal(x[[0, slice(None), [1, 2]]].numpy(), ref.numpy())


def test_iteration_and_unbinding_rows():
    x = lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[0] * 2 + rows[1]).sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [1.0, 1.0]]


def test_scatter_multiply_is_not_differentiable():
    x = lightgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="reduce='multiply'"):
        lightgrad.scatter(x, 0, lightgrad.tensor([0]), 2.0, reduce="multiply")
    with lightgrad.no_grad():
        y = lightgrad.scatter(x, 0, lightgrad.tensor([0, 0]), 2.0, reduce="multiply")
    assert y.tolist() == [4.0, 1.0, 1.0]


@pytest.mark.parametrize("n_rows,d,n,long_run", [
    (4, 3, 20, 0),  # bincount
    (50, 5, 12, 0),  # sorted: singles + short repeats
    (200, 3, 90, 80),  # sorted: plus runs longer than 32 (reduceat)
    (300, 2, 120, 70),  # two long runs
    (30, 1, 7, 0),  # D == 1: add.at
    (6, 4, 0, 0), (5, 0, 3, 0),  # empty
])
def test_index_add_rows_paths(rng, n_rows, d, n, long_run):
    idx = rng.integers(0, n_rows, n)
    idx[: n // 3] = idx[0] if n else 0  # force repeats
    if long_run:
        idx[-long_run:] = n_rows - 1
        idx[-long_run // 2:] = n_rows - 2
    idx = rng.permutation(idx)
    src = rng.standard_normal((n, d)).astype(np.float32)
    ref = np.zeros((n_rows, d), np.float32)
    np.add.at(ref, idx, src)
    out = indexing._index_add_rows(np, n_rows, idx, src)
    assert out.dtype == np.float32 and out.shape == (n_rows, d)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------- property test
@st.composite
def _shape_and_basic_key(draw):
    """A shape and a key of ints, slices (positive steps), None and at most one ``...``."""
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    nd = len(shape)
    ell = draw(st.booleans())
    n_front = draw(st.integers(0, nd))
    n_back = draw(st.integers(0, nd - n_front)) if ell else 0

    def item(n):
        if n > 0 and draw(st.booleans()):
            return draw(st.integers(-n, n - 1))
        bound = st.one_of(st.none(), st.integers(-6, 6))
        return slice(draw(bound), draw(bound), draw(st.one_of(st.none(), st.integers(1, 3))))

    items = [item(shape[d]) for d in range(n_front)]
    if ell:
        items.append(Ellipsis)
        items += [item(shape[d]) for d in range(nd - n_back, nd)]
    for _ in range(draw(st.integers(0, 2))):  # None anywhere
        items.insert(draw(st.integers(0, len(items))), None)
    key = items[0] if len(items) == 1 and draw(st.booleans()) else tuple(items)
    return shape, key


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_shape_and_basic_key(), st.integers(0, 2**31 - 1))
def test_basic_keys_match_torch(shape_key, seed):
    shape, key = shape_key
    r = np.random.default_rng(seed)
    a = r.standard_normal(shape)
    x = lightgrad.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    y = x[key]
    ty = t[key]
    assert tuple(y.shape) == tuple(ty.shape), (shape, key)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    assert type(y.grad_fn).__name__ == "BasicIndex"
    g = r.standard_normal(tuple(ty.shape))
    (y * lightgrad.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
