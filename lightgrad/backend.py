"""Array backends (NumPy, CuPy), devices, dtypes, PyTorch type promotion and random generators.

This is the one module that knows CuPy exists: every other module asks it for ``xp``.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

# ----------------------------------------------------------------------------- dtypes
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

_DTYPE_NAMES: dict[str, np.dtype] = {
    "float16": float16, "half": float16, "float32": float32, "float": float32,
    "float64": float64, "double": float64, "int8": int8, "int16": int16, "short": int16,
    "int32": int32, "int": int32, "int64": int64, "long": int64, "uint8": uint8,
    "bool": bool_,
}
_SUPPORTED = frozenset(_DTYPE_NAMES.values())
_default_float: list[np.dtype] = [float32]


def get_default_dtype() -> np.dtype:
    """The dtype of floating tensors created from Python floats (float32 unless changed)."""
    return _default_float[0]


def set_default_dtype(dtype: Any) -> None:
    """Set the default floating dtype: ``float32`` or ``float64``."""
    d = as_dtype(dtype)
    if d not in (float32, float64):
        raise TypeError(f"set_default_dtype: only float32 or float64 is supported, got {d}")
    _default_float[0] = d


def as_dtype(dtype: Any) -> np.dtype:
    """Canonical ``numpy.dtype`` for a lightgrad dtype, a Python type, a string or a NumPy dtype."""
    if dtype is builtins.float:
        return _default_float[0]
    if dtype is builtins.int:
        return int64
    if dtype is builtins.bool:
        return bool_
    if isinstance(dtype, str) and dtype in _DTYPE_NAMES:
        return _DTYPE_NAMES[dtype]
    try:
        d = None if dtype is None else np.dtype(dtype)  # np.dtype(None) is float64
    except TypeError:
        d = None
    if d is None or d not in _SUPPORTED:
        raise TypeError(f"unsupported dtype {dtype!r}; lightgrad supports "
                        f"{sorted(str(x) for x in _SUPPORTED)}")
    return d


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's ``promote_types``: across categories the higher category wins as is
    (int64 + float32 -> float32, unlike NumPy's float64)."""
    if a is b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _scalar_dtype(x: Any) -> np.dtype:
    if isinstance(x, builtins.bool | np.bool_):
        return bool_
    if isinstance(x, builtins.int | np.integer):
        return int64
    if isinstance(x, builtins.float | np.floating):
        return _default_float[0]
    raise TypeError(f"unsupported scalar operand of type {type(x).__name__}")


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(*operands: Any) -> np.dtype:
    """PyTorch's result type: dimensioned tensors outrank 0-d tensors, which outrank Python
    scalars; a lower-ranked operand only matters if it is of a higher category."""
    dim = zero = wrapped = None
    for x in operands:
        data = getattr(x, "data", None)
        if data is not None and hasattr(data, "dtype"):
            d = data.dtype
            if data.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = _scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    out = _combine(dim, _combine(zero, wrapped))
    assert out is not None, "result_type needs at least one operand"
    return out


# ----------------------------------------------------------------------------- devices
_cupy: Any = None
_cupy_checked = False
_cupy_error = ""  # why CUDA is unavailable, for the error message


def cupy_module() -> Any:
    """The ``cupy`` module if it is installed and sees a GPU, else ``None``."""
    global _cupy, _cupy_checked, _cupy_error
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # type: ignore[import-not-found]
        except ImportError as e:  # the usual CPU-only install
            _cupy, _cupy_error = None, f"CuPy is not installed ({e})"
            return None
        try:
            n = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # no driver, or a driver/toolkit mismatch
            _cupy, _cupy_error = None, f"CuPy {cupy.__version__} finds no usable CUDA driver ({e})"
            return None
        if n > 0:
            _cupy = cupy
        else:
            _cupy_error = f"CuPy {cupy.__version__} sees no CUDA GPU"
    return _cupy


def cuda_is_available() -> bool:
    return cupy_module() is not None


