"""Normalization against torch: the functional ops (batch_norm, layer_norm, group_norm,
instance_norm, rms_norm, normalize, local_response_norm) as OpCase rows with float64
gradchecks, and the modules (BatchNorm1d/2d/3d, InstanceNorm1d/2d, LayerNorm, GroupNorm, RMSNorm,
LocalResponseNorm): outputs and gradients in train and eval mode, running statistics over
several steps, state dicts both ways, repr text and errors."""

from __future__ import annotations

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from tests.helpers import OpCase, _compare, case_id, check_case, check_raises, tol
from tests.nn.test_module import TORCH_DTYPE, check_module, copy_params_to_torch

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


def normal(*shapes):
    return lambda r: [r.standard_normal(s) for s in shapes]


def _bn(training, **kw):
    return lambda lib, x, *ps: lib.nn.functional.batch_norm(x, *ps, training=training, **kw)


def _stats(r, c):
    """Running statistics: any mean, a variance away from 0."""
    return [r.standard_normal(c), r.random(c) + 0.5]


BN, BNE, LN, GN = ("BatchNorm",), ("BatchNormEval",), ("LayerNorm",), ("GroupNorm",)

NORM_CASES = [
    # ---- batch_norm, training: the batch's statistics (running stats None or updated)
    OpCase("bn_train_2d", lambda lib, x, w, b: lib.nn.functional.batch_norm(
        x, None, None, w, b, True), normal((6, 3), (3,), (3,)), covers=BN, kind="reduction"),
    OpCase("bn_train_3d_kw", lambda lib, x, w, b: lib.nn.functional.batch_norm(
        x, None, None, weight=w, bias=b, training=True, eps=1e-3), normal((4, 3, 2), (3,), (3,)),
        covers=BN, kind="reduction"),
    OpCase("bn_train_4d", lambda lib, x, w, b: lib.nn.functional.batch_norm(
        x, None, None, w, b, True), normal((3, 2, 2, 2), (2,), (2,)), covers=BN,
        kind="reduction"),
    OpCase("bn_train_5d", lambda lib, x, w: lib.nn.functional.batch_norm(
        x, None, None, w, None, True), normal((2, 2, 2, 1, 3), (2,)), covers=BN,
        kind="reduction"),
    OpCase("bn_train_no_affine", lambda lib, x: lib.nn.functional.batch_norm(
        x, None, None, training=True), normal((5, 4)), covers=BN, kind="reduction"),
    OpCase("bn_train_bias_only", lambda lib, x, b: lib.nn.functional.batch_norm(
        x, None, None, None, b, True), normal((5, 3), (3,)), covers=BN, kind="reduction"),
    OpCase("bn_train_transposed", lambda lib, x, w, b: lib.nn.functional.batch_norm(
        x, None, None, w, b, True),
        lambda r: [r.standard_normal((3, 6)).T, r.standard_normal(3), r.standard_normal(3)],
        covers=BN, kind="reduction"),
    # running statistics passed in (updated in place on both sides; constants for autograd)
    OpCase("bn_train_running_stats", lambda lib, x, w, b, rm, rv: lib.nn.functional.batch_norm(
        x, rm, rv, w, b, True, 0.3), lambda r: normal((5, 3, 2), (3,), (3,))(r) + _stats(r, 3),
        covers=BN, kind="reduction", nondiff=(3, 4)),
    OpCase("bn_train_size0_batch", lambda lib, x, w: lib.nn.functional.batch_norm(
        x, None, None, w, None, True), normal((0, 3), (3,)), covers=BN, kind="reduction"),
    # ---- batch_norm, eval: the running statistics normalize
    OpCase("bn_eval_2d", _bn(False), lambda r: normal((4, 3))(r) + _stats(r, 3) +
           normal((3,), (3,))(r), covers=BNE, kind="reduction", nondiff=(1, 2)),
    OpCase("bn_eval_4d_kw", lambda lib, x, rm, rv, w: lib.nn.functional.batch_norm(
        x, running_mean=rm, running_var=rv, weight=w, eps=1e-2),
        lambda r: normal((2, 3, 2, 2))(r) + _stats(r, 3) + normal((3,))(r),
        covers=BNE, kind="reduction", nondiff=(1, 2)),
    OpCase("bn_eval_no_affine_T", _bn(False),
           lambda r: [r.standard_normal((3, 5)).T] + _stats(r, 3), covers=BNE,
           kind="reduction", nondiff=(1, 2)),
    OpCase("bn_eval_size0", _bn(False), lambda r: normal((0, 3))(r) + _stats(r, 3) +
           normal((3,), (3,))(r), covers=BNE, kind="reduction", nondiff=(1, 2)),
    # ---- layer_norm
    OpCase("ln_last_dim", lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (5,), w, b),
           normal((4, 5), (5,), (5,)), covers=LN, kind="reduction"),
    OpCase("ln_two_dims", lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (3, 4), w, b),
           normal((2, 3, 4), (3, 4), (3, 4)), covers=LN, kind="reduction"),
    OpCase("ln_all_dims_kw", lambda lib, x, w: lib.nn.functional.layer_norm(
        x, normalized_shape=[2, 3, 2], weight=w, eps=1e-3), normal((2, 3, 2), (2, 3, 2)),
        covers=LN, kind="reduction"),
    OpCase("ln_no_affine", lambda lib, x: lib.nn.functional.layer_norm(x, (6,)),
           normal((3, 6)), covers=LN, kind="reduction"),
    OpCase("ln_bias_only", lambda lib, x, b: lib.nn.functional.layer_norm(x, (4,), bias=b),
           normal((3, 4), (4,)), covers=LN, kind="reduction"),
    OpCase("ln_1d_input", lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (5,), w, b),
           normal((5,), (5,), (5,)), covers=LN, kind="reduction"),
    OpCase("ln_transposed", lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (4,), w, b),
           lambda r: [r.standard_normal((4, 5)).T, r.standard_normal(4), r.standard_normal(4)],
           covers=LN, kind="reduction"),
    OpCase("ln_size0_rows", lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (4,), w, b),
           normal((0, 4), (4,), (4,)), covers=LN, kind="reduction"),
    # ---- group_norm
    OpCase("gn_3d", lambda lib, x, w, b: lib.nn.functional.group_norm(x, 2, w, b),
           normal((2, 4, 3), (4,), (4,)), covers=GN, kind="reduction"),
    OpCase("gn_4d_kw", lambda lib, x, w, b: lib.nn.functional.group_norm(
        x, num_groups=3, weight=w, bias=b, eps=1e-3), normal((2, 3, 2, 2), (3,), (3,)),
        covers=GN, kind="reduction"),
    OpCase("gn_2d_one_group", lambda lib, x, w: lib.nn.functional.group_norm(x, 1, w),
           normal((3, 4), (4,)), covers=GN, kind="reduction"),
    OpCase("gn_no_affine", lambda lib, x: lib.nn.functional.group_norm(x, 2),
           normal((2, 6, 2)), covers=GN, kind="reduction"),
    OpCase("gn_size0", lambda lib, x, w, b: lib.nn.functional.group_norm(x, 2, w, b),
           normal((0, 4, 3), (4,), (4,)), covers=GN, kind="reduction"),
    # ---- instance_norm (GroupNorm with one group per channel; BatchNormEval without stats)
    OpCase("in_affine", lambda lib, x, w, b: lib.nn.functional.instance_norm(
        x, weight=w, bias=b), normal((2, 3, 4), (3,), (3,)), covers=GN, kind="reduction"),
    OpCase("in_running_stats_4d", lambda lib, x, rm, rv: lib.nn.functional.instance_norm(
        x, rm, rv, momentum=0.2), lambda r: normal((2, 2, 2, 3))(r) + _stats(r, 2),
        covers=GN, kind="reduction", nondiff=(1, 2)),
    OpCase("in_use_running_stats", lambda lib, x, rm, rv, w: lib.nn.functional.instance_norm(
        x, rm, rv, w, use_input_stats=False), lambda r: normal((2, 3, 4))(r) + _stats(r, 3) +
        normal((3,))(r), covers=BNE, kind="reduction", nondiff=(1, 2)),
    # ---- composed from other ops (no primitive of their own)
    OpCase("rms_norm", lambda lib, x, w: lib.nn.functional.rms_norm(x, (4,), w, 1e-6),
           normal((3, 4), (4,)), kind="reduction"),
    OpCase("rms_norm_default_eps_2dims", lambda lib, x: lib.nn.functional.rms_norm(x, (2, 3)),
           normal((2, 2, 3)), kind="reduction"),
    OpCase("normalize_default", lambda lib, x: lib.nn.functional.normalize(x),
           normal((3, 4)), kind="reduction"),
    OpCase("normalize_p1_dim_last", lambda lib, x: lib.nn.functional.normalize(x, p=1.0, dim=-1),
           lambda r: [r.random((2, 3, 4)) + 0.5], kind="reduction"),
    OpCase("local_response_norm_3d", lambda lib, x: lib.nn.functional.local_response_norm(
        x, 3, alpha=0.5), normal((2, 4, 3)), kind="reduction"),
    OpCase("local_response_norm_4d_even", lambda lib, x: lib.nn.functional.local_response_norm(
        x, 2, alpha=0.3, beta=0.5, k=2.0), normal((1, 5, 2, 2)), kind="reduction"),
]


