"""lightgrad.transforms: exact results for the simple transforms, rotations against np.rot90 and
torch's grid_sample, resizing against F.interpolate, per-image randomness in batches, seeding,
shapes and dtypes, and bad input."""

import colorsys
import math

import numpy as np
import pytest

import lightgrad
from lightgrad import transforms as T
from lightgrad.utils.data import DataLoader, TensorDataset


def seeded(tf, x, seed=0):
    lightgrad.manual_seed(seed)
    return tf(x)


def as_np(x):
    return x.numpy() if isinstance(x, lightgrad.Tensor) else x


# ----------------------------------------------------------------------------- ToTensor, Normalize
def test_to_tensor_scales_and_moves_channels(rng):
    hw = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    x = T.ToTensor()(hw)
    assert isinstance(x, lightgrad.Tensor) and x.dtype == lightgrad.float32
    assert tuple(x.shape) == (1, 5, 7)
    np.testing.assert_array_equal(x.numpy()[0], hw.astype(np.float32) / np.float32(255))
    hwc = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    x = T.ToTensor()(hwc)
    assert tuple(x.shape) == (3, 4, 6) and x.numpy().flags.c_contiguous
    np.testing.assert_array_equal(x.numpy(), hwc.transpose(2, 0, 1) / np.float32(255))
    nhwc = rng.integers(0, 256, (2, 4, 6, 3), dtype=np.uint8)
    np.testing.assert_array_equal(T.ToTensor()(nhwc).numpy(),
                                  nhwc.transpose(0, 3, 1, 2) / np.float32(255))
    assert float(T.ToTensor()(np.full((1, 1), 255, np.uint8)).item()) == 1.0
    f64 = rng.standard_normal((4, 6, 2))  # other dtypes: layout only, values kept
    out = T.ToTensor()(f64)
    assert out.dtype == lightgrad.float64
    np.testing.assert_array_equal(out.numpy(), f64.transpose(2, 0, 1))


def test_to_tensor_default_dtype_and_errors():
    lightgrad.set_default_dtype(lightgrad.float64)
    try:
        assert T.ToTensor()(np.zeros((2, 2), np.uint8)).dtype == lightgrad.float64
    finally:
        lightgrad.set_default_dtype(lightgrad.float32)
    with pytest.raises(TypeError, match="already a Tensor"):
        T.ToTensor()(lightgrad.zeros(1, 2, 2))
    with pytest.raises(ValueError, match=r"ToTensor: expected .* got shape \(3,\)"):
        T.ToTensor()(np.zeros(3, np.uint8))
    with pytest.raises(TypeError, match="Tensor or a NumPy array, got builtins.list"):
        T.ToTensor()([[1, 2]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_formula(rng, dtype):
    x = rng.random((4, 3, 5, 6)).astype(dtype)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    m = np.array(mean, dtype).reshape(3, 1, 1)
    s = np.array(std, dtype).reshape(3, 1, 1)
    out = T.Normalize(mean, std)(lightgrad.from_numpy(x))
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), (x - m) / s)
    np.testing.assert_array_equal(T.Normalize(mean, std)(x[1]), (x[1] - m) / s)  # one image
    np.testing.assert_array_equal(T.Normalize(0.5, 0.25)(x), (x - dtype(0.5)) / dtype(0.25))
    t = lightgrad.from_numpy(x.copy())
    assert T.Normalize(mean, std, inplace=True)(t) is t
    np.testing.assert_array_equal(t.numpy(), (x - m) / s)
    a = x.copy()
    T.Normalize(mean, std, inplace=True)(a)
    np.testing.assert_array_equal(a, (x - m) / s)


