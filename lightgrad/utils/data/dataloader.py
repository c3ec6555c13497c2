"""``DataLoader`` (``torch.utils.data.DataLoader``), default collation and worker threads.

A :class:`DataLoader` draws indices from a sampler (or batches of indices from a batch sampler),
fetches the samples and merges them with ``collate_fn``. ``num_workers > 0`` starts worker
**threads** (not processes, unlike PyTorch): they fetch and collate batches ahead of the
training loop, ``prefetch_factor`` batches each, and the batches come out in sampler order.
Threads share the dataset, so nothing is pickled; they pay off when loading releases the GIL
(file reads, decoding, large NumPy copies), not for pure-Python per-sample work.

Fast path: over a :class:`TensorDataset` (or a :class:`Subset` of one, however nested) with the
default ``collate_fn``, a batch is one fancy-index per tensor (``tensor.data[indices]``) instead
of ``batch_size`` item lookups and a stack; the result is the same list of tensors.
"""

from __future__ import annotations

import collections
import copy
import itertools
import math
import queue
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, MutableMapping, MutableSequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from ... import backend
from ...backend import Generator
from ...tensor import Tensor
from .dataset import IterableDataset, Subset, TensorDataset, _check_generator
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _array_batches

__all__ = [
    "DataLoader",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "WorkerInfo",
]

T_co = TypeVar("T_co", covariant=True)

_np_str_obj = re.compile(r"[SaUO]")  # dtype codes of string and object arrays