@pytest.mark.parametrize("case", NORM_CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


def _f(lib):
    return lib.nn.functional


RAISES = [
    ("bn_running_mean_size", lambda lib, x, rm, rv: _f(lib).batch_norm(x, rm, rv, training=True),
     [np.ones((4, 3)), np.zeros(4), np.ones(3)], "running_mean should contain 3 elements not 4"),
    ("bn_weight_size", lambda lib, x, w: _f(lib).batch_norm(x, None, None, w, training=True),
     [np.ones((4, 3)), np.ones(4)], "weight should contain 3 elements not 4"),
    ("bn_one_value_per_channel", lambda lib, x: _f(lib).batch_norm(x, None, None, training=True),
     [np.ones((1, 3))], r"Expected more than 1 value per channel when training.*\(1, 3\)"),
    ("bn_one_value_per_channel_3d",
     lambda lib, x: _f(lib).batch_norm(x, None, None, training=True),
     [np.ones((1, 3, 1))], "Expected more than 1 value per channel"),
    ("bn_eval_needs_running_stats", lambda lib, x: _f(lib).batch_norm(x, None, None),
     [np.ones((4, 3))], "running_mean and running_var must be defined"),
    ("bn_integer_input", lambda lib, x: _f(lib).batch_norm(x, None, None, training=True),
     [np.ones((4, 3), dtype=np.int64)], "batch_norm: not implemented for dtype int64"),
    ("bn_1d_input", lambda lib, x: _f(lib).batch_norm(x, None, None, training=True),
     [np.ones(3)], r"batch_norm: expected an input of at least 2 dims.*\(3,\)"),
    ("bn_mixed_dtypes", lambda lib, x, w: _f(lib).batch_norm(x, None, None, w, training=True),
     [np.ones((4, 3)), np.ones(3, dtype=np.float32)], "mixed dtype.*float64.*float32"),
    ("bn_negative_eps", lambda lib, x, rm, rv: _f(lib).batch_norm(x, rm, rv, eps=-1.0),
     [np.ones((4, 3)), np.zeros(3), np.ones(3)], "eps must be non-negative"),
    ("ln_wrong_trailing_shape", lambda lib, x: _f(lib).layer_norm(x, (4,)),
     [np.ones((4, 3))], r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], "
     r"but got input of size \[4, 3\]"),
    ("ln_weight_shape", lambda lib, x, w: _f(lib).layer_norm(x, (3,), w),
     [np.ones((4, 3)), np.ones(4)], r"weight to be of same shape as normalized_shape.*\[4\]"),
    ("ln_too_many_dims", lambda lib, x: _f(lib).layer_norm(x, (2, 3, 4)),
     [np.ones((3, 4))], "Given normalized_shape"),
    ("gn_not_divisible", lambda lib, x: _f(lib).group_norm(x, 4),
     [np.ones((2, 6, 4))], r"divisible by num_groups, but got input of shape \[2, 6, 4\]"),
    ("gn_weight_size", lambda lib, x, w: _f(lib).group_norm(x, 3, w),
     [np.ones((2, 6, 4)), np.ones(5)], "weight to be a vector of size equal to the number of "
     "channels"),
    ("gn_1d_input", lambda lib, x: _f(lib).group_norm(x, 1),
     [np.ones(4)], "Expected at least 2 dimensions"),
    ("gn_single_value", lambda lib, x: _f(lib).group_norm(x, 6),
     [np.ones((1, 6, 1))], "Expected more than 1 value per channel"),
    ("in_one_spatial_element", lambda lib, x: _f(lib).instance_norm(x),
     [np.ones((2, 3, 1))], "Expected more than 1 spatial element"),
    ("lrn_2d_input", lambda lib, x: _f(lib).local_response_norm(x, 2),
     [np.ones((2, 3))], "Expected 3D or higher dimensionality input"),
]


