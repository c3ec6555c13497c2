"""Reductions (lightgrad/ops/reduce.py) against PyTorch: forward, backward, gradcheck, errors."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lightgrad
from tests.helpers import OpCase, case_id, check_case, check_raises, torch

pytestmark = pytest.mark.torch


def normal(*shape):
    return lambda r: [r.standard_normal(shape)]


def transposed(*shape):
    return lambda r: [r.standard_normal(shape).T]


def ints(*shape, low=-5, high=6, dtype=np.int64):
    return lambda r: [r.integers(low, high, shape).astype(dtype)]


def spaced(*shape):
    """Tie-free values at least 0.1 apart (max/sort gradchecks stay away from the kinks)."""
    def make(r):
        n = int(np.prod(shape))
        return [(r.permutation(n) * 0.1 + r.uniform(0, 0.05, n) - n * 0.05).reshape(shape)]
    return make


def with_zeros(shape, zeros):
    """Standard normal (abs >= 0.5) with exact zeros at the flat positions ``zeros``."""
    def make(r):
        x = r.uniform(0.5, 1.5, shape) * r.choice([-1.0, 1.0], shape)
        x.reshape(-1)[list(zeros)] = 0.0
        return [x]
    return make


def positive(*shape):
    return lambda r: [r.uniform(0.5, 2.0, shape)]


R = "reduction"

SUM_CASES = [
    OpCase("sum_all", lambda lib, x: x.sum(), normal(3, 4), covers=("Sum",), kind=R),
    OpCase("sum_dim0", lambda lib, x: lib.sum(x, 0), normal(3, 4), covers=("Sum",), kind=R),
    OpCase("sum_neg_keepdim", lambda lib, x: x.sum(-1, keepdim=True), normal(2, 3, 4),
           covers=("Sum",), kind=R),
    OpCase("sum_tuple", lambda lib, x: x.sum(dim=(0, 2)), normal(2, 3, 4), covers=("Sum",),
           kind=R),
    OpCase("sum_list_keepdim", lambda lib, x: lib.sum(x, [0, -1], True), normal(2, 3, 4),
           covers=("Sum",), kind=R),
    OpCase("sum_empty_tuple_is_all", lambda lib, x: x.sum(dim=()), normal(3, 4),
           covers=("Sum",), kind=R),
    OpCase("sum_0d", lambda lib, x: x.sum(), normal(), covers=("Sum",), kind=R),
    OpCase("sum_0d_dim", lambda lib, x: x.sum(0, keepdim=True), normal(), covers=("Sum",),
           kind=R),
    OpCase("sum_size0_dim", lambda lib, x: x.sum(0), normal(0, 3), covers=("Sum",), kind=R),
    OpCase("sum_size0_all", lambda lib, x: x.sum(), normal(2, 0), covers=("Sum",), kind=R),
    OpCase("sum_T", lambda lib, x: x.sum(1), transposed(4, 3), covers=("Sum",), kind=R),
    OpCase("sum_dtype_f64", lambda lib, x: x.sum(1, dtype=lib.float64), normal(3, 4),
           covers=("Sum", "Cast"), kind=R, dtypes=(np.float32,)),
    OpCase("sum_dtype_int", lambda lib, x: x.sum(dtype=lib.int32), lambda r: [
        r.uniform(-4, 4, (3, 4))], covers=("Sum",), kind=R, grad=False),
    OpCase("sum_int64", lambda lib, x: x.sum(1), ints(3, 4), covers=("Sum",)),
    OpCase("sum_int32_to_int64", lambda lib, x: x.sum(), ints(3, 4, dtype=np.int32),
           covers=("Sum",)),
    OpCase("sum_uint8", lambda lib, x: x.sum(0), ints(3, 4, low=0, high=200, dtype=np.uint8),
           covers=("Sum",)),
    OpCase("sum_bool", lambda lib, x: (x > 0).sum(dim=0), ints(3, 4), covers=("Sum",)),
    OpCase("sum_int_dtype_float", lambda lib, x: x.sum(0, dtype=lib.float32), ints(3, 4),
           covers=("Sum",), kind=R),
]

MEAN_CASES = [
    OpCase("mean_all", lambda lib, x: x.mean(), normal(3, 4), covers=("Mean",), kind=R),
    OpCase("mean_dim", lambda lib, x: lib.mean(x, 1), normal(3, 4), covers=("Mean",), kind=R),
    OpCase("mean_tuple_keepdim", lambda lib, x: x.mean((0, -1), keepdim=True),
           normal(2, 3, 4), covers=("Mean",), kind=R),
    OpCase("mean_none_keepdim", lambda lib, x: x.mean(dim=None, keepdim=True), normal(2, 3),
           covers=("Mean",), kind=R),
    OpCase("mean_0d", lambda lib, x: x.mean(), normal(), covers=("Mean",), kind=R),
    OpCase("mean_size0_is_nan", lambda lib, x: x.mean(0), normal(0, 3), covers=("Mean",),
           kind=R),
    OpCase("mean_size0_other_dim", lambda lib, x: x.mean(1), normal(0, 3), covers=("Mean",),
           kind=R),
    OpCase("mean_T", lambda lib, x: x.mean(0), transposed(4, 3), covers=("Mean",), kind=R),
    OpCase("mean_dtype_kw", lambda lib, x: x.mean(dim=1, dtype=lib.float64), normal(3, 4),
           covers=("Mean", "Cast"), kind=R, dtypes=(np.float32,)),
    OpCase("mean_int_with_dtype", lambda lib, x: x.mean(0, dtype=lib.float32), ints(3, 4),
           covers=("Mean",), kind=R),
    OpCase("nansum", lambda lib, x: lib.nansum(x, 1),
           lambda r: [np.where(r.random((3, 4)) < 0.3, np.nan, r.standard_normal((3, 4)))],
           covers=("NanSum",), kind=R),
    OpCase("nansum_all_method", lambda lib, x: x.nansum(), normal(3, 4), covers=("NanSum",),
           kind=R),
    OpCase("nansum_int", lambda lib, x: lib.nansum(x), ints(3, 4)),
    OpCase("nanmean", lambda lib, x: x.nanmean(dim=0, keepdim=True),
           lambda r: [np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 0.5], [3.0, 0.25, 1.5]])],
           covers=("NanMean",), kind=R),
]

PROD_CASES = [
    OpCase("prod_all", lambda lib, x: x.prod(), positive(3, 4), covers=("Prod",), kind=R),
    OpCase("prod_dim", lambda lib, x: lib.prod(x, 1), normal(3, 4), covers=("Prod",), kind=R),
    OpCase("prod_neg_dim_keepdim", lambda lib, x: x.prod(-2, keepdim=True), normal(2, 3, 4),
           covers=("Prod",), kind=R),
    OpCase("prod_one_zero", lambda lib, x: x.prod(), with_zeros((2, 3), [4]), covers=("Prod",),
           kind=R),
    OpCase("prod_two_zeros", lambda lib, x: x.prod(), with_zeros((2, 3), [1, 4]),
           covers=("Prod",), kind=R),
    OpCase("prod_dim_mixed_zeros", lambda lib, x: x.prod(1),
           with_zeros((4, 3), [0, 4, 5, 11, 10]), covers=("Prod",), kind=R),
    OpCase("prod_dim0_keepdim_zeros", lambda lib, x: x.prod(0, keepdim=True),
           with_zeros((3, 3), [0, 4, 7, 1]), covers=("Prod",), kind=R),
    OpCase("prod_0d", lambda lib, x: x.prod(0), normal(), covers=("Prod",), kind=R),
    OpCase("prod_size0", lambda lib, x: x.prod(0), normal(0, 3), covers=("Prod",), kind=R),
    OpCase("prod_T", lambda lib, x: x.prod(1), transposed(4, 3), covers=("Prod",), kind=R),
    OpCase("prod_dtype", lambda lib, x: x.prod(1, dtype=lib.float64), normal(3, 4),
           covers=("Prod", "Cast"), kind=R, dtypes=(np.float32,)),
    OpCase("prod_int", lambda lib, x: x.prod(1), ints(3, 4, dtype=np.int32), covers=("Prod",)),
    OpCase("prod_bool", lambda lib, x: (x > 0).prod(), ints(3, 4), covers=("Prod",)),
]

MAX_CASES = [
    OpCase("max_all", lambda lib, x: x.max(), normal(3, 4), covers=("Amax",), kind=R),
    OpCase("min_all", lambda lib, x: lib.min(x), normal(3, 4), covers=("Amin",), kind=R),
    OpCase("max_dim", lambda lib, x: lib.max(x, 1), spaced(3, 4), covers=("ReduceSelect",),
           kind=R),
    OpCase("max_dim_keepdim_pos", lambda lib, x: lib.max(x, -1, True), spaced(2, 3, 4),
           covers=("ReduceSelect",), kind=R),
    OpCase("max_dim_values_attr", lambda lib, x: x.max(dim=0).values * 2.0, spaced(3, 4),
           covers=("ReduceSelect",), kind=R),
    OpCase("max_dim_indices_attr", lambda lib, x: x.max(dim=0, keepdim=True).indices,
           spaced(3, 4), kind=R, grad=False),
    OpCase("min_dim", lambda lib, x: x.min(dim=0), spaced(3, 4), covers=("ReduceSelect",),
           kind=R),
    OpCase("min_dim_unpack", lambda lib, x: (lambda v, i: (v * 3.0, i + 1))(*lib.min(x, 1)),
           spaced(3, 4), covers=("ReduceSelect",), kind=R),
    OpCase("max_0d", lambda lib, x: x.max(), normal(), covers=("Amax",), kind=R),
    OpCase("max_0d_dim", lambda lib, x: x.max(0), normal(), covers=("ReduceSelect",), kind=R),
    OpCase("max_T", lambda lib, x: x.max(1), transposed(4, 3), covers=("ReduceSelect",),
           kind=R),
    OpCase("max_size0_other_dim", lambda lib, x: x.max(dim=1), normal(0, 3),
           covers=("ReduceSelect",), kind=R),
    OpCase("max_int_stays_int", lambda lib, x: x.max(), ints(3, 4, dtype=np.int32),
           covers=("Amax",)),
    OpCase("max_int_dim", lambda lib, x: x.max(1), lambda r: [r.permutation(12).reshape(3, 4)],
           covers=("ReduceSelect",)),
    OpCase("min_int_dim", lambda lib, x: x.min(0), lambda r: [r.permutation(12).reshape(3, 4)],
           covers=("ReduceSelect",)),
    OpCase("max_binary_is_maximum", lambda lib, x, y: (lib.max(x, y), x.min(y), x.max(other=y)),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal((4,))], kind=R),
    OpCase("max_all_ties_split", lambda lib, x: x.max(),
           lambda r: [np.array([[1.0, 3.0, 2.0], [3.0, 0.0, 3.0]])], covers=("Amax",), kind=R,
           gradcheck=False),
    OpCase("amax_dim", lambda lib, x: lib.amax(x, 1), normal(3, 4), covers=("Amax",), kind=R),
    OpCase("amax_tuple_keepdim", lambda lib, x: x.amax((0, 2), keepdim=True), normal(2, 3, 4),
           covers=("Amax",), kind=R),
    OpCase("amax_default_all", lambda lib, x: x.amax(), normal(2, 3), covers=("Amax",), kind=R),
    OpCase("amin_neg", lambda lib, x: lib.amin(x, -1), transposed(4, 3), covers=("Amin",),
           kind=R),
    OpCase("amax_0d", lambda lib, x: x.amax(0), normal(), covers=("Amax",), kind=R),
    OpCase("amax_ties_split_evenly", lambda lib, x: x.amax(1),
           lambda r: [np.array([[1.0, 2.0, 2.0, 0.5], [3.0, 3.0, 3.0, 1.0],
                                [0.0, -1.0, 4.0, 4.0]])],
           covers=("Amax",), kind=R, gradcheck=False),
    OpCase("amin_ties_tuple", lambda lib, x: x.amin((0, 1)),
           lambda r: [np.array([[[1.0, 0.0], [-2.0, 5.0]], [[-2.0, 3.0], [4.0, 0.0]]])],
           covers=("Amin",), kind=R, gradcheck=False),
    OpCase("amax_int", lambda lib, x: x.amax(0), ints(3, 4), covers=("Amax",)),
    OpCase("aminmax_all", lambda lib, x: lib.aminmax(x), normal(3, 4),
           covers=("Amin", "Amax"), kind=R),
    OpCase("aminmax_dim_keepdim", lambda lib, x: x.aminmax(dim=1, keepdim=True), normal(3, 4),
           covers=("Amin", "Amax"), kind=R),
    OpCase("argmax_all", lambda lib, x: x.argmax(), normal(3, 4), kind=R, grad=False),
    OpCase("argmax_all_keepdim", lambda lib, x: lib.argmax(x, keepdim=True), normal(3, 4),
           grad=False),
    OpCase("argmax_dim", lambda lib, x: lib.argmax(x, dim=1), normal(3, 4), grad=False),
    OpCase("argmin_dim_keepdim", lambda lib, x: x.argmin(-2, keepdim=True), transposed(4, 3),
           grad=False),
    OpCase("argmin_all", lambda lib, x: lib.argmin(x), normal(2, 3, 2), grad=False),
    OpCase("argmax_int", lambda lib, x: x.argmax(0), lambda r: [r.permutation(12).reshape(3, 4)]),
    OpCase("argmax_0d", lambda lib, x: (x.argmax(), x.argmax(0)), normal(), grad=False),
]

VAR_CASES = [
    OpCase("var_all", lambda lib, x: x.var(), normal(3, 4), covers=("Var",), kind=R),
    OpCase("var_dim", lambda lib, x: lib.var(x, 1), normal(3, 4), covers=("Var",), kind=R),
    OpCase("var_tuple_keepdim", lambda lib, x: x.var(dim=(0, 2), keepdim=True),
           normal(2, 3, 4), covers=("Var",), kind=R),
    OpCase("var_correction0", lambda lib, x: x.var(0, correction=0), normal(3, 4),
           covers=("Var",), kind=R),
    OpCase("var_correction2", lambda lib, x: lib.var(x, -1, correction=2), normal(3, 5),
           covers=("Var",), kind=R),
    OpCase("var_legacy_unbiased_pos", lambda lib, x: x.var(1, False, True), normal(3, 4),
           covers=("Var",), kind=R),
    OpCase("var_legacy_unbiased_only", lambda lib, x: lib.var(x, False), normal(3, 4),
           covers=("Var",), kind=R),
    OpCase("var_legacy_unbiased_kw", lambda lib, x: x.var(0, unbiased=True), normal(3, 4),
           covers=("Var",), kind=R),
    OpCase("var_T", lambda lib, x: x.var(0), transposed(4, 3), covers=("Var",), kind=R),
    OpCase("var_0d_nan", lambda lib, x: x.var(correction=0), normal(), covers=("Var",),
           kind=R),
    OpCase("var_dof_zero_all", lambda lib, x: x.var(correction=2), normal(2),
           covers=("Var",), kind=R, gradcheck=False),
    OpCase("var_dof_negative_all", lambda lib, x: x.var(correction=3), normal(2),
           covers=("Var",), kind=R, gradcheck=False),
    OpCase("var_dof_zero_and_negative_dim", lambda lib, x: (x.var(1, correction=2),
                                                            x.var(0, correction=3)),
           normal(2, 2), covers=("Var",), kind=R, gradcheck=False),
    OpCase("std_dof_zero_dim", lambda lib, x: x.std(0, correction=2), normal(2, 3),
           covers=("Std",), kind=R, gradcheck=False),
    OpCase("std_all", lambda lib, x: x.std(), normal(3, 4), covers=("Std",), kind=R),
    OpCase("std_dim_keepdim", lambda lib, x: lib.std(x, 1, keepdim=True), normal(3, 4),
           covers=("Std",), kind=R),
    OpCase("std_tuple_unbiased_false", lambda lib, x: x.std((0, 1), unbiased=False),
           normal(2, 3, 2), covers=("Std",), kind=R),
    OpCase("std_constant_rows_grad0", lambda lib, x: x.std(1),
           lambda r: [np.array([[1.5, 1.5, 1.5], [2.0, 3.0, 4.5]])], covers=("Std",), kind=R,
           gradcheck=False),
    OpCase("var_mean", lambda lib, x: lib.var_mean(x, 1), normal(3, 4),
           covers=("Var", "Mean"), kind=R),
    OpCase("var_mean_kw", lambda lib, x: lib.var_mean(x, dim=(0, 1), correction=0,
                                                      keepdim=True), normal(2, 3),
           covers=("Var", "Mean"), kind=R),
    OpCase("std_mean", lambda lib, x: lib.std_mean(x), normal(3, 4), covers=("Std", "Mean"),
           kind=R),
    OpCase("std_mean_legacy", lambda lib, x: lib.std_mean(x, 0, False, True), normal(3, 4),
           covers=("Std", "Mean"), kind=R),
]

LSE_CASES = [
    OpCase("logsumexp_dim", lambda lib, x: lib.logsumexp(x, 1), normal(3, 4),
           covers=("LogSumExp",), kind=R),
    OpCase("logsumexp_tuple_keepdim", lambda lib, x: x.logsumexp((0, 2), keepdim=True),
           normal(2, 3, 4), covers=("LogSumExp",), kind=R),
    OpCase("logsumexp_large_stable", lambda lib, x: x.logsumexp(-1),
           lambda r: [r.standard_normal((3, 4)) + 1000.0], covers=("LogSumExp",), kind=R),
    OpCase("logsumexp_neg_large", lambda lib, x: x.logsumexp(0),
           lambda r: [r.standard_normal((3, 4)) - 1000.0], covers=("LogSumExp",), kind=R),
    OpCase("logsumexp_neg_inf", lambda lib, x: x.logsumexp(1),
           lambda r: [np.array([[0.5, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]])],
           covers=("LogSumExp",), kind=R, gradcheck=False),
    OpCase("logsumexp_T", lambda lib, x: x.logsumexp(0), transposed(4, 3),
           covers=("LogSumExp",), kind=R),
    OpCase("logsumexp_0d", lambda lib, x: x.logsumexp(0), normal(), covers=("LogSumExp",),
           kind=R),
    OpCase("logsumexp_size0", lambda lib, x: x.logsumexp(1), normal(3, 0),
           covers=("LogSumExp",), kind=R),
    OpCase("logsumexp_int", lambda lib, x: x.logsumexp(1), ints(3, 4),
           covers=("LogSumExp",), kind=R),
]

NORM_CASES = [
    OpCase("norm_default", lambda lib, x: x.norm(), normal(3, 4), covers=("Norm",), kind=R),
    OpCase("norm_fro_dim_tuple", lambda lib, x: lib.norm(x, "fro", (0, 2)), normal(2, 3, 4),
           covers=("Norm",), kind=R),
    OpCase("norm_p2_dim_keepdim", lambda lib, x: x.norm(2, 1, True), normal(3, 4),
           covers=("Norm",), kind=R),
    OpCase("norm_p1", lambda lib, x: x.norm(p=1, dim=0), normal(3, 4), covers=("Norm",),
           kind=R),
    OpCase("norm_inf", lambda lib, x: x.norm(p=math.inf, dim=1), spaced(3, 4),
           covers=("Norm",), kind=R),
    OpCase("norm_neg_inf", lambda lib, x: x.norm(p=-math.inf), spaced(3, 4),
           covers=("Norm",), kind=R),
    OpCase("norm_inf_ties", lambda lib, x: x.norm(p=math.inf, dim=1),
           lambda r: [np.array([[1.0, -2.0, 2.0], [0.5, -3.0, 1.0]])], covers=("Norm",),
           kind=R, gradcheck=False),
    OpCase("norm_p3", lambda lib, x: lib.norm(x, p=3, dim=-1), normal(3, 4), covers=("Norm",),
           kind=R),
    OpCase("norm_p1_5", lambda lib, x: x.norm(p=1.5), normal(3, 4), covers=("Norm",), kind=R),
    OpCase("norm_p0_5", lambda lib, x: x.norm(p=0.5, dim=1), normal(3, 4), covers=("Norm",),
           kind=R),
    OpCase("norm_p_neg1", lambda lib, x: x.norm(p=-1, dim=0), normal(3, 4), covers=("Norm",),
           kind=R),
    OpCase("norm_p0_count", lambda lib, x: x.norm(p=0, dim=1), with_zeros((3, 4), [0, 5, 6]),
           covers=("Norm",), kind=R, gradcheck=False),
    OpCase("norm_p2_zero_row_grad0", lambda lib, x: x.norm(dim=1),
           lambda r: [np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])], covers=("Norm",),
           kind=R, gradcheck=False),
    OpCase("norm_p3_zero_row_grad0", lambda lib, x: x.norm(p=3, dim=1),
           lambda r: [np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])], covers=("Norm",),
           kind=R, gradcheck=False),
    OpCase("norm_p0_5_zero_entry", lambda lib, x: x.norm(p=0.5, dim=1),
           lambda r: [np.array([[0.0, 1.0, 0.5], [1.0, -2.0, 2.0]])], covers=("Norm",),
           kind=R, gradcheck=False),
    OpCase("norm_T", lambda lib, x: x.norm(dim=0), transposed(4, 3), covers=("Norm",), kind=R),
    OpCase("norm_0d", lambda lib, x: x.norm(p=3), normal(), covers=("Norm",), kind=R),
    OpCase("norm_size0", lambda lib, x: x.norm(dim=0), normal(0, 3), covers=("Norm",), kind=R),
    OpCase("norm_none_keepdim", lambda lib, x: x.norm(keepdim=True), normal(2, 3),
           covers=("Norm",), kind=R),
    OpCase("norm_dtype", lambda lib, x: x.norm(dtype=lib.float64), normal(3, 4),
           covers=("Norm", "Cast"), kind=R, dtypes=(np.float32,)),
    OpCase("norm_nuc", lambda lib, x: x.norm(p="nuc"), normal(3, 4), covers=("NuclearNorm",),
           kind=R),
    OpCase("norm_nuc_batched_keepdim", lambda lib, x: lib.norm(x, "nuc", (0, 2), True),
           normal(3, 2, 4), covers=("NuclearNorm",), kind=R),
]

LOGICAL_CASES = [
    OpCase("all_float", lambda lib, x: x.all(), with_zeros((3, 4), [2]), grad=False),
    OpCase("all_dim", lambda lib, x: lib.all(x, 1), with_zeros((3, 4), [2]), grad=False),
    OpCase("any_dim_keepdim", lambda lib, x: x.any(0, keepdim=True), with_zeros((3, 4), [0, 4, 8]),
           grad=False),
    OpCase("any_tuple", lambda lib, x: lib.any(x, (0, 2)), ints(2, 3, 2, low=0, high=2)),
    OpCase("all_bool", lambda lib, x: (x > 0).all(dim=-1), ints(3, 4, low=0, high=3)),
    OpCase("all_uint8", lambda lib, x: x.all(1), ints(3, 4, low=0, high=3, dtype=np.uint8)),
    OpCase("any_uint8", lambda lib, x: x.any(), ints(3, 4, low=0, high=2, dtype=np.uint8)),
    OpCase("all_size0", lambda lib, x: (x.all(), x.any(), x.all(0)), normal(0, 3), grad=False),
    OpCase("all_0d", lambda lib, x: (x.all(), x.any(0)), normal(), grad=False),
    OpCase("all_empty_tuple_no_reduction", lambda lib, x: x.all(dim=()), ints(2, 3)),
    OpCase("count_nonzero_all", lambda lib, x: lib.count_nonzero(x), with_zeros((3, 4), [1, 7]),
           grad=False),
    OpCase("count_nonzero_dim", lambda lib, x: x.count_nonzero(1), ints(3, 4, low=0, high=2)),
    OpCase("count_nonzero_tuple", lambda lib, x: x.count_nonzero((0, -1)),
           ints(2, 3, 2, low=0, high=2)),
]

CUM_CASES = [
    OpCase("cumsum_dim0", lambda lib, x: lib.cumsum(x, 0), normal(3, 4), covers=("Cumsum",),
           kind=R),
    OpCase("cumsum_neg", lambda lib, x: x.cumsum(dim=-1), normal(2, 3, 4), covers=("Cumsum",),
           kind=R),
    OpCase("cumsum_T", lambda lib, x: x.cumsum(1), transposed(4, 3), covers=("Cumsum",),
           kind=R),
    OpCase("cumsum_0d", lambda lib, x: x.cumsum(0), normal(), covers=("Cumsum",), kind=R),
    OpCase("cumsum_size0", lambda lib, x: x.cumsum(0), normal(0, 3), covers=("Cumsum",),
           kind=R),
    OpCase("cumsum_dtype", lambda lib, x: x.cumsum(0, dtype=lib.float64), normal(3, 4),
           covers=("Cumsum", "Cast"), kind=R, dtypes=(np.float32,)),
    OpCase("cumsum_int32_to_int64", lambda lib, x: x.cumsum(1), ints(3, 4, dtype=np.int32),
           covers=("Cumsum",)),
    OpCase("cumsum_int_keep_dtype", lambda lib, x: x.cumsum(1, dtype=lib.int32),
           ints(3, 4, dtype=np.int32), covers=("Cumsum",)),
    OpCase("cumsum_bool", lambda lib, x: (x > 0).cumsum(0), ints(3, 4), covers=("Cumsum",)),
    OpCase("cumprod_dim", lambda lib, x: lib.cumprod(x, 1), normal(3, 4), covers=("Cumprod",),
           kind=R),
    OpCase("cumprod_one_zero", lambda lib, x: x.cumprod(0), with_zeros((5,), [2]),
           covers=("Cumprod",), kind=R),
    OpCase("cumprod_several_zeros", lambda lib, x: x.cumprod(-1),
           with_zeros((3, 5), [1, 3, 5, 9, 14]), covers=("Cumprod",), kind=R),
    OpCase("cumprod_zero_first_and_last", lambda lib, x: x.cumprod(0),
           with_zeros((4, 3), [0, 1, 11, 3]), covers=("Cumprod",), kind=R),
    OpCase("cumprod_T", lambda lib, x: x.cumprod(0), transposed(4, 3), covers=("Cumprod",),
           kind=R),
    OpCase("cumprod_0d", lambda lib, x: x.cumprod(-1), normal(), covers=("Cumprod",), kind=R),
    OpCase("cumprod_size0", lambda lib, x: x.cumprod(1), normal(3, 0), covers=("Cumprod",),
           kind=R),
    OpCase("cumprod_int", lambda lib, x: x.cumprod(1), ints(3, 4, low=-3, high=4),
           covers=("Cumprod",)),
    OpCase("cumprod_dtype", lambda lib, x: x.cumprod(1, dtype=lib.float64), normal(3, 4),
           covers=("Cumprod", "Cast"), kind=R, dtypes=(np.float32,)),
]

SORT_CASES = [
    OpCase("sort_last", lambda lib, x: x.sort(), normal(3, 5), covers=("ReduceSelect",),
           kind=R),
    OpCase("sort_dim0_desc", lambda lib, x: lib.sort(x, 0, descending=True), normal(4, 3),
           covers=("ReduceSelect",), kind=R),
    OpCase("sort_values_attr_T", lambda lib, x: x.sort(dim=1).values, transposed(5, 3),
           covers=("ReduceSelect",), kind=R),
    OpCase("sort_stable_ties_int", lambda lib, x: x.sort(stable=True), ints(3, 8, low=0, high=3),
           covers=("ReduceSelect",)),
    OpCase("sort_stable_desc_ties_int",
           lambda lib, x: lib.sort(x, dim=0, descending=True, stable=True),
           ints(8, 3, low=0, high=3), covers=("ReduceSelect",)),
    OpCase("sort_nan_last_desc_first", lambda lib, x: (x.sort().values, x.sort(descending=True)),
           lambda r: [np.array([1.0, np.nan, -2.0, 3.0])], grad=False),
    OpCase("sort_0d", lambda lib, x: x.sort(), normal(), covers=("ReduceSelect",), kind=R),
    OpCase("sort_size0", lambda lib, x: x.sort(0), normal(0, 3), covers=("ReduceSelect",),
           kind=R),
    OpCase("sort_bool", lambda lib, x: (x > 0).sort(stable=True), ints(6)),
    OpCase("argsort", lambda lib, x: lib.argsort(x, dim=0), normal(4, 3), grad=False),
    OpCase("argsort_desc_method", lambda lib, x: x.argsort(descending=True), normal(3, 4),
           grad=False),
    OpCase("argsort_stable_int", lambda lib, x: lib.argsort(x, stable=True, descending=True),
           ints(2, 9, low=0, high=3)),
    OpCase("msort", lambda lib, x: lib.msort(x), normal(4, 3), covers=("ReduceSelect",),
           kind=R),
    OpCase("topk", lambda lib, x: x.topk(2), normal(3, 5), covers=("ReduceSelect",), kind=R),
    OpCase("topk_smallest_dim0", lambda lib, x: lib.topk(x, 3, dim=0, largest=False),
           normal(5, 2), covers=("ReduceSelect",), kind=R),
    OpCase("topk_few_passes", lambda lib, x: x.topk(3, dim=1), spaced(2, 100),
           covers=("ReduceSelect",), kind=R),
    OpCase("topk_few_passes_smallest", lambda lib, x: x.topk(4, dim=0, largest=False),
           spaced(90, 2), covers=("ReduceSelect",), kind=R),
    OpCase("topk_partition_path", lambda lib, x: x.topk(20, dim=1), spaced(2, 100),
           covers=("ReduceSelect",), kind=R),
    OpCase("topk_partition_smallest_int", lambda lib, x: x.topk(5, dim=0, largest=False),
           lambda r: [r.permutation(200).reshape(100, 2)], covers=("ReduceSelect",)),
    OpCase("topk_nan_is_largest",
           lambda lib, x: (x.topk(3).values, x.topk(3, largest=False).values),
           lambda r: [np.where(np.arange(80) == 7, np.nan, r.permutation(80) * 0.5)],
           kind=R, grad=False),
    OpCase("topk_with_inf", lambda lib, x: (x.topk(3, dim=1, largest=False), x.topk(2)),
           lambda r: [np.select([np.arange(80) == 9, np.arange(80) == 20],
                                [-np.inf, np.inf], r.permutation(80) * 0.5).reshape(1, 80)],
           kind=R, grad=False),
    OpCase("topk_all_and_zero", lambda lib, x: (x.topk(4).values, x.topk(0)), normal(3, 4),
           covers=("ReduceSelect",), kind=R),
    OpCase("topk_int", lambda lib, x: x.topk(2), lambda r: [r.permutation(12).reshape(3, 4)],
           covers=("ReduceSelect",)),
    OpCase("topk_0d", lambda lib, x: x.topk(1), normal(), covers=("ReduceSelect",), kind=R),
    OpCase("kthvalue", lambda lib, x: x.kthvalue(2), normal(3, 4), covers=("ReduceSelect",),
           kind=R),
    OpCase("kthvalue_dim0_keepdim", lambda lib, x: lib.kthvalue(x, 3, 0, True), normal(4, 3),
           covers=("ReduceSelect",), kind=R),
    OpCase("median_all", lambda lib, x: x.median(), normal(3, 5), covers=("Median",), kind=R),
    OpCase("median_all_even", lambda lib, x: lib.median(x), normal(2, 3), covers=("Median",),
           kind=R),
    OpCase("median_all_ties_split", lambda lib, x: x.median(),
           lambda r: [np.array([3.0, 1.0, 2.0, 2.0, 5.0])], covers=("Median",), kind=R,
           gradcheck=False),
    OpCase("median_all_nan", lambda lib, x: x.median(),
           lambda r: [np.array([3.0, np.nan, 2.0])], covers=("Median",), kind=R, grad=False),
    OpCase("median_dim", lambda lib, x: x.median(1), normal(3, 5), covers=("ReduceSelect",),
           kind=R),
    OpCase("median_dim_even_keepdim", lambda lib, x: lib.median(x, 0, keepdim=True),
           normal(4, 3), covers=("ReduceSelect",), kind=R),
    OpCase("median_dim_nan", lambda lib, x: x.median(1),
           lambda r: [np.array([[3.0, np.nan, 2.0], [1.0, 0.0, 2.0]])], kind=R, grad=False),
    OpCase("median_int", lambda lib, x: (x.median(), x.median(0)),
           lambda r: [r.permutation(12).reshape(3, 4)], covers=("Median", "ReduceSelect")),
    OpCase("median_0d", lambda lib, x: (x.median(), x.median(0)), normal(),
           covers=("Median", "ReduceSelect"), kind=R),
    OpCase("mode_int", lambda lib, x: x.mode(), lambda r: [np.array(
        [[1, 3, 3, 2, 2], [5, 5, 4, 4, 4], [0, 1, 2, 3, 4]])], covers=("ReduceSelect",)),
    OpCase("mode_dim0_keepdim", lambda lib, x: lib.mode(x, 0, keepdim=True),
           lambda r: [np.array([[1, 3], [1, 2], [2, 2], [2, 3], [1, 3]])],
           covers=("ReduceSelect",)),
    OpCase("mode_float_grad", lambda lib, x: x.mode(1),
           lambda r: [np.array([[0.5, 1.5, 0.5, 2.0], [-1.0, 3.0, 3.0, 3.0]])],
           covers=("ReduceSelect",), kind=R, gradcheck=False),
]


@pytest.mark.parametrize("case", SUM_CASES + MEAN_CASES + PROD_CASES, ids=case_id)
def test_sum_mean_prod(case, rng):
    check_case(case, rng)


@pytest.mark.parametrize("case", MAX_CASES, ids=case_id)
def test_max_min(case, rng):
    check_case(case, rng)


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.filterwarnings("ignore:invalid value encountered")  # the harness sums +-inf outputs
@pytest.mark.parametrize("case", VAR_CASES + LSE_CASES + NORM_CASES, ids=case_id)
def test_var_logsumexp_norm(case, rng):
    check_case(case, rng)


@pytest.mark.parametrize("case", LOGICAL_CASES + CUM_CASES, ids=case_id)
def test_logical_cumulative(case, rng):
    check_case(case, rng)


@pytest.mark.parametrize("case", SORT_CASES, ids=case_id)
def test_sort_select(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- errors
def _a(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)


RAISES = [
    ("sum_bad_dim", lambda lib, x: x.sum(5), [_a(3, 4)], r"sum.*range.*got 5"),
    ("sum_dup_dim", lambda lib, x: x.sum((0, -2)), [_a(3, 4)], r"sum.*multiple"),
    ("sum_float_dim", lambda lib, x: x.sum(1.5), [_a(3, 4)], r"sum.*dim"),
    ("mean_int", lambda lib, x: x.mean(), [np.arange(6)], r"mean.*floating.*int64"),
    ("mean_bad_dim", lambda lib, x: x.mean(-3), [_a(3, 4)], r"mean.*range"),
    ("prod_bad_dim", lambda lib, x: x.prod(2), [_a(3, 4)], r"prod.*range"),
    ("prod_tuple_dim", lambda lib, x: x.prod(dim=(0, 1)), [_a(3, 4)], r"prod.*dim"),
    ("max_bad_dim", lambda lib, x: x.max(2), [_a(3, 4)], r"max.*range"),
    ("min_bad_dim", lambda lib, x: x.min(-3), [_a(3, 4)], r"min.*range"),
    ("max_empty", lambda lib, x: x.max(), [_a(0, 3)], r"max.*numel\(\) == 0"),
    ("max_empty_dim", lambda lib, x: x.max(0), [_a(0, 3)], r"max.*dim 0.*non-zero size"),
    ("amax_empty_dim", lambda lib, x: x.amax(0), [_a(0, 3)], r"amax.*non-zero size"),
    ("amin_empty", lambda lib, x: x.amin(), [_a(2, 0)], r"amin.*numel"),
    ("amax_bad_dim", lambda lib, x: x.amax((0, 3)), [_a(3, 4)], r"amax.*range"),
    ("argmax_empty", lambda lib, x: x.argmax(), [_a(0, 3)], r"argmax.*numel"),
    ("argmin_empty_dim", lambda lib, x: x.argmin(0), [_a(0, 3)], r"argmin.*non-zero size"),
    ("argmax_bad_dim", lambda lib, x: x.argmax(2), [_a(3, 4)], r"argmax.*range"),
    ("argmax_bool", lambda lib, x: (x > 1).argmax(), [_a(3, 4)], r"argmax.*bool"),
    ("aminmax_empty", lambda lib, x: x.aminmax(), [_a(0, 3)], r"aminmax.*numel"),
    ("var_int", lambda lib, x: x.var(), [np.arange(6)], r"var.*floating"),
    ("std_bad_dim", lambda lib, x: x.std(3), [_a(3, 4)], r"std.*range"),
    ("var_unbiased_and_correction", lambda lib, x: x.var(0, unbiased=True, correction=1),
     [_a(3, 4)], r"var.*unbiased.*correction"),
    ("logsumexp_bad_dim", lambda lib, x: x.logsumexp(2), [_a(3, 4)], r"logsumexp.*range"),
    ("norm_int", lambda lib, x: x.norm(), [np.arange(6)], r"norm.*floating"),
    ("norm_bad_p", lambda lib, x: x.norm(p="abc"), [_a(3, 4)], r"norm.*abc"),
    ("norm_fro_3dims", lambda lib, x: x.norm(p="fro", dim=(0, 1, 2)), [_a(2, 3, 4)],
     r"norm.*fro"),
    ("norm_nuc_one_dim", lambda lib, x: x.norm(p="nuc", dim=1), [_a(3, 4)], r"norm.*nuc"),
    ("norm_inf_empty", lambda lib, x: x.norm(p=math.inf), [_a(0, 3)], r"norm.*empty"),
    ("norm_bad_dim", lambda lib, x: x.norm(dim=4), [_a(3, 4)], r"norm.*range"),
    ("all_bad_dim", lambda lib, x: x.all(2), [_a(3, 4)], r"all.*range"),
    ("any_bad_dim", lambda lib, x: x.any(-3), [_a(3, 4)], r"any.*range"),
    ("count_nonzero_bad_dim", lambda lib, x: x.count_nonzero(2), [_a(3, 4)],
     r"count_nonzero.*range"),
    ("cumsum_bad_dim", lambda lib, x: x.cumsum(2), [_a(3, 4)], r"cumsum.*range"),
    ("cumsum_float_dim", lambda lib, x: x.cumsum(1.0), [_a(3, 4)], r"cumsum.*dim.*int"),
    ("cumprod_bad_dim", lambda lib, x: lib.cumprod(x, -3), [_a(3, 4)], r"cumprod.*range"),
    ("sort_bad_dim", lambda lib, x: x.sort(2), [_a(3, 4)], r"sort.*range"),
    ("argsort_bad_dim", lambda lib, x: x.argsort(-3), [_a(3, 4)], r"argsort.*range"),
    ("topk_k_too_big", lambda lib, x: x.topk(5), [_a(3, 4)], r"topk.*k out of range.*k=5"),
    ("topk_k_negative", lambda lib, x: x.topk(-1), [_a(3, 4)], r"topk.*out of range"),
    ("topk_bad_dim", lambda lib, x: x.topk(1, dim=2), [_a(3, 4)], r"topk.*range"),
    ("topk_bool", lambda lib, x: (x > 1).topk(1), [_a(3, 4)], r"topk.*bool"),
    ("kthvalue_k_out_of_range", lambda lib, x: x.kthvalue(5), [_a(3, 4)],
     r"kthvalue.*out of range"),
    ("kthvalue_empty", lambda lib, x: x.kthvalue(1, 0), [_a(0, 3)], r"kthvalue.*non-zero"),
    ("median_empty_dim", lambda lib, x: x.median(0), [_a(0, 3)], r"median.*non-zero"),
    ("median_bool", lambda lib, x: (x > 1).median(), [_a(3, 4)], r"median.*bool"),
    ("mode_empty_dim", lambda lib, x: x.mode(0), [_a(0, 3)], r"mode.*non-zero"),
    ("mode_bad_dim", lambda lib, x: x.mode(2), [_a(3, 4)], r"mode.*range"),
]


@pytest.mark.parametrize("fn,inputs,match", [r[1:] for r in RAISES], ids=[r[0] for r in RAISES])
def test_raises(fn, inputs, match):
    check_raises(fn, inputs, match=match)


# ----------------------------------------------------------------------------- semantics
def test_max_dim_returns_namedtuple():
    x = lightgrad.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    out = x.max(dim=1)
    assert isinstance(out, tuple) and len(out) == 2
    values, indices = out
    assert out.values is values and out.indices is indices
    assert out[0] is values and out[1] is indices
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == lightgrad.int64
    assert type(out).__name__ == "max" and type(x.min(0)).__name__ == "min"
    mm = x.aminmax()
    assert (mm.min.item(), mm.max.item()) == (0.0, 7.0)
    s = x.sort(descending=True)
    assert s.values.tolist() == [[5.0, 2.0, 1.0], [7.0, 3.0, 0.0]]
    assert s.indices.tolist() == [[1, 2, 0], [0, 2, 1]]


def test_prod_gradient_with_zeros_exact():
    # d/dx_j prod = product of the others: one zero -> only that position is non-zero
    x = lightgrad.tensor([2.0, 0.0, 3.0, -1.5], requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, -9.0, 0.0, 0.0]
    x = lightgrad.tensor([2.0, 0.0, 3.0, 0.0], requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_cumprod_gradient_with_zeros_exact():
    x = lightgrad.tensor([2.0, 0.0, 3.0, 0.0, 5.0], requires_grad=True)
    x.cumprod(0).backward(lightgrad.ones(5))
    # first zero: sum_{k>=1} cumprod(x with x_1 := 1)_k = 2 + 6 + 0 + 0
    assert x.grad.tolist() == [1.0, 8.0, 0.0, 0.0, 0.0]


def test_amax_tie_split_is_even():
    x = lightgrad.tensor([[1.0, 4.0, 4.0, 4.0]], requires_grad=True)
    x.amax(1).backward(lightgrad.tensor([3.0]))
    assert x.grad.tolist() == [[0.0, 1.0, 1.0, 1.0]]


def test_var_degrees_of_freedom_warns():
    x = lightgrad.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="degrees of freedom"):
        v = x.var(correction=2)
    assert math.isinf(v.item()) or math.isnan(v.item())


def test_outputs_keep_float32():
    x = lightgrad.randn(3, 4, requires_grad=True)
    outs = [x.sum(), x.mean(0), x.prod(1), x.var(), x.std(1), x.logsumexp(1), x.norm(p=3),
            x.norm(p=math.inf), x.cumsum(0), x.cumprod(1), x.amax(0), x.max(1).values,
            x.sort().values, x.topk(2).values, x.median(), x.norm(p="nuc")]
    for o in outs:
        assert o.dtype == lightgrad.float32, o
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == lightgrad.float32


def test_cumsum_inplace_matches_torch():
    a = np.arange(12.0).reshape(3, 4)
    x = lightgrad.tensor(a.copy())
    t = torch.from_numpy(a.copy())
    assert x.cumsum_(1) is x
    t.cumsum_(1)
    np.testing.assert_allclose(x.numpy(), t.numpy())
    x.cumprod_(0)
    t.cumprod_(0)
    np.testing.assert_allclose(x.numpy(), t.numpy())
    # on a non-leaf that requires grad, the in-place op is recorded
    w = np.random.default_rng(0).standard_normal((3, 4))
    x = lightgrad.tensor(w, requires_grad=True)
    t = torch.from_numpy(w.copy()).requires_grad_(True)
    y, u = x * 2.0, t * 2.0
    y.cumprod_(1)
    u.cumprod_(1)
    (y * lightgrad.tensor(w)).sum().backward()
    (u * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10)


def test_methods_attached_like_torch():
    names = ["sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
             "argmax", "argmin", "var", "std", "logsumexp", "norm", "all", "any",
             "count_nonzero", "cumsum", "cumprod", "cumsum_", "cumprod_", "sort", "argsort",
             "msort", "topk", "kthvalue", "median", "mode"]
    for n in names:
        assert hasattr(torch.Tensor, n), n
        assert callable(getattr(lightgrad.Tensor, n)), n
    from lightgrad.ops import reduce

    for n in reduce.__all__:
        assert hasattr(torch, n), n
        assert getattr(lightgrad, n) is getattr(reduce, n), n


def test_indices_outputs_have_no_grad():
    x = lightgrad.randn(3, 4, requires_grad=True)
    for out in (x.max(1), x.sort(), x.topk(2), x.median(0), x.kthvalue(1)):
        assert out.values.requires_grad and not out.indices.requires_grad
    assert not x.argmax().requires_grad and not x.all().requires_grad


# ----------------------------------------------------------------------------- property test
@st.composite
def _shape_and_dims(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    nd = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none" or nd == 0:
        dim = None
    elif kind == "int":
        dim = draw(st.integers(-nd, nd - 1))
    else:
        axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
        dim = tuple(a - nd if draw(st.booleans()) else a for a in axes)
    return shape, dim, draw(st.booleans()), draw(st.sampled_from(["sum", "mean", "var", "std"]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_shape_and_dims(), st.integers(0, 2**31 - 1), st.booleans())
def test_property_against_torch(spec, seed, transpose):
    shape, dim, keepdim, op = spec
    r = np.random.default_rng(seed)
    a = r.standard_normal(shape)
    if transpose and a.ndim >= 2:
        a = np.ascontiguousarray(a.swapaxes(0, -1)).swapaxes(0, -1)  # same shape, strided
    x = lightgrad.tensor(a.copy(), requires_grad=True)
    t = torch.from_numpy(a.copy()).requires_grad_(True)
    kw = {"dim": dim}
    if op in ("var", "std"):
        kw["correction"] = int(r.integers(0, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degrees of freedom <= 0 (both warn)
        lo = getattr(x, op)(keepdim=keepdim, **kw)
        to = getattr(t, op)(keepdim=keepdim, **kw)
    assert tuple(lo.shape) == tuple(to.shape)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-7, atol=1e-7)
    g = r.standard_normal(tuple(to.shape))
    lo.backward(lightgrad.tensor(g))
    to.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-7)
