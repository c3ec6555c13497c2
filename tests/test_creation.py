"""Creation functions against PyTorch: ``tensor`` dtype inference, memory sharing of
``as_tensor``/``from_numpy``, constant fills, ``arange``/``linspace`` lengths and values, random
tensors (dtype, range, reproducibility, generators) and the ``*_like`` family."""

from __future__ import annotations

import numpy as np
import pytest

import lightgrad as lg

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def same_dtype(x, t) -> bool:
    return str(x.dtype) == str(t.dtype).replace("torch.", "")


def check_same(x, t, rtol=0.0, atol=0.0):
    assert isinstance(x, lg.Tensor)
    assert tuple(x.shape) == tuple(t.shape), (x.shape, t.shape)
    assert same_dtype(x, t), (x.dtype, t.dtype)
    if rtol or atol:
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(x.numpy(), t.numpy())


# ----------------------------------------------------------------------------- tensor()
TENSOR_DATA = [
    [1.0, 2.5], [1, 2], [True, False], [[1, 2], [3, 4]], [1, 2.5, True], [1, True], 3, 2.5,
    True, [], [[]], np.array([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32),
    np.array([1, 2], dtype=np.int32), np.array([1, 2], dtype=np.uint8), np.float64(2.0),
    np.float32(1.5), np.int64(4), np.array(1.5, dtype=np.float16), np.array([[True]]),
    np.arange(6.0).reshape(2, 3).T,
]


@pytest.mark.parametrize("data", TENSOR_DATA, ids=repr)
def test_tensor_dtype_inference(data):
    """Python floats -> float32, ints -> int64, bools -> bool; NumPy arrays keep their dtype."""
    check_same(lg.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool", "float16",
                                   "uint8", "int8", "int16"])
def test_tensor_dtype_argument(dtype):
    data = [[1.7, -0.2], [0.0, 3.0]] if dtype != "uint8" else [[1.7, 0.2], [0.0, 3.0]]
    check_same(lg.tensor(data, dtype=getattr(lg, dtype)),
               torch.tensor(data, dtype=getattr(torch, dtype)))
    check_same(lg.tensor(data, dtype=dtype), torch.tensor(data, dtype=getattr(torch, dtype)))


def test_tensor_python_type_dtypes():
    assert lg.tensor([1, 2], dtype=float).dtype == np.float32
    assert lg.tensor([1.5], dtype=int).dtype == np.int64
    assert lg.tensor([1], dtype=bool).dtype == np.bool_
    assert lg.tensor([1], dtype=np.float64).dtype == np.float64


def test_tensor_copies_its_input():
    a = np.array([1.0, 2.0])
    x = lg.tensor(a)
    a[0] = 100.0
    assert x.tolist() == [1.0, 2.0]
    y = lg.tensor(x)
    y.data[0] = 5.0
    assert x.tolist() == [1.0, 2.0]
    z = lg.tensor(a, dtype=lg.float64)
    assert not np.shares_memory(z.data, a)


def test_tensor_requires_grad_and_nested_tensors():
    x = lg.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf
    t = lg.tensor([lg.tensor(1.0), lg.tensor(2.5)])
    check_same(t, torch.tensor([torch.tensor(1.0), torch.tensor(2.5)]))
    with pytest.raises(RuntimeError, match="floating point"):
        lg.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("data", [[[1, 2], [3]], "abc", [1, "a"], [None], {"a": 1}, [2**63]],
                         ids=repr)
def test_tensor_bad_data_raises(data):
    with pytest.raises(Exception):
        torch.tensor(data)
    with pytest.raises((TypeError, ValueError), match="tensor"):
        lg.tensor(data)


def test_tensor_of_unsupported_data_raises():
    with pytest.raises((TypeError, ValueError), match="tensor"):
        lg.tensor(["a"], dtype=lg.float32)
    with pytest.raises(TypeError, match="tensor.*complex"):
        lg.tensor([1j])  # no complex dtypes in lightgrad


