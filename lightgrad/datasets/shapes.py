"""Generated segmentation data: circles, squares and triangles on noisy backgrounds.

Every image holds a few filled shapes, each a circle, a square or an equilateral triangle of
random size, position, rotation and brightness, drawn on a background of random brightness with
Gaussian pixel noise. Its mask gives every pixel's class: 0 for the background, 1 for a circle,
2 for a square, 3 for a triangle (:data:`SHAPE_CLASSES`). Shapes do not overlap, unless asked
to (a later shape then covers an earlier one, in the image and in the mask alike). The shapes
are always brighter than the background, so telling shape from background is easy and the work
of a segmentation network is telling the three kinds apart by their outline.

The images come out in PyTorch's layout, ``(n, 1, size, size)``, ready for a ``Conv2d``.

Example:
    >>> from lightgrad.datasets.shapes import make_shapes
    >>> images, masks = make_shapes(n=8, size=32, seed=0)
    >>> images.shape, images.dtype, masks.shape, masks.dtype
    ((8, 1, 32, 32), dtype('float32'), (8, 32, 32), dtype('int64'))
    >>> sorted(set(masks.ravel().tolist())) == [0, 1, 2, 3]
    True
"""

from __future__ import annotations

import math

import numpy as np

from .toy import Seed, _rng

__all__ = ["make_shapes", "SHAPE_CLASSES"]

#: Class names by mask value.
SHAPE_CLASSES = ("background", "circle", "square", "triangle")

# Sizes relative to a shape's "radius" r, chosen so the three kinds cover similar areas:
# circle pi r^2 = 3.14 r^2; square of half-side 0.85 r: 2.89 r^2; triangle inscribed in a circle
# of radius 1.4 r: (3 sqrt(3) / 4) 1.96 r^2 = 2.55 r^2.
_SQUARE_HALF_SIDE = 0.85
_TRIANGLE_CIRCUMRADIUS = 1.4


