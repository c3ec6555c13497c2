"""Activation modules (``nn/modules/activation.py``) against torch.nn: outputs, input
gradients (and PReLU's weight gradient) in float32 and float64 plus a float64 gradcheck, repr
text, in-place flags, Softmax's implicit dim, and the Step (Heaviside) module."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from tests.helpers import OpCase, case_id, check_case, check_raises
from tests.nn.test_module import check_module

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


def away_from(shape, kinks=(0.0,), margin=0.1, spread=3.0):
    """Values in ``[-spread, spread]`` at least ``margin`` away from every kink."""
    def sample(r):
        x = r.uniform(-spread, spread, shape)
        for k in kinks:
            close = np.abs(x - k) < margin
            x = np.where(close, k + np.sign(x - k + 1e-12) * (margin + 0.05), x)
        return [np.asarray(x)]
    return sample


def T(sampler):
    return lambda r: [a.T for a in sampler(r)]


def M(name, *args, train=True, **kwargs):
    """``lib.nn.<name>(*args, **kwargs)(x)``: the same call on lightgrad and torch."""
    def fn(lib, x):
        m = getattr(lib.nn, name)(*args, **kwargs)
        return m.train(train)(x)
    return fn


def M_inplace(name, *args, **kwargs):
    """The module with ``inplace=True`` on a non-leaf (``x * 1``)."""
    return lambda lib, x: getattr(lib.nn, name)(*args, inplace=True, **kwargs)(x * 1.0)


def rows(id_, fn, sampler, covers, kind="elementwise", variants=True):
    out = [OpCase(id_, fn, sampler((3, 4)), covers=covers, kind=kind)]
    if variants:
        out += [OpCase(f"{id_}_T", fn, T(sampler((4, 3))), covers=covers, kind=kind),
                OpCase(f"{id_}_0d", fn, sampler(()), covers=covers, kind=kind),
                OpCase(f"{id_}_size0", fn, sampler((2, 0)), covers=covers, kind=kind)]
    return out


def smooth(shape, spread=3.0):
    return away_from(shape, (), spread=spread)


ACTIVATION_MODULE_CASES = [
    *rows("ReLU", M("ReLU"), away_from, ("Relu",)),
    *rows("ReLU_inplace", M_inplace("ReLU"), away_from, ("Relu",), variants=False),
    *rows("ReLU6", M("ReLU6"), lambda s: away_from(s, (0.0, 6.0), spread=8.0), ("Hardtanh",)),
    *rows("LeakyReLU", M("LeakyReLU"), away_from, ("LeakyRelu",), variants=False),
    *rows("LeakyReLU_slope_inplace", M_inplace("LeakyReLU", 0.2), away_from, ("LeakyRelu",)),
    *rows("ELU_alpha", M("ELU", alpha=0.5), away_from, ("Elu",)),
    *rows("ELU_inplace", M_inplace("ELU"), away_from, ("Elu",), variants=False),
    *rows("SELU", M("SELU"), away_from, ("Elu",), variants=False),
    *rows("CELU", M("CELU", 2.0), away_from, ("Elu",), variants=False),
    *rows("GELU", M("GELU"), smooth, ("Gelu",)),
    *rows("GELU_tanh", M("GELU", approximate="tanh"), smooth, ("Gelu",), variants=False),
    *rows("SiLU", M("SiLU"), smooth, ("Silu",)),
    *rows("SiLU_inplace", M_inplace("SiLU"), smooth, ("Silu",), variants=False),
    *rows("Mish", M("Mish"), smooth, ("Mish",), variants=False),
    *rows("Sigmoid", M("Sigmoid"), smooth, ("Sigmoid",)),
    *rows("Tanh", M("Tanh"), smooth, ("Tanh",)),
    *rows("Softplus", M("Softplus"), smooth, ("Softplus",), variants=False),
    *rows("Softplus_beta_threshold", M("Softplus", beta=2.0, threshold=5.0),
          lambda s: away_from(s, (2.5,), margin=0.2, spread=5.0), ("Softplus",),
          variants=False),
    *rows("Softsign", M("Softsign"), smooth, ("Softsign",), variants=False),
    *rows("Hardtanh", M("Hardtanh", -0.5, 2.0), lambda s: away_from(s, (-0.5, 2.0)),
          ("Hardtanh",)),
    *rows("Hardsigmoid", M("Hardsigmoid"), lambda s: away_from(s, (-3.0, 3.0), spread=5.0),
          ("Hardsigmoid",), variants=False),
    *rows("Hardswish", M("Hardswish"), lambda s: away_from(s, (-3.0, 3.0), spread=5.0),
          ("Hardswish",), variants=False),
    *rows("LogSigmoid", M("LogSigmoid"), smooth, ("LogSigmoid",), variants=False),
    *rows("Threshold", M("Threshold", 0.5, -2.0), lambda s: away_from(s, (0.5,)),
          ("Threshold",)),
    *rows("Tanhshrink", M("Tanhshrink"), smooth, ("Tanh", "Sub"), variants=False),
    *rows("Hardshrink", M("Hardshrink", 1.0), lambda s: away_from(s, (-1.0, 1.0)),
          ("Hardshrink",), variants=False),
    *rows("Softshrink", M("Softshrink", 0.7), lambda s: away_from(s, (-0.7, 0.7)),
          ("Softshrink",), variants=False),
    # RReLU draws slopes in training; lower == upper makes the draw deterministic
    *rows("RReLU_train_fixed", M("RReLU", 0.2, 0.2), away_from, ("Rrelu",), variants=False),
    *rows("RReLU_eval", M("RReLU", train=False), away_from, ("LeakyRelu",), variants=False),
    OpCase("GLU_last", M("GLU"), smooth((3, 4)), covers=("Glu",)),
    OpCase("GLU_dim0_T", M("GLU", 0), T(smooth((3, 4))), covers=("Glu",)),
    OpCase("Softmax_dim1", M("Softmax", dim=1), smooth((3, 4)), covers=("Softmax",),
           kind="softmax"),
    OpCase("Softmax_neg_dim_3d_T", M("Softmax", -1), lambda r: [r.standard_normal((4, 3, 2))
                                                                 .transpose(2, 1, 0)],
           covers=("Softmax",), kind="softmax"),
    OpCase("Softmax_size0", M("Softmax", 1), smooth((0, 3)), covers=("Softmax",),
           kind="softmax"),
    OpCase("LogSoftmax_dim0", M("LogSoftmax", dim=0), smooth((3, 4)), covers=("LogSoftmax",),
           kind="softmax"),
    OpCase("LogSoftmax_0d", M("LogSoftmax", 0), smooth(()), covers=("LogSoftmax",),
           kind="softmax"),
    OpCase("Softmin_dim1", M("Softmin", 1), smooth((3, 4)), covers=("Softmax", "Neg"),
           kind="softmax"),
    OpCase("Softmax2d_4d", M("Softmax2d"), smooth((2, 3, 2, 2)), covers=("Softmax",),
           kind="softmax"),
    OpCase("Softmax2d_3d", M("Softmax2d"), smooth((3, 2, 2)), covers=("Softmax",),
           kind="softmax"),
]


@pytest.mark.parametrize("case", ACTIVATION_MODULE_CASES, ids=case_id)
def test_module_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- PReLU
@pytest.mark.parametrize("num,shape", [(1, (4, 3)), (3, (4, 3)), (3, (2, 3, 5)), (1, (5,)),
                                       (2, (2, 2, 3, 3)), (1, ())])
def test_prelu_parity_with_weight_gradient(num, shape, rng):
    lg, th = nn.PReLU(num, init=0.1), torch.nn.PReLU(num, init=0.1)
    with lightgrad.no_grad():
        lg.weight.data[...] = rng.uniform(0.05, 0.5, num)
    x = away_from(shape)(rng)[0]
    check_module(lg, th, [x], rng, kind="elementwise")


def test_prelu_gradcheck(rng):
    m = nn.PReLU(3).double()
    x = lightgrad.tensor(away_from((2, 3, 2))(rng)[0], requires_grad=True)
    assert lightgrad.autograd.gradcheck(lambda x, w: lightgrad.nn.functional.prelu(x, w),
                                        (x, m.weight))


def test_prelu_init_repr_and_errors():
    m = nn.PReLU(4, init=0.3, dtype=lightgrad.float64)
    assert m.weight.dtype == np.float64 and (m.weight.detach().numpy() == 0.3).all()
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert repr(m) == repr(torch.nn.PReLU(4, init=0.3)) == "PReLU(num_parameters=4)"
    check_raises(lambda lib, x: lib.nn.PReLU(3)(x), [np.ones((2, 4), np.float32)],
                 match="channel")
    m.reset_parameters()
    assert (m.weight.detach().numpy() == 0.3).all()


# ----------------------------------------------------------------------------- repr
REPRS = [
    ("Threshold", (0.1, 20.0), {}), ("Threshold", (0.1, 20), {"inplace": True}),
    ("ReLU", (), {}), ("ReLU", (True,), {}), ("RReLU", (), {}), ("RReLU", (0.1, 0.3, True), {}),
    ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 2.0, True), {}), ("ReLU6", (), {}),
    ("ReLU6", (True,), {}), ("Sigmoid", (), {}), ("Hardsigmoid", (), {}), ("Tanh", (), {}),
    ("SiLU", (), {}), ("SiLU", (True,), {}), ("Mish", (), {}), ("Hardswish", (True,), {}),
    ("ELU", (), {}), ("ELU", (0.5, True), {}), ("CELU", (2.0,), {}), ("SELU", (), {}),
    ("SELU", (True,), {}), ("GLU", (), {}), ("GLU", (0,), {}), ("GELU", (), {}),
    ("GELU", ("tanh",), {}), ("Hardshrink", (), {}), ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2, True), {}), ("LogSigmoid", (), {}), ("Softplus", (2, 10), {}),
    ("Softshrink", (0.3,), {}), ("PReLU", (), {}), ("Softsign", (), {}), ("Tanhshrink", (), {}),
    ("Softmin", (), {"dim": 1}), ("Softmax", (), {}), ("Softmax", (-1,), {}),
    ("Softmax2d", (), {}), ("LogSoftmax", (), {"dim": 2}),
]


@pytest.mark.parametrize("name,args,kwargs", REPRS)
def test_repr_matches_torch(name, args, kwargs):
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args,
                                                                                    **kwargs))


def test_every_activation_module_exists_in_torch_and_has_no_parameters():
    from lightgrad.nn.modules import activation

    for name in activation.__all__:
        if name == "Step":
            continue
        assert hasattr(torch.nn, name), name
        if name != "PReLU":
            assert list(getattr(nn, name)(*{"Threshold": (0.1, 0.0)}.get(name, ()))
                        .parameters()) == []


# ----------------------------------------------------------------------------- in place
@pytest.mark.parametrize("name,args", [("ReLU", ()), ("LeakyReLU", (0.1,)), ("ELU", ()),
                                       ("SELU", ()), ("CELU", ()), ("Hardtanh", ()),
                                       ("ReLU6", ()), ("SiLU", ()), ("Mish", ()),
                                       ("Hardsigmoid", ()), ("Hardswish", ()),
                                       ("Threshold", (0.0, -1.0))])
def test_inplace_modules_overwrite_their_input(name, args, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    lx = lightgrad.tensor(x)
    tx = torch.tensor(x)
    out = getattr(nn, name)(*args, inplace=True)(lx)
    getattr(torch.nn, name)(*args, inplace=True)(tx)
    assert out is lx
    np.testing.assert_allclose(lx.numpy(), tx.numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- softmax dim
@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax", "Softmin"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 3, 2, 2)])
def test_softmax_implicit_dim_like_torch(name, shape, rng):
    x = rng.standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        expected = getattr(torch.nn, name)()(torch.tensor(x)).numpy()
    with pytest.warns(UserWarning, match="Implicit dimension choice") as rec:
        got = getattr(nn, name)()(lightgrad.tensor(x)).numpy()
    assert rec[0].filename == __file__, "the warning should point at the caller"
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_softmax_with_dim_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Softmax(dim=1)(lightgrad.ones(2, 3))


# ----------------------------------------------------------------------------- errors
def test_errors_like_torch():
    for args in ((1.0, -1.0), (0.5, 0.5)):
        with pytest.raises(AssertionError):
            torch.nn.Hardtanh(*args)
        with pytest.raises(AssertionError, match="must be greater than min_val"):
            nn.Hardtanh(*args)
    check_raises(lambda lib, x: lib.nn.Softmax2d()(x), [np.ones((2, 3))],
                 match="Softmax2d: expected input to be 3D or 4D, got 2D", exc=ValueError)
    check_raises(lambda lib, x: lib.nn.GELU("fast")(x), [np.ones(3)], match="approximate")
    check_raises(lambda lib, x: lib.nn.GLU()(x), [np.ones((2, 3))], match="even")
    check_raises(lambda lib, x: lib.nn.Softmax(dim=2)(x), [np.ones((2, 3))], match="range")


def test_hardtanh_deprecated_keywords():
    with pytest.warns(FutureWarning, match="min_val"):
        m = nn.Hardtanh(min_value=-2.0)
    assert m.min_val == -2.0


# ----------------------------------------------------------------------------- Step
def test_step_forward_and_zero_gradient():
    x = lightgrad.tensor([-2.0, -1e-9, 0.0, 1e-9, 3.0], requires_grad=True)
    y = nn.Step()(x)
    np.testing.assert_array_equal(y.detach().numpy(), [0, 0, 1, 1, 1])
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(5))
    assert repr(nn.Step()) == "Step()"
    assert repr(nn.Step(straight_through=True)) == "Step(straight_through=True)"


def test_step_integer_and_double_inputs():
    np.testing.assert_array_equal(nn.Step()(lightgrad.tensor([-3, 0, 4])).numpy(), [0, 1, 1])
    y = nn.Step()(lightgrad.tensor([-1.0, 1.0], dtype=lightgrad.float64))
    assert y.dtype == np.float64


def test_step_straight_through_is_exact_and_passes_the_gradient(rng):
    x = lightgrad.tensor(rng.standard_normal(50) * 10, requires_grad=True)
    y = nn.Step(straight_through=True)(x)
    np.testing.assert_array_equal(y.detach().numpy(), (x.detach().numpy() >= 0).astype(
        np.float32))
    g = rng.standard_normal(50).astype(np.float32)
    y.backward(lightgrad.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), g)
    # without grad the plain step is used
    assert not nn.Step(True)(lightgrad.ones(2)).requires_grad


def _perceptron_data(rng, n=60):
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    t = (x @ np.array([1.5, -1.0], np.float32) + 0.3 >= 0).astype(np.float32)
    return x, t


def test_perceptron_rule_trains_with_step(rng):
    """The documented recipe: the perceptron rule, no autograd, separates separable data."""
    x, t = _perceptron_data(rng)
    step = nn.Step()
    w, b = lightgrad.zeros(2), lightgrad.zeros(())
    xs, ts = lightgrad.tensor(x), lightgrad.tensor(t)
    for _ in range(100):
        errors = 0
        for i in range(len(x)):
            y = step(xs[i] @ w + b)
            delta = (ts[i] - y).item()
            if delta:
                errors += 1
                w += 0.1 * delta * xs[i]
                b += 0.1 * delta
        if not errors:
            break
    assert errors == 0
    np.testing.assert_array_equal(step(xs @ w + b).numpy(), t)


def test_straight_through_mse_gradient_is_the_perceptron_update(rng):
    """With straight_through, a gradient step on 0.5 * sum((t - y)^2) is exactly the (batch)
    perceptron rule w += lr * sum((t - y) x)."""
    x, t = _perceptron_data(rng, 20)
    lin = nn.Linear(2, 1)
    w0, b0 = lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy()
    y = nn.Step(straight_through=True)(lin(lightgrad.tensor(x)))[:, 0]
    (0.5 * ((lightgrad.tensor(t) - y) ** 2).sum()).backward()
    err = t - (x @ w0[0] + b0[0] >= 0).astype(np.float32)
    np.testing.assert_allclose(-lin.weight.grad.numpy()[0], err @ x, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(-lin.bias.grad.numpy(), [err.sum()], rtol=1e-6, atol=1e-6)
    assert np.abs(err).sum() > 0  # the check above is not vacuous
    assert math.isfinite(float(lin.weight.grad.numpy().sum()))
