"""load_digits: read from scikit-learn's installed copy (never downloaded), with path= override."""

import gzip
import subprocess
import sys

import numpy as np
import pytest

from lightgrad.datasets import digits_path, load_digits

needs_sklearn = pytest.mark.skipif(
    __import__("importlib").util.find_spec("sklearn") is None, reason="scikit-learn not installed")


@needs_sklearn
def test_matches_scikit_learn():
    from sklearn.datasets import load_digits as sk_load

    X, y = load_digits()
    Xs, ys = sk_load(return_X_y=True)
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, Xs.astype(np.float32))
    np.testing.assert_array_equal(y, ys)
    assert X.min() == 0 and X.max() == 16 and set(np.unique(y)) == set(range(10))
    images, y2 = load_digits(images=True)
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images, sk_load().images.astype(np.float32))
    np.testing.assert_array_equal(y2, y)


@needs_sklearn
def test_finds_the_file_without_importing_scikit_learn():
    code = ("import sys; from lightgrad.datasets import load_digits; X, y = load_digits(); "
            "print(len(X), 'sklearn' in sys.modules, 'scipy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1797", "False", "False"]


@pytest.fixture
def small_csv(tmp_path):
    rows = np.arange(3 * 64).reshape(3, 64) % 17
    table = np.concatenate([rows, [[3], [0], [9]]], axis=1)
    text = "\n".join(",".join(str(v) for v in row) for row in table) + "\n"
    plain = tmp_path / "digits.csv"
    plain.write_text(text)
    packed = tmp_path / "digits.csv.gz"
    with gzip.open(packed, "wt") as f:
        f.write(text)
    return plain, packed, rows


def test_path_override_reads_plain_and_gzipped_files(small_csv):
    plain, packed, rows = small_csv
    for path in (plain, str(packed)):
        X, y = load_digits(path)
        np.testing.assert_array_equal(X, rows.astype(np.float32))
        assert y.tolist() == [3, 0, 9] and y.dtype == np.int64


@pytest.mark.parametrize("content, match", [
    ("1,2,3\n4,5,6\n", r"has 3 columns per row, expected 65"),
    (",".join(["1"] * 64 + ["12"]) + "\n", r"labels \(last column\) must be digits 0-9"),
    (",".join(["1"] * 64 + ["2.5"]) + "\n", r"labels \(last column\) must be digits 0-9"),
    ("not,a,number\n", r"is not a digits CSV file"),
])
def test_malformed_files_are_rejected(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        load_digits(path)


def test_a_corrupt_gzip_is_rejected(tmp_path):
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ValueError, match=r"load_digits: .*bad.csv.gz is not a digits CSV file"):
        load_digits(path)


def test_a_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load_digits: no such file: .*nope.csv.gz"):
        load_digits(tmp_path / "nope.csv.gz")


def test_without_scikit_learn_the_error_says_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match=r"pip install scikit-learn"):
        digits_path()
    with pytest.raises(ImportError, match=r"or pass path="):
        load_digits()
