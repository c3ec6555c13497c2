"""Parity with PyTorch for lightgrad/ops/unary.py: elementwise math, rounding, clamp, where,
maximum/minimum, fmax/fmin, lerp, and their in-place forms."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lightgrad
from tests.helpers import OpCase, case_id, check_case, check_raises

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


# ----------------------------------------------------------------------------- input samplers
def normal(shape):
    return lambda r: [np.asarray(r.standard_normal(shape))]


def uniform(lo, hi, shape):
    return lambda r: [np.asarray(r.uniform(lo, hi, shape))]


def away_from_zero(shape, margin=0.2):
    return lambda r: [np.asarray(r.choice([-1.0, 1.0], shape) * r.uniform(margin, 2.0, shape))]


def away_from_integers(shape, lo=0.1, hi=0.9):
    """Non-integers (fractional part in [lo, hi]): rounding ops are flat there."""
    return lambda r: [np.asarray(r.integers(-4, 4, shape) + r.uniform(lo, hi, shape))]


def away_from_halves(shape):
    """Fractional parts away from 0 and 0.5: ``round`` is flat there."""
    return lambda r: [np.asarray(r.integers(-4, 4, shape) + r.choice([0.2, 0.75], shape)
                                 + r.uniform(-0.1, 0.1, shape))]


def transposed(sampler):
    """The same sampler on a transposed (non-contiguous) array."""
    return lambda r: [a.T for a in sampler(r)]


# name, sampler(shape) for values in the domain, Function, int inputs accepted by the domain
FLOAT_OPS = [
    ("exp", normal, "Exp", True),
    ("exp2", normal, "Exp2", True),
    ("expm1", normal, "Expm1", True),
    ("log", lambda s: uniform(0.3, 3.0, s), "Log", True),
    ("log2", lambda s: uniform(0.3, 3.0, s), "Log2", True),
    ("log10", lambda s: uniform(0.3, 3.0, s), "Log10", True),
    ("log1p", lambda s: uniform(-0.6, 3.0, s), "Log1p", True),
    ("sqrt", lambda s: uniform(0.3, 3.0, s), "Sqrt", True),
    ("rsqrt", lambda s: uniform(0.3, 3.0, s), "Rsqrt", True),
    ("reciprocal", away_from_zero, "Reciprocal", True),
    ("sin", normal, "Sin", True),
    ("cos", normal, "Cos", True),
    ("tan", lambda s: uniform(-1.2, 1.2, s), "Tan", True),
    ("asin", lambda s: uniform(-0.85, 0.85, s), "Asin", False),
    ("acos", lambda s: uniform(-0.85, 0.85, s), "Acos", False),
    ("atan", normal, "Atan", True),
    ("sinh", normal, "Sinh", True),
    ("cosh", normal, "Cosh", True),
    ("asinh", normal, "Asinh", True),
    ("acosh", lambda s: uniform(1.2, 3.0, s), "Acosh", False),
    ("atanh", lambda s: uniform(-0.85, 0.85, s), "Atanh", False),
    ("erf", lambda s: uniform(-3.0, 3.0, s), "Erf", True),
    ("erfc", lambda s: uniform(-3.0, 3.0, s), "Erfc", True),
]


def _float_op_cases():
    cases = []
    for name, sampler, fn_cls, int_ok in FLOAT_OPS:
        cov = (fn_cls,)
        f = (lambda n: lambda lib, x: getattr(lib, n)(x))(name)
        m = (lambda n: lambda lib, x: getattr(x, n)())(name)
        cases += [
            OpCase(name, f, sampler((3, 4)), covers=cov),
            OpCase(f"{name}_method_T", m, transposed(sampler((4, 3))), covers=cov),
            OpCase(f"{name}_0d", f, sampler(()), covers=cov),
            OpCase(f"{name}_size0", f, sampler((0, 3)), covers=cov),
        ]
        if int_ok:  # integers promote to the default float dtype
            lo = 1 if name in ("log", "log2", "log10", "sqrt", "rsqrt", "reciprocal") else -2
            cases.append(OpCase(f"{name}_int", f, lambda r, lo=lo: [r.integers(lo, 3, (2, 3))],
                                covers=cov))
    return cases


FLOAT_CASES = _float_op_cases() + [
    OpCase("arcsin_alias", lambda lib, x: lib.arcsin(x), uniform(-0.8, 0.8, (5,)),
           covers=("Asin",)),
    OpCase("arccos_alias", lambda lib, x: lib.arccos(x), uniform(-0.8, 0.8, (5,)),
           covers=("Acos",)),
    OpCase("arctan_alias", lambda lib, x: lib.arctan(x), normal((5,)), covers=("Atan",)),
    OpCase("arcsinh_alias", lambda lib, x: lib.arcsinh(x), normal((5,)), covers=("Asinh",)),
    OpCase("arccosh_alias", lambda lib, x: lib.arccosh(x), uniform(1.2, 2, (5,)),
           covers=("Acosh",)),
    OpCase("arctanh_alias", lambda lib, x: lib.arctanh(x), uniform(-0.8, 0.8, (5,)),
           covers=("Atanh",)),
    # the erf/erfc tails and the branch boundary at |x| = 1
    OpCase("erf_tails", lambda lib, x: lib.erf(x),
           lambda r: [np.array([-6.0, -3.5, -1.0001, -0.9999, 0.0, 0.9999, 1.0001, 4.5, 7.0])],
           covers=("Erf",)),
    OpCase("erfc_tails", lambda lib, x: lib.erfc(x),
           lambda r: [np.array([-6.0, -2.5, -1.0001, -0.5, 0.25, 1.0001, 3.0, 5.5, 9.0])],
           covers=("Erfc",)),
    OpCase("exp_bool", lambda lib, x: lib.exp(x), lambda r: [r.random((3,)) > 0.5],
           covers=("Exp",)),
    OpCase("sqrt_bool", lambda lib, x: lib.sqrt(x), lambda r: [r.random((3,)) > 0.5],
           covers=("Sqrt",)),
    OpCase("log_edges", lambda lib, x: lib.log(x), lambda r: [np.array([0.0, -1.0, 2.0])],
           covers=("Log",), grad=False),
    OpCase("sqrt_negative_nan", lambda lib, x: lib.sqrt(x), lambda r: [np.array([-1.0, 4.0])],
           covers=("Sqrt",), grad=False),
]

SIGN_CASES = [
    OpCase("abs", lambda lib, x: lib.abs(x), away_from_zero((3, 4)), covers=("Abs",)),
    OpCase("absolute_T", lambda lib, x: lib.absolute(x), transposed(away_from_zero((4, 3))),
           covers=("Abs",)),
    OpCase("abs_builtin", lambda lib, x: abs(x), away_from_zero((2, 3)), covers=("Abs",)),
    OpCase("abs_method_0d", lambda lib, x: x.abs(), away_from_zero(()), covers=("Abs",)),
    OpCase("abs_size0", lambda lib, x: lib.abs(x), away_from_zero((2, 0)), covers=("Abs",)),
    OpCase("abs_int", lambda lib, x: lib.abs(x), lambda r: [r.integers(-5, 5, (4,))],
           covers=("Abs",)),
    OpCase("sign", lambda lib, x: lib.sign(x), away_from_zero((3, 4)), covers=("Sign",)),
    OpCase("sign_zero", lambda lib, x: lib.sign(x), lambda r: [np.array([-2.0, 0.0, 3.0])],
           covers=("Sign",), gradcheck=False),  # sign jumps at 0
    OpCase("sgn_method_T", lambda lib, x: x.sgn(), transposed(away_from_zero((4, 3))),
           covers=("Sign",)),
    OpCase("sign_int", lambda lib, x: lib.sign(x), lambda r: [r.integers(-3, 3, (5,))],
           covers=("Sign",)),
    OpCase("sign_bool", lambda lib, x: lib.sign(x), lambda r: [r.random((4,)) > 0.5]),
    OpCase("square", lambda lib, x: lib.square(x), normal((3, 4)), covers=("Square",)),
    OpCase("square_method_T", lambda lib, x: x.square(), transposed(normal((4, 3))),
           covers=("Square",)),
    OpCase("square_0d", lambda lib, x: lib.square(x), normal(()), covers=("Square",)),
    OpCase("square_int", lambda lib, x: lib.square(x), lambda r: [r.integers(-5, 5, (4,))],
           covers=("Square",)),
    OpCase("square_bool", lambda lib, x: lib.square(x), lambda r: [r.random((4,)) > 0.5],
           covers=("Square",)),
]

ROUNDING_CASES = [
    OpCase("floor", lambda lib, x: lib.floor(x), away_from_integers((3, 4)), covers=("Floor",)),
    OpCase("floor_method_T", lambda lib, x: x.floor(), transposed(away_from_integers((4, 3))),
           covers=("Floor",)),
    OpCase("floor_0d", lambda lib, x: lib.floor(x), away_from_integers(()), covers=("Floor",)),
    OpCase("floor_int", lambda lib, x: lib.floor(x), lambda r: [r.integers(-5, 5, (4,))]),
    OpCase("ceil", lambda lib, x: lib.ceil(x), away_from_integers((3, 4)), covers=("Ceil",)),
    OpCase("ceil_size0", lambda lib, x: x.ceil(), away_from_integers((0,)), covers=("Ceil",)),
    OpCase("ceil_int", lambda lib, x: lib.ceil(x), lambda r: [r.integers(-5, 5, (4,))]),
    OpCase("trunc", lambda lib, x: lib.trunc(x), away_from_integers((3, 4)), covers=("Trunc",)),
    OpCase("fix_method_T", lambda lib, x: x.fix(), transposed(away_from_integers((4, 3))),
           covers=("Trunc",)),
    OpCase("trunc_int", lambda lib, x: lib.trunc(x), lambda r: [r.integers(-5, 5, (4,))]),
    OpCase("round", lambda lib, x: lib.round(x), away_from_halves((3, 4)), covers=("Round",)),
    OpCase("round_halves_to_even", lambda lib, x: lib.round(x),
           lambda r: [np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])], covers=("Round",),
           gradcheck=False),  # exactly on the jumps
    OpCase("round_decimals2", lambda lib, x: lib.round(x, decimals=2),
           lambda r: [away_from_halves((3, 4))(r)[0] / 100], covers=("Round",)),
    OpCase("round_decimals_neg", lambda lib, x: x.round(decimals=-1),
           lambda r: [away_from_halves((5,))(r)[0] * 10], covers=("Round",)),
    OpCase("round_0d", lambda lib, x: lib.round(x), away_from_halves(()), covers=("Round",)),
    OpCase("round_int", lambda lib, x: lib.round(x), lambda r: [r.integers(-5, 5, (4,))]),
    OpCase("frac", lambda lib, x: lib.frac(x), away_from_integers((3, 4)), covers=("Frac",)),
    OpCase("frac_method_T", lambda lib, x: x.frac(), transposed(away_from_integers((4, 3))),
           covers=("Frac",)),
    OpCase("frac_0d", lambda lib, x: lib.frac(x), away_from_integers(()), covers=("Frac",)),
]


def clamp_inputs(shape, lo=-1.0, hi=1.0):
    """Values at least 0.1 away from the bounds, on both sides of each."""
    def sample(r):
        a = r.choice([lo - 1.0, (lo + hi) / 2, hi + 1.0], shape)
        return [np.asarray(a + r.uniform(-0.4, 0.4, shape))]
    return sample


def clamp_tensor_inputs(r):
    lo = r.uniform(-1.2, -0.8, (3, 1))
    hi = r.uniform(0.8, 1.2, (4,))
    x = r.choice([-2.0, 0.0, 2.0], (3, 4)) + r.uniform(-0.4, 0.4, (3, 4))
    return [x, lo, hi]


CLAMP_CASES = [
    OpCase("clamp", lambda lib, x: lib.clamp(x, -1, 1), clamp_inputs((3, 4)), covers=("Clamp",)),
    OpCase("clamp_kw_floats", lambda lib, x: lib.clamp(x, min=-1.0, max=1.0),
           clamp_inputs((3, 4)), covers=("Clamp",)),
    OpCase("clamp_min_only", lambda lib, x: lib.clamp(x, min=-1.0), clamp_inputs((3, 4)),
           covers=("Clamp",)),
    OpCase("clamp_max_only_T", lambda lib, x: x.clamp(max=1.0), transposed(clamp_inputs((4, 3))),
           covers=("Clamp",)),
    OpCase("clip_alias", lambda lib, x: lib.clip(x, -1, 1), clamp_inputs((5,)),
           covers=("Clamp",)),
    OpCase("clip_method", lambda lib, x: x.clip(-1, 1), clamp_inputs((5,)), covers=("Clamp",)),
    OpCase("clamp_min_fn", lambda lib, x: lib.clamp_min(x, -1.0), clamp_inputs((2, 3)),
           covers=("Clamp",)),
    OpCase("clamp_max_method", lambda lib, x: x.clamp_max(1.0), clamp_inputs((2, 3)),
           covers=("Clamp",)),
    OpCase("clamp_0d", lambda lib, x: lib.clamp(x, -1, 1), clamp_inputs(()), covers=("Clamp",)),
    OpCase("clamp_size0", lambda lib, x: lib.clamp(x, -1, 1), clamp_inputs((0, 2)),
           covers=("Clamp",)),
    OpCase("clamp_min_gt_max", lambda lib, x: lib.clamp(x, 2.0, 1.0), clamp_inputs((6,)),
           covers=("Clamp",)),
    OpCase("clamp_int", lambda lib, x: lib.clamp(x, -2, 3), lambda r: [r.integers(-5, 5, (6,))],
           covers=("Clamp",)),
    OpCase("clamp_int_float_bound", lambda lib, x: lib.clamp(x, min=0.5),
           lambda r: [r.integers(-5, 5, (6,))], covers=("Clamp",)),
    OpCase("clamp_tensor_bounds_broadcast", lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
           clamp_tensor_inputs, covers=("Clamp",)),
    OpCase("clamp_tensor_min_only", lambda lib, x, lo, hi: lib.clamp(x, min=lo),
           clamp_tensor_inputs, covers=("Clamp",)),
    OpCase("clamp_tensor_max_scalar_min", lambda lib, x, hi: lib.clamp(x, -1.0, hi),
           lambda r: [clamp_inputs((3, 4))(r)[0], r.uniform(0.8, 1.2, (4,))],
           covers=("Clamp",),  # torch takes no number/tensor mix: give it a 0-d tensor
           torch_fn=lambda lib, x, hi: lib.clamp(x, lib.tensor(-1.0, dtype=x.dtype), hi)),
    OpCase("clamp_tensor_min_gt_max", lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
           lambda r: [r.standard_normal((2, 3)), r.uniform(1.5, 2, (2, 3)),
                      r.uniform(0.5, 1, (2, 3))], covers=("Clamp",)),
    OpCase("clamp_tensor_bound_grows_shape", lambda lib, x, lo: lib.clamp(x, min=lo),
           lambda r: [r.uniform(1.0, 2.0, (3,)), r.uniform(-3.0, -2.5, (2, 3))],
           covers=("Clamp",)),
    OpCase("clamp_0d_f64_bound_keeps_f32", lambda lib, x, lo: lib.clamp(x, min=lo.double()),
           lambda r: [clamp_inputs((4,))(r)[0], np.array(-1.0)], covers=("Clamp", "Cast"),
           dtypes=(np.float32,)),
]


def cond_inputs(r, cshape=(3, 4), ashape=(3, 4), bshape=(3, 4)):
    return [np.asarray(r.random(cshape) > 0.5), np.asarray(r.standard_normal(ashape)),
            np.asarray(r.standard_normal(bshape))]


WHERE_CASES = [
    OpCase("where", lambda lib, c, a, b: lib.where(c, a, b), cond_inputs, covers=("Where",)),
    OpCase("where_broadcast", lambda lib, c, a, b: lib.where(c, a, b),
           lambda r: cond_inputs(r, (3, 1), (4,), (2, 1, 1)), covers=("Where",)),
    OpCase("where_T", lambda lib, c, a, b: lib.where(c, a, b),
           lambda r: [a.T for a in cond_inputs(r, (4, 3), (4, 3), (4, 3))], covers=("Where",)),
    OpCase("where_method", lambda lib, c, a, b: a.where(c, b), cond_inputs, covers=("Where",)),
    OpCase("where_scalar_other", lambda lib, c, a: lib.where(c, a, 0.0),
           lambda r: cond_inputs(r)[:2], covers=("Where",)),
    OpCase("where_scalar_input", lambda lib, c, b: lib.where(c, 2, b),
           lambda r: [cond_inputs(r)[0], r.standard_normal((3, 4))], covers=("Where",)),
    OpCase("where_two_scalars", lambda lib, c: lib.where(c, 1.0, 0),
           lambda r: [r.random((5,)) > 0.5]),
    OpCase("where_two_int_scalars", lambda lib, c: lib.where(c, 3, -1),
           lambda r: [r.random((5,)) > 0.5]),
    OpCase("where_int_float_promotes", lambda lib, c, a, b: lib.where(c, a, b),
           lambda r: [r.random((4,)) > 0.5, r.integers(0, 5, (4,)), r.standard_normal((4,))],
           covers=("Where",)),
    OpCase("where_f32_f64_promotes", lambda lib, c, a, b: lib.where(c, a, b.double()),
           cond_inputs, covers=("Where", "Cast"), dtypes=(np.float32,)),
    OpCase("where_0d", lambda lib, c, a, b: lib.where(c, a, b),
           lambda r: cond_inputs(r, (), (), ()), covers=("Where",)),
    OpCase("where_size0", lambda lib, c, a, b: lib.where(c, a, b),
           lambda r: cond_inputs(r, (0, 3), (0, 3), (3,)), covers=("Where",)),
    OpCase("where_nonzero_form", lambda lib, c: lib.where(c),
           lambda r: [r.random((3, 4)) > 0.5]),
]


def no_ties(shape_a, shape_b):
    def sample(r):
        a = np.asarray(r.standard_normal(shape_a))
        b = np.asarray(r.standard_normal(shape_b))
        gap = np.abs(a - b)
        assert gap.size == 0 or gap.min() > 1e-4  # gradcheck needs a clear winner
        return [a, b]
    return sample


def with_ties(r):
    return [r.integers(0, 3, (3, 4)).astype(np.float64), r.integers(0, 3, (3, 4)).astype(float)]


MINMAX_CASES = [
    OpCase("maximum", lambda lib, a, b: lib.maximum(a, b), no_ties((3, 4), (3, 4)),
           covers=("Maximum",)),
    OpCase("maximum_broadcast", lambda lib, a, b: lib.maximum(a, b), no_ties((3, 1), (4,)),
           covers=("Maximum",)),
    OpCase("maximum_method_T", lambda lib, a, b: a.T.maximum(b.T), no_ties((4, 3), (4, 3)),
           covers=("Maximum",)),
    OpCase("maximum_0d", lambda lib, a, b: lib.maximum(a, b), no_ties((), (3,)),
           covers=("Maximum",)),
    OpCase("maximum_size0", lambda lib, a, b: lib.maximum(a, b), no_ties((0, 2), (2,)),
           covers=("Maximum",)),
    # ties: gradient split half/half; numerically the kink itself, so no gradcheck
    OpCase("maximum_ties", lambda lib, a, b: lib.maximum(a, b), with_ties,
           covers=("Maximum",), gradcheck=False),
    OpCase("maximum_int", lambda lib, a, b: lib.maximum(a, b),
           lambda r: [r.integers(-3, 3, (4,)), r.integers(-3, 3, (4,))], covers=("Maximum",)),
    OpCase("maximum_int_float", lambda lib, a, b: lib.maximum(a, b),
           lambda r: [r.integers(-3, 3, (4,)), r.standard_normal((4,)) + 0.5],
           covers=("Maximum",)),
    OpCase("minimum", lambda lib, a, b: lib.minimum(a, b), no_ties((3, 4), (3, 4)),
           covers=("Minimum",)),
    OpCase("minimum_broadcast_method", lambda lib, a, b: a.minimum(b), no_ties((2, 1, 3), (4, 1)),
           covers=("Minimum",)),
    OpCase("minimum_ties", lambda lib, a, b: lib.minimum(a, b), with_ties,
           covers=("Minimum",), gradcheck=False),
    OpCase("minimum_f32_f64", lambda lib, a, b: lib.minimum(a, b.double()),
           no_ties((3,), (3,)), covers=("Minimum", "Cast"), dtypes=(np.float32,)),
    OpCase("fmax", lambda lib, a, b: lib.fmax(a, b), no_ties((3, 4), (4,)), covers=("Fmax",)),
    OpCase("fmax_nan", lambda lib, a, b: lib.fmax(a, b),
           lambda r: [np.array([np.nan, 1.0, -2.0, np.nan]), np.array([0.5, np.nan, 3.0, np.nan])],
           covers=("Fmax",), gradcheck=False),  # finite differences of NaN are NaN
    OpCase("fmax_method_ties", lambda lib, a, b: a.fmax(b), with_ties, covers=("Fmax",),
           gradcheck=False),
    OpCase("fmin", lambda lib, a, b: lib.fmin(a, b), no_ties((3, 4), (3, 4)), covers=("Fmin",)),
    OpCase("fmin_nan_method", lambda lib, a, b: a.fmin(b),
           lambda r: [np.array([np.nan, 1.0, -2.0, 4.0]), np.array([0.5, np.nan, 3.0, 2.0])],
           covers=("Fmin",)),
    OpCase("maximum_nan_propagates", lambda lib, a, b: lib.maximum(a, b),
           lambda r: [np.array([np.nan, 1.0]), np.array([0.5, np.nan])], covers=("Maximum",),
           grad=False),
]

LERP_CASES = [
    OpCase("lerp_scalar_weight", lambda lib, a, b: lib.lerp(a, b, 0.3),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal((3, 4))], covers=("Lerp",)),
    OpCase("lerp_tensor_weight", lambda lib, a, b, w: lib.lerp(a, b, w),
           lambda r: [r.standard_normal((3, 4)), r.standard_normal((3, 4)), r.random((3, 4))],
           covers=("Lerp",)),
    OpCase("lerp_broadcast", lambda lib, a, b, w: lib.lerp(a, b, w),
           lambda r: [r.standard_normal((2, 1)), r.standard_normal((3,)), r.random((4, 1, 1))],
           covers=("Lerp",)),
    OpCase("lerp_method_T_int_weight", lambda lib, a, b: a.T.lerp(b, 1),
           lambda r: [r.standard_normal((4, 3)), r.standard_normal((3, 4))], covers=("Lerp",)),
    OpCase("lerp_0d", lambda lib, a, b, w: lib.lerp(a, b, w),
           lambda r: [r.standard_normal(()), r.standard_normal(()), r.random(())],
           covers=("Lerp",)),
    OpCase("lerp_size0", lambda lib, a, b: lib.lerp(a, b, 0.5),
           lambda r: [r.standard_normal((0, 2)), r.standard_normal((2,))], covers=("Lerp",)),
    OpCase("lerp_0d_f64_weight", lambda lib, a, b, w: lib.lerp(a, b, w.double()),
           lambda r: [r.standard_normal((3,)), r.standard_normal((3,)), r.random(())],
           covers=("Lerp", "Cast"), dtypes=(np.float32,)),
]


def _inplace(name, *args, **kwargs):
    """``(x * 1).name_(*args)``: in place on a non-leaf, so the gradient flows through."""
    return lambda lib, x: getattr(x * 1, name + "_")(*args, **kwargs)


INPLACE_CASES = [
    OpCase("exp_", _inplace("exp"), normal((3, 4)), covers=("Exp",)),
    OpCase("log_", _inplace("log"), uniform(0.5, 2, (3,)), covers=("Log",)),
    OpCase("sqrt_", _inplace("sqrt"), uniform(0.5, 2, (3,)), covers=("Sqrt",)),
    OpCase("abs_", _inplace("abs"), away_from_zero((3,)), covers=("Abs",)),
    OpCase("sin_", _inplace("sin"), normal((3,)), covers=("Sin",)),
    OpCase("square_", _inplace("square"), normal((3,)), covers=("Square",)),
    OpCase("reciprocal_", _inplace("reciprocal"), away_from_zero((3,)), covers=("Reciprocal",)),
    OpCase("floor_", _inplace("floor"), away_from_integers((3,)), covers=("Floor",)),
    OpCase("round_decimals_", _inplace("round", decimals=1),
           lambda r: [away_from_halves((3,))(r)[0] / 10], covers=("Round",)),
    OpCase("clamp_", _inplace("clamp", -1, 1), clamp_inputs((3, 4)), covers=("Clamp",)),
    OpCase("clamp_min_", _inplace("clamp_min", -1), clamp_inputs((3, 4)), covers=("Clamp",)),
    OpCase("clip_tensor_", lambda lib, x, lo: (x * 1).clip_(min=lo),
           lambda r: [clamp_inputs((3, 4))(r)[0], r.uniform(-1.1, -0.9, (4,))],
           covers=("Clamp",)),
    OpCase("lerp_", lambda lib, a, b: (a * 1).lerp_(b, 0.25),
           lambda r: [r.standard_normal((3,)), r.standard_normal((3,))], covers=("Lerp",)),
    OpCase("exp_toplevel_", lambda lib, x: lib.exp_(x * 1), normal((3,)), covers=("Exp",)),
    OpCase("clamp_toplevel_", lambda lib, x: lib.clamp_(x * 1, max=1.0), clamp_inputs((4,)),
           covers=("Clamp",)),
    OpCase("abs_int_", lambda lib, x: x.abs_(), lambda r: [r.integers(-5, 5, (4,))]),
    OpCase("trunc_int_", lambda lib, x: x.trunc_(), lambda r: [r.integers(-5, 5, (4,))]),
]


@pytest.mark.parametrize("case", FLOAT_CASES + SIGN_CASES + ROUNDING_CASES + CLAMP_CASES
                         + WHERE_CASES + MINMAX_CASES + LERP_CASES + INPLACE_CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- bad input
def f32(*shape):
    return np.ones(shape, np.float32)


RAISES = [
    ("abs_bool", lambda lib, x: lib.abs(x), [np.array([True, False])], "abs"),
    ("floor_bool", lambda lib, x: lib.floor(x), [np.array([True])], "floor"),
    ("frac_int", lambda lib, x: lib.frac(x), [np.array([1, 2])], "frac.*int64"),
    ("round_int_decimals", lambda lib, x: lib.round(x, decimals=1), [np.array([1, 2])],
     "round.*decimals"),
    ("exp_string", lambda lib: lib.exp("abc"), [], "exp"),
    ("clamp_no_bounds", lambda lib, x: lib.clamp(x), [f32(3)], "clamp.*min.*max"),
    ("clamp_bound_shape", lambda lib, x, lo: lib.clamp(x, min=lo), [f32(3), f32(2)],
     r"clamp.*\(3,\).*\(2,\)"),
    ("clamp_int_inplace_float_bound", lambda lib, x: x.clamp_(min=0.5), [np.array([1, 2])],
     "clamp_"),
    ("where_float_condition", lambda lib, c, x: lib.where(c, x, 0.0), [f32(3), f32(3)],
     "where.*boolean.*float32"),
    ("where_shapes", lambda lib, c, x, y: lib.where(c, x, y),
     [np.array([True, False]), f32(3), f32(3)], r"where.*\(2,\)"),
    ("maximum_shapes", lambda lib, a, b: lib.maximum(a, b), [f32(2), f32(3)],
     r"maximum.*\(2,\).*\(3,\)"),
    ("lerp_end_dtype", lambda lib, a, b: lib.lerp(a, b.double(), 0.5), [f32(2), f32(2)],
     "lerp.*end.*float64"),
    ("lerp_weight_dtype", lambda lib, a, b, w: lib.lerp(a, b, w.double()),
     [f32(2), f32(2), f32(2)], "lerp.*weight.*float64"),
    ("lerp_int", lambda lib, a, b: lib.lerp(a, b, 0.5), [np.array([1]), np.array([2])],
     "lerp.*int64"),
    ("lerp_shapes", lambda lib, a, b: lib.lerp(a, b, 0.5), [f32(2), f32(3)], r"lerp.*\(2,\)"),
    ("exp_int_inplace", lambda lib, x: x.exp_(), [np.array([1, 2])], "exp_.*float32.*int64"),
]


@pytest.mark.parametrize("row", RAISES, ids=[r[0] for r in RAISES])
def test_raises(row):
    _, fn, inputs, match = row
    check_raises(fn, inputs, match=match)


def test_inplace_on_leaf_requiring_grad_raises():
    for name in ("exp_", "abs_", "clamp_", "round_", "sqrt_"):
        x = lightgrad.tensor([1.0, 2.0], requires_grad=True)
        args = (0.0, 1.5) if name == "clamp_" else ()
        with pytest.raises(RuntimeError, match=f"{name}.*leaf"):
            getattr(x, name)(*args)


def test_inplace_writes_into_the_buffer_and_views():
    base = lightgrad.tensor([[0.0, 1.0], [2.0, 3.0]])
    row = base[1]
    row.exp_()
    np.testing.assert_allclose(base.numpy()[1], np.exp([2.0, 3.0]), rtol=1e-6)
    x = lightgrad.tensor([-2.0, 0.5, 3.0])
    v = x._version
    assert x.clamp_(-1, 1) is x
    assert x._version == v + 1
    np.testing.assert_array_equal(x.numpy(), [-1.0, 0.5, 1.0])


def test_inplace_after_save_is_detected():
    x = lightgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # Exp saves its output
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_gradient_free_ops_give_zero_gradient():
    x = lightgrad.tensor([0.3, 1.7, -2.2], requires_grad=True)
    (x.floor() + x.ceil() + x.round() + x.trunc() + x.sign()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3, np.float32))


def test_dtypes_follow_torch():
    i = lightgrad.tensor([1, 2])
    assert lightgrad.exp(i).dtype == lightgrad.float32
    assert lightgrad.sqrt(i).dtype == lightgrad.float32
    assert lightgrad.abs(i).dtype == lightgrad.int64
    assert lightgrad.square(i).dtype == lightgrad.int64
    assert lightgrad.clamp(i, 0, 1).dtype == lightgrad.int64
    assert lightgrad.clamp(i, 0.5).dtype == lightgrad.float32
    lightgrad.set_default_dtype(lightgrad.float64)
    try:
        assert lightgrad.exp(i).dtype == lightgrad.float64
    finally:
        lightgrad.set_default_dtype(lightgrad.float32)


def test_no_numpy_warnings_on_domain_edges():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (lightgrad.log, lightgrad.log2, lightgrad.log10, lightgrad.sqrt,
                   lightgrad.rsqrt, lightgrad.reciprocal, lightgrad.asin, lightgrad.acos,
                   lightgrad.acosh, lightgrad.atanh, lambda t: lightgrad.log1p(t - 1)):
            x = lightgrad.tensor([0.0, -1.0, 2.0], requires_grad=True)
            fn(x).sum().backward()


# ----------------------------------------------------------------------------- properties
floats = st.floats(-50, 50, allow_nan=False, width=64)


@settings(max_examples=60, deadline=None)
@given(st.lists(floats, min_size=1, max_size=20))
def test_erf_matches_math(values):
    x = np.array(values)
    got = lightgrad.erf(lightgrad.tensor(x)).numpy()
    np.testing.assert_allclose(got, [math.erf(v) for v in values], rtol=1e-14, atol=1e-15)
    gotc = lightgrad.erfc(lightgrad.tensor(x)).numpy()
    # erfc's relative error grows like x^2 eps in the far tail (exp(-x^2) rounding)
    np.testing.assert_allclose(gotc, [math.erfc(v) for v in values], rtol=1e-9, atol=1e-300)


@settings(max_examples=40, deadline=None)
@given(st.lists(floats, min_size=1, max_size=20), floats, floats)
def test_clamp_stays_in_bounds_and_matches_torch(values, lo, hi):
    x = np.array(values)
    got = lightgrad.clamp(lightgrad.tensor(x), lo, hi).numpy()
    np.testing.assert_array_equal(got, torch.clamp(torch.from_numpy(x), lo, hi).numpy())
    if lo <= hi:
        assert ((got >= lo) & (got <= hi)).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False, width=32), min_size=1, max_size=20),
       st.integers(-2, 3))
def test_round_matches_torch(values, decimals):
    x = np.array(values, np.float32)
    got = lightgrad.round(lightgrad.tensor(x), decimals=decimals).numpy()
    want = torch.round(torch.from_numpy(x), decimals=decimals).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
