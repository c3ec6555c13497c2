"""Datasets (``torch.utils.data.dataset``): map-style and iterable datasets, tensors, subsets,
concatenation, and ``random_split``."""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from ... import backend
from ...backend import Generator
from ...tensor import Tensor

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "StackDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


class DatasetError(ValueError, AssertionError):
    """Bad dataset construction arguments. A ``ValueError`` that is also an ``AssertionError``,
    the class PyTorch raises for these cases, so ``except`` clauses written for either work."""


def _check_generator(generator: Any, where: str) -> Generator | None:
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"{where}: generator must be a lightgrad.Generator or None, got "
                        f"{type(generator).__module__}.{type(generator).__name__}")
    return generator


def _as_index(idx: Any, where: str) -> int:
    if isinstance(idx, bool | float | str):
        raise TypeError(f"{where}: index must be an integer, got {type(idx).__name__}")
    try:
        return operator.index(idx)
    except TypeError:
        raise TypeError(f"{where}: index must be an integer, got {type(idx).__name__}") from None


class Dataset(Generic[T_co]):
    """A map from keys (usually ``0 .. len - 1``) to samples: subclasses define ``__getitem__``
    and usually ``__len__`` (``torch.utils.data.Dataset``).

    A subclass may also define ``__getitems__(indices) -> list of samples`` to load a batch at
    once; :class:`DataLoader` then calls it instead of ``__getitem__`` per index.
    ``dataset_a + dataset_b`` is a :class:`ConcatDataset`.

    Example:
        >>> from lightgrad.utils.data import Dataset
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> ds = Squares() + Squares()
        >>> len(ds), ds[5]
        (8, 1)
    """

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A stream of samples: subclasses define ``__iter__`` (``torch.utils.data.IterableDataset``).

    With ``num_workers > 0`` each :class:`DataLoader` worker *thread* iterates its own shallow
    copy of the dataset, so, as in PyTorch, every worker yields the whole stream unless the
    dataset splits the work using :func:`get_worker_info` (in ``__iter__`` or in
    ``worker_init_fn``). ``a + b`` is a :class:`ChainDataset`.

    Example:
        >>> from lightgrad.utils.data import IterableDataset
        >>> class Count(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(3))
        >>> list(Count() + Count())
        [0, 1, 2, 0, 1, 2]
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset[T_co]) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


