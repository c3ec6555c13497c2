"""``lightgrad.utils.data`` against ``torch.utils.data``: datasets, random_split, every sampler,
default_collate/default_convert on nested structures, DataLoader batching, seeded shuffling,
iterable datasets, worker threads, the TensorDataset fast path, and argument errors."""

from __future__ import annotations

import collections
import threading
import time
import warnings

import numpy as np
import pytest

import lightgrad as lg
from lightgrad.utils import data as lgdata
from lightgrad.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)
from lightgrad.utils.data.sampler import _array_batches

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

LIBS = {"lightgrad": lg, "torch": torch}


# ----------------------------------------------------------------------------- helpers
def assert_same(x, t, path="batch"):
    """``x`` (lightgrad) and ``t`` (torch) have the same structure, types, shapes, dtypes and
    values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(x, lg.Tensor), f"{path}: {type(x).__name__} is not a Tensor"
        assert tuple(x.shape) == tuple(t.shape), f"{path}: shape {x.shape} vs {t.shape}"
        assert str(x.dtype) == str(t.dtype).replace("torch.", ""), \
            f"{path}: dtype {x.dtype} vs {t.dtype}"
        np.testing.assert_array_equal(x.detach().numpy(), t.detach().numpy(), err_msg=path)
    elif isinstance(t, dict):
        assert type(x) is type(t), f"{path}: {type(x).__name__} vs {type(t).__name__}"
        assert list(x) == list(t), f"{path}: keys {list(x)} vs {list(t)}"
        for k in t:
            assert_same(x[k], t[k], f"{path}[{k!r}]")
    elif isinstance(t, tuple) and hasattr(t, "_fields"):
        assert type(x).__name__ == type(t).__name__ and x._fields == t._fields, path
        for k in t._fields:
            assert_same(getattr(x, k), getattr(t, k), f"{path}.{k}")
    elif isinstance(t, list | tuple):
        assert type(x) is type(t), f"{path}: {type(x).__name__} vs {type(t).__name__}"
        assert len(x) == len(t), f"{path}: length {len(x)} vs {len(t)}"
        for i, (a, b) in enumerate(zip(x, t)):
            assert_same(a, b, f"{path}[{i}]")
    else:
        assert type(x) is type(t) and x == t, f"{path}: {x!r} vs {t!r}"


def to_torch(obj):
    """The same structure with lightgrad tensors replaced by torch tensors."""
    if isinstance(obj, lg.Tensor):
        return torch.from_numpy(obj.numpy().copy())
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(to_torch(v) for v in obj))
    if isinstance(obj, list | tuple):
        return type(obj)(to_torch(v) for v in obj)
    return obj


def both_raise(make, exc, match=None, torch_exc=None):
    """``make(lib.utils.data)`` raises in both libraries; lightgrad's message matches."""
    with pytest.raises(torch_exc or exc):
        make(torch.utils.data)
    with pytest.raises(exc, match=match):
        make(lgdata)


def arrays(rng, n=23):
    return rng.standard_normal((n, 4)).astype(np.float32), rng.integers(0, 5, n)


def flat_labels(loader):
    return np.concatenate([yb.numpy() for _, yb in loader]).tolist()


class ListDataset(Dataset):
    """A map-style dataset of arbitrary samples (defeats the TensorDataset fast path)."""

    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class Rows(Dataset):
    """Rows of two arrays as (x, y) tensor pairs, item by item."""

    def __init__(self, x, y):
        self.x, self.y = lg.from_numpy(x), lg.from_numpy(y)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


# ----------------------------------------------------------------------------- datasets
def test_tensor_dataset_arrays_and_tensors(rng):
    x, y = arrays(rng)
    ds = TensorDataset(x, lg.tensor(y))
    assert len(ds) == 23 and isinstance(ds.tensors, tuple)
    a, b = ds[5]
    assert isinstance(a, lg.Tensor) and a.dtype == lg.float32 and tuple(a.shape) == (4,)
    np.testing.assert_array_equal(a.numpy(), x[5])
    assert b.item() == y[5]
    x[5, 0] = 123.0  # NumPy arrays are wrapped, not copied
    assert ds[5][0][0].item() == 123.0
    assert TensorDataset(x.astype(np.float64)).tensors[0].dtype == lg.float64


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match=r"sizes \[3, 4\].*\(3, 2\).*\(4,\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    both_raise(lambda d: d.TensorDataset(torch.zeros(3, 2) if d is torch.utils.data
                                         else lg.zeros(3, 2), lg.zeros(4)
                                         if d is lgdata else torch.zeros(4)),
               AssertionError)  # the class PyTorch raises; ours is also a ValueError
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(lg.tensor(1.0))
    with pytest.raises(TypeError, match="TensorDataset: argument 0"):
        TensorDataset(object())


