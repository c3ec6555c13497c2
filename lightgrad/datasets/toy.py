"""Two-dimensional toy data sets: the TensorFlow playground's sets and scikit-learn's moons.

Every generator returns NumPy arrays ``(X, y)``: ``X`` float32 of shape ``(n, 2)``; for the
classification sets ``y`` is int64 of shape ``(n,)`` holding the class, 0 or 1; for the regression
sets ``y`` is float32 of shape ``(n,)``. The playground sets reproduce the geometry of
playground.tensorflow.org (points in ``[-6, 6]^2``; its "noise" slider, 0 to 50 %, is
``noise=0.0`` to ``0.5`` here) with the playground's label +1 as class 1 and -1 as class 0, except
:func:`make_xor`, whose class 1 is the XOR of the coordinates' signs (see there).

Every generator takes ``n`` (number of points), ``noise`` and ``seed``: an int gives the same
points on every call, ``None`` draws from lightgrad's default generator (so
``lightgrad.manual_seed`` makes a whole script reproducible), and a ``numpy.random.Generator``
is used as is. The points are shuffled (``shuffle=False`` keeps them in generation order,
class 1 first).

Example:
    >>> from lightgrad.datasets import make_spiral
    >>> X, y = make_spiral(n=200, noise=0.1, seed=0)
    >>> X.shape, X.dtype, y.shape, y.dtype
    ((200, 2), dtype('float32'), (200,), dtype('int64'))
    >>> int(y.sum())  # balanced: 100 points on each arm
    100
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend

__all__ = [
    "make_circle",
    "make_xor",
    "make_gaussians",
    "make_spiral",
    "make_moons",
    "make_plane",
    "make_multi_gaussian",
]

Seed = int | np.random.Generator | None

#: Points per set in the playground: 500 for classification, 1200 for regression.
N_CLASSIFY = 500
N_REGRESS = 1200


def _rng(seed: Seed, fn: str) -> np.random.Generator:
    if seed is None:
        return backend.get_rng(None)
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{fn}: seed must be an int, a numpy Generator or None, "
                        f"got {type(seed).__name__}")
    return np.random.default_rng(int(seed))


def _check(fn: str, n: int, noise: float, minimum: int = 1) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"{fn}: n must be an int, got {type(n).__name__}")
    if n < minimum:
        raise ValueError(f"{fn}: n must be at least {minimum}, got {n}")
    if not isinstance(noise, int | float | np.floating | np.integer) or not noise >= 0 \
            or not math.isfinite(noise):
        raise ValueError(f"{fn}: noise must be a finite number >= 0, got {noise!r}")


def _finish(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, shuffle: bool,
            y_dtype: type = np.int64) -> tuple[np.ndarray, np.ndarray]:
    X: np.ndarray = np.ascontiguousarray(x, dtype=np.float32)
    Y: np.ndarray = np.ascontiguousarray(y, dtype=y_dtype)
    if shuffle:
        order = rng.permutation(len(X))
        X, Y = X[order], Y[order]
    return X, Y


def _halves(n: int) -> tuple[int, int]:
    """Class 1 gets ``n // 2`` points, class 0 the rest: balanced to within one point."""
    return n // 2, n - n // 2