@pytest.mark.parametrize("name,fn,inputs,match", RAISES, ids=[r[0] for r in RAISES])
def test_raises(name, fn, inputs, match):
    check_raises(fn, inputs, match=match)


# ----------------------------------------------------------------------------- BatchNorm
def _pair(cls_name, *args, **kw):
    return getattr(nn, cls_name)(*args, **kw), getattr(torch.nn, cls_name)(*args, **kw)


def _randomize_affine(lg_mod, rng):
    """Non-trivial weight and bias (the defaults are ones and zeros)."""
    for p in lg_mod.parameters():
        p.data[...] = rng.standard_normal(p.shape).astype(p.dtype)


def _compare_buffers(lg_mod, th_mod, what, dt=np.float32):
    th_buf = dict(th_mod.named_buffers())
    lg_buf = dict(lg_mod.named_buffers())
    assert lg_buf.keys() == th_buf.keys(), f"{what}: buffer names differ"
    for name, b in lg_buf.items():
        _compare(f"{what} {name}", b, th_buf[name], *tol("reduction", dt))


@pytest.mark.parametrize("cls_name,shape,kw", [
    ("BatchNorm1d", (8, 4), {}),
    ("BatchNorm1d", (6, 4, 5), {"momentum": 0.3, "eps": 1e-3}),
    ("BatchNorm1d", (8, 4), {"affine": False}),
    ("BatchNorm1d", (8, 4), {"bias": False}),
    ("BatchNorm1d", (6, 4, 3), {"momentum": None}),
    ("BatchNorm1d", (8, 4), {"track_running_stats": False}),
    ("BatchNorm2d", (4, 3, 5, 5), {}),
    ("BatchNorm2d", (4, 3, 2, 6), {"affine": False, "momentum": None}),
    ("BatchNorm3d", (2, 3, 2, 3, 4), {}),
], ids=lambda v: str(v) if not isinstance(v, dict) else "-".join(f"{k}={v[k]}" for k in v))
def test_batchnorm_parity(cls_name, shape, kw, rng):
    c = shape[1]
    lg_mod, th_mod = _pair(cls_name, c, **kw)
    _randomize_affine(lg_mod, rng)
    x = rng.standard_normal(shape) * 2.0 + 1.0
    check_module(lg_mod, th_mod, [x], rng, kind="reduction")  # train, then eval
    _compare_buffers(lg_mod, th_mod, cls_name, np.float64)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None], ids=["m0.1", "m0.5", "cumulative"])
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["float32", "float64"])
def test_batchnorm_running_stats_over_steps(momentum, dt, rng):
    """Five training steps on shifted batches, then eval: the buffers match torch's after
    every step (unbiased variance, momentum or cumulative average, num_batches_tracked)."""
    lg_mod, th_mod = _pair("BatchNorm1d", 3, momentum=momentum)
    lg_mod.to(dt)
    th_mod.to(TORCH_DTYPE[dt])
    for step in range(5):
        x = (rng.standard_normal((7, 3, 2)) * (1 + step) + step).astype(dt)
        lo, to = lg_mod(lightgrad.tensor(x)), th_mod(torch.tensor(x))
        _compare(f"step {step} output", lo, to, *tol("reduction", dt))
        _compare_buffers(lg_mod, th_mod, f"step {step}", dt)
        assert lg_mod.num_batches_tracked.item() == step + 1
        assert lg_mod.num_batches_tracked.dtype == np.int64
    lg_mod.eval()
    th_mod.eval()
    x = rng.standard_normal((2, 3, 2)).astype(dt)
    _compare("eval output", lg_mod(lightgrad.tensor(x)), th_mod(torch.tensor(x)),
             *tol("reduction", dt))
    _compare_buffers(lg_mod, th_mod, "after eval", dt)
    assert lg_mod.num_batches_tracked.item() == 5  # eval does not count batches