def test_concat_dataset_matches_torch():
    parts = [list(range(3)), list(range(10, 12)), [], list(range(20, 24))]
    ours = ConcatDataset(parts)
    ref = torch.utils.data.ConcatDataset(parts)
    assert len(ours) == len(ref) == 9 and ours.cumulative_sizes == ref.cumulative_sizes
    for i in range(-9, 9):
        assert ours[i] == ref[i]
    added = ListDataset([1, 2]) + ListDataset([3])
    assert isinstance(added, ConcatDataset) and [added[i] for i in range(3)] == [1, 2, 3]
    with pytest.raises(IndexError, match="index 9 is out of range for length 9"):
        ours[9]
    with pytest.raises(ValueError, match="should not exceed"):
        ours[-10]
    with pytest.raises(TypeError, match="integer"):
        ours[1.0]
    both_raise(lambda d: d.ConcatDataset([]), AssertionError, match="empty")


def test_concat_dataset_rejects_iterable():
    class It(IterableDataset):
        def __iter__(self):
            return iter([1])

    with pytest.raises(ValueError, match="IterableDataset"):
        ConcatDataset([[1], It()])


def test_subset_and_nested_subset():
    base = ListDataset(list("abcdefgh"))
    s = Subset(Subset(base, [7, 6, 5, 4]), [3, 1])
    assert len(s) == 2 and [s[0], s[1]] == ["e", "g"]
    assert s.__getitems__([1, 0]) == ["g", "e"]

    class Bad(Subset):
        def __getitem__(self, i):
            return 0

    both_raise(lambda d: type("Bad", (d.Subset,), {"__getitem__": lambda self, i: 0})([1], [0]),
               NotImplementedError, match="__getitems__")
    with pytest.raises(NotImplementedError):
        Bad(base, [0])


def test_stack_dataset():
    a, b = ListDataset([1, 2, 3]), [10, 20, 30]
    assert StackDataset(a, b)[1] == (2, 20)
    assert StackDataset(x=a, y=b)[2] == {"x": 3, "y": 30}
    assert StackDataset(x=a, y=b).__getitems__([0, 2]) == [{"x": 1, "y": 10},
                                                           {"x": 3, "y": 30}]
    assert StackDataset(a, Subset(a, [2, 1, 0])).__getitems__([0]) == [(1, 3)]
    assert len(StackDataset(a, b)) == 3
    with pytest.raises(ValueError, match="size mismatch.*0: 3, 1: 2"):
        StackDataset(a, [1, 2])
    with pytest.raises(ValueError, match="both"):
        StackDataset(a, y=b)
    with pytest.raises(ValueError, match="at least one"):
        StackDataset()


def test_iterable_dataset_chain():
    class It(IterableDataset):
        def __init__(self, items):
            self.items = items

        def __iter__(self):
            return iter(self.items)

        def __len__(self):
            return len(self.items)

    chained = It([1, 2]) + It([3])
    assert isinstance(chained, lgdata.ChainDataset)
    assert list(chained) == [1, 2, 3] and len(chained) == 3
    with pytest.raises(ValueError, match="only supports IterableDataset"):
        list(lgdata.ChainDataset([It([1]), [2]]))


# ----------------------------------------------------------------------------- random_split
@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (10, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]), (7, [0.1, 0.2, 0.7]),
    (100, [0.333, 0.333, 0.334]), (5, [1.0]), (0, [0, 0]), (13, [0.25] * 4),
])
def test_random_split_sizes_match_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-length splits warn in both
        ours = random_split(range(n), lengths, generator=lg.Generator().manual_seed(1))
        ref = torch.utils.data.random_split(range(n), lengths,
                                            generator=torch.Generator().manual_seed(1))
    assert [len(s) for s in ours] == [len(s) for s in ref]
    everything = [i for s in ours for i in s]
    assert sorted(everything) == list(range(n))  # disjoint and covering
    assert all(isinstance(s, Subset) for s in ours)


def test_random_split_seeding():
    a = random_split(range(20), [5, 15], generator=lg.Generator().manual_seed(3))
    b = random_split(range(20), [5, 15], generator=lg.Generator().manual_seed(3))
    assert [s.indices for s in a] == [s.indices for s in b]
    lg.manual_seed(8)
    perm = lg.randperm(20).tolist()
    lg.manual_seed(8)
    c = random_split(range(20), [0.25, 0.75])
    assert c[0].indices + c[1].indices == perm