def test_normalize_errors():
    with pytest.raises(TypeError, match="Normalize: input must be a float tensor, got uint8"):
        T.Normalize(0.5, 0.5)(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize((0.5, 0.5), (1.0, 0.0))(np.zeros((2, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"mean has 2 values for 3 channels \(shape \(3, 2, 2\)"):
        T.Normalize((0.5, 0.5), (1.0, 1.0))(np.zeros((3, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"got shape \(2, 2\)"):
        T.Normalize(0.5, 0.5)(np.zeros((2, 2), np.float32))


# ----------------------------------------------------------------------------- pad and crops
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_matches_np_pad(rng, mode):
    x = rng.random((2, 3, 4, 5)).astype(np.float32)
    out = T.Pad((1, 2, 3, 0), fill=7, padding_mode=mode)(x)  # left, top, right, bottom
    kw = {"constant_values": 7} if mode == "constant" else {}
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (0, 0), (2, 0), (1, 3)), mode=mode,
                                              **kw))
    two = T.Pad((2, 1), padding_mode=mode)(x[0])  # left/right 2, top/bottom 1
    kw = {"constant_values": 0} if mode == "constant" else {}
    np.testing.assert_array_equal(two, np.pad(x[0], ((0, 0), (1, 1), (2, 2)), mode=mode, **kw))


def test_pad_fill_per_channel_and_errors():
    out = T.Pad(1, fill=(1, 2, 3))(np.zeros((3, 1, 1), np.uint8))
    assert out.dtype == np.uint8 and out[:, 0, 0].tolist() == [1, 2, 3]
    assert out[:, 1, 1].tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="fill must be a number or a sequence of 3 values"):
        T.Pad(1, fill=(1, 2))(np.zeros((3, 1, 1)))
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="padding must be an int or a sequence of 1, 2 or 4"):
        T.Pad((1, 2, 3))
    with pytest.raises(ValueError, match="must be smaller than the image"):
        T.Pad(3, padding_mode="reflect")(np.zeros((1, 2, 2)))


def test_center_crop_offsets():
    x = np.arange(7 * 8).reshape(1, 7, 8)
    # top = round((7 - 4) / 2) = 2 (round half to even: 1.5 -> 2), left = round((8 - 3) / 2) = 2
    np.testing.assert_array_equal(T.CenterCrop((4, 3))(x), x[:, 2:6, 2:5])
    np.testing.assert_array_equal(T.CenterCrop((5, 5))(x), x[:, 1:6, 2:7])  # 1.0, 1.5 -> 1, 2
    np.testing.assert_array_equal(T.CenterCrop(7)(x), x[:, :, 0:7])  # 0.5 -> 0
    big = T.CenterCrop((9, 11))(x)  # larger: zero padding (1 top, 1 bottom, 1 left, 2 right)
    np.testing.assert_array_equal(big, np.pad(x, ((0, 0), (1, 1), (1, 2))))
    batch = np.stack([x, x + 100])
    np.testing.assert_array_equal(T.CenterCrop(4)(batch), batch[:, :, 2:6, 2:6])


def test_random_crop_offsets_per_image(rng):
    n, h, w, size = 400, 6, 7, 4
    x = rng.standard_normal((n, 2, h, w)).astype(np.float32)
    out = seeded(T.RandomCrop(size), lightgrad.from_numpy(x))
    assert tuple(out.shape) == (n, 2, size, size) and out.dtype == lightgrad.float32
    out = out.numpy()
    seen = set()
    for k in range(n):
        hits = [(i, j) for i in range(h - size + 1) for j in range(w - size + 1)
                if np.array_equal(x[k, :, i:i + size, j:j + size], out[k])]
        assert len(hits) == 1
        seen.add(hits[0])
    assert len(seen) == (h - size + 1) * (w - size + 1)  # every position happens


def test_random_crop_padding_and_pad_if_needed(rng):
    x = rng.random((50, 1, 5, 5)).astype(np.float32)
    out = seeded(T.RandomCrop(5, padding=2, fill=-1), x)
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-1)
    for k in range(len(x)):
        assert any(np.array_equal(padded[k, :, i:i + 5, j:j + 5], out[k])
                   for i in range(5) for j in range(5))
    assert (out == -1).any() and (out != -1).any()
    small = np.ones((1, 3, 2), np.float32)
    grown = T.RandomCrop((5, 6), pad_if_needed=True)(small)  # pads both sides by the deficit
    assert grown.shape == (1, 5, 6) and grown.sum() == 6
    same = T.RandomCrop((3, 2))(small)
    np.testing.assert_array_equal(same, small)
    with pytest.raises(ValueError, match=r"required crop size \(4, 4\) is larger than the "
                                         r"input image size \(3, 2\)"):
        T.RandomCrop(4)(small)


