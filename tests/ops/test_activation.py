"""Parity with PyTorch for lightgrad/ops/activation.py: activations, softmax family, one_hot,
their in-place forms, and stability/property checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lightgrad
from tests.helpers import OpCase, case_id, check_case, check_raises

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


# ----------------------------------------------------------------------------- input samplers
def normal(shape, scale=1.0):
    return lambda r: [np.asarray(r.standard_normal(shape) * scale)]


def away_from(shape, kinks, margin=0.1, spread=3.0):
    """Values in ``[-spread, spread]`` at least ``margin`` away from every kink."""
    def sample(r):
        x = r.uniform(-spread, spread, shape)
        for k in kinks:
            close = np.abs(x - k) < margin
            x = np.where(close, k + np.sign(x - k + 1e-12) * (margin + 0.05), x)
        return [np.asarray(x)]
    return sample


def transposed(sampler):
    return lambda r: [a.T for a in sampler(r)]


def F(name, *args, **kwargs):
    """``lib.nn.functional.name(x, *args, **kwargs)``."""
    return lambda lib, x: getattr(lib.nn.functional, name)(x, *args, **kwargs)


def variants(name, fn_cls, sampler, call=None, ints=False, kind="elementwise", **kw):
    """The base row plus transposed, 0-d, size-0 (and integer) variants of one activation."""
    call = call or F(name)
    cov = (fn_cls,)
    rows = [
        OpCase(name, call, sampler((3, 4)), covers=cov, kind=kind, **kw),
        OpCase(f"{name}_T", call, transposed(sampler((4, 3))), covers=cov, kind=kind, **kw),
        OpCase(f"{name}_0d", call, sampler(()), covers=cov, kind=kind, **kw),
        OpCase(f"{name}_size0", call, sampler((2, 0)), covers=cov, kind=kind, **kw),
    ]
    if ints:
        rows.append(OpCase(f"{name}_int", call, lambda r: [r.integers(-4, 5, (2, 3))],
                           covers=cov, kind=kind, **kw))
    return rows


ACTIVATION_CASES = [
    *variants("sigmoid", "Sigmoid", normal, lambda lib, x: lib.sigmoid(x), ints=True),
    OpCase("sigmoid_method_large", lambda lib, x: x.sigmoid(),
           lambda r: [np.array([-200.0, -40.0, -5.0, 0.0, 5.0, 40.0, 200.0])],
           covers=("Sigmoid",)),
    OpCase("sigmoid_functional", F("sigmoid"), normal((5,)), covers=("Sigmoid",)),
    *variants("tanh", "Tanh", normal, lambda lib, x: lib.tanh(x), ints=True),
    OpCase("tanh_method_functional", lambda lib, x: lib.nn.functional.tanh(x).tanh(),
           normal((5,)), covers=("Tanh",)),
    *variants("relu", "Relu", lambda s: away_from(s, [0.0]), ints=True),
    OpCase("relu_method_toplevel", lambda lib, x: lib.relu(x.relu()),
           away_from((5,), [0.0]), covers=("Relu",)),
    *variants("relu6", "Hardtanh", lambda s: away_from(s, [0.0, 6.0], spread=8.0), ints=True),
    *variants("hardtanh", "Hardtanh", lambda s: away_from(s, [-1.0, 1.0]), ints=True),
    OpCase("hardtanh_kwargs", F("hardtanh", min_val=-0.5, max_val=2.0),
           away_from((3, 4), [-0.5, 2.0]), covers=("Hardtanh",)),
    *variants("leaky_relu", "LeakyRelu", lambda s: away_from(s, [0.0])),
    OpCase("leaky_relu_slope_kw", F("leaky_relu", negative_slope=0.2),
           away_from((3, 4), [0.0]), covers=("LeakyRelu",)),
    OpCase("leaky_relu_slope_gt1", F("leaky_relu", 1.5), away_from((6,), [0.0]),
           covers=("LeakyRelu",)),
    *variants("elu", "Elu", lambda s: away_from(s, [0.0])),
    OpCase("elu_alpha", F("elu", alpha=0.5), away_from((3, 4), [0.0]), covers=("Elu",)),
    OpCase("elu_negative_alpha", F("elu", alpha=-1.0), away_from((3, 4), [0.0]),
           covers=("Elu",)),
    *variants("selu", "Elu", lambda s: away_from(s, [0.0])),
    *variants("celu", "Elu", lambda s: away_from(s, [0.0])),
    OpCase("celu_alpha", F("celu", alpha=2.0), away_from((3, 4), [0.0]), covers=("Elu",)),
    *variants("gelu", "Gelu", lambda s: normal(s, 2.0)),
    OpCase("gelu_tanh", F("gelu", approximate="tanh"), normal((3, 4), 2.0), covers=("Gelu",)),
    OpCase("gelu_tanh_T", F("gelu", approximate="tanh"), transposed(normal((4, 3), 2.0)),
           covers=("Gelu",)),
    OpCase("gelu_tails", F("gelu"), lambda r: [np.array([-12.0, -6.0, -1.5, 0.0, 6.0, 12.0])],
           covers=("Gelu",)),
    *variants("silu", "Silu", lambda s: normal(s, 2.0)),
    OpCase("silu_large", F("silu"), lambda r: [np.array([-150.0, -30.0, 0.5, 30.0])],
           covers=("Silu",)),
    *variants("mish", "Mish", lambda s: normal(s, 2.0)),
    OpCase("mish_large", F("mish"), lambda r: [np.array([-150.0, -25.0, 0.5, 19.0, 25.0])],
           covers=("Mish",)),
    *variants("softplus", "Softplus", lambda s: normal(s, 3.0)),
    OpCase("softplus_beta_threshold", F("softplus", beta=2.0, threshold=5.0),
           away_from((3, 4), [2.5], margin=0.2, spread=5.0), covers=("Softplus",)),
    OpCase("softplus_large", F("softplus"), lambda r: [np.array([-100.0, -19.0, 19.5, 21.0])],
           covers=("Softplus",)),
    *variants("softsign", "Softsign", normal, ints=True),
    *variants("hardsigmoid", "Hardsigmoid", lambda s: away_from(s, [-3.0, 3.0], spread=5.0)),
    *variants("hardswish", "Hardswish", lambda s: away_from(s, [-3.0, 3.0], spread=5.0)),
    *variants("logsigmoid", "LogSigmoid", lambda s: normal(s, 3.0)),
    OpCase("logsigmoid_large", F("logsigmoid"),
           lambda r: [np.array([-1000.0, -50.0, -0.1, 0.0, 40.0, 1000.0])],
           covers=("LogSigmoid",)),
    *variants("hardshrink", "Hardshrink", lambda s: away_from(s, [-0.5, 0.5])),
    OpCase("hardshrink_method_lambd", lambda lib, x: x.hardshrink(1.0),
           away_from((3, 4), [-1.0, 1.0]), covers=("Hardshrink",)),
    *variants("softshrink", "Softshrink", lambda s: away_from(s, [-0.5, 0.5])),
    OpCase("softshrink_lambd", F("softshrink", lambd=1.0), away_from((3, 4), [-1.0, 1.0]),
           covers=("Softshrink",)),
    OpCase("tanhshrink", F("tanhshrink"), normal((3, 4)), covers=("Tanh", "Sub")),
    OpCase("tanhshrink_int", F("tanhshrink"), lambda r: [r.integers(-3, 3, (4,))],
           covers=("Tanh",)),
    *variants("threshold", "Threshold", lambda s: away_from(s, [0.5]),
              call=F("threshold", 0.5, -2.0), ints=True),
    OpCase("threshold_int_float_args", F("threshold", 1.5, 20.5),
           lambda r: [r.integers(-4, 5, (6,))], covers=("Threshold",)),
    OpCase("rrelu_eval", F("rrelu"), away_from((3, 4), [0.0]), covers=("LeakyRelu",)),
    OpCase("rrelu_eval_bounds", F("rrelu", 0.1, 0.3, training=False), away_from((3, 4), [0.0]),
           covers=("LeakyRelu",)),
    # training mode draws random slopes; with lower == upper it is deterministic
    OpCase("rrelu_training_fixed_slope", F("rrelu", 0.2, 0.2, training=True),
           away_from((3, 4), [0.0]), covers=("Rrelu",)),
]


def heaviside_inputs(r, shape=(3, 4), vshape=()):
    x = r.choice([-1.5, 0.0, 2.0], shape)
    return [np.asarray(x), np.asarray(r.uniform(0, 1, vshape))]


STEP_CASES = [
    # PyTorch has no heaviside derivative: forward only
    OpCase("heaviside", lambda lib, x, v: lib.heaviside(x, v), heaviside_inputs,
           covers=("Heaviside",), grad=False),
    OpCase("heaviside_values_broadcast_T", lambda lib, x, v: x.T.heaviside(v),
           lambda r: heaviside_inputs(r, (4, 3), (4,)), covers=("Heaviside",), grad=False),
    OpCase("heaviside_0d_size0", lambda lib, x, v: lib.heaviside(x, v),
           lambda r: heaviside_inputs(r, (0,), ()), covers=("Heaviside",), grad=False),
    OpCase("heaviside_int", lambda lib, x, v: lib.heaviside(x, v),
           lambda r: [r.integers(-2, 3, (6,)), np.array(7)], covers=("Heaviside",)),
    OpCase("heaviside_scalar_values", lambda lib, x: lib.heaviside(x, 0.5),
           lambda r: heaviside_inputs(r)[:1], covers=("Heaviside",), grad=False,
           torch_fn=lambda lib, x: lib.heaviside(x, lib.tensor(0.5, dtype=x.dtype))),
]


def prelu_inputs(shape, c):
    def sample(r):
        return [away_from(shape, [0.0])(r)[0], r.uniform(0.05, 0.5, (c,))]
    return sample


GATED_CASES = [
    OpCase("prelu_channels", lambda lib, x, w: lib.nn.functional.prelu(x, w),
           prelu_inputs((2, 3, 4), 3), covers=("Prelu",)),
    OpCase("prelu_single_weight", lambda lib, x, w: lib.nn.functional.prelu(x, w),
           prelu_inputs((2, 3, 2, 2), 1), covers=("Prelu",)),
    OpCase("prelu_1d_input", lambda lib, x, w: lib.prelu(x, w), prelu_inputs((5,), 1),
           covers=("Prelu",)),
    OpCase("prelu_method_T", lambda lib, x, w: x.T.prelu(w), prelu_inputs((4, 3), 4),
           covers=("Prelu",)),
    OpCase("glu", F("glu"), normal((3, 4)), covers=("Glu",)),
    OpCase("glu_dim0_T", F("glu", 0), transposed(normal((3, 4))), covers=("Glu",)),
    OpCase("glu_dim_kw_3d", F("glu", dim=1), normal((2, 6, 3)), covers=("Glu",)),
    OpCase("glu_size0", F("glu"), normal((0, 4)), covers=("Glu",)),
]


SOFTMAX_CASES = [
    OpCase("softmax_last", lambda lib, x: lib.softmax(x, -1), normal((3, 5), 2.0),
           covers=("Softmax",), kind="softmax"),
    OpCase("softmax_dim0", lambda lib, x: lib.softmax(x, 0), normal((3, 5), 2.0),
           covers=("Softmax",), kind="softmax"),
    OpCase("softmax_F_dim1_3d", lambda lib, x: lib.nn.functional.softmax(x, dim=1),
           normal((2, 3, 4)), covers=("Softmax",), kind="softmax"),
    OpCase("softmax_method_T", lambda lib, x: x.softmax(1), transposed(normal((4, 3))),
           covers=("Softmax",), kind="softmax"),
    OpCase("softmax_0d", lambda lib, x: lib.softmax(x, 0), normal(()), covers=("Softmax",),
           kind="softmax"),
    OpCase("softmax_size0", lambda lib, x: lib.softmax(x, 1), normal((0, 3)),
           covers=("Softmax",), kind="softmax"),
    OpCase("softmax_size0_reduced", lambda lib, x: lib.softmax(x, 0), normal((0, 3)),
           covers=("Softmax",), kind="softmax"),
    OpCase("softmax_large_inputs", lambda lib, x: lib.softmax(x, -1),
           lambda r: [np.array([[1e4, 1e4 - 1.0, 0.0], [-1e4, -1e4 + 2.0, -1e4 + 0.5]])],
           covers=("Softmax",), kind="softmax"),
    OpCase("softmax_dtype_kw", lambda lib, x: lib.softmax(x, 1, dtype=lib.float64),
           normal((2, 3)), covers=("Softmax", "Cast"), kind="softmax"),
    OpCase("softmax_int_with_dtype", lambda lib, x: lib.softmax(x, 0, dtype=lib.float32),
           lambda r: [r.integers(-3, 3, (4,))], covers=("Softmax",), kind="softmax"),
    OpCase("log_softmax_last", lambda lib, x: lib.log_softmax(x, -1), normal((3, 5), 2.0),
           covers=("LogSoftmax",), kind="softmax"),
    OpCase("log_softmax_F_dim0_3d", lambda lib, x: lib.nn.functional.log_softmax(x, dim=0),
           normal((3, 2, 4)), covers=("LogSoftmax",), kind="softmax"),
    OpCase("log_softmax_method_T", lambda lib, x: x.log_softmax(dim=0),
           transposed(normal((4, 3))), covers=("LogSoftmax",), kind="softmax"),
    OpCase("log_softmax_0d", lambda lib, x: lib.log_softmax(x, -1), normal(()),
           covers=("LogSoftmax",), kind="softmax"),
    OpCase("log_softmax_size0", lambda lib, x: lib.log_softmax(x, 1), normal((0, 3)),
           covers=("LogSoftmax",), kind="softmax"),
    OpCase("log_softmax_large_inputs", lambda lib, x: lib.log_softmax(x, 1),
           lambda r: [np.array([[1e4, 1e4 - 1.0, 0.0], [-1e4, -1e4 + 2.0, -1e4 + 0.5]])],
           covers=("LogSoftmax",), kind="softmax"),
    OpCase("log_softmax_dtype", lambda lib, x: x.log_softmax(1, dtype=lib.float64),
           normal((2, 3)), covers=("LogSoftmax", "Cast"), kind="softmax"),
    OpCase("softmin", lambda lib, x: lib.nn.functional.softmin(x, 1), normal((3, 4)),
           covers=("Softmax", "Neg"), kind="softmax"),
    OpCase("softmin_dtype_dim0", lambda lib, x: lib.nn.functional.softmin(x, 0,
                                                                            dtype=lib.float64),
           normal((3, 4)), covers=("Softmax", "Neg", "Cast"), kind="softmax"),
]

ONE_HOT_CASES = [
    OpCase("one_hot", F("one_hot"), lambda r: [r.integers(0, 5, (3, 4))]),
    OpCase("one_hot_num_classes", F("one_hot", 7), lambda r: [r.integers(0, 5, (6,))]),
    OpCase("one_hot_kw_0d", F("one_hot", num_classes=4), lambda r: [np.array(2)]),
    OpCase("one_hot_size0", F("one_hot", 3), lambda r: [np.zeros((0, 2), np.int64)]),
    OpCase("one_hot_T", F("one_hot"), lambda r: [r.integers(0, 4, (3, 4)).T]),
]


def _inplace_fn(name, *args, **kwargs):
    """``F.name((x * 1), *args, inplace=True)``: in place on a non-leaf; gradient flows."""
    def fn(lib, x):
        y = x * 1
        out = getattr(lib.nn.functional, name)(y, *args, inplace=True, **kwargs)
        assert out is y
        return out
    return fn


INPLACE_CASES = [
    OpCase("relu_inplace_kw", _inplace_fn("relu"), away_from((3, 4), [0.0]), covers=("Relu",)),
    OpCase("relu6_inplace_kw", _inplace_fn("relu6"), away_from((3, 4), [0.0, 6.0], spread=8),
           covers=("Hardtanh",)),
    OpCase("hardtanh_inplace_kw", _inplace_fn("hardtanh", -0.5, 0.5),
           away_from((3, 4), [-0.5, 0.5]), covers=("Hardtanh",)),
    OpCase("leaky_relu_inplace_kw", _inplace_fn("leaky_relu", 0.1), away_from((5,), [0.0]),
           covers=("LeakyRelu",)),
    OpCase("elu_inplace_kw", _inplace_fn("elu"), away_from((5,), [0.0]), covers=("Elu",)),
    OpCase("selu_inplace_kw", _inplace_fn("selu"), away_from((5,), [0.0]), covers=("Elu",)),
    OpCase("celu_inplace_kw", _inplace_fn("celu", 0.7), away_from((5,), [0.0]),
           covers=("Elu",)),
    OpCase("silu_inplace_kw", _inplace_fn("silu"), normal((5,)), covers=("Silu",)),
    OpCase("mish_inplace_kw", _inplace_fn("mish"), normal((5,)), covers=("Mish",)),
    OpCase("hardsigmoid_inplace_kw", _inplace_fn("hardsigmoid"),
           away_from((5,), [-3.0, 3.0], spread=5), covers=("Hardsigmoid",)),
    OpCase("hardswish_inplace_kw", _inplace_fn("hardswish"),
           away_from((5,), [-3.0, 3.0], spread=5), covers=("Hardswish",)),
    OpCase("threshold_inplace_kw", _inplace_fn("threshold", 0.0, 9.0), away_from((5,), [0.0]),
           covers=("Threshold",)),
    OpCase("rrelu_inplace_kw", _inplace_fn("rrelu"), away_from((5,), [0.0]),
           covers=("LeakyRelu",)),
    OpCase("relu_method_", lambda lib, x: (x * 1).relu_(), away_from((3, 4), [0.0]),
           covers=("Relu",)),
    OpCase("sigmoid_method_", lambda lib, x: (x * 1).sigmoid_(), normal((3, 4)),
           covers=("Sigmoid",)),
    OpCase("tanh_method_", lambda lib, x: (x * 1).tanh_(), normal((3, 4)), covers=("Tanh",)),
    OpCase("relu_toplevel_", lambda lib, x: lib.relu_(x * 1), away_from((4,), [0.0]),
           covers=("Relu",)),
    OpCase("F_relu_", lambda lib, x: lib.nn.functional.relu_(x * 1), away_from((4,), [0.0]),
           covers=("Relu",)),
    OpCase("F_elu_", lambda lib, x: lib.nn.functional.elu_(x * 1, 0.5), away_from((4,), [0.0]),
           covers=("Elu",)),
    OpCase("F_leaky_relu_", lambda lib, x: lib.nn.functional.leaky_relu_(x * 1, 0.3),
           away_from((4,), [0.0]), covers=("LeakyRelu",)),
    OpCase("F_hardtanh_", lambda lib, x: lib.nn.functional.hardtanh_(x * 1),
           away_from((4,), [-1.0, 1.0]), covers=("Hardtanh",)),
    OpCase("F_threshold_", lambda lib, x: lib.nn.functional.threshold_(x * 1, 0.2, 0.0),
           away_from((4,), [0.2]), covers=("Threshold",)),
    OpCase("selu_toplevel_", lambda lib, x: lib.selu_(x * 1), away_from((4,), [0.0]),
           covers=("Elu",)),
    OpCase("heaviside_method_", lambda lib, x, v: x.clone().heaviside_(v), heaviside_inputs,
           covers=("Heaviside",), grad=False),
    OpCase("relu_int_inplace", lambda lib, x: x.relu_(), lambda r: [r.integers(-3, 3, (4,))]),
]


@pytest.mark.parametrize("case", ACTIVATION_CASES + STEP_CASES + GATED_CASES + SOFTMAX_CASES
                         + ONE_HOT_CASES + INPLACE_CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- bad input
def f32(*shape):
    return np.ones(shape, np.float32)


RAISES = [
    ("softmax_no_dim", lambda lib, x: lib.softmax(x), [f32(2, 3)], "softmax.*dim"),
    ("log_softmax_no_dim", lambda lib, x: x.log_softmax(), [f32(2, 3)], "log_softmax.*dim"),
    ("softmax_dim_range", lambda lib, x: lib.softmax(x, 2), [f32(2, 3)],
     r"softmax.*range.*got 2"),
    ("log_softmax_dim_range", lambda lib, x: lib.log_softmax(x, -3), [f32(2, 3)],
     r"log_softmax.*range.*got -3"),
    ("softmin_dim_range", lambda lib, x: lib.nn.functional.softmin(x, 5), [f32(2)],
     "softmin.*range"),
    ("softmax_int", lambda lib, x: lib.softmax(x, 0), [np.array([1, 2])], "softmax.*int64"),
    ("log_softmax_int", lambda lib, x: lib.log_softmax(x, 0), [np.array([1, 2])],
     "log_softmax.*int64"),
    ("gelu_int", lambda lib, x: lib.nn.functional.gelu(x), [np.array([1, 2])], "gelu.*int64"),
    ("gelu_bad_approximate", lambda lib, x: lib.nn.functional.gelu(x, approximate="fast"),
     [f32(2)], "gelu.*approximate.*fast"),
    ("elu_int", lambda lib, x: lib.nn.functional.elu(x), [np.array([1])], "elu.*int64"),
    ("leaky_relu_int", lambda lib, x: lib.nn.functional.leaky_relu(x), [np.array([1])],
     "leaky_relu.*int64"),
    ("silu_int", lambda lib, x: lib.nn.functional.silu(x), [np.array([1])], "silu.*int64"),
    ("softplus_int", lambda lib, x: lib.nn.functional.softplus(x), [np.array([1])],
     "softplus.*int64"),
    ("relu_bool", lambda lib, x: lib.relu(x), [np.array([True])], "relu.*bool"),
    ("celu_zero_alpha", lambda lib, x: lib.nn.functional.celu(x, alpha=0.0), [f32(2)],
     "celu.*alpha"),
    ("hardtanh_min_gt_max", lambda lib, x: lib.nn.functional.hardtanh(x, 2.0, 1.0), [f32(2)],
     "hardtanh.*min_val.*max_val"),
    ("softshrink_negative", lambda lib, x: lib.nn.functional.softshrink(x, -1.0), [f32(2)],
     "softshrink.*-1"),
    ("heaviside_dtypes", lambda lib, x, v: lib.heaviside(x, v.double()), [f32(3), f32()],
     "heaviside.*float32.*float64"),
    ("heaviside_shapes", lambda lib, x, v: lib.heaviside(x, v), [f32(3), f32(2)],
     r"heaviside.*\(3,\).*\(2,\)"),
    ("glu_odd", lambda lib, x: lib.nn.functional.glu(x, 0), [f32(3)], "glu.*even.*size 3"),
    ("glu_scalar", lambda lib, x: lib.nn.functional.glu(x), [f32()], "glu"),
    ("glu_dim_range", lambda lib, x: lib.nn.functional.glu(x, 2), [f32(2, 4)], "glu.*range"),
    ("prelu_weight_size", lambda lib, x, w: lib.nn.functional.prelu(x, w), [f32(2, 3), f32(2)],
     "prelu.*3 channels"),
    ("one_hot_negative", lambda lib, x: lib.nn.functional.one_hot(x), [np.array([1, -2, 0])],
     "one_hot.*non-negative.*-2"),
    ("one_hot_out_of_range", lambda lib, x: lib.nn.functional.one_hot(x, 3),
     [np.array([1, 5, 0])], r"one_hot.*num_classes \(3\).*got 5"),
    ("one_hot_int32", lambda lib, x: lib.nn.functional.one_hot(x), [np.array([1], np.int32)],
     "one_hot.*int64.*int32"),
    ("one_hot_float", lambda lib, x: lib.nn.functional.one_hot(x), [f32(2)],
     "one_hot.*float32"),
    ("one_hot_empty_infer", lambda lib, x: lib.nn.functional.one_hot(x),
     [np.zeros(0, np.int64)], "one_hot.*empty"),
    ("sigmoid_int_inplace", lambda lib, x: x.sigmoid_(), [np.array([1, 2])], "sigmoid_"),
]


@pytest.mark.parametrize("row", RAISES, ids=[r[0] for r in RAISES])
def test_raises(row):
    _, fn, inputs, match = row
    check_raises(fn, inputs, match=match)


def test_softmax_without_dim_raises_type_error():
    # torch.softmax (top level) requires dim too; F.softmax only warns in PyTorch: we raise
    x = lightgrad.ones(2, 3)
    with pytest.raises(TypeError, match="softmax: missing required argument 'dim'"):
        lightgrad.nn.functional.softmax(x)
    with pytest.raises(TypeError, match="softmin"):
        lightgrad.nn.functional.softmin(x)


def test_inplace_on_leaf_requiring_grad_raises():
    x = lightgrad.tensor([-1.0, 2.0], requires_grad=True)
    fns = [lambda t: t.relu_(), lambda t: t.sigmoid_(), lambda t: t.tanh_(),
           lambda t: lightgrad.nn.functional.relu(t, inplace=True),
           lambda t: lightgrad.nn.functional.elu(t, inplace=True),
           lambda t: lightgrad.nn.functional.leaky_relu_(t)]
    for fn in fns:
        with pytest.raises(RuntimeError, match="leaf"):
            fn(x)
    np.testing.assert_array_equal(x.detach().numpy(), [-1.0, 2.0])  # untouched


def test_inplace_bumps_version_and_shares_buffer():
    x = lightgrad.tensor([-1.0, 2.0])
    buf = x.data
    v = x._version
    y = lightgrad.nn.functional.relu(x, inplace=True)
    assert y is x and x.data is buf and x._version == v + 1
    np.testing.assert_array_equal(buf, [0.0, 2.0])


def test_saved_output_modified_in_place_is_detected():
    x = lightgrad.tensor([-1.0, 2.0], requires_grad=True)
    y = lightgrad.sigmoid(x)  # Sigmoid saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_stable_for_large_inputs(dtype):
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]], dtype)
    lx = lightgrad.tensor(x, requires_grad=True)
    y = lightgrad.softmax(lx, dim=1)
    assert np.isfinite(y.detach().numpy()).all()
    np.testing.assert_allclose(y.detach().numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]],
                               rtol=1e-6, atol=0)
    ls = lightgrad.log_softmax(lx, dim=1)
    np.testing.assert_allclose(ls.detach().numpy()[0], [0.0, -1e4, -2e4], rtol=1e-6)
    (y.sum() + ls.sum()).backward()
    assert np.isfinite(lx.grad.numpy()).all()


def test_sigmoid_family_has_no_overflow_warnings():
    import warnings

    x = lightgrad.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("sigmoid", "silu", "mish", "softplus", "logsigmoid", "elu", "selu", "gelu"):
            out = getattr(lightgrad.nn.functional, name)(x)
            assert np.isfinite(out.detach().numpy()).all(), name
            out.sum().backward()
            assert np.isfinite(x.grad.numpy()).all(), name
            x.grad = None


def test_rrelu_training_slopes_in_bounds():
    lightgrad.manual_seed(1)
    x = lightgrad.tensor(-np.ones(1000, np.float32), requires_grad=True)
    y = lightgrad.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert ((slopes >= 0.1) & (slopes <= 0.3)).all() and slopes.std() > 0.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)  # the gradient is the drawn slope


def test_exports():
    F = lightgrad.nn.functional
    for name in ("sigmoid", "tanh", "relu", "gelu", "elu", "silu", "leaky_relu", "softmax",
                 "log_softmax", "one_hot", "heaviside", "relu_", "elu_"):
        assert getattr(F, name) is getattr(lightgrad, name)
    assert lightgrad.Tensor.softmax and lightgrad.Tensor.relu_ and lightgrad.Tensor.sigmoid_


# ----------------------------------------------------------------------------- properties
@st.composite
def shape_and_dim(draw):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return shape, dim


@settings(max_examples=50, deadline=None)
@given(shape_and_dim(), st.integers(0, 2**31 - 1), st.sampled_from([1.0, 10.0, 1e3]))
def test_softmax_rows_sum_to_one_and_match_torch(sd, seed, scale):
    shape, dim = sd
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    y = lightgrad.softmax(lightgrad.tensor(x), dim=dim).numpy()
    np.testing.assert_allclose(y.sum(axis=dim), 1.0, rtol=1e-12)
    np.testing.assert_allclose(y, torch.softmax(torch.from_numpy(x), dim).numpy(),
                               rtol=1e-7, atol=1e-12)
    ly = lightgrad.log_softmax(lightgrad.tensor(x), dim=dim).numpy()
    np.testing.assert_allclose(ly, torch.log_softmax(torch.from_numpy(x), dim).numpy(),
                               rtol=1e-7, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-80, 80, allow_nan=False, width=32), min_size=1, max_size=30))
def test_sigmoid_symmetry(values):
    x = lightgrad.tensor(np.array(values, np.float32))
    s, sn = lightgrad.sigmoid(x).numpy(), lightgrad.sigmoid(-x).numpy()
    np.testing.assert_allclose(sn, 1.0 - s, atol=1e-7)
    assert ((s >= 0) & (s <= 1)).all()
    ls = lightgrad.nn.functional.logsigmoid(x).numpy()
    np.testing.assert_allclose(ls, lightgrad.nn.functional.logsigmoid(-x).numpy() + x.numpy(),
                               rtol=1e-5, atol=1e-5)  # log s(x) = log s(-x) + x


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=0, max_size=20), st.integers(10, 12))
def test_one_hot_round_trips(labels, num_classes):
    t = lightgrad.tensor(np.array(labels, np.int64))
    oh = lightgrad.nn.functional.one_hot(t, num_classes).numpy()
    assert oh.dtype == np.int64 and oh.shape == (len(labels), num_classes)
    np.testing.assert_array_equal(oh.sum(axis=-1), 1)
    np.testing.assert_array_equal(oh.argmax(axis=-1), labels)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_gradient_passes_nan_and_blocks_signed_zeros_like_torch(dtype, rng):
    """ReLU's gradient is ``g * (out != 0)``: NaN inputs pass the gradient, -0.0 / 0.0 and
    negative ones block it, exactly as PyTorch's threshold_backward."""
    x0 = rng.standard_normal((5, 7, 3)).astype(dtype)
    x0.flat[:5] = [np.nan, -0.0, 0.0, -np.inf, np.inf]
    g0 = rng.standard_normal(x0.shape).astype(dtype)
    x = lightgrad.tensor(x0, requires_grad=True)
    lightgrad.relu(x).backward(lightgrad.tensor(g0))
    expect = np.where((x0 > 0) | np.isnan(x0), g0, 0).astype(dtype)
    np.testing.assert_array_equal(x.grad.numpy(), expect)
    tx = torch.tensor(x0, requires_grad=True)
    torch.relu(tx).backward(torch.tensor(g0))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