def test_random_split_errors():
    both_raise(lambda d: d.random_split(range(10), [3, 8]), ValueError,
               match=r"sum of input lengths.*\[3, 8\].*11.*10")
    both_raise(lambda d: d.random_split(range(10), [1.5, -0.5]), ValueError,
               match="fraction at index 0 is not between 0 and 1")
    with pytest.raises(ValueError, match="non-negative"):
        random_split(range(3), [-1, 4])
    with pytest.raises(TypeError, match="lightgrad.Generator"):
        random_split(range(3), [1, 2], generator=torch.Generator())
    with pytest.warns(UserWarning, match="index 1 is 0"):
        random_split(range(2), [1.0, 0.0])


# ----------------------------------------------------------------------------- samplers
def test_sequential_sampler():
    assert list(SequentialSampler(range(5))) == list(torch.utils.data.SequentialSampler(range(5)))
    assert len(SequentialSampler("abc")) == 3


def test_random_sampler_is_a_seeded_permutation():
    lg.manual_seed(11)
    perm = lg.randperm(50).tolist()
    lg.manual_seed(11)
    s = RandomSampler(range(50))
    assert len(s) == 50 and list(s) == perm
    second = list(s)  # a new permutation each pass, from the same stream
    lg.manual_seed(11)
    lg.randperm(50)
    assert second == lg.randperm(50).tolist() and second != perm
    g1, g2 = lg.Generator().manual_seed(4), lg.Generator().manual_seed(4)
    assert list(RandomSampler(range(50), generator=g1)) == \
        list(RandomSampler(range(50), generator=g2))


def test_random_sampler_num_samples_and_replacement():
    s = RandomSampler(range(7), num_samples=17, generator=lg.Generator().manual_seed(0))
    out = list(s)
    assert len(s) == 17 and len(out) == 17
    assert sorted(out[:7]) == list(range(7)) and sorted(out[7:14]) == list(range(7))
    assert len(set(out[14:])) == 3
    r = RandomSampler(range(5), replacement=True, num_samples=10_000,
                      generator=lg.Generator().manual_seed(0))
    draws = np.array(list(r))
    assert draws.shape == (10_000,) and draws.min() == 0 and draws.max() == 4
    assert np.abs(np.bincount(draws) / 10_000 - 0.2).max() < 0.03
    again = list(RandomSampler(range(5), replacement=True, num_samples=10_000,
                               generator=lg.Generator().manual_seed(0)))
    assert again == draws.tolist()


@pytest.mark.parametrize("make, exc, match", [
    (lambda d: d.RandomSampler(range(3), replacement=1), TypeError, "replacement"),
    (lambda d: d.RandomSampler(range(3), num_samples=0), ValueError, "num_samples=0"),
    (lambda d: d.RandomSampler([]), ValueError, "num_samples=0"),
    (lambda d: d.RandomSampler(range(3), num_samples=2.0), ValueError, "num_samples=2.0"),
    (lambda d: d.WeightedRandomSampler([1.0, 2.0], 0), ValueError, "num_samples=0"),
    (lambda d: d.WeightedRandomSampler([1.0, 2.0], 2, replacement=0), ValueError,
     "replacement"),
    (lambda d: d.WeightedRandomSampler([[1.0, 2.0]], 2), ValueError, r"shape \(1, 2\)"),
    (lambda d: list(d.WeightedRandomSampler([1.0, -1.0], 2)), RuntimeError, "non-negative"),
    (lambda d: list(d.WeightedRandomSampler([0.0, 0.0], 2)), RuntimeError, "sum of weights"),
    (lambda d: list(d.WeightedRandomSampler([1.0, 0.0, 1.0], 4, replacement=False)),
     RuntimeError, "num_samples=4 > 3"),
    (lambda d: d.BatchSampler(range(3), 0, False), ValueError, "batch_size=0"),
    (lambda d: d.BatchSampler(range(3), True, False), ValueError, "batch_size=True"),
    (lambda d: d.BatchSampler(range(3), 2, 1), ValueError, "drop_last=1"),
])
def test_sampler_errors(make, exc, match):
    both_raise(make, exc, match=match)


def test_sampler_generator_type():
    with pytest.raises(TypeError, match="RandomSampler: generator must be a lightgrad.Generator"):
        RandomSampler(range(3), generator=torch.Generator())


def test_subset_random_sampler():
    idx = [10, 3, 7, 22, 5]
    s = SubsetRandomSampler(idx, generator=lg.Generator().manual_seed(2))
    out = list(s)
    assert len(s) == 5 and sorted(out) == sorted(idx)
    perm = lg.randperm(5, generator=lg.Generator().manual_seed(2)).tolist()
    assert out == [idx[i] for i in perm]