# ----------------------------------------------------------------------------- conversion
def default_convert(data: Any) -> Any:
    """Turn NumPy arrays and scalars into tensors, recursing into mappings, namedtuples and
    sequences (tuples become lists); anything else is returned as is. The ``collate_fn`` of a
    :class:`DataLoader` without automatic batching (``batch_size=None``).

    Example:
        >>> import numpy as np
        >>> from lightgrad.utils.data import default_convert
        >>> default_convert((np.array([0, 1]), 2, "a"))
        [tensor([0, 1]), 2, 'a']
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_",
                                                                        "string_"):
        if isinstance(data, np.ndarray) and _np_str_obj.search(data.dtype.str) is not None:
            return data
        return _array_to_tensor(np.asarray(data))
    if isinstance(data, Mapping):
        try:
            if isinstance(data, MutableMapping):
                clone = copy.copy(data)
                clone.update({k: default_convert(data[k]) for k in data})
                return clone
            return elem_type({k: default_convert(data[k]) for k in data})  # type: ignore[call-arg]
        except TypeError:
            return {k: default_convert(data[k]) for k in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str | bytes):
        try:
            if isinstance(data, MutableSequence):
                seq: Any = copy.copy(data)
                for i, d in enumerate(data):
                    seq[i] = default_convert(d)
                return seq
            return elem_type([default_convert(d) for d in data])  # type: ignore[call-arg]
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def _array_to_tensor(arr: np.ndarray) -> Tensor:
    """A tensor over a NumPy array, keeping its dtype (ints lightgrad lacks become int64)."""
    if arr.dtype in backend._SUPPORTED:
        return Tensor._make(arr)
    from ...creation import as_tensor

    return as_tensor(arr)


# ----------------------------------------------------------------------------- collation
_COLLATE_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                "lists; found {}")

CollateFnMap = dict[Any, Callable[..., Any]]


def collate(batch: Any, *, collate_fn_map: CollateFnMap | None = None) -> Any:
    """Collate a batch, looking the type of ``batch[0]`` up in ``collate_fn_map`` (exact type
    first, then ``isinstance`` in insertion order) and recursing into mappings, namedtuples and
    sequences (PyTorch's ``torch.utils.data._utils.collate.collate``).

    Each function in the map is called as ``fn(batch, collate_fn_map=collate_fn_map)``.
    """
    if len(batch) == 0:
        raise IndexError("default_collate: cannot collate an empty batch")
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for key, fn in collate_fn_map.items():
            if isinstance(elem, key):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, Mapping):
        for i, d in enumerate(batch):
            if not isinstance(d, Mapping):
                raise TypeError(f"default_collate: element 0 of the batch is a mapping but "
                                f"element {i} is a {type(d).__name__}")
        try:
            missing = next((k, i) for i, d in enumerate(batch) for k in elem if k not in d)
        except StopIteration:
            missing = None
        if missing is not None:
            raise KeyError(f"default_collate: key {missing[0]!r} of element 0 is missing from "
                           f"element {missing[1]} of the batch")
        items = {k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map) for k in elem}
        try:
            if isinstance(elem, MutableMapping):
                clone = copy.copy(elem)
                clone.update(items)
                return clone
            return elem_type(items)  # type: ignore[call-arg]
        except TypeError:
            return items
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        for i, d in enumerate(batch):
            if len(d) != size:
                raise RuntimeError(f"default_collate: each element in list of batch should be "
                                   f"of equal size: element 0 has {size} items, element {i} "
                                   f"has {len(d)}")
        transposed = list(zip(*batch))  # tuples: strings inside come back as tuples, as torch
        if isinstance(elem, tuple):
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
        try:
            if isinstance(elem, MutableSequence):
                seq: Any = copy.copy(elem)
                for i, s in enumerate(transposed):
                    seq[i] = collate(s, collate_fn_map=collate_fn_map)
                return seq
            return elem_type([collate(s, collate_fn_map=collate_fn_map)  # type: ignore[call-arg]
                              for s in transposed])
        except TypeError:
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
    raise TypeError(_COLLATE_ERR.format(elem_type))


def _equal_shapes(shapes: list[tuple[int, ...]]) -> None:
    s0 = shapes[0]
    for i, s in enumerate(shapes):
        if s != s0:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, "
                               f"but got {list(s0)} at entry 0 and {list(s)} at entry {i}")


def collate_tensor_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Tensors -> ``stack(batch)`` (differentiable: tensors that require grad keep their
    history)."""
    from ...ops.movement import stack

    for i, x in enumerate(batch):
        if not isinstance(x, Tensor):
            raise TypeError(f"default_collate: element 0 of the batch is a Tensor but element "
                            f"{i} is a {type(x).__name__}")
    _equal_shapes([tuple(x.data.shape) for x in batch])
    if not any(x._rg for x in batch):
        dtypes = {x.data.dtype for x in batch}
        devices = {backend.get_array_module(x.data) for x in batch}
        if len(dtypes) == 1 and len(devices) == 1:  # no graph to record: one array stack
            xp = devices.pop()
            return Tensor._make(xp.stack([x.data for x in batch]))
    return stack(batch, 0)


def collate_numpy_array_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> Any:
    """NumPy arrays -> one stacked tensor of their dtype; string and object arrays raise."""
    elem = batch[0]
    if _np_str_obj.search(elem.dtype.str) is not None:
        raise TypeError(_COLLATE_ERR.format(elem.dtype))
    if all(type(b) is np.ndarray and b.dtype == elem.dtype for b in batch):
        _equal_shapes([b.shape for b in batch])
        return _array_to_tensor(np.stack(batch))
    from ...creation import as_tensor

    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """NumPy scalars -> a 1-d tensor of their (NumPy-promoted) dtype."""
    arr = np.asarray(batch)
    if _np_str_obj.search(arr.dtype.str) is not None:
        raise TypeError(_COLLATE_ERR.format(arr.dtype))
    return _array_to_tensor(arr)


def collate_float_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Python floats -> a float64 tensor (as PyTorch: not the default dtype)."""
    from ...creation import tensor

    return tensor(batch, dtype=backend.float64)


def collate_int_fn(batch: list, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Python ints -> an int64 tensor (bools -> bool; ints mixed with floats -> the default
    float dtype, as ``lightgrad.tensor(batch)``)."""
    from ...creation import tensor

    return tensor(batch)


def collate_str_fn(batch: Any, *, collate_fn_map: CollateFnMap | None = None) -> Any:
    """Strings and bytes are left as they are (the batch itself)."""
    return batch


default_collate_fn_map: CollateFnMap = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: Any) -> Any:
    """Merge a list of samples into a batch with a new leading dimension
    (``torch.utils.data.default_collate``).

    * tensors and NumPy arrays -> one stacked tensor (the array's dtype);
    * Python floats -> a float64 tensor; ints -> int64; bools -> bool; NumPy scalars -> their
      dtype;
    * strings and bytes -> left as they are (the batch's list of them; inside tuple samples,
      a tuple, as in PyTorch);
    * mappings -> the same mapping of collated values; namedtuples -> the same namedtuple of
      collated fields; tuples -> a *list* of collated fields; lists -> a list of collated
      fields (samples of unequal length raise).

    Extend it by adding ``{type: fn}`` to ``default_collate_fn_map``.

    Example:
        >>> from lightgrad.utils.data import default_collate
        >>> default_collate([(0, 1.5, "a"), (2, 3.0, "b")])
        [tensor([0, 2]), tensor([1.5000, 3.0000], dtype=lightgrad.float64), ('a', 'b')]
        >>> default_collate(["a", "b"])
        ['a', 'b']
        >>> default_collate([{"x": 1}, {"x": 2}])
        {'x': tensor([1, 2])}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


# ----------------------------------------------------------------------------- workers
@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a DataLoader worker thread.

    Attributes:
        id: the worker's id, in ``[0, num_workers)``.
        num_workers: how many workers the loader runs.
        seed: a per-worker seed (``base_seed + id``), derived from the loader's generator's
            initial seed and the epoch without drawing from it; for seeding a worker's own
            ``lightgrad.Generator``. Threads share lightgrad's default generator, so it is not
            re-seeded per worker as PyTorch re-seeds each worker process.
        dataset: the dataset the worker reads (the loader's map-style dataset itself; for an
            ``IterableDataset``, this worker's shallow copy of it).
        worker_method: always ``"thread"``.
    """

    id: int
    num_workers: int
    seed: int
    dataset: Any
    worker_method: str = "thread"