def _check_int(fn: str, name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be at least {minimum}, got {value}")
    return int(value)


def make_shapes(n: int = 1000, size: int = 32, *, shapes: tuple[int, int] = (1, 3),
                radius: tuple[float, float] = (0.1, 0.22), noise: float = 0.08,
                overlap: bool = False, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Images of circles, squares and triangles and their per-pixel class masks.

    Each image gets between ``shapes[0]`` and ``shapes[1]`` shapes (uniformly). A shape's
    "radius" r is uniform in ``radius`` (as fractions of ``size``); a circle has radius r, a
    square half-side ``0.85 r`` and a random rotation, a triangle is equilateral, inscribed in a
    circle of radius ``1.4 r`` and randomly rotated (the three then cover similar areas). Centres
    are uniform over the places where the whole shape fits in the image (for radii up to about
    0.35). The background's brightness is uniform in
    ``[0, 0.35]``, each shape's in ``[0.55, 1]``; Gaussian noise of standard deviation ``noise``
    is added to every pixel and the result clipped to ``[0, 1]``. A pixel belongs to a shape when
    its centre lies inside it (no anti-aliasing: the mask is exact).

    All the work is vectorized over the images: 10,000 images of 32x32 take about a second.

    Args:
        n: number of images.
        size: image height and width in pixels (at least 8).
        shapes: the least and the most shapes per image.
        radius: the range of the shapes' radius as fractions of ``size``, within ``(0, 0.5]``.
        noise: standard deviation of the pixel noise (0 for clean images).
        overlap: let shapes overlap, a later one covering an earlier one; by default a shape
            that would overlap one already drawn is left out (so an image may hold fewer than
            ``shapes[0]`` shapes, never none when ``shapes[0] >= 1``).
        seed: int, numpy Generator, or None for lightgrad's default generator
            (``lightgrad.manual_seed`` then makes it reproducible).

    Returns:
        ``(images, masks)``: float32 ``(n, 1, size, size)`` in ``[0, 1]`` and int64
        ``(n, size, size)`` with values in 0..3 (see :data:`SHAPE_CLASSES`).

    Raises:
        TypeError: ``n`` or ``size`` is not an int, or ``seed`` not an int, Generator or None.
        ValueError: a size, count, radius or noise out of range.
    """
    fn = "make_shapes"
    n = _check_int(fn, "n", n, 0)
    size = _check_int(fn, "size", size, 8)
    try:
        lo_count, hi_count = (int(shapes[0]), int(shapes[1]))
        lo_r, hi_r = (float(radius[0]), float(radius[1]))
    except (TypeError, ValueError, IndexError):
        raise TypeError(f"{fn}: shapes and radius must be pairs (low, high), got shapes={shapes!r}"
                        f" and radius={radius!r}") from None
    if not 0 <= lo_count <= hi_count:
        raise ValueError(f"{fn}: shapes must be (low, high) with 0 <= low <= high, got {shapes}")
    if not 0 < lo_r <= hi_r <= 0.5:
        raise ValueError(f"{fn}: radius must be (low, high) fractions of the size with "
                         f"0 < low <= high <= 0.5, got {radius}")
    if not isinstance(noise, int | float | np.floating | np.integer) or not noise >= 0 \
            or not math.isfinite(noise):
        raise ValueError(f"{fn}: noise must be a finite number >= 0, got {noise!r}")
    rng = _rng(seed, fn)

    background = rng.uniform(0.0, 0.35, n).astype(np.float32)
    images = np.broadcast_to(background[:, None, None], (n, size, size)).copy()
    masks = np.zeros((n, size, size), dtype=np.int8)
    counts = rng.integers(lo_count, hi_count + 1, n)
    coords = np.arange(size, dtype=np.float32) + 0.5  # pixel centres
    ys, xs = coords[None, :, None], coords[None, None, :]  # broadcast to (n, size, size)
    for slot in range(hi_count):
        # every image draws its parameters for every slot, so the data of image i does not
        # depend on the counts of the others; images with fewer shapes skip the late slots
        kind = rng.integers(1, 4, n)
        r = rng.uniform(lo_r, hi_r, n) * size
        extent = r * np.array([1.0, _SQUARE_HALF_SIDE * math.sqrt(2), _TRIANGLE_CIRCUMRADIUS])[
            kind - 1]  # the farthest the shape reaches from its centre
        extent = np.minimum(extent, size / 2)
        cx = rng.uniform(0.0, 1.0, n) * (size - 2 * extent) + extent
        cy = rng.uniform(0.0, 1.0, n) * (size - 2 * extent) + extent
        theta = rng.uniform(0.0, 2 * math.pi, n)
        brightness = rng.uniform(0.55, 1.0, n).astype(np.float32)

        def col(v: np.ndarray) -> np.ndarray:
            return v.astype(np.float32)[:, None, None]

        dx, dy = xs - col(cx), ys - col(cy)
        rad, angle = col(r), col(theta)
        circle = dx * dx + dy * dy <= rad * rad
        # the square, rotated by theta: both rotated coordinates within the half-side
        c, s = np.cos(angle), np.sin(angle)
        square = np.maximum(np.abs(c * dx + s * dy), np.abs(c * dy - s * dx)) \
            <= _SQUARE_HALF_SIDE * rad
        # the triangle: on the inner side of its three edges, whose outward normals point at
        # theta + pi/3 + 2 pi k/3, at distance R cos(pi/3) = R/2 from the centre
        triangle = np.ones_like(circle)
        for k in range(3):
            phi = angle + (math.pi / 3 + 2 * math.pi * k / 3)
            triangle &= np.cos(phi) * dx + np.sin(phi) * dy <= 0.5 * _TRIANGLE_CIRCUMRADIUS * rad
        kinds = kind.astype(np.int8)[:, None, None]
        inside = np.where(kinds == 1, circle, np.where(kinds == 2, square, triangle))
        inside &= (slot < counts)[:, None, None]
        if not overlap:  # leave out a shape that would touch one already drawn
            inside &= ~(inside & (masks > 0)).any(axis=(1, 2))[:, None, None]
        masks = np.where(inside, kinds, masks)
        images = np.where(inside, brightness[:, None, None], images)

    if noise > 0:
        images += rng.normal(0.0, noise, images.shape).astype(np.float32)
        np.clip(images, 0.0, 1.0, out=images)
    return np.ascontiguousarray(images[:, None], dtype=np.float32), masks.astype(np.int64)
