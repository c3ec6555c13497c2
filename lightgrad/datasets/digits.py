"""The 8x8 handwritten digits (1797 images of 0-9, UCI "optdigits" test set), read from the copy
that scikit-learn ships: no download, ever.

The file is ``sklearn/datasets/data/digits.csv.gz``: one image a line, 64 pixel values in 0..16
(row-major) and the label. scikit-learn is located with :func:`importlib.util.find_spec`, which
does not import it (importing ``sklearn.datasets`` would pull in SciPy and more).
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from pathlib import Path

import numpy as np

__all__ = ["load_digits", "digits_path"]

_RELATIVE = Path("datasets") / "data" / "digits.csv.gz"
_INSTALL_HINT = "pip install scikit-learn (or pip install lightgrad[examples])"


def digits_path() -> Path:
    """Where scikit-learn's installed copy of the digits is.

    Raises:
        ModuleNotFoundError: scikit-learn is not installed (the message says how to install it).
        FileNotFoundError: scikit-learn is installed but has no digits file where expected.
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "load_digits: the 8x8 digits are read from scikit-learn's bundled copy, and "
            f"scikit-learn is not installed: {_INSTALL_HINT}; or pass path= to a digits.csv.gz",
            name="sklearn")
    for root in spec.submodule_search_locations:
        candidate = Path(root) / _RELATIVE
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"load_digits: scikit-learn is installed ({', '.join(spec.submodule_search_locations)}) "
        f"but has no {_RELATIVE.as_posix()}; reinstall it ({_INSTALL_HINT}) or pass path=")


def load_digits(path: str | os.PathLike[str] | None = None, *,
                images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Load the 8x8 digits as NumPy arrays, like ``sklearn.datasets.load_digits(return_X_y=True)``.

    Args:
        path: a ``digits.csv.gz`` (or uncompressed ``.csv``) in scikit-learn's format; by default
            the one installed with scikit-learn.
        images: return ``X`` as ``(n, 8, 8)`` images instead of ``(n, 64)`` rows.

    Returns:
        ``(X, y)``: ``X`` float32 ``(1797, 64)`` (or ``(1797, 8, 8)``) with pixel intensities in
        0..16 (divide by 16 for ``[0, 1]``), ``y`` int64 ``(1797,)`` with the digit.

    Raises:
        ModuleNotFoundError: no ``path`` and scikit-learn is not installed.
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not in the digits format.

    Example:
        >>> from lightgrad.datasets import load_digits
        >>> X, y = load_digits()  # doctest: +SKIP
        >>> X.shape, y[:5].tolist()  # doctest: +SKIP
        ((1797, 64), [0, 1, 2, 3, 4])
    """
    file = digits_path() if path is None else Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"load_digits: no such file: {file}")
    opener = gzip.open if file.name.endswith(".gz") else open
    try:
        with opener(file, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.float32, ndmin=2)
    except (OSError, ValueError, EOFError) as e:
        raise ValueError(f"load_digits: {file} is not a digits CSV file ({e})") from e
    if table.shape[1] != 65:
        raise ValueError(f"load_digits: {file} has {table.shape[1]} columns per row, expected 65 "
                         "(64 pixels and the label)")
    X = np.ascontiguousarray(table[:, :64])
    labels = table[:, 64]
    if not np.all((labels >= 0) & (labels <= 9) & (labels == np.round(labels))):
        raise ValueError(f"load_digits: {file}: the labels (last column) must be digits 0-9")
    y = labels.astype(np.int64)
    if images:
        X = X.reshape(-1, 8, 8)
    return X, y
