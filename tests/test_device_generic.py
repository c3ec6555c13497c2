"""Device-generic code, checked without a GPU.

1. A static scan (AST) of the op modules: NumPy may only be used for host-side metadata
   (dtypes, shapes, scalars) or in the functions of the explicit allow-list below, each with its
   reason; every other array computation must go through ``xp`` (``get_xp``), and the
   device-specific kernels live in ``lightgrad/backend_kernels.py``.
2. A fake CUDA device (:data:`fake_cupy`): ``install()`` plugs it into ``lightgrad.backend``
   where CuPy would be, so ``tensor.cuda()``, ``Module.to("cuda")`` and every op run their device
   code paths. A :class:`FakeArray` wraps a NumPy array but is as strict as ``cupy.ndarray``
   (CuPy 14): NumPy refuses it (``np.asarray(a)``, ``np.exp(a)``, ``np.concatenate([a])``
   raise); it refuses host arrays as operands, indices or values; reductions and scalar indexing
   give 0-d arrays; ``xp.random`` is refused (random numbers come from ``backend.Generator``,
   design.md 9); ufunc ``at`` exists only for add/maximum/minimum on atomically-addable dtypes,
   ufunc ``reduce``/``accumulate``/``reduceat`` do not exist (CuPy's documented subset). A test
   that passes on it proves the code asks ``get_xp`` and keeps host and device data apart (not
   CuPy's numerics: ``tests/test_cuda.py`` runs the same checks on a real GPU).
"""

from __future__ import annotations

import ast
import contextlib
import operator
import pathlib
import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import lightgrad
from lightgrad import backend, backend_kernels

# ============================================================================= the fake device

_ATOMIC = frozenset(np.dtype(d) for d in ("float32", "float64", "int32", "uint32", "uint64"))
_AT_UFUNCS = frozenset({"add", "maximum", "minimum"})
_HOST_OK = frozenset({"asarray", "array", "asanyarray"})  # host -> device copies


class DeviceMixError(TypeError):
    """A host (NumPy) array met device data, or NumPy was called on device data."""


def _unwrap(x: Any, what: str, host_ok: bool = False) -> Any:
    if type(x) is FakeArray:
        return x._a
    if isinstance(x, np.ndarray):
        if host_ok:
            return np.array(x, copy=True)
        raise DeviceMixError(f"{what}: a NumPy (host) array was passed with device data")
    if isinstance(x, tuple):
        return tuple(_unwrap(v, what, host_ok) for v in x)
    if isinstance(x, list):
        return [_unwrap(v, what, host_ok) for v in x]
    return x