def require_cupy(device: Any) -> Any:
    """``cupy`` for a ``cuda`` device, or a RuntimeError naming the device, the reason and the
    fix."""
    cp = cupy_module()
    if cp is None:
        raise RuntimeError(f"device {device}: CUDA is not available: {_cupy_error}. Install the "
                           "GPU extra (pip install 'lightgrad[gpu]', i.e. cupy-cuda12x) on a "
                           "machine with an NVIDIA GPU and driver, or use device='cpu'")
    return cp


def get_array_module(arr: Any) -> Any:
    """``numpy`` or ``cupy``: the module that owns ``arr`` (DeZero/Chainer's ``xp``)."""
    if type(arr) is np.ndarray or _cupy is None:
        return np
    return _cupy if isinstance(arr, _cupy.ndarray) else np


def array_module_for(device: Any) -> Any:
    """``numpy`` for the CPU, ``cupy`` for a CUDA device (a clear error without one)."""
    d = device if isinstance(device, Device) else Device(device)
    return np if d.type == "cpu" else require_cupy(d)


class Device:
    """A device: ``Device("cpu")``, ``Device("cuda")``, ``Device("cuda:1")``,
    ``Device("cuda", 1)``."""

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, type: str | Device, index: int | None = None) -> None:
        if isinstance(type, Device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"Device: expected a string like 'cpu' or 'cuda:0', got {type!r}")
        name, _, idx = type.partition(":")
        if name not in ("cpu", "cuda"):
            raise RuntimeError(f"Device: unknown device type {name!r} (expected 'cpu' or "
                               "'cuda')")
        if idx:
            if index is not None or not idx.isdigit():
                raise RuntimeError(f"Device: invalid device string {type!r}")
            index = int(idx)
        if name == "cuda" and index is None:
            index = 0
        self.type, self.index = name, index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except RuntimeError:
                return False
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = Device("cpu")


def device_of(arr: Any) -> Device:
    if type(arr) is np.ndarray or _cupy is None or not isinstance(arr, _cupy.ndarray):
        return CPU
    return Device("cuda", arr.device.id)


def to_device(arr: Any, device: Device) -> Any:
    """Copy ``arr`` to ``device`` (no copy if it is already there)."""
    if device.type == "cpu":
        if type(arr) is np.ndarray:
            return arr
        return _cupy.asnumpy(arr) if _cupy is not None else np.asarray(arr)
    cp = require_cupy(device)
    if isinstance(arr, cp.ndarray) and arr.device.id == (device.index or 0):
        return arr
    with cp.cuda.Device(device.index or 0):
        return cp.asarray(arr)


def to_device_like(arr: Any, like: Any) -> Any:
    """A host array moved to the device of the array ``like`` (itself when ``like`` is on the
    CPU): how values drawn on the host (random numbers, index plans) reach device data."""
    if type(like) is np.ndarray or _cupy is None or not isinstance(like, _cupy.ndarray):
        return arr
    return to_device(arr, device_of(like))


# ----------------------------------------------------------------------------- random
def _fresh_seed() -> int:
    return int(np.random.SeedSequence().entropy) % (2**63)  # type: ignore[arg-type]


class Generator:
    """A seeded random-number generator (PCG64), as ``torch.Generator``.

    Random tensors are drawn on the CPU and moved to their device, so a seed gives the same
    numbers on every device.
    """

    def __init__(self, device: str | Device = "cpu") -> None:
        self.device = Device(device)
        self._seed = _fresh_seed()
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        if not isinstance(seed, int | np.integer):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        self._seed = int(seed) % (2**64)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        self.manual_seed(_fresh_seed())
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return dict(self._rng.bit_generator.state)

    def set_state(self, state: dict) -> Generator:
        self._rng.bit_generator.state = state
        return self

    @property
    def numpy(self) -> np.random.Generator:
        """The underlying ``numpy.random.Generator``."""
        return self._rng


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (``torch.manual_seed``)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng(generator: Generator | None) -> np.random.Generator:
    return (generator if generator is not None else default_generator)._rng