@pytest.mark.parametrize("cls,axis", [(T.RandomHorizontalFlip, -1), (T.RandomVerticalFlip, -2)])
def test_flips(rng, cls, axis):
    x = rng.random((64, 2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(cls(p=1.0)(x), np.flip(x, axis))
    np.testing.assert_array_equal(cls(p=0.0)(x), x)
    img = lightgrad.from_numpy(x[0])
    np.testing.assert_array_equal(cls(p=1.0)(img).numpy(), np.flip(x[0], axis))
    assert cls(p=0.0)(img) is img
    out = seeded(cls(p=0.5), x)
    flipped = [np.array_equal(out[k], np.flip(x[k], axis)) for k in range(len(x))]
    kept = [np.array_equal(out[k], x[k]) for k in range(len(x))]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 10 < sum(flipped) < 54  # per image, about half
    hw = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(cls(p=1.0)(hw), np.flip(hw, axis))


# ----------------------------------------------------------------------------- rotations and affine
@pytest.mark.parametrize("size", [(5, 5), (4, 4), (1, 1)])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_rotation_by_90_is_rot90(rng, size, dtype):
    x = (rng.random((3, 2, *size)) * 200).astype(dtype)
    for angle, k in ((90, 1), (-90, -1), (180, 2), (270, 3), (0, 0)):
        out = T.RandomRotation((angle, angle))(x)
        assert out.dtype == dtype and out.shape == x.shape
        np.testing.assert_array_equal(out, np.rot90(x, k, axes=(2, 3)))
    bil = T.RandomRotation((90, 90), interpolation="bilinear")(x)
    np.testing.assert_allclose(bil.astype(np.float64), np.rot90(x, 1, axes=(2, 3)),
                               rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(T.RandomRotation(0, interpolation="bilinear")(x), x)


def test_rotation_rectangular_and_expand():
    x = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5)
    np.testing.assert_array_equal(T.RandomRotation((180, 180))(x), np.rot90(x, 2, axes=(1, 2)))
    out = T.RandomRotation((90, 90), expand=True)(x)
    assert out.shape == (2, 5, 3)
    np.testing.assert_array_equal(out, np.rot90(x, 1, axes=(1, 2)))
    grown = T.RandomRotation((45, 45), expand=True)(np.ones((1, 10, 10), np.float32))
    # corners at 5 +- 5 sqrt(2): ceil(12.07) - floor(-2.07) = 16, as torchvision computes it
    assert grown.shape == (1, 16, 16)
    assert grown[0, 8, 8] == 1 and grown[0, 0, 0] == 0


def test_rotation_fill_and_center():
    x = np.ones((2, 9, 9), np.float32)
    out = T.RandomRotation((45, 45), fill=(-1, -2))(x)
    assert out[0, 0, 0] == -1 and out[1, 0, 0] == -2 and out[0, 4, 4] == 1
    assert set(np.unique(out[0])) == {-1.0, 1.0}
    bil = T.RandomRotation((45, 45), interpolation="bilinear", fill=0.5)(x)
    assert bil[0, 0, 0] == 0.5 and bil[0, 4, 4] == 1.0 and bil.min() >= 0.5
    img = np.zeros((1, 5, 5), np.float32)
    img[0, 0, 1] = 1
    # about the pixel (0, 0) (its center is the point (0.5, 0.5)): (0, 1) turns to (1, 0)... or
    # (-1, 0) depending on orientation; counter-clockwise on screen moves right to up
    out = T.RandomRotation((90, 90), center=(0.5, 0.5))(img)
    assert out.sum() == 0  # moved to row -1: outside
    out = T.RandomRotation((-90, -90), center=(0.5, 0.5))(img)
    assert out[0, 1, 0] == 1 and out.sum() == 1


def _torchvision_grid(torch, theta, n, h, w):
    """torchvision's _gen_affine_grid (pixel-centered base grid, normalized after theta)."""
    base = torch.empty(n, h, w, 3, dtype=torch.float64)
    base[..., 0] = torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w, dtype=torch.float64)
    base[..., 1] = torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h,
                                  dtype=torch.float64).unsqueeze(-1)
    base[..., 2] = 1
    th = torch.from_numpy(theta).transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h],
                                                               dtype=torch.float64)
    return base.view(n, h * w, 3).bmm(th).view(n, h, w, 2)