def test_weighted_random_sampler_frequencies():
    w = [0.1, 0.0, 0.4, 0.5]
    s = WeightedRandomSampler(w, 20_000, generator=lg.Generator().manual_seed(5))
    draws = np.array(list(s))
    assert len(s) == 20_000 and draws.shape == (20_000,)
    freq = np.bincount(draws, minlength=4) / 20_000
    np.testing.assert_allclose(freq, w, atol=0.02)
    assert freq[1] == 0
    assert s.weights.dtype == lg.float64 and tuple(s.weights.shape) == (4,)
    no_rep = list(WeightedRandomSampler(lg.tensor([1.0, 1.0, 5.0, 0.0]), 3, replacement=False))
    assert sorted(no_rep) == [0, 1, 2]
    # as torch: zero weights are drawn only once the positive ones are used up
    for _ in range(20):
        assert list(WeightedRandomSampler([1.0, 0.0, 2.0, 0.0], 4, replacement=False))[2:] in \
            ([1, 3], [3, 1])
    # without replacement each draw is proportional to the remaining weight: index 2 comes
    # first with probability 5/7
    firsts = [next(iter(WeightedRandomSampler([1.0, 1.0, 5.0], 3, replacement=False)))
              for _ in range(2000)]
    assert abs(np.mean(np.array(firsts) == 2) - 5 / 7) < 0.04


@pytest.mark.parametrize("n, bs, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                              (2, 5, False), (2, 5, True), (0, 2, False)])
def test_batch_sampler_matches_torch(n, bs, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), bs, drop_last)
    ref = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), bs,
                                        drop_last)
    assert list(ours) == list(ref) and len(ours) == len(ref)
    assert list(BatchSampler(list(range(n)), bs, drop_last)) == list(ref)


@pytest.mark.parametrize("make", [
    lambda g: SequentialSampler(range(23)),
    lambda g: RandomSampler(range(23), generator=g),
    lambda g: RandomSampler(range(5), num_samples=23, generator=g),
    lambda g: RandomSampler(range(5), replacement=True, num_samples=9000, generator=g),
])
@pytest.mark.parametrize("bs, drop_last", [(4, False), (4, True), (23, False), (50, True)])
def test_array_batches_equal_list_batches(make, bs, drop_last):
    """The fast path's index arrays are exactly the BatchSampler's lists."""
    lists = list(BatchSampler(make(lg.Generator().manual_seed(9)), bs, drop_last))
    arrs = _array_batches(BatchSampler(make(lg.Generator().manual_seed(9)), bs, drop_last))
    assert arrs is not None
    assert [a.tolist() for a in arrs] == lists


def test_array_batches_skip_custom_samplers():
    class Rev(SequentialSampler):
        def __iter__(self):
            return reversed(range(len(self.data_source)))

    assert _array_batches(BatchSampler(Rev(range(4)), 2, False)) is None
    assert _array_batches(BatchSampler([0, 1], 2, False)) is None
    assert _array_batches([[0, 1]]) is None


# ----------------------------------------------------------------------------- collation
Point = collections.namedtuple("Point", ["x", "y"])


def collate_samples(rng):
    """(name, batch) rows: the batch is built with lightgrad tensors where tensors appear."""
    def f32(*s):
        return rng.standard_normal(s).astype(np.float32)

    return [
        ("float32_arrays", [f32(3, 2) for _ in range(4)]),
        ("float64_arrays", [rng.standard_normal(3) for _ in range(2)]),
        ("int32_arrays", [rng.integers(0, 9, 5).astype(np.int32) for _ in range(3)]),
        ("int64_0d_arrays", [np.array(i) for i in range(3)]),
        ("bool_arrays", [rng.random(4) > 0.5 for _ in range(3)]),
        ("uint8_arrays", [rng.integers(0, 255, (2, 2)).astype(np.uint8) for _ in range(2)]),
        ("python_floats", [1.5, -2.0, 3.25]),
        ("python_ints", [1, -2, 3]),
        ("python_bools", [True, False]),
        ("int_then_float", [1, 2.5]),
        ("numpy_float32_scalars", [np.float32(1.5), np.float32(2.0)]),
        ("numpy_float64_scalars", [np.float64(1.5), np.float64(2.0)]),
        ("numpy_int32_scalars", [np.int32(1), np.int32(7)]),
        ("numpy_bool_scalars", [np.bool_(True), np.bool_(False)]),
        ("strings", ["a", "bc", "d"]),
        ("bytes", [b"a", b"b"]),
        ("tensors", [lg.tensor(f32(2, 3)) for _ in range(3)]),
        ("int_tensors", [lg.arange(4) for _ in range(2)]),
        ("0d_tensors", [lg.tensor(float(i)) for i in range(5)]),
        ("tuples", [(f32(2), i, "s") for i in range(3)]),
        ("lists", [[f32(2), float(i)] for i in range(3)]),
        ("dicts", [{"img": f32(2, 2), "label": i, "name": f"n{i}"} for i in range(3)]),
        ("nested", [{"a": (lg.tensor(f32(3)), {"b": [i, 2.0 * i]}), "c": Point(i, f32(1))}
                    for i in range(4)]),
        ("namedtuples", [Point(f32(2), i) for i in range(3)]),
        ("list_of_tuples_of_dicts", [[({"k": i},), ({"k": -i},)] for i in range(2)]),
    ]