def test_batchnorm_without_tracking_uses_batch_stats_in_eval(rng):
    lg_mod, th_mod = _pair("BatchNorm1d", 3, track_running_stats=False)
    assert lg_mod.running_mean is None and lg_mod.num_batches_tracked is None
    assert list(lg_mod.state_dict()) == list(th_mod.state_dict()) == ["weight", "bias"]
    lg_mod.eval()
    th_mod.eval()
    x = rng.standard_normal((6, 3)).astype(np.float32)
    out = lg_mod(lightgrad.tensor(x))
    _compare("eval output", out, th_mod(torch.tensor(x)), *tol("reduction", np.float32))
    np.testing.assert_allclose(out.detach().numpy().mean(0), 0, atol=1e-6)


def test_batchnorm_eval_with_batch_of_one():
    """A single sample is fine in eval mode (running statistics), an error in training."""
    bn = nn.BatchNorm1d(3).eval()
    assert bn(lightgrad.ones(1, 3)).shape == (1, 3)
    bn.train()
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(lightgrad.ones(1, 3))
    assert bn.num_batches_tracked.item() == 0  # the rejected batch is not counted


def test_batchnorm_loads_torch_state_dict(rng):
    """Buffers trained by torch (running stats, num_batches_tracked) load and give torch's
    eval outputs; the state_dict keys, shapes and dtypes are torch's."""
    th_mod = torch.nn.BatchNorm2d(4)
    with torch.no_grad():
        th_mod.weight.normal_()
        th_mod.bias.normal_()
    for _ in range(3):
        th_mod(torch.randn(5, 4, 3, 3) * 3 + 1)
    lg_mod = nn.BatchNorm2d(4)
    lg_mod.load_state_dict(th_mod.state_dict())
    th_sd, lg_sd = th_mod.state_dict(), lg_mod.state_dict()
    assert list(lg_sd) == list(th_sd)
    for k in th_sd:
        assert tuple(lg_sd[k].shape) == tuple(th_sd[k].shape), k
        assert lg_sd[k].dtype == th_sd[k].numpy().dtype, k
    assert lg_mod.num_batches_tracked.item() == 3
    lg_mod.eval()
    th_mod.eval()
    x = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    _compare("eval output", lg_mod(lightgrad.tensor(x)), th_mod(torch.tensor(x)),
             *tol("reduction", np.float32))
    # and back: lightgrad's state loads into torch
    th2 = torch.nn.BatchNorm2d(4)
    copy_params_to_torch(lg_mod, th2)
    assert th2.num_batches_tracked.item() == 3


