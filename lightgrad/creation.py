"""Tensor creation: ``tensor``, ``zeros``, ``ones``, ``arange``, random tensors, ``*_like``..."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import backend
from .backend import Generator, get_rng
from .tensor import Tensor

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange", "linspace",
    "logspace", "eye", "rand", "randn", "randint", "randperm", "normal", "zeros_like",
    "ones_like", "full_like", "empty_like", "rand_like", "randn_like", "randint_like",
    "bernoulli", "multinomial",
]


def _size(size: tuple, op: str) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], list | tuple):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, int | np.integer) or isinstance(s, bool):
            raise TypeError(f"{op}: size must be a sequence of ints, got {size!r}")
        if s < 0:
            raise RuntimeError(f"{op}: trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def _finish(arr: Any, device: Any, requires_grad: bool) -> Tensor:
    if device is not None:
        arr = backend.to_device(arr, backend.Device(device))
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _xp(device: Any) -> Any:
    """The array module that allocates on ``device`` (``None``: the CPU)."""
    return np if device is None else backend.array_module_for(device)


def _dt(dtype: Any, default: Any = None) -> np.dtype:
    if dtype is None:
        return default if default is not None else backend.get_default_dtype()
    return backend.as_dtype(dtype)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``; Python floats give the default dtype (float32),
    ints give int64, bools give bool.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1, 2], [3, 4]]).dtype
        dtype('int64')
    """
    if isinstance(data, Tensor):
        data = data.data
    from .tensor import _to_array

    arr = _to_array(data, None if dtype is None else backend.as_dtype(dtype))
    if arr is data or (isinstance(data, np.ndarray) and np.shares_memory(arr, data)):
        arr = arr.copy()
    return _finish(arr, device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor` but shares memory with a NumPy array (or tensor) when it can."""
    if isinstance(data, Tensor):
        out = data
        if dtype is not None or device is not None:
            out = out.to(  # type: ignore[attr-defined]
                *(x for x in (device, dtype) if x is not None))
        return out
    from .tensor import _to_array

    return _finish(_to_array(data, None if dtype is None else backend.as_dtype(dtype)),
                   device, False)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype not in backend._SUPPORTED:
        raise TypeError(f"from_numpy: can't convert np.ndarray of type {ndarray.dtype}; "
                        f"supported: {sorted(str(d) for d in backend._SUPPORTED)}")
    return Tensor._make(ndarray)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **_: Any) -> Tensor:
    return _finish(_xp(device).zeros(_size(size, "zeros"), _dt(dtype)), device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         **_: Any) -> Tensor:
    return _finish(_xp(device).ones(_size(size, "ones"), _dt(dtype)), device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **_: Any) -> Tensor:
    return _finish(_xp(device).empty(_size(size, "empty"), _dt(dtype)), device, requires_grad)


def _fill_dtype(fill_value: Any) -> np.dtype:
    if isinstance(fill_value, bool | np.bool_):
        return backend.bool_
    if isinstance(fill_value, int | np.integer):
        return backend.int64
    return backend.get_default_dtype()


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, **_: Any) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = _dt(dtype, _fill_dtype(fill_value))
    shape = _size(tuple(size) if isinstance(size, list | tuple) else (size,), "full")
    return _finish(_xp(device).full(shape, fill_value, d), device, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False, **_: Any) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={vals[0]}, end={vals[1]}, step={vals[2]})")
    is_float = any(isinstance(v, float | np.floating) for v in vals)
    d = _dt(dtype, backend.get_default_dtype() if is_float else backend.int64)
    n = max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    xp = _xp(device)
    arr = (vals[0] + xp.arange(n, dtype=np.float64) * vals[2]).astype(d) if is_float or \
        d.kind == "f" else xp.arange(vals[0], vals[1], vals[2], dtype=d)
    return _finish(arr, device, requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, **_: Any) -> Tensor:
    if not isinstance(steps, int) or steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps!r}")
    return _finish(_xp(device).linspace(start, end, steps).astype(_dt(dtype)), device,
                   requires_grad)


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    return _finish(_xp(device).logspace(start, end, steps, base=base).astype(_dt(dtype)), device,
                   requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False, **_: Any) -> Tensor:
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    return _finish(_xp(device).eye(n, m, dtype=_dt(dtype)), device, requires_grad)


def _float_dt(dtype: Any, op: str) -> np.dtype:
    d = _dt(dtype)
    if d.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point dtype, got {d}")
    return d


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, **_: Any) -> Tensor:
    """Uniform on [0, 1)."""
    d = _float_dt(dtype, "rand")
    return _finish(get_rng(generator).random(_size(size, "rand"), dtype=np.float64).astype(d),
                   device, requires_grad)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False, **_: Any) -> Tensor:
    """Standard normal."""
    d = _float_dt(dtype, "randn")
    return _finish(get_rng(generator).standard_normal(_size(size, "randn")).astype(d), device,
                   requires_grad)


def randint(low: int, high: int | None = None, size: Any = None, *,
            generator: Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False, **_: Any) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None or not isinstance(high, tuple | list):
            raise TypeError("randint: missing the size argument, e.g. randint(10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    shape = _size(tuple(size), "randint")
    return _finish(get_rng(generator).integers(low, high, shape).astype(_dt(dtype,
                                                                            backend.int64)),
                   device, requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    return _finish(get_rng(generator).permutation(n).astype(_dt(dtype, backend.int64)), device,
                   requires_grad)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: Generator | None = None, dtype: Any = None, device: Any = None,
           requires_grad: bool = False, **_: Any) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (broadcast) or floats with ``size``."""
    m = mean.data if isinstance(mean, Tensor) else mean
    s = std.data if isinstance(std, Tensor) else std
    if size is None:
        shape = np.broadcast_shapes(getattr(m, "shape", ()), getattr(s, "shape", ()))
    else:
        shape = _size(tuple(size) if isinstance(size, list | tuple) else (size,), "normal")
    if bool((s < 0).any()) if hasattr(s, "shape") else s < 0:
        raise RuntimeError("normal: std must be >= 0")
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    d = _float_dt(dtype if dtype is not None else like.dtype if like is not None else None,
                  "normal")
    noise = get_rng(generator).standard_normal(shape)  # drawn on the host (design.md 9)
    if like is not None:
        noise = backend.to_device_like(noise, like.data)
    arr = (m + s * noise).astype(d)
    return _finish(arr, device, requires_grad)


def bernoulli(input: Tensor, p: float | None = None, *,
              generator: Generator | None = None) -> Tensor:
    """0/1 samples with probability ``input`` (or ``p``)."""
    draw = backend.to_device_like(get_rng(generator).random(input.shape), input.data)
    arr = (draw < (input.data if p is None else p)).astype(input.dtype)
    return Tensor._make(arr)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Sample category indices from (unnormalized) probabilities along the last dim."""
    # sampled on the host (rng.choice per row), the result moved to the input's device
    p = backend.to_device(input.data, backend.CPU).astype(np.float64)
    if (p < 0).any() or not np.isfinite(p).all():
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or "
                           "element < 0")
    rows = p.reshape(-1, p.shape[-1])
    rng = get_rng(generator)
    out = []
    for r in rows:
        if r.sum() <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                               "probabilities <= 0)")
        if not replacement and num_samples > (r > 0).sum():
            raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) "
                               "samples without replacement")
        out.append(rng.choice(len(r), size=num_samples, replace=replacement, p=r / r.sum()))
    res = np.asarray(out, dtype=np.int64).reshape(p.shape[:-1] + (num_samples,))
    return Tensor._make(backend.to_device_like(res, input.data))


def _like(fn: Any) -> Any:
    def like(input: Tensor, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, **kwargs: Any) -> Tensor:
        return fn(*input.shape, dtype=dtype or input.dtype, device=device or input.device,
                  requires_grad=requires_grad, **kwargs)

    like.__name__ = f"{fn.__name__}_like"
    like.__doc__ = f"``{fn.__name__}`` with the shape (and by default dtype and device) of input."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, **_: Any) -> Tensor:
    return full(input.shape, fill_value, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int, high: int | None = None, *, dtype: Any = None,
                 device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad)


def _new_factory(fn: Any) -> Any:
    def method(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
        return fn(*size, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)
    return method


_T: Any = Tensor
_T.new_zeros = _new_factory(zeros)
_T.new_ones = _new_factory(ones)
_T.new_empty = _new_factory(empty)
_T.new_full = lambda self, size, fill_value, dtype=None, device=None, requires_grad=False: full(
    size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
    requires_grad=requires_grad)
_T.new_tensor = lambda self, data, dtype=None, device=None, requires_grad=False: tensor(
    data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


# ----------------------------------------------------------------------------- in-place random
def _random_fill(self: Tensor, draw: Any, op: str) -> Tensor:
    """Overwrite ``self`` with ``draw(shape) -> float64 array`` (no gradient, as in PyTorch)."""
    from .autograd.grad_mode import _state

    if _state.enabled and self._rg:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                           "in-place operation; use `with lightgrad.no_grad():` or `.data`")
    if self.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point tensor, got dtype {self.dtype}")
    arr = draw(self.shape).astype(self.dtype, copy=False)
    self.data[...] = backend.to_device_like(arr, self.data)
    self._vc[0] += 1
    return self


_T.uniform_ = lambda self, a=0.0, b=1.0, *, generator=None: _random_fill(
    self, lambda s: get_rng(generator).uniform(a, b, s), "uniform_")
_T.normal_ = lambda self, mean=0.0, std=1.0, *, generator=None: _random_fill(
    self, lambda s: mean + std * get_rng(generator).standard_normal(s), "normal_")
_T.bernoulli_ = lambda self, p=0.5, *, generator=None: _random_fill(
    self, lambda s: (get_rng(generator).random(s) < (p.data if isinstance(p, Tensor) else p))
    .astype(np.float64), "bernoulli_")
_T.exponential_ = lambda self, lambd=1.0, *, generator=None: _random_fill(
    self, lambda s: get_rng(generator).exponential(1.0 / lambd, s), "exponential_")
