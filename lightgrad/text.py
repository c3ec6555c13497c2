"""Text processing: tokenizers, a :class:`Vocab` with special tokens, Keras-style
:func:`pad_sequences` and :func:`one_hot` encoding of index arrays.

The pieces go text -> tokens -> indices -> a padded ``(N, T)`` index array, which an
``nn.Embedding`` reads directly or :func:`one_hot` turns into ``(N, T, V)`` vectors:

    >>> from lightgrad.text import Vocab, WordTokenizer, pad_sequences
    >>> tok = WordTokenizer()
    >>> docs = [tok("The cat sat."), tok("The dog sat down!")]
    >>> vocab = Vocab.build(docs)
    >>> pad_sequences([vocab.encode(d) for d in docs], padding="post")
    array([[5, 6, 4, 0],
           [5, 7, 4, 8]], dtype=int32)
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor

__all__ = ["CharTokenizer", "WordTokenizer", "Vocab", "pad_sequences", "one_hot",
           "PAD", "UNK", "SOS", "EOS", "DEFAULT_SPECIALS"]

PAD, UNK, SOS, EOS = "<pad>", "<unk>", "<sos>", "<eos>"
#: The special tokens a :class:`Vocab` starts with by default, at indices 0, 1, 2, 3.
DEFAULT_SPECIALS: tuple[str, ...] = (PAD, UNK, SOS, EOS)


# --------------------------------------------------------------------------------- tokenizers
class CharTokenizer:
    """Split a string into its characters: ``"Hi!" -> ["H", "i", "!"]``.

    Args:
        lower: lowercase the text first.
        keep: if given, a string of the characters to keep (others are dropped), e.g.
            ``string.ascii_lowercase``.

    Example:
        >>> from lightgrad.text import CharTokenizer
        >>> CharTokenizer(lower=True)("Hi!")
        ['h', 'i', '!']
        >>> CharTokenizer(lower=True, keep="abcdefghijklmnopqrstuvwxyz ")("Hi, you!")
        ['h', 'i', ' ', 'y', 'o', 'u']
    """

    def __init__(self, lower: bool = False, keep: str | None = None) -> None:
        self.lower = lower
        self.keep = None if keep is None else frozenset(keep)

    def __call__(self, text: str) -> list[str]:
        return self.tokenize(text)

    def tokenize(self, text: str) -> list[str]:
        """The characters of ``text`` (lowercased and filtered as configured)."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer: expected a str, got {type(text).__name__}")
        if self.lower:
            text = text.lower()
        if self.keep is None:
            return list(text)
        return [c for c in text if c in self.keep]

    def __repr__(self) -> str:
        keep = "" if self.keep is None else f", keep={''.join(sorted(self.keep))!r}"
        return f"CharTokenizer(lower={self.lower}{keep})"


_WORD = r"[^\W_]+(?:'[^\W_]+)*"  # letters/digits, with inner apostrophes: "don't", "o'neill"
_PUNCT = r"[^\w\s]"