def test_batchnorm_defaults_and_kwargs():
    bn = nn.BatchNorm1d(5, dtype=lightgrad.float64)
    assert bn.weight.dtype == np.float64 and bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(5))
    np.testing.assert_array_equal(bn.bias.detach().numpy(), np.zeros(5))
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(5))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(5))
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var",
                                                  "num_batches_tracked"]
    bn.float()
    assert bn.weight.dtype == np.float32 and bn.num_batches_tracked.dtype == np.int64
    bn(lightgrad.randn(4, 5))
    bn.running_mean.data[...] = 3.0
    bn.reset_running_stats()
    assert bn.num_batches_tracked.item() == 0 and bn.running_mean.numpy().max() == 0


def test_batchnorm_output_requires_grad_through_parameters(rng):
    """The input need not require grad: the affine parameters still get gradients."""
    bn = nn.BatchNorm1d(3)
    y = bn(lightgrad.tensor(rng.standard_normal((4, 3)).astype(np.float32)))
    assert y.requires_grad
    (y * y).sum().backward()
    assert bn.weight.grad is not None and bn.bias.grad is not None


@pytest.mark.parametrize("args,kw", [
    ((3,), {}), ((3,), {"momentum": None, "affine": False}), ((4,), {"eps": 1e-3, "bias": False}),
    ((2,), {"track_running_stats": False}),
])
@pytest.mark.parametrize("cls_name", ["BatchNorm1d", "BatchNorm2d", "InstanceNorm1d"])
def test_norm_repr(cls_name, args, kw):
    lg_mod, th_mod = _pair(cls_name, *args, **kw)
    assert repr(lg_mod) == repr(th_mod)