def _inverse_matrix(angle, translate, scale, shear):
    """torchvision's _get_inverse_affine_matrix with center (0, 0), written out for the test."""
    rot, sx, sy = map(math.radians, (angle, shear[0], shear[1]))
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [v / scale for v in (d, -b, 0.0, -c, a, 0.0)]
    tx, ty = translate
    m[2] += m[0] * -tx + m[1] * -ty
    m[5] += m[3] * -tx + m[4] * -ty
    return np.array(m).reshape(2, 3)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_rotation_and_affine_match_grid_sample(rng, mode):
    torch = pytest.importorskip("torch")
    x = rng.random((1, 2, 7, 9))
    cases = [  # (transform, the matrix torchvision would use)
        (T.RandomRotation((33, 33), interpolation=mode), _inverse_matrix(-33, (0, 0), 1, (0, 0))),
        (T.RandomAffine((20, 20), interpolation=mode), _inverse_matrix(20, (0, 0), 1, (0, 0))),
        (T.RandomAffine((-15, -15), scale=(1.3, 1.3), shear=(10, 10, -5, -5),
                        interpolation=mode), _inverse_matrix(-15, (0, 0), 1.3, (10, -5))),
    ]
    for tf, m in cases:
        grid = _torchvision_grid(torch, m[None], 1, 7, 9)
        ref = torch.nn.functional.grid_sample(torch.from_numpy(x), grid, mode=mode,
                                              padding_mode="zeros", align_corners=False)
        np.testing.assert_allclose(tf(x), ref.numpy(), rtol=1e-7, atol=1e-7)


def test_affine_identity_translation_and_clockwise(rng):
    x = rng.random((4, 3, 6, 5)).astype(np.float32)
    for mode in ("nearest", "bilinear"):
        ident = T.RandomAffine(0, translate=(0, 0), scale=(1, 1), shear=0, interpolation=mode)
        np.testing.assert_array_equal(ident(x), x)
        np.testing.assert_array_equal(ident(lightgrad.from_numpy(x[0])).numpy(), x[0])
    u8 = (x * 255).astype(np.uint8)
    np.testing.assert_array_equal(T.RandomAffine(0, interpolation="bilinear")(u8), u8)
    sq = x[:, :, :5, :]
    np.testing.assert_array_equal(T.RandomAffine((90, 90))(sq), np.rot90(sq, -1, axes=(2, 3)))
    out = seeded(T.RandomAffine(0, translate=(0.4, 0.4), fill=-1), x)
    for k in range(len(x)):  # each image is shifted by whole pixels, -1 where it moved away
        found = False
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                ref = np.full_like(x[k], -1)
                ys, yd = slice(max(-dy, 0), 6 - max(dy, 0)), slice(max(dy, 0), 6 - max(-dy, 0))
                xs, xd = slice(max(-dx, 0), 5 - max(dx, 0)), slice(max(dx, 0), 5 - max(-dx, 0))
                ref[:, yd, xd] = x[k][:, ys, xs]
                found |= np.array_equal(out[k], ref)
        assert found, k


def test_affine_scale_zooms_about_the_center():
    x = np.zeros((1, 5, 5), np.float32)
    x[0, 2, 2] = 1
    x[0, 2, 3] = 2
    out = T.RandomAffine(0, scale=(2.0, 2.0))(x)  # nearest: the right neighbour moves 2 right
    assert out[0, 2, 2] == 1 and out[0, 2, 4] == 2


# ----------------------------------------------------------------------------- resizing
@pytest.mark.torch
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("size", [(3, 4), (14, 9), (7, 5), (1, 1)])
def test_resize_matches_interpolate(rng, mode, size):
    torch = pytest.importorskip("torch")
    x = rng.random((2, 3, 7, 5))
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode=mode,
                                          **({"align_corners": False} if mode == "bilinear"
                                             else {}))
    out = T.Resize(size, interpolation=mode)(lightgrad.from_numpy(x))
    assert out.dtype == lightgrad.float64
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-7, atol=1e-7)