class WordTokenizer:
    """Split a string into words with a regular expression: lowercase by default, words are runs
    of letters and digits (inner apostrophes kept: ``"don't"``), punctuation dropped or kept as
    one-character tokens.

    Args:
        lower: lowercase the text first (default ``True``).
        punctuation: keep each punctuation character as its own token (default ``False``).
        pattern: a custom regular expression whose matches are the tokens (overrides
            ``punctuation``).

    Example:
        >>> from lightgrad.text import WordTokenizer
        >>> WordTokenizer()("Don't panic: it's 42!")
        ["don't", 'panic', "it's", '42']
        >>> WordTokenizer(lower=False, punctuation=True)("Hello, World!")
        ['Hello', ',', 'World', '!']
    """

    def __init__(self, lower: bool = True, punctuation: bool = False,
                 pattern: str | None = None) -> None:
        self.lower = lower
        self.punctuation = punctuation
        if pattern is None:
            pattern = f"{_WORD}|{_PUNCT}" if punctuation else _WORD
        self.pattern = pattern
        self._regex = re.compile(pattern)

    def __call__(self, text: str) -> list[str]:
        return self.tokenize(text)

    def tokenize(self, text: str) -> list[str]:
        """The tokens of ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"WordTokenizer: expected a str, got {type(text).__name__}")
        if self.lower:
            text = text.lower()
        return self._regex.findall(text)

    def __repr__(self) -> str:
        return (f"WordTokenizer(lower={self.lower}, punctuation={self.punctuation}, "
                f"pattern={self.pattern!r})")


# --------------------------------------------------------------------------------------- Vocab
class Vocab:
    """A two-way map between tokens and indices, the special tokens first.

    ``vocab.itos`` is the list of tokens (index -> string) and ``vocab.stoi`` the dict
    (string -> index). The specials (by default ``<pad>``, ``<unk>``, ``<sos>``, ``<eos>``) take
    the fixed indices 0, 1, 2, 3, so padding is index 0 as ``pad_sequences`` and
    ``nn.Embedding(padding_idx=0)`` expect. Unknown tokens encode to the ``<unk>`` index (a
    ``KeyError`` if the vocab has no ``<unk>``).

    Args:
        tokens: the ordinary tokens, in index order (duplicates and specials are skipped).
        specials: the special tokens, at indices ``0..len(specials)-1``.
        unk_token: the token unknown tokens map to (``None``: unknown tokens raise
            ``KeyError``); it must be one of ``specials`` or ``tokens``.

    Example:
        >>> from lightgrad.text import Vocab
        >>> v = Vocab.build([["a", "b", "a"], ["c", "a", "b"]])
        >>> v.itos
        ['<pad>', '<unk>', '<sos>', '<eos>', 'a', 'b', 'c']
        >>> v.encode(["a", "z"], sos=True, eos=True)
        [2, 4, 1, 3]
        >>> v.decode([2, 4, 1, 3])
        ['a', '<unk>']
    """

    def __init__(self, tokens: Iterable[str] = (), specials: Sequence[str] = DEFAULT_SPECIALS,
                 unk_token: str | None = UNK) -> None:
        specials = list(specials)
        if len(set(specials)) != len(specials):
            raise ValueError(f"Vocab: specials must be distinct, got {specials}")
        self.specials: list[str] = specials
        self.itos: list[str] = list(specials)
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(specials)}
        for t in tokens:
            if not isinstance(t, str):
                raise TypeError(f"Vocab: tokens must be str, got {type(t).__name__} ({t!r})")
            if t not in self.stoi:
                self.stoi[t] = len(self.itos)
                self.itos.append(t)
        if unk_token is not None and unk_token not in self.stoi:
            raise ValueError(f"Vocab: unk_token {unk_token!r} is neither a special nor a token "
                             f"(specials {specials}); pass unk_token=None for a vocab without one")
        self.unk_token = unk_token
        #: token counts when built by :meth:`build` (else empty)
        self.freqs: dict[str, int] = {}

    @classmethod
    def build(cls, token_lists: Iterable[Iterable[str]], min_freq: int = 1,
              max_size: int | None = None, specials: Sequence[str] = DEFAULT_SPECIALS,
              unk_token: str | None = UNK) -> Vocab:
        """A vocab of the tokens in ``token_lists`` (e.g. tokenized documents): the specials, then
        the tokens seen at least ``min_freq`` times, most frequent first (ties in alphabetical
        order, so the result does not depend on the order of the documents), like torchtext's
        ``build_vocab_from_iterator``.

        Args:
            token_lists: an iterable of token lists (a single string counts as a list of
                characters).
            min_freq: the minimum count to be kept.
            max_size: the largest ``len(vocab)``, specials included (the rarest tokens are
                dropped); ``None``: no limit.
        """
        if not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"Vocab.build: min_freq must be an int >= 1, got {min_freq!r}")
        n_special = len(specials)
        if max_size is not None and (not isinstance(max_size, int) or max_size < n_special):
            raise ValueError(f"Vocab.build: max_size must be an int >= the number of specials "
                             f"({n_special}), got {max_size!r}")
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            if isinstance(tokens, bytes):
                raise TypeError("Vocab.build: expected token lists of str, got bytes")
            counts.update(tokens)
        special_set = set(specials)
        ranked = sorted(((t, c) for t, c in counts.items()
                         if c >= min_freq and t not in special_set),
                        key=lambda tc: (-tc[1], tc[0]))
        if max_size is not None:
            ranked = ranked[: max_size - n_special]
        vocab = cls((t for t, _ in ranked), specials=specials, unk_token=unk_token)
        vocab.freqs = {t: c for t, c in ranked}
        return vocab

    # ---- lookups
    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        """The index of ``token`` (the ``<unk>`` index if unknown)."""
        i = self.stoi.get(token)
        if i is not None:
            return i
        if self.unk_token is None:
            raise KeyError(f"Vocab: token {token!r} is not in the vocabulary (and it has no "
                           "unk_token)")
        return self.stoi[self.unk_token]

    def _special_index(self, token: str) -> int:
        i = self.stoi.get(token)
        if i is None:
            raise AttributeError(f"Vocab: no {token} token (specials {self.specials})")
        return i

    @property
    def pad_index(self) -> int:
        """Index of ``<pad>``."""
        return self._special_index(PAD)

    @property
    def unk_index(self) -> int:
        """Index of the unknown token."""
        if self.unk_token is None:
            raise AttributeError("Vocab: no unk_token")
        return self.stoi[self.unk_token]

    @property
    def sos_index(self) -> int:
        """Index of ``<sos>`` (start of sequence)."""
        return self._special_index(SOS)

    @property
    def eos_index(self) -> int:
        """Index of ``<eos>`` (end of sequence)."""
        return self._special_index(EOS)

    def lookup_token(self, index: int) -> str:
        """The token at ``index``."""
        try:
            return self.itos[int(index)]
        except IndexError:
            raise IndexError(f"Vocab: index {index} out of range for a vocab of "
                             f"{len(self)} tokens") from None

    # ---- encode / decode
    def encode(self, tokens: Iterable[str], sos: bool = False, eos: bool = False) -> list[int]:
        """Token indices, optionally framed by ``<sos>`` and ``<eos>`` (a string is a sequence of
        character tokens)."""
        out = [self.sos_index] if sos else []
        get = self.stoi.get
        if self.unk_token is None:
            for t in tokens:
                i = get(t)
                if i is None:
                    raise KeyError(f"Vocab.encode: token {t!r} is not in the vocabulary (and it "
                                   "has no unk_token)")
                out.append(i)
        else:
            unk = self.stoi[self.unk_token]
            out.extend(get(t, unk) for t in tokens)
        if eos:
            out.append(self.eos_index)
        return out

    def decode(self, indices: Iterable[int] | np.ndarray | Tensor,
               skip_specials: bool = True, stop_at_eos: bool = True) -> list[str]:
        """Tokens for ``indices`` (a list, 1-D array or tensor).

        Args:
            skip_specials: leave out ``<pad>``, ``<sos>`` and ``<eos>`` (``<unk>`` is kept, it
                stands for a real token).
            stop_at_eos: stop at the first ``<eos>``.
        """
        if isinstance(indices, Tensor):
            indices = indices.tolist()
        elif isinstance(indices, np.ndarray):
            if indices.ndim != 1:
                raise ValueError(f"Vocab.decode: expected a 1-D index sequence, got shape "
                                 f"{indices.shape}")
            indices = indices.tolist()
        eos = self.stoi.get(EOS)
        drop = {self.stoi[s] for s in self.specials if s != self.unk_token}
        out = []
        for i in indices:
            i = int(i)
            if stop_at_eos and i == eos:
                break
            if skip_specials and i in drop:
                continue
            out.append(self.lookup_token(i))
        return out

    # ---- persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description: ``{"itos": [...], "specials": [...], "unk_token": ...}``."""
        return {"itos": list(self.itos), "specials": list(self.specials),
                "unk_token": self.unk_token}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Vocab:
        """The vocab :meth:`to_dict` described."""
        try:
            itos, specials, unk = d["itos"], d["specials"], d.get("unk_token", UNK)
        except (KeyError, TypeError):
            raise ValueError("Vocab.from_dict: expected a dict with 'itos' and 'specials', got "
                             f"{type(d).__name__}") from None
        if list(itos[: len(specials)]) != list(specials):
            raise ValueError("Vocab.from_dict: 'itos' must start with the specials "
                             f"{specials}, got {itos[: len(specials)]}")
        if len(set(itos)) != len(itos):
            raise ValueError("Vocab.from_dict: 'itos' has duplicate tokens")
        return cls(itos[len(specials):], specials=specials, unk_token=unk)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` as JSON to ``path``."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Vocab:
        """Read a vocab :meth:`save` wrote."""
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ValueError(f"Vocab.load: {path} is not JSON ({e})") from None
        return cls.from_dict(d)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return (self.itos, self.specials, self.unk_token) == (other.itos, other.specials,
                                                              other.unk_token)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.itos[:8])
        more = ", ..." if len(self) > 8 else ""
        return f"Vocab(size={len(self)}, itos=[{head}{more}])"


# ------------------------------------------------------------------------------- pad_sequences
def pad_sequences(sequences: Iterable[Any], maxlen: int | None = None, dtype: Any = "int32",
                  padding: str = "pre", truncating: str = "pre", value: Any = 0.0) -> np.ndarray:
    """Pad (and truncate) sequences to one length: ``keras.utils.pad_sequences``.

    Keras's semantics, defaults included: ``padding="pre"`` puts the padding *before* the
    sequence, ``truncating="pre"`` drops the *first* elements of a sequence longer than
    ``maxlen`` (keeping its end), ``dtype="int32"``. ``maxlen=None`` pads to the longest sequence.
    Elements may themselves be arrays (``(T, d)`` sequences give ``(N, maxlen, d)``).

    Args:
        sequences: a list of sequences (lists or arrays).
        maxlen: the output length.
        dtype: the output dtype.
        padding: ``"pre"`` or ``"post"``: where the padding goes.
        truncating: ``"pre"`` or ``"post"``: which end of a long sequence is cut.
        value: the padding value.

    Returns:
        A NumPy array ``(len(sequences), maxlen, *element_shape)``.

    Raises:
        ValueError: bad ``padding``/``truncating``, a non-iterable sequence, mixed element shapes,
            a string ``value`` with a non-string ``dtype``, a negative ``maxlen``.

    Example:
        >>> from lightgrad.text import pad_sequences
        >>> pad_sequences([[1, 2, 3], [4, 5]])
        array([[1, 2, 3],
               [0, 4, 5]], dtype=int32)
        >>> pad_sequences([[1, 2, 3], [4, 5]], maxlen=2, padding="post", truncating="post")
        array([[1, 2],
               [4, 5]], dtype=int32)
    """
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences: padding type "{padding}" not understood '
                         "(expected 'pre' or 'post')")
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences: truncating type "{truncating}" not understood '
                         "(expected 'pre' or 'post')")
    if not hasattr(sequences, "__len__"):
        sequences = list(sequences)
    lengths = []
    sample_shape: tuple[int, ...] = ()
    found = False
    for i, s in enumerate(sequences):  # type: ignore[arg-type]
        if isinstance(s, str | bytes) or not hasattr(s, "__len__"):
            raise ValueError(f"pad_sequences: `sequences` must be a list of iterables; element "
                             f"{i} is {type(s).__name__} ({s!r:.40})")
        n = len(s)
        lengths.append(n)
        if not found and n:
            sample_shape = np.asarray(s).shape[1:]
            found = True
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif not isinstance(maxlen, int | np.integer) or isinstance(maxlen, bool) or maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be None or an int >= 0, got {maxlen!r}")
    maxlen = int(maxlen)
    dt = np.dtype(dtype)
    if isinstance(value, str) and dt.kind not in "OUS":
        raise ValueError(f"pad_sequences: `dtype` {dt} is not compatible with `value`'s type "
                         f"{type(value).__name__}; use dtype=object for a string value")
    out = np.full((len(lengths), maxlen, *sample_shape), value, dtype=dt)
    if maxlen == 0:
        return out
    for i, s in enumerate(sequences):  # type: ignore[arg-type]
        if not lengths[i]:
            continue
        trunc = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        trunc = np.asarray(trunc, dtype=dt)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: shape of sample {trunc.shape[1:]} of sequence at "
                             f"position {i} is different from expected shape {sample_shape}")
        if padding == "post":
            out[i, : len(trunc)] = trunc
        else:
            out[i, maxlen - len(trunc):] = trunc
    return out


# ------------------------------------------------------------------------------------- one_hot
def one_hot(indices: Any, num_classes: int | None = None, dtype: Any = None) -> Any:
    """One-hot vectors for an index array: ``out[..., c] = (indices[...] == c)``.

    A tensor goes through ``nn.functional.one_hot`` (so it stays on its device) and comes back
    as a tensor; a NumPy array or (nested) list gives a NumPy array.

    Args:
        indices: integer indices, any shape.
        num_classes: the length of the vectors (``None``: ``indices.max() + 1``).
        dtype: the output dtype (default: the default float dtype, float32).

    Returns:
        ``(*indices.shape, num_classes)`` values 0 and 1.

    Raises:
        ValueError: non-integer indices, an index that is negative or ``>= num_classes``.

    Example:
        >>> from lightgrad.text import one_hot
        >>> one_hot([[0, 2], [1, 1]], 3)
        array([[[1., 0., 0.],
                [0., 0., 1.]],
        <BLANKLINE>
               [[0., 1., 0.],
                [0., 1., 0.]]], dtype=float32)
    """
    dt = backend.get_default_dtype() if dtype is None else np.dtype(dtype)
    if isinstance(indices, Tensor):
        from .ops.activation import one_hot as _one_hot

        if indices.dtype.kind not in "iu":
            raise ValueError(f"one_hot: indices must be integers, got dtype {indices.dtype}")
        idx = indices if indices.dtype == backend.int64 else indices.long()
        return _one_hot(idx, -1 if num_classes is None else num_classes).to(dt)
    arr = np.asarray(indices)
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(np.int64)  # np.asarray([]) is float64
    if arr.dtype.kind not in "iu":
        raise ValueError(f"one_hot: indices must be integers, got dtype {arr.dtype}")
    if num_classes is None:
        if arr.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from empty indices; pass it")
        num_classes = int(arr.max()) + 1
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= num_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(f"one_hot: index {bad} out of range for num_classes={num_classes}")
    out = np.zeros((*arr.shape, num_classes), dtype=dt)
    np.put_along_axis(out, arr[..., None].astype(np.intp), 1, axis=-1)
    return out