@pytest.mark.parametrize("idx", range(25))
def test_default_collate_matches_torch(idx, rng):
    rows = collate_samples(rng)
    assert len(rows) == 25
    name, batch = rows[idx]
    ours = default_collate(batch)
    ref = torch.utils.data.default_collate(to_torch(batch))
    assert_same(ours, ref, name)


@pytest.mark.parametrize("idx", range(25))
def test_default_convert_matches_torch(idx, rng):
    name, batch = collate_samples(rng)[idx]
    sample = batch[0]
    assert_same(default_convert(sample), torch.utils.data.default_convert(to_torch(sample)),
                name)
    # a string array is left alone by both
    strs = np.array(["a", "b"])
    assert default_convert(strs) is strs


def test_default_collate_keeps_graph():
    xs = [lg.randn(3, requires_grad=True) for _ in range(2)]
    out = default_collate(xs)
    assert out.requires_grad
    (out * lg.tensor([[1.0], [2.0]])).sum().backward()
    np.testing.assert_array_equal(xs[1].grad.numpy(), np.full(3, 2.0, np.float32))


@pytest.mark.parametrize("batch, exc, match", [
    ([[1, 2], [3]], RuntimeError, "equal size.*element 1 has 1"),
    ([np.zeros(3), np.zeros(4)], RuntimeError, r"equal size.*\[3\] at entry 0 and \[4\]"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "found <U1"),
    ([np.array([None]), np.array([None])], TypeError, "found object"),
    ([None, None], TypeError, "found <class 'NoneType'>"),
    ([object()], TypeError, "found <class 'object'>"),
    ([], IndexError, "empty"),
])
def test_default_collate_errors(batch, exc, match):
    with pytest.raises(exc):
        torch.utils.data.default_collate(batch)
    with pytest.raises(exc, match=match):
        default_collate(batch)


def test_default_collate_tensor_shape_mismatch():
    with pytest.raises(RuntimeError, match=r"equal size.*\[2\] at entry 0 and \[3\] at entry 1"):
        default_collate([lg.zeros(2), lg.zeros(3)])
    with pytest.raises(TypeError, match="element 1 is a int"):
        default_collate([lg.zeros(2), 3])


# ----------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("bs, drop_last", [(1, False), (5, False), (5, True), (23, False),
                                           (30, False), (30, True)])
def test_loader_batches_match_torch(bs, drop_last, rng):
    x, y = arrays(rng)
    ours = list(DataLoader(TensorDataset(x, y), batch_size=bs, drop_last=drop_last))
    ref = list(torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=bs, drop_last=drop_last))
    assert_same(ours, ref)
    assert len(DataLoader(TensorDataset(x, y), batch_size=bs, drop_last=drop_last)) == len(ref)
    if ours:
        assert ours[0][0].dtype == lg.float32 and ours[0][1].dtype == lg.int64


def test_loader_structured_samples_match_torch(rng):
    items = [{"x": rng.standard_normal(3).astype(np.float32), "y": i, "w": 0.5 * i,
              "tag": f"t{i}", "pair": (np.int32(i), [i, i + 1])} for i in range(7)]
    for bs in (None, 1, 3):
        ours = list(DataLoader(ListDataset(items), batch_size=bs))
        ref = list(torch.utils.data.DataLoader(ListDataset(items), batch_size=bs))
        assert_same(ours, ref)


def test_loader_without_batching(rng):
    x, y = arrays(rng, 4)
    ours = list(DataLoader(TensorDataset(x, y), batch_size=None))
    ref = list(torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=None))
    assert_same(ours, ref)  # samples as lists of 1-sample tensors
    assert len(DataLoader(TensorDataset(x, y), batch_size=None)) == 4


