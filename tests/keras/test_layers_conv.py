"""Keras convolution, pooling and resizing layers: PyTorch parity with Keras-layout weights,
TensorFlow's "same" padding, transposed convolutions as adjoints, shapes, configs, training."""

import json

import numpy as np
import pytest

import lightgrad
from lightgrad import keras
from lightgrad.keras.saving.serialization import deserialize_layer, serialize_layer

torch = pytest.importorskip("torch")
tF = torch.nn.functional
pytestmark = pytest.mark.torch
L = keras.layers


def npy(t):
    return t.detach().numpy()


def lg64(a, rg=True):
    return lightgrad.tensor(np.asarray(a, np.float64), requires_grad=rg)


def th64(a, rg=True):
    return torch.tensor(np.asarray(a, np.float64), requires_grad=rg)


def tf_same(size, k, s, d=1):
    """TensorFlow's 'same' split, written independently: out = ceil(size/s), the extra pixel
    after."""
    out = (size + s - 1) // s
    need = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
    return need // 2, need - need // 2


def torch_conv_nhwc(x, kernel, bias, strides, padding, dilation, groups):
    """Keras semantics computed with torch: NHWC input, Keras (kh, kw, in/g, out) kernel."""
    xt = x.permute(0, 3, 1, 2)
    w = kernel.permute(3, 2, 0, 1)
    if padding == "same":
        (t, b), (lft, r) = [tf_same(xt.shape[2 + i], kernel.shape[i], strides[i], dilation[i])
                            for i in range(2)]
        xt = tF.pad(xt, (lft, r, t, b))
    y = tF.conv2d(xt, w, bias, stride=strides, dilation=dilation, groups=groups)
    return y.permute(0, 2, 3, 1)


CONV2D = [  # (input HxW, channels, filters, kernel, strides, padding, dilation, groups)
    ((7, 7), 3, 4, (3, 3), (1, 1), "valid", (1, 1), 1),
    ((7, 8), 3, 4, (3, 3), (2, 2), "same", (1, 1), 1),  # asymmetric in W
    ((8, 8), 2, 6, (4, 4), (1, 1), "same", (1, 1), 2),  # even kernel: (1, 2) split
    ((9, 7), 2, 3, (3, 2), (1, 1), "same", (2, 2), 1),  # dilation
    ((10, 9), 4, 4, (5, 3), (3, 2), "valid", (1, 1), 4),  # depthwise-like
    ((5, 5), 1, 2, (1, 1), (2, 2), "same", (1, 1), 1),
]