def _wrap(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return FakeArray(x)
    if isinstance(x, np.generic):  # CuPy gives 0-d arrays where NumPy gives scalars
        return FakeArray(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


def _check_kwargs(name: str, kwargs: dict) -> None:
    if name in ("sort", "argsort"):  # CuPy sorts are stable and take no other kind
        if kwargs.get("kind") not in (None, "stable"):
            raise TypeError(f"fake cupy: {name}(kind={kwargs['kind']!r}) is not supported")
        kwargs["kind"] = "stable"


class _Device:
    id = 0


class FakeArray:
    """A device array (see the module docstring)."""

    __slots__ = ("_a",)
    __array_priority__ = 100  # as cupy.ndarray (lightgrad.Tensor has 1000)
    __array_ufunc__ = None  # NumPy ufuncs and ndarray operators defer to (or refuse) us

    def __init__(self, a: np.ndarray) -> None:
        self._a = a

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise DeviceMixError("Implicit conversion to a NumPy array is not allowed (fake device "
                             "array); use backend.to_device(arr, CPU)")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise DeviceMixError(f"numpy.{func.__name__} was called on device data; use xp")

    def __array_namespace__(self, api_version: Any = None) -> Any:
        return fake_cupy

    @property
    def device(self) -> _Device:
        return _Device()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # no __array_interface__, buffer... NumPy must not see in
            raise AttributeError(name)
        v = getattr(self._a, name)
        if callable(v):
            def method(*args: Any, **kwargs: Any) -> Any:
                _check_kwargs(name, kwargs)
                return _wrap(v(*_unwrap(args, f"ndarray.{name}"),
                               **{k: _unwrap(w, f"ndarray.{name}") for k, w in kwargs.items()}))
            return method
        return _wrap(v) if isinstance(v, np.ndarray) else v

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._a[_unwrap(key, "__getitem__")])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[_unwrap(key, "__setitem__")] = _unwrap(value, "__setitem__")

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Iterator[Any]:
        for row in self._a:
            yield _wrap(row)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __index__(self) -> int:
        return operator.index(self._a)

    def __repr__(self) -> str:
        return f"fake_cupy.{self._a!r}"

    def __copy__(self) -> FakeArray:
        return FakeArray(self._a.copy())

    def __deepcopy__(self, memo: dict) -> FakeArray:
        return FakeArray(self._a.copy())

    __hash__ = None  # type: ignore[assignment]


def _operand(x: Any, op: str) -> Any:
    if type(x) is FakeArray:
        return x._a
    if isinstance(x, np.ndarray):
        raise DeviceMixError(f"{op}: a NumPy (host) array was combined with device data")
    if isinstance(x, bool | int | float | complex | np.generic):
        return x
    return NotImplemented


def _binary(name: str) -> Any:
    fn = getattr(operator, name)

    def op(self: FakeArray, other: Any) -> Any:
        o = _operand(other, name)
        return NotImplemented if o is NotImplemented else _wrap(fn(self._a, o))

    def rop(self: FakeArray, other: Any) -> Any:
        o = _operand(other, name)
        return NotImplemented if o is NotImplemented else _wrap(fn(o, self._a))

    def iop(self: FakeArray, other: Any) -> Any:
        o = _operand(other, name)
        if o is NotImplemented:
            return NotImplemented
        getattr(operator, "i" + name.rstrip("_"))(self._a, o)
        return self

    return op, rop, iop


for _n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and_", "or_",
           "xor", "lshift", "rshift"):
    _o, _r, _i = _binary(_n)
    _d = _n.rstrip("_")
    setattr(FakeArray, f"__{_d}__", _o)
    setattr(FakeArray, f"__r{_d}__", _r)
    setattr(FakeArray, f"__i{_d}__", _i)
for _n in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(FakeArray, f"__{_n}__", _binary(_n)[0])
for _n in ("neg", "pos", "abs", "invert"):
    setattr(FakeArray, f"__{_n}__",
            (lambda f: lambda self: _wrap(f(self._a)))(getattr(operator, _n)))


def _function(fn: Any, name: str) -> Any:
    host_ok = name in _HOST_OK

    def call(*args: Any, **kwargs: Any) -> Any:
        _check_kwargs(name, kwargs)
        a = _unwrap(args, f"xp.{name}", host_ok)
        kw = {k: _unwrap(v, f"xp.{name}", host_ok) for k, v in kwargs.items()}
        return _wrap(fn(*a, **kw))

    call.__name__ = name
    return call


class _Ufunc:
    def __init__(self, uf: np.ufunc) -> None:
        self._uf = uf
        self.__name__ = uf.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _function(self._uf, self._uf.__name__)(*args, **kwargs)

    def at(self, a: FakeArray, indices: Any, b: Any = None) -> None:
        if self.__name__ not in _AT_UFUNCS or a._a.dtype not in _ATOMIC:
            raise TypeError(f"fake cupy: {self.__name__}.at is not supported for dtype "
                            f"{a._a.dtype} (CuPy: add/maximum/minimum on 32/64-bit types)")
        args = (_unwrap(indices, "ufunc.at"),) + (() if b is None else
                                                   (_unwrap(b, "ufunc.at"),))
        self._uf.at(a._a, *args)

    def outer(self, a: Any, b: Any) -> Any:
        return _wrap(self._uf.outer(_unwrap(a, "ufunc.outer"), _unwrap(b, "ufunc.outer")))

    def __getattr__(self, name: str) -> Any:
        if name in ("reduce", "accumulate", "reduceat"):
            raise AttributeError(f"fake cupy: ufunc.{name} is not available (CuPy)")
        return getattr(self._uf, name)


