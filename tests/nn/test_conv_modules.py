"""Conv1d/2d/3d, ConvTranspose1d/2d/3d, Unfold and Fold against torch.nn: module parity
(outputs, input and parameter gradients, float32/float64) including the padding modes, torch
state_dict loading, default initialization in distribution, repr, output_size, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from tests.nn.test_init import assert_moments, assert_same_distribution
from tests.nn.test_module import check_module

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


# ----------------------------------------------------------------------------- parity
CONV_CONFIGS = [
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    ("Conv1d", (4, 4, 2), dict(padding="same", groups=2, bias=False), (3, 4, 7)),
    ("Conv1d", (2, 3, 3), dict(padding=2, padding_mode="reflect"), (2, 2, 6)),
    ("Conv1d", (2, 3, 3), dict(dilation=2), (2, 7)),  # unbatched
    ("Conv2d", (1, 6, 5), dict(padding=2), (2, 1, 8, 8)),  # LeNet-5's first layer, small
    ("Conv2d", (3, 4, (3, 2)), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
     (2, 3, 7, 6)),
    ("Conv2d", (4, 8, 3), dict(groups=4, padding="same"), (1, 4, 5, 5)),  # depthwise x2
    ("Conv2d", (3, 5, 1), dict(), (2, 3, 4, 3)),  # 1x1
    ("Conv2d", (2, 3, 3), dict(padding=1, padding_mode="reflect"), (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(padding=(2, 1), padding_mode="replicate", stride=2),
     (1, 2, 5, 6)),
    ("Conv2d", (2, 3, 4), dict(padding="same", padding_mode="circular"), (1, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(padding="valid", padding_mode="reflect"), (1, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(padding=1, bias=False), (2, 5, 6)),  # unbatched
    ("Conv3d", (2, 3, 2), dict(padding=1, stride=(1, 2, 1)), (1, 2, 3, 4, 3)),
    ("Conv3d", (2, 2, 3), dict(padding=1, padding_mode="replicate", groups=2), (1, 2, 3, 3, 3)),
    ("ConvTranspose1d", (3, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 5)),
    ("ConvTranspose2d", (4, 2, 3), dict(stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 3, 4)),
    ("ConvTranspose2d", (2, 3, (2, 3)), dict(dilation=2, bias=False), (1, 2, 3, 3)),
    ("ConvTranspose2d", (2, 3, 2), dict(stride=2), (2, 3, 3)),  # unbatched
    ("ConvTranspose3d", (2, 2, 2), dict(stride=2, padding=(0, 1, 0)), (1, 2, 2, 3, 2)),
]


def _cfg_id(c):
    return f"{c[0]}_{c[1]}_" + "_".join(f"{k}{v}" for k, v in c[2].items())


@pytest.mark.parametrize("cfg", CONV_CONFIGS, ids=_cfg_id)
def test_module_parity(cfg, rng):
    name, args, kwargs, xshape = cfg
    lg = getattr(nn, name)(*args, **kwargs)
    th = getattr(torch.nn, name)(*args, **kwargs)
    check_module(lg, th, [rng.standard_normal(xshape)], rng, modes=(True,))


def test_lenet_features_parity(rng):
    """LeNet-5's convolutional trunk (conv, tanh, avg-pool by reshape, conv) end to end."""
    def trunk(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(1, 6, 5, padding=2), lib.nn.Tanh(),
                                 lib.nn.Conv2d(6, 16, 5, stride=2), lib.nn.ReLU(),
                                 lib.nn.Conv2d(16, 4, 1))
    check_module(trunk(lightgrad), trunk(torch), [rng.standard_normal((2, 1, 14, 14))], rng,
                 modes=(True,))