_worker_local = threading.local()


def get_worker_info() -> WorkerInfo | None:
    """The :class:`WorkerInfo` of the DataLoader worker thread calling it, ``None`` elsewhere
    (the main thread, or any thread that is not a worker).

    Example:
        >>> from lightgrad.utils.data import get_worker_info
        >>> get_worker_info() is None
        True
    """
    return getattr(_worker_local, "info", None)


class _DatasetKind:
    Map = 0
    Iterable = 1


class _InfiniteConstantSampler(Sampler):
    """``None`` forever: the sampler of an ``IterableDataset`` (the dataset decides the end)."""

    def __iter__(self) -> Any:
        while True:
            yield None


def _tensor_gather_plan(dataset: Any) -> tuple[tuple[Tensor, ...], np.ndarray | None] | None:
    """(tensors, index map or None) when ``dataset`` is a TensorDataset, or Subsets of one, that
    uses the stock ``__getitem__``; ``None`` when the fast path does not apply."""
    maps = []
    ds = dataset
    while isinstance(ds, Subset):
        cls = type(ds)
        if cls.__getitem__ is not Subset.__getitem__ or cls.__getitems__ is not Subset.__getitems__:
            return None
        idx = ds.indices
        try:
            arr = np.asarray(idx.data if isinstance(idx, Tensor) else idx)
        except (TypeError, ValueError):
            return None
        if arr.ndim != 1 or (arr.dtype.kind not in "iu" and arr.size):
            return None
        maps.append(arr.astype(np.intp, copy=False))
        ds = ds.dataset
    if not isinstance(ds, TensorDataset) or type(ds).__getitem__ is not TensorDataset.__getitem__:
        return None
    if hasattr(ds, "__getitems__"):
        return None
    if not maps:
        return ds.tensors, None
    n = len(ds)
    comp = maps[-1]
    for m in reversed(maps[:-1]):  # outer subset indices select from the inner ones
        try:
            comp = comp[m]
        except IndexError:
            return None  # a bad subset index: the per-item path reports it when it is used
    if comp.size and (comp.min() < -n or comp.max() >= n):
        return None
    return ds.tensors, comp


def _fast_plan(kind: int, dataset: Any, auto_collation: bool, collate_fn: Callable) -> Any:
    if kind != _DatasetKind.Map or not auto_collation or collate_fn is not default_collate:
        return None
    return _tensor_gather_plan(dataset)


class _MapFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool, plan: Any = None) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.plan = plan

    def fetch(self, index: Any) -> Any:
        if self.plan is not None:
            out = self._gather(index)
            if out is not None:
                return out
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if getitems else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)

    def _gather(self, index: Any) -> list[Tensor] | None:
        assert self.plan is not None
        tensors, imap = self.plan
        idx = np.asarray(index)
        if idx.ndim != 1 or idx.dtype.kind not in "iu" or idx.size == 0:
            return None  # not a list of ints: the generic path gives the right result or error
        if imap is not None:
            try:
                idx = imap[idx]
            except IndexError:
                raise IndexError(f"DataLoader: sampler index out of range for a Subset of "
                                 f"{len(imap)} samples (batch indices {index})") from None
        out = []
        for t in tensors:
            xp = backend.get_array_module(t.data)
            try:
                rows = t.data[idx if xp is np else xp.asarray(idx)]
            except IndexError:
                raise IndexError(f"DataLoader: sampler index out of range for a TensorDataset "
                                 f"of {t.data.shape[0]} samples (batch indices "
                                 f"{np.asarray(index).tolist()})") from None
            if t._rg:  # keep the graph, as stacking t[i] would
                rows = t[Tensor._make(idx)]  # type: ignore[index]
            else:
                rows = Tensor._make(rows)
            out.append(rows)
        return out


