"""The 2-D toy generators: shapes, dtypes, seeding, balance, and each set's geometry."""

import math

import numpy as np
import pytest

import lightgrad
from lightgrad.datasets import (
    make_circle,
    make_gaussians,
    make_moons,
    make_multi_gaussian,
    make_plane,
    make_spiral,
    make_xor,
)

CLASSIFIERS = [make_circle, make_xor, make_gaussians, make_spiral, make_moons]
REGRESSORS = [make_plane, make_multi_gaussian]
ALL = CLASSIFIERS + REGRESSORS
EXACTLY_BALANCED = [make_circle, make_gaussians, make_spiral, make_moons]
PLAYGROUND = [make_circle, make_xor, make_gaussians, make_spiral, make_plane, make_multi_gaussian]
name = lambda f: f.__name__


@pytest.mark.parametrize("make", ALL, ids=name)
@pytest.mark.parametrize("n", [2, 7, 101])
def test_shapes_and_dtypes(make, n):
    X, y = make(n=n, noise=0.1, seed=0)
    assert X.shape == (n, 2) and X.dtype == np.float32 and X.flags.c_contiguous
    assert y.shape == (n,)
    if make in REGRESSORS:
        assert y.dtype == np.float32
    else:
        assert y.dtype == np.int64 and set(np.unique(y)) <= {0, 1}
    assert np.isfinite(X).all() and np.isfinite(y).all()


@pytest.mark.parametrize("make", ALL, ids=name)
def test_playground_defaults(make):
    X, y = make()
    assert len(X) == (1200 if make in REGRESSORS else 500)


