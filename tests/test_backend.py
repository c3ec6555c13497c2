"""``lightgrad.backend``: dtypes and their aliases, PyTorch type promotion (``promote_types``,
``result_type``), the default dtype, ``Device`` and random ``Generator`` objects."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

import lightgrad as lg
from lightgrad import backend

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def name(d) -> str:
    return str(d).replace("torch.", "")


# ----------------------------------------------------------------------------- dtypes
def test_dtype_objects_and_aliases():
    assert lg.float32 == np.dtype("float32") and isinstance(lg.float32, np.dtype)
    for alias, target in [("float", "float32"), ("double", "float64"), ("half", "float16"),
                          ("long", "int64"), ("int", "int32"), ("short", "int16"),
                          ("bool", "bool")]:
        assert getattr(lg, alias) == np.dtype(target), alias
        assert name(getattr(torch, alias)) == target, alias
    for d in ALL_DTYPES:
        assert backend.as_dtype(d) == np.dtype(d)


@pytest.mark.parametrize("spec,expected", [
    (float, "float32"), (int, "int64"), (bool, "bool"), ("float64", "float64"),
    ("double", "float64"), (np.float32, "float32"), (np.dtype("int16"), "int16"),
    ("long", "int64"), ("half", "float16"), (lg.uint8, "uint8"),
])
def test_as_dtype(spec, expected):
    assert backend.as_dtype(spec) == np.dtype(expected)


@pytest.mark.parametrize("spec", ["complex64", np.complex128, "foo", object, np.uint16, None, 3])
def test_unsupported_dtypes_raise(spec):
    with pytest.raises(TypeError, match="unsupported dtype"):
        backend.as_dtype(spec)
    with pytest.raises(TypeError):
        lg.zeros(2, dtype=spec if spec is not None else "none")


def test_default_dtype():
    assert lg.get_default_dtype() == np.float32
    try:
        lg.set_default_dtype(lg.float64)
        torch.set_default_dtype(torch.float64)
        for make in (lambda L: L.tensor([1.5]), lambda L: L.arange(0.0, 3.0),
                     lambda L: L.zeros(2), lambda L: L.tensor([1, 2]) / 2,
                     lambda L: L.tensor([1, 2]) * 1.5, lambda L: L.rand(2),
                     lambda L: L.full((2,), 1.5), lambda L: L.linspace(0, 1, 3),
                     lambda L: L.tensor([1.0], dtype=float)):
            assert name(make(lg).dtype) == name(make(torch).dtype) == "float64"
        assert lg.get_default_dtype() == np.float64
        assert repr(lg.tensor([1.5], dtype=lg.float32)) == \
            repr(torch.tensor([1.5], dtype=torch.float32)).replace("torch.", "lightgrad.")
    finally:
        lg.set_default_dtype(lg.float32)
        torch.set_default_dtype(torch.float32)
    assert lg.tensor([1.5]).dtype == np.float32
    with pytest.raises(TypeError, match="set_default_dtype"):
        lg.set_default_dtype(lg.int64)
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)


# ----------------------------------------------------------------------------- promotion
@pytest.mark.parametrize("a,b", list(itertools.product(ALL_DTYPES, ALL_DTYPES)))
def test_promote_types_matches_torch(a, b):
    got = lg.promote_types(np.dtype(a), np.dtype(b))
    assert name(got) == name(torch.promote_types(getattr(torch, a), getattr(torch, b)))


OPERANDS = [("t", d) for d in ALL_DTYPES] + [("z", d) for d in ALL_DTYPES] + \
    [("s", v) for v in (True, 3, 2.5)]


def make(lib, o):
    kind, p = o
    if kind == "s":
        return p
    return lib.zeros((2,) if kind == "t" else (), dtype=getattr(lib, p))


@pytest.mark.parametrize("a", OPERANDS, ids=lambda o: f"{o[0]}-{o[1]}")
def test_result_type_matches_torch(a):
    bad = []
    for b in OPERANDS:
        if a[0] == "s" and b[0] == "s":
            continue
        want = name(torch.result_type(make(torch, a), make(torch, b)))
        got = name(lg.result_type(make(lg, a), make(lg, b)))
        if want != got:
            bad.append(f"{a} {b}: torch {want} lightgrad {got}")
    assert not bad, "\n".join(bad)


def test_result_type_with_numpy_scalars_and_default_dtype():
    x = lg.zeros(2, dtype=lg.int32)
    assert backend.result_type(x, np.float64(1.5)) == np.float32  # a scalar, not a float64 array
    assert backend.result_type(x, np.int64(3)) == np.int32
    assert backend.result_type(lg.zeros(2, dtype=lg.float16), 2.5) == np.float16
    with pytest.raises(TypeError, match="unsupported scalar"):
        backend.result_type(x, "a")


# ----------------------------------------------------------------------------- devices
@pytest.mark.parametrize("spec", ["cpu", "cuda:1", ("cuda", 2), ("cpu", 0)], ids=repr)
def test_device_repr_and_str_match_torch(spec):
    args = spec if isinstance(spec, tuple) else (spec,)
    d, t = lg.device(*args), torch.device(*args)
    assert repr(d) == repr(t) and str(d) == str(t)
    assert d.type == t.type and d.index == t.index


def test_device_cuda_without_index():
    d = lg.device("cuda")
    assert d.type == "cuda" and d == lg.device("cuda:0") == "cuda:0"


def test_device_equality_and_hash():
    assert lg.device("cpu") == lg.device("cpu") == "cpu"
    assert lg.device("cuda", 1) == "cuda:1" and lg.device("cuda:1") != lg.device("cuda:0")
    assert lg.device("cpu") != "cuda" and lg.device("cpu") != "nonsense"
    assert lg.device("cpu") != 3
    assert hash(lg.device("cuda:1")) == hash(lg.device("cuda", 1))
    assert len({lg.device("cpu"), lg.device("cpu"), lg.device("cuda:0")}) == 2
    assert lg.device(lg.device("cuda:3")) == "cuda:3"
    assert pickle.loads(pickle.dumps(lg.device("cuda:1"))) == "cuda:1"


@pytest.mark.parametrize("spec", ["tpu", "cuda:x", "cpu:0:1", "cuda:-1", ""])
def test_bad_device_strings_raise_like_torch(spec):
    with pytest.raises(RuntimeError):
        torch.device(spec)
    with pytest.raises(RuntimeError, match="Device"):
        lg.device(spec)


def test_device_type_errors():
    with pytest.raises(TypeError, match="Device"):
        lg.device(3)
    with pytest.raises(RuntimeError, match="Device"):
        lg.device("cuda:1", 2)


def test_tensor_device_and_cpu_moves():
    x = lg.tensor([1.0])
    assert x.device == "cpu" and x.device.type == "cpu" and x.device.index is None
    assert not x.is_cuda
    assert x.cpu() is x and x.to("cpu") is x
    assert backend.device_of(x.data) == backend.CPU
    assert backend.to_device(x.data, backend.CPU) is x.data
    assert backend.get_array_module(x.data) is np


def test_cuda_availability_and_moves():
    available = lg.cuda.is_available()
    assert available is backend.cuda_is_available() and isinstance(available, bool)
    x = lg.tensor([1.0, 2.0], requires_grad=True)
    if not available:
        with pytest.raises(RuntimeError, match="CUDA"):
            x.to("cuda")
        with pytest.raises(RuntimeError, match="CUDA"):
            lg.zeros(2, device="cuda")
        return
    y = x.cuda()
    assert y.is_cuda and y.device == "cuda:0"
    (y * 2.0).sum().backward()
    assert x.grad.device == "cpu" and x.grad.tolist() == [2.0, 2.0]
    assert y.cpu().tolist() == [1.0, 2.0]


# ----------------------------------------------------------------------------- generators
def test_generator_seed_api():
    g = lg.Generator()
    assert g.device == "cpu"
    assert g.manual_seed(42) is g and g.initial_seed() == 42
    a = g.numpy.random(3)
    g.manual_seed(42)
    np.testing.assert_array_equal(g.numpy.random(3), a)
    s = g.seed()
    assert isinstance(s, int) and g.initial_seed() == s
    with pytest.raises(TypeError, match="manual_seed"):
        g.manual_seed(1.5)
    assert g.manual_seed(np.int64(5)).initial_seed() == 5


def test_negative_seed_wraps_like_torch():
    assert lg.manual_seed(-1).initial_seed() == torch.manual_seed(-1).initial_seed()
    torch.manual_seed(0)


def test_generator_state_round_trip():
    g = lg.Generator().manual_seed(9)
    state = g.get_state()
    a = lg.randn(5, generator=g)
    assert g.get_state() != state
    assert g.set_state(state) is g
    np.testing.assert_array_equal(lg.randn(5, generator=g).numpy(), a.numpy())


def test_global_seed_functions():
    gen = lg.manual_seed(11)
    assert gen is backend.default_generator and isinstance(gen, lg.Generator)
    assert lg.initial_seed() == 11
    a = lg.rand(3)
    lg.manual_seed(11)
    np.testing.assert_array_equal(lg.rand(3).numpy(), a.numpy())
    s = lg.seed()
    assert lg.initial_seed() == s
    assert backend.get_rng(None) is backend.default_generator.numpy
    g = lg.Generator()
    assert backend.get_rng(g) is g.numpy


def test_two_fresh_generators_differ():
    a = lg.rand(8, generator=lg.Generator()).numpy()
    b = lg.rand(8, generator=lg.Generator()).numpy()
    assert not np.array_equal(a, b)


# ----------------------------------------------------------------------------- devices
def test_array_module_for_and_cuda_errors():
    assert backend.array_module_for("cpu") is np
    assert backend.array_module_for(backend.Device("cpu")) is np
    a = np.ones(2)
    assert backend.to_device_like(a, np.zeros(3)) is a  # a CPU reference: no copy
    if lg.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match=r"device cuda:1: CUDA is not available: .+ "
                                           r"Install the GPU extra"):
        backend.array_module_for("cuda:1")
    with pytest.raises(RuntimeError, match="device cuda:0: CUDA is not available"):
        backend.require_cupy(backend.Device("cuda"))