def test_resize_sizes_and_dtypes(rng):
    x = rng.random((3, 28, 56)).astype(np.float32)
    assert T.Resize(14)(x).shape == (3, 14, 28)
    assert T.Resize(14)(x.transpose(0, 2, 1)).shape == (3, 28, 14)
    assert T.Resize(14, max_size=20)(x).shape == (3, 10, 20)
    down = T.Resize((14, 28))(x)  # an exact 2x bilinear downscale averages 2x2 blocks
    np.testing.assert_allclose(down, x.reshape(3, 14, 2, 28, 2).mean(axis=(2, 4)), rtol=1e-6)
    u8 = (x * 255).astype(np.uint8)
    assert T.Resize(10)(u8).dtype == np.uint8
    with pytest.raises(ValueError, match="max_size = 10 must be strictly greater"):
        T.Resize(14, max_size=10)(x)


def test_random_resized_crop(rng):
    x = rng.random((6, 2, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(T.RandomResizedCrop(8, scale=(1, 1), ratio=(1, 1))(x), x,
                               rtol=0, atol=1e-6)
    half = T.RandomResizedCrop(4, scale=(1, 1), ratio=(1, 1))(x)
    np.testing.assert_allclose(half, x.reshape(6, 2, 4, 2, 4, 2).mean(axis=(3, 5)), rtol=1e-6)
    tf = T.RandomResizedCrop((5, 7), scale=(0.2, 0.6))
    out = seeded(tf, x)
    assert out.shape == (6, 2, 5, 7) and out.dtype == np.float32
    np.testing.assert_array_equal(out, seeded(tf, x))
    top, left, h, w = tf.get_params_batch(2000, 20, 30, np.random.default_rng(0))
    area = h * w / 600
    assert np.all((top >= 0) & (top + h <= 20) & (left >= 0) & (left + w <= 30))
    assert area.min() > 0.15 and area.max() < 0.66 and np.ptp(top) > 5
    # no candidate fits (a very wide ratio): the central crop of the closest admissible ratio
    top, left, h, w = T.RandomResizedCrop(4, scale=(0.9, 1), ratio=(5, 6)).get_params_batch(
        3, 10, 10, np.random.default_rng(0))
    assert w.tolist() == [10] * 3 and h.tolist() == [2] * 3 and top.tolist() == [4] * 3
    nearest = T.RandomResizedCrop(3, interpolation="nearest")(x.astype(np.float64))
    assert nearest.dtype == np.float64 and set(np.unique(nearest)) <= set(np.unique(x))


# ----------------------------------------------------------------------------- color
def test_brightness_and_contrast_formulas(rng):
    x = rng.random((5, 3, 4, 6)).astype(np.float32)
    out = T.ColorJitter(brightness=(1.7, 1.7))(x)
    np.testing.assert_allclose(out, np.clip(1.7 * x, 0, 1), rtol=1e-6)
    gray = 0.2989 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    mean = gray.mean(axis=(1, 2)).reshape(-1, 1, 1, 1)
    out = T.ColorJitter(contrast=(0.3, 0.3))(x)
    np.testing.assert_allclose(out, np.clip(0.3 * x + 0.7 * mean, 0, 1), rtol=1e-5, atol=1e-6)
    out = T.ColorJitter(saturation=(0.2, 0.2))(x)
    np.testing.assert_allclose(out, np.clip(0.2 * x + 0.8 * gray[:, None], 0, 1), rtol=1e-5,
                               atol=1e-6)
    one = x[:, :1]
    out = T.ColorJitter(contrast=(2.0, 2.0), saturation=0.5, hue=0.2)(one)  # gray: no sat/hue
    m1 = one.mean(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, np.clip(2 * one - m1, 0, 1), rtol=1e-5, atol=1e-6)
    u8 = (x * 255).astype(np.uint8)
    out = T.ColorJitter(brightness=(1.5, 1.5))(u8)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.clip(1.5 * u8.astype(np.float32), 0, 255)
                                  .astype(np.uint8))


def test_hue_matches_colorsys(rng):
    x = rng.random((2, 3, 3, 4))
    out = T.ColorJitter(hue=(0.3, 0.3))(x)
    ref = np.empty_like(x)
    for n in range(2):
        for i in range(3):
            for j in range(4):
                h, s, v = colorsys.rgb_to_hsv(*x[n, :, i, j])
                ref[n, :, i, j] = colorsys.hsv_to_rgb((h + 0.3) % 1.0, s, v)
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-9)
    back = T.ColorJitter(hue=(-0.3, -0.3))(out)
    np.testing.assert_allclose(back, x, rtol=1e-6, atol=1e-9)