def test_fast_path_equals_item_by_item(rng):
    x, y = arrays(rng, 50)
    for shuffle, bs, drop_last in [(False, 8, False), (True, 8, False), (True, 7, True)]:
        fast = DataLoader(TensorDataset(x, y), batch_size=bs, shuffle=shuffle,
                          drop_last=drop_last, generator=lg.Generator().manual_seed(0))
        slow = DataLoader(Rows(x, y), batch_size=bs, shuffle=shuffle, drop_last=drop_last,
                          generator=lg.Generator().manual_seed(0))
        a, b = list(fast), list(slow)
        assert len(a) == len(b) == len(fast)
        for (xa, ya), (xb, yb) in zip(a, b):
            assert isinstance(xa, lg.Tensor) and xa.dtype == xb.dtype and ya.dtype == yb.dtype
            np.testing.assert_array_equal(xa.numpy(), xb.numpy())
            np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    # batches are copies, not views of the dataset
    xb, _ = next(iter(DataLoader(TensorDataset(x, y), batch_size=4)))
    xb.data[0, 0] = 1e6
    assert x[0, 0] != 1e6


def test_fast_path_subsets_and_custom_samplers(rng):
    x, y = arrays(rng, 30)
    ds = TensorDataset(x, y)
    sub = Subset(Subset(ds, list(range(29, -1, -1))), lg.tensor([3, 0, 7, 12, 5]))
    got = flat_labels(DataLoader(sub, batch_size=2))
    assert got == [y[29 - i] for i in (3, 0, 7, 12, 5)]
    sampler = [4, 4, 1]
    assert flat_labels(DataLoader(ds, batch_size=2, sampler=sampler)) == [y[4], y[4], y[1]]
    assert flat_labels(DataLoader(ds, batch_sampler=[[2, 9], [0]])) == [y[2], y[9], y[0]]
    # a collate_fn other than the default sees the samples
    seen = []
    DataLoader(ds, batch_size=3, collate_fn=lambda b: seen.append(len(b)) or b).__iter__().\
        __next__()
    assert seen == [3]


def test_fast_path_requires_grad_keeps_graph():
    x = lg.randn(6, 2, requires_grad=True)
    xb, yb = next(iter(DataLoader(TensorDataset(x, lg.arange(6)), batch_size=3)))
    assert xb.requires_grad
    xb.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[:3], 1.0)
    np.testing.assert_array_equal(x.grad.numpy()[3:], 0.0)


def test_fast_path_bad_indices():
    ds = TensorDataset(np.zeros((5, 2)), np.arange(5))
    with pytest.raises(IndexError, match="out of range for a TensorDataset of 5 samples"):
        list(DataLoader(ds, batch_sampler=[[0, 7]]))
    with pytest.raises(IndexError, match="out of range for a Subset of 2 samples"):
        list(DataLoader(Subset(ds, [0, 1]), sampler=[0, 5], batch_size=2))


def test_shuffle_reproducible_with_manual_seed_and_generator(rng):
    x, y = arrays(rng, 40)
    ds = TensorDataset(x, np.arange(40))
    lg.manual_seed(123)
    perm1, perm2 = lg.randperm(40).tolist(), lg.randperm(40).tolist()
    lg.manual_seed(123)
    loader = DataLoader(ds, batch_size=6, shuffle=True)
    epoch1, epoch2 = flat_labels(loader), flat_labels(loader)
    assert epoch1 == perm1 and epoch2 == perm2 and epoch1 != epoch2
    a = flat_labels(DataLoader(ds, batch_size=6, shuffle=True,
                               generator=lg.Generator().manual_seed(5)))
    lg.manual_seed(999)  # the default generator plays no part when a generator is given
    b = flat_labels(DataLoader(ds, batch_size=6, shuffle=True,
                               generator=lg.Generator().manual_seed(5)))
    assert a == b == lg.randperm(40, generator=lg.Generator().manual_seed(5)).tolist()
    assert sorted(a) == list(range(40))


def test_loader_with_samplers():
    ds = ListDataset(list(range(100, 110)))
    w = WeightedRandomSampler([0.0] * 9 + [1.0], 5)
    assert DataLoader(ds, batch_size=2, sampler=w).__len__() == 3
    assert [b.tolist() for b in DataLoader(ds, batch_size=2, sampler=w)] == \
        [[109, 109], [109, 109], [109]]
    bs = BatchSampler(SequentialSampler(ds), 4, drop_last=True)
    assert [b.tolist() for b in DataLoader(ds, batch_sampler=bs)] == \
        [[100, 101, 102, 103], [104, 105, 106, 107]]
    sub = SubsetRandomSampler([1, 3, 5])
    assert sorted(b.item() for b in DataLoader(ds, sampler=sub)) == [101, 103, 105]


def make_stream(d=lgdata):
    """An IterableDataset class of ``d`` (lightgrad's or torch's data module): 0 .. n-1, split
    between workers when there are several."""

    class Stream(d.IterableDataset):
        def __init__(self, n, shard=True):
            self.n, self.shard = n, shard

        def __iter__(self):
            info = d.get_worker_info()
            if info is None or not self.shard:
                return iter(range(self.n))
            return iter(range(info.id, self.n, info.num_workers))

        def __len__(self):
            return self.n

    return Stream