def test_conv_transpose_output_size(rng):
    lg = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    th = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    lg.load_state_dict(th.state_dict())
    x = rng.standard_normal((1, 3, 4, 5)).astype(np.float32)
    for size in ([7, 9], [8, 10], [1, 2, 8, 9], (8, 9)):
        lo = lg(lightgrad.tensor(x), output_size=size)
        to = th(torch.tensor(x), output_size=list(size))
        assert tuple(lo.shape) == tuple(to.shape)
        np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    for bad in ([9, 9], [6, 9], [1, 8, 9]):
        with pytest.raises(ValueError):
            th(torch.tensor(x), output_size=bad)
        with pytest.raises(ValueError, match="ConvTranspose2d: "):
            lg(lightgrad.tensor(x), output_size=bad)


def test_unfold_fold_modules(rng):
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    for lg, th in ((nn.Unfold((2, 3), padding=1, stride=2),
                    torch.nn.Unfold((2, 3), padding=1, stride=2)),):
        np.testing.assert_allclose(lg(lightgrad.tensor(x)).numpy(), th(torch.tensor(x)).numpy())
        assert repr(lg) == repr(th)
    cols = rng.standard_normal((2, 12, 12)).astype(np.float32)
    lg, th = nn.Fold((4, 5), 2), torch.nn.Fold((4, 5), 2)
    np.testing.assert_allclose(lg(lightgrad.tensor(cols)).numpy(), th(torch.tensor(cols)).numpy(),
                               rtol=1e-6, atol=1e-6)
    assert repr(lg) == repr(th)