class _IterableFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def _make_fetcher(kind: int, dataset: Any, auto_collation: bool, collate_fn: Callable,
                  drop_last: bool, plan: Any = None) -> Any:
    if kind == _DatasetKind.Map:
        return _MapFetcher(dataset, auto_collation, collate_fn, drop_last, plan)
    return _IterableFetcher(dataset, auto_collation, collate_fn, drop_last)


# ----------------------------------------------------------------------------- the loader
class DataLoader(Generic[T_co]):
    """Batches of a dataset: a sampler picks indices, ``collate_fn`` merges the samples
    (``torch.utils.data.DataLoader``, same arguments, defaults and argument errors).

    Args:
        dataset: a map-style :class:`Dataset` (anything with ``__getitem__`` and ``__len__``) or
            an :class:`IterableDataset`.
        batch_size: samples per batch (default 1); ``None`` disables automatic batching (each
            sample is passed through ``default_convert``).
        shuffle: reshuffle at every epoch (a :class:`RandomSampler` using ``generator``).
        sampler: the order of indices; mutually exclusive with ``shuffle``.
        batch_sampler: yields lists of indices; mutually exclusive with ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers: worker **threads** loading batches ahead (0: load in the calling thread).
        collate_fn: merges a list of samples (default :func:`default_collate`).
        pin_memory: accepted for compatibility; a no-op (lightgrad does not pin host memory).
        drop_last: drop the last incomplete batch.
        timeout: seconds to wait for a batch from the workers (0: forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker thread first.
        multiprocessing_context: accepted for compatibility (needs ``num_workers > 0``);
            ignored, workers are threads.
        generator: the :class:`lightgrad.Generator` shuffling draws from (lightgrad's default
            generator when ``None``: ``lightgrad.manual_seed`` reproduces the order).
        prefetch_factor: batches loaded ahead per worker (default 2 when ``num_workers > 0``).
        persistent_workers: keep the worker threads (and each worker's copy of an
            ``IterableDataset``) alive between epochs.
        in_order: yield batches in sampler order (default); ``False`` yields them as they are
            ready.

    ``len(loader)`` is the number of batches (for an ``IterableDataset``, estimated from
    ``len(dataset)``).

    Example:
        >>> import lightgrad
        >>> from lightgrad.utils.data import DataLoader, TensorDataset
        >>> x, y = lightgrad.randn(10, 3), lightgrad.arange(10)
        >>> loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True)
        >>> len(loader), [tuple(xb.shape) for xb, yb in loader]
        (3, [(4, 3), (4, 3), (2, 3)])
    """

    dataset: Any
    batch_size: int | None
    num_workers: int
    pin_memory: bool
    drop_last: bool
    timeout: float
    sampler: Sampler | Iterable
    prefetch_factor: int | None
    _iterator: _BaseIter | None
    __initialized = False

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler[list] | Iterable[list] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if not isinstance(num_workers, int) or isinstance(num_workers, bool):
            raise TypeError(f"DataLoader: num_workers must be an int, got {num_workers!r}")
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             f"disable worker threads (got num_workers={num_workers})")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative (got timeout={timeout})")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified with worker "
                             "threads: let num_workers > 0, otherwise set prefetch_factor to "
                             f"None (got prefetch_factor={prefetch_factor})")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError(f"prefetch_factor option should be non-negative (got "
                             f"prefetch_factor={prefetch_factor})")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with worker loading "
                             f"(num_workers > 0), but got num_workers={num_workers}")
        _check_generator(generator, "DataLoader")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._epochs = 0
        self.__initialized = True
        self._IterableDataset_len_called: int | None = None
        self._iterator = None

    def __setattr__(self, attr: str, val: Any) -> None:
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler",
                                           "drop_last", "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self) -> _BaseIter:
        if self.num_workers == 0:
            return _SingleThreadIter(self)
        return _WorkerThreadIter(self)

    def __iter__(self) -> _BaseIter:
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        if self._dataset_kind == _DatasetKind.Iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)