Stream = make_stream()
TorchStream = make_stream(torch.utils.data)


@pytest.mark.parametrize("bs, drop_last", [(None, False), (1, False), (4, False), (4, True),
                                           (20, False)])
def test_iterable_dataset_matches_torch(bs, drop_last):
    ours = list(DataLoader(Stream(10), batch_size=bs, drop_last=drop_last))
    ref = list(torch.utils.data.DataLoader(TorchStream(10), batch_size=bs, drop_last=drop_last))
    assert_same(ours, ref)
    assert len(DataLoader(Stream(10), batch_size=bs, drop_last=drop_last)) == \
        len(torch.utils.data.DataLoader(TorchStream(10), batch_size=bs, drop_last=drop_last))


def test_iterable_dataset_length_warning():
    class Liar(Stream):
        def __len__(self):
            return 2

    loader = DataLoader(Liar(5), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="reported to be 2"):
        list(loader)


def test_iterable_dataset_with_worker_threads():
    got = [b.tolist() for b in DataLoader(Stream(10), batch_size=2, num_workers=3)]
    assert sorted(v for b in got for v in b) == list(range(10))
    # round-robin over workers, as PyTorch's worker processes (this list is what torch gives
    # with num_workers=3 and the same sharding)
    assert got == [[0, 3], [1, 4], [2, 5], [6, 9], [7], [8]]
    # a stream that ignores get_worker_info is read once per worker, as in PyTorch
    dup = [v for b in DataLoader(Stream(5, shard=False), batch_size=2, num_workers=2)
           for v in b.tolist()]
    assert sorted(dup) == sorted(list(range(5)) * 2)


@pytest.mark.parametrize("num_workers, prefetch", [(1, None), (2, None), (3, 1), (4, 4)])
def test_worker_threads_give_the_same_batches(num_workers, prefetch, rng):
    x, y = arrays(rng, 61)
    for ds in (TensorDataset(x, y), Rows(x, y)):
        ref = list(DataLoader(ds, batch_size=8, shuffle=True,
                              generator=lg.Generator().manual_seed(1)))
        lg.manual_seed(1)
        got = list(DataLoader(ds, batch_size=8, shuffle=True, num_workers=num_workers,
                              prefetch_factor=prefetch, generator=lg.Generator().manual_seed(1)))
        assert len(got) == len(ref) == 8
        for (xa, ya), (xb, yb) in zip(got, ref):
            np.testing.assert_array_equal(xa.numpy(), xb.numpy())
            np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    # shuffling from the default generator: the same order with and without workers
    lg.manual_seed(2)
    a = flat_labels(DataLoader(TensorDataset(x, np.arange(61)), batch_size=5, shuffle=True))
    lg.manual_seed(2)
    b = flat_labels(DataLoader(TensorDataset(x, np.arange(61)), batch_size=5, shuffle=True,
                               num_workers=num_workers))
    assert a == b


class Slow(Dataset):
    """Sample i after a delay that shrinks with i: later batches are ready first."""

    def __init__(self, n, delay=0.002):
        self.n, self.delay = n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(self.delay * (self.n - i) / self.n)
        info = get_worker_info()
        return i, -1 if info is None else info.id


def test_worker_info_and_order():
    ids = set()
    for b in DataLoader(Slow(24), batch_size=3, num_workers=3):
        idx, wid = b
        ids.update(wid.tolist())
        assert idx.tolist() == sorted(idx.tolist())
    assert ids == {0, 1, 2}
    flat = [v for idx, _ in DataLoader(Slow(24), batch_size=3, num_workers=3)
            for v in idx.tolist()]
    assert flat == list(range(24))  # in order, though later batches finish first
    unordered = [v for idx, _ in DataLoader(Slow(24), batch_size=3, num_workers=3,
                                            in_order=False) for v in idx.tolist()]
    assert sorted(unordered) == list(range(24))
    assert [w for _, w in DataLoader(Slow(4), batch_size=2)][0].tolist() == [-1, -1]
    assert get_worker_info() is None