@pytest.mark.parametrize("cls_name,args", [
    ("LayerNorm", (3,)), ("LayerNorm", ((3, 4),)), ("GroupNorm", (2, 4)), ("RMSNorm", (3,)),
    ("LocalResponseNorm", (2,)),
])
def test_other_norm_repr(cls_name, args):
    lg_mod, th_mod = _pair(cls_name, *args)
    assert repr(lg_mod) == repr(th_mod)
    if cls_name in ("LayerNorm", "GroupNorm"):
        lg_mod, th_mod = _pair(cls_name, *args, eps=1e-3, bias=False)
        assert repr(lg_mod) == repr(th_mod)


MODULE_RAISES = [
    ("bn1d_4d_input", lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(2, 3, 4, 5)),
     r"BatchNorm1d: expected 2D or 3D input \(got 4D input\)"),
    ("bn1d_1d_input", lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(3)),
     r"BatchNorm1d: expected 2D or 3D input \(got 1D input\)"),
    ("bn2d_3d_input", lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 3, 4)),
     r"BatchNorm2d: expected 4D input \(got 3D input\)"),
    ("bn1d_batch_of_one", lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(1, 3)),
     "Expected more than 1 value per channel when training"),
    ("bn1d_wrong_channels", lambda lib: lib.nn.BatchNorm1d(3)(lib.ones(2, 4)),
     r"BatchNorm1d\(num_features=3\): input has 4 channels at dim 1 \(shape \(2, 4\)\)"),
    ("groupnorm_divisibility", lambda lib: lib.nn.GroupNorm(4, 6),
     r"num_channels \(6\) must be divisible by num_groups \(4\)"),
    ("groupnorm_wrong_channels", lambda lib: lib.nn.GroupNorm(2, 4)(lib.ones(2, 6, 3)),
     r"GroupNorm\(num_channels=4\): input has 6 channels"),
    ("layernorm_wrong_shape", lambda lib: lib.nn.LayerNorm(4)(lib.ones(2, 3)),
     r"normalized_shape=\[4\], expected input with shape \[\*, 4\]"),
    ("instancenorm1d_4d_input", lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 4, 5)),
     r"InstanceNorm1d: expected 2D or 3D input \(got 4D input\)"),
    ("instancenorm_affine_channels",
     lambda lib: lib.nn.InstanceNorm1d(3, affine=True)(lib.ones(2, 4, 5)),
     r"expected input's size at dim=1 to match num_features \(3\), but got: 4"),
]


@pytest.mark.parametrize("name,fn,match", MODULE_RAISES, ids=[r[0] for r in MODULE_RAISES])
def test_module_raises(name, fn, match):
    with pytest.raises(Exception):
        fn(torch)
    with pytest.raises((RuntimeError, ValueError, TypeError), match=match):
        fn(lightgrad)


# ----------------------------------------------------------------------------- other layers
@pytest.mark.parametrize("normalized_shape,shape,kw", [
    (5, (3, 5), {}),
    ((5,), (2, 3, 5), {"eps": 1e-3}),
    ((3, 4), (2, 3, 4), {}),
    ((2, 3, 4), (2, 3, 4), {"bias": False}),
    (4, (3, 4), {"elementwise_affine": False}),
], ids=["int", "tuple1_3d", "two_dims", "all_dims_no_bias", "no_affine"])
def test_layernorm_parity(normalized_shape, shape, kw, rng):
    lg_mod, th_mod = _pair("LayerNorm", normalized_shape, **kw)
    _randomize_affine(lg_mod, rng)
    check_module(lg_mod, th_mod, [rng.standard_normal(shape) + 2.0], rng, kind="reduction",
                 modes=(True,))