def test_tensor_class_constructor():
    x = lg.Tensor([1.0, 2.0], requires_grad=True)
    assert x.dtype == np.float32 and x.requires_grad
    assert lg.Tensor([1, 2], dtype=lg.float64).dtype == np.float64
    assert lg.is_tensor(x) and not lg.is_tensor(np.zeros(2))


# ----------------------------------------------------------------------------- sharing
def test_as_tensor_shares_numpy_memory():
    a = np.array([1.0, 2.0, 3.0])
    x = lg.as_tensor(a)
    assert x.dtype == np.float64
    a[0] = 10.0
    assert x.tolist()[0] == 10.0
    y = lg.as_tensor(a, dtype=lg.float32)  # a different dtype must copy
    assert y.dtype == np.float32 and not np.shares_memory(y.data, a)
    t = lg.tensor([1.0])
    assert lg.as_tensor(t) is t
    assert lg.as_tensor(t, dtype=lg.float64).dtype == np.float64
    check_same(lg.as_tensor([1, 2]), torch.as_tensor([1, 2]))
    check_same(lg.as_tensor([1.5]), torch.as_tensor([1.5]))


def test_from_numpy_shares_memory():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    x = lg.from_numpy(a)
    assert x.dtype == np.int32 and x.shape == (2, 3)
    a[1, 1] = 99
    assert x.tolist()[1][1] == 99
    with lg.no_grad():
        x.add_(1)
    assert a[0, 0] == 1
    with pytest.raises(TypeError, match="from_numpy"):
        lg.from_numpy([1, 2])
    with pytest.raises(TypeError, match="from_numpy"):
        lg.from_numpy(np.array([1 + 2j]))


# ----------------------------------------------------------------------------- fills
SIZES = [(2, 3), ((2, 3),), ([2, 3],), (0,), ((),), (1, 0, 2), (4,)]


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("size", SIZES, ids=repr)
def test_constant_fills(fn, size):
    x, t = getattr(lg, fn)(*size), getattr(torch, fn)(*size)
    assert tuple(x.shape) == tuple(t.shape) and same_dtype(x, t)
    if fn != "empty":
        check_same(x, t)
    for d in ("int32", "float64", "bool"):
        x = getattr(lg, fn)(*size, dtype=getattr(lg, d))
        t = getattr(torch, fn)(*size, dtype=getattr(torch, d))
        assert same_dtype(x, t)
        if fn != "empty":
            check_same(x, t)