class _BaseIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._plan = _fast_plan(self._dataset_kind, self._dataset, self._auto_collation,
                                self._collate_fn)
        self._sampler_iter: Any = self._index_iter()
        self._num_yielded = 0
        if loader.pin_memory and not backend.cuda_is_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=3)

    def __iter__(self) -> _BaseIter:
        return self

    def _index_iter(self) -> Any:
        if self._plan is not None:  # the fast path takes index arrays: skip the Python ints
            batches = _array_batches(self._index_sampler)
            if batches is not None:
                return batches
        return iter(self._index_sampler)

    def _reset(self, loader: DataLoader) -> None:
        self._sampler_iter = self._index_iter()
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_data(self) -> Any:
        raise NotImplementedError

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        if (self._dataset_kind == _DatasetKind.Iterable
                and self._IterableDataset_len_called is not None
                and self._num_yielded > self._IterableDataset_len_called):
            msg = (f"Length of IterableDataset {self._dataset} was reported to be "
                   f"{self._IterableDataset_len_called} (when accessing len(dataloader)), but "
                   f"{self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                msg += ("With worker threads, this could be caused by not splitting the "
                        "IterableDataset's stream between the workers (see get_worker_info).")
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)


class _SingleThreadIter(_BaseIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._fetcher = _make_fetcher(self._dataset_kind, self._dataset, self._auto_collation,
                                      self._collate_fn, self._drop_last, self._plan)

    def _next_data(self) -> Any:
        index = next(self._sampler_iter)  # may raise StopIteration
        return self._fetcher.fetch(index)  # may raise StopIteration


class _WorkerError:
    """An exception raised in a worker, re-raised in the loop that reads the batch."""

    def __init__(self, exc: BaseException, worker_id: int, where: str) -> None:
        self.exc = exc
        self.worker_id = worker_id
        self.where = where

    def reraise(self) -> None:
        note = f"(raised in DataLoader worker thread {self.worker_id}, {self.where})"
        if hasattr(self.exc, "add_note"):  # Python >= 3.11
            self.exc.add_note(note)
        raise self.exc


class _WorkerDone:
    """A worker's IterableDataset copy is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class _Resume:
    """Start a new epoch (persistent workers): re-create the dataset iterator."""

    def __init__(self, epoch: int, seed: int) -> None:
        self.epoch = epoch
        self.seed = seed


def _worker_loop(kind: int, dataset: Any, index_queue: queue.Queue, data_queue: queue.Queue,
                 auto_collation: bool, collate_fn: Callable, drop_last: bool, base_seed: int,
                 init_fn: Callable[[int], None] | None, worker_id: int,
                 num_workers: int, plan: Any) -> None:
    def set_info(seed: int) -> None:
        _worker_local.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                        dataset=dataset)

    set_info(base_seed + worker_id)
    fetcher = None
    init_error: _WorkerError | None = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = _make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last, plan)
    except Exception as e:  # reported with the first batch this worker owes
        init_error = _WorkerError(e, worker_id, "in worker_init_fn or while starting the "
                                  "dataset iterator")
    while True:
        task = index_queue.get()
        if task is None:
            break
        if isinstance(task, _Resume):
            set_info(task.seed + worker_id)
            if init_error is None and kind == _DatasetKind.Iterable:
                try:
                    fetcher = _make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
                except Exception as e:
                    init_error = _WorkerError(e, worker_id, "while starting the dataset iterator")
            continue
        task_epoch, send_idx, index = task
        data: Any
        if init_error is not None:
            data = init_error
        else:
            try:
                data = fetcher.fetch(index)  # type: ignore[union-attr]
            except StopIteration:
                data = _WorkerDone(worker_id)
            except Exception as e:
                data = _WorkerError(e, worker_id, f"fetching batch {send_idx}")
        data_queue.put((task_epoch, send_idx, data))
        del data, task, index
    _worker_local.info = None


class _WorkerThreadIter(_BaseIter):
    """Batches fetched and collated by ``num_workers`` threads, each with its own index queue
    (indices are dealt round-robin, as PyTorch deals them to worker processes) and one shared
    result queue; results are put back in sampler order (unless ``in_order=False``)."""

    _shut = True  # until the workers start, there is nothing to shut down

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        assert loader.prefetch_factor is not None
        self._prefetch = max(1, loader.prefetch_factor) * self._num_workers
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        self._epoch = 0
        self._data_queue: queue.Queue = queue.Queue()
        self._index_queues: list[queue.Queue] = []
        self._workers: list[threading.Thread] = []
        base_seed = self._base_seed(loader)
        iterable = self._dataset_kind == _DatasetKind.Iterable
        for w in range(self._num_workers):
            ds = copy.copy(self._dataset) if iterable else self._dataset
            q: queue.Queue = queue.Queue()
            t = threading.Thread(
                target=_worker_loop, name=f"DataLoader-worker-{w}", daemon=True,
                args=(self._dataset_kind, ds, q, self._data_queue, self._auto_collation,
                      self._collate_fn, self._drop_last, base_seed, loader.worker_init_fn, w,
                      self._num_workers, self._plan))
            t.start()
            self._index_queues.append(q)
            self._workers.append(t)
        self._shut = False
        self._start_epoch()

    @staticmethod
    def _base_seed(loader: DataLoader) -> int:
        # derived, not drawn: drawing would shift the shuffling stream, so a loader with workers
        # would shuffle differently from the same loader with num_workers=0
        gen = loader.generator if loader.generator is not None else backend.default_generator
        loader._epochs += 1
        return (gen.initial_seed() + 1_000_003 * loader._epochs) % (2**63)

    def _start_epoch(self) -> None:
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._outstanding = 0
        self._active = [True] * self._num_workers
        self._cycle = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch):
            self._try_put_index()

    def _reset(self, loader: DataLoader) -> None:
        super()._reset(loader)
        for q in self._index_queues:  # unstarted tasks of the previous epoch: drop them
            _drain(q)
        self._epoch += 1
        seed = self._base_seed(loader)
        for q in self._index_queues:
            q.put(_Resume(self._epoch, seed))
        self._start_epoch()

    def _try_put_index(self) -> None:
        if self._outstanding >= self._prefetch:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            w = next(self._cycle)
            if self._active[w]:
                break
        else:
            return  # every worker's stream has ended
        self._index_queues[w].put((self._epoch, self._send_idx, index))
        self._task_info[self._send_idx] = (w,)
        self._outstanding += 1
        self._send_idx += 1

    def _get(self) -> tuple:
        if self._timeout > 0:
            try:
                return self._data_queue.get(timeout=self._timeout)
            except queue.Empty:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds "
                                   "waiting for a batch from its worker threads") from None
        while True:
            try:
                return self._data_queue.get(timeout=5.0)
            except queue.Empty:
                dead = [t.name for t in self._workers if not t.is_alive()]
                if dead:
                    raise RuntimeError(f"DataLoader worker thread(s) {dead} exited "
                                       "unexpectedly") from None

    def _next_data(self) -> Any:
        if self._shut:
            raise StopIteration
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None:
                    if len(info) == 2 or self._active[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]  # its worker's stream ended first
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            epoch, idx, data = self._get()
            if epoch != self._epoch:
                continue  # a batch of an abandoned epoch (persistent workers)
            self._outstanding -= 1
            if isinstance(data, _WorkerDone):
                self._active[data.worker_id] = False
                self._task_info.pop(idx, None)
                self._try_put_index()
                continue
            if idx not in self._task_info:
                continue
            if idx == self._rcvd_idx or not self._in_order:
                del self._task_info[idx]
                if idx == self._rcvd_idx:
                    self._rcvd_idx += 1
                return self._process(data)
            self._task_info[idx] += (data,)

    def _process(self, data: Any) -> Any:
        self._try_put_index()
        if isinstance(data, _WorkerError):
            data.reraise()
        return data

    def _shutdown(self, join: bool = True) -> None:
        if self._shut:
            return
        self._shut = True
        for q in self._index_queues:
            _drain(q)  # unstarted tasks: not needed any more
            q.put(None)
        if join:
            for t in self._workers:
                t.join(timeout=5.0)

    def __del__(self) -> None:
        try:  # no join: a worker may be in the middle of a slow fetch; it exits right after
            self._shutdown(join=False)
        except Exception:  # interpreter shutdown: the daemon threads die with it
            pass


def _drain(q: queue.Queue) -> None:
    try:
        while True:
            q.get_nowait()
    except queue.Empty:
        pass