class _Namespace(types.SimpleNamespace):
    """A wrapped NumPy (sub)module (hashable by identity, as a module is)."""

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def __init__(self, mod: Any, path: str) -> None:
        super().__init__()
        object.__setattr__(self, "_mod", mod)
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name: str) -> Any:
        if name == "random":
            raise AttributeError("fake cupy: xp.random is not used by lightgrad: random numbers "
                                 "come from backend.Generator (drawn on the host)")
        if name in ("errstate", "seterr"):
            raise AttributeError(f"fake cupy: cupy has no {name}")
        v = getattr(self._mod, name)
        if isinstance(v, np.ufunc):
            return _Ufunc(v)
        if isinstance(v, types.ModuleType):
            return _Namespace(v, f"{self._path}.{name}")
        if isinstance(v, type) or not callable(v):
            return v
        return _function(v, name)


class _FakeCupy(_Namespace):
    ndarray = FakeArray

    def __init__(self) -> None:
        super().__init__(np, "cupy")
        object.__setattr__(self, "__version__", "14.fake")
        cuda = types.SimpleNamespace(
            Device=lambda i=0: contextlib.nullcontext(),
            runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))
        object.__setattr__(self, "cuda", cuda)

    @staticmethod
    def asnumpy(a: Any) -> np.ndarray:
        return a._a.copy() if type(a) is FakeArray else np.asarray(a)


fake_cupy = _FakeCupy()


@contextlib.contextmanager
def install() -> Iterator[Any]:
    """Make ``fake_cupy`` lightgrad's CuPy for the duration (restores the real state)."""
    saved = (backend._cupy, backend._cupy_checked, backend._cupy_error)
    backend._cupy, backend._cupy_checked = fake_cupy, True
    try:
        yield fake_cupy
    finally:
        backend._cupy, backend._cupy_checked, backend._cupy_error = saved


# ============================================================================= the static scan
ROOT = pathlib.Path(lightgrad.__file__).parent
#: modules whose array code must be device-generic (backend.py and backend_kernels.py are the
#: device modules themselves)
SCANNED = sorted(["tensor.py", "creation.py", "nn/init.py"] +
                 [f"ops/{p.name}" for p in (ROOT / "ops").glob("*.py")])
#: ``np.<name>`` that is host metadata anywhere: types, dtypes, constants, shape arithmetic
HOST_NAMES = frozenset({
    "ndarray", "generic", "number", "integer", "signedinteger", "unsignedinteger", "floating",
    "complexfloating", "bool_", "dtype", "float16", "float32", "float64", "int8", "int16",
    "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intp", "finfo", "iinfo", "inf",
    "nan", "pi", "e", "newaxis", "errstate", "broadcast_shapes", "promote_types", "object_",
})
_HOST_PLAN = "host index plan computed from shapes and Python ints, moved with xp.asarray"
_HOST_DRAW = "values made on the host (design.md 9), written to the device by _write"
#: (module, function) -> (the np names it may use, why). Device arrays never reach these.
ALLOW: dict[tuple[str, str], tuple[frozenset, str]] = {
    ("tensor.py", "_to_array"): (frozenset({"asarray"}), "host data (lists, NumPy arrays)"),
    ("tensor.py", "Tensor.numpy"): (frozenset({"asarray"}), "a NumPy scalar to a 0-d array"),
    ("tensor.py", "Tensor.__repr__"): (frozenset({"isfinite", "round", "array2string"}),
                                       "formats the host copy"),
    ("creation.py", "tensor"): (frozenset({"shares_memory"}), "guarded by isinstance ndarray"),
    ("creation.py", "multinomial"): (frozenset({"asarray", "isfinite"}),
                                     "samples on the host, result moved to the input's device"),
    ("ops/index_plan.py", "_classify"): (frozenset({"zeros"}), "an empty index list; _plan"
                                         " moves index arrays to the indexed tensor's device"),
    ("ops/index_plan.py", "_plan"): (frozenset({"zeros"}), "x[False]; moved by _index_on"),
    ("ops/indexing.py", "_indices_plan"): (frozenset({"zeros"}), "empty list; moved by _plan"),
    ("ops/padding.py", "_pad_runs"): (frozenset({"arange", "clip", "abs"}),
                                      "pad runs as Python ints"),
    **{("ops/resample.py", f): (frozenset(n.split()), _HOST_PLAN) for f, n in [
        ("_source", "arange maximum"), ("_guard", "minimum floor clip"),
        ("_nearest_taps", "arange maximum floor minimum"), ("_linear_taps", "arange"),
        ("_cubic_taps", "clip"), ("_as_slice", "diff"),
        ("_groups", "argsort arange searchsorted sort")]},
    ("nn/init.py", "_rng"): (frozenset({"random"}), "the host generator type"),
    ("nn/init.py", "_uniform"): (frozenset({"random"}), "the host generator type"),
    ("nn/init.py", "_normal"): (frozenset({"random"}), "the host generator type"),
    **{("nn/init.py", f): (frozenset(n.split()), _HOST_DRAW) for f, n in [
        ("trunc_normal_", "empty log"), ("eye_", "eye"), ("dirac_", "zeros arange"),
        ("orthogonal_", "linalg sign diagonal"), ("sparse_", "argsort arange")]},
    # host metadata and NumPy-only fast paths, verified on the fake device by tests/test_cuda.py
    ("ops/conv.py", "_scratch"): (frozenset({"empty"}), "NumPy-only work buffers"),
    ("ops/loss.py", "_check_class_target"): (frozenset({"unravel_index"}), "a host int"),
    **{("ops/pooling.py", f): (frozenset(n.split()), _HOST_PLAN) for f, n in [
        ("_first_inside", "arange minimum"), ("_divisor", "arange minimum maximum multiply"),
        ("_adaptive_bounds", "arange"), ("AdaptiveAvgPool.forward", "arange"),
        ("AdaptiveMaxPool.forward", "minimum ix_ ravel_multi_index")]},
    **{("ops/recurrent.py", f): (frozenset(n.split()), _HOST_PLAN) for f, n in [
        ("_Schedule.__init__", "array concatenate arange"), ("_compact", "all diff"),
        ("_perm", "cumsum concatenate arange empty_like"),
        ("_gates", "array"), ("LSTMLayer.backward", "array")]},
}



