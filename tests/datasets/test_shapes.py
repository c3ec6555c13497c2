"""The generated shapes-segmentation data: layout, determinism, and masks that match the images."""

import math

import numpy as np
import pytest

import lightgrad
from lightgrad.datasets.shapes import SHAPE_CLASSES, make_shapes


def test_layout_dtypes_and_ranges():
    X, M = make_shapes(n=50, size=24, seed=0)
    assert X.shape == (50, 1, 24, 24) and X.dtype == np.float32 and X.flags.c_contiguous
    assert M.shape == (50, 24, 24) and M.dtype == np.int64
    assert X.min() >= 0.0 and X.max() <= 1.0
    assert set(np.unique(M).tolist()) == {0, 1, 2, 3}
    assert SHAPE_CLASSES == ("background", "circle", "square", "triangle")
    # every image holds at least one shape (shapes=(1, 3) by default)
    assert (M.reshape(50, -1) > 0).any(axis=1).all()


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    a, b, c = make_shapes(20, seed=5), make_shapes(20, seed=5), make_shapes(20, seed=6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    # seed=None draws from lightgrad's generator: manual_seed makes it reproducible
    lightgrad.manual_seed(3)
    d = make_shapes(10)
    lightgrad.manual_seed(3)
    e = make_shapes(10)
    np.testing.assert_array_equal(d[0], e[0])
    # a numpy Generator is used as is
    f = make_shapes(10, seed=np.random.default_rng(9))
    g = make_shapes(10, seed=np.random.default_rng(9))
    np.testing.assert_array_equal(f[1], g[1])


@pytest.mark.parametrize("overlap", [False, True])
def test_without_noise_the_mask_is_exactly_where_the_shapes_are(overlap):
    X, M = make_shapes(n=100, size=32, noise=0.0, overlap=overlap, seed=1)
    img = X[:, 0]
    # backgrounds are at most 0.35 bright, shapes at least 0.55
    np.testing.assert_array_equal(M > 0, img > 0.45)
    for i in range(len(img)):
        background = np.unique(img[i][M[i] == 0])
        assert len(background) == 1  # one flat background level per image
        # each shape has its own brightness: all pixels of one brightness share one class
        for level in np.unique(img[i][M[i] > 0]):
            assert len(np.unique(M[i][img[i] == level])) == 1


R = 16.0  # px: radius 0.25 of a 64-pixel image
#: the area of each kind for "radius" R: a circle of radius R, a square of half-side 0.85 R, an
#: equilateral triangle inscribed in a circle of radius 1.4 R
AREAS = {1: math.pi * R**2, 2: 4 * (0.85 * R) ** 2, 3: 3 * math.sqrt(3) / 4 * (1.4 * R) ** 2}


def region_areas(image, mask):
    """(kind, pixel count) of each shape, told apart by its brightness (noise=0)."""
    return [(int(np.unique(mask[image == level])[0]), int((image == level).sum()))
            for level in np.unique(image[mask > 0])]


def test_each_kind_has_its_area():
    """One shape per image with a fixed radius: each kind covers its area, to within the
    pixelation of the outline."""
    X, M = make_shapes(n=90, size=64, shapes=(1, 1), radius=(0.25, 0.25), noise=0.0, seed=3)
    seen = set()
    for img, m in zip(X[:, 0], M):
        (kind, area), = region_areas(img, m)
        seen.add(kind)
        assert area == pytest.approx(AREAS[kind], rel=0.04)
    assert seen == {1, 2, 3}


def test_shapes_do_not_overlap_unless_asked():
    """Without overlap every drawn shape is whole (its full area shows) and some are left out;
    with overlap all are drawn and some are partly covered."""
    kw = dict(n=60, size=64, shapes=(3, 3), radius=(0.25, 0.25), noise=0.0, seed=4)
    X, M = make_shapes(**kw)
    counts = []
    for img, m in zip(X[:, 0], M):
        areas = region_areas(img, m)
        counts.append(len(areas))
        for kind, area in areas:
            assert area == pytest.approx(AREAS[kind], rel=0.04)
    assert 1 <= min(counts) and max(counts) <= 3 and min(counts) < 3
    X, M = make_shapes(**kw, overlap=True)
    covered = sum(area < 0.96 * AREAS[kind] for img, m in zip(X[:, 0], M)
                  for kind, area in region_areas(img, m))
    assert covered > 10


def test_noise_is_added_and_clipped():
    clean, m0 = make_shapes(n=40, noise=0.0, seed=4)
    noisy, m1 = make_shapes(n=40, noise=0.1, seed=4)
    np.testing.assert_array_equal(m0, m1)  # noise draws come last: the same shapes
    diff = (noisy - clean)[(noisy > 0) & (noisy < 1)]
    assert 0.08 < diff.std() < 0.12
    assert noisy.min() >= 0 and noisy.max() <= 1


def test_edge_cases():
    X, M = make_shapes(n=0, size=16, seed=0)
    assert X.shape == (0, 1, 16, 16) and M.shape == (0, 16, 16)
    X, M = make_shapes(n=5, size=16, shapes=(0, 0), seed=0)
    assert (M == 0).all()
    X, M = make_shapes(n=5, size=8, radius=(0.5, 0.5), seed=0)
    assert X.shape == (5, 1, 8, 8)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n": 2.5}, TypeError, "n must be an int"),
    ({"n": -1}, ValueError, "n must be at least 0"),
    ({"size": 4}, ValueError, "size must be at least 8"),
    ({"shapes": (3, 1)}, ValueError, "shapes must be"),
    ({"shapes": 3}, TypeError, "shapes and radius must be pairs"),
    ({"radius": (0.0, 0.2)}, ValueError, "radius must be"),
    ({"radius": (0.2, 0.7)}, ValueError, "radius must be"),
    ({"noise": -0.1}, ValueError, "noise must be"),
    ({"noise": float("nan")}, ValueError, "noise must be"),
    ({"seed": "x"}, TypeError, "seed must be"),
])
def test_bad_arguments_are_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_shapes(**kwargs)