@pytest.mark.parametrize("spec", CONV2D, ids=lambda s: f"{s[0]}-k{s[3]}-s{s[4]}-{s[5]}-d{s[6]}")
def test_conv2d_matches_torch_with_keras_layout_weights(spec, rng):
    hw, c, f, k, s, pad, d, g = spec
    layer = L.Conv2D(f, k, strides=s, padding=pad, dilation_rate=d, groups=g,
                     activation="tanh", dtype="float64")
    x = rng.standard_normal((2,) + hw + (c,))
    kernel = rng.standard_normal(k + (c // g, f)) * 0.5
    bias = rng.standard_normal(f)
    xl = lg64(x)
    layer(xl)  # build
    layer.set_weights([kernel, bias])
    y = layer(xl)
    xt, kt, bt = th64(x), th64(kernel), th64(bias)
    yt = torch.tanh(torch_conv_nhwc(xt, kt, bt, s, pad, d, g))
    assert tuple(y.shape) == tuple(yt.shape)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    up = rng.standard_normal(tuple(yt.shape))
    y.backward(lg64(up, False))
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(npy(xl.grad), npy(xt.grad), rtol=1e-9, atol=1e-11)
    # the kernel gradient, seen in Keras's layout
    gk = layer.conv.weight.grad.detach().numpy().transpose(2, 3, 1, 0)
    np.testing.assert_allclose(gk, kt.grad.detach().numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(npy(layer.conv.bias.grad), npy(bt.grad), rtol=1e-9)
    if pad == "same":  # TensorFlow's output size
        assert tuple(y.shape[1:3]) == tuple(-(-n // st) for n, st in zip(hw, s))


def test_same_padding_puts_the_extra_pixel_after_like_tensorflow():
    # 1..8 with a ones kernel of 3, stride 2: total pad 1, all of it at the end
    layer = L.Conv1D(1, 3, strides=2, padding="same", use_bias=False,
                     kernel_initializer="ones")
    y = layer(np.arange(1.0, 9.0).reshape(1, 8, 1))
    np.testing.assert_allclose(y.detach().numpy().ravel(), [6, 12, 18, 15])
    # max pooling "same": windows [1,2] [3,4] [5] over 1..5
    y = L.MaxPooling1D(2, padding="same")(np.array([[[1.0], [5.0], [3.0], [2.0], [4.0]]]))
    np.testing.assert_allclose(y.detach().numpy().ravel(), [5, 3, 4])


def test_conv1d_valid_same_causal_match_torch(rng):
    x = rng.standard_normal((3, 11, 4))
    kernel = rng.standard_normal((3, 4, 5))
    bias = rng.standard_normal(5)
    xt = th64(x, False).permute(0, 2, 1)
    wt = th64(kernel, False).permute(2, 1, 0)
    bt = th64(bias, False)
    for pad, d, tpad in (("valid", 1, (0, 0)), ("same", 1, (1, 1)), ("causal", 2, (4, 0))):
        layer = L.Conv1D(5, 3, padding=pad, dilation_rate=d, dtype="float64")
        layer(lg64(x, False))
        layer.set_weights([kernel, bias])
        want = tF.conv1d(tF.pad(xt, tpad), wt, bt, dilation=d).permute(0, 2, 1)
        got = layer(lg64(x, False))
        np.testing.assert_allclose(npy(got), npy(want), rtol=1e-10, atol=1e-12)
    # causal: output t depends on inputs <= t only
    layer = L.Conv1D(2, 4, padding="causal")
    x = rng.standard_normal((1, 9, 4)).astype(np.float32)
    y0 = layer(x).detach().numpy()
    x[0, 6:] += 10.0
    y1 = layer(x).detach().numpy()
    np.testing.assert_array_equal(y0[0, :6], y1[0, :6])
    assert not np.allclose(y0[0, 6:], y1[0, 6:])


def test_channels_first_equals_channels_last(rng):
    x = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
    a = L.Conv2D(4, 3, strides=2, padding="same")
    b = L.Conv2D(4, 3, strides=2, padding="same", data_format="channels_first")
    a(x)
    b(x.transpose(0, 3, 1, 2))
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(b(x.transpose(0, 3, 1, 2)).detach().numpy().transpose(0, 2, 3, 1),
                               a(x).detach().numpy(), rtol=1e-6, atol=1e-6)
    p = L.MaxPooling2D(padding="same", data_format="channels_first")
    np.testing.assert_array_equal(p(x.transpose(0, 3, 1, 2)).detach().numpy().transpose(0, 2, 3, 1),
                                  L.MaxPooling2D(padding="same")(x).detach().numpy())


def test_conv_weights_round_trip_and_layouts(rng):
    layer = L.Conv2D(6, (3, 2), groups=2)
    layer(np.zeros((1, 5, 5, 4), np.float32))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 2, 6) and bias.shape == (6,)
    np.testing.assert_array_equal(kernel, layer.conv.weight.detach().numpy().transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(layer.kernel.detach().numpy(), kernel)
    new = [rng.standard_normal(kernel.shape).astype(np.float32),
           rng.standard_normal(6).astype(np.float32)]
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    assert layer.count_params() == 3 * 2 * 2 * 6 + 6
    with pytest.raises(ValueError, match=r"shape \(3, 2, 2, 6\)"):
        layer.set_weights([new[0].T, new[1]])
    with pytest.raises(ValueError, match="expects 2 arrays"):
        layer.set_weights(new[:1])
    t = L.Conv2DTranspose(5, 3)
    t(np.zeros((1, 4, 4, 2), np.float32))
    assert [w.shape for w in t.get_weights()] == [(3, 3, 5, 2), (5,)]


def test_default_initialization_is_glorot_uniform_and_zero_bias():
    layer = L.Conv2D(64, 3)
    layer(np.zeros((1, 8, 8, 32), np.float32))
    kernel, bias = layer.get_weights()
    limit = np.sqrt(6 / (9 * 32 + 9 * 64))  # fans of (3, 3, 32, 64)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit
    assert abs(kernel.std() - limit / np.sqrt(3)) < 0.02 * limit
    np.testing.assert_array_equal(bias, 0)


def conv_adjoint(kernel, x, strides, padding, out_hw):
    """Keras's transposed convolution as TensorFlow defines it: the gradient of a Conv2D
    (kernel (kh, kw, filters, in) read as a Conv2D kernel from filters to in channels) whose
    input has the transposed convolution's output size."""
    n = x.shape[0]
    z = torch.zeros((n, kernel.shape[2]) + tuple(out_hw), dtype=torch.float64,
                    requires_grad=True)
    zz = z
    if padding == "same":
        (t, b), (lft, r) = [tf_same(out_hw[i], kernel.shape[i], strides[i]) for i in range(2)]
        zz = tF.pad(z, (lft, r, t, b))
    y = tF.conv2d(zz, torch.tensor(kernel).permute(3, 2, 0, 1), stride=strides)
    assert tuple(y.shape[2:]) == tuple(x.shape[1:3])
    (y * torch.tensor(x).permute(0, 3, 1, 2)).sum().backward()
    return z.grad.permute(0, 2, 3, 1).detach().numpy()


@pytest.mark.parametrize("k,s,pad", [(3, 1, "valid"), (3, 2, "valid"), (2, 3, "valid"),
                                     (3, 2, "same"), (4, 2, "same"), (5, 3, "same"),
                                     (1, 2, "same")])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(k, s, pad, rng):
    x = rng.standard_normal((2, 4, 5, 3))
    kernel = rng.standard_normal((k, k, 2, 3))
    bias = rng.standard_normal(2)
    layer = L.Conv2DTranspose(2, k, strides=s, padding=pad, dtype="float64")
    xl = lg64(x)
    layer(xl)
    layer.set_weights([kernel, bias])
    y = layer(xl)
    want_hw = [n * s if pad == "same" else (n - 1) * s + max(k, s) for n in (4, 5)]
    assert tuple(y.shape) == (2, *want_hw, 2)
    want = conv_adjoint(kernel, x, (s, s), pad, want_hw) + bias
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    # its input gradient is the forward Conv2D of the upstream gradient (adjoint of adjoint)
    up = rng.standard_normal(tuple(y.shape))
    y.backward(lg64(up, False))
    zt = th64(up, False).permute(0, 3, 1, 2)
    if pad == "same":
        (t, b), (lft, r) = [tf_same(want_hw[i], k, s) for i in range(2)]
        zt = tF.pad(zt, (lft, r, t, b))
    want_gx = tF.conv2d(zt, th64(kernel, False).permute(3, 2, 0, 1), stride=s)
    np.testing.assert_allclose(npy(xl.grad), npy(want_gx.permute(0, 2, 3, 1)),
                               rtol=1e-10, atol=1e-12)


def test_conv2d_transpose_output_padding_and_dilation_shapes():
    x = np.zeros((1, 5, 5, 3), np.float32)
    assert L.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=0)(x).shape[1] == 9
    assert L.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1)(x).shape[1] == 10
    assert L.Conv2DTranspose(2, 3, strides=3, padding="valid", output_padding=2)(x).shape[1] == 17
    assert L.Conv2DTranspose(2, 3, dilation_rate=2)(x).shape[1] == 9
    assert L.Conv1DTranspose(2, 4, strides=2, padding="same")(np.zeros((1, 6, 3))).shape == \
        (1, 12, 2)
    with pytest.raises(ValueError, match="must be greater than output padding"):
        L.Conv2DTranspose(2, 3, strides=2, output_padding=2)


@pytest.mark.parametrize("cls,torch_fn", [(L.MaxPooling2D, tF.max_pool2d),
                                          (L.AveragePooling2D, tF.avg_pool2d)])
def test_valid_pooling_matches_torch(cls, torch_fn, rng):
    x = rng.standard_normal((2, 9, 8, 3))
    for pool, strides in (((2, 2), None), ((3, 2), (2, 1)), (3, 3)):
        layer = cls(pool, strides)
        xl = lg64(x)
        y = layer(xl)
        xt = th64(x)
        s = pool if strides is None else strides
        yt = torch_fn(xt.permute(0, 3, 1, 2), pool, s).permute(0, 2, 3, 1)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
        up = rng.standard_normal(tuple(yt.shape))
        y.backward(lg64(up, False))
        yt.backward(torch.tensor(up))
        np.testing.assert_allclose(npy(xl.grad), npy(xt.grad), rtol=1e-12, atol=1e-14)


def same_pool_reference(x, pool, strides, mode):
    """TensorFlow's 'same' pooling by brute force: each window over the real inputs only."""
    n, h, w, c = x.shape
    (pt, _), (pl, _) = tf_same(h, pool[0], strides[0]), tf_same(w, pool[1], strides[1])
    oh, ow = -(-h // strides[0]), -(-w // strides[1])
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - pt, j * strides[1] - pl
            win = x[:, max(r0, 0):r0 + pool[0], max(c0, 0):c0 + pool[1]]
            out[:, i, j] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return out


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("hw,pool,strides", [((7, 8), (2, 2), (2, 2)), ((6, 6), (3, 3), (2, 2)),
                                             ((5, 7), (2, 3), (1, 2)), ((4, 4), (2, 2), (1, 1))])
def test_same_pooling_matches_tensorflow_semantics(mode, hw, pool, strides, rng):
    x = rng.standard_normal((2,) + hw + (3,))
    cls = L.MaxPooling2D if mode == "max" else L.AveragePooling2D
    xl = lg64(x)
    y = cls(pool, strides, padding="same")(xl)
    np.testing.assert_allclose(y.detach().numpy(), same_pool_reference(x, pool, strides, mode),
                               rtol=1e-12, atol=1e-14)
    y.sum().backward()
    if mode == "avg":  # every input's gradient is the sum of 1/count over its windows
        assert xl.grad.detach().numpy().sum() == pytest.approx(np.prod(y.shape), rel=1e-12)


def test_pooling_1d_and_global_pooling(rng):
    x = rng.standard_normal((2, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(L.MaxPooling1D(3, 2)(x).detach().numpy(),
                               tF.max_pool1d(torch.tensor(x).permute(0, 2, 1), 3, 2)
                               .permute(0, 2, 1).detach().numpy())
    np.testing.assert_allclose(L.AveragePooling1D()(x).detach().numpy(),
                               (x[:, 0:6:2] + x[:, 1:6:2]) / 2, rtol=1e-6)
    np.testing.assert_allclose(L.GlobalAveragePooling1D()(x).detach().numpy(), x.mean(1), rtol=1e-6)
    np.testing.assert_allclose(L.GlobalMaxPooling1D()(x).detach().numpy(), x.max(1))
    x2 = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(L.GlobalAveragePooling2D()(x2).detach().numpy(), x2.mean((1, 2)),
                               rtol=1e-5, atol=1e-6)
    assert L.GlobalAveragePooling2D(keepdims=True)(x2).shape == (2, 1, 1, 3)
    np.testing.assert_allclose(L.GlobalMaxPooling2D()(x2).detach().numpy(), x2.max((1, 2)))
    cf = L.GlobalAveragePooling2D(data_format="channels_first")(x2)
    np.testing.assert_allclose(cf.detach().numpy(), x2.mean((2, 3)), rtol=1e-5, atol=1e-6)
    # masked average: only the unmasked steps count
    mask = np.array([[True] * 7, [True, True, True, False, False, False, False]])
    got = L.GlobalAveragePooling1D()(x, mask=mask).detach().numpy()
    np.testing.assert_allclose(got, np.stack([x[0].mean(0), x[1, :3].mean(0)]), rtol=1e-6)


def test_upsampling_and_zero_padding(rng):
    x = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    np.testing.assert_array_equal(L.UpSampling2D((2, 3))(x).detach().numpy(),
                                  x.repeat(2, axis=1).repeat(3, axis=2))
    bil = L.UpSampling2D(interpolation="bilinear")(x).detach().numpy()
    want = tF.interpolate(torch.tensor(x).permute(0, 3, 1, 2), scale_factor=2, mode="bilinear",
                          align_corners=False).permute(0, 2, 3, 1).detach().numpy()
    np.testing.assert_allclose(bil, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(NotImplementedError, match="interpolation"):
        L.UpSampling2D(interpolation="lanczos3")
    np.testing.assert_array_equal(npy(L.UpSampling1D(3)(x[:, 0])), x[:, 0].repeat(3, axis=1))
    np.testing.assert_array_equal(L.ZeroPadding2D()(x).detach().numpy(),
                                  np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))))
    np.testing.assert_array_equal(L.ZeroPadding2D((2, 0))(x).detach().numpy(),
                                  np.pad(x, ((0, 0), (2, 2), (0, 0), (0, 0))))
    np.testing.assert_array_equal(L.ZeroPadding2D(((1, 0), (2, 3)))(x).detach().numpy(),
                                  np.pad(x, ((0, 0), (1, 0), (2, 3), (0, 0))))
    np.testing.assert_array_equal(L.ZeroPadding1D((0, 2))(x[:, 0]).detach().numpy(),
                                  np.pad(x[:, 0], ((0, 0), (0, 2), (0, 0))))
    with pytest.raises(ValueError, match="padding"):
        L.ZeroPadding2D((1, 2, 3))


SHAPES = [  # layer, input shape, output shape
    (lambda: L.Conv2D(8, 3), (2, 10, 12, 3), (2, 8, 10, 8)),
    (lambda: L.Conv2D(8, 3, padding="same"), (2, 10, 12, 3), (2, 10, 12, 8)),
    (lambda: L.Conv2D(8, 3, strides=2), (2, 10, 12, 3), (2, 4, 5, 8)),
    (lambda: L.Conv2D(8, 3, strides=2, padding="same"), (2, 10, 11, 3), (2, 5, 6, 8)),
    (lambda: L.Conv2D(8, 3, dilation_rate=2), (2, 10, 12, 3), (2, 6, 8, 8)),
    (lambda: L.Conv1D(8, 5, padding="same"), (2, 9, 3), (2, 9, 8)),
    (lambda: L.Conv1D(8, 5, strides=2), (2, 9, 3), (2, 3, 8)),
    (lambda: L.Conv1D(8, 5, padding="causal"), (2, 9, 3), (2, 9, 8)),
    (lambda: L.Conv2DTranspose(4, 3), (2, 5, 6, 3), (2, 7, 8, 4)),
    (lambda: L.Conv2DTranspose(4, 3, strides=2), (2, 5, 6, 3), (2, 11, 13, 4)),
    (lambda: L.Conv2DTranspose(4, 2, strides=2), (2, 5, 6, 3), (2, 10, 12, 4)),
    (lambda: L.Conv2DTranspose(4, 3, strides=2, padding="same"), (2, 5, 6, 3), (2, 10, 12, 4)),
    (lambda: L.MaxPooling2D(), (2, 9, 8, 3), (2, 4, 4, 3)),
    (lambda: L.MaxPooling2D(padding="same"), (2, 9, 8, 3), (2, 5, 4, 3)),
    (lambda: L.MaxPooling2D(3, 1), (2, 9, 8, 3), (2, 7, 6, 3)),
    (lambda: L.AveragePooling2D(3, 2, "same"), (2, 9, 8, 3), (2, 5, 4, 3)),
    (lambda: L.MaxPooling1D(), (2, 9, 3), (2, 4, 3)),
    (lambda: L.MaxPooling1D(padding="same"), (2, 9, 3), (2, 5, 3)),
    (lambda: L.UpSampling2D(), (2, 3, 4, 5), (2, 6, 8, 5)),
    (lambda: L.ZeroPadding2D(2), (2, 3, 4, 5), (2, 7, 8, 5)),
    (lambda: L.GlobalAveragePooling2D(), (2, 3, 4, 5), (2, 5)),
]


@pytest.mark.parametrize("make,shape,out", SHAPES, ids=[f"{i}" for i in range(len(SHAPES))])
def test_output_shapes_eager_and_symbolic(make, shape, out):
    layer = make()
    assert tuple(layer(np.zeros(shape, np.float32)).shape) == out
    sym = make()(keras.Input(shape=shape[1:]))
    assert sym.shape == (None,) + out[1:]


CONFIG_LAYERS = [
    lambda: L.Conv2D(8, (3, 2), strides=2, padding="same", dilation_rate=1, groups=2,
                     activation="relu", use_bias=False, kernel_initializer="he_normal",
                     kernel_regularizer=keras.regularizers.L2(1e-3)),
    lambda: L.Conv1D(4, 3, padding="causal", dilation_rate=2, activity_regularizer="l1"),
    lambda: L.Conv2DTranspose(3, 4, strides=2, padding="same", output_padding=1,
                              bias_regularizer=keras.regularizers.L1(0.1)),
    lambda: L.Conv1DTranspose(3, 2),
    lambda: L.MaxPooling2D((3, 2), (1, 2), "same", data_format="channels_first"),
    lambda: L.AveragePooling2D(), lambda: L.MaxPooling1D(3), lambda: L.AveragePooling1D(),
    lambda: L.GlobalAveragePooling1D(keepdims=True), lambda: L.GlobalAveragePooling2D(),
    lambda: L.GlobalMaxPooling2D(), lambda: L.GlobalMaxPooling1D(),
    lambda: L.UpSampling2D((2, 3), interpolation="bilinear"), lambda: L.UpSampling1D(4),
    lambda: L.ZeroPadding2D(((1, 2), (0, 3))), lambda: L.ZeroPadding1D(2),
]


@pytest.mark.parametrize("make", CONFIG_LAYERS, ids=[f"{i}" for i in range(len(CONFIG_LAYERS))])
def test_config_round_trips(make):
    layer = make()
    cfg = layer.get_config()
    again = type(layer).from_config(cfg)
    assert again.get_config() == cfg
    spec = serialize_layer(layer)
    assert deserialize_layer(spec).get_config() == cfg
    json.dumps(spec)  # JSON-able


def test_keras_default_names():
    names = [L.Conv2D(1, 1).name, L.Conv2DTranspose(1, 1).name, L.MaxPooling2D().name,
             L.GlobalAveragePooling2D().name, L.UpSampling2D().name, L.ZeroPadding2D().name]
    stems = ["conv2d", "conv2d_transpose", "max_pooling2d", "global_average_pooling2d",
             "up_sampling2d", "zero_padding2d"]
    for name, stem in zip(names, stems):
        assert name == stem or name.startswith(stem + "_")


def test_bad_arguments_raise_keras_errors():
    with pytest.raises(ValueError, match="padding"):
        L.Conv2D(4, 3, padding="full")
    with pytest.raises(ValueError, match="causal"):
        L.Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="dilation_rate > 1"):
        L.Conv2D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="kernel_size"):
        L.Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match="filters"):
        L.Conv2D(0, 3)
    with pytest.raises(ValueError, match="groups"):
        L.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="data_format"):
        L.MaxPooling2D(data_format="NHWC")
    with pytest.raises(NotImplementedError, match="kernel_constraint"):
        L.Conv2D(4, 3, kernel_constraint=lambda w: w)
    layer = L.Conv2D(4, 3)
    with pytest.raises(ValueError, match="divisible by the number of groups"):
        L.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), np.float32))
    layer(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="built for 3 input channels"):
        layer(np.zeros((1, 5, 5, 2), np.float32))
    with pytest.raises(ValueError, match="4 dimensions"):
        L.Conv2D(4, 3)(np.zeros((5, 5, 3), np.float32))