@pytest.mark.parametrize("make", ALL, ids=name)
def test_an_int_seed_reproduces_and_different_seeds_differ(make):
    X1, y1 = make(n=50, noise=0.2, seed=3)
    X2, y2 = make(n=50, noise=0.2, seed=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(n=50, noise=0.2, seed=4)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("make", ALL, ids=name)
def test_seed_none_follows_lightgrad_manual_seed(make):
    lightgrad.manual_seed(11)
    a = make(n=40, noise=0.2)
    b = make(n=40, noise=0.2)  # the generator moved on
    lightgrad.manual_seed(11)
    c = make(n=40, noise=0.2)
    np.testing.assert_array_equal(a[0], c[0])
    np.testing.assert_array_equal(a[1], c[1])
    assert not np.array_equal(a[0], b[0])


@pytest.mark.parametrize("make", ALL, ids=name)
def test_a_numpy_generator_is_used_as_is(make):
    X1, _ = make(n=30, noise=0.2, seed=np.random.default_rng(5))
    X2, _ = make(n=30, noise=0.2, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(X1, X2)


@pytest.mark.parametrize("make", EXACTLY_BALANCED, ids=name)
@pytest.mark.parametrize("n", [200, 201])
def test_classes_are_balanced(make, n):
    _, y = make(n=n, seed=1)
    assert abs(int(y.sum()) - (n - int(y.sum()))) <= 1


def test_xor_classes_are_balanced_on_average():
    _, y = make_xor(n=4000, seed=1)
    assert abs(y.mean() - 0.5) < 0.03


@pytest.mark.parametrize("make", [make_circle, make_gaussians, make_spiral, make_moons], ids=name)
def test_shuffling_mixes_the_classes_and_keeps_the_points(make):
    Xs, ys = make(n=100, seed=2, shuffle=False)
    Xr, yr = make(n=100, seed=2)
    assert not np.array_equal(ys, yr)  # the unshuffled classes come in two runs
    assert np.count_nonzero(np.diff(ys)) == 1
    if make is not make_gaussians and make is not make_circle:  # deterministic geometry
        np.testing.assert_array_equal(np.sort(Xs, axis=0), np.sort(Xr, axis=0))


@pytest.mark.parametrize("make", PLAYGROUND, ids=name)
def test_playground_points_lie_in_the_playground_square(make):
    X, _ = make(n=2000, noise=0.5, seed=0)
    if make is make_gaussians:  # Gaussian tails can leave the square; almost none do
        assert (np.abs(X) <= 6).mean() > 0.95
    else:
        assert np.abs(X).max() <= 6.0


# ----------------------------------------------------------------------------- geometry
def test_circle_disc_inside_ring_outside():
    X, y = make_circle(n=1000, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_array_equal(y, (r < 2.5).astype(np.int64))
    assert r[y == 1].max() <= 2.5 and r[y == 0].min() >= 3.5 - 1e-5 and r.max() <= 5.0 + 1e-5


def test_circle_noise_flips_labels_but_does_not_move_points():
    X, y = make_circle(n=1000, noise=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    flipped = y != (r < 2.5)
    assert 0.02 < flipped.mean() < 0.5
    assert r.max() <= 5.0 + 1e-5 and not ((r > 2.5 + 1e-5) & (r < 3.5 - 1e-5)).any()


def test_xor_label_is_the_xor_of_the_signs_with_a_gap_at_the_axes():
    X, y = make_xor(n=1000, seed=0)
    np.testing.assert_array_equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64))
    assert np.abs(X).min() >= 0.3 - 1e-6 and np.abs(X).max() <= 5.3 + 1e-5
    # the truth table: each quadrant holds points, labelled XOR(x0 > 0, x1 > 0)
    for sx in (-1, 1):
        for sy in (-1, 1):
            q = (np.sign(X[:, 0]) == sx) & (np.sign(X[:, 1]) == sy)
            assert q.sum() > 150 and (y[q] == int((sx > 0) != (sy > 0))).all()
    _, noisy = make_xor(n=1000, noise=0.3, seed=0)
    assert 0.02 < (noisy != y).mean() < 0.5  # same points (same seed), some labels flipped


@pytest.mark.parametrize("noise, variance", [(0.0, 0.5), (0.5, 4.0)])
def test_gaussians_centres_and_spread(noise, variance):
    X, y = make_gaussians(n=8000, noise=noise, seed=0)
    for cls, centre in ((1, 2.0), (0, -2.0)):
        pts = X[y == cls]
        np.testing.assert_allclose(pts.mean(axis=0), [centre, centre], atol=0.1)
        np.testing.assert_allclose(pts.var(axis=0), [variance, variance], rtol=0.08)


def test_spiral_arms_are_each_others_half_turn():
    X, y = make_spiral(n=400, seed=0, shuffle=False)
    one, zero = X[y == 1], X[y == 0]
    np.testing.assert_allclose(zero, -one, atol=1e-5)  # angle + pi
    r = np.hypot(one[:, 0], one[:, 1])
    np.testing.assert_allclose(r, np.arange(200) / 200 * 5, atol=1e-5)  # radius grows linearly
    # 1.75 turns: the angle t = atan2(x, y) advances by 3.5 pi over the arm
    t = np.unwrap(np.arctan2(one[1:, 0], one[1:, 1]))
    assert t[-1] - t[0] == pytest.approx(3.5 * math.pi * 198 / 200, rel=1e-4)


def test_spiral_noise_moves_points_by_at_most_noise():
    clean, y0 = make_spiral(n=300, seed=0, shuffle=False)
    noisy, y1 = make_spiral(n=300, noise=0.25, seed=0, shuffle=False)
    np.testing.assert_array_equal(y0, y1)
    d = np.abs(noisy - clean)
    assert d.max() <= 0.25 + 1e-5 and d.mean() > 0.05


def test_moons_match_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = make_moons(n=100, seed=0, shuffle=False)
    Xs, ys = datasets.make_moons(n_samples=100, shuffle=False)
    # scikit-learn gives class 0 (outer moon) n // 2 points; with an even n the sets are equal
    np.testing.assert_allclose(X, Xs, atol=1e-6)
    np.testing.assert_array_equal(y, ys)
    noisy, _ = make_moons(n=2000, noise=0.1, seed=0, shuffle=False)
    clean, _ = make_moons(n=2000, seed=0, shuffle=False)
    assert np.std(noisy - clean) == pytest.approx(0.1, rel=0.05)


def test_plane_target():
    X, y = make_plane(n=500, seed=0)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 10, rtol=1e-5, atol=1e-6)
    Xn, yn = make_plane(n=2000, noise=0.5, seed=0)
    residual = yn - (Xn[:, 0] + Xn[:, 1]) / 10
    # (u0 + u1) * 0.5 * 6 / 10 with u uniform in [-1, 1]: std 0.3 * sqrt(2/3)
    assert np.std(residual) == pytest.approx(0.3 * math.sqrt(2 / 3), rel=0.06)


def _bump_reference(x, y):
    """The playground's getLabel, written point by point."""
    best = 0.0
    for cx, cy, sign in [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1),
                         (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]:
        value = sign * min(max(1 - math.hypot(x - cx, y - cy) / 2, 0.0), 1.0)
        if abs(value) > abs(best):
            best = value
    return best


def test_multi_gaussian_target():
    X, y = make_multi_gaussian(n=300, seed=0)
    expected = [_bump_reference(float(a), float(b)) for a, b in X]
    np.testing.assert_allclose(y, expected, atol=1e-5)
    assert y.max() > 0.5 and y.min() < -0.5 and (np.abs(y) <= 1).all()
    assert (y == 0).mean() > 0.2  # far from every bump the target is 0


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make", ALL, ids=name)
@pytest.mark.parametrize("kwargs, exc, match", [
    ({"n": 0}, ValueError, r"n must be at least"),
    ({"n": -5}, ValueError, r"n must be at least"),
    ({"n": 2.5}, TypeError, r"n must be an int"),
    ({"noise": -0.1}, ValueError, r"noise must be a finite number >= 0"),
    ({"noise": float("nan")}, ValueError, r"noise must be"),
    ({"noise": float("inf")}, ValueError, r"noise must be"),
    ({"seed": "7"}, TypeError, r"seed must be an int"),
])
def test_bad_arguments_name_the_generator(make, kwargs, exc, match):
    with pytest.raises(exc, match=rf"{make.__name__}: {match}"):
        make(**kwargs)
