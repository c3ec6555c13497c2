"""Dropout family (``ops/dropout.py`` and ``nn/modules/dropout.py``) against PyTorch.

Random masks cannot be compared across frameworks, so:

* the parity rows (``DROPOUT_CASES``) reseed lightgrad inside the call and give torch the very
  affine map lightgrad drew (``y = x * (f(1) - f(0)) + f(0)``, read off lightgrad's own output
  on ones and zeros under the same seed): forward, backward and gradcheck of the fused Function;
* the statistics (fraction zeroed, scaling, alpha dropout's mean and variance) are compared with
  the formulas and with torch's own samples;
* the gradient is checked to be exactly ``grad * keep / (1 - p)``, and seeding to reproduce.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from tests.helpers import OpCase, case_id, check_case, check_raises
from tests.nn.test_module import check_module

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

F = lightgrad.nn.functional
SEED = 1234


def seeded(name, *args, **kwargs):
    """lightgrad draws under a fixed seed; torch applies the map lightgrad drew."""

    def lg_fn(lib, x):
        lightgrad.manual_seed(SEED)
        return getattr(lib.nn.functional, name)(x, *args, **kwargs)

    def torch_fn(lib, x):
        dt = x.detach().numpy().dtype
        kw = {k: v for k, v in kwargs.items() if k != "inplace"}

        def f(fill):
            lightgrad.manual_seed(SEED)
            t = lightgrad.full(tuple(x.shape), fill, dtype=dt)
            return torch.from_numpy(getattr(F, name)(t, *args, **kw).numpy())

        f0 = f(0.0)
        return x * (f(1.0) - f0) + f0

    return lg_fn, torch_fn


def row(id_, name, shape, *args, covers=("Dropout",), sampler=None, **kwargs):
    lg_fn, torch_fn = seeded(name, *args, **kwargs)
    sampler = sampler or (lambda r: [r.standard_normal(shape)])
    return OpCase(id_, lg_fn, sampler, covers=covers, torch_fn=torch_fn)


def _nonleaf(name, *args, **kwargs):
    """In place on a non-leaf (``x * 1``), which autograd allows."""
    def lg_fn(lib, x):
        lightgrad.manual_seed(SEED)
        return getattr(lib.nn.functional, name)(x * 1.0, *args, inplace=True, **kwargs)
    return lg_fn


DROPOUT_CASES = [
    row("dropout", "dropout", (3, 4), 0.3),
    row("dropout_kw_T", "dropout", None, p=0.6, training=True,
        sampler=lambda r: [r.standard_normal((4, 3)).T]),
    row("dropout_0d", "dropout", (), 0.5),
    row("dropout_p1_zeros", "dropout", (2, 3), 1.0),
    row("dropout_size0_is_identity", "dropout", (2, 0), 0.5, covers=()),
    row("dropout_eval_is_identity", "dropout", (2, 3), 0.5, False, covers=()),
    row("dropout_p0_is_identity", "dropout", (2, 3), 0.0, covers=()),
    row("dropout1d", "dropout1d", (2, 3, 4), 0.5),
    row("dropout1d_unbatched", "dropout1d", (4, 5), 0.5),
    row("dropout2d", "dropout2d", (2, 3, 2, 2), 0.4),
    row("dropout3d", "dropout3d", (2, 2, 1, 2, 3), 0.5),
    row("dropout3d_unbatched", "dropout3d", (3, 2, 2, 2), 0.5),
    row("alpha_dropout", "alpha_dropout", (4, 5), 0.2, True),
    row("alpha_dropout_p1", "alpha_dropout", (4,), 1.0, True),
    row("alpha_dropout_default_eval", "alpha_dropout", (4,), 0.2, covers=()),
    row("feature_alpha_dropout", "feature_alpha_dropout", (3, 4, 2), 0.5, training=True),
    OpCase("dropout_inplace_nonleaf", _nonleaf("dropout", 0.5), lambda r: [r.standard_normal(
        (3, 4))], covers=("Dropout",), torch_fn=seeded("dropout", 0.5)[1]),
    OpCase("alpha_dropout_inplace_nonleaf", _nonleaf("alpha_dropout", 0.3, True),
           lambda r: [r.standard_normal((3, 4))], covers=("Dropout",),
           torch_fn=seeded("alpha_dropout", 0.3, True)[1]),
]


@pytest.mark.parametrize("case", DROPOUT_CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- statistics
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fraction_zeroed_and_scaling(p, dtype):
    n = 200_000
    y = F.dropout(lightgrad.ones(n, dtype=dtype), p).numpy()
    zeroed = (y == 0).mean()
    se = math.sqrt(p * (1 - p) / n)
    assert abs(zeroed - p) < 5 * se
    kept = y[y != 0]
    assert (kept == np.ones((), dtype) / np.asarray(1 - p, dtype)).all()
    assert abs(y.astype(np.float64).mean() - 1.0) < 5 * math.sqrt(p / (1 - p) / n)
    # torch's own fraction agrees with ours (both are Bernoulli(p) samples)
    torch.manual_seed(0)
    tz = (torch.nn.functional.dropout(torch.ones(n), p) == 0).float().mean().item()
    assert abs(tz - zeroed) < 5 * math.sqrt(2) * se


@pytest.mark.parametrize("p", [0.2, 0.7])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_is_exactly_mask_over_keep_probability(p, dtype, rng):
    x = lightgrad.tensor(rng.standard_normal((50, 40)).astype(dtype), requires_grad=True)
    y = F.dropout(x, p)
    g = rng.standard_normal((50, 40)).astype(dtype)
    y.backward(lightgrad.tensor(g))
    keep = y.detach().numpy() != 0
    scale = keep.astype(dtype) / np.asarray(1 - p, dtype)
    np.testing.assert_array_equal(x.grad.numpy(), g * scale)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy() * scale)


def test_seeded_reproducibility():
    x = lightgrad.randn(100, 10)

    def mask(seed):
        lightgrad.manual_seed(seed)
        return F.dropout(x, 0.5).numpy() != 0

    np.testing.assert_array_equal(mask(3), mask(3))
    assert not np.array_equal(mask(3), mask(4))
    lightgrad.manual_seed(3)
    a, b = F.dropout(x, 0.5).numpy(), F.dropout(x, 0.5).numpy()
    assert not np.array_equal(a != 0, b != 0), "each call draws a new mask"


def test_feature_dropout_zeroes_whole_channels():
    n, c = 64, 64
    for fn, shape in ((F.dropout1d, (n, c, 5)), (F.dropout2d, (n, c, 3, 3)),
                      (F.dropout3d, (n, c, 2, 2, 2)), (F.feature_alpha_dropout, (n, c, 3))):
        kwargs = {"training": True} if fn is F.feature_alpha_dropout else {}
        y = fn(lightgrad.ones(*shape), 0.3, **kwargs).numpy().reshape(n, c, -1)
        assert (y == y[..., :1]).all(), f"{fn.__name__}: mask not constant over a channel"
        vals = np.unique(y)
        assert len(vals) == 2, fn.__name__
        dropped = (y[..., 0] == vals.min()).mean()
        assert abs(dropped - 0.3) < 5 * math.sqrt(0.3 * 0.7 / (n * c)), fn.__name__


def test_unbatched_dropout1d_masks_channels():
    y = F.dropout1d(lightgrad.ones(500, 4), 0.5).numpy()
    assert (y == y[:, :1]).all()
    assert 0.3 < (y[:, 0] == 0).mean() < 0.7


def test_alpha_dropout_values_and_self_normalization():
    p = 0.2
    lg_vals = np.unique(F.alpha_dropout(lightgrad.zeros(2000, dtype=lightgrad.float64), p,
                                        True).numpy())
    th_vals = np.unique(torch.nn.functional.alpha_dropout(
        torch.zeros(2000, dtype=torch.float64), p, True).numpy())
    np.testing.assert_allclose(lg_vals, th_vals, rtol=1e-12)
    n = 200_000
    x = lightgrad.randn(n, dtype=lightgrad.float64)
    y = F.alpha_dropout(x, p, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    ty = torch.nn.functional.alpha_dropout(torch.randn(n, dtype=torch.float64), p, True)
    assert abs(ty.mean().item()) < 0.02 and abs(ty.std().item() - 1.0) < 0.02


def test_alpha_dropout_gradient_is_scaled_mask():
    p = 0.3
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha ** 2 * p + 1) * (1 - p))
    x = lightgrad.randn(1000, dtype=lightgrad.float64, requires_grad=True)
    y = F.alpha_dropout(x, p, training=True)
    y.sum().backward()
    keep = np.isclose(y.detach().numpy(), a * x.detach().numpy() + alpha * a * p)
    np.testing.assert_allclose(x.grad.numpy(), keep * a, rtol=1e-15)
    assert 0.6 < keep.mean() < 0.8


# ----------------------------------------------------------------------------- identity cases
def test_eval_p0_and_empty_return_the_input():
    x = lightgrad.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    e = lightgrad.ones(0, 3)
    assert F.dropout(e, 0.5) is e
    assert F.alpha_dropout(x, 0.5) is x  # training defaults to False
    assert F.feature_alpha_dropout(x, 0.5) is x
    xi = lightgrad.tensor([1, 2, 3])
    assert F.dropout(xi, 0.5, training=False) is xi


def test_p1_gives_zeros_and_zero_grad_without_drawing():
    x = lightgrad.randn(3, 4, requires_grad=True)
    lightgrad.manual_seed(0)
    y = F.dropout(x, 1.0)
    after = lightgrad.rand(1).item()
    lightgrad.manual_seed(0)
    assert after == lightgrad.rand(1).item(), "p=1 must not consume random numbers"
    assert not y.detach().numpy().any()
    y.sum().backward()
    assert not x.grad.numpy().any()


# ----------------------------------------------------------------------------- in place
def test_inplace_overwrites_and_bumps_version():
    x = lightgrad.randn(10, 10)
    buf = x.data
    v = x._version
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and x.data is buf and x._version > v
    assert (x.numpy() == 0).any()


def test_inplace_on_leaf_requiring_grad_raises_like_torch():
    with pytest.raises(RuntimeError):
        torch.nn.functional.dropout(torch.ones(3, requires_grad=True), 0.5, inplace=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.dropout(lightgrad.ones(3, requires_grad=True), 0.5, inplace=True)


# ----------------------------------------------------------------------------- errors
P_ERRORS = [
    ("dropout", lambda lib, x: lib.nn.functional.dropout(x, 1.5), "but got 1.5"),
    ("dropout_negative", lambda lib, x: lib.nn.functional.dropout(x, -0.1), "but got -0.1"),
    ("alpha", lambda lib, x: lib.nn.functional.alpha_dropout(x, 2.0, True), "but got 2.0"),
    ("dropout2d", lambda lib, x: lib.nn.functional.dropout2d(x, 1.5), "but got 1.5"),
    ("module", lambda lib, x: lib.nn.Dropout(p=1.5), "but got 1.5"),
    ("module_alpha", lambda lib, x: lib.nn.AlphaDropout(p=-1), "but got -1"),
]


@pytest.mark.parametrize("row", P_ERRORS, ids=[r[0] for r in P_ERRORS])
def test_probability_validation_like_torch(row):
    _, fn, got = row
    check_raises(fn, [np.ones((2, 3, 4, 5))], exc=ValueError,
                 match=f"dropout probability has to be between 0 and 1, {got}")


def test_dropout1d_rejects_other_ranks():
    check_raises(lambda lib, x: lib.nn.functional.dropout1d(x, 0.5), [np.ones((2, 3, 4, 5))],
                 match="dropout1d: Expected 2D or 3D input, but received a 4D input")


def test_dropout2d_and_3d_warn_on_other_ranks_like_torch():
    for name, shape in (("dropout2d", (4, 5)), ("dropout2d", (2, 3, 4)),
                        ("dropout3d", (2, 3, 4))):
        with pytest.warns(UserWarning, match=name):
            getattr(torch.nn.functional, name)(torch.ones(shape), 0.5)
        with pytest.warns(UserWarning, match=name):
            getattr(F, name)(lightgrad.ones(*shape), 0.5)


def test_feature_dropout_needs_two_dims():
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.feature_alpha_dropout(lightgrad.ones(5), 0.5, training=True)


def test_integer_input_in_training_raises():
    check_raises(lambda lib, x: lib.nn.functional.dropout(x, 0.5), [np.ones(4, np.int64)],
                 match="floating point")


# ----------------------------------------------------------------------------- modules
MODULES = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]
SHAPES = {"Dropout": (4, 5), "Dropout1d": (2, 3, 4), "Dropout2d": (2, 3, 2, 2),
          "Dropout3d": (2, 2, 2, 2, 2), "AlphaDropout": (4, 5), "FeatureAlphaDropout": (2, 3, 4)}


@pytest.mark.parametrize("name", MODULES)
def test_module_repr_train_and_eval(name, rng):
    lg, th = getattr(nn, name)(p=0.25), getattr(torch.nn, name)(p=0.25)
    assert repr(lg) == repr(th)
    assert repr(getattr(nn, name)(0.5, inplace=True)) == \
        repr(getattr(torch.nn, name)(0.5, inplace=True))
    assert list(lg.parameters()) == []
    # eval: the identity, like torch
    check_module(lg, th, [rng.standard_normal(SHAPES[name])], rng, modes=(False,),
                 kind="elementwise")
    x = lightgrad.randn(*SHAPES[name])
    assert lg.eval()(x) is x
    # train: random, and the same draw as the functional under the same seed
    lg.train()
    lightgrad.manual_seed(9)
    y = lg(x)
    fn = {"Dropout": F.dropout, "Dropout1d": F.dropout1d, "Dropout2d": F.dropout2d,
          "Dropout3d": F.dropout3d, "AlphaDropout": F.alpha_dropout,
          "FeatureAlphaDropout": F.feature_alpha_dropout}[name]
    lightgrad.manual_seed(9)
    np.testing.assert_array_equal(y.numpy(), fn(x, 0.25, True).numpy())
    assert not np.array_equal(y.numpy(), x.numpy())


def test_dropout_in_a_model_train_vs_eval(rng):
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(6, 16), lib.nn.ReLU(), lib.nn.Dropout(0.5),
                                 lib.nn.Linear(16, 2))

    lg, th = build(lightgrad), build(torch)
    x = rng.standard_normal((8, 6))
    check_module(lg, th, [x], rng, modes=(False,))
    lg.float().train()
    xt = lightgrad.tensor(x.astype(np.float32))
    lightgrad.manual_seed(1)
    a = lg(xt).detach().numpy()
    lightgrad.manual_seed(1)
    np.testing.assert_array_equal(a, lg(xt).detach().numpy())
    assert not np.allclose(a, lg.eval()(xt).detach().numpy())


def test_module_inplace_flag():
    m = nn.Dropout(0.5, inplace=True)
    x = lightgrad.ones(100)
    assert m(x) is x and (x.numpy() == 0).any()


def test_exports():
    for name in ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                 "feature_alpha_dropout"):
        assert getattr(lightgrad.nn.functional, name) is getattr(lightgrad.ops.dropout, name)
    for name in MODULES:
        assert hasattr(nn, name)


def test_keep_probability_is_exact_to_32_bits():
    """The keep decisions compare 32 random bits with ceil(p * 2**32): a p within 2**-32 of 1
    keeps nothing, a p of 2**-33 keeps (almost) everything, and the masks are still one
    independent draw per element (two halves of each 64-bit draw do not repeat each other)."""
    from lightgrad.ops.dropout import _keep

    x = lightgrad.ones(1000)
    assert not _keep(x, 1.0 - 2.0**-34, (1000,)).any()
    assert _keep(x, 2.0**-33, (1000,)).all()
    k = _keep(x, 0.5, (100_000,))
    assert abs(k.mean() - 0.5) < 5 * math.sqrt(0.25 / 100_000)
    # neighbours (the two 32-bit halves of one 64-bit draw) are independent
    agree = (k[0::2] == k[1::2]).mean()
    assert abs(agree - 0.5) < 5 * math.sqrt(0.25 / 50_000)
