"""Samplers (``torch.utils.data.sampler``): the order in which a :class:`DataLoader` visits a
map-style dataset, one index (or one batch of indices) at a time.

Random samplers draw from the given :class:`lightgrad.Generator`, or from lightgrad's default
generator when ``generator`` is ``None`` (so ``lightgrad.manual_seed`` reproduces the order).
Unlike PyTorch, which seeds a fresh generator from the default one at every epoch, a sampler
without a generator draws its permutation from the default generator directly, when its
iteration starts: ``manual_seed(s); list(RandomSampler(ds))`` equals
``manual_seed(s); randperm(len(ds)).tolist()``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import numpy as np

from ... import backend
from ...backend import Generator
from ...tensor import Tensor
from .dataset import _check_generator

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]

T_co = TypeVar("T_co", covariant=True)

# indices drawn per generator call by RandomSampler(replacement=True): a stream, not one array
_REPLACEMENT_CHUNK = 4096


class Sampler(Generic[T_co]):
    """Base class of samplers: an ``__iter__`` over indices (or batches of indices) and,
    optionally, a ``__len__`` (``torch.utils.data.Sampler``)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``.

    Example:
        >>> from lightgrad.utils.data import SequentialSampler
        >>> list(SequentialSampler("abc"))
        [0, 1, 2]
    """

    data_source: Sized

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A random permutation of ``range(len(data_source))``, or ``num_samples`` uniform draws with
    replacement.

    Without replacement and ``num_samples > len(data_source)``, whole permutations follow one
    another and the last one is cut short.

    Args:
        data_source: the dataset (anything with ``len``).
        replacement: draw with replacement (default ``False``).
        num_samples: how many indices to yield (default ``len(data_source)``).
        generator: a :class:`lightgrad.Generator`; lightgrad's default generator when ``None``.

    Example:
        >>> import lightgrad
        >>> from lightgrad.utils.data import RandomSampler
        >>> g = lightgrad.Generator().manual_seed(0)
        >>> sorted(RandomSampler(range(5), generator=g))
        [0, 1, 2, 3, 4]
    """

    data_source: Sized
    replacement: bool

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = _check_generator(generator, "RandomSampler")
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        ns = self.num_samples
        if not isinstance(ns, int) or isinstance(ns, bool) or ns <= 0:
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value, "
                             f"but got num_samples={ns}")

    @property
    def num_samples(self) -> int:
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        for chunk in self._chunks():
            yield from chunk.tolist()

    def _chunks(self) -> Iterator[np.ndarray]:
        """The indices as int64 arrays, drawn lazily (what ``__iter__`` yields, unboxed)."""
        n = len(self.data_source)
        rng = backend.get_rng(self.generator)
        ns = self.num_samples
        if self.replacement:
            if n == 0:
                raise ValueError("RandomSampler: cannot sample with replacement from an empty "
                                 "data source")
            for start in range(0, ns, _REPLACEMENT_CHUNK):
                yield rng.integers(0, n, min(_REPLACEMENT_CHUNK, ns - start))
        elif n:
            for _ in range(ns // n):
                yield rng.permutation(n)
            if ns % n:
                yield rng.permutation(n)[:ns % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a random order (without replacement).

    Example:
        >>> import lightgrad
        >>> from lightgrad.utils.data import SubsetRandomSampler
        >>> sorted(SubsetRandomSampler([7, 3, 9], generator=lightgrad.Generator()))
        [3, 7, 9]
    """

    indices: Sequence[int]

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = _check_generator(generator, "SubsetRandomSampler")

    def __iter__(self) -> Iterator[int]:
        for i in backend.get_rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices in ``[0, len(weights))`` drawn with probability
    ``weights[i] / sum(weights)`` (with replacement by default; without replacement an index is
    drawn at most once, each draw proportional to the remaining weights).

    Args:
        weights: a 1-d sequence of non-negative weights (need not sum to one).
        num_samples: how many indices to draw.
        replacement: draw with replacement (default ``True``).
        generator: a :class:`lightgrad.Generator`; lightgrad's default generator when ``None``.

    Raises:
        RuntimeError: on iteration, for negative or non-finite weights, all-zero weights, or
            more samples without replacement than weights (as PyTorch's multinomial). Without
            replacement, zero-weight indices come after all the positive ones.

    Example:
        >>> from lightgrad.utils.data import WeightedRandomSampler
        >>> list(WeightedRandomSampler([0.0, 0.0, 1.0], 4))
        [2, 2, 2, 2]
    """

    weights: Tensor
    num_samples: int
    replacement: bool

    def __init__(self, weights: Sequence[float] | Any, num_samples: int,
                 replacement: bool = True, generator: Generator | None = None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer "
                             f"value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, but "
                             f"got replacement={replacement}")
        try:
            w = np.array(weights.data if isinstance(weights, Tensor) else weights,
                         dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"WeightedRandomSampler: weights must be a 1d sequence of numbers "
                            f"({e})") from None
        if w.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given "
                             f"weights have shape {tuple(w.shape)}")
        self.weights = Tensor._make(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = _check_generator(generator, "WeightedRandomSampler")

    def __iter__(self) -> Iterator[int]:
        w = np.asarray(self.weights.data, dtype=np.float64)
        if w.size == 0 or not np.isfinite(w).all() or (w < 0).any():
            raise RuntimeError("WeightedRandomSampler: invalid weights: the weights must be "
                               "finite, non-negative and non-empty")
        total = w.sum()
        if total <= 0:
            raise RuntimeError("WeightedRandomSampler: invalid multinomial distribution (sum of "
                               "weights <= 0)")
        rng = backend.get_rng(self.generator)
        if self.replacement:
            out = rng.choice(w.size, size=self.num_samples, replace=True, p=w / total)
        else:
            if self.num_samples > w.size:
                raise RuntimeError(f"WeightedRandomSampler: cannot sample num_samples="
                                   f"{self.num_samples} > {w.size} (the number of weights) "
                                   "without replacement")
            # Efraimidis-Spirakis: sorting Exp(1) / w draws without replacement, each draw
            # proportional to the remaining weights; zero weights (key inf) come last, in a
            # random order, as with PyTorch's multinomial
            with np.errstate(divide="ignore"):
                keys = rng.standard_exponential(w.size) / w
            out = np.lexsort((rng.random(w.size), keys))[:self.num_samples]
        yield from out.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter, or
    dropped with ``drop_last=True``).

    Example:
        >>> from lightgrad.utils.data import BatchSampler, SequentialSampler
        >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6]]
        >>> list(BatchSampler(range(7), batch_size=3, drop_last=True))
        [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer value, but "
                             f"got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        if self.drop_last:
            for full in zip(*[it] * self.batch_size):
                yield [*full]
        else:
            batch = [*itertools.islice(it, self.batch_size)]
            while batch:
                yield batch
                batch = [*itertools.islice(it, self.batch_size)]

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size


def _array_batches(batch_sampler: Any) -> Iterator[np.ndarray] | None:
    """The batches of a stock :class:`BatchSampler` over a stock sequential or random sampler as
    int64 arrays (the same indices as iterating it, without boxing each one as a Python int);
    ``None`` for any other batch sampler."""
    if not isinstance(batch_sampler, BatchSampler) or \
            type(batch_sampler).__iter__ is not BatchSampler.__iter__:
        return None
    sampler = batch_sampler.sampler
    cls = type(sampler)
    chunks: Iterator[np.ndarray]
    if isinstance(sampler, SequentialSampler) and cls.__iter__ is SequentialSampler.__iter__:
        chunks = iter((np.arange(len(sampler.data_source)),))
    elif isinstance(sampler, RandomSampler) and cls.__iter__ is RandomSampler.__iter__ \
            and getattr(cls, "_chunks", None) is RandomSampler._chunks:
        chunks = sampler._chunks()
    else:
        return None
    return _rebatch(chunks, batch_sampler.batch_size, batch_sampler.drop_last)


def _rebatch(chunks: Iterator[np.ndarray], size: int, drop_last: bool) -> Iterator[np.ndarray]:
    buf = np.empty(0, np.int64)
    for chunk in chunks:
        buf = np.concatenate((buf, chunk)) if buf.size else chunk
        start = 0
        while buf.size - start >= size:
            yield buf[start:start + size]
            start += size
        buf = buf[start:]
    if buf.size and not drop_last:
        yield buf