def test_color_jitter_per_image_factors_and_order(rng):
    x = rng.uniform(0.1, 0.6, (200, 1, 4, 4)).astype(np.float32)
    out = seeded(T.ColorJitter(brightness=0.5), x)
    ratio = (out / x).reshape(200, -1)
    np.testing.assert_allclose(ratio, ratio[:, :1].repeat(16, axis=1), rtol=1e-5)
    assert ratio[:, 0].min() >= 0.5 - 1e-6 and ratio[:, 0].max() <= 1.5 + 1e-6
    assert np.ptp(ratio[:, 0]) > 0.5
    both = seeded(T.ColorJitter(brightness=(2.5, 2.5), contrast=(0.5, 0.5)), x)

    def bright(v):  # clips: does not commute with contrast
        return np.clip(2.5 * v, 0, 1)

    def contrast(v):
        return np.clip(0.5 * v + 0.5 * v.mean(axis=(1, 2, 3), keepdims=True), 0, 1)

    bc, cb = contrast(bright(x)), bright(contrast(x))
    first = [np.allclose(both[k], bc[k], rtol=1e-5) for k in range(200)]
    second = [np.allclose(both[k], cb[k], rtol=1e-5) for k in range(200)]
    assert all(a or b for a, b in zip(first, second))
    only_first = sum(a and not b for a, b in zip(first, second))
    only_second = sum(b and not a for a, b in zip(first, second))
    assert only_first > 50 and only_second > 50  # the order is drawn per image
    with pytest.raises(ValueError, match="hue values should be ordered and within"):
        T.ColorJitter(hue=0.6)
    with pytest.raises(ValueError, match="if brightness is a single number, it must be non-neg"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match="saturation and hue need 1 or 3 channels"):
        T.ColorJitter(saturation=0.5)(np.zeros((2, 4, 4), np.float32))


