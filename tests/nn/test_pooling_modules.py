"""Pooling, padding and upsampling modules (nn/modules/pooling.py, padding.py, upsampling.py)
against their torch.nn twins: outputs and input gradients in float32 and float64, reprs,
attributes, return_indices and a SegNet-style pool/unpool encoder-decoder."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from tests.helpers import _compare, tol
from tests.nn.test_module import check_module

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


def _perm(*shape):
    def make(r):
        n = math.prod(shape)
        return (r.permutation(n).reshape(shape) - n / 2) * 0.1
    return make


def _n(*shape):
    return lambda r: r.standard_normal(shape)


# (name, constructor args/kwargs, input maker); the same call builds both modules
MODULES = [
    ("MaxPool2d", (2,), {}, _perm(2, 3, 6, 7)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), _perm(2, 2, 7, 6)),
    ("MaxPool2d", ((2, 3),), dict(stride=1, dilation=(2, 1)), _perm(1, 2, 6, 6)),
    ("MaxPool1d", (3, 2, 1), {}, _perm(2, 3, 9)),
    ("AvgPool2d", (2,), {}, _n(2, 3, 6, 8)),
    ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False), _n(2, 2, 7, 6)),
    ("AvgPool2d", (2,), dict(divisor_override=3), _n(1, 2, 4, 5)),
    ("AvgPool1d", (3,), dict(stride=1, padding=1), _n(2, 3, 7)),
    ("AdaptiveAvgPool2d", (1,), {}, _n(2, 3, 5, 4)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, _n(2, 3, 7, 4)),
    ("AdaptiveAvgPool1d", (4,), {}, _n(2, 3, 9)),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, _perm(2, 2, 5, 7)),
    ("AdaptiveMaxPool1d", (3,), {}, _perm(2, 2, 8)),
    ("LPPool2d", (2, 2), {}, lambda r: r.uniform(0.5, 2, (2, 2, 4, 6))),
    ("LPPool1d", (3, 2), dict(stride=1), lambda r: r.uniform(0.5, 2, (2, 2, 5))),
    ("ZeroPad2d", ((1, 0, 2, 1),), {}, _n(2, 3, 4, 4)),
    ("ZeroPad2d", (2,), {}, _n(3, 4, 4)),
    ("ZeroPad1d", ((2, 1),), {}, _n(2, 3, 4)),
    ("ConstantPad1d", (2, 3.5), {}, _n(2, 3, 4)),
    ("ConstantPad2d", ((1, 2, 0, 1), -1.0), {}, _n(2, 3, 4, 4)),
    ("ConstantPad3d", (1, 0.5), {}, _n(1, 2, 2, 3, 2)),
    ("ReflectionPad1d", (2,), {}, _n(2, 3, 4)),
    ("ReflectionPad2d", ((1, 2, 2, 0),), {}, _n(2, 3, 4, 4)),
    ("ReflectionPad3d", (1,), {}, _n(1, 2, 2, 3, 2)),
    ("ReplicationPad1d", ((3, 1),), {}, _n(2, 3, 4)),
    ("ReplicationPad2d", (2,), {}, _n(2, 3, 3, 4)),
    ("ReplicationPad3d", ((1, 0, 0, 2, 1, 1),), {}, _n(1, 2, 2, 3, 2)),
    ("CircularPad1d", (2,), {}, _n(2, 3, 4)),
    ("CircularPad2d", ((1, 2, 2, 0),), {}, _n(2, 3, 4, 4)),
    ("CircularPad3d", (1,), {}, _n(1, 2, 2, 3, 2)),
    ("Upsample", (), dict(scale_factor=2), _n(2, 3, 3, 4)),
    ("Upsample", (), dict(size=(5, 7), mode="bilinear"), _n(2, 3, 3, 4)),
    ("Upsample", (), dict(scale_factor=(1.5, 2.0), mode="bilinear", align_corners=True),
     _n(1, 2, 4, 3)),
    ("Upsample", (), dict(scale_factor=2, mode="linear"), _n(2, 3, 5)),
    ("Upsample", (), dict(size=6, mode="bicubic"), _n(1, 2, 3, 4)),
    ("Upsample", (), dict(scale_factor=1.7, mode="nearest-exact", recompute_scale_factor=True),
     _n(1, 2, 3, 4)),
    ("UpsamplingNearest2d", (), dict(scale_factor=2), _n(2, 2, 3, 3)),
    ("UpsamplingBilinear2d", (), dict(size=(4, 7)), _n(2, 2, 3, 3)),
    ("PixelShuffle", (2,), {}, _n(2, 8, 3, 3)),
    ("PixelUnshuffle", (3,), {}, _n(2, 1, 6, 3)),
]


def _mid(m):
    name, args, kw, _ = m
    extra = ",".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kw.items()])
    return f"{name}({extra})".replace(" ", "")


@pytest.mark.parametrize("spec", MODULES, ids=[_mid(m) for m in MODULES])
def test_module_parity(spec, rng):
    name, args, kw, make = spec
    lg_mod = getattr(nn, name)(*args, **kw)
    th_mod = getattr(torch.nn, name)(*args, **kw)
    assert repr(lg_mod) == repr(th_mod)
    assert list(lg_mod.state_dict()) == list(th_mod.state_dict()) == []
    lg_mod.load_state_dict(th_mod.state_dict())
    check_module(lg_mod, th_mod, [make(rng)], rng, kind="reduction", modes=(True,))


REPRS = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((3, 2),), dict(stride=1, padding=(1, 0), dilation=2, ceil_mode=True)),
    ("MaxPool1d", (3,), dict(return_indices=True)),
    ("AvgPool1d", (3,), dict(padding=1)),
    ("AvgPool2d", ((2, 3),), dict(stride=(1, 2))),
    ("AdaptiveMaxPool2d", ((2, None),), dict(return_indices=True)),
    ("AdaptiveAvgPool1d", (5,), {}),
    ("MaxUnpool2d", (2,), {}),
    ("MaxUnpool2d", ((3, 2),), dict(stride=2, padding=1)),
    ("MaxUnpool1d", (3,), {}),
    ("LPPool2d", (1.5, 3), dict(stride=2, ceil_mode=True)),
    ("ZeroPad2d", ((1, 0, 2, 1),), {}),
    ("ConstantPad2d", (1, 3), {}),
    ("ReflectionPad2d", (3,), {}),
    ("ReplicationPad1d", ((1, 2),), {}),
    ("CircularPad2d", (1,), {}),
    ("Upsample", (), dict(scale_factor=(2, 3), mode="bilinear")),
    ("Upsample", (), dict(size=5)),
    ("UpsamplingBilinear2d", (), dict(scale_factor=2)),
    ("PixelShuffle", (3,), {}),
    ("PixelUnshuffle", (2,), {}),
]


@pytest.mark.parametrize("spec", REPRS, ids=[_mid(m + (None,)) for m in REPRS])
def test_repr_and_attributes_match_torch(spec):
    name, args, kw = spec
    lg_mod = getattr(nn, name)(*args, **kw)
    th_mod = getattr(torch.nn, name)(*args, **kw)
    assert repr(lg_mod) == repr(th_mod)
    for attr in ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices",
                 "count_include_pad", "divisor_override", "output_size", "value", "size",
                 "scale_factor", "mode", "align_corners", "upscale_factor", "downscale_factor",
                 "norm_type", "recompute_scale_factor"):
        if hasattr(th_mod, attr):
            assert getattr(lg_mod, attr) == getattr(th_mod, attr), attr


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_return_indices_modules(dt, rng):
    x = _perm(2, 3, 7, 6)(rng).astype(dt)
    for name, args in [("MaxPool2d", (3, 2, 1)), ("AdaptiveMaxPool2d", ((3, 4),)),
                       ("MaxPool1d", (2,)), ("AdaptiveMaxPool1d", (4,))]:
        xi = x if name.endswith("2d") else x.reshape(2, 3, 42)
        lg = getattr(nn, name)(*args, return_indices=True)
        th = getattr(torch.nn, name)(*args, return_indices=True)
        lx = lightgrad.tensor(xi, requires_grad=True)
        tx = torch.tensor(xi, requires_grad=True)
        (lo, li), (to, ti) = lg(lx), th(tx)
        _compare(f"{name} output", lo, to, *tol("reduction", dt))
        _compare(f"{name} indices", li, ti, 0, 0)
        g = rng.standard_normal(tuple(to.shape)).astype(dt)
        (lo * lightgrad.tensor(g)).sum().backward()
        (to * torch.from_numpy(g)).sum().backward()
        _compare(f"{name} grad", lx.grad, tx.grad, *tol("backward", dt))


def _segnet(lib, nn_):
    """A tiny SegNet-like encoder-decoder without convolutions: pool twice with saved
    indices, unpool twice back to the (odd) input size."""

    class Net(nn_.Module):
        def __init__(self):
            super().__init__()
            self.pool = nn_.MaxPool2d(2, return_indices=True)
            self.unpool = nn_.MaxUnpool2d(2)
            self.up = nn_.Upsample(scale_factor=1, mode="nearest")
            self.pad = nn_.ZeroPad2d((0, 1, 0, 1))

        def forward(self, x):
            s1 = x.shape
            h, i1 = self.pool(x)
            s2 = h.shape
            h, i2 = self.pool(h * 2.0)
            h = self.unpool(h, i2, output_size=s2)
            h = self.unpool(h + 1.0, i1, output_size=s1)
            return self.pad(self.up(h))

    return Net()


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_segnet_style_encoder_decoder(dt, rng):
    x = _perm(2, 3, 9, 11)(rng).astype(dt)
    lg_net, th_net = _segnet(lightgrad, nn), _segnet(torch, torch.nn)
    check_module(lg_net, th_net, [x], rng, dtypes=(dt,), kind="reduction", modes=(True,))


def test_unpool_module_output_size_from_forward(rng):
    x = lightgrad.tensor(_perm(1, 1, 5, 5)(rng) + 10)
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    up = nn.MaxUnpool2d(2)(out, idx, output_size=x.shape)
    assert up.shape == x.shape
    assert (up.numpy() != 0).sum() == 4


def test_circular_pad_checks_dims():
    with pytest.raises(ValueError, match=r"CircularPad2d: expected 3D or 4D input \(got 2D"):
        nn.CircularPad2d(1)(lightgrad.ones(3, 3))


def test_modules_in_sequential_pipeline(rng):
    """A LeNet-style feature stack built from these modules runs forward and backward."""
    net = nn.Sequential(nn.ZeroPad2d(2), nn.MaxPool2d(2), nn.AvgPool2d(2),
                        nn.Upsample(scale_factor=2, mode="bilinear"), nn.AdaptiveAvgPool2d(3),
                        nn.PixelUnshuffle(3), nn.PixelShuffle(3))
    x = lightgrad.tensor(rng.standard_normal((4, 1, 28, 28)).astype(np.float32),
                         requires_grad=True)
    y = net(x)
    assert tuple(y.shape) == (4, 1, 3, 3) and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.shape == x.shape and x.grad.dtype == np.float32