@pytest.mark.parametrize("groups,channels,shape,kw", [
    (2, 4, (3, 4, 5), {}),
    (3, 6, (2, 6, 2, 3), {"eps": 1e-3}),
    (1, 3, (4, 3), {}),
    (4, 4, (2, 4, 3), {"affine": False}),
], ids=["3d", "4d", "one_group_2d", "per_channel_no_affine"])
def test_groupnorm_parity(groups, channels, shape, kw, rng):
    lg_mod, th_mod = _pair("GroupNorm", groups, channels, **kw)
    _randomize_affine(lg_mod, rng)
    check_module(lg_mod, th_mod, [rng.standard_normal(shape)], rng, kind="reduction",
                 modes=(True,))


@pytest.mark.parametrize("cls_name,shape,kw", [
    ("InstanceNorm1d", (3, 4, 5), {}),
    ("InstanceNorm1d", (4, 5), {"affine": True}),  # unbatched (C, L)
    ("InstanceNorm1d", (3, 4, 5), {"affine": True, "track_running_stats": True}),
    ("InstanceNorm2d", (2, 3, 4, 4), {"affine": True}),
    ("InstanceNorm2d", (3, 4, 4), {"track_running_stats": True, "momentum": 0.3}),
], ids=["1d", "1d_unbatched_affine", "1d_tracking", "2d_affine", "2d_unbatched_tracking"])
def test_instancenorm_parity(cls_name, shape, kw, rng):
    c = shape[-2] if cls_name == "InstanceNorm1d" else shape[-3]
    lg_mod, th_mod = _pair(cls_name, c, **kw)
    _randomize_affine(lg_mod, rng)
    check_module(lg_mod, th_mod, [rng.standard_normal(shape) * 2 + 1], rng, kind="reduction")
    if kw.get("track_running_stats"):
        _compare_buffers(lg_mod, th_mod, cls_name, np.float64)


def test_rmsnorm_and_lrn_modules(rng):
    lg_mod, th_mod = _pair("RMSNorm", (3, 4), eps=1e-6)
    _randomize_affine(lg_mod, rng)
    check_module(lg_mod, th_mod, [rng.standard_normal((2, 3, 4))], rng, kind="reduction",
                 modes=(True,))
    lg_mod, th_mod = _pair("RMSNorm", 4, elementwise_affine=False)
    check_module(lg_mod, th_mod, [rng.standard_normal((3, 4))], rng, kind="reduction",
                 modes=(True,))
    lg_mod, th_mod = _pair("LocalResponseNorm", 3, alpha=0.1, beta=0.6, k=1.5)
    check_module(lg_mod, th_mod, [rng.standard_normal((2, 5, 3, 3))], rng, kind="reduction",
                 modes=(True,))


def test_batchnorm_in_a_network_trains_like_torch(rng):
    """Linear -> BatchNorm1d -> ReLU -> Linear, 5 SGD steps by hand: same losses, weights and
    running statistics as torch."""
    lg_net = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 1))
    th_net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6),
                                 torch.nn.ReLU(), torch.nn.Linear(6, 1)).double()
    lg_net.double()
    copy_params_to_torch(lg_net, th_net)
    for step in range(5):
        x = rng.standard_normal((16, 4))
        y = rng.standard_normal((16, 1))
        lg_loss = ((lg_net(lightgrad.tensor(x)) - lightgrad.tensor(y)) ** 2).mean()
        th_loss = ((th_net(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        _compare(f"step {step} loss", lg_loss, th_loss, *tol("sequence", np.float64))
        lg_net.zero_grad()
        th_net.zero_grad()
        lg_loss.backward()
        th_loss.backward()
        with lightgrad.no_grad(), torch.no_grad():
            for p in lg_net.parameters():
                p.data -= 0.1 * p.grad.data
            for p in th_net.parameters():
                p -= 0.1 * p.grad
    for (name, lv), tv in zip(lg_net.state_dict().items(), th_net.state_dict().values()):
        _compare(name, lv, tv, *tol("sequence", np.float64))


def test_instancenorm_channel_mismatch_without_affine_warns(rng):
    x = rng.standard_normal((2, 4, 5)).astype(np.float32)
    with pytest.warns(UserWarning, match="does not match num_features"):
        out = nn.InstanceNorm1d(3)(lightgrad.tensor(x))
    with pytest.warns(UserWarning):
        ref = torch.nn.InstanceNorm1d(3)(torch.tensor(x))
    _compare("output", out, ref, *tol("reduction", np.float32))