# ----------------------------------------------------------------------------- erasing and noise
def test_random_erasing_rectangles(rng):
    x = rng.uniform(1, 2, (300, 3, 20, 30)).astype(np.float32)
    out = seeded(T.RandomErasing(p=1.0, value=(0, -1, -2)), lightgrad.from_numpy(x)).numpy()
    for k in range(300):
        erased = out[k, 0] == 0
        rows, cols = np.flatnonzero(erased.any(1)), np.flatnonzero(erased.any(0))
        assert erased.sum() == len(rows) * len(cols)  # one rectangle
        assert (out[k, 1][erased] == -1).all() and (out[k, 2][erased] == -2).all()
        np.testing.assert_array_equal(out[k][:, ~erased], x[k][:, ~erased])
        area = erased.mean()
        assert area == 0 or 0.01 < area < 0.4  # scale (0.02, 0.33) up to rounding
    np.testing.assert_array_equal(T.RandomErasing(p=0.0)(x), x)
    half = seeded(T.RandomErasing(p=0.5), x)
    changed = (half != x).reshape(300, -1).any(1)
    assert 100 < changed.sum() < 200
    rnd = seeded(T.RandomErasing(p=1.0, value="random"), x[:5].astype(np.float64))
    assert rnd.dtype == np.float64 and (rnd < 0).any()
    inplace = x[:4].copy()
    assert T.RandomErasing(p=1.0, inplace=True)(inplace) is inplace
    assert (inplace == 0).any()
    with pytest.raises(ValueError, match="should be 'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(TypeError, match="value='random' needs float images"):
        T.RandomErasing(p=1.0, value="random")(np.zeros((1, 8, 8), np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gaussian_noise(dtype):
    x = np.full((64, 1, 32, 32), 0.5, dtype)
    out = seeded(T.GaussianNoise(mean=0.1, sigma=0.2, clip=False), x)
    assert out.dtype == dtype and out.shape == x.shape
    d = out - x
    assert abs(d.mean() - 0.1) < 0.01 and abs(d.std() - 0.2) < 0.01
    clipped = seeded(T.GaussianNoise(sigma=1.0), lightgrad.from_numpy(x)).numpy()
    assert clipped.min() == 0 and clipped.max() == 1
    with pytest.raises(TypeError, match="GaussianNoise: input must be a float tensor"):
        T.GaussianNoise()(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="sigma shouldn't be negative"):
        T.GaussianNoise(sigma=-1)


# ----------------------------------------------------------------------------- all random ones
RANDOM = [
    lambda g: T.RandomCrop(6, padding=1, generator=g),
    lambda g: T.RandomHorizontalFlip(generator=g),
    lambda g: T.RandomVerticalFlip(generator=g),
    lambda g: T.RandomRotation(30, generator=g),
    lambda g: T.RandomRotation(30, interpolation="bilinear", generator=g),
    lambda g: T.RandomAffine(20, (0.2, 0.1), (0.8, 1.2), (-5, 5, -5, 5), generator=g),
    lambda g: T.RandomAffine(20, interpolation="bilinear", generator=g),
    lambda g: T.RandomResizedCrop(5, generator=g),
    lambda g: T.ColorJitter(0.4, 0.4, 0.4, 0.1, generator=g),
    lambda g: T.RandomErasing(p=0.7, generator=g),
    lambda g: T.GaussianNoise(generator=g),
    lambda g: T.RandomApply([T.RandomCrop(6, padding=1, generator=g)], p=0.5, generator=g),
]
IDS = ["crop", "hflip", "vflip", "rot", "rot_bil", "affine", "affine_bil", "rrc", "jitter",
       "erase", "noise", "apply"]


@pytest.mark.parametrize("make", RANDOM, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_seeded_shapes_dtypes_and_batch_consistency(rng, make, dtype):
    x = rng.random((16, 3, 6, 6)).astype(dtype)
    tf = make(None)
    a = seeded(tf, lightgrad.from_numpy(x), 3)
    b = seeded(tf, lightgrad.from_numpy(x), 3)
    assert isinstance(a, lightgrad.Tensor) and a.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not a.requires_grad
    c = seeded(tf, x, 4)
    assert isinstance(c, np.ndarray) and c.dtype == dtype and c.shape[:2] == (16, 3)
    assert not np.array_equal(c, a.numpy())  # another seed, other draws
    differs = [not np.array_equal(a.numpy()[k], x[k]) for k in range(16)]
    same = [np.array_equal(a.numpy()[k], a.numpy()[0]) for k in range(16)]
    assert any(differs) and not all(same)  # parameters drawn per image
    # one image with a seed == a batch of one with that seed
    single = seeded(tf, x[5], 9)
    batch1 = seeded(tf, x[5:6], 9)
    np.testing.assert_array_equal(single, batch1[0])
    # an explicit generator: reproducible and independent of the global seed
    g1, g2 = lightgrad.Generator().manual_seed(7), lightgrad.Generator().manual_seed(7)
    lightgrad.manual_seed(1)
    p = make(g1)(x)
    lightgrad.manual_seed(2)
    np.testing.assert_array_equal(p, make(g2)(x))


@pytest.mark.parametrize("make", RANDOM[:8], ids=IDS[:8])
def test_geometric_transforms_keep_uint8(rng, make):
    x = rng.integers(0, 256, (4, 1, 6, 6), dtype=np.uint8)
    out = seeded(make(None), x)
    assert out.dtype == np.uint8
    hw = seeded(make(None), x[0, 0])  # a (H, W) image before ToTensor
    assert hw.dtype == np.uint8 and hw.ndim == 2


@pytest.mark.parametrize("make", RANDOM[:-2] + RANDOM[-1:], ids=IDS[:-2] + IDS[-1:])
def test_bad_shapes(make):  # (GaussianNoise is elementwise: any shape)
    for shape in ((5,), (1, 1, 2, 3, 3)):
        with pytest.raises(ValueError, match=r"expected an image .* got shape"):
            make(None)(np.zeros(shape, np.float32))


def test_argument_errors():
    with pytest.raises(ValueError, match="RandomRotation: if degrees is a single number, it "
                                         "must be non-negative"):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="interpolation must be 'nearest' or 'bilinear'"):
        T.RandomRotation(3, interpolation="bicubic")
    with pytest.raises(ValueError, match="p must be a probability"):
        T.RandomHorizontalFlip(p=1.5)
    with pytest.raises(ValueError, match="size must be an int or a sequence"):
        T.RandomCrop((1, 2, 3))
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(0.5, 2))
    with pytest.raises(ValueError, match="scale values should be positive"):
        T.RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match="shear must be a number or a sequence of 2 or 4"):
        T.RandomAffine(0, shear=(1, 2, 3))
    with pytest.raises(TypeError, match="generator must be a lightgrad.Generator"):
        T.RandomCrop(3, generator=np.random.default_rng(0))
    with pytest.raises(ValueError, match="scale and ratio should be of kind"):
        T.RandomResizedCrop(3, scale=(1.0, 0.5))
    with pytest.raises(TypeError, match="Compose: transform 1 is not callable"):
        T.Compose([T.ToTensor(), 3])


# ----------------------------------------------------------------------------- composition, batches
def test_compose_lambda_apply_and_repr():
    tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,)), T.Lambda(lambda t: t * 2)])
    out = tf(np.full((2, 3), 255, np.uint8))
    assert out.tolist() == [[[2.0] * 3] * 2]
    assert not tf.batchable and T.Compose([T.ToTensor(), T.RandomCrop(2)]).batchable
    assert repr(T.Compose([T.ToTensor(), T.RandomHorizontalFlip(0.3)])) == (
        "Compose(\n    ToTensor()\n    RandomHorizontalFlip(p=0.3)\n)")
    assert repr(T.Normalize((0.1307,), (0.3081,))) == "Normalize(mean=[0.1307], std=[0.3081])"
    assert repr(T.RandomCrop(28, padding=4)) == "RandomCrop(size=(28, 28), padding=4)"
    x = np.ones((10, 1, 2, 2), np.float32)
    zero = T.Lambda(lambda t: t * 0, batched=True)
    np.testing.assert_array_equal(T.RandomApply([zero], p=1.0)(x), 0 * x)
    np.testing.assert_array_equal(T.RandomApply([zero], p=0.0)(x), x)
    some = seeded(T.RandomApply([zero], p=0.5), x)
    assert 0 < (some.reshape(10, -1).sum(1) == 0).sum() < 10