def test_requires_grad_kwarg():
    for fn in (lg.zeros, lg.ones, lg.empty, lg.rand, lg.randn):
        x = fn(2, 3, requires_grad=True)
        assert x.requires_grad and x.is_leaf and x.dtype == np.float32
    assert lg.full((2,), 1.5, requires_grad=True).requires_grad
    assert lg.arange(0.0, 3.0, requires_grad=True).requires_grad
    assert lg.eye(2, requires_grad=True).requires_grad
    assert lg.linspace(0, 1, 3, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        lg.ones(2, dtype=lg.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        lg.arange(3, requires_grad=True)


@pytest.mark.parametrize("fill", [3, 2.5, True, -1])
def test_full(fill):
    check_same(lg.full((2, 3), fill), torch.full((2, 3), fill))
    check_same(lg.full([2], fill, dtype=lg.float64), torch.full([2], fill, dtype=torch.float64))
    check_same(lg.full((2,), lg.tensor(fill)), torch.full((2,), fill))


@pytest.mark.parametrize("size", [(-1,), (2, -3)], ids=repr)
@pytest.mark.parametrize("fn", ["zeros", "ones", "empty", "rand", "randn"])
def test_negative_sizes_raise(fn, size):
    with pytest.raises(RuntimeError):
        getattr(torch, fn)(*size)
    with pytest.raises(RuntimeError, match=rf"{fn}.*negative dimension"):
        getattr(lg, fn)(*size)


@pytest.mark.parametrize("size", [(2.5,), ("3",), (None,), ((2, 1.0),)], ids=repr)
def test_non_integer_sizes_raise(size):
    with pytest.raises(TypeError):
        torch.zeros(*size)
    with pytest.raises(TypeError, match="zeros.*size"):
        lg.zeros(*size)


def test_full_negative_and_bad_sizes_raise():
    with pytest.raises(RuntimeError, match="full.*negative"):
        lg.full((2, -1), 1.0)
    with pytest.raises(RuntimeError, match="randint.*negative"):
        lg.randint(3, (-2,))


def test_size_may_be_a_tensor_or_numpy_int():
    assert lg.zeros(lg.tensor(2), np.int64(3)).shape == (2, 3)


# ----------------------------------------------------------------------------- arange etc.
ARANGE_ARGS = [
    (5,), (0, 1, 0.1), (1, 2.5, 0.5), (0.0, 5), (10, 0, -3), (0, 10, 3), (1.0, 0.0, -0.3),
    (0, 0.3, 0.1), (-1, 2, 0.7), (5, 5), (2.5,), (-3, 3), (0, 1, 0.25), (1e-3, 1.0, 0.1),
]


@pytest.mark.parametrize("args", ARANGE_ARGS, ids=repr)
def test_arange(args):
    check_same(lg.arange(*args), torch.arange(*args), rtol=1e-6, atol=1e-7)


def test_arange_length_rule():
    assert len(lg.arange(0, 1, 0.1)) == 10
    assert len(lg.arange(0, 1.0000001, 0.1)) == len(torch.arange(0, 1.0000001, 0.1)) == 11


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_arange_dtype(dtype):
    for args in [(5,), (0.5, 4), (1, 7, 2)]:
        check_same(lg.arange(*args, dtype=getattr(lg, dtype)),
                   torch.arange(*args, dtype=getattr(torch, dtype)))


def test_arange_tensor_bounds_and_errors():
    check_same(lg.arange(lg.tensor(4)), torch.arange(torch.tensor(4)))
    for args in [(0, 1, 0), (5, 0), (0, -1), (0, 5, -1)]:
        with pytest.raises(RuntimeError):
            torch.arange(*args)
        with pytest.raises(RuntimeError, match="arange"):
            lg.arange(*args)


@pytest.mark.parametrize("args", [(0, 1, 5), (0, 1, 1), (0, 1, 0), (-1, 1.3, 7), (3, -2, 6),
                                  (0, 10, 4)], ids=repr)
def test_linspace(args):
    check_same(lg.linspace(*args), torch.linspace(*args), rtol=1e-6, atol=1e-6)
    check_same(lg.linspace(*args, dtype=lg.float64), torch.linspace(*args, dtype=torch.float64),
               rtol=1e-12, atol=1e-12)


def test_linspace_int_and_errors():
    check_same(lg.linspace(0, 10, 5, dtype=lg.int64), torch.linspace(0, 10, 5, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="linspace.*non-negative"):
        lg.linspace(0, 1, -1)


def test_logspace():
    check_same(lg.logspace(0, 2, 3), torch.logspace(0, 2, 3), rtol=1e-6)
    check_same(lg.logspace(0, 3, 4, base=2.0), torch.logspace(0, 3, 4, base=2.0), rtol=1e-6)


@pytest.mark.parametrize("args", [(3,), (2, 3), (3, 2), (0,), (1, 0)], ids=repr)
def test_eye(args):
    check_same(lg.eye(*args), torch.eye(*args))
    check_same(lg.eye(*args, dtype=lg.int64), torch.eye(*args, dtype=torch.int64))


def test_eye_negative_raises():
    with pytest.raises(RuntimeError, match="eye"):
        lg.eye(-1)
    with pytest.raises(RuntimeError, match="eye"):
        lg.eye(2, -1)


# ----------------------------------------------------------------------------- random
def test_rand_randn_dtype_and_range():
    u = lg.rand(1000)
    assert u.dtype == np.float32 and u.shape == (1000,)
    assert 0.0 <= u.numpy().min() and u.numpy().max() < 1.0
    assert 0.4 < u.numpy().mean() < 0.6
    n = lg.randn(20, 50, dtype=lg.float64)
    assert n.dtype == np.float64 and n.shape == (20, 50)
    assert abs(n.numpy().mean()) < 0.15 and 0.85 < n.numpy().std() < 1.15
    assert lg.randn((2, 3)).shape == (2, 3) and lg.rand([4]).shape == (4,)
    assert lg.rand(()).shape == () and lg.randn(0, 3).shape == (0, 3)


@pytest.mark.parametrize("fn", ["rand", "randn"])
def test_rand_needs_a_float_dtype(fn):
    with pytest.raises((RuntimeError, NotImplementedError)):
        getattr(torch, fn)(2, dtype=torch.int64)
    with pytest.raises(RuntimeError, match=f"{fn}.*floating"):
        getattr(lg, fn)(2, dtype=lg.int64)


def test_randint():
    x = lg.randint(5, (200,))
    assert x.dtype == np.int64 and x.shape == (200,)
    assert set(x.tolist()) == set(range(5))
    y = lg.randint(-3, 2, (4, 50))
    assert y.shape == (4, 50) and y.numpy().min() >= -3 and y.numpy().max() < 2
    assert lg.randint(3, size=(2,)).shape == (2,)
    assert lg.randint(low=1, high=3, size=(2,)).shape == (2,)
    assert lg.randint(5, (3,), dtype=lg.int32).dtype == np.int32
    assert lg.randint(5, (3,), dtype=lg.float32).dtype == np.float32
    assert lg.randint(5, ()).shape == ()
    with pytest.raises(RuntimeError, match="randint.*low < high"):
        lg.randint(5, 2, (3,))
    with pytest.raises(TypeError, match="randint.*size"):
        lg.randint(5)


def test_randperm():
    p = lg.randperm(10)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(10))
    assert lg.randperm(0).shape == (0,)
    assert lg.randperm(4, dtype=lg.int32).dtype == np.int32
    with pytest.raises(RuntimeError, match="randperm"):
        lg.randperm(-1)


def test_normal():
    x = lg.normal(2.0, 3.0, (4000,))
    assert x.dtype == np.float32 and abs(x.numpy().mean() - 2.0) < 0.3
    assert 2.7 < x.numpy().std() < 3.3
    m = lg.tensor([0.0, 100.0, -100.0], dtype=lg.float64)
    y = lg.normal(m, 0.01)
    assert y.dtype == np.float64 and np.allclose(y.numpy(), m.numpy(), atol=0.1)
    z = lg.normal(m, lg.ones(2, 1, 3, dtype=lg.float64))
    assert z.shape == tuple(torch.normal(torch.zeros(3), torch.ones(2, 1, 3)).shape)
    assert lg.normal(1.0, lg.ones(3)).dtype == np.float32
    with pytest.raises(RuntimeError, match="normal.*std"):
        lg.normal(0.0, -1.0, (2,))
    with pytest.raises(RuntimeError, match="normal.*floating"):
        lg.normal(0.0, 1.0, (2,), dtype=lg.int64)


def test_manual_seed_reproducibility():
    draws = []
    for _ in range(2):
        lg.manual_seed(1234)
        draws.append([lg.rand(5).numpy(), lg.randn(3, 2).numpy(), lg.randint(0, 100, (6,)).numpy(),
                      lg.randperm(7).numpy(), lg.normal(0.0, 1.0, (3,)).numpy()])
    for a, b in zip(*draws):
        np.testing.assert_array_equal(a, b)
    lg.manual_seed(1235)
    assert not np.array_equal(lg.rand(5).numpy(), draws[0][0])
    assert lg.initial_seed() == 1235


def test_generator_objects():
    g1 = lg.Generator().manual_seed(7)
    g2 = lg.Generator()
    assert g2.manual_seed(7) is g2 and g2.initial_seed() == 7
    a = lg.randn(4, generator=g1)
    b = lg.randn(4, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    lg.manual_seed(7)
    lg.rand(100)  # the global generator does not disturb private ones
    np.testing.assert_array_equal(lg.rand(3, generator=g1).numpy(),
                                  lg.rand(3, generator=g2).numpy())
    state = g1.get_state()
    c = lg.randint(0, 1000, (5,), generator=g1)
    g1.set_state(state)
    np.testing.assert_array_equal(lg.randint(0, 1000, (5,), generator=g1).numpy(), c.numpy())
    for fn in (lambda g: lg.randperm(8, generator=g), lambda g: lg.normal(0.0, 1.0, (3,),
                                                                          generator=g)):
        g1.manual_seed(3)
        g2.manual_seed(3)
        np.testing.assert_array_equal(fn(g1).numpy(), fn(g2).numpy())


def test_bernoulli_and_multinomial():
    lg.manual_seed(0)
    p = lg.tensor([0.0, 1.0, 0.5] * 100)
    b = lg.bernoulli(p)
    assert b.dtype == np.float32 and set(np.unique(b.numpy())) <= {0.0, 1.0}
    assert b.numpy()[0::3].sum() == 0 and b.numpy()[1::3].sum() == 100
    m = lg.multinomial(lg.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]), 3, replacement=True)
    assert m.dtype == np.int64 and m.tolist() == [[1, 1, 1], [2, 2, 2]]
    m = lg.multinomial(lg.tensor([[1.0, 0.0, 1.0]] * 20), 2)
    assert m.shape == (20, 2) and all(sorted(r) == [0, 2] for r in m.tolist())
    assert lg.multinomial(lg.tensor([0.2, 0.8]), 1).shape == (1,)
    with pytest.raises(RuntimeError, match="multinomial"):
        lg.multinomial(lg.tensor([1.0, -1.0]), 1)
    with pytest.raises(RuntimeError, match="multinomial"):
        lg.multinomial(lg.tensor([1.0, 0.0]), 2)


# ----------------------------------------------------------------------------- *_like
LIKE_INPUTS = [np.array([1, 2]), np.ones((2, 3), dtype=np.float64), np.array(1.5, np.float32),
               np.zeros((0, 2), np.float32)]


@pytest.mark.parametrize("arr", LIKE_INPUTS, ids=lambda a: f"{a.dtype}{a.shape}")
def test_like_functions(arr):
    x, t = lg.tensor(arr), torch.tensor(arr)
    check_same(lg.zeros_like(x), torch.zeros_like(t))
    check_same(lg.ones_like(x), torch.ones_like(t))
    check_same(lg.full_like(x, 7), torch.full_like(t, 7))
    check_same(lg.full_like(x, 2.7), torch.full_like(t, 2.7))
    e, te = lg.empty_like(x), torch.empty_like(t)
    assert e.shape == tuple(te.shape) and same_dtype(e, te)
    check_same(lg.ones_like(x, dtype=lg.float64), torch.ones_like(t, dtype=torch.float64))
    check_same(lg.zeros_like(x, dtype=lg.int32), torch.zeros_like(t, dtype=torch.int32))
    r = lg.randint_like(x, 3, 5)
    assert same_dtype(r, torch.randint_like(t, 3, 5)) and r.shape == x.shape
    assert ((r.numpy() >= 3) & (r.numpy() < 5)).all()
    assert same_dtype(lg.randint_like(x, 5), torch.randint_like(t, 5))
    if arr.dtype.kind == "f":
        for fn in ("rand_like", "randn_like"):
            a, b = getattr(lg, fn)(x), getattr(torch, fn)(t)
            assert a.shape == tuple(b.shape) and same_dtype(a, b)
    else:
        with pytest.raises(RuntimeError, match="rand.*floating"):
            lg.rand_like(x)


def test_like_requires_grad():
    x = lg.tensor([1.0, 2.0])
    y = lg.zeros_like(x, requires_grad=True)
    assert y.requires_grad and y.is_leaf and not x.requires_grad
    assert lg.ones_like(lg.tensor([1.0], requires_grad=True)).requires_grad is False


def test_new_factories():
    x = lg.tensor([1.0], dtype=lg.float64)
    t = torch.tensor([1.0], dtype=torch.float64)
    check_same(x.new_zeros(2, 3), t.new_zeros(2, 3))
    check_same(x.new_ones((2,)), t.new_ones((2,)))
    check_same(x.new_full((2,), 4), t.new_full((2,), 4))
    check_same(x.new_tensor([1, 2]), t.new_tensor([1, 2]))
    assert x.new_empty(3).shape == (3,) and x.new_empty(3).dtype == np.float64
    assert x.new_zeros(2, dtype=lg.int32).dtype == np.int32