def test_worker_init_fn_and_worker_info_fields():
    calls, infos = [], []
    lock = threading.Lock()

    def init(worker_id):
        info = get_worker_info()
        with lock:
            calls.append(worker_id)
            infos.append(info)

    ds = ListDataset(list(range(8)))
    assert [b.tolist() for b in DataLoader(ds, batch_size=4, num_workers=2,
                                           worker_init_fn=init)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert sorted(calls) == [0, 1]
    assert all(i.num_workers == 2 and i.dataset is ds and i.worker_method == "thread"
               for i in infos)
    assert infos[0].seed != infos[1].seed


def test_worker_errors_propagate():
    class Boom(Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            if i == 6:
                raise KeyError(f"bad sample {i}")
            return i

    for nw in (0, 2):
        it = iter(DataLoader(Boom(), batch_size=2, num_workers=nw))
        assert next(it).tolist() == [0, 1]
        assert next(it).tolist() == [2, 3]
        assert next(it).tolist() == [4, 5]
        with pytest.raises(KeyError, match="bad sample 6"):
            next(it)

    def bad_init(worker_id):
        raise RuntimeError("init failed")

    with pytest.raises(RuntimeError, match="init failed"):
        list(DataLoader(ListDataset([1, 2, 3]), num_workers=2, worker_init_fn=bad_init))


def test_worker_timeout():
    with pytest.raises(RuntimeError, match="timed out after 0.05 seconds"):
        list(DataLoader(Slow(2, delay=1.0), num_workers=1, timeout=0.05))


def test_persistent_workers():
    ds = TensorDataset(np.arange(20), np.arange(20))
    loader = DataLoader(ds, batch_size=3, shuffle=True, num_workers=2, persistent_workers=True,
                        generator=lg.Generator().manual_seed(0))
    ref = DataLoader(ds, batch_size=3, shuffle=True, generator=lg.Generator().manual_seed(0))
    it = iter(loader)
    next(it)  # abandon the first epoch half way: its pending batches are dropped
    first = flat_labels(loader)
    assert flat_labels(loader) != first
    ref_it = iter(ref)
    next(ref_it)
    assert first == flat_labels(ref) and sorted(first) == list(range(20))
    assert iter(loader) is loader._iterator
    # iterable datasets restart from each worker's copy
    stream = DataLoader(Stream(6), batch_size=2, num_workers=2, persistent_workers=True)
    assert sorted(v for b in stream for v in b.tolist()) == list(range(6))
    assert sorted(v for b in stream for v in b.tolist()) == list(range(6))


def test_abandoned_worker_iterator_stops_its_threads():
    it = iter(DataLoader(Slow(40, delay=0.001), batch_size=2, num_workers=3))
    next(it)
    workers = list(it._workers)
    assert len(workers) == 3 and all(t.is_alive() for t in workers)
    del it
    deadline = time.time() + 5
    while any(t.is_alive() for t in workers) and time.time() < deadline:
        time.sleep(0.01)
    assert not any(t.is_alive() for t in workers)
    finished = iter(DataLoader(Slow(4, delay=0.0), batch_size=2, num_workers=2))
    assert len(list(finished)) == 2
    assert not any(t.is_alive() for t in finished._workers)  # joined at the end of the epoch


@pytest.mark.parametrize("kwargs, match", [
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], shuffle=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], sampler=[0]), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(batch_size=0), "batch_size should be a positive integer value"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
    (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used"),
])
def test_loader_argument_errors(kwargs, match):
    both_raise(lambda d: d.DataLoader(list(range(4)), **kwargs), ValueError, match=match)


@pytest.mark.parametrize("kwargs, match", [
    (dict(shuffle=True), "IterableDataset: expected unspecified shuffle option"),
    (dict(sampler=[0]), "IterableDataset: expected unspecified sampler option"),
    (dict(batch_sampler=[[0]]), "IterableDataset: expected unspecified batch_sampler option"),
])
def test_loader_iterable_argument_errors(kwargs, match):
    both_raise(lambda d: d.DataLoader(make_stream(d)(3), **kwargs), ValueError, match=match)


def test_loader_misc_errors():
    loader = DataLoader(list(range(4)))
    for attr in ("batch_size", "sampler", "dataset", "drop_last"):
        with pytest.raises(ValueError, match=f"{attr} attribute should not be set"):
            setattr(loader, attr, None)
    loader.num_workers = 0  # other attributes may change
    with pytest.raises(TypeError, match="DataLoader: generator must be a lightgrad.Generator"):
        DataLoader(list(range(4)), shuffle=True, generator=torch.Generator())
    with pytest.raises(TypeError, match="object of type 'NoLen' has no len"):
        class NoLen(IterableDataset):
            def __iter__(self):
                return iter([])

        len(DataLoader(NoLen()))
    with pytest.raises(ValueError, match="num_samples=0"):
        DataLoader([], shuffle=True)


def test_loader_pin_memory_is_accepted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = [b.tolist() for b in DataLoader([1, 2, 3], batch_size=2, pin_memory=True)]
    assert out == [[1, 2], [3]]