def _to_tensor(t: Any, i: int) -> Tensor:
    if isinstance(t, Tensor):
        return t
    from ...creation import as_tensor, tensor

    try:
        if isinstance(t, list | tuple):
            return tensor(t)
        if backend.get_array_module(t) is not np:  # a CuPy array
            return as_tensor(t)
        return as_tensor(np.asarray(t))  # keeps the dtype of NumPy (and torch) arrays
    except (TypeError, ValueError) as e:
        raise TypeError(f"TensorDataset: argument {i} must be a tensor or an array, got "
                        f"{type(t).__name__} ({e})") from None


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are rows of tensors: ``ds[i] == (t[i] for t in tensors)``
    (``torch.utils.data.TensorDataset``).

    NumPy arrays are accepted and wrapped as tensors without copying. A :class:`DataLoader`
    with the default collation batches this dataset by one fancy-index per tensor instead of
    indexing sample by sample.

    Args:
        *tensors: tensors (or arrays) with the same size of the first dimension.

    Raises:
        ValueError: (also an ``AssertionError``, as in PyTorch) if the first dimensions differ.

    Example:
        >>> import numpy as np, lightgrad
        >>> from lightgrad.utils.data import TensorDataset
        >>> ds = TensorDataset(np.zeros((5, 3), np.float32), lightgrad.arange(5))
        >>> len(ds), ds[2][0].shape, ds[2][1]
        (5, lightgrad.Size([3]), tensor(2))
    """

    tensors: tuple[Tensor, ...]

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise DatasetError("TensorDataset: expected at least one tensor")
        ts = tuple(_to_tensor(t, i) for i, t in enumerate(tensors))
        for i, t in enumerate(ts):
            if t.ndim == 0:
                raise DatasetError(f"TensorDataset: tensor {i} is 0-d (shape ()); every tensor "
                                   "needs a first dimension indexing the samples")
        sizes = [t.shape[0] for t in ts]
        if any(s != sizes[0] for s in sizes):
            shapes = ", ".join(str(tuple(t.shape)) for t in ts)
            raise DatasetError(f"TensorDataset: size mismatch between tensors: the first "
                               f"dimensions differ, got sizes {sizes} (shapes {shapes})")
        self.tensors = ts

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)  # type: ignore[index]

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class StackDataset(Dataset[T_co]):
    """Datasets zipped sample by sample: ``StackDataset(a, b)[i] == (a[i], b[i])`` and
    ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}`` (``torch.utils.data.StackDataset``).

    Example:
        >>> from lightgrad.utils.data import StackDataset
        >>> StackDataset(image=[10, 11], label=[0, 1])[1]
        {'image': 11, 'label': 1}
    """

    datasets: tuple | dict

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError("StackDataset: supported either tuple-like (via args) or dict-like "
                             "(via kwargs) input/output, but both types are given")
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        items = list(args) if args else list(kwargs.values())
        names = [str(i) for i in range(len(args))] if args else list(kwargs)
        sizes = [len(d) for d in items]
        if any(s != sizes[0] for s in sizes):
            got = ", ".join(f"{n}: {s}" for n, s in zip(names, sizes))
            raise ValueError(f"StackDataset: size mismatch between datasets ({got})")
        self._length = sizes[0]
        self.datasets = tuple(args) if args else dict(kwargs)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list) -> list:
        def column(d: Any) -> list:
            getitems = getattr(d, "__getitems__", None)
            if callable(getitems):
                items = getitems(indices)
                if len(items) != len(indices):
                    raise ValueError(f"StackDataset: nested dataset's output size mismatch: "
                                     f"expected {len(indices)}, got {len(items)}")
                return list(items)
            return [d[i] for i in indices]

        if isinstance(self.datasets, dict):
            cols = {k: column(d) for k, d in self.datasets.items()}
            return [{k: c[j] for k, c in cols.items()} for j in range(len(indices))]
        tcols = [column(d) for d in self.datasets]
        return [tuple(c[j] for c in tcols) for j in range(len(indices))]

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset[T_co]):
    """Datasets joined end to end (``torch.utils.data.ConcatDataset``).

    Args:
        datasets: a non-empty iterable of map-style datasets.

    Example:
        >>> from lightgrad.utils.data import ConcatDataset
        >>> ds = ConcatDataset([[1, 2, 3], [4, 5]])
        >>> len(ds), ds[3], ds[-1], ds.cumulative_sizes
        (5, 4, 5, [3, 5])
    """

    datasets: list[Dataset[T_co]]
    cumulative_sizes: list[int]

    @staticmethod
    def cumsum(sequence: Iterable[Any]) -> list[int]:
        out, total = [], 0
        for d in sequence:
            total += len(d)
            out.append(total)
        return out

    def __init__(self, datasets: Iterable[Any]) -> None:
        super().__init__()
        self.datasets = list(datasets)
        if not self.datasets:
            raise DatasetError("ConcatDataset: datasets should not be an empty iterable")
        for i, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise DatasetError(f"ConcatDataset does not support IterableDataset (dataset {i} "
                                   f"is a {type(d).__name__}); use ChainDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: Any) -> T_co:
        i = _as_index(idx, "ConcatDataset")
        n = len(self)
        if i < 0:
            if -i > n:
                raise ValueError(f"ConcatDataset: absolute value of index should not exceed "
                                 f"dataset length: got index {i} for length {n}")
            i += n
        if i >= n:
            raise IndexError(f"ConcatDataset: index {i} is out of range for length {n}")
        d = bisect.bisect_right(self.cumulative_sizes, i)
        offset = self.cumulative_sizes[d - 1] if d else 0
        return self.datasets[d][i - offset]


class ChainDataset(IterableDataset):
    """Iterable datasets chained one after the other (``torch.utils.data.ChainDataset``)."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        super().__init__()
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for i, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise DatasetError(f"ChainDataset only supports IterableDataset (dataset {i} is "
                                   f"a {type(d).__name__})")
            yield from d

    def __len__(self) -> int:
        total = 0
        for i, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise DatasetError(f"ChainDataset only supports IterableDataset (dataset {i} is "
                                   f"a {type(d).__name__})")
            total += len(d)  # type: ignore[arg-type]
        return total


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order (``torch.utils.data.Subset``).

    A subclass that overrides ``__getitem__`` must also override ``__getitems__``.

    Example:
        >>> from lightgrad.utils.data import Subset
        >>> s = Subset([10, 11, 12, 13], [3, 0])
        >>> len(s), s[0], s.__getitems__([1, 0])
        (2, 13, [10, 13])
    """

    dataset: Dataset[T_co]
    indices: Sequence[int]

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        cls = type(self)
        if cls.__getitem__ is not Subset.__getitem__ and cls.__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{cls.__name__} overrides __getitem__ but not __getitems__. When subclassing "
                "Subset and overriding __getitem__, you must also override __getitems__ so "
                "that DataLoader uses your logic, e.g.\n\n"
                "def __getitems__(self, indices):\n"
                "    return [self.__getitem__(idx) for idx in indices]")

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]  # type: ignore[index]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths
    (``torch.utils.data.random_split``).

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1: each split gets
    ``floor(frac * len(dataset))`` samples and the remainder is handed out one sample at a time,
    round-robin from the first split. The permutation is ``randperm(len(dataset),
    generator=generator)`` (lightgrad's default generator when ``None``).

    Example:
        >>> import lightgrad
        >>> from lightgrad.utils.data import random_split
        >>> parts = random_split(range(10), [0.5, 0.3, 0.2],
        ...                      generator=lightgrad.Generator().manual_seed(0))
        >>> [len(p) for p in parts], sorted(sum((p.indices for p in parts), []))
        ([5, 3, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    gen = _check_generator(generator, "random_split")
    n = len(dataset)
    lengths = list(lengths)
    for i, x in enumerate(lengths):
        if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
            raise TypeError(f"random_split: lengths must be ints or floats, got "
                            f"{type(x).__name__} at index {i}")
    total = sum(lengths)
    if lengths and math.isclose(total, 1) and total <= 1:
        sizes: list[int] = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1 "
                                 f"(got {frac})")
            sizes.append(math.floor(n * frac))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              "empty dataset.", stacklevel=2)
    else:
        sizes = []
        for i, x in enumerate(lengths):
            if isinstance(x, float | np.floating) and not float(x).is_integer():
                raise ValueError(f"random_split: lengths {lengths} are neither integer sizes "
                                 "nor fractions summing to 1")
            if x < 0:
                raise ValueError(f"random_split: lengths must be non-negative, got {x} at "
                                 f"index {i}")
            sizes.append(int(x))
    if sum(sizes) != n:
        raise ValueError(f"random_split: sum of input lengths does not equal the length of the "
                         f"input dataset! (lengths {sizes} sum to {sum(sizes)}, the dataset "
                         f"has {n} samples)")
    perm = backend.get_rng(gen).permutation(n).tolist()
    return [Subset(dataset, perm[end - size:end])
            for end, size in zip(itertools.accumulate(sizes), sizes)]