def _numpy_uses(path: pathlib.Path) -> list[tuple[int, str, str]]:
    """(line, enclosing function, what) for each NumPy array use and forbidden construct."""
    tree = ast.parse(path.read_text())
    found: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            s = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                s = scope + [child.name]
            where = ".".join(s) or "<module>"
            if isinstance(child, ast.Attribute):
                if isinstance(child.value, ast.Name) and child.value.id == "np" and \
                        child.attr not in HOST_NAMES:
                    found.append((child.lineno, where, child.attr))
                elif child.attr == "__array_namespace__":  # CuPy < 14 has none: use get_xp
                    found.append((child.lineno, where, "__array_namespace__"))
            elif isinstance(child, ast.Import | ast.ImportFrom):
                names = [a.name for a in child.names] if isinstance(child, ast.Import) else \
                    [child.module or ""]
                for n in names:
                    if n.split(".")[0] in ("cupy", "cupyx"):
                        found.append((child.lineno, where, f"import {n}"))
                    elif isinstance(child, ast.ImportFrom) and n == "numpy":
                        found.append((child.lineno, where, "from numpy import"))
            visit(child, s)

    visit(tree, [])
    return found


def test_op_modules_compute_through_xp():
    bad, used = [], set()
    for rel in SCANNED:
        for line, fn, what in _numpy_uses(ROOT / rel):
            allowed, _ = ALLOW.get((rel, fn), (frozenset(), ""))
            if what in allowed:
                used.add((rel, fn, what))
            else:
                bad.append(f"lightgrad/{rel}:{line} in {fn}: np.{what}")
    assert not bad, ("NumPy called where the data may be a CuPy array; use xp = get_xp(x), or "
                     "a kernel in lightgrad/backend_kernels.py, or (host metadata only) add an "
                     "ALLOW entry with its reason:\n" + "\n".join(bad))
    stale = [f"{rel} {fn}: np.{n}" for (rel, fn), (names, _) in ALLOW.items()
             for n in names if (rel, fn, n) not in used]
    assert not stale, "ALLOW entries no longer needed:\n" + "\n".join(stale)


def test_only_the_backend_imports_cupy():
    offenders = [f"{p.relative_to(ROOT)}:{line}: {what}"
                 for p in ROOT.rglob("*.py") if p.name not in ("backend.py", "backend_kernels.py")
                 for line, _, what in _numpy_uses(p) if what.startswith("import cup")]
    assert not offenders, offenders