# ----------------------------------------------------------------------------- state dicts
def test_torch_state_dict_loads(rng):
    """A torch model's state_dict loads and gives the same outputs (torch layouts)."""
    def net(lib):
        torch.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Conv2d(3, 8, 3, padding=1), lib.nn.ReLU(),
                                 lib.nn.Conv2d(8, 8, 3, groups=2, bias=False),
                                 lib.nn.ConvTranspose2d(8, 4, 2, stride=2))
    th, lg = net(torch), net(lightgrad)
    sd = th.state_dict()
    assert list(sd) == list(lg.state_dict())
    lg.load_state_dict(sd)
    for k, v in lg.state_dict().items():
        assert tuple(v.shape) == tuple(sd[k].shape), k
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(lg(lightgrad.tensor(x)).detach().numpy(),
                               th(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_weight_layouts():
    assert nn.Conv2d(6, 4, (3, 2), groups=2).weight.shape == (4, 3, 3, 2)
    assert nn.ConvTranspose2d(6, 4, (3, 2), groups=2).weight.shape == (6, 2, 3, 2)
    assert nn.Conv1d(2, 5, 4).weight.shape == (5, 2, 4)
    assert nn.ConvTranspose3d(2, 3, 2).weight.shape == (2, 3, 2, 2, 2)
    assert nn.Conv2d(2, 3, 3, bias=False).bias is None
    assert list(nn.Conv2d(2, 3, 3, bias=False).state_dict()) == ["weight"]


# ----------------------------------------------------------------------------- initialization
@pytest.mark.parametrize("name,args", [("Conv2d", (16, 32, 5)), ("ConvTranspose2d", (32, 16, 5)),
                                       ("Conv1d", (20, 40, 7))])
def test_default_init_distribution_matches_torch(name, args):
    lg = getattr(nn, name)(*args)
    torch.manual_seed(0)
    th = getattr(torch.nn, name)(*args)
    w, b = lg.weight.detach().numpy(), lg.bias.detach().numpy()
    fan_in = math.prod(w.shape[1:])
    bound = 1 / math.sqrt(fan_in)
    assert w.dtype == np.float32 and b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound
    assert_moments(w, 0.0, bound / math.sqrt(3), 1.8, f"{name}.weight")
    assert_same_distribution(w, th.weight.detach().numpy(), f"{name}.weight")
    assert_same_distribution(b, th.bias.detach().numpy(), f"{name}.bias")


def test_init_is_seeded_and_dtype_device_kwargs():
    lightgrad.manual_seed(3)
    a = nn.Conv2d(2, 3, 3)
    lightgrad.manual_seed(3)
    b = nn.Conv2d(2, 3, 3)
    np.testing.assert_array_equal(a.weight.detach().numpy(), b.weight.detach().numpy())
    m = nn.Conv2d(2, 3, 3, dtype=lightgrad.float64, device="cpu")
    assert m.weight.dtype == np.float64 and m.bias.dtype == np.float64
    assert m(lightgrad.ones(1, 2, 4, 4, dtype=lightgrad.float64)).dtype == np.float64
    buf = a.weight.data
    a.reset_parameters()
    assert a.weight.data is buf


# ----------------------------------------------------------------------------- repr
@pytest.mark.parametrize("name,args,kwargs", [
    ("Conv2d", (1, 6, 5), {}),
    ("Conv2d", (1, 6, 5), dict(padding=2)),
    ("Conv2d", (4, 8, (3, 1)), dict(stride=2, dilation=(2, 1), groups=4, bias=False,
                                    padding_mode="circular", padding=1)),
    ("Conv2d", (3, 3, 3), dict(padding="same")),
    ("Conv2d", (3, 3, 3), dict(padding="valid", padding_mode="reflect")),
    ("Conv1d", (16, 33, 3), dict(stride=2)),
    ("Conv3d", (2, 4, 3), dict(padding=(1, 0, 1))),
    ("ConvTranspose2d", (16, 8, 3), dict(stride=2, padding=1, output_padding=1)),
    ("ConvTranspose1d", (4, 2, 3), dict(dilation=2, groups=2, bias=False)),
    ("ConvTranspose3d", (2, 3, 2), {}),
])
def test_repr_matches_torch(name, args, kwargs):
    assert repr(getattr(nn, name)(*args, **kwargs)) == \
        repr(getattr(torch.nn, name)(*args, **kwargs))


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("name,args,kwargs,match", [
    ("Conv2d", (3, 6, 3), dict(groups=2), "in_channels must be divisible by groups"),
    ("Conv2d", (4, 6, 3), dict(groups=4), "out_channels must be divisible by groups"),
    ("Conv2d", (4, 4, 3), dict(groups=0), "groups must be a positive integer"),
    ("Conv2d", (3, 6, 3), dict(padding="full"), "Invalid padding string 'full'"),
    ("Conv2d", (3, 6, 3), dict(padding="same", stride=2),
     "padding='same' is not supported for strided convolutions"),
    ("Conv2d", (3, 6, 3), dict(padding_mode="mirror"), "padding_mode must be one of"),
    ("ConvTranspose2d", (3, 6, 3), dict(padding_mode="reflect"),
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
])
def test_constructor_errors(name, args, kwargs, match):
    with pytest.raises(ValueError):
        getattr(torch.nn, name)(*args, **kwargs)
    with pytest.raises(ValueError, match=match):
        getattr(nn, name)(*args, **kwargs)


def test_layer_errors_name_the_layer():
    m = nn.Conv2d(3, 6, 5)
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 6, kernel_size=\(5, 5\)\): conv2d: "
                                           r"expected input with 3 channels \(weight shape "
                                           r"\(6, 3, 5, 5\)\) but got input of shape "
                                           r"\(1, 4, 32, 32\)"):
        m(lightgrad.ones(1, 4, 32, 32))
    with pytest.raises(RuntimeError):
        torch.nn.Conv2d(3, 6, 5)(torch.ones(1, 4, 32, 32))
    with pytest.raises(RuntimeError, match=r"ConvTranspose1d\(2, 3, kernel_size=\(3,\)\): "
                                           r"conv_transpose1d: expected input with 2 channels"):
        nn.ConvTranspose1d(2, 3, 3)(lightgrad.ones(1, 3, 4))
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 6, kernel_size=\(5, 5\)\): .*kernel size"):
        m(lightgrad.ones(1, 3, 4, 4))