def test_apply_batch_runs_per_image_steps_per_image(rng):
    x = lightgrad.from_numpy(rng.random((6, 1, 5, 5)).astype(np.float32))
    calls = []

    def per_image(img):
        calls.append(tuple(img.shape))
        return img[:, 1:, 1:]

    out = T.apply_batch(T.Compose([T.RandomHorizontalFlip(p=1.0), T.Lambda(per_image)]), x)
    assert tuple(out.shape) == (6, 1, 4, 4) and calls == [(1, 5, 5)] * 6
    np.testing.assert_array_equal(out.numpy(), x.numpy()[:, :, 1:, ::-1][:, :, :, 1:])
    arr = T.apply_batch(per_image, x.numpy())
    assert isinstance(arr, np.ndarray) and arr.shape == (6, 1, 4, 4)
    with pytest.raises(ValueError, match=r"apply_batch: expected a batch \(N, C, H, W\)"):
        T.apply_batch(per_image, x[0])


def test_batch_transform_loader(rng):
    ds = TensorDataset(rng.random((10, 1, 8, 8)).astype(np.float32), np.arange(10))
    loader = T.BatchTransformLoader(DataLoader(ds, batch_size=4, shuffle=True),
                                    T.Compose([T.RandomCrop(6), T.RandomHorizontalFlip()]),
                                    target_transform=lambda y: y + 1)
    assert len(loader) == 3 and loader.batch_size == 4
    seen = []
    lightgrad.manual_seed(0)
    for xb, yb in loader:
        assert xb.shape[1:] == (1, 6, 6) and xb.dtype == lightgrad.float32
        seen += yb.tolist()
    assert sorted(seen) == list(range(1, 11))
    lightgrad.manual_seed(0)
    again = [xb.numpy() for xb, _ in loader]
    lightgrad.manual_seed(0)
    np.testing.assert_array_equal(np.concatenate(again),
                                  np.concatenate([xb.numpy() for xb, _ in loader]))