def test_the_scan_catches_numpy_on_data(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("import numpy as np\n\ndef f(x):\n    xp = x.__array_namespace__()\n"
                   "    return np.exp(x) + np.add.at(x, 0, 1)\n\nfrom numpy import zeros\n"
                   "def g(t):\n    return np.float32(2) * np.float64 + t.dtype.itemsize\n")
    found = {(fn, what) for _, fn, what in _numpy_uses(src)}
    assert found == {("f", "__array_namespace__"), ("f", "exp"), ("f", "add"),
                     ("<module>", "from numpy import")}


# ============================================================================= the fake, itself
@pytest.fixture
def fake():
    with install() as xp:
        yield xp


def test_fake_device_refuses_numpy_and_host_operands(fake):
    a = fake.asarray(np.arange(6.0).reshape(2, 3))
    assert type(a) is FakeArray and backend.get_array_module(a) is fake
    assert backend.device_of(a) == "cuda:0"
    for bad in (lambda: np.asarray(a), lambda: np.exp(a), lambda: np.concatenate([a, a]),
                lambda: a + np.ones(3), lambda: a[np.array([0])], lambda: fake.exp(np.ones(2)),
                lambda: fake.random, lambda: fake.maximum.accumulate(a),
                lambda: fake.multiply.at(a, fake.asarray(np.array([0])), 2.0)):
        with pytest.raises((TypeError, AttributeError)):
            bad()
    s = a.sum()
    assert type(s) is FakeArray and s.ndim == 0 and float(s) == 15.0  # 0-d, as CuPy
    np.testing.assert_array_equal(fake.asnumpy(fake.exp(a) * 2), np.exp(np.arange(6.0)
                                                                        .reshape(2, 3)) * 2)


def test_install_restores_the_backend(fake):
    assert lightgrad.cuda.is_available()
    t = lightgrad.ones(2, device="cuda")
    assert t.is_cuda and type(t.data) is FakeArray


def test_install_restores_cpu_only_state():
    before = (backend._cupy, backend._cupy_checked)
    with install():
        pass
    assert (backend._cupy, backend._cupy_checked) == before


# ============================================================================= device kernels
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "float16", "int8"])
def test_scatter_kernels_on_the_device_path_match_numpy(fake, dtype):
    rng = np.random.default_rng(7)
    target = rng.integers(-3, 4, (6, 3)).astype(dtype)
    idx = rng.integers(-6, 6, 20)  # repeats and negative indices
    vals = rng.integers(-2, 3, (20, 3)).astype(dtype)
    for kernel, ref in ((backend_kernels.scatter_add, np.add.at),
                        (backend_kernels.scatter_mul, np.multiply.at)):
        want = target.copy()
        ref(want, idx, vals)
        got = fake.asarray(target)
        kernel(got, fake.asarray(idx), fake.asarray(vals))
        np.testing.assert_array_equal(fake.asnumpy(got), want, err_msg=kernel.__name__)
    rows, cols = rng.integers(0, 6, 9), rng.integers(0, 3, 9)  # a tuple index, scalar values
    want = target.copy()
    np.add.at(want, (rows, cols), 1)
    got = fake.asarray(target)
    backend_kernels.scatter_add(got, (fake.asarray(rows), fake.asarray(cols)), 1)
    np.testing.assert_array_equal(fake.asnumpy(got), want)


def test_scatter_add_into_a_non_contiguous_target(fake):
    base = np.zeros((4, 5))
    want = base.copy()
    np.add.at(want.T, np.array([0, 0, 3]), 1.5)
    got = fake.asarray(base)
    view = got.T  # not C-contiguous: written through
    backend_kernels.scatter_add(view, fake.asarray(np.array([0, 0, 3])), 1.5)
    np.testing.assert_array_equal(fake.asnumpy(got), want)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cummax_device_scan_matches_numpy(fake, axis):
    a = np.random.default_rng(3).integers(0, 50, (5, 37))
    got = backend_kernels.cummax(fake.asarray(a), axis=axis)
    np.testing.assert_array_equal(fake.asnumpy(got), np.maximum.accumulate(a, axis=axis))


def test_as_strided_on_both_backends(fake):
    a = np.arange(10.0)
    want = np.lib.stride_tricks.as_strided(a, (4, 3), (16, 8))
    np.testing.assert_array_equal(backend_kernels.as_strided(a, (4, 3), (16, 8)), want)
    got = backend_kernels.as_strided(fake.asarray(a), (4, 3), (16, 8))
    np.testing.assert_array_equal(fake.asnumpy(got), want)