def make_circle(n: int = N_CLASSIFY, noise: float = 0.0, seed: Seed = None,
                shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A disc of class 1 inside a ring of class 0 (the playground's "Circle").

    Class 1: radius uniform in ``[0, 2.5]``; class 0: radius uniform in ``[3.5, 5]``; angles
    uniform. As in the playground, noise does not move the points: each label is the side of
    the circle of radius 2.5 on which the point lands after a uniform shift in
    ``[-5 noise, 5 noise]^2``, so noise flips labels near the boundary.

    Args:
        n: number of points (class 1 gets ``n // 2`` of them).
        noise: label noise, 0 to 0.5 in the playground.
        seed: int, numpy Generator, or None for lightgrad's default generator.
        shuffle: shuffle the points (else class 1 comes first).

    Returns:
        ``(X, y)``: float32 ``(n, 2)`` and int64 ``(n,)`` in {0, 1}.
    """
    _check("make_circle", n, noise)
    rng = _rng(seed, "make_circle")
    radius = 5.0
    n1, n0 = _halves(n)
    r = np.concatenate([rng.uniform(0, radius * 0.5, n1), rng.uniform(radius * 0.7, radius, n0)])
    angle = rng.uniform(0, 2 * math.pi, n)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    shift = rng.uniform(-radius, radius, (n, 2)) * noise
    y = np.hypot(*(x + shift).T) < radius * 0.5
    return _finish(x, y, rng, shuffle)


def make_xor(n: int = N_CLASSIFY, noise: float = 0.0, seed: Seed = None,
             shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Four squares: class 1 where exactly one coordinate is positive (the playground's
    "Exclusive or").

    Each coordinate is uniform in ``[-5, 5]`` pushed 0.3 away from 0 (so the quadrants are
    separated by a gap). The label is the XOR of the signs, ``(x0 > 0) != (x1 > 0)``: the
    truth table of XOR on the corners of the square. (The playground calls the other class
    "positive"; the geometry is the same.) Like the playground, noise flips labels rather than
    moving points: the label is taken after a uniform shift in ``[-5 noise, 5 noise]^2``.
    The classes are balanced on average, not exactly.

    Args:
        n: number of points.
        noise: label noise, 0 to 0.5 in the playground.
        seed: int, numpy Generator, or None for lightgrad's default generator.
        shuffle: kept for a uniform signature; the points are drawn in random order anyway.

    Returns:
        ``(X, y)``: float32 ``(n, 2)`` and int64 ``(n,)`` in {0, 1}.
    """
    _check("make_xor", n, noise)
    rng = _rng(seed, "make_xor")
    x = rng.uniform(-5, 5, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)
    shifted = x + rng.uniform(-5, 5, (n, 2)) * noise
    y = shifted[:, 0] * shifted[:, 1] < 0
    return _finish(x, y, rng, shuffle)


def make_gaussians(n: int = N_CLASSIFY, noise: float = 0.0, seed: Seed = None,
                   shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs: class 1 around ``(2, 2)``, class 0 around ``(-2, -2)`` (the
    playground's "Gaussian").

    Noise widens the blobs: the variance of each coordinate is ``0.5 + 7 noise`` (0.5 to 4 over
    the playground's 0 to 50 % range), so at high noise the blobs overlap.

    Args:
        n: number of points (class 1 gets ``n // 2`` of them).
        noise: spread, 0 to 0.5 in the playground.
        seed: int, numpy Generator, or None for lightgrad's default generator.
        shuffle: shuffle the points (else class 1 comes first).

    Returns:
        ``(X, y)``: float32 ``(n, 2)`` and int64 ``(n,)`` in {0, 1}.
    """
    _check("make_gaussians", n, noise)
    rng = _rng(seed, "make_gaussians")
    std = math.sqrt(0.5 + 7.0 * noise)
    n1, n0 = _halves(n)
    centers = np.repeat(np.array([[2.0, 2.0], [-2.0, -2.0]]), [n1, n0], axis=0)
    x = centers + rng.normal(0.0, std, (n, 2))
    y = np.repeat([1, 0], [n1, n0])
    return _finish(x, y, rng, shuffle)


def make_spiral(n: int = N_CLASSIFY, noise: float = 0.0, seed: Seed = None,
                shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals (the playground's "Spiral"), the classic hard case for a small
    network.

    Point ``i`` of an arm of ``m`` points sits at radius ``r = 5 i / m`` and angle
    ``t = 3.5 pi i / m`` (1.75 turns): ``(r sin t, r cos t)`` for class 1, the same turned by
    ``pi`` for class 0. Noise moves each coordinate by a uniform amount in ``[-noise, noise]``.

    Args:
        n: number of points (class 1 gets ``n // 2`` of them).
        noise: position noise, 0 to 0.5 in the playground.
        seed: int, numpy Generator, or None for lightgrad's default generator.
        shuffle: shuffle the points (else class 1 comes first, from the centre outwards).

    Returns:
        ``(X, y)``: float32 ``(n, 2)`` and int64 ``(n,)`` in {0, 1}.
    """
    _check("make_spiral", n, noise, minimum=2)
    rng = _rng(seed, "make_spiral")
    arms = []
    for m, delta in zip(_halves(n), (0.0, math.pi)):
        i = np.arange(m)
        r = i / m * 5.0
        t = 1.75 * i / m * 2 * math.pi + delta
        arms.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
    x = np.concatenate(arms) + rng.uniform(-1, 1, (n, 2)) * noise
    y = np.repeat([1, 0], _halves(n))
    return _finish(x, y, rng, shuffle)


def make_moons(n: int = N_CLASSIFY, noise: float = 0.0, seed: Seed = None,
               shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as scikit-learn's ``make_moons``.

    Class 0 is the upper half circle ``(cos t, sin t)``, class 1 the lower one
    ``(1 - cos t, 0.5 - sin t)``, ``t`` evenly spaced in ``[0, pi]``; noise is the standard
    deviation of Gaussian noise added to every coordinate (unlike the playground sets, the
    points lie in about ``[-1, 2] x [-0.5, 1]``).

    Args:
        n: number of points (class 0 gets ``n - n // 2`` of them, class 1 ``n // 2``).
        noise: standard deviation of the Gaussian noise.
        seed: int, numpy Generator, or None for lightgrad's default generator.
        shuffle: shuffle the points (else class 0 comes first).

    Returns:
        ``(X, y)``: float32 ``(n, 2)`` and int64 ``(n,)`` in {0, 1}.
    """
    _check("make_moons", n, noise)
    rng = _rng(seed, "make_moons")
    n1, n0 = _halves(n)
    t0, t1 = np.linspace(0, math.pi, n0), np.linspace(0, math.pi, n1)
    outer = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    inner = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    x = np.concatenate([outer, inner])
    if noise:
        x = x + rng.normal(0.0, noise, x.shape)
    y = np.repeat([0, 1], [n0, n1])
    return _finish(x, y, rng, shuffle)


def make_plane(n: int = N_REGRESS, noise: float = 0.0, seed: Seed = None,
               shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Regression on a tilted plane (the playground's "Plane"): ``y = (x0 + x1) / 10``.

    Points are uniform in ``[-6, 6]^2`` (so ``y`` is in ``[-1.2, 1.2]``). Noise is in the
    inputs of the target: ``y`` is the plane at the point shifted by a uniform amount in
    ``[-6 noise, 6 noise]^2``.

    Args:
        n: number of points.
        noise: input noise, 0 to 0.5 in the playground.
        seed: int, numpy Generator, or None for lightgrad's default generator.
        shuffle: kept for a uniform signature; the points are drawn in random order anyway.

    Returns:
        ``(X, y)``: float32 ``(n, 2)`` and float32 ``(n,)``.
    """
    _check("make_plane", n, noise)
    rng = _rng(seed, "make_plane")
    radius = 6.0
    x = rng.uniform(-radius, radius, (n, 2))
    shifted = x + rng.uniform(-radius, radius, (n, 2)) * noise
    y = shifted.sum(axis=1) / 10.0
    return _finish(x, y, rng, shuffle, np.float32)


# (centre x, centre y, sign) of the six bumps of the playground's "Multi Gaussian"
_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                   [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=np.float64)


def make_multi_gaussian(n: int = N_REGRESS, noise: float = 0.0, seed: Seed = None,
                        shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Regression on six bumps of alternating sign (the playground's "Multi Gaussian").

    Bumps of height +1 or -1 sit at ``x0`` in {-4, 0, 4} and ``x1`` in {2.5, -2.5}, signs
    alternating like a checkerboard; each falls linearly to 0 at distance 2 from its centre,
    ``sign * clip(1 - d / 2, 0, 1)``, and ``y`` is the bump largest in absolute value. Points
    are uniform in ``[-6, 6]^2``; noise shifts the point where the target is read by a uniform
    amount in ``[-6 noise, 6 noise]^2``.

    Args:
        n: number of points.
        noise: input noise, 0 to 0.5 in the playground.
        seed: int, numpy Generator, or None for lightgrad's default generator.
        shuffle: kept for a uniform signature; the points are drawn in random order anyway.

    Returns:
        ``(X, y)``: float32 ``(n, 2)`` and float32 ``(n,)`` in ``[-1, 1]``.
    """
    _check("make_multi_gaussian", n, noise)
    rng = _rng(seed, "make_multi_gaussian")
    radius = 6.0
    x = rng.uniform(-radius, radius, (n, 2))
    shifted = x + rng.uniform(-radius, radius, (n, 2)) * noise
    d = np.hypot(shifted[:, None, 0] - _BUMPS[:, 0], shifted[:, None, 1] - _BUMPS[:, 1])  # (n, 6)
    values = _BUMPS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)  # (n, 6)
    y = values[np.arange(n), np.abs(values).argmax(axis=1)]
    return _finish(x, y, rng, shuffle, np.float32)