def test_regularizers_add_their_penalties():
    layer = L.Conv2D(3, 2, kernel_regularizer=keras.regularizers.L2(0.1),
                     bias_regularizer=keras.regularizers.L1(0.5),
                     activity_regularizer=keras.regularizers.L1(0.01),
                     bias_initializer="ones")
    y = layer(np.ones((2, 4, 4, 1), np.float32))
    kernel, bias = layer.get_weights()
    got = sorted(float(v.item()) for v in layer.losses)
    want = sorted([0.1 * float((kernel ** 2).sum()), 0.5 * float(np.abs(bias).sum()),
                   0.01 * float(np.abs(y.detach().numpy()).sum()) / 2])  # / batch (Keras 3)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def make_blobs(n, rng):
    """Images with a bright 3x3 square in the left or the right half: the class is the side."""
    x = rng.random((n, 12, 12, 1)).astype(np.float32) * 0.3
    y = rng.integers(0, 2, n)
    for i in range(n):
        r = rng.integers(0, 9)
        c = rng.integers(0, 3) + (6 if y[i] else 0)
        x[i, r:r + 3, c:c + 3, 0] += 1.0
    return x, y


def test_a_keras_style_cnn_trains(rng):
    x, y = make_blobs(256, rng)
    model = keras.Sequential([
        keras.Input(shape=(12, 12, 1)),
        L.Conv2D(8, 3, padding="same", activation="relu"),
        L.MaxPooling2D(),
        L.Conv2D(8, 3, activation="relu"),
        L.GlobalAveragePooling2D(),
        L.Dense(2, activation="softmax"),
    ])
    assert [lay.name.split("_")[0] for lay in model.layers][:2] == ["conv2d", "max"]
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    before = model.evaluate(x, y, verbose=0)[0]
    hist = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    loss, acc = model.evaluate(x, y, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert loss < before and acc >= 0.9
    # summary and predict work on the conv stack
    lines = []
    model.summary(print_fn=lines.append)
    assert "Conv2D" in "".join(lines) and "(None, 12, 12, 8)" in "".join(lines)
    assert model.predict(x[:5], verbose=0).shape == (5, 2)


def test_conv_gradients_pass_a_float64_gradcheck(rng):
    layer = L.Conv2D(2, 2, strides=2, padding="same", dtype="float64", activation="tanh")
    x = lg64(rng.standard_normal((1, 3, 3, 2)))
    layer(x)
    from lightgrad.autograd import gradcheck

    assert gradcheck(lambda t: layer(t), (x,))
