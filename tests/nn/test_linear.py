"""Identity, Linear, LazyLinear, Bilinear, Flatten and Unflatten against torch.nn: module
parity (outputs, input and parameter gradients, float32/float64), default initialization in
distribution, state dicts, repr, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from lightgrad.nn.modules.linear import bilinear
from tests.helpers import OpCase, case_id, check_case, check_raises
from tests.nn.test_init import assert_moments, assert_same_distribution
from tests.nn.test_module import check_module

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


def normal(*shapes):
    return lambda r: [r.standard_normal(s) for s in shapes]


# ----------------------------------------------------------------------------- functional rows
# bilinear is composed from einsum + add (no primitive of its own): parity + gradcheck here
BILINEAR_CASES = [
    OpCase("bilinear", lambda lib, x1, x2, w, b: bilinear(x1, x2, w, b),
           normal((4, 3), (4, 2), (5, 3, 2), (5,)), covers=("Einsum",), kind="matmul",
           torch_fn=lambda lib, x1, x2, w, b: lib.nn.functional.bilinear(x1, x2, w, b)),
    OpCase("bilinear_no_bias_batch_dims", lambda lib, x1, x2, w: bilinear(x1, x2, w),
           normal((2, 3, 2), (2, 3, 3), (2, 2, 3)), covers=("Einsum",), kind="matmul",
           torch_fn=lambda lib, x1, x2, w: lib.nn.functional.bilinear(x1, x2, w)),
    OpCase("bilinear_1d_T", lambda lib, x1, x2, w: bilinear(x1, x2, w.transpose(1, 2)),
           normal((3,), (2,), (2, 2, 3)), covers=("Einsum",), kind="matmul",
           torch_fn=lambda lib, x1, x2, w: lib.nn.functional.bilinear(x1, x2,
                                                                      w.transpose(1, 2))),
    OpCase("bilinear_size0_batch", lambda lib, x1, x2, w, b: bilinear(x1, x2, w, b),
           normal((0, 3), (0, 2), (4, 3, 2), (4,)), covers=("Einsum",), kind="matmul",
           torch_fn=lambda lib, x1, x2, w, b: lib.nn.functional.bilinear(x1, x2, w, b)),
]


@pytest.mark.parametrize("case", BILINEAR_CASES, ids=case_id)
def test_bilinear_functional_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- Linear
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,), (0, 4)])
def test_linear_module_parity(bias, shape, rng):
    lg = nn.Linear(4, 3, bias=bias)
    th = torch.nn.Linear(4, 3, bias=bias)
    check_module(lg, th, [rng.standard_normal(shape)], rng)


def test_linear_non_contiguous_input(rng):
    lg, th = nn.Linear(4, 3), torch.nn.Linear(4, 3)
    x = rng.standard_normal((4, 6))
    lg.load_state_dict(th.state_dict())
    xl = lightgrad.tensor(x, dtype=lightgrad.float32).T
    xt = torch.tensor(x, dtype=torch.float32).T
    np.testing.assert_allclose(lg(xl).detach().numpy(), th(xt).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_linear_zero_in_features_matches_torch(rng):
    with pytest.warns(UserWarning, match="no-op"):
        th = torch.nn.Linear(0, 3)
    lg = nn.Linear(0, 3)
    assert not lg.bias.detach().numpy().any()  # bound 0, as torch
    check_module(lg, th, [rng.standard_normal((2, 0))], rng)


def test_linear_default_init_distribution_matches_torch():
    fan_in, out = 300, 400
    lg = nn.Linear(fan_in, out)
    torch.manual_seed(0)
    th = torch.nn.Linear(fan_in, out)
    bound = 1 / math.sqrt(fan_in)
    w, b = lg.weight.detach().numpy(), lg.bias.detach().numpy()
    assert w.dtype == np.float32 and b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound
    assert_moments(w, 0.0, bound / math.sqrt(3), 1.8, "Linear.weight")
    assert_same_distribution(w, th.weight.detach().numpy(), "Linear.weight")
    assert_same_distribution(b, th.bias.detach().numpy(), "Linear.bias")


def test_linear_reset_parameters_redraws_and_is_seeded():
    lightgrad.manual_seed(5)
    a = nn.Linear(6, 4)
    lightgrad.manual_seed(5)
    b = nn.Linear(6, 4)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    np.testing.assert_array_equal(a.bias.detach().numpy(), b.bias.detach().numpy())
    w0 = a.weight.detach().numpy().copy()
    buf = a.weight.data
    a.reset_parameters()
    assert a.weight.data is buf and not np.array_equal(w0, a.weight.detach().numpy())


def test_linear_dtype_and_device_kwargs():
    m = nn.Linear(3, 2, dtype=lightgrad.float64, device="cpu")
    assert m.weight.dtype == np.float64 and m.bias.dtype == np.float64
    assert m.weight.device == lightgrad.device("cpu")
    assert m(lightgrad.ones(1, 3, dtype=lightgrad.float64)).dtype == np.float64
    with pytest.raises(RuntimeError):
        nn.Linear(3, 2, dtype=lightgrad.int64)


def test_linear_parameters_state_dict_and_repr():
    lg, th = nn.Linear(5, 7), torch.nn.Linear(5, 7)
    assert [n for n, _ in lg.named_parameters()] == ["weight", "bias"]
    assert lg.weight.shape == (7, 5) and lg.bias.shape == (7,)
    lg.load_state_dict(th.state_dict())
    np.testing.assert_array_equal(lg.weight.detach().numpy(), th.weight.detach().numpy())
    assert repr(lg) == repr(th)
    assert repr(nn.Linear(2, 3, bias=False)) == repr(torch.nn.Linear(2, 3, bias=False))
    assert nn.Linear(2, 3, bias=False).bias is None
    assert list(nn.Linear(2, 3, bias=False).state_dict()) == ["weight"]


def test_linear_feature_mismatch_names_the_layer():
    m = nn.Linear(64, 8)
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=64\): input has 63 features "
                                           r"\(shape \(32, 63\)\)"):
        m(lightgrad.ones(32, 63))
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=64\).*shape \(\)"):
        m(lightgrad.tensor(1.0))
    with pytest.raises(RuntimeError):
        torch.nn.Linear(64, 8)(torch.ones(32, 63))


def test_linear_dtype_mismatch_raises_like_torch():
    check_raises(lambda lib, x: lib.nn.Linear(3, 2)(x), [np.ones((2, 3), np.float64)],
                 match="dtype|float")


@pytest.mark.parametrize("args", [(2.5, 3), (3, -1)])
def test_linear_bad_sizes(args):
    with pytest.raises((TypeError, RuntimeError)):
        torch.nn.Linear(*args)
    with pytest.raises((TypeError, RuntimeError), match="features"):
        nn.Linear(*args)


def test_linear_trains_a_step_like_torch(rng):
    """One SGD step through Linear + ReLU + Linear reaches the same weights as torch."""
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 1))

    lg, th = build(lightgrad), build(torch)
    lg.load_state_dict(th.state_dict())
    x = rng.standard_normal((16, 4)).astype(np.float32)
    y = rng.standard_normal((16, 1)).astype(np.float32)
    for model, lib, conv in ((lg, lightgrad, lightgrad.tensor), (th, torch, torch.tensor)):
        loss = ((model(conv(x)) - conv(y)) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
    for (n, p), (_, q) in zip(lg.named_parameters(), th.named_parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=n)


# ----------------------------------------------------------------------------- Identity
def test_identity():
    x = lightgrad.ones(2, 3, requires_grad=True)
    m = nn.Identity(54, unused_argument1=0.1, unused_argument2=False)
    assert m(x) is x
    assert repr(m) == repr(torch.nn.Identity(54)) == "Identity()"
    assert list(m.parameters()) == []


# ----------------------------------------------------------------------------- LazyLinear
def test_lazy_linear_materializes_on_first_call(rng):
    m = nn.LazyLinear(3)
    assert m.in_features == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: lazy modules are experimental
        th = torch.nn.LazyLinear(3)
    assert repr(m) == repr(th)
    params = list(m.parameters())
    x = rng.standard_normal((4, 5)).astype(np.float32)
    out = m(lightgrad.tensor(x))
    th(torch.from_numpy(x))
    assert out.shape == (4, 3) and type(m) is nn.Linear and m.in_features == 5
    assert m.weight.shape == (3, 5) and m.bias.shape == (3,)
    assert [p is q for p, q in zip(params, m.parameters())] == [True, True]
    assert repr(m) == repr(th)
    assert np.abs(m.weight.detach().numpy()).max() <= 1 / math.sqrt(5)
    check_module(m, th, [x.astype(np.float64)], rng)


def test_lazy_linear_loads_a_torch_state_dict():
    th = torch.nn.Linear(6, 2)
    m = nn.LazyLinear(2)
    m.load_state_dict(th.state_dict())
    assert m.in_features == 6
    np.testing.assert_array_equal(m.weight.detach().numpy(), th.weight.detach().numpy())


# ----------------------------------------------------------------------------- Bilinear
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(5,), (2, 3), ()])
def test_bilinear_module_parity(bias, batch, rng):
    lg = nn.Bilinear(3, 4, 2, bias=bias)
    th = torch.nn.Bilinear(3, 4, 2, bias=bias)
    check_module(lg, th, [rng.standard_normal(batch + (3,)), rng.standard_normal(batch + (4,))],
                 rng)
    assert repr(lg) == repr(th)


def test_bilinear_default_init_distribution_matches_torch():
    lg = nn.Bilinear(40, 30, 50)
    torch.manual_seed(0)
    th = torch.nn.Bilinear(40, 30, 50)
    bound = 1 / math.sqrt(40)
    w = lg.weight.detach().numpy()
    assert w.shape == (50, 40, 30) and np.abs(w).max() <= bound
    assert np.abs(lg.bias.detach().numpy()).max() <= bound
    assert_moments(w, 0.0, bound / math.sqrt(3), 1.8, "Bilinear.weight")
    assert_same_distribution(w, th.weight.detach().numpy(), "Bilinear.weight")


def test_bilinear_errors():
    m = nn.Bilinear(3, 4, 2)
    with pytest.raises(RuntimeError, match=r"bilinear.*\(5, 3\) and \(4, 4\)"):
        m(lightgrad.ones(5, 3), lightgrad.ones(4, 4))
    with pytest.raises(RuntimeError, match=r"bilinear.*\(3, 4\)"):
        m(lightgrad.ones(5, 4), lightgrad.ones(5, 3))
    with pytest.raises(ValueError, match="in1_features must be > 0"):
        torch.nn.Bilinear(0, 2, 2)
    with pytest.raises(ValueError, match="in1_features must be > 0"):
        nn.Bilinear(0, 2, 2)


# ----------------------------------------------------------------------------- Flatten
@pytest.mark.parametrize("args,shape", [
    ((), (2, 3, 4, 5)), ((0, -1), (2, 3, 4)), ((1, 2), (2, 3, 4, 5)), ((2, 2), (2, 3, 4)),
    ((-3, -2), (2, 3, 4, 5)), ((), (2, 0, 3)), ((0,), ()),
])
def test_flatten_parity(args, shape, rng):
    lg, th = nn.Flatten(*args), torch.nn.Flatten(*args)
    check_module(lg, th, [rng.standard_normal(shape)], rng, kind="movement")
    assert repr(lg) == repr(th)


def test_flatten_returns_a_view():
    x = lightgrad.zeros(2, 3, 4)
    y = nn.Flatten()(x)
    y[0, 0] = 5.0
    assert x[0, 0, 0].item() == 5.0


def test_flatten_errors():
    check_raises(lambda lib, x: lib.nn.Flatten(2, 1)(x), [np.zeros((2, 3, 4))],
                 match="start_dim")
    check_raises(lambda lib, x: lib.nn.Flatten(1)(x), [np.zeros((2,))],
                 match="flatten: Dimension out of range")


@pytest.mark.parametrize("dim,sizes,shape", [
    (1, (2, 5, 5), (2, 50)), (-1, [3, -1], (4, 6)), (0, (2, 2), (4, 3)), (1, (1, 3, 1), (2, 3)),
])
def test_unflatten_parity(dim, sizes, shape, rng):
    lg, th = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    check_module(lg, th, [rng.standard_normal(shape)], rng, kind="movement")
    assert repr(lg) == repr(th)


def test_unflatten_errors():
    with pytest.raises(TypeError, match="tuple of ints"):
        torch.nn.Unflatten(1, 5)
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, 5)
    with pytest.raises(TypeError, match="pos 1"):
        nn.Unflatten(1, (2, 2.5))
    check_raises(lambda lib, x: lib.nn.Unflatten(1, (3, 3))(x), [np.zeros((2, 10))],
                 match=r"\[3, 3\].*10")


def test_flatten_unflatten_round_trip_in_a_model(rng):
    def build(lib):
        return lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(12, 12),
                                 lib.nn.Unflatten(1, (3, 4)))

    lg, th = build(lightgrad), build(torch)
    check_module(lg, th, [rng.standard_normal((5, 3, 4))], rng)
